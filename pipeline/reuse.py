"""Reuse the previous release's pages whose content cannot have changed (incremental publish).

A resource page (actor, place, event, article) is a function of the lookups it made in
the store (recorded by `siteread.Reader.reading`) and of what every page shares: the
templates, the code that draws pages, the base IRI and the dataset description. Each
publish stores, per page, its lookups in a manifest beside the site folder
(`<site>.pages.sqlite`, outside it, so the site stays exactly what is served).

A lookup's result is a function of the set of union triples matching its pattern (the
store returns them in index order, which depends on the terms alone). So the next
publish takes the lines the build's store writer added to and removed from each graph
(store.LineChanges), or, when it kept none, compares the previous release's store with the
new one, graph by graph (only the graphs whose digests the build found changed, or,
without digests, those whose dumps differ; graphs are per article, so most are equal),
and keeps the union triples that were added or removed. A page none of whose lookup patterns matches one of
them would come out byte for byte the same: it, its .ttl and its .jsonld are hard-linked
from the previous site instead of drawn again. The manifest is a database, not a dict in
memory, so a site of any size is checked with memory bounded by one page's lookups and
the changed triples.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import sys
from array import array
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass
from importlib import metadata
from itertools import product
from pathlib import Path

import pyoxigraph as ox

from .publication import Publication
from .siteread import SITE_SOURCE, Reads
from .store import LineChanges, StoredGraphs, graph_lines

# The modules whose code decides what a resource page says; a change to any redraws all pages.
PAGE_CODE = ("site.py", "siteread.py", "views.py", "charts.py", "vocab.py", "reuse.py", "reason.py")
SUFFIXES = (".html", ".ttl", ".jsonld")  # a resource page and its RDF documents
_SCHEMA = ("CREATE TABLE IF NOT EXISTS shared (fingerprint TEXT NOT NULL)",
           "CREATE TABLE IF NOT EXISTS page (iri TEXT PRIMARY KEY, stem TEXT NOT NULL, lookups BLOB NOT NULL)")
Key = tuple[str | None, str | None, str | None]  # a lookup pattern as IRIs, None for a wildcard


def manifest_path(site_dir: Path) -> Path:
    """Where the manifest of the site in `site_dir` lives: beside it, named after it."""
    return beside_site(site_dir, ".pages.sqlite")


def beside_site(site_dir: Path, suffix: str) -> Path:
    """A file kept for the next publish beside the site folder (so not served), named after it."""
    return site_dir.with_name(site_dir.name + suffix)


def fingerprint(base: str, meta: dict[str, object]) -> str:
    """What every page shares: templates, the site's queries, page code, library versions, base IRI,
    dataset description."""
    digest_ = hashlib.sha256(json.dumps([base, meta], sort_keys=True, default=str).encode())
    for package in ("pyoxigraph", "jinja2", "markupsafe"):
        digest_.update(f"{package}={metadata.version(package)}".encode())
    sources = (sorted((SITE_SOURCE / "templates").iterdir()) + sorted((SITE_SOURCE / "queries").glob("*.rq"))
               + [Path(__file__).with_name(n) for n in PAGE_CODE])
    for source in sources:
        digest_.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest_.hexdigest()


@dataclass(frozen=True)
class PageRecord:
    """One page of a release: its path without suffix and the lookups it made, each as a
    64-bit digest (`key_digests`)."""

    stem: str
    lookups: bytes  # `key_digests` of the page's lookup patterns

    @classmethod
    def of(cls, stem: str, reads: Reads) -> PageRecord:
        return cls(stem, key_digests(reads.patterns()))

    def digests(self) -> array:
        """The lookups' digests as integers (the same on every machine)."""
        return _integers(self.lookups)


def key_digests(keys: Iterable[Key]) -> bytes:
    """Each lookup pattern's 64-bit BLAKE2b digest, little-endian, one after the other.

    Whether a page can be taken is whether none of its lookups matches a changed triple: every
    page of the previous site is asked on every publish. Kept as JSON, a page's ~90 patterns were
    decompressed and parsed to be compared (40 us a page in a probe, 114,040 pages at 10,000
    articles); as digests they are compared where they lie (4 us). Two patterns with one digest
    can only make a page be drawn that could have been taken, never the other way round."""
    return b"".join(hashlib.blake2b("\0".join("*" if term is None else "<" + term for term in key).encode(),
                                    digest_size=8).digest() for key in keys)


def _integers(digests: bytes) -> array:
    values = array("Q", digests)
    if sys.byteorder == "big":
        values.byteswap()
    return values


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
        self.db.execute("INSERT OR REPLACE INTO page VALUES (?, ?, ?)", (iri, record.stem, record.lookups))

    def close(self) -> None:
        self.db.commit()
        self.db.close()


def _triples(lines: Iterable[bytes]) -> Iterator[ox.Triple]:
    return ox.parse(b"".join(lines), format=ox.RdfFormat.N_TRIPLES)


def _in_union(store: ox.Store, triple: ox.Triple) -> bool:
    return next(store.quads_for_pattern(triple.subject, triple.predicate, triple.object, None), None) is not None


@dataclass(frozen=True)
class UnionChanges:
    """The triples added to and removed from the union of all graphs between two stores: what
    page reuse and the ontology page's examples need to know of a new release."""

    added: tuple[ox.Triple, ...]
    removed: tuple[ox.Triple, ...]

    def keys(self) -> frozenset[Key]:
        """Every lookup pattern (IRIs or wildcards) matching one of the changed triples."""
        keys: set[Key] = set()
        for triple in (*self.added, *self.removed):
            # A recorded pattern holds IRIs only, so only IRI positions can be bound in one that matches.
            keys.update(product(*((None, term.value) if isinstance(term, ox.NamedNode) else (None,)
                                  for term in (triple.subject, triple.predicate, triple.object))))
        return frozenset(keys)


def _union_only(old: ox.Store, new: ox.Store, added: Iterable[bytes], removed: Iterable[bytes]) -> UnionChanges:
    """Of lines added to and removed from some graph, the triples that change the union: a triple
    that joined (or left) one graph changes it only if no other graph had (has) it."""
    return UnionChanges(tuple(t for t in _triples(added) if not _in_union(old, t)),
                        tuple(t for t in _triples(removed) if not _in_union(new, t)))


def read_changes(old: ox.Store, new: ox.Store, graphs: Iterable[str] | None = None) -> UnionChanges:
    """The union changes between `old` and `new`, by reading graphs of both.

    `graphs`, when given, names the only named graphs whose content may differ (the build
    knows them by their digests), and no other is read; else every graph is compared by its
    dump. Graphs are compared by their lines, and only differing lines are read as triples."""
    named = dict.fromkeys([*old.named_graphs(), *new.named_graphs()]) if graphs is None \
        else map(ox.NamedNode, sorted(graphs))
    added, removed = [], []
    for graph in (ox.DefaultGraph(), *named):
        before, after = graph_lines(old, graph), graph_lines(new, graph)
        if before != after:
            added.append(b"".join(after - before))
            removed.append(b"".join(before - after))
    return _union_only(old, new, added, removed)


def changed_keys(old: ox.Store, new: ox.Store, graphs: Iterable[str] | None = None) -> frozenset[Key]:
    """Every lookup pattern matching a triple added to or removed from the union of all graphs
    between `old` and `new` (`read_changes`)."""
    return read_changes(old, new, graphs).keys()


def union_changes(site_dir: Path | None, store: ox.Store, digests: Mapping[str, str] | None = None,
                  lines: LineChanges | None = None) -> UnionChanges | None:
    """The union changes from the release of the previous site in `site_dir` to `store`, or None
    without a previous release (or its store).

    `lines`, the store writer's line differences from that release's store, are taken as they
    are, no graph read; without them (the writer kept none past its limit), the graphs whose
    `digests` differ from the release's are read from both stores (`read_changes`)."""
    if site_dir is None:
        return None
    release = Publication(Path(site_dir).parent)  # the site's release: its store is beside it
    if not release.store.is_dir():
        return None
    old = ox.Store.read_only(str(release.store))
    if lines is not None and lines.since.resolve() == release.store.resolve():
        return _union_only(old, store, lines.added, lines.removed)
    stored = StoredGraphs.of(release)
    graphs = changed_graphs(stored.digests, digests) if stored is not None and digests is not None else None
    return read_changes(old, store, graphs)


def changed_graphs(old: Mapping[str, str], new: Mapping[str, str]) -> set[str]:
    """The graphs, by IRI, that two releases' digests (store.StoredGraphs) say differ or are in one only."""
    return {name for name in old.keys() | new.keys() if old.get(name) != new.get(name)}


class Previous:
    """The previous release's site and manifest: which of its pages can be taken as they are.

    The manifest is opened in each process that asks (page workers have their own), and is
    not pickled with the rest when the previous site is sent to one."""

    def __init__(self, site_dir: Path, changed: Iterable[Key]):
        self.site_dir = site_dir
        self.changed = frozenset(_integers(key_digests(changed)))  # the changed lookups' digests
        self._db: tuple[int, sqlite3.Connection] | None = None
        self._folders: set[str] = set()  # folders of the new site made so far, by this process

    @classmethod
    def open(cls, site_dir: Path | None, shared: str, changes: UnionChanges | None) -> Previous | None:
        """The previous site, or None when there is none, it has no manifest, its `changes` to
        the new store are unknown, or its pages were drawn by other templates, code or dataset
        description (then all are redrawn)."""
        if site_dir is None or changes is None or not manifest_path(site_dir).is_file():
            return None
        with closing(sqlite3.connect(f"file:{manifest_path(site_dir)}?mode=ro", uri=True)) as db:
            try:
                row = db.execute("SELECT fingerprint FROM shared").fetchone()
            except sqlite3.DatabaseError:
                row = None
        if row is None or row[0] != shared:
            return None
        return cls(Path(site_dir), changes.keys())

    def __getstate__(self) -> dict[str, object]:
        return {"site_dir": self.site_dir, "changed": self.changed, "_db": None, "_folders": set()}

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None or self._db[0] != os.getpid():
            self._db = (os.getpid(), sqlite3.connect(f"file:{manifest_path(self.site_dir)}?mode=ro", uri=True))
        return self._db[1]

    def unchanged(self, iri: str, stem: str) -> PageRecord | None:
        """The record of `iri`'s page if drawing it again now would give the same files (whether
        the previous site still has them is found when they are taken)."""
        row = self.db.execute("SELECT stem, lookups FROM page WHERE iri = ?", (iri,)).fetchone()
        if row is None or row[0] != stem:
            return None
        record = PageRecord(*row)
        return record if self.changed.isdisjoint(record.digests()) else None

    def take(self, stem: str, site_dir: Path) -> bool:
        """Hard-link (or, across file systems, copy) the page and its documents into `site_dir`;
        False, with nothing left behind, when the previous site lacks one of them (then the page
        is drawn).

        A file already there (a listing names a resource twice) is left alone: writing
        through a hard link would change the previous release's file too. No file is looked
        at first: a link fails on its own when one is missing or there (looking took a fifth of
        a taken page's time)."""
        # Paths as strings: pathlib's joins were a third of the time of taking a page.
        source, target = f"{self.site_dir}/{stem}", f"{site_dir}/{stem}"
        folder = os.path.dirname(target)
        if folder not in self._folders:
            os.makedirs(folder, exist_ok=True)
            self._folders.add(folder)
        linked = []
        for suffix in SUFFIXES:
            try:
                os.link(source + suffix, target + suffix)
            except FileExistsError:
                continue
            except FileNotFoundError:
                for made in linked:
                    os.unlink(made)
                return False
            except OSError:
                shutil.copy2(source + suffix, target + suffix)
            linked.append(target + suffix)
        return True

    def close(self) -> None:
        if self._db is not None and self._db[0] == os.getpid():
            self._db[1].close()
        self._db = None

"""Store: the named graphs in an on-disk Oxigraph store."""

from __future__ import annotations

import hashlib
import json
import logging
import operator
import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import groupby, islice
from pathlib import Path

import pyoxigraph
from rdflib import Graph, URIRef

from .publication import Publication, current

log = logging.getLogger(__name__)

CHUNK_BYTES = 64 * 1024 * 1024  # N-Quads gathered before one bulk load
# Changed N-Triples lines a writer keeps for the next stage (about 150 bytes each): above this
# (most graphs changed, as after an extractor change) it keeps none, and who needs them reads
# the changed graphs instead.
CHANGED_LINES = 300_000
# A graph this large (the resolved graph) is kept as an N-Triples file named by its digest, so
# the next build compares with that file instead of reading the graph back from the store:
# Oxigraph took 20 s to write the 3.3M lines of the 10,000-article resolved graph.
KEEP_BYTES = 16 * 1024 * 1024
HASHED_LINES = 65_536  # lines joined at a time to be hashed: no copy of a whole large graph


def graph_digest(ntriples: bytes) -> str:
    """A digest of a graph's N-Triples that does not depend on the order of its lines, so the
    same triples written by two builds (whose sets iterate in different orders) compare equal."""
    return _digest_of_sorted(sorted(ntriples.splitlines(keepends=True)))


def _digest_of_sorted(lines: list[bytes]) -> str:
    digest = hashlib.sha256()
    for start in range(0, len(lines), HASHED_LINES):
        digest.update(b"".join(lines[start:start + HASHED_LINES]))
    return digest.hexdigest()


def kept_file(folder: Path, digest: str) -> Path:
    """Where a `StoreWriter` keeps the graph of `digest`: its N-Triples lines, sorted (so the file's
    SHA-256 is its digest, and the next build walks it beside the new lines instead of holding
    both in sets)."""
    return folder / f"{digest}.sorted.nt"


def _differences(old: Iterable[bytes], new: Iterable[bytes]) -> tuple[list[bytes], list[bytes]]:
    """The lines only `new` has and the lines only `old` has, of two sorted sequences (a line
    repeated counts once), in one walk beside each other."""
    old, new = (line for line, _ in groupby(old)), (line for line, _ in groupby(new))
    added, removed = [], []
    a, b = next(old, None), next(new, None)
    while a is not None and b is not None:
        if a == b:
            a, b = next(old, None), next(new, None)
        elif a < b:
            removed.append(a)
            a = next(old, None)
        else:
            added.append(b)
            b = next(new, None)
    removed += [a, *old] if a is not None else []
    added += [b, *new] if b is not None else []
    return added, removed


def graph_lines(store: pyoxigraph.Store, graph: pyoxigraph.NamedNode | pyoxigraph.DefaultGraph) -> set[bytes]:
    """A graph's N-Triples lines, as Oxigraph writes them (one way per term: equal lines, equal
    triples), so two versions of a large graph compare without a Python object per triple."""
    return set(store.dump(format=pyoxigraph.RdfFormat.N_TRIPLES, from_graph=graph).splitlines(keepends=True))


@dataclass(frozen=True)
class StoredGraphs:
    """A release's store and the digest of every named graph in it (as `graph_digest` of the
    N-Triples it was loaded from), which the next build starts from."""

    store: Path
    digests: Mapping[str, str]

    @classmethod
    def of(cls, release: Publication) -> StoredGraphs | None:
        """The release's, or None when it has no digests (built before releases kept them)."""
        if not release.store.is_dir() or not release.graph_digests.is_file():
            return None
        return cls(release.store, json.loads(release.graph_digests.read_text(encoding="utf-8")))


@dataclass
class LineChanges:
    """The N-Triples lines a `StoreWriter` added to and removed from the graphs of the store it
    started from (`since`), as it computed them to write only what changed: what the next
    stage would otherwise learn by reading every changed graph of both stores again. A line is
    per graph: the same triple may still be (or already have been) in another graph."""

    since: Path  # the previous release's store
    added: list[bytes] = field(default_factory=list)  # N-Triples documents, one per graph written
    removed: list[bytes] = field(default_factory=list)
    lines: int = 0

    def record(self, added: bytes, removed: bytes) -> None:
        self.added.append(added)
        self.removed.append(removed)
        self.lines += added.count(b"\n") + removed.count(b"\n")


def write_digests(release: Publication, digests: Mapping[str, str]) -> None:
    release.graph_digests.write_text(json.dumps(dict(sorted(digests.items())), indent=0), encoding="utf-8")


class StoreWriter:
    """Writes named graphs into a new on-disk store, in few large bulk loads.

    Oxigraph's bulk loader is several times faster than a transaction per graph, but
    has a fixed cost per call, so graphs are gathered as N-Quads and loaded a chunk at
    a time. It is safe because nobody reads the store before the build promotes it.

    Given the previous release's `StoredGraphs`, the new store starts as a checkpoint of
    that store (hard links to its immutable files, so the old release is untouched), and
    only graphs whose digest changed are written; graphs no longer added are dropped at
    `close`. Adding one article to a large publication then writes one graph or a few,
    not all of them. The lines it added and removed are kept in `changes` (relative to the
    previous store), unless there are more than `limit` or there is no previous store: then
    `changes` is None. Given a `kept` folder (kept across builds), every graph of at least
    `keep_bytes` is also written there as it was added, for the next build's comparison.
    """

    def __init__(self, path: Path, previous: StoredGraphs | None = None, limit: int = CHANGED_LINES,
                 kept: Path | None = None, keep_bytes: int | None = None):
        if previous is not None:
            try:
                pyoxigraph.Store.read_only(str(previous.store)).backup(str(path))
            except (OSError, RuntimeError) as error:  # an unreadable previous store costs time, not the build
                log.warning("store: cannot start from %s (%s): writing every graph", previous.store, error)
                shutil.rmtree(path, ignore_errors=True)
                previous = None
        self.store = pyoxigraph.Store(str(path))
        self.changes = LineChanges(previous.store) if previous is not None else None
        self._limit = limit
        self._kept, self._keep_bytes = kept, KEEP_BYTES if keep_bytes is None else keep_bytes
        self._stored: dict[str, str] = dict(previous.digests) if previous is not None else {}
        self.digests: dict[str, str] = {}  # of every graph added
        self.written = 0  # graphs loaded (the rest were in the previous store as they are)
        self._chunk: list[bytes] = []
        self._size = 0

    def add(self, name: URIRef, ntriples: bytes) -> None:
        """Queue an N-Triples document (one triple a line, as rdflib and Oxigraph write it)."""
        self.add_lines(name, ntriples.splitlines(keepends=True))

    def add_lines(self, name: URIRef, lines: list[bytes]) -> None:
        """Queue a graph given as its N-Triples lines, each with its line break; sorts `lines`.

        A large graph is handled as this list alone (its digest, its kept file, the comparison
        with the stored one, the load from that file): no document of its lines is made, nor a
        set of them (copies of the resolved graph's 3.3M lines at 10,000 articles were gigabytes
        of the build's peak memory)."""
        name = str(name)
        lines.sort()
        digest = self.digests[name] = _digest_of_sorted(lines)
        if self._stored.get(name) == digest:
            return
        kept = None
        if self._kept is not None and sum(map(len, lines)) >= self._keep_bytes:
            kept = self._keep(digest, lines)
        self._write(name, lines, kept)

    def add_sorted(self, name: URIRef, lines: Callable[[], Iterable[bytes]]) -> None:
        """Queue a large graph given as its N-Triples lines in sorted order, made as they are
        read (`lines()` is called for them once, twice if they turn out not to be sorted).

        They go straight into the graph's kept file, hashed on the way, and are compared and
        loaded from there: no list of them is held (the resolved graph's lines as bytes, beside the
        text validation keeps of them, were part of 2.3 GB its lines took at 10,000 articles). Without
        a kept folder, or when a line is out of order, this is `add_lines`."""
        name = str(name)
        if self._kept is None:
            self.add_lines(name, list(lines()))
            return
        self._kept.mkdir(parents=True, exist_ok=True)
        partial = self._kept / f".{os.getpid()}.partial"
        digest, made, last, in_order = hashlib.sha256(), iter(lines()), b"", True
        with partial.open("wb") as out:
            while batch := list(islice(made, HASHED_LINES)):
                if batch[0] < last or any(map(operator.gt, batch, batch[1:])):
                    in_order = False
                    break
                chunk = b"".join(batch)
                digest.update(chunk)
                out.write(chunk)
                last = batch[-1]
        if not in_order:
            partial.unlink()
            self.add_lines(name, list(lines()))
            return
        digest = self.digests[name] = digest.hexdigest()
        if self._stored.get(name) == digest:
            partial.unlink()
            return
        kept = kept_file(self._kept, digest)
        os.replace(partial, kept)
        with kept.open("rb") as written:
            self._write(name, written, kept)

    def _write(self, name: str, lines: Iterable[bytes], kept: Path | None) -> None:
        """Write a graph whose sorted lines (`lines`, also in its `kept` file if any) changed."""
        stored = self._stored.get(name)
        if stored is not None:
            lines = self._replace(pyoxigraph.NamedNode(name), lines, stored)
        elif self.changes is not None:
            self._record(b"".join(lines), b"")
        self.written += 1
        if kept is not None and stored is None:
            self.store.bulk_load(path=str(kept), format=pyoxigraph.RdfFormat.N_TRIPLES,
                                 to_graph=pyoxigraph.NamedNode(name))
            return
        # Every line ends " .\n" (a literal's own line breaks are escaped), so this makes N-Quads.
        quads = b"".join(lines).replace(b" .\n", f" <{name}> .\n".encode("utf-8"))
        self._chunk.append(quads)
        self._size += len(quads)
        if self._size >= CHUNK_BYTES:
            self._load()

    def holds(self, name: URIRef, digest: str) -> bool:
        """Whether the store started with graph `name` as the N-Triples of this digest."""
        return self._stored.get(str(name)) == digest

    def keep(self, name: URIRef, digest: str) -> None:
        """Keep graph `name` as the previous store had it: what `add` does for an unchanged graph,
        without the N-Triples (a reused mapping knows its graph's digest, see article_records)."""
        if not self.holds(name, digest):
            raise ValueError(f"the store does not hold {name} as {digest}")
        self.digests[str(name)] = digest

    def _keep(self, digest: str, lines: list[bytes]) -> Path:
        self._kept.mkdir(parents=True, exist_ok=True)
        partial = self._kept / f".{digest}.{os.getpid()}"
        with partial.open("wb") as out:
            out.writelines(lines)
        kept = kept_file(self._kept, digest)
        os.replace(partial, kept)  # whole or absent: its name vouches for its content
        return kept

    @contextmanager
    def _stored_lines(self, graph: pyoxigraph.NamedNode, digest: str) -> Iterator[Iterable[bytes]]:
        """The sorted lines of `graph` as stored: its kept file's (the document it was added as,
        read as it is walked), or else the store's."""
        kept = kept_file(self._kept, digest) if self._kept is not None else None
        if kept is None or not kept.is_file():
            yield sorted(graph_lines(self.store, graph))
            return
        with kept.open("rb") as lines:
            yield lines

    def _replace(self, graph: pyoxigraph.NamedNode, lines: list[bytes], stored_digest: str) -> list[bytes]:
        """Remove from `graph` the triples whose lines the sorted `lines` do not have; return the
        lines it has to add.

        Lines are compared, not triples: a line Oxigraph writes otherwise than rdflib does for
        the same triple is removed and added again, which is still right. Removing a large
        graph whole (the resolved graph) and loading it again costs seconds; a new article
        changes a few of its lines."""
        with self._stored_lines(graph, stored_digest) as stored:
            added, removed = _differences(stored, lines)
        removed_lines = b"".join(removed)
        for triple in pyoxigraph.parse(removed_lines, format=pyoxigraph.RdfFormat.N_TRIPLES):
            self.store.remove(pyoxigraph.Quad(triple.subject, triple.predicate, triple.object, graph))
        self._record(b"".join(added), removed_lines)
        return added

    def _record(self, added: bytes, removed: bytes) -> None:
        """Keep these changed lines in `changes`, or give up keeping any past the limit."""
        if self.changes is not None:
            self.changes.record(added, removed)
            if self.changes.lines > self._limit:
                log.info("store: over %d changed lines: not kept", self._limit)
                self.changes = None

    def clear(self) -> None:
        """Forget everything written so far, to start again in the same (now empty) store."""
        self._chunk, self._size = [], 0
        self._stored, self.digests, self.written = {}, {}, 0
        self.changes = None  # the store is emptied: the lines changed are all of both versions
        self.store.clear()

    def close(self) -> pyoxigraph.Store:
        """Load what is queued, drop the previous store's graphs that were not added again."""
        self._load()
        for name in sorted(self._stored.keys() - self.digests.keys()):
            if self.changes is not None:
                self._record(b"", b"".join(graph_lines(self.store, pyoxigraph.NamedNode(name))))
            self.store.remove_graph(pyoxigraph.NamedNode(name))
        self.store.flush()
        self._prune_kept()
        return self.store

    def _prune_kept(self) -> None:
        """Delete the kept files of graphs neither this store nor the previous one holds (the
        previous one's stay until the next build, in case this one is never promoted)."""
        if self._kept is None or not self._kept.is_dir():
            return
        wanted = {kept_file(self._kept, digest).name for digest in (*self.digests.values(), *self._stored.values())}
        for path in self._kept.iterdir():
            if path.name not in wanted:
                path.unlink(missing_ok=True)

    def _load(self) -> None:
        if self._chunk:
            self.store.bulk_load(b"".join(self._chunk), format=pyoxigraph.RdfFormat.N_QUADS)
        self._chunk, self._size = [], 0


def write_store(path: Path, graphs: Iterable[tuple[URIRef, Graph]]) -> pyoxigraph.Store:
    """Create the store at `path` and load each rdflib graph into its named graph."""
    writer = StoreWriter(path)
    for name, graph in graphs:
        writer.add(name, graph.serialize(format="nt", encoding="utf-8"))
    return writer.close()


def graph_documents(store: pyoxigraph.Store) -> Iterator[tuple[str, bytes]]:
    """Each named graph of the store as N-Triples with sorted lines (equal graphs, equal bytes)."""
    for name in sorted(store.named_graphs(), key=lambda n: n.value):
        lines = store.dump(format=pyoxigraph.RdfFormat.N_TRIPLES, from_graph=name).splitlines(keepends=True)
        yield name.value, b"".join(sorted(lines))


def open_read_only(out_dir: Path) -> pyoxigraph.Store:
    """The current publication's store, opened for reading only."""
    return pyoxigraph.Store.read_only(str(current(Path(out_dir)).store))

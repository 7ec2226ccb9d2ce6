"""Write the whole dataset as downloadable files other researchers can load and cite.

Four dumps: Turtle of the union of all graphs, gzipped N-Triples of the same, TriG keeping
one named graph per article (plus the resolved and ontology graphs), and gzipped JSON-LD of
the dataset with its named graphs. Each is described by size and SHA-256 for the DCAT record.
JSON-LD is gzipped (as Wikidata's JSON dumps are) because it is the largest by far: 3.73 GB
at 10,000 articles, 2.3 times the Turtle, and writing and hashing it took 16.1 s of every build.

Reading a graph from a store on disk costs several times more than writing it out, so
each graph is read once, as N-Triples, into its *pieces*: its share of every dump (a
Turtle body under the dumps' one prefix header, a gzip member of its N-Triples, and its
JSON-LD node objects), Turtle and JSON-LD made by Oxigraph from those N-Triples, with no
Python code run per triple; the compressed dumps' pieces are gzip members, which concatenated
are one gzip file, and the bytes a dump adds between them (brackets, commas, a graph's name)
are members of their own. The pieces are kept in a folder under a key made from the
digest of their content, and each dump is its pieces concatenated, the default graph
first, then the named graphs by IRI. Given the graphs' digests, a publish after adding an
article reads and serializes only the graphs whose content changed, then concatenates.

A large graph (the resolved graph, which every added article changes) is cut into parts by
a hash of each triple's subject, each part pieced on its own: an added article changes the
triples of a few subjects, so most parts are found as they were, and only the changed
ones are serialized again. A part's pieces are its triples as the store writes them, in
sorted lines, and how a graph is cut depends on its size alone, so the dumps are the same
bytes whether parts were found or made, and whoever wrote the lines they were cut from. A
large graph the build's store writer kept as N-Triples (`sources`, see store.StoreWriter) is
cut from that file instead of being read from the store: Oxigraph took some 20 s to write
the 3.3M triples of the 10,000-article resolved graph, in every build.

A triple held by several graphs is in each of their pieces, so the union dumps (Turtle,
N-Triples) may hold it more than once and count it once per graph: harmless to a loader,
since a graph is a set (the data holds no such triple today).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import os
import secrets
import shutil
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from .store import graph_digest, kept_file
from .vocab import PREFIXES

Graph = str | None  # a named graph's IRI, or None for the default graph


@dataclass(frozen=True)
class Dump:
    """One written dump file and what a catalogue needs to know about it."""

    file: str  # name inside the downloads folder
    title: str
    media_type: str
    compression: str | None  # media type of the compression, if any
    size: int  # bytes on disk
    sha256: str
    statements: int  # triples (union dumps) or quads (dataset dumps): a triple once per graph holding it


def _prefixes() -> dict[str, str]:
    return {name: str(ns) for name, ns in PREFIXES.items()}


# The prefix lines Oxigraph writes before the triples of a Turtle document with these prefixes
# (checked on every piece): written once at the head of the Turtle and TriG dumps, in this order.
HEADER = "".join(f"@prefix {name}: <{iri}> .\n" for name, iri in _prefixes().items()).encode()

# Everything the bytes of a piece depend on besides the graph: pieces made by another version
# of this module, of Oxigraph or of zlib, or under other prefixes, get other keys.
RECIPE = f"newsgraph dump pieces 4; pyoxigraph {ox.__version__}; zlib {zlib.ZLIB_RUNTIME_VERSION}; ".encode() + HEADER

# The piece files of a part; its record (`.json`) is written after them; a graph's record
# (`.parts.json`), naming its parts, after theirs.
TURTLE, NTRIPLES, JSONLD, RECORD, PARTS = ".ttl", ".nt.gz", ".jsonld.gz", ".json", ".parts.json"
SPLIT_LINES = 20_000  # a graph of more triples than this is cut into parts...
PART_LINES = 1_000  # ...of about this many triples (a power of two of them: see `_split`)


@dataclass(frozen=True)
class Piece:
    """A graph whose pieces are in the pieces folder: its record's key, its triple count, and
    the keys of its parts' pieces, in dump order."""

    graph: Graph
    key: str
    triples: int
    parts: tuple[str, ...]


def piece_key(graph: Graph, digest: str) -> str:
    """The name of `graph`'s record when its content has `digest`."""
    name = b"" if graph is None else b"<" + graph.encode() + b">"
    return hashlib.sha256(RECIPE + b"\n" + name + b"\n" + digest.encode()).hexdigest()


def part_key(digest: str) -> str:
    """The name of the pieces of a part whose N-Triples have `digest` (in whatever graph)."""
    return hashlib.sha256(RECIPE + b"\npart\n" + digest.encode()).hexdigest()


def _node(graph: Graph) -> ox.NamedNode | ox.DefaultGraph:
    return ox.DefaultGraph() if graph is None else ox.NamedNode(graph)


def _graph(node: object) -> str:
    if not isinstance(node, ox.NamedNode):
        raise ValueError(f"dumps name their graphs by IRI, not {node}")
    return node.value


@dataclass
class Pieces:
    """The pieces of one store's dumps in `folder`: those already there (`ready`), and the
    graphs still to be read (`todo`), with their digest when the caller gave it.

    One publish at a time may use a folder (the build holds its publication's lock)."""

    folder: Path
    order: list[Graph]  # the graphs in dump order
    ready: dict[Graph, Piece]
    todo: list[tuple[Graph, str | None]]
    sources: Path | None = None  # graphs' N-Triples as the store writer keeps them (store.kept_file)

    @classmethod
    def of(cls, store: ox.Store, folder: Path, graph_digests: Mapping[str, str] | None = None,
           sources: Path | None = None) -> Pieces:
        """The pieces of `store` in `folder` (made if missing). `graph_digests` maps named graph
        IRIs to digests of their content (equal content, equal digest); a graph it lacks, and
        the default graph, is read to learn its digest, and pieced then if it needs to be.
        `sources` holds N-Triples documents of some graphs, named by their digest (the store
        writer's kept graphs), which a large graph is cut from rather than read from the store."""
        folder.mkdir(parents=True, exist_ok=True)
        digests = graph_digests or {}
        named = sorted(_graph(node) for node in store.named_graphs())
        default = next(iter(store.quads_for_pattern(None, None, None, ox.DefaultGraph())), None)
        order: list[Graph] = ([None] if default is not None else []) + named
        ready, todo = {}, []
        for graph in order:
            digest = digests.get(graph) if graph is not None else None
            piece = found(folder, graph, piece_key(graph, digest)) if digest is not None else None
            if piece is not None:
                ready[graph] = piece
            else:
                todo.append((graph, digest))
        return cls(folder, order, ready, todo, sources)

    def chunks(self, workers: int) -> Iterator[list[tuple[Graph, str | None]]]:
        """The graphs to read, in a few chunks a worker: the pieces to write are spread over the
        workers, and the many short page tasks queued after them even out the load."""
        size = max(1, math.ceil(len(self.todo) / (4 * workers)))
        for start in range(0, len(self.todo), size):
            yield self.todo[start:start + size]

    def add(self, made: Iterable[Piece]) -> None:
        """Take the pieces workers made (or found) for graphs of `todo`."""
        for piece in made:
            self.ready[piece.graph] = piece
        self.todo = [(graph, digest) for graph, digest in self.todo if graph not in self.ready]

    def done(self) -> list[Piece]:
        """Every graph's piece, in dump order: all of `todo` must have been made."""
        if self.todo:
            raise RuntimeError(f"{len(self.todo)} graphs have no pieces yet")
        return [self.ready[graph] for graph in self.order]

    def prune(self) -> None:
        """Delete every file of the folder but this store's pieces: those of graphs changed or
        gone since, and any left half-written (or scratch files left) by a publish that was stopped."""
        kept = {piece.key + PARTS for piece in self.ready.values()}
        kept |= {part + suffix for piece in self.ready.values() for part in piece.parts
                 for suffix in (TURTLE, NTRIPLES, JSONLD, RECORD)}
        for path in self.folder.iterdir():
            if path.name not in kept and path.is_file():
                path.unlink()
            elif path.name.startswith(".reading-") and path.is_dir():  # a graph's scratch files (make_pieces)
                shutil.rmtree(path, ignore_errors=True)


def found(folder: Path, graph: Graph, key: str) -> Piece | None:
    """The pieces under `key` if all of them are there, whole: a graph's record is written only
    after its parts', and a part's only after its pieces, whose sizes it gives."""
    try:
        record = json.loads((folder / (key + PARTS)).read_bytes())
        parts = tuple(str(part) for part in record["parts"])
        if any(found_part(folder, part) is None for part in parts):
            return None
        return Piece(graph, key, int(record["triples"]), parts)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def found_part(folder: Path, part: str) -> int | None:
    """The triple count of the part's pieces, if they are all there, whole."""
    try:
        record = json.loads((folder / (part + RECORD)).read_bytes())
        if any((folder / (part + suffix)).stat().st_size != size for suffix, size in record["sizes"].items()):
            return None
        return int(record["triples"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def make_pieces(store: ox.Store, folder: Path, graphs: Sequence[tuple[Graph, str | None]],
                sources: Path | None = None) -> list[Piece]:
    """Read each graph once and write its pieces into `folder`, unless they are there already
    (found by the digest of what was read, when none was given): a part's pieces are written
    only if they are not there either. Runs in a worker too.

    Oxigraph writes each graph to a scratch file, and a large one is cut into its parts from
    there a block at a time: memory holds a block and a part, never a whole graph (the
    resolved graph grows with the corpus). A large graph whose N-Triples `sources` holds
    (`store.kept_file`) is cut from that file instead."""
    made = []
    for graph, digest in graphs:
        if digest is not None and (piece := found(folder, graph, piece_key(graph, digest))) is not None:
            made.append(piece)  # pieced already (by another worker, or before the build was stopped)
            continue
        with tempfile.TemporaryDirectory(prefix=".reading-", dir=folder) as scratch:
            dumped = _source(sources, digest)
            triples = _count_lines(dumped) if dumped is not None else 0
            if triples <= SPLIT_LINES:  # no source, or one too small to cut: the store's
                dumped = Path(scratch) / "graph.nt"
                store.dump(str(dumped), format=ox.RdfFormat.N_TRIPLES, from_graph=_node(graph))
                triples = _count_lines(dumped)
            if triples <= SPLIT_LINES:  # one part, held: read once
                ntriples = dumped.read_bytes()
                parts = [(part_key(hashlib.sha256(ntriples).hexdigest()), lambda: ntriples)] if triples else []
                if digest is None:
                    digest = graph_digest(ntriples)
            else:
                parts = [(part_key(_sorted_digest(path)), lambda path=path: _canonical(path.read_bytes()))
                         for path in _split(dumped, triples, Path(scratch))]
                if digest is None:
                    # A part's key is a function of the graph's triples (see _split): a large
                    # graph is named by its parts', rather than sorted whole in memory.
                    digest = hashlib.sha256("".join(part for part, _ in parts).encode()).hexdigest()
            key = piece_key(graph, digest)
            piece = found(folder, graph, key)
            if piece is None:
                for part, read in parts:
                    if found_part(folder, part) is None:
                        _write_pieces(folder, part, read())
                piece = Piece(graph, key, triples, tuple(part for part, _ in parts))
                record = {"graph": graph, "triples": piece.triples, "parts": piece.parts}
                _write_atomically(folder / (key + PARTS), json.dumps(record).encode())
        made.append(piece)
    return made


def _source(sources: Path | None, digest: str | None) -> Path | None:
    """The file of `sources` holding the N-Triples of the graph with `digest`, if there is one."""
    if sources is None or digest is None:
        return None
    path = kept_file(sources, digest)
    return path if path.is_file() else None


def _sorted_digest(path: Path) -> str:
    """A digest of a part's lines whatever their order: what its key is made from."""
    return hashlib.sha256(b"".join(sorted(path.read_bytes().splitlines(keepends=True)))).hexdigest()


def _canonical(ntriples: bytes) -> bytes:
    """The triples of `ntriples` as the store holds and writes them, in sorted lines: a part's
    content whoever wrote the lines it was cut from and in whatever order. Through a store, not
    just Oxigraph's writer: a store keeps some literals in a form of its own ("0" typed
    xsd:nonNegativeInteger, as the build writes begin indexes, is held as an xsd:integer), and
    the dumps are the store's."""
    store = ox.Store()
    store.bulk_load(ntriples, format=ox.RdfFormat.N_TRIPLES)
    written = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    return b"".join(sorted(written.splitlines(keepends=True)))


READ_BYTES = 1 << 20  # a block read from a scratch file
HELD_BYTES = 64 << 20  # lines held for the parts before they are appended to their files


def _count_lines(path: Path) -> int:
    """The triples of an N-Triples file: one a line."""
    with path.open("rb") as source:
        return sum(block.count(b"\n") for block in iter(lambda: source.read(READ_BYTES), b""))


def _split(dumped: Path, triples: int, scratch: Path) -> list[Path]:
    """A large graph's N-Triples (the file `dumped`, of `triples` lines) cut into parts, files in
    `scratch`, in part order, the empty ones left out: a power of two of parts of about
    PART_LINES triples each, a triple in the part a hash of its subject gives (so an added
    article's few subjects change few parts). Which lines a part has is a function of the
    triples alone (a subject is hashed as written, and rdflib and Oxigraph write IRIs alike);
    their order is not (`_sorted_digest` and `_canonical` make it so). Lines are held
    HELD_BYTES at a time, then appended to their parts' files."""
    count = 1 << math.ceil(math.log2(triples / PART_LINES))
    held: list[list[bytes]] = [[] for _ in range(count)]
    paths = [scratch / f"part-{number}.nt" for number in range(count)]
    size = 0

    def append() -> None:
        for path, lines in zip(paths, held):
            if lines:
                with path.open("ab") as out:
                    out.writelines(lines)
                lines.clear()

    with dumped.open("rb") as source:
        for line in source:
            # The subject ends at the first space: N-Triples IRIs and blank node labels have none.
            held[zlib.crc32(line[:line.index(b" ")]) % count].append(line)
            size += len(line)
            if size >= HELD_BYTES:
                append()
                size = 0
    append()
    return [path for path in paths if path.exists()]


def _write_pieces(folder: Path, key: str, ntriples: bytes) -> None:
    pieces = {TURTLE: _turtle_body(ntriples), NTRIPLES: _gzip(ntriples), JSONLD: _gzip(_jsonld_nodes(ntriples))}
    for suffix, data in pieces.items():
        _write_atomically(folder / (key + suffix), data)
    record = {"triples": ntriples.count(b"\n"), "sizes": {suffix: len(data) for suffix, data in pieces.items()}}
    _write_atomically(folder / (key + RECORD), json.dumps(record).encode())


def _gzip(data: bytes) -> bytes:
    """A gzip member without name or time: the same dataset gives the same bytes (and checksum)."""
    return gzip.compress(data, compresslevel=6, mtime=0)


def _turtle_body(ntriples: bytes) -> bytes:
    """The graph in Turtle without its prefix lines, which the dumps write once. Oxigraph writes
    them in an order of its own: they are checked to be HEADER's lines, in any order."""
    if not ntriples:
        return b""
    turtle = ox.serialize(ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES), format=ox.RdfFormat.TURTLE,
                          prefixes=_prefixes())
    lines = turtle.split(b"\n", len(PREFIXES))
    if sorted(line + b"\n" for line in lines[:-1]) != sorted(HEADER.splitlines(keepends=True)):
        raise RuntimeError("Oxigraph's Turtle does not start with the expected prefix lines")
    return lines[-1]


def _jsonld_nodes(ntriples: bytes) -> bytes:
    """The graph's JSON-LD node objects, comma-separated, without the array around them."""
    document = ox.serialize(ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES), format=ox.RdfFormat.JSON_LD)
    if not (document.startswith(b"[") and document.endswith(b"]")):
        raise RuntimeError("Oxigraph's JSON-LD is not an array of node objects")
    return document[1:-1]


def _write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` by renaming a finished temporary file: a stopped writer leaves no
    partial file under the name."""
    with _replacing(path) as out:
        out.write(data)


@contextmanager
def _replacing(path: Path) -> Iterator[BinaryIO]:
    """A new file that replaces `path` once written. Made by `open`, as every other file of the site
    is, for their mode: mkstemp's (0600) left the dumps unreadable to a web server serving the site
    as another user."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    out = open(temporary, "xb")
    try:
        with out:
            yield out
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Format:
    """How a dump is put together from its pieces: what comes first, between pieces and last,
    and what wraps each graph's piece."""

    file: str
    title: str
    media_type: str
    compression: str | None
    piece: str  # the suffix of the piece files it is made of
    opening: bytes = b""
    separator: bytes = b""
    closing: bytes = b""
    wrap: Callable[[Graph], tuple[bytes, bytes]] = lambda graph: (b"", b"")


def _trig_block(graph: Graph) -> tuple[bytes, bytes]:
    """A named graph's Turtle in its TriG block; the default graph's stands alone."""
    return (b"", b"") if graph is None else (str(ox.NamedNode(graph)).encode() + b" {\n", b"}\n")


def _jsonld_graph(graph: Graph) -> tuple[bytes, bytes]:
    """A named graph's node objects in its graph object; the default graph's are top level."""
    if graph is None:
        return b"", b""
    return b'{"@id":' + json.dumps(graph, ensure_ascii=False).encode() + b',"@graph":[', b"]}"


# The dumps in the order they are listed.
FORMATS = (
    Format("newsgraph.ttl", "Turtle: union of all graphs", "text/turtle", None, TURTLE, opening=HEADER),
    Format("newsgraph.nt.gz", "N-Triples, gzip: union of all graphs", "application/n-triples", "application/gzip",
           NTRIPLES),
    Format("newsgraph.trig", "TriG: one named graph per article", "application/trig", None, TURTLE, opening=HEADER,
           wrap=_trig_block),
    Format("newsgraph.jsonld.gz", "JSON-LD, gzip: all named graphs", "application/ld+json", "application/gzip",
           JSONLD, opening=b"[", separator=b",", closing=b"]", wrap=_jsonld_graph),
)


def compose(store: ox.Store | None, folder: Path, pieces_folder: Path, pieces: Sequence[Piece], file: str) -> Dump:
    """Write dump `file` of FORMATS into `folder` from `pieces` (in dump order), hashing as it
    goes. Needs no store: it takes one only to run as a worker task."""
    form = next(form for form in FORMATS if form.file == file)
    folder.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    framing = bytearray()  # the dump's own bytes, written before the next piece
    with _replacing(folder / file) as out:
        def write(data: bytes) -> None:
            nonlocal size
            digest.update(data)
            size += out.write(data)

        def flush(last: bool = False) -> None:
            """Write the framing, as a gzip member when the dump is compressed (the last one even
            when empty, so that an empty dump is a gzip file still)."""
            if form.compression is None:
                write(bytes(framing))
            elif framing or (last and not size):
                write(_gzip(bytes(framing)))
            framing.clear()

        nonempty = [piece for piece in pieces if piece.triples]
        framing += form.opening
        for index, piece in enumerate(nonempty):
            before, after = form.wrap(piece.graph)
            framing += (form.separator if index else b"") + before
            for number, part in enumerate(piece.parts):  # a graph's parts are its triples, cut by subject
                framing += form.separator if number else b""
                flush()
                with (pieces_folder / (part + form.piece)).open("rb") as source:
                    for block in iter(lambda: source.read(1 << 20), b""):
                        write(block)
            framing += after
        framing += form.closing
        flush(last=True)
    return Dump(form.file, form.title, form.media_type, form.compression, size, digest.hexdigest(),
                sum(piece.triples for piece in pieces))


def write_dumps(store: ox.Store, folder: Path, pieces: Pieces | None = None) -> list[Dump]:
    """Write newsgraph.ttl, newsgraph.nt.gz, newsgraph.trig and newsgraph.jsonld.gz into `folder`,
    in this process, from `pieces` (those missing written first), or from pieces made afresh in
    a temporary folder."""
    if pieces is None:
        with tempfile.TemporaryDirectory(prefix="newsgraph-pieces-") as scratch:
            return write_dumps(store, folder, Pieces.of(store, Path(scratch)))
    pieces.add(make_pieces(store, pieces.folder, pieces.todo, pieces.sources))
    done = pieces.done()
    return [compose(store, folder, pieces.folder, done, form.file) for form in FORMATS]

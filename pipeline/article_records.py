"""Reuse the previous release's mapping and validation of the articles whose inputs are unchanged.

An article's published graph and its Validation are functions of
- what is mapped: its linked extraction and the event key of each of its event mentions
  (`mapping_inputs`);
- what every article shares: the base IRI, the code that maps, infers and validates, the
  ontology and the shapes (`fingerprint`);
- the resolved triples its validation graph is gathered from: the subjects its walk
  (validate_batch.walk) visited, as validation reads them (`SubjectDigests.of`: a node
  that is no subject has none, so one becoming a subject is a change too);
- the resolved triples about its own nodes (its article and mentions) and the links
  (ng:hasMention and what it entails) to its mentions (`SubjectDigests.own`): the only
  resolved triples its published graph can lose when the triples the resolved graph
  already publishes are taken out of its inferences, since an inferred triple's subject
  is one of its own nodes or one its walk starts from.

Each release records, per published article, those digests with its Validation and its
graph's digest (`articles.sqlite` beside graphs.json, a row per article); the next build
compares and, for an article none of whose inputs changed, takes both from the record and
tells the store writer its graph is unchanged, instead of mapping, inferring, validating
and serialising it again. A record that is missing, unreadable or made under another
fingerprint reuses nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from rdflib import URIRef

from .model import ArticleExtraction
from .reason import mention_links, ontology_files
from .validate import PackedValidation
from .validate_batch import Prepared, shapes_digest
from .vocab import Minter

log = logging.getLogger(__name__)

PACKAGE = Path(__file__).resolve().parent
# The modules whose code decides an article's graph or its Validation (validate*.py are in shapes_digest).
CODE = ("article_records.py", "build.py", "map.py", "model.py", "reason.py", "store.py", "vocab.py")
_ABSENT = object()


def fingerprint(base: str) -> str:
    """What every article's mapping and validation shares: base IRI, code, ontology, shapes, libraries."""
    digest = hashlib.sha256(f"{base}\0{shapes_digest()}".encode())
    for package in ("rdflib", "pyoxigraph"):
        digest.update(f"{package}={metadata.version(package)}".encode())
    for path in [PACKAGE / name for name in CODE] + list(ontology_files()):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def mapping_inputs(extraction: ArticleExtraction, event_keys: Iterable[str | None], stored: str | None = None) -> str:
    """A digest of what mapping the article reads: its linked extraction and the key of the event
    each of its event mentions was linked to (None when to none).

    The extraction is taken as `stored`, the digest of its value in the extraction cache
    (parallel.Extracted.digests), when linking left it as it was extracted; else whole, as its
    repr (the values are frozen dataclasses, tuples, strings and numbers, whose repr is their
    value), which took 13 s under the profiler for the 10,000 articles of a build that adds
    one. An article whose digest is made one way in one build and the other in the next is
    mapped again: never wrong.
    """
    value = stored if stored is not None else repr(extraction)
    return hashlib.sha256(repr((value, tuple(event_keys))).encode("utf-8")).hexdigest()


class SubjectDigests:
    """Digests of the resolved graph as the validation of one build reads it.

    `of(node)`: the node's triples in the materialised resolved graph, each marked with whether
    the published resolved graph has it, but for the links to mentions (an event's mentions in
    other articles change the validation of none, see `reason.mention_links`); None for a node
    that is no subject. `own(article)`: the resolved triples about the article's own nodes and
    the links to its mentions, which `of` leaves out.

    Made for a graph's articles (`of_articles`), `of` on demand; or given `own` and `of`
    as another SubjectDigests of the same graph `made` them (a build with several processes
    makes them in one while it goes on, see build.py).
    """

    def __init__(self, prepared: Prepared, unpublished: frozenset, minter: Minter,
                 made: tuple[dict[str, str], dict[str, str | None]]):
        # `unpublished`: the triples of `prepared` the published resolved graph leaves out
        self.prepared, self.unpublished, self.minter = prepared, unpublished, minter
        self._links = mention_links()
        self._own, self._known = made

    @classmethod
    def of_articles(cls, prepared: Prepared, unpublished: frozenset, minter: Minter,
                    article_ids: Iterable[str]) -> SubjectDigests:
        """The digests of the graph of these articles: `own` made for each now, `of` on demand."""
        digests = cls(prepared, unpublished, minter, ({}, {}))
        digests._own = digests._own_digests(set(article_ids))
        return digests

    def made(self, nodes: Iterable[str] | None = None) -> tuple[dict[str, str], dict[str, str | None]]:
        """`own` of every article and `of` of `nodes` (by default every subject but the mentions,
        half the subjects; one asked for later is made on demand), to be given to another
        SubjectDigests of the same graph."""
        if nodes is None:
            nodes = (str(s) for s in self.prepared.resolved if not s.startswith(self.minter.mention_prefix))
        for node in nodes:
            self.of(node)
        return self._own, self._known

    def of(self, node: str) -> str | None:
        if (digest := self._known.get(node, _ABSENT)) is _ABSENT:
            digest = self._known[node] = self._digest(URIRef(node))
        return digest

    def own(self, article_id: str) -> str:
        return self._own.get(article_id, "")

    def _digest(self, node: URIRef) -> str | None:
        triples = self.prepared.resolved.get(node)
        if triples is None:
            return None
        lines = sorted(f"{s} {p} {o} {int(t not in self.unpublished)}\n"
                       for t, (s, p, o) in zip(triples, self.prepared.lines_of(node))
                       if not self._to_mention(t))
        return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()[:32]

    def _to_mention(self, triple: tuple) -> bool:
        return triple[1] in self._links and isinstance(triple[2], URIRef) and \
            triple[2].startswith(self.minter.mention_prefix)

    def _article_of(self, node: URIRef) -> str | None:
        """The article a mention's IRI names ("<mention prefix><article id>/<start>-<end>")."""
        prefix = self.minter.mention_prefix
        return node[len(prefix):].rpartition("/")[0] if node.startswith(prefix) else None

    def _own_digests(self, article_ids: set[str]) -> dict[str, str]:
        """`own` of every article, in one pass over the resolved graph."""
        lines: dict[str, list[str]] = defaultdict(list)
        articles = {self.minter.article(a): a for a in article_ids}
        for subject, triples in self.prepared.resolved.items():
            owner = articles.get(subject) or self._article_of(subject)
            for triple, line in zip(triples, self.prepared.lines_of(subject)):
                if owner is None and self._to_mention(triple):
                    target = self._article_of(triple[2])
                else:
                    target = owner
                if target is not None:
                    lines[target].append(f"{' '.join(line)} {int(triple not in self.unpublished)}\n")
        return {a: hashlib.sha256("".join(sorted(ls)).encode("utf-8")).hexdigest()[:32] for a, ls in lines.items()}

    def is_own(self, article_id: str, node: str) -> bool:
        return node == str(self.minter.article(article_id)) or self._article_of(URIRef(node)) == article_id


@dataclass(frozen=True)
class ArticleRecord:
    """What one article's mapping and validation were made from, and what they gave (only an
    article that conforms has a record: it is published)."""

    inputs: str  # mapping_inputs
    own: str  # SubjectDigests.own
    nodes: tuple[str, ...]  # the nodes its walk visited, but its own
    graph: str  # the digest of its published graph (store.graph_digest)
    validation: PackedValidation  # stored and read back as packed, never decoded here


# A release's records: one row per article; its walk's nodes are numbers into `node`, which
# holds each node once with its digest in that build.
_SCHEMA = ("CREATE TABLE shared (fingerprint TEXT NOT NULL)",
           "CREATE TABLE node (number INTEGER PRIMARY KEY, iri TEXT NOT NULL, digest TEXT)",
           "CREATE TABLE article (id TEXT PRIMARY KEY, inputs TEXT NOT NULL, own TEXT NOT NULL, graph TEXT NOT NULL,"
           " nodes TEXT NOT NULL, validation BLOB NOT NULL, validation_digest TEXT NOT NULL)")


@dataclass(frozen=True)
class Records:
    """The article records of a release, and the digest each recorded node had."""

    fingerprint: str
    nodes: Mapping[str, str | None]
    articles: Mapping[str, ArticleRecord]

    @classmethod
    def read(cls, path: Path, expected: str) -> Records | None:
        """The records at `path`, or None when missing, unreadable or of another fingerprint."""
        try:
            with _records_db(path, expected) as db:
                if db is None:
                    return None
                nodes = db.execute("SELECT iri, digest FROM node ORDER BY number").fetchall()
                iris = [iri for iri, _ in nodes]
                articles = {a: ArticleRecord(inputs, own, tuple(iris[i] for i in json.loads(numbers)), graph,
                                             PackedValidation(True, _checked(packed, digest)))
                            for a, inputs, own, graph, numbers, packed, digest in db.execute(
                                "SELECT id, inputs, own, graph, nodes, validation, validation_digest FROM article")}
            return cls(expected, dict(nodes), articles)
        except (sqlite3.DatabaseError, ValueError, KeyError, TypeError, IndexError) as error:
            log.warning("article records: cannot read %s (%s): mapping every article", path, error)
            return None

    @staticmethod
    def nodes_of(path: Path, expected: str) -> list[str]:
        """The nodes the records at `path` name (what `changed_nodes` asks the digests of), none when
        they are missing, unreadable or of another fingerprint."""
        try:
            with _records_db(path, expected) as db:
                return [] if db is None else [iri for (iri,) in db.execute("SELECT iri FROM node")]
        except sqlite3.DatabaseError:
            return []

    def changed_nodes(self, digests: SubjectDigests) -> frozenset[str]:
        """The recorded nodes whose digest is another in `digests` (each asked once: the records
        of 10,000 articles name 257,572 nodes 4.3 million times)."""
        return frozenset(node for node, digest in self.nodes.items() if digests.of(node) != digest)

    def reusable(self, article_id: str, inputs: str, digests: SubjectDigests,
                 changed: frozenset[str]) -> ArticleRecord | None:
        """The article's record when nothing it was made from has changed (`changed`: the
        `changed_nodes` of `digests`)."""
        record = self.articles.get(article_id)
        if record is None or record.inputs != inputs or record.own != digests.own(article_id):
            return None
        return record if changed.isdisjoint(record.nodes) else None


def _validation_digest(packed: bytes) -> str:
    return hashlib.sha256(packed).hexdigest()[:32]


def _checked(packed: bytes, digest: str) -> bytes:
    """`packed` if it is what was written (its digest, checked instead of unpacking it: the
    validations of 10,000 articles took 5.4 s of CPU to unpack in a probe, 0.05 s to digest)."""
    if _validation_digest(packed) != digest:
        raise ValueError("a stored validation does not match its digest")
    return packed


@contextmanager
def _records_db(path: Path, expected: str) -> Iterator[sqlite3.Connection | None]:
    """The records database at `path`, read-only, or None when there is none or its fingerprint is
    not `expected` (a database that cannot be read raises sqlite3.DatabaseError)."""
    if not path.is_file():
        yield None
        return
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        yield db if db.execute("SELECT fingerprint FROM shared").fetchone() == (expected,) else None


def write(path: Path, fingerprint_: str, articles: Mapping[str, ArticleRecord], digests: SubjectDigests) -> None:
    """Write the records into a new file at `path`, each node once with its digest in this build."""
    numbers: dict[str, int] = {}
    rows = []
    for article_id in sorted(articles):
        record = articles[article_id]
        packed = record.validation.packed
        rows.append((article_id, record.inputs, record.own, record.graph,
                     json.dumps([numbers.setdefault(node, len(numbers)) for node in record.nodes]), packed,
                     _validation_digest(packed)))
    path.unlink(missing_ok=True)
    with closing(sqlite3.connect(path)) as db:
        for statement in _SCHEMA:
            db.execute(statement)
        db.execute("INSERT INTO shared VALUES (?)", (fingerprint_,))
        db.executemany("INSERT INTO node VALUES (?, ?, ?)",
                       ((number, node, digests.of(node)) for node, number in numbers.items()))
        db.executemany("INSERT INTO article VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        db.commit()

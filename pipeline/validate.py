"""The publication gate: SHACL validation of each article's graph.

The build validates every article's graph (merged with the resolved triples it refers
to) before publishing it; a graph with a Violation is quarantined, Warnings and Infos
are only reported. The shapes are data (shapes/*.ttl); this module loads them once,
runs pyshacl, and turns the standard SHACL report into values (`Validation`: results by
focus node, shape and message) that validation_report writes as the build's reports.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import zlib
from dataclasses import dataclass
from pathlib import Path

import click
import pyoxigraph
import pyshacl
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pyshacl.graph_abstraction import OxigraphDataGraph
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import SH

from pipeline.publication import NoPublication
from pipeline.reason import check_consistency, materialise, mention_links
from pipeline.store import open_read_only
from pipeline.vocab import PREFIXES

ROOT = Path(__file__).resolve().parent.parent
SHAPES_DIR = ROOT / "shapes"
TEMPLATES_DIR = ROOT / "site" / "templates"
SHAPES_NAMESPACE = "https://w3id.org/newsgraph/shapes#"
SEVERITIES = ("Violation", "Warning", "Info")
SEVERITY_ORDER = {s: i for i, s in enumerate(SEVERITIES)}  # most severe first


# Shapes of the endpoint's service description, not of the published data.
NOT_GATE_SHAPES = {"service-description.ttl"}


@functools.cache
def shapes_graph() -> Graph:
    """The shapes of the published data (shapes/*.ttl), parsed once. Do not modify it."""
    graph = Graph()
    for path in sorted(SHAPES_DIR.glob("*.ttl")):
        if path.name not in NOT_GATE_SHAPES:
            graph.parse(path, format="turtle")
    return graph


def _namespaces() -> Graph:
    graph = Graph(bind_namespaces="none")
    for name, namespace in PREFIXES.items():
        graph.bind(name, namespace)
    graph.bind("ngsh", SHAPES_NAMESPACE)
    graph.bind("sh", SH)
    return graph


_NAMES = _namespaces().namespace_manager


def report_prefixes() -> dict[str, str]:
    """The prefixes a published SHACL report is written with: ours, sh and the shapes' (ngsh)."""
    return {name: str(namespace) for name, namespace in _namespaces().namespaces() if name}


def curie(iri: URIRef) -> str:
    """An IRI as a prefixed name when one of our prefixes covers it, else in full."""
    try:
        return _NAMES.curie(iri, generate=False)
    except (KeyError, ValueError):
        return str(iri)


def _show(term) -> str:
    """A term as a person reads it: prefixed name, full IRI, or a short literal."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return curie(term)
    if isinstance(term, Literal):
        text = str(term)
        return repr(text if len(text) <= 80 else text[:77] + "...")
    if isinstance(term, BNode):
        return "[]"
    return str(term)


@dataclass(frozen=True)
class ValidationResult:
    """One SHACL result. `shape` is the SPARQL constraint when one fired, else the shape."""

    severity: str  # Violation | Warning | Info
    focus_node: str
    shape: str
    path: str
    value: str
    message: str
    component: str  # the SHACL constraint component, e.g. "sh:MinCountConstraintComponent"

    def __str__(self) -> str:
        where = f" {self.path}" if self.path else ""
        value = f" = {self.value}" if self.value else ""
        return f"[{self.severity}] {self.shape}{where}{value}: {self.message}"


@dataclass(frozen=True)
class Validation:
    """The outcome of validating one graph: it conforms when nothing is a Violation.

    The SHACL report is kept as N-Triples and parsed when asked for: a build sends every
    article's Validation from its mapping process to the parent, most of them taken from
    the validation cache or the last release's records, and pickling an rdflib graph of
    blank nodes cost more than the validation it came from. The report is canonical
    (`canonical_report`): blank nodes are labelled by what they say and lines are sorted,
    so the same results give the same string in every run, a result two reports share in
    content is one node when they are merged, and the published report is put together
    from the stored strings without reading them again (`write_merged_report`).
    """

    conforms: bool
    results: tuple[ValidationResult, ...]
    report: str  # the report graph as canonical N-Triples

    @classmethod
    def of_report(cls, report: Graph, results: tuple[ValidationResult, ...]) -> Validation:
        """The Validation of a report graph whose results are `results`."""
        return cls(conforms=not any(r.severity == "Violation" for r in results), results=results,
                   report=canonical_report(report.serialize(format="nt", encoding="utf-8")))

    @functools.cached_property
    def report_graph(self) -> Graph:
        return parse_report(Graph(), self.report)

    def __getstate__(self) -> dict:
        """What pickles: the fields, never the parsed report graph."""
        return {f: self.__dict__[f] for f in ("conforms", "results", "report")}

    def to_json(self) -> dict:
        """As JSON data (the validation cache, the article records), the report with the digest
        it is checked against when read back."""
        # vars, not dataclasses.asdict: the fields are strings, and asdict's deep copy took seconds
        # for the half million results of a 10,000-article build's records
        return {"conforms": self.conforms, "results": [dict(vars(r)) for r in self.results],
                "report": self.report, "report_digest": _report_digest(self.report)}

    @classmethod
    def from_json(cls, data: dict) -> Validation:
        """What `to_json` wrote. ValueError when its report is not the one written (a damaged cache
        or records file): the caller then validates again rather than publish a report nobody
        can read."""
        if _report_digest(data["report"]) != data["report_digest"]:
            raise ValueError("the stored SHACL report does not match its digest")
        return cls(conforms=data["conforms"], results=tuple(ValidationResult(**r) for r in data["results"]),
                   report=data["report"])

    def count(self, severity: str) -> int:
        return sum(1 for r in self.results if r.severity == severity)

    def by_focus_node(self) -> dict[str, list[ValidationResult]]:
        grouped: dict[str, list[ValidationResult]] = {}
        for result in self.results:
            grouped.setdefault(result.focus_node, []).append(result)
        return grouped

    @property
    def text(self) -> str:
        """The results grouped by focus node, most severe first."""
        lines = []
        for focus, results in self.by_focus_node().items():
            lines.append(focus)
            lines += [f"  {r}" for r in results]
        return "\n".join(lines)


@dataclass(frozen=True)
class PackedValidation:
    """A Validation as zlib-compressed JSON (`Validation.to_json`), with whether it conforms.

    What a build holds of each article's validation until its reports are written, and what
    the article records store: a 10,000-article build's 10,001 validations were 57 MiB packed,
    680 MiB of JSON unpacked and 555,903 results as objects (a probe), which the build's main
    process held from mapping to its end. Packed where it is made (in a mapping process)."""

    conforms: bool
    packed: bytes

    @classmethod
    def of(cls, validation: Validation) -> PackedValidation:
        return cls(validation.conforms, zlib.compress(json.dumps(validation.to_json()).encode("utf-8"), 1))

    def unpacked(self) -> Validation:
        """The Validation; ValueError (or zlib.error) when what was packed is damaged (`from_json`)."""
        return Validation.from_json(json.loads(zlib.decompress(self.packed)))


def _results(report: Graph) -> tuple[ValidationResult, ...]:
    results = []
    for node in report.subjects(SH.resultSeverity, None):
        one = functools.partial(report.value, node)
        constraint = one(SH.sourceConstraint)
        results.append(
            ValidationResult(
                severity=_show(one(SH.resultSeverity)).removeprefix("sh:"),
                focus_node=str(one(SH.focusNode)),
                shape=_show(constraint if isinstance(constraint, URIRef) else one(SH.sourceShape)),
                path=_show(one(SH.resultPath)),
                value=_show(one(SH.value)),
                message=_message(report, node),
                component=_show(one(SH.sourceConstraintComponent)),
            )
        )
    return tuple(sorted(results, key=lambda r: (r.focus_node, SEVERITY_ORDER.get(r.severity, 3), r.shape, r.value)))


def _message(report: Graph, result) -> str:
    """The result's message. Ours have one (shapes/prefixes.ttl says how the shapes keep it so),
    but SHACL allows several, one per language say: the least keeps the choice the same in every run."""
    return min((str(m) for m in report.objects(result, SH.resultMessage)), default="")


class _DataGraph(OxigraphDataGraph):
    """pyshacl's Oxigraph-backed data graph, answering bool() without counting.

    pyshacl evaluates `datagraph or shapes_graph` twice for every result it makes, and
    the Oxigraph-backed graph answers bool() with a COUNT(DISTINCT) of all its triples,
    so each Info result cost time proportional to the whole graph. The graph validated
    here always holds at least the article.
    """

    def __bool__(self) -> bool:
        return True


def validate_graph(data: Graph, materialised: bool = False) -> Validation:
    """Validate `data` as it will be published and stored.

    Shapes target our classes (ng:Actor, ng:Mention) while data types ng:ArmedGroup or
    ng:EventMention; the superclass triples that make the targets match are the ones
    the build materialises into the published graph, so they are added here too, unless
    `materialised` says `data` already holds them (as the published graphs do).

    The data is loaded into an in-memory Oxigraph store for pyshacl: SPARQL-based
    constraints then run in Oxigraph (pyshacl re-parses a query per focus node, which
    costs about a second per article graph in rdflib), and literals are checked as the
    published store holds them (Oxigraph canonicalises, e.g. xsd:nonNegativeInteger to
    xsd:integer).
    """
    store = pyoxigraph.Store()
    # One N-Triples document, so that blank nodes shared by the two graphs stay shared.
    graphs = (data,) if materialised else (data, materialise(data))
    triples = b"".join(g.serialize(format="nt", encoding="utf-8") for g in graphs)
    store.load(triples, pyoxigraph.RdfFormat.N_TRIPLES)
    _, report, _ = pyshacl.validate(
        _DataGraph(store), shacl_graph=shapes_graph(), inference="none", abort_on_first=False, allow_warnings=True
    )
    return Validation.of_report(report, _results(report))


def article_validation_graph(article: Graph, resolved: Graph) -> Graph:
    """An article's graph plus the resolved triples about what it refers to, transitively.

    This is what the build validates per article: its mentions' events with their
    participations, actors, places, geometries and countries, each event with the
    article's own mentions only (see `mention_links`).
    """
    graph = Graph()
    graph += article
    own = set(article.subjects())
    links = mention_links()
    seen: set = set()
    pending = [o for o in article.objects() if isinstance(o, URIRef)]
    while pending:
        node = pending.pop()
        if node in seen:
            continue
        seen.add(node)
        for triple in resolved.triples((node, None, None)):
            if triple[1] in links and isinstance(triple[2], URIRef) and triple[2] not in own:
                continue  # another article's mention (a value that is no IRI stays, to be judged)
            graph.add(triple)
            if isinstance(triple[2], URIRef):
                pending.append(triple[2])
    return graph


@functools.cache
def templates() -> Environment:
    """The Jinja environment of our pages (site/templates), escaping everything by default."""
    return Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(default=True))


def canonical_report(ntriples: bytes) -> str:
    """A SHACL report's N-Triples with each blank node labelled by a digest of what it says (its
    triples, and its blank objects', recursively) and the lines sorted: the same results give
    the same string whatever labels the validation happened to use.

    A report is a tree of blank nodes under its sh:ValidationReport. Two results that say the
    same (a warning on a resolved actor two articles reach) get one label. A blank node with no
    triples of its own (one of the validated data's) has nothing to be told apart by and keeps
    its label.
    """
    triples = list(pyoxigraph.parse(ntriples, format=pyoxigraph.RdfFormat.N_TRIPLES))
    described: dict[pyoxigraph.BlankNode, set[tuple]] = {}  # blank node -> its (predicate, object)s
    for triple in triples:
        if isinstance(triple.subject, pyoxigraph.BlankNode):
            described.setdefault(triple.subject, set()).add((triple.predicate, triple.object))
    labels: dict[pyoxigraph.BlankNode, pyoxigraph.BlankNode] = {}

    def stable(term):
        if not isinstance(term, pyoxigraph.BlankNode):
            return term
        if (label := labels.get(term)) is None:
            labels[term] = term  # a cycle, which a report never has, ends here
            if term not in described:
                return term
            lines = sorted(f"{p} {stable(o)}" for p, o in described[term])
            label = labels[term] = pyoxigraph.BlankNode(digest_label("\n".join(lines)))
        return label

    stable_triples = {pyoxigraph.Triple(stable(t.subject), t.predicate, stable(t.object)) for t in triples}
    written = pyoxigraph.serialize(stable_triples, format=pyoxigraph.RdfFormat.N_TRIPLES).decode("utf-8")
    return "".join(sorted(written.splitlines(keepends=True)))


def digest_label(text: str) -> str:
    return "r" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _report_digest(report: str) -> str:
    return hashlib.sha256(report.encode("utf-8")).hexdigest()


class _KeptLabels(dict):
    """A blank node context for rdflib's N-Triples parser that maps each label to itself."""

    def get(self, label, default=None):
        return label


def parse_report(graph: Graph, report: str) -> Graph:
    """`graph` with the triples of the N-Triples `report` added, blank nodes keeping their labels."""
    return graph.parse(data=report, format="nt", bnode_context=_KeptLabels())


@dataclass(frozen=True)
class Publication:
    """A built publication's graphs, read back from its store."""

    resolved: Graph
    articles: dict[str, Graph]  # by article id


def _graph(store: pyoxigraph.Store, name: pyoxigraph.NamedNode) -> Graph:
    data = io.BytesIO()
    store.dump(data, pyoxigraph.RdfFormat.N_TRIPLES, from_graph=name)
    return Graph().parse(data=data.getvalue(), format="nt")


def read_publication(out_dir: Path, limit: int | None = None) -> Publication:
    """Read the resolved graph and (up to `limit`) article graphs of the publication in OUT."""
    store = open_read_only(out_dir)
    resolved = Graph()
    names = {}
    for name in store.named_graphs():
        if name.value.endswith("/graph/resolved"):
            resolved += _graph(store, name)
        elif "/graph/article/" in name.value:
            names[name.value.rsplit("/graph/article/", 1)[1]] = name
    chosen = sorted(names)[:limit]
    return Publication(resolved, {article_id: _graph(store, names[article_id]) for article_id in chosen})


@click.command("validate")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("build"),
              show_default=True, help="The publication folder.")
def validate_command(out_dir: Path) -> None:
    """Validate the publication in OUT against the shapes; exit 1 on any violation."""
    try:
        publication = read_publication(out_dir)
    except NoPublication as error:
        click.echo(str(error), err=True)
        raise SystemExit(2) from None
    from pipeline.validate_batch import validate_articles  # they build on this module
    from pipeline.validation_report import format_report

    validations = validate_articles(publication.articles, publication.resolved)
    click.echo(format_report(validations))
    raise SystemExit(0 if all(v.conforms for v in validations.values()) else 1)


@click.group("ontology")
def ontology_group() -> None:
    """Check the ontology."""


@ontology_group.command("check")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("build"),
              show_default=True, help="A publication whose graphs are checked with the ontology.")
@click.option("--sample", default=5, show_default=True, help="How many article graphs to include.")
def check_command(out_dir: Path, sample: int) -> None:
    """Run HermiT on the ontology and a sample of the published graph; exit 1 if inconsistent.

    Without a publication in OUT, the ontology is checked alone.
    """
    data = Graph()
    try:
        publication = read_publication(out_dir, limit=sample)
    except NoPublication:
        click.echo(f"no publication in {out_dir}: checking the ontology alone")
    else:
        data += publication.resolved
        for graph in publication.articles.values():
            data += graph
        click.echo(f"ontology + resolved graph + {len(publication.articles)} article graphs of {out_dir}")
    outcome = check_consistency(data)
    click.echo(str(outcome))
    raise SystemExit(0 if outcome.consistent and not outcome.unsatisfiable else 1)

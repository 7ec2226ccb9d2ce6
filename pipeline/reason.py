"""Reasoning over the ontology: cheap materialisation for the build, HermiT for checks.

Plain SPARQL users ask `?x a sem:Actor` or `?e sem:hasPlace ?p`; no triple store we
publish to reasons, so the build adds the triples those queries need (superclasses,
superproperties, inverse properties) to the published graph. That closure only needs the
ontology's named class and property hierarchy, so it is computed once in plain Python
and applied per triple, instead of running an OWL reasoner per article.

Consistency of the ontology (and of a sample of the data against it) is the job of a
real reasoner: `newsgraph ontology check` runs HermiT through owlready2.
"""

from __future__ import annotations

import functools
import io
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from pipeline.vocab import NG, PREFIXES

ONTOLOGY_DIR = Path(__file__).resolve().parent.parent / "ontology"


def ontology_files() -> tuple[Path, ...]:
    """The ontology and its SKOS schemes, in a stable order."""
    return tuple(sorted(ONTOLOGY_DIR.glob("*.ttl")))


@functools.cache
def ontology_graph() -> Graph:
    """All of ontology/*.ttl in one graph, parsed once. Callers must not modify it."""
    graph = Graph()
    for name, namespace in PREFIXES.items():
        graph.bind(name, namespace)
    for path in ontology_files():
        graph.parse(path, format="turtle")
    return graph


@dataclass(frozen=True)
class Hierarchy:
    """What one asserted triple entails under the ontology's named hierarchy.

    `superclasses[C]` are the named classes every C is also an instance of;
    `entailed[p]` are the (property, inverted) pairs a `(s p o)` triple entails:
    `(s q o)`, or `(o q s)` when inverted.
    """

    superclasses: dict[URIRef, frozenset[URIRef]]
    entailed: dict[URIRef, frozenset[tuple[URIRef, bool]]]


def _named_links(graph: Graph, directed: Iterable[URIRef], symmetric: Iterable[URIRef]) -> dict:
    """Edges between named terms along the given predicates (blank nodes are axioms we skip)."""
    links: dict[URIRef, set[URIRef]] = {}
    for predicate in directed:
        for sub, sup in graph.subject_objects(predicate):
            if isinstance(sub, URIRef) and isinstance(sup, URIRef):
                links.setdefault(sub, set()).add(sup)
    for predicate in symmetric:
        for a, b in graph.subject_objects(predicate):
            if isinstance(a, URIRef) and isinstance(b, URIRef):
                links.setdefault(a, set()).add(b)
                links.setdefault(b, set()).add(a)
    return links


def _reachable(start, step) -> set:
    """Every state reachable from `start` by `step`, without `start` itself."""
    seen, queue = {start}, deque([start])
    while queue:
        for nxt in step(queue.popleft()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    seen.discard(start)
    return seen


def hierarchy_of(ontology: Graph) -> Hierarchy:
    """Compute the class and property closures of an ontology graph."""
    subclass = _named_links(ontology, [RDFS.subClassOf], [OWL.equivalentClass])
    subproperty = _named_links(ontology, [RDFS.subPropertyOf], [OWL.equivalentProperty])
    inverse = _named_links(ontology, [], [OWL.inverseOf])

    def property_step(state: tuple[URIRef, bool]):
        prop, inverted = state
        for sup in subproperty.get(prop, ()):
            yield sup, inverted
        for inv in inverse.get(prop, ()):
            yield inv, not inverted

    superclasses = {c: frozenset(_reachable(c, lambda x: subclass.get(x, ()))) for c in subclass}
    entailed = {
        p: frozenset(_reachable((p, False), property_step)) for p in set(subproperty) | set(inverse)
    }
    return Hierarchy(superclasses, entailed)


@functools.cache
def hierarchy() -> Hierarchy:
    """The hierarchy of our ontology, computed once per process."""
    return hierarchy_of(ontology_graph())


@functools.cache
def mention_links() -> frozenset[URIRef]:
    """The predicates from an event or entity to its mentions: ng:hasMention and what it
    entails (gaf:denotedBy).

    An article's validation graph keeps only those to the article's own mentions: with
    all of them, every article mentioning an event would change, and be validated again,
    whenever one more article mentions it. No shape needs the others (Event-hasMention
    needs one mention, which the article's own is). Pages show them as the mention list.
    """
    forwards = {p for p, inverted in hierarchy().entailed.get(NG.hasMention, ()) if not inverted}
    return frozenset({NG.hasMention} | forwards)


_TYPE = RDF.type  # looked up once: rdflib's RDF namespace answers an attribute slowly, and this runs per triple


def entailed(triples: Iterable[tuple], closure: Hierarchy | None = None) -> set[tuple]:
    """The triples entailed by superclass, superproperty and inverse property, less those given.

    Only new triples are returned, so the caller decides where they go (the build adds
    them to the published graph). Literals never become subjects: an inverse of a
    datatype property is skipped. Works on plain triples (sets or rdflib Graphs alike).
    """
    closure = closure or hierarchy()
    asserted = set(triples)
    found: set = set()
    for s, p, o in asserted:
        if p == _TYPE:
            found.update((s, _TYPE, cls) for cls in closure.superclasses.get(o, ()))
        for prop, inverted in closure.entailed.get(p, ()):
            if not inverted:
                found.add((s, prop, o))
            elif not isinstance(o, Literal):
                found.add((o, prop, s))
    return found - asserted


def materialise(data: Graph, closure: Hierarchy | None = None) -> Graph:
    """`entailed` as an rdflib Graph, for callers that query the inferences."""
    inferred = Graph()
    for triple in entailed(data, closure):
        inferred.add(triple)
    return inferred


@dataclass(frozen=True)
class Consistency:
    """What HermiT says of the ontology plus some data."""

    consistent: bool
    unsatisfiable: tuple[str, ...]  # IRIs of classes that can have no instance
    triples: int  # how many triples were reasoned over
    detail: str = ""  # the reasoner's explanation when inconsistent

    def __str__(self) -> str:
        lines = [f"{'consistent' if self.consistent else 'INCONSISTENT'} ({self.triples} triples)"]
        if self.detail:
            lines.append(self.detail)
        lines += [f"unsatisfiable class: {iri}" for iri in self.unsatisfiable]
        return "\n".join(lines)


def check_consistency(data: Graph | None = None) -> Consistency:
    """Run HermiT over the ontology and `data` in a fresh in-memory owlready2 World.

    A fresh World per call keeps checks independent and leaves no quadstore on disk.
    Literals of datatypes outside OWL 2's map (geo:wktLiteral, xsd:gYear) are ignored by
    HermiT rather than failing the whole check.
    """
    import owlready2

    graph = ontology_graph() + data if data is not None else ontology_graph()
    world = owlready2.World()
    ontology = world.get_ontology("https://w3id.org/newsgraph/check#").load(
        fileobj=io.BytesIO(graph.serialize(format="nt", encoding="utf-8")), format="ntriples"
    )
    try:
        with ontology:
            owlready2.sync_reasoner_hermit(world, debug=0, ignore_unsupported_datatypes=True)
    except owlready2.OwlReadyInconsistentOntologyError as error:
        return Consistency(False, (), len(graph), str(error).strip())
    unsatisfiable = tuple(sorted(c.iri for c in world.inconsistent_classes() if c is not owlready2.Nothing))
    return Consistency(True, unsatisfiable, len(graph))

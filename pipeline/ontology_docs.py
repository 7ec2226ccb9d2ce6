"""The ontology's documentation page: every class, property, individual and concept.

Read from the ontology graph itself (ontology/*.ttl), so the page cannot drift from what
is published: labels, definitions, alignments to other vocabularies, and the SKOS schemes
with their mappings. Terms of our namespace get an anchor named by their local name, so
`https://w3id.org/newsgraph/ns#Event` and `ontology.html#Event` name the same thing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from pipeline.reason import ontology_graph
from pipeline.validate import curie, templates
from pipeline.vocab import ACLED, NG, NGT, PLOVER, PREFIXES

ONTOLOGY_IRI = URIRef("https://w3id.org/newsgraph/ns")
SCHEMES = ((URIRef(str(NGT)), "ngt"), (URIRef(str(PLOVER)), "plover"), (URIRef(str(ACLED)), "acled"))

# What each section shows of a term, in this order: (heading, predicate, inverted?)
CLASS_RELATIONS = (
    ("subclass of", RDFS.subClassOf, False),
    ("equivalent to", OWL.equivalentClass, False),
    ("disjoint with", OWL.disjointWith, False),
    ("superclass of", RDFS.subClassOf, True),
)
PROPERTY_RELATIONS = (
    ("domain", RDFS.domain, False),
    ("range", RDFS.range, False),
    ("subproperty of", RDFS.subPropertyOf, False),
    ("inverse of", OWL.inverseOf, False),
    ("superproperty of", RDFS.subPropertyOf, True),
)
INDIVIDUAL_RELATIONS = (
    ("instance of", RDF.type, False),
    ("same as", OWL.sameAs, False),
)
CONCEPT_RELATIONS = (
    ("notation", SKOS.notation, False),
    ("broader", SKOS.broader, False),
    ("narrower", SKOS.broader, True),
    ("exact match", SKOS.exactMatch, False),
    ("close match", SKOS.closeMatch, False),
    ("broad match (broader)", SKOS.broadMatch, False),
    ("narrow match (narrower)", SKOS.narrowMatch, False),
    ("matched by", SKOS.exactMatch, True),
    ("closely matched by", SKOS.closeMatch, True),
    ("narrower match of", SKOS.broadMatch, True),
    ("note", SKOS.scopeNote, False),
)


@dataclass(frozen=True)
class Link:
    """A term as shown: its prefixed name, and where it points (an anchor on this page or its IRI)."""

    text: str
    href: str | None
    term: bool = True  # False for a literal value such as a note


@dataclass(frozen=True)
class Term:
    anchor: str
    iri: str
    name: str  # prefixed name
    label: str
    definition: str
    relations: tuple[tuple[str, tuple[Link, ...]], ...]
    characteristics: tuple[str, ...] = ()
    example: str | None = None
    depth: int = 0  # in a concept hierarchy


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    terms: tuple[Term, ...]
    description: str = ""


def _anchor(iri: URIRef) -> str | None:
    """Our terms and concepts have anchors on the page; other vocabularies' do not."""
    if str(iri).startswith(str(NG)):
        return str(iri)[len(str(NG)):]
    for scheme, prefix in SCHEMES:
        if str(iri).startswith(str(scheme)) and iri != scheme:
            return f"{prefix}-{str(iri)[len(str(scheme)):]}"
    return None


def _link(node) -> Link:
    """A term (linked to its anchor here or to its IRI) or a literal such as a note."""
    if isinstance(node, URIRef):
        anchor = _anchor(node)
        return Link(curie(node), f"#{anchor}" if anchor else str(node))
    return Link(str(node), None, term=False)


def _term(graph: Graph, iri: URIRef, relations, lookup, depth: int = 0) -> Term:
    rows = []
    for heading, predicate, inverted in relations:
        values = graph.subjects(predicate, iri) if inverted else graph.objects(iri, predicate)
        links = sorted({_link(v) for v in values if v != iri and v not in (OWL.NamedIndividual,)},
                       key=lambda link: link.text)
        if links:
            rows.append((heading, tuple(links)))
    characteristics = tuple(
        word for kind, word in ((OWL.FunctionalProperty, "functional"),
                                (OWL.InverseFunctionalProperty, "inverse functional"))
        if (iri, RDF.type, kind) in graph
    )
    label = graph.value(iri, RDFS.label) or graph.value(iri, SKOS.prefLabel) or curie(iri)
    definition = graph.value(iri, SKOS.definition) or graph.value(iri, RDFS.comment) or ""
    return Term(anchor=_anchor(iri) or str(iri), iri=str(iri), name=curie(iri), label=str(label),
                definition=str(definition), relations=tuple(rows), characteristics=characteristics,
                example=lookup(str(iri)) if lookup else None, depth=depth)


def _ours(graph: Graph, kind: URIRef) -> list[URIRef]:
    return sorted(s for s in graph.subjects(RDF.type, kind) if isinstance(s, URIRef) and str(s).startswith(str(NG)))


def _concepts_in_order(graph: Graph, scheme: URIRef) -> Iterable[tuple[URIRef, int]]:
    """Each concept of a scheme after its broader one: top concepts first, depth first."""
    def below(concept: URIRef, depth: int):
        yield concept, depth
        for narrower in sorted(graph.subjects(SKOS.broader, concept)):
            yield from below(narrower, depth + 1)

    top = sorted(graph.objects(scheme, SKOS.hasTopConcept), key=lambda c: str(graph.value(c, SKOS.prefLabel)))
    for concept in top:
        yield from below(concept, 0)


def documentation(graph: Graph | None = None, example_lookup: Callable[[str], str | None] | None = None) -> list[Section]:
    """The sections of the page, from the ontology graph."""
    graph = graph if graph is not None else ontology_graph()
    sections = [
        Section("classes", "Classes", tuple(_term(graph, c, CLASS_RELATIONS, example_lookup)
                                             for c in _ours(graph, OWL.Class))),
        Section("object-properties", "Object properties",
                tuple(_term(graph, p, PROPERTY_RELATIONS, example_lookup) for p in _ours(graph, OWL.ObjectProperty))),
        Section("datatype-properties", "Datatype properties",
                tuple(_term(graph, p, PROPERTY_RELATIONS, example_lookup) for p in _ours(graph, OWL.DatatypeProperty))),
        Section("individuals", "Individuals (roles, factuality values, date precisions, date origins)",
                tuple(_term(graph, i, INDIVIDUAL_RELATIONS, example_lookup)
                      for i in _ours(graph, OWL.NamedIndividual))),
    ]
    for scheme, prefix in SCHEMES:
        sections.append(Section(
            f"scheme-{prefix}", str(graph.value(scheme, SKOS.prefLabel)),
            tuple(_term(graph, c, CONCEPT_RELATIONS, example_lookup, depth)
                  for c, depth in _concepts_in_order(graph, scheme)),
            description=str(graph.value(scheme, SKOS.definition) or ""),
        ))
    return sections


def documented_terms(graph: Graph | None = None) -> list[str]:
    """The IRIs of every term the page documents, in page order."""
    return [term.iri for section in documentation(graph) for term in section.terms]


def render_ontology_docs(example_lookup: Callable[[str], str | None] | None = None) -> str:
    """The documentation page. `example_lookup(term_iri)` may give a link to an example in the data."""
    graph = ontology_graph()
    header = {
        "iri": str(ONTOLOGY_IRI),
        "title": str(graph.value(ONTOLOGY_IRI, DCTERMS.title)),
        "description": str(graph.value(ONTOLOGY_IRI, DCTERMS.description)),
        "version": str(graph.value(ONTOLOGY_IRI, OWL.versionInfo)),
        "version_iri": str(graph.value(ONTOLOGY_IRI, OWL.versionIRI)),
        "license": str(graph.value(ONTOLOGY_IRI, DCTERMS.license)),
        "namespace": str(NG),
    }
    return templates().get_template("ontology.html").render(
        ontology=header, sections=documentation(graph, example_lookup), prefixes=PREFIXES)

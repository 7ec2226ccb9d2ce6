"""The ontology and its SKOS schemes: complete against the graph contract, documented,
aligned, loadable by rdflib and owlready2, and the type queries users will write."""

from __future__ import annotations

import io
import re

import owlready2
import pyoxigraph
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from pipeline.reason import ONTOLOGY_DIR, ontology_files, ontology_graph
from pipeline.vocab import ACLED, GEO, NG, NGT, NIF, PLOVER, PROV, SCHEMA, SEM, TIME, WGS84

CORE_TYPES = ["TakeControl", "Withdraw", "Advance", "ArmedClash", "AirStrike", "Shelling", "MilitaryAid",
              "Deployment", "Evacuation", "Displacement", "LeadershipChange", "Agreement", "Consultation",
              "PropertyDestruction"]
PLOVER_CATEGORIES = ["AGREE", "CONSULT", "SUPPORT", "CONCEDE", "COOPERATE", "AID", "RETREAT", "REQUEST",
                     "ACCUSE", "REJECT", "THREATEN", "PROTEST", "SANCTION", "MOBILIZE", "COERCE", "ASSAULT"]
TERM_TYPES = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.NamedIndividual}


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return ontology_graph()


def ng_terms(graph: Graph) -> set[URIRef]:
    return {s for s, t in graph.subject_objects(RDF.type) if t in TERM_TYPES and str(s).startswith(str(NG))}


def test_every_term_of_the_graph_contract_is_declared(ontology):
    readme = (ONTOLOGY_DIR / "README.md").read_text(encoding="utf-8")
    used = {NG[name] for name in re.findall(r"\bng:([A-Za-z]+)", readme)}
    assert len(used) > 60
    assert used - ng_terms(ontology) == set()


def test_every_term_has_a_label_and_a_definition(ontology):
    terms = ng_terms(ontology)
    assert len(terms) > 80
    for term in terms:
        assert isinstance(ontology.value(term, RDFS.label), Literal), term
        assert ontology.value(term, SKOS.definition), term


def test_no_blank_nodes(ontology):
    """The ontology is published as a named graph that must compare equal across builds."""
    assert not [t for t in ontology if any(isinstance(term, BNode) for term in t)]


def test_ontology_header(ontology):
    header = URIRef("https://w3id.org/newsgraph/ns")
    assert (header, RDF.type, OWL.Ontology) in ontology
    assert str(ontology.value(header, OWL.versionIRI)).startswith(str(header) + "/")
    assert ontology.value(header, DCTERMS.license) == URIRef("https://creativecommons.org/licenses/by/4.0/")


def test_object_and_datatype_properties_have_domains(ontology):
    for kind in (OWL.ObjectProperty, OWL.DatatypeProperty):
        for prop in ontology.subjects(RDF.type, kind):
            # These hold for unions (an event or an entity), which would need blank nodes.
            if str(prop).startswith(str(NG)) and prop not in (NG.hasMention, NG.wikidataId, NG.country):
                assert ontology.value(prop, RDFS.domain) is not None, prop


@pytest.mark.parametrize("triple", [
    (NG.Event, RDFS.subClassOf, SEM.Event),
    (NG.Event, RDFS.subClassOf, SCHEMA.Event),
    (NG.Actor, RDFS.subClassOf, SEM.Actor),
    (NG.Actor, RDFS.subClassOf, PROV.Agent),
    (NG.Place, RDFS.subClassOf, SEM.Place),
    (NG.Place, RDFS.subClassOf, GEO.Feature),
    (NG.Place, RDFS.subClassOf, WGS84.SpatialThing),
    (NG.Article, RDFS.subClassOf, SCHEMA.NewsArticle),
    (NG.Mention, RDFS.subClassOf, NIF.String),
    (NG.Participation, RDFS.subClassOf, SEM.Role),
    (NG.DatePrecision, RDFS.subClassOf, TIME.TemporalUnit),
    (NG.DayPrecision, OWL.sameAs, TIME.unitDay),
    (NG.agent, RDFS.subPropertyOf, SEM.hasActor),
    (NG.place, RDFS.subPropertyOf, SEM.hasPlace),
    (NG.eventType, RDFS.subPropertyOf, SEM.eventType),
    (NG.source, RDFS.subPropertyOf, PROV.wasAttributedTo),
    (NG.beginIndex, RDFS.subPropertyOf, NIF.beginIndex),
    (NG.anchorOf, RDFS.subPropertyOf, NIF.anchorOf),
    (NG.refersTo, OWL.inverseOf, NG.hasMention),
    (NG.Event, OWL.disjointWith, NG.Actor),
], ids=lambda t: t if isinstance(t, str) else None)
def test_alignment_axiom(ontology, triple):
    assert triple in ontology


@pytest.mark.parametrize("path", ontology_files(), ids=lambda p: p.name)
def test_rdflib_and_owlready2_load_each_file(path):
    graph = Graph().parse(path, format="turtle")
    assert len(graph) > 100
    world = owlready2.World()
    loaded = world.get_ontology(f"https://w3id.org/newsgraph/test/{path.stem}#").load(
        fileobj=io.BytesIO(graph.serialize(format="nt", encoding="utf-8")), format="ntriples")
    assert len(list(world.individuals())) + len(list(loaded.classes())) > 10


def test_event_type_scheme(ontology):
    tops = set(ontology.objects(URIRef(str(NGT)), SKOS.hasTopConcept))
    assert tops == {NGT[name] for name in CORE_TYPES}
    for concept in ontology.subjects(SKOS.inScheme, URIRef(str(NGT))):
        assert ontology.value(concept, SKOS.prefLabel), concept
        assert ontology.value(concept, SKOS.definition), concept
    assert (NGT.TakeControlOfFacility, SKOS.broader, NGT.TakeControl) in ontology
    assert str(ontology.value(NGT.Withdraw, SKOS.definition)) == \
        "forces withdraw, retreat, pull out or are pushed out of a place"


def test_plover_and_acled_schemes(ontology):
    plover_tops = set(ontology.objects(URIRef(str(PLOVER)), SKOS.hasTopConcept))
    assert plover_tops == {PLOVER[name] for name in PLOVER_CATEGORIES}
    assert (PLOVER["ASSAULT-aerial"], SKOS.broader, PLOVER.ASSAULT) in ontology
    acled_tops = set(ontology.objects(URIRef(str(ACLED)), SKOS.hasTopConcept))
    assert len(acled_tops) == 6
    sub_events = {s for s, o in ontology.subject_objects(SKOS.broader) if o in acled_tops}
    assert len(sub_events) == 25
    assert str(ontology.value(ACLED.ArmedClash, SKOS.prefLabel)) == "Armed clash"


def test_every_mapping_points_at_a_declared_concept(ontology):
    mappings = [SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch]
    schemes = {URIRef(str(PLOVER)), URIRef(str(ACLED))}
    count = 0
    for concept in ontology.subjects(SKOS.inScheme, URIRef(str(NGT))):
        for mapping in mappings:
            for target in ontology.objects(concept, mapping):
                assert ontology.value(target, SKOS.inScheme) in schemes, (concept, mapping, target)
                count += 1
    assert count > 25


# "All ACLED 'Armed clash' events", "all PLOVER ASSAULT events": the questions the issue
# names, as a user would ask them on the endpoint, where the ontology graph is loaded
# beside the data (ontology/README.md gives the same query).
def type_query(concept: URIRef) -> str:
    return f"""
PREFIX ng: <https://w3id.org/newsgraph/ns#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?event WHERE {{
  ?event ng:eventType/skos:broader*/(skos:exactMatch|skos:closeMatch|skos:broadMatch)/skos:broader*
         <{concept}> .
}}"""


EVENTS = {
    "clash": "ArmedClash", "strike": "AirStrike", "drone": "DroneStrike", "capture": "TakeControlOfSettlement",
    "shelling": "Shelling", "statue": "PropertyDestruction", "talks": "Consultation", "exodus": "Displacement",
    "retreat": "Withdraw",
}


@pytest.fixture(scope="module")
def endpoint_store() -> pyoxigraph.Store:
    store = pyoxigraph.Store()
    for path in ontology_files():
        store.load(path.read_bytes(), pyoxigraph.RdfFormat.TURTLE)
    data = "".join(f"<http://127.0.0.1:5000/id/event/{key}> <{NG.eventType}> <{NGT[kind]}> .\n"
                   for key, kind in EVENTS.items())
    store.load(data.encode(), pyoxigraph.RdfFormat.N_TRIPLES)
    return store


def _events(store: pyoxigraph.Store, concept: URIRef) -> set[str]:
    return {row["event"].value.rsplit("/", 1)[1] for row in store.query(type_query(concept))}


def test_all_acled_armed_clash_events(endpoint_store):
    assert _events(endpoint_store, ACLED.ArmedClash) == {"clash"}


def test_all_plover_assault_events(endpoint_store):
    assert _events(endpoint_store, PLOVER.ASSAULT) == {"clash", "strike", "drone", "capture", "shelling", "statue"}

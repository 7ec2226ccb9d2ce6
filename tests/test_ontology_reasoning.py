"""Reasoning: the materialised inferences plain SPARQL relies on, and HermiT's checks."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph
import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, PROV, RDF, RDFS, SKOS

from pipeline.reason import check_consistency, hierarchy_of, materialise
from pipeline import publication
from pipeline.store import write_store
from pipeline.validate import check_command
from pipeline.vocab import NG, NIF, SCHEMA, SEM, Minter

VALID = Path(__file__).parent / "broken_graphs" / "valid.ttl"
BASE = "http://127.0.0.1:5000/id/"
HTS = URIRef(BASE + "actor/hayat-tahrir-al-sham")
HOMS = URIRef(BASE + "place/homs")
WITHDRAW = URIRef(BASE + "event/2024-12-06-withdraw-homs")
MENTION = URIRef(BASE + "mention/000-test/80-122")
DENIAL = URIRef(BASE + "mention/000-test/169-211")  # only its ng:refersTo is in the sample


@pytest.fixture(scope="module")
def sample() -> Graph:
    return Graph().parse(VALID, format="turtle")


@pytest.fixture(scope="module")
def inferred(sample) -> Graph:
    return materialise(sample)


@pytest.mark.parametrize("triple", [
    (HTS, RDF.type, NG.Organisation),
    (HTS, RDF.type, NG.Actor),
    (HTS, RDF.type, SEM.Actor),
    (HTS, RDF.type, PROV.Agent),
    (HTS, RDF.type, SCHEMA.Organization),
    (HOMS, RDF.type, SEM.Place),
    (MENTION, RDF.type, NG.Mention),
    (MENTION, RDF.type, NIF.String),
    (WITHDRAW, SEM.hasPlace, HOMS),
    (WITHDRAW, SEM.hasActor, URIRef(BASE + "actor/government-forces")),
    (WITHDRAW, NG.hasMention, DENIAL),  # the inverse of ng:refersTo
    (MENTION, PROV.wasAttributedTo, URIRef(BASE + "actor/syrian-observatory-for-human-rights")),
], ids=lambda t: str(t[1]).rsplit("/", 1)[-1] + "-" + str(t[2]).rsplit("/", 1)[-1])
def test_materialised_inference(inferred, triple):
    assert triple in inferred


def test_materialise_returns_only_new_triples(sample, inferred):
    assert len(inferred) > 50
    assert all(triple not in sample for triple in inferred)
    assert materialise(sample + inferred).__len__() == 0  # a fixpoint


def test_literals_never_become_subjects():
    ontology = Graph()
    ontology.add((NG.label2, OWL.inverseOf, NG.labelOf))
    data = Graph()
    data.add((HTS, NG.label2, Literal("HTS")))
    inferred = materialise(data, hierarchy_of(ontology))
    assert len(inferred) == 0


def test_hierarchy_follows_equivalence_and_chains():
    ontology = Graph()
    ontology.add((NG.A, RDFS.subClassOf, NG.B))
    ontology.add((NG.B, OWL.equivalentClass, NG.C))
    ontology.add((NG.C, RDFS.subClassOf, NG.D))
    ontology.add((NG.p, RDFS.subPropertyOf, NG.q))
    ontology.add((NG.q, OWL.inverseOf, NG.r))
    ontology.add((NG.r, RDFS.subPropertyOf, NG.s))
    closure = hierarchy_of(ontology)
    assert closure.superclasses[NG.A] == {NG.B, NG.C, NG.D}
    assert closure.entailed[NG.p] >= {(NG.q, False), (NG.r, True), (NG.s, True)}


def test_plain_sparql_finds_data_by_aligned_terms(sample, inferred):
    """What the build publishes lets `?x a sem:Actor` and `?e sem:hasPlace ?p` work."""
    store = pyoxigraph.Store()
    store.load((sample + inferred).serialize(format="nt", encoding="utf-8"), pyoxigraph.RdfFormat.N_TRIPLES)
    actors = {r["x"].value for r in store.query(f"SELECT ?x WHERE {{ ?x a <{SEM.Actor}> }}")}
    assert str(HTS) in actors and len(actors) == 5
    places = {r["p"].value for r in store.query(f"SELECT ?p WHERE {{ <{WITHDRAW}> <{SEM.hasPlace}> ?p }}")}
    assert places == {str(HOMS)}


def test_ontology_is_consistent_with_no_unsatisfiable_class():
    outcome = check_consistency()
    assert outcome.consistent and outcome.unsatisfiable == ()


def test_sample_data_is_consistent_with_the_ontology(sample, inferred):
    outcome = check_consistency(sample + inferred)
    assert outcome.consistent, str(outcome)


def test_inconsistent_addition_is_caught(sample):
    bad = Graph()
    bad += sample
    bad.add((HTS, RDF.type, NG.Event))  # an actor cannot be an event: the classes are disjoint
    outcome = check_consistency(bad)
    assert not outcome.consistent
    assert str(outcome).startswith("INCONSISTENT")


def test_unsatisfiable_class_is_reported():
    bad = Graph()
    bad.add((NG.EventfulActor, RDF.type, OWL.Class))
    bad.add((NG.EventfulActor, RDFS.subClassOf, NG.Event))
    bad.add((NG.EventfulActor, RDFS.subClassOf, NG.Actor))
    outcome = check_consistency(bad)
    assert outcome.consistent and outcome.unsatisfiable == (str(NG.EventfulActor),)


def _store(out_dir: Path, graphs: dict[URIRef, Graph]) -> None:
    """Publish `graphs` into OUT the way a build does: a release with its store, made current."""
    release = publication.stage(out_dir)
    store = write_store(release.store, graphs.items())
    del store  # closed before it is read
    publication.promote(out_dir, release)


def test_check_command_without_a_build(tmp_path):
    result = CliRunner().invoke(check_command, ["--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "checking the ontology alone" in result.output
    assert "\nconsistent (" in result.output


def test_check_command_on_a_build(tmp_path, sample):
    minter = Minter("http://127.0.0.1:5000/")
    _store(tmp_path, {minter.resolved_graph(): sample})
    result = CliRunner().invoke(check_command, ["--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "resolved graph + 0 article graphs" in result.output


def test_check_command_fails_on_an_inconsistent_build(tmp_path, sample):
    minter = Minter("http://127.0.0.1:5000/")
    bad = Graph()
    bad.add((HTS, RDF.type, NG.Event))
    bad.add((HTS, RDF.type, NG.ArmedGroup))
    bad.add((HTS, SKOS.prefLabel, Literal("HTS")))
    _store(tmp_path, {minter.resolved_graph(): sample, minter.article_graph("000-test"): bad})
    result = CliRunner().invoke(check_command, ["--out", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "INCONSISTENT" in result.output

"""The batch gate gives exactly the per-article results, and reuses them when nothing changed.

The per-article path (validate_graph of article_validation_graph, pyshacl) is the
reference: for every broken graph of the shape tests, for the seeds and for a generated
corpus with broken articles, the batch path (the core constraints compiled to Oxigraph
queries by validate_core, the SPARQL-based ones batched) must give each article the
same set of results, and must give them itself rather than by falling back to the
per-article path.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH, XSD

from conftest import ROOT, run_newsgraph
from pipeline import validate_batch, validate_core
from pipeline.validate import SHAPES_NAMESPACE, article_validation_graph, read_publication, validate_graph
from pipeline.validate_batch import batch_query, validate_articles
from pipeline.vocab import NG, WGS84
from test_shapes import CASES, ENTITY_MENTION, PREFIXES, VALID, _case_id, put


def _comparable(results) -> Counter:
    """The results as a multiset, blank-node focus nodes named alike (their labels are per run)."""
    return Counter(dataclasses.replace(r, focus_node="[]") if ":" not in r.focus_node else r for r in results)


def _per_article(articles: dict[str, Graph], resolved: Graph) -> dict[str, Counter]:
    return {a: _comparable(validate_graph(article_validation_graph(g, resolved)).results)
            for a, g in articles.items()}


def _batched(articles: dict[str, Graph], resolved: Graph, **options) -> dict[str, Counter]:
    return {a: _comparable(v.results) for a, v in validate_articles(articles, resolved, **options).items()}


@pytest.fixture
def fallbacks(monkeypatch) -> list:
    """The graphs the batch left to the per-article path (which still validates them)."""
    graphs: list = []

    def per_article(graph, materialised=False):
        graphs.append(graph)
        return validate_graph(graph, materialised=materialised)

    monkeypatch.setattr(validate_batch, "validate_graph", per_article)
    return graphs


@pytest.fixture(scope="module")
def valid_graph() -> Graph:
    return Graph().parse(VALID, format="turtle")


@pytest.mark.parametrize("shape, component, update", CASES, ids=[_case_id(c) for c in CASES])
def test_batch_finds_what_validate_graph_finds(valid_graph, fallbacks, shape, component, update):
    broken = Graph()
    broken += valid_graph
    broken.update(PREFIXES + update)
    expected = validate_graph(broken)
    batched = validate_articles({"000-test": broken}, Graph())["000-test"]
    assert fallbacks == []
    assert _comparable(batched.results) == _comparable(expected.results)
    assert batched.conforms is expected.conforms
    assert len(set(batched.report_graph.subjects(None, URIRef("http://www.w3.org/ns/shacl#ValidationResult")))) \
        == len(expected.results)


@pytest.mark.parametrize("path", ["pyshacl", "batch"])
def test_a_sparql_constraints_result_carries_its_own_message_only(valid_graph, fallbacks, path):
    """The node shape holding the constraint adds no message of its own to its results."""
    broken = Graph()
    broken += valid_graph
    broken.update(PREFIXES + put(ENTITY_MENTION, "ng:anchorOf", '"Hama"'))
    validation = (validate_graph(broken) if path == "pyshacl"
                  else validate_articles({"000-test": broken}, Graph())["000-test"])
    assert fallbacks == []
    report = validation.report_graph
    (result,) = report.subjects(SH.sourceConstraint, URIRef(SHAPES_NAMESPACE + "Mention-anchorMatchesText"))
    assert list(report.objects(result, SH.resultMessage)) == [Literal(
        "The mention's ng:anchorOf \"Hama\" is not the article's text between its ng:beginIndex and ng:endIndex")]


def test_target_goes_into_every_group():
    query = batch_query("SELECT $this WHERE { { $this ?p ?o } UNION { FILTER NOT EXISTS { $this ?q \"{\" } } }",
                        "T")
    assert query.count(" T ") == 4  # WHERE, both branches, the NOT EXISTS; not the string
    with pytest.raises(ValueError):
        batch_query("SELECT $this WHERE { VALUES ?x { 1 } }", "T")


def _break(articles: dict[str, Graph], resolved: Graph) -> None:
    """Break articles' own graphs and resolved nodes that several articles may reach, through
    SPARQL-based constraints and each kind of core constraint whose verdict is Python's."""
    ids = sorted(articles)
    first = articles[ids[0]]
    mention = next(first.subjects(NG.anchorOf, None))
    first.set((mention, NG.anchorOf, Literal("not the text")))
    mention = sorted(first.subjects(NG.beginIndex, None))[-1]
    first.set((mention, NG.beginIndex, Literal(10 ** 6)))  # after its end and its sentence (lessThan...)
    second = articles[ids[1]]
    article = next(second.subjects(NG.checksum, None))
    second.remove((article, NG.checksum, None))
    second.add((article, NG.sourceFile, Literal("")))  # two of them, one empty (maxCount, minLength)
    mention = next(second.subjects(NG.confidence, None))
    second.set((mention, NG.confidence, Literal("high", datatype=XSD.decimal)))  # ill-typed (datatype, range)
    third = articles[ids[-1]]
    mention = next(third.subjects(NG.confidence, None))
    third.set((mention, NG.confidence, Literal("1.5", datatype=XSD.decimal)))
    mention = next(third.subjects(NG.refersTo, None))
    third.set((mention, NG.refersTo, Literal("somewhere")))  # nodeKind
    event = sorted(resolved.subjects(NG.date, None))[0]
    resolved.set((event, NG.date, Literal("2024-02-31", datatype=XSD.date)))
    actor = sorted(resolved.subjects(NG.wikidataId, None))[0]
    resolved.set((actor, NG.wikidataId, Literal("P31")))  # pattern
    event = sorted(resolved.subjects(NG.place, None))[-1]
    resolved.set((event, NG.place, actor))  # class
    place = sorted(resolved.subjects(WGS84.lat, None))[0]
    resolved.set((place, WGS84.lat, Literal("north")))  # datatype, incomparable range
    # Events that several articles mention: each article's validation graph holds its own
    # mentions of them only, and the batch's union all of them (ReadAround.growable).
    owner = {m: a for a, graph in articles.items() for m in graph.subjects(NG.anchorOf, None)}
    shared = sorted(e for e in set(resolved.subjects(NG.hasMention, None))
                    if len({owner.get(m) for m in resolved.objects(e, NG.hasMention)} - {None}) > 1)
    assert len(shared) >= 2, "the corpus should have events that several articles mention"
    resolved.add((shared[0], NG.hasMention, Literal("a mention")))  # nodeKind, for every article reaching it
    for mention in [m for m in resolved.objects(shared[1], NG.hasMention) if m in owner][:1]:
        resolved.remove((shared[1], NG.hasMention, mention))  # minCount, for that mention's article only


def _assert_same(out: Path, batch_size: int, fallbacks: list) -> None:
    publication = read_publication(out)
    articles, resolved = dict(publication.articles), publication.resolved
    _break(articles, resolved)
    expected = _per_article(articles, resolved)
    assert sum(1 for results in expected.values() if any(r.severity == "Violation" for r in results)) >= 3
    components = {r.component for results in expected.values() for r in results}
    assert {"sh:LessThanConstraintComponent", "sh:MinLengthConstraintComponent", "sh:PatternConstraintComponent",
            "sh:DatatypeConstraintComponent", "sh:MaxInclusiveConstraintComponent",
            "sh:ClassConstraintComponent", "sh:NodeKindConstraintComponent",
            "sh:MinCountConstraintComponent"} <= components
    fallbacks.clear()
    assert _batched(articles, resolved, batch_size=batch_size) == expected
    assert len(fallbacks) < len(articles) / 2  # the batch path itself gave most of them


def test_batch_equals_per_article_on_the_seeds(built_seeds, fallbacks):
    _assert_same(built_seeds, batch_size=2, fallbacks=fallbacks)


@pytest.fixture(scope="module")
def built_corpus(tmp_path_factory) -> Path:
    corpus = tmp_path_factory.mktemp("corpus")
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate_corpus.py"), "8", str(corpus)], check=True,
                   capture_output=True)
    out = tmp_path_factory.mktemp("corpus-build")
    result = run_newsgraph("build", str(corpus), "--out", str(out))
    assert result.returncode in (0, 2), result.stderr
    return out


def test_batch_equals_per_article_on_a_generated_corpus(built_corpus, fallbacks):
    _assert_same(built_corpus, batch_size=3, fallbacks=fallbacks)


def _shapes(*constraint: tuple) -> Graph:
    shape, shapes = URIRef("urn:x:S"), Graph()
    for triple in [(shape, RDF.type, SH.PropertyShape), (shape, SH.targetClass, RDFS.Resource),
                   (shape, SH.path, RDFS.label), (shape, SH.message, Literal("m")), *constraint]:
        shapes.add(triple)
    return shapes


def test_core_constraints_of_other_forms_are_refused():
    shape = URIRef("urn:x:S")
    assert len(list(validate_core._checks_of(_shapes((shape, SH.minCount, Literal(1))), shape))) == 1
    listed = BNode()
    for constraint in [(shape, SH["or"], listed), (shape, SH.maxLength, Literal(3)), (shape, SH.flags, Literal("i")),
                       (shape, SH.property, listed), (shape, SH.targetNode, shape), (shape, SH.datatype, RDFS.Literal)]:
        with pytest.raises(ValueError):
            list(validate_core._checks_of(_shapes(constraint), shape))


def test_cache_is_used_and_invalidated(built_corpus, tmp_path, monkeypatch):
    publication = read_publication(built_corpus)
    articles, resolved = dict(publication.articles), publication.resolved
    validated: list[str] = []
    run_batch = validate_batch._validate_one_batch

    def counting(own, prepared):
        validated.extend(own)
        return run_batch(own, prepared)

    monkeypatch.setattr(validate_batch, "_validate_one_batch", counting)
    cache = tmp_path / "validate"
    first = _batched(articles, resolved, cache_dir=cache)
    assert sorted(validated) == sorted(articles)

    validated.clear()
    assert _batched(articles, resolved, cache_dir=cache) == first
    assert validated == []

    changed = sorted(articles)[0]
    mention = next(articles[changed].subjects(NG.anchorOf, None))
    articles[changed].set((mention, NG.anchorOf, Literal("not the text")))
    again = _batched(articles, resolved, cache_dir=cache)
    assert validated == [changed]
    assert again[changed] == _per_article({changed: articles[changed]}, resolved)[changed]

    validated.clear()
    monkeypatch.setattr(validate_batch, "shapes_digest", lambda: "0" * 64)
    _batched(articles, resolved, cache_dir=cache)
    assert sorted(validated) == sorted(articles)
    assert [p.name for p in cache.iterdir()] == ["0" * 16]


def test_validation_triples_are_the_article_validation_graph(built_seeds):
    """The batch's validation graphs are the reference's, and hold no other article's mention."""
    publication = read_publication(built_seeds)
    resolved = publication.resolved
    by_subject = validate_batch._by_subject(resolved)
    for article_id, graph in publication.articles.items():
        triples = validate_batch.validation_triples(set(graph), by_subject)
        assert triples == set(article_validation_graph(graph, resolved)), article_id
        mentions = {o for _, p, o in triples if p == NG.hasMention}
        assert mentions and mentions <= set(graph.subjects()), article_id


def test_an_article_joining_an_event_leaves_the_others_validation_graphs(built_seeds):
    """One more mention of an event the seeds report changes no other article's validation digest
    (so none is validated again), while its own graph lists its mention."""
    from pipeline.extract import extract, load_nlp
    from pipeline.ingest import ingest
    from pipeline.link import event_keys, link
    from pipeline.map import map_article_graph, map_resolved, mention_events
    from pipeline.model import Article, DateOrigin
    from pipeline.reason import entailed
    from pipeline.vocab import Minter

    nlp, minter = load_nlp(), Minter()
    seeds = [extract(a, nlp) for a in ingest([ROOT / "seeds"]).articles]
    text = "Syrian opposition forces entered the suburbs of Homs."
    added = extract(Article(id="005_added", source_name="005_added.txt", path="005_added.txt", text=text,
                            prose=text, checksum="sha256:" + "0" * 64, date=seeds[1].article.date,
                            date_origin=DateOrigin.METADATA), nlp)

    def digests(extractions, previous=None):
        corpus = link(extractions, previous)
        prepared = validate_batch.prepare(map_resolved(corpus, minter).triples)
        events = mention_events(corpus)
        graphs = {a: map_article_graph(x, events, minter).triples for a, x in corpus.extractions.items()}
        return corpus, {a: validate_batch.content_digest(validate_batch.validation_lines(g | entailed(g), prepared))
                        for a, g in graphs.items()}

    before, old = digests(seeds)
    after, new = digests([*seeds, added], event_keys(before))
    joined = [e for e in after.events if {a for a, _ in e.mentions} > {"005_added"}]
    assert joined, "the added article should mention an event of the seeds"
    assert {a: new[a] for a in old} == old

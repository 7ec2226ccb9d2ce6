"""The scorer on tiny hand-made gold files and published graphs."""

from __future__ import annotations

import json

import pyoxigraph
import pytest

from pipeline.evaluate import (Published, evaluate, factuality_of, format_table, read_gold, score, to_json)

NG = "https://w3id.org/newsgraph/ns#"
NGT = "https://w3id.org/newsgraph/event-type/"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SKOS = "http://www.w3.org/2004/02/skos/core#"


def gold_file(tmp_path, articles: dict) -> str:
    path = tmp_path / "gold.json"
    path.write_text(json.dumps({"version": 1, "articles": articles}), encoding="utf-8")
    return str(path)


def g(id_, type_="TakeControl", place=None, agent=(), target=(), recipient=(), date=None, factuality="fact",
      sources=(), denied_by=None, cluster=None):
    event = {"id": id_, "type": type_, "evidence": "x", "agent": list(agent), "target": list(target),
             "recipient": list(recipient), "place": place, "date": date, "factuality": factuality,
             "sources": list(sources), "cluster": cluster or id_}
    if denied_by:
        event["denied_by"] = list(denied_by)
    return event


def p(event, type_="TakeControl", ids=(), names=(), agents=(), participants=(), date=None, fact=("fact",),
      sources=()):
    return Published(event, type_, frozenset(ids), frozenset(names), frozenset(agents), frozenset(participants),
                     date, frozenset(fact), frozenset(sources))


HOMS = {"name": "Homs", "geonames": 169577, "alt": ["Hims"]}


def test_a_perfect_match(tmp_path):
    gold = read_gold(gold_file(tmp_path, {"a.txt": {"events": [
        g("e1", place=HOMS, agent=["rebels"], target=["the army"], date="2024-12-06", sources=["SOHR"])]}}))
    result = score(gold, {"a.txt": [p("x", ids=[169577], agents=["rebels"], participants=["army"],
                                      date="2024-12-06", sources=["sohr"])]})
    assert (result.events.precision, result.events.recall, result.events.f1) == (1.0, 1.0, 1.0)
    assert set(result.arguments.values()) == {1.0}


def test_place_by_geonames_id_when_both_have_one_else_by_name(tmp_path):
    gold = read_gold(gold_file(tmp_path, {"a.txt": {"events": [
        g("e1", place=HOMS), g("e2", place={"name": "Moluccas checkpoint", "alt": ["Moluccas"]})]}}))
    wrong_id = score(gold, {"a.txt": [p("x", ids=[1], names=["homs"])]})
    assert wrong_id.events.matched == 0  # both have ids and they differ: the name does not rescue it
    by_name = score(gold, {"a.txt": [p("x", names=["hims"]), p("y", names=["the moluccas"])]})
    assert by_name.events.matched == 1  # "hims" has no id but names match; "the moluccas" folds to no alt
    assert score(gold, {"a.txt": [p("y", names=["moluccas"])]}).events.matched == 1


def test_without_a_gold_place_the_agent_must_match(tmp_path):
    gold = read_gold(gold_file(tmp_path, {"a.txt": {"events": [g("e1", agent=["HTS"])]}}))
    assert score(gold, {"a.txt": [p("x", agents=["rebels"])]}).events.matched == 0
    assert score(gold, {"a.txt": [p("x", agents=["hts"])]}).events.matched == 1


def test_one_to_one_matching_and_counts(tmp_path):
    gold = read_gold(gold_file(tmp_path, {"a.txt": {"events": [g("e1", place=HOMS), g("e2", place=HOMS)]}}))
    result = score(gold, {"a.txt": [p("x", ids=[169577]), p("y", "Withdraw", ids=[169577]),
                                    p("z", "Protest", ids=[169577])]})  # not a core type: ignored
    assert (result.events.gold, result.events.extracted, result.events.matched) == (2, 2, 1)
    assert (result.events.precision, result.events.recall) == (0.5, 0.5)
    assert result.per_type["TakeControl"].recall == 0.5 and result.per_type["Withdraw"].precision == 0.0


def test_month_dates_match_any_day_of_the_month(tmp_path):
    gold = read_gold(gold_file(tmp_path, {"a.txt": {"events": [g("e1", place=HOMS, date="2024-11")]}}))
    assert score(gold, {"a.txt": [p("x", ids=[169577], date="2024-11-29")]}).arguments["date"] == 1.0
    assert score(gold, {"a.txt": [p("x", ids=[169577], date="2024-12-01")]}).arguments["date"] == 0.0


def test_arguments_count_only_where_the_gold_states_them(tmp_path):
    gold = read_gold(gold_file(tmp_path, {"a.txt": {"events": [g("e1", place=HOMS)]}}))
    result = score(gold, {"a.txt": [p("x", ids=[169577], agents=["rebels"], date="2024-12-06")]})
    assert result.argument_counts["agent"] == (0, 0) and result.argument_counts["date"] == (0, 0)
    assert result.argument_counts["place"] == (1, 1) and result.argument_counts["factuality"] == (1, 1)


def test_no_gold_source_means_none_may_be_published(tmp_path):
    gold = read_gold(gold_file(tmp_path, {"a.txt": {"events": [g("e1", place=HOMS)]}}))
    assert score(gold, {"a.txt": [p("x", ids=[169577])]}).arguments["source"] == 1.0
    assert score(gold, {"a.txt": [p("x", ids=[169577], sources=["reuters"])]}).arguments["source"] == 0.0


def test_denial_sources_are_pooled_with_sources(tmp_path):
    gold = read_gold(gold_file(tmp_path, {"a.txt": {"events": [
        g("e1", place=HOMS, factuality="negated", sources=["state TV"], denied_by=["Syrian army"])]}}))
    result = score(gold, {"a.txt": [p("x", ids=[169577], fact=("negated",), sources=["syrian army"])]})
    assert result.arguments["source"] == 1.0 and result.arguments["factuality"] == 1.0


def test_factuality_mapping():
    assert factuality_of("certain", "negative", "future") == "negated"
    assert factuality_of("probable", "positive", "future") == "future"
    assert factuality_of("possible", "positive", "past") == "possible"
    assert factuality_of("probable", "positive", "past") == "probable"
    assert factuality_of("certain", "positive", "past") == "fact"


def test_pairwise_coreference_across_articles(tmp_path):
    gold = read_gold(gold_file(tmp_path, {
        "a.txt": {"events": [g("a1", place=HOMS, cluster="c1"), g("a2", "Withdraw", place=HOMS, cluster="c2")]},
        "b.txt": {"events": [g("b1", place=HOMS, cluster="c1"), g("b2", "Withdraw", place=HOMS, cluster="c2")]},
        "c.txt": {"events": [g("c1", place=HOMS, cluster="c1")]}}))
    published = {"a.txt": [p("E1", ids=[169577]), p("W1", "Withdraw", ids=[169577])],
                 "b.txt": [p("E1", ids=[169577]), p("W2", "Withdraw", ids=[169577])],
                 "c.txt": [p("E1", ids=[169577])]}
    # gold pairs: (a1,b1) (a1,c1) (b1,c1) (a2,b2); said: the three E1 pairs: 3 right of 3 said, 3 of 4 found
    assert score(gold, published).coreference == {"precision": 1.0, "recall": 0.75, "f1": 0.8571}


def test_output_formats(tmp_path):
    gold = read_gold(gold_file(tmp_path, {"a.txt": {"events": [g("e1", place=HOMS)]}}))
    result = score(gold, {"a.txt": [p("x", ids=[169577])]})
    data = to_json(result)
    assert set(data) == {"events", "per_type", "arguments", "coreference"}
    assert set(data["events"]) == {"precision", "recall", "f1", "gold", "extracted", "matched"}
    assert set(data["arguments"]) == {"agent", "participant", "place", "date", "factuality", "source"}
    assert "TakeControl" in format_table(result) and "Coreference" in format_table(result)


def test_a_bad_gold_file_is_named(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(Exception, match="bad.json"):
        read_gold(path)


def test_reads_the_published_graph_through_sparql(tmp_path):
    """A tiny graph in the published shape, in a real Oxigraph store."""
    base = "http://example.org/"
    store = pyoxigraph.Store()
    n = pyoxigraph.NamedNode
    lit = pyoxigraph.Literal
    article, event, mention = n(base + "id/article/a"), n(base + "id/event/e"), n(base + "id/mention/a/0-5")
    homs, rebels, sohr = n(base + "id/place/homs"), n(base + "id/actor/rebels"), n(base + "id/actor/sohr")
    graph = n(base + "graph/article/a")
    resolved = n(base + "graph/resolved")
    quads = [
        (article, n(NG + "sourceFile"), lit("a.txt"), graph),
        (mention, n(RDF_TYPE), n(NG + "EventMention"), graph),
        (mention, n(NG + "inArticle"), article, graph),
        (mention, n(NG + "refersTo"), event, graph),
        (mention, n(NG + "certainty"), n(NG + "Probable"), graph),
        (mention, n(NG + "polarity"), n(NG + "Positive"), graph),
        (mention, n(NG + "tense"), n(NG + "PastOrPresent"), graph),
        (mention, n(NG + "source"), sohr, graph),
        (event, n(RDF_TYPE), n(NG + "Event"), resolved),
        (event, n(NG + "eventType"), n(NGT + "Withdraw"), resolved),
        (event, n(NG + "agent"), rebels, resolved),
        (event, n(NG + "place"), homs, resolved),
        (event, n(NG + "date"), lit("2024-12-06", datatype=n("http://www.w3.org/2001/XMLSchema#date")), resolved),
        (homs, n(NG + "geonamesId"), lit("169577", datatype=n("http://www.w3.org/2001/XMLSchema#integer")), resolved),
        (homs, n(RDFS_LABEL), lit("Homs"), resolved),
        (rebels, n(RDFS_LABEL), lit("Syrian rebels"), resolved),
        (rebels, n(SKOS + "altLabel"), lit("opposition forces"), resolved),
        (sohr, n(RDFS_LABEL), lit("Syrian Observatory for Human Rights"), resolved),
    ]
    store.extend([pyoxigraph.Quad(*q) for q in quads])
    path = gold_file(tmp_path, {"a.txt": {"events": [
        g("e1", "Withdraw", place=HOMS, agent=["opposition forces"], date="2024-12-06", factuality="probable",
          sources=["Syrian Observatory for Human Rights", "SOHR"])]}})
    result = evaluate(path, store)
    assert result.events.matched == 1
    assert result.arguments == {"agent": 1.0, "participant": 0.0, "place": 1.0, "date": 1.0, "factuality": 1.0,
                                "source": 1.0}

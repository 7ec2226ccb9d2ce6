"""The example gallery against the seeds as the real build publishes them."""

from __future__ import annotations

from collections import Counter

import pyoxigraph
import pytest
import requests

from conftest import ROOT
from pipeline.endpoint_page import load_examples

EXAMPLES = load_examples()
# The questions the seeds can answer whatever the extractor's recall: places taken,
# the articles, one outlet's reporting, and the evidence behind events.
MUST_ANSWER = {"01-places-changed-hands", "09-reported-by-one-outlet", "10-articles-and-outlets",
               "11-evidence-for-an-event"}


def _bindings(server, query: str) -> list[dict]:
    """The JSON results' rows of a query POSTed to the seeds' endpoint, which must answer 200."""
    response = requests.post(server.url + "/sparql", data={"query": query},
                             headers={"Accept": "application/sparql-results+json"}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()["results"]["bindings"]


def test_the_key_examples_are_in_the_gallery():
    assert MUST_ANSWER <= {example.name for example in EXAMPLES}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda example: example.name)
def test_each_example_runs_on_the_built_seeds(seeds_server, example):
    rows = _bindings(seeds_server, example.query)
    if example.name in MUST_ANSWER:
        assert rows, f"{example.name} found nothing in the seeds"


# 04's first form: every assertion of an event paired with every denial of it, which grows with
# the square of an event's mentions. The gallery's form must name the same people on each side.
PAIRED = """PREFIX ng: <https://w3id.org/newsgraph/ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?event ?assertedBy ?deniedBy WHERE {
  ?event ng:hasMention ?claim, ?counter .
  ?claim ng:polarity ng:Positive ; ng:inArticle ?claimArticle .
  FILTER NOT EXISTS { ?claim ng:tense ng:Future }
  ?counter ng:polarity ng:Negative ; ng:inArticle ?counterArticle .
  OPTIONAL { ?claim ng:source/rdfs:label ?claimSource }
  OPTIONAL { ?claimArticle ng:outletName ?claimOutlet }
  OPTIONAL { ?counter ng:source/rdfs:label ?counterSource }
  OPTIONAL { ?counterArticle ng:outletName ?counterOutlet }
  BIND (COALESCE(?claimSource, ?claimOutlet, STR(?claimArticle)) AS ?assertedBy)
  BIND (COALESCE(?counterSource, ?counterOutlet, STR(?counterArticle)) AS ?deniedBy)
}"""


def test_where_sources_disagree_names_who_asserts_and_who_denies_as_pairing_them_would(seeds_server):
    def rows(query: str) -> list[dict]:
        return [{k: v["value"] for k, v in row.items()} for row in _bindings(seeds_server, query)]

    (gallery,) = [e.query for e in EXAMPLES if e.name == "04-sources-disagree"]
    listed, paired = rows(gallery), rows(PAIRED)
    assert paired, "the seeds have an event both asserted and denied"
    assert {(r["event"], r["by"]) for r in listed if r["says"] == "asserts"} == \
        {(r["event"], r["assertedBy"]) for r in paired}
    assert {(r["event"], r["by"]) for r in listed if r["says"] == "denies"} == \
        {(r["event"], r["deniedBy"]) for r in paired}


# Some gallery queries are written for Oxigraph's evaluation at scale (counted per event type,
# each pattern read in one pass by a subquery of its own). Their plain forms, as a reader
# would first write them, must give the same rows.
PLAIN = {
    "07-events-by-plover-type": """PREFIX ng: <https://w3id.org/newsgraph/ns#>
PREFIX plover: <https://w3id.org/newsgraph/plover/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?plover ?ploverLabel (COUNT(DISTINCT ?event) AS ?events)
       (GROUP_CONCAT(DISTINCT STRAFTER(STR(?type), "event-type/"); separator=", ") AS ?ourTypes)
WHERE {
  ?event a ng:Event ; ng:eventType ?type .
  ?type skos:exactMatch|skos:closeMatch|skos:broadMatch|skos:narrowMatch|skos:relatedMatch ?plover .
  FILTER STRSTARTS(STR(?plover), STR(plover:))
  OPTIONAL { ?plover skos:prefLabel ?ploverLabel }
} GROUP BY ?plover ?ploverLabel""",
    # The dates spanned apart from the count: in one group with the events, one undated event
    # made MIN and MAX unbound for its whole ACLED type (as 08's first form showed it).
    "08-events-by-acled-type": """PREFIX ng: <https://w3id.org/newsgraph/ns#>
PREFIX acled: <https://w3id.org/newsgraph/acled/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?acled ?acledLabel ?events ?first ?last
WHERE {
  { SELECT ?acled ?acledLabel (COUNT(DISTINCT ?event) AS ?events) WHERE {
      ?event a ng:Event ; ng:eventType ?type .
      ?type skos:exactMatch|skos:closeMatch|skos:broadMatch|skos:narrowMatch|skos:relatedMatch ?acled .
      FILTER STRSTARTS(STR(?acled), STR(acled:))
      OPTIONAL { ?acled skos:prefLabel ?acledLabel }
    } GROUP BY ?acled ?acledLabel }
  OPTIONAL { SELECT ?acled (MIN(STR(?date)) AS ?first) (MAX(STR(?date)) AS ?last) WHERE {
      ?event a ng:Event ; ng:eventType ?type ; ng:date ?date .
      ?type skos:exactMatch|skos:closeMatch|skos:broadMatch|skos:narrowMatch|skos:relatedMatch ?acled .
    } GROUP BY ?acled }
}""",
    "10-articles-and-outlets": """PREFIX ng: <https://w3id.org/newsgraph/ns#>
SELECT ?article ?file ?outlet ?published ?dateOrigin
       (COALESCE(?events, 0) AS ?eventMentions) (COALESCE(?entities, 0) AS ?entityMentions)
WHERE {
  ?article a ng:Article ; ng:sourceFile ?file .
  OPTIONAL { ?article ng:outletName ?outlet }
  OPTIONAL { ?article ng:published ?published }
  OPTIONAL { ?article ng:dateOrigin ?dateOrigin }
  OPTIONAL { SELECT ?article (COUNT(*) AS ?events) WHERE { ?m a ng:EventMention ; ng:inArticle ?article }
             GROUP BY ?article }
  OPTIONAL { SELECT ?article (COUNT(*) AS ?entities) WHERE { ?m a ng:EntityMention ; ng:inArticle ?article }
             GROUP BY ?article }
}""",
    "13-plans-and-uncertain-reports": """PREFIX ng: <https://w3id.org/newsgraph/ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?eventLabel ?tense ?certainty ?saidBy ?sentence ?article
WHERE {
  ?mention a ng:EventMention ; ng:refersTo ?event ; ng:inArticle ?article ;
           ng:tense ?tense ; ng:certainty ?certainty .
  FILTER (?tense = ng:Future || ?certainty IN (ng:Probable, ng:Possible))
  OPTIONAL { ?event rdfs:label ?eventLabel }
  OPTIONAL { ?mention ng:source/rdfs:label ?saidBy }
  OPTIONAL { ?mention ng:sentence ?sentence }
}""",
}


def _row_counts(server, query: str) -> Counter:
    """The rows as a multiset; a list joined by ", " (GROUP_CONCAT's, in no set order) as a set."""
    return Counter(tuple(sorted((k, frozenset(v["value"].split(", ")) if k == "ourTypes" else v["value"])
                                for k, v in row.items()))
                   for row in _bindings(server, query))


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_a_gallery_query_written_for_scale_gives_its_plain_forms_rows(seeds_server, name):
    (gallery,) = [e.query for e in EXAMPLES if e.name == name]
    plain = _row_counts(seeds_server, PLAIN[name])
    assert plain, f"the seeds give {name} some rows"
    assert _row_counts(seeds_server, gallery) == plain


def test_events_by_acled_type_keeps_the_dates_when_one_of_its_event_types_has_none():
    """acled:AirDroneStrike maps from ngt:AirStrike and ngt:DroneStrike: an undated drone strike
    must not leave the type without the air strike's date (an unbound value in MIN is an error)."""
    store = pyoxigraph.Store()
    store.load(path=str(ROOT / "ontology" / "event-types.ttl"), format=pyoxigraph.RdfFormat.TURTLE)
    store.load(input="""@prefix ng: <https://w3id.org/newsgraph/ns#> .
@prefix ngt: <https://w3id.org/newsgraph/event-type/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://example.org/air> a ng:Event ; ng:eventType ngt:AirStrike ; ng:date "2024-12-01"^^xsd:date .
<https://example.org/drone> a ng:Event ; ng:eventType ngt:DroneStrike .""", format=pyoxigraph.RdfFormat.TURTLE)
    (query,) = [e.query for e in EXAMPLES if e.name == "08-events-by-acled-type"]
    rows = {row["acled"].value: row for row in store.query(query, use_default_graph_as_union=True)}
    strikes = rows["https://w3id.org/newsgraph/acled/AirDroneStrike"]
    assert (strikes["events"].value, strikes["first"], strikes["last"]) == (
        "2", pyoxigraph.Literal("2024-12-01"), pyoxigraph.Literal("2024-12-01"))

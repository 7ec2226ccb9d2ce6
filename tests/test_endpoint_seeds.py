"""The example gallery against the seeds as the real build publishes them."""

from __future__ import annotations

import pytest
import requests

from pipeline.endpoint_page import load_examples

EXAMPLES = load_examples()
# The questions the seeds can answer whatever the extractor's recall: places taken,
# the articles, one outlet's reporting, and the evidence behind events.
MUST_ANSWER = {"01-places-changed-hands", "09-reported-by-one-outlet", "10-articles-and-outlets",
               "11-evidence-for-an-event"}


def test_the_key_examples_are_in_the_gallery():
    assert MUST_ANSWER <= {example.name for example in EXAMPLES}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda example: example.name)
def test_each_example_runs_on_the_built_seeds(seeds_server, example):
    response = requests.post(seeds_server.url + "/sparql", data={"query": example.query},
                             headers={"Accept": "application/sparql-results+json"}, timeout=60)
    assert response.status_code == 200, response.text
    rows = response.json()["results"]["bindings"]
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
        response = requests.post(seeds_server.url + "/sparql", data={"query": query},
                                 headers={"Accept": "application/sparql-results+json"}, timeout=60)
        assert response.status_code == 200, response.text
        return [{k: v["value"] for k, v in row.items()} for row in response.json()["results"]["bindings"]]

    (gallery,) = [e.query for e in EXAMPLES if e.name == "04-sources-disagree"]
    listed, paired = rows(gallery), rows(PAIRED)
    assert paired, "the seeds have an event both asserted and denied"
    assert {(r["event"], r["by"]) for r in listed if r["says"] == "asserts"} == \
        {(r["event"], r["assertedBy"]) for r in paired}
    assert {(r["event"], r["by"]) for r in listed if r["says"] == "denies"} == \
        {(r["event"], r["deniedBy"]) for r in paired}

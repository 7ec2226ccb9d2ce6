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

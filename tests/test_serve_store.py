"""`newsgraph serve --store URL`: SPARQL and linked-data RDF answered by an external store.

A real `oxigraph serve` (started without --union-default-graph, so newsgraph has to
state the union itself) receives the seeds from `newsgraph build --store`; one
`newsgraph serve` answers from it and another, over the same publication, from the
embedded store, and every answer is compared between the two.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from urllib.parse import urlencode

import pyoxigraph
import pytest
import requests
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, TURTLE, SPARQLWrapper

from conftest import SEEDS, Oxigraph, Server, run_newsgraph
from endpoint_support import Trap, raw_request
from pipeline.endpoint_page import load_examples
from pipeline.vocab import DEFAULT_BASE

RESOLVED = DEFAULT_BASE + "graph/resolved"
ONTOLOGY = DEFAULT_BASE + "graph/ontology"
HOMS = DEFAULT_BASE + "id/place/homs"
PREFIXES = """PREFIX ng: <https://w3id.org/newsgraph/ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""
EVENTS = PREFIXES + "SELECT ?event ?label WHERE { ?event a ng:Event ; rdfs:label ?label } ORDER BY ?label ?event"
# A five-way cross join of the whole store: far more work than any time limit here allows.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
TIME_LIMIT = 5
ROW_CAP = 5000
LIMITS = ("--time-limit", str(TIME_LIMIT), "--row-cap", str(ROW_CAP), "--max-client-queries", "1")


@pytest.fixture(scope="module")
def remote(tmp_path_factory):
    store = Oxigraph(tmp_path_factory.mktemp("remote") / "store", "--timeout-s", "8")
    yield store
    store.stop()


@pytest.fixture(scope="module")
def publication(tmp_path_factory, remote):
    out = tmp_path_factory.mktemp("serve-store") / "out"
    result = run_newsgraph("build", str(SEEDS), "--out", str(out), "--store", remote.url + "/store")
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def embedded(publication):
    server = Server(publication, *LIMITS)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def through(publication, remote):
    server = Server(publication, "--store", remote.url + "/query", *LIMITS)
    yield server
    server.stop()


def post(server: Server, query: str, accept: str = "application/sparql-results+json",
         dataset: tuple[tuple[str, str], ...] = ()) -> requests.Response:
    return requests.post(server.url + "/sparql", data=[("query", query), *dataset],
                         headers={"Accept": accept}, timeout=60)


def answer(server: Server, query: str, dataset: tuple[tuple[str, str], ...] = ()):
    """A comparable answer: variables and solutions as a multiset, the boolean, or the set of triples."""
    response = post(server, query, "application/sparql-results+json, application/n-triples;q=0.9", dataset)
    assert response.status_code == 200, response.text
    if response.headers["Content-Type"].startswith("application/n-triples"):
        return Counter(line for line in response.text.splitlines() if line)
    document = response.json()
    if "boolean" in document:
        return document["boolean"]
    return document["head"]["vars"], Counter(json.dumps(row, sort_keys=True) for row in document["results"]["bindings"])


# Same answers

QUERIES = {
    "select-ordered": EVENTS,
    "count-in-the-union": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "count-distinct-in-the-union": "SELECT (COUNT(DISTINCT *) AS ?n) WHERE { ?s ?p ?o }",
    "path-across-graphs": PREFIXES + "SELECT ?e ?l WHERE { ?e ng:place/rdfs:label ?l }",
    "graphs": "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    "from": f"SELECT (COUNT(*) AS ?n) FROM <{RESOLVED}> WHERE {{ ?s ?p ?o }}",
    "from-named": f"SELECT ?g (COUNT(*) AS ?n) FROM NAMED <{ONTOLOGY}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }} GROUP BY ?g",
    "ask-true": PREFIXES + "ASK { ?e ng:place/rdfs:label 'Homs' }",
    "ask-false": PREFIXES + "ASK { ?e ng:place/rdfs:label 'Atlantis' }",
    "construct": PREFIXES + "CONSTRUCT { ?e rdfs:label ?l } WHERE { ?e a ng:Event ; rdfs:label ?l }",
    "describe": f"DESCRIBE <{HOMS}>",
}


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_same_answers_through_the_store(embedded, through, name):
    assert answer(through, QUERIES[name]) == answer(embedded, QUERIES[name])


DATASETS = {
    "default-graph-uri": (QUERIES["count-in-the-union"], (("default-graph-uri", RESOLVED),)),
    "overrides-from": (QUERIES["from"], (("default-graph-uri", ONTOLOGY),)),
    "named-graph-uri": (QUERIES["graphs"], (("named-graph-uri", RESOLVED),)),
    "unknown-default-graph": ("ASK { ?s ?p ?o }", (("default-graph-uri", "http://example.org/not-stored"),)),
    "unknown-default-with-named": (QUERIES["graphs"], (("default-graph-uri", "http://example.org/not-stored"),
                                                       ("named-graph-uri", ONTOLOGY))),
}


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_protocol_datasets_give_the_same_answers(embedded, through, name):
    query, dataset = DATASETS[name]
    assert answer(through, query, dataset) == answer(embedded, query, dataset)


@pytest.mark.parametrize("example", load_examples(), ids=lambda example: example.name)
def test_every_gallery_query_gives_the_same_answer(embedded, through, example):
    expected = answer(embedded, example.query)
    assert expected[1], f"{example.name} finds nothing in the seeds"
    assert answer(through, example.query) == expected


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_every_results_format_is_byte_for_byte_the_same(embedded, through, fmt):
    ours, theirs = (requests.get(s.url + "/sparql", params={"query": EVENTS, "format": fmt}, timeout=60)
                    for s in (through, embedded))
    assert ours.status_code == 200
    assert ours.headers["Content-Type"] == theirs.headers["Content-Type"]
    assert ours.content == theirs.content


@pytest.mark.parametrize("media_type, rdflib_format", [
    ("text/turtle", "turtle"), ("application/n-triples", "nt"),
    ("application/ld+json", "json-ld"), ("application/rdf+xml", "xml")])
def test_every_graph_format_by_negotiation(embedded, through, media_type, rdflib_format):
    ours, theirs = (post(s, QUERIES["describe"], media_type) for s in (through, embedded))
    assert ours.status_code == 200
    assert ours.headers["Content-Type"] == theirs.headers["Content-Type"]
    graph = Graph().parse(data=ours.content, format=rdflib_format)
    assert (URIRef(HOMS), URIRef("http://www.w3.org/2000/01/rdf-schema#label"), None) in graph
    assert isomorphic(graph, Graph().parse(data=theirs.content, format=rdflib_format))


def test_row_cap_is_stated_as_over_the_embedded_store(through):
    rows = post(through, "SELECT * WHERE { ?s ?p ?o }")
    triples = post(through, "CONSTRUCT WHERE { ?s ?p ?o }", "application/n-triples")
    assert len(rows.json()["results"]["bindings"]) == ROW_CAP
    assert len(triples.text.splitlines()) == ROW_CAP
    for response in (rows, triples):
        assert response.headers["NewsGraph-Row-Cap"] == str(ROW_CAP)
        assert f"row cap of {ROW_CAP}" in response.headers["Warning"]
    assert "NewsGraph-Row-Cap" not in post(through, EVENTS).headers


def test_store_syntax_errors_are_400_with_its_message(through):
    response = post(through, "SELECT * WHERE { ?s undeclared:p ?o }")  # parses; the prefix is unknown
    assert response.status_code == 400
    assert response.text.startswith("Query rejected by the store:") and "Prefix not found" in response.text
    assert "at 1:" in response.text  # the line numbers are those of the query as sent


def test_time_limit_and_per_client_limit(through):
    """A runaway query is dropped at the time limit with 503; meanwhile the same client may not
    start another, and another client is served."""
    finished = {}

    def runaway():
        finished["runaway"] = raw_request(through.port, "GET", "/sparql?" + urlencode({"query": RUNAWAY}),
                                          source="127.0.0.3")

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.5)
    second = raw_request(through.port, "GET", "/sparql?" + urlencode({"query": "ASK {}"}), source="127.0.0.3")
    other = raw_request(through.port, "GET", "/sparql?" + urlencode({"query": EVENTS}), source="127.0.0.4")
    thread.join()
    assert second.status == 429 and b"at most 1" in second.body
    assert other.status == 200
    assert finished["runaway"].status == 503
    assert f"time limit of {TIME_LIMIT} s".encode() in finished["runaway"].body
    assert post(through, "ASK {}").json()["boolean"] is True


# Real clients

def test_sparqlwrapper(embedded, through):
    def labels(server) -> list[str]:
        client = SPARQLWrapper(server.url + "/sparql")
        client.setQuery(EVENTS)
        client.setReturnFormat(JSON)
        return [row["label"]["value"] for row in client.query().convert()["results"]["bindings"]]

    assert labels(through) == labels(embedded) and labels(through)
    client = SPARQLWrapper(through.url + "/sparql")
    client.setMethod("POST")
    client.setQuery(QUERIES["construct"])
    client.setReturnFormat(TURTLE)
    graph = Graph().parse(data=client.query().convert(), format="turtle")
    assert len(graph) == sum(answer(embedded, QUERIES["construct"]).values())


def test_rdflib_sparqlstore(embedded, through):
    rows = [tuple(row) for row in SPARQLStore(through.url + "/sparql", returnFormat="json").query(EVENTS)]
    assert rows == [tuple(row) for row in SPARQLStore(embedded.url + "/sparql", returnFormat="json").query(EVENTS)]
    assert rows and all(isinstance(event, URIRef) for event, _ in rows)


# The rest of the endpoint

def test_service_description_query_page_and_cors(embedded, through):
    description = requests.get(through.url + "/sparql", headers={"Accept": "application/n-triples"}, timeout=30)
    named = URIRef("http://www.w3.org/ns/sparql-service-description#name")

    def names(response):
        return set(Graph().parse(data=response.content, format="nt").objects(None, named))

    assert names(description) == names(requests.get(embedded.url + "/sparql",
                                                    headers={"Accept": "application/n-triples"}, timeout=30))
    assert URIRef(RESOLVED) in names(description)
    page = requests.get(through.url + "/sparql", headers={"Accept": "text/html"}, timeout=30)
    assert page.headers["Content-Type"].startswith("text/html") and "yasgui" in page.text
    preflight = requests.options(through.url + "/sparql", headers={"Origin": "https://elsewhere.example",
                                                                   "Access-Control-Request-Method": "POST"}, timeout=30)
    assert preflight.status_code == 204 and preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert post(through, "ASK {}").headers["Access-Control-Allow-Origin"] == "*"


# Linked data from the store

def test_resource_iris_dereference_to_rdf_from_the_store(embedded, through, remote):
    negotiated = requests.get(through.url + "/id/place/homs", headers={"Accept": "text/turtle"},
                              allow_redirects=False, timeout=30)
    assert negotiated.status_code == 303 and negotiated.headers["Location"].endswith("/id/place/homs.ttl")
    for suffix, fmt in [("ttl", pyoxigraph.RdfFormat.TURTLE), ("nt", pyoxigraph.RdfFormat.N_TRIPLES),
                        ("jsonld", pyoxigraph.RdfFormat.JSON_LD), ("rdf", pyoxigraph.RdfFormat.RDF_XML)]:
        ours, theirs = (requests.get(f"{s.url}/id/place/homs.{suffix}", timeout=30) for s in (through, embedded))
        assert ours.status_code == 200 and ours.headers["Content-Type"] == theirs.headers["Content-Type"]
        assert set(pyoxigraph.parse(ours.content, format=fmt)) == set(pyoxigraph.parse(theirs.content, format=fmt))
    # Shown to come from the store: a statement only the store holds appears in it.
    added = f'<{HOMS}> <http://www.w3.org/2000/01/rdf-schema#comment> "only in the store" .'
    requests.post(remote.url + "/update", data=f"INSERT DATA {{ GRAPH <{RESOLVED}> {{ {added} }} }}",
                  headers={"Content-Type": "application/sparql-update"}, timeout=30).raise_for_status()
    try:
        assert "only in the store" in requests.get(through.url + "/id/place/homs.nt", timeout=30).text
        assert "only in the store" not in requests.get(embedded.url + "/id/place/homs.nt", timeout=30).text
        assert "only in the store" not in requests.get(through.url + "/id/place/homs.html", timeout=30).text
    finally:
        requests.post(remote.url + "/update", data=f"DELETE DATA {{ GRAPH <{RESOLVED}> {{ {added} }} }}",
                      headers={"Content-Type": "application/sparql-update"}, timeout=30).raise_for_status()


def test_a_resource_without_a_page_is_described_by_the_store(embedded, through):
    mention = post(embedded, PREFIXES + "SELECT ?m WHERE { ?m a ng:EventMention } ORDER BY ?m LIMIT 1"
                   ).json()["results"]["bindings"][0]["m"]["value"]
    path = mention.removeprefix(DEFAULT_BASE)
    redirected = requests.get(f"{through.url}/{path}", headers={"Accept": "application/n-triples"},
                              allow_redirects=False, timeout=30)
    assert redirected.status_code == 303 and redirected.headers["Location"].endswith(".nt")
    ours, theirs = (requests.get(f"{s.url}/{path}.nt", timeout=30) for s in (through, embedded))
    assert ours.status_code == 200 and f"<{mention}>" in ours.text
    assert set(ours.text.splitlines()) == set(theirs.text.splitlines())


# Nothing refused reaches the store; a store that is gone is named

@pytest.fixture(scope="module")
def trap():
    listener = Trap()
    yield listener
    listener.close()


@pytest.fixture(scope="module")
def trapped(publication, trap):
    """A server whose store is the trap: every connection to the store is counted."""
    server = Server(publication, "--store", trap.url + "query")
    yield server
    server.stop()


REFUSED = {
    "service": ({"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"}, 400, "SERVICE"),
    "service-in-exists": ({"query": "ASK { ?s ?p ?o FILTER EXISTS { SERVICE <http://127.0.0.1:9/> "
                                    "{ ?s ?p ?o } } }"}, 400, "SERVICE"),
    "from-unknown": ({"query": "SELECT * FROM <http://127.0.0.1:9/data.ttl> WHERE { ?s ?p ?o }"}, 400, "FROM"),
    "syntax": ({"query": "SELECT * WHERE { ?s ?p "}, 400, "Syntax error"),
    "too-large": ({"query": "# " + "x" * 70_000 + "\nASK {}"}, 413, "65536 bytes"),
    "load": ({"update": "LOAD <http://127.0.0.1:9/data.ttl>"}, 403, "read-only"),
    "update": ({"update": "DROP ALL"}, 403, "read-only"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_before_anything_reaches_the_store(trapped, trap, name):
    form, status, message = REFUSED[name]
    response = requests.post(trapped.url + "/sparql", data=form, timeout=30)
    assert response.status_code == status
    assert message in response.text
    time.sleep(0.2)
    assert trap.connections == []


def test_direct_update_and_a_real_query_through_the_trap(trapped, trap):
    update = requests.post(trapped.url + "/sparql", data="INSERT DATA { <a:b> <a:c> <a:d> }",
                           headers={"Content-Type": "application/sparql-update"}, timeout=30)
    assert update.status_code == 403
    time.sleep(0.2)
    assert trap.connections == []
    # The trap is the store indeed: an allowed query goes to it (and, unanswered, is a 502).
    response = post(trapped, "ASK { ?s ?p ?o }")
    assert response.status_code == 502 and trap.url + "query" in response.text
    assert len(trap.connections) == 1 and trap.connections[0].startswith(b"POST /query ")


def test_a_stopped_store_is_a_502_naming_it(publication):
    store = Oxigraph()
    server = Server(publication, "--store", store.url + "/query")
    try:
        assert post(server, "ASK {}").status_code == 200
        store.stop()
        response = post(server, "ASK {}")
        assert response.status_code == 502
        assert f"The SPARQL store at {store.url}/query cannot be reached" in response.text
        document = requests.get(server.url + "/id/place/homs.ttl", timeout=30)
        assert document.status_code == 502 and f"{store.url}/query" in document.text
        assert requests.get(server.url + "/id/place/homs.html", timeout=30).status_code == 200  # the site stays
    finally:
        server.stop()
        if store.process.poll() is None:
            store.stop()


def test_credentials_from_the_environment_go_to_the_store(publication, monkeypatch):
    listener = Trap()
    monkeypatch.setenv("NEWSGRAPH_STORE_TOKEN", "t0ken")
    server = Server(publication, "--store", listener.url + "query")  # inherits the environment
    try:
        post(server, "ASK {}")
        time.sleep(0.2)
        assert len(listener.connections) == 1 and b"\r\nAuthorization: Bearer t0ken\r\n" in listener.connections[0]
    finally:
        server.stop()
        listener.close()


def test_added_files_are_refused_with_a_store(publication, remote):
    added = f"{SEEDS.parent / 'ontology' / 'newsgraph.ttl'}=http://example.org/extra"
    result = run_newsgraph("serve", "--out", str(publication), "--store", remote.url + "/query", "--add", added)
    assert result.returncode == 2
    assert "with --store, load them into the store" in result.stderr


# A store whose default graph is already the union: --store-union sends no graph list

@pytest.fixture(scope="module")
def union_remote(tmp_path_factory):
    store = Oxigraph(tmp_path_factory.mktemp("union") / "store", "--union-default-graph")
    result = run_newsgraph("build", str(SEEDS), "--out", str(tmp_path_factory.mktemp("union-build") / "out"),
                           "--store", store.url + "/store")
    assert result.returncode == 0, result.stderr
    yield store
    store.stop()


@pytest.fixture(scope="module")
def through_union(publication, union_remote):
    server = Server(publication, "--store", union_remote.url + "/query", "--store-union", *LIMITS)
    yield server
    server.stop()


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_store_union_gives_the_same_answers(embedded, through_union, name):
    assert answer(through_union, QUERIES[name]) == answer(embedded, QUERIES[name])


def test_store_union_trusts_the_store_default_graph(publication, remote):
    """Against a store whose default graph is its unnamed graph, --store-union sees that graph
    (empty here): the flag really sends no dataset."""
    server = Server(publication, "--store", remote.url + "/query", "--store-union", *LIMITS)
    try:
        rows = post(server, QUERIES["count-in-the-union"]).json()["results"]["bindings"]
        assert rows == [{"n": {"type": "literal", "value": "0",
                               "datatype": "http://www.w3.org/2001/XMLSchema#integer"}}]
    finally:
        server.stop()


def test_store_union_needs_a_store(publication):
    result = run_newsgraph("serve", "--out", str(publication), "--store-union")
    assert result.returncode == 2 and "--store-union needs --store" in result.stderr

"""The SPARQL endpoint over a small publication, through real clients and raw HTTP.

One `newsgraph serve` (a real waitress server on loopback) with tight limits, so the
time limit, row cap and per-client limit can be seen biting.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import threading
import time
from urllib.parse import quote, urlencode

import pyoxigraph
import pytest
import requests
from rdflib import Graph, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, TURTLE, XML, SPARQLWrapper

from conftest import Server
from endpoint_support import SAMPLE, Trap, make_publication, raw_request
from pipeline.endpoint_page import load_examples
from pipeline.publication import current
from pipeline.sparql_workers import STREAM_ROWS

BASE = "http://127.0.0.1:5000/"
RESOLVED = BASE + "graph/resolved"
ARTICLE_A = BASE + "graph/article/000-a"
PREFIXES = """PREFIX ng: <https://w3id.org/newsgraph/ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""
EVENTS = PREFIXES + "SELECT ?event ?label WHERE { ?event a ng:Event ; rdfs:label ?label } ORDER BY ?label"
EVENT_LABELS = ["Attack: Homs, 2024-12-06", "TakeControl: Homs, 2024-12-07", "TakeControl: Rastan, 2024-12-05"]
# Counts a five-way cross join of the whole store: ~10^11 rows, minutes of work.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
# Sorts a three-way cross join of the whole store, which holds every row at once: past any small memory bound.
HUNGRY = ("SELECT * WHERE { GRAPH ?g1 { ?a ?b ?c } GRAPH ?g2 { ?d ?e ?f } GRAPH ?g3 { ?g ?h ?i } } "
          "ORDER BY DESC(STR(?c)) ?i")
# Every pair of triples of the store: rows for many chunks and megabytes of JSON. Unsorted, since
# sorting it on the on-disk store took seconds (the sort reads each term's text from the store).
PAIRS = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"
TIME_LIMIT = 3
ROW_CAP = 100
PER_CLIENT = 2
WORKERS = 3


@pytest.fixture(scope="module")
def publication(tmp_path_factory):
    return make_publication(tmp_path_factory.mktemp("endpoint"), SAMPLE)


@pytest.fixture(scope="module")
def server(publication):
    running = Server(publication, "--time-limit", str(TIME_LIMIT), "--row-cap", str(ROW_CAP),
                     "--max-client-queries", str(PER_CLIENT), "--query-workers", str(WORKERS))
    yield running
    running.stop()


@pytest.fixture
def sparql(server):
    return server.url + "/sparql"


def _labels(bindings) -> list[str]:
    return [row["label"]["value"] for row in bindings]


# Real clients

def test_sparqlwrapper_select_in_json_and_xml(sparql):
    client = SPARQLWrapper(sparql)
    client.setQuery(EVENTS)
    client.setReturnFormat(JSON)
    assert _labels(client.query().convert()["results"]["bindings"]) == EVENT_LABELS
    client.setReturnFormat(XML)
    document = client.query().convert()
    assert [node.firstChild.data for node in document.getElementsByTagName("literal")] == EVENT_LABELS


def test_sparqlwrapper_ask_construct_and_post(sparql):
    client = SPARQLWrapper(sparql)
    client.setMethod("POST")
    client.setQuery(PREFIXES + "ASK { ?e ng:place/rdfs:label 'Homs' }")
    client.setReturnFormat(JSON)
    assert client.query().convert()["boolean"] is True
    client.setQuery(PREFIXES + "CONSTRUCT { ?e rdfs:label ?l } WHERE { ?e a ng:Event ; rdfs:label ?l }")
    client.setReturnFormat(TURTLE)
    graph = Graph().parse(data=client.query().convert(), format="turtle")
    assert sorted(str(o) for o in graph.objects()) == EVENT_LABELS


def test_rdflib_sparqlstore(sparql):
    store = SPARQLStore(sparql, returnFormat="json")
    rows = list(store.query(EVENTS))
    assert [str(row.label) for row in rows] == EVENT_LABELS
    assert all(isinstance(row.event, URIRef) for row in rows)


# Protocol

def test_get_post_form_and_post_direct_agree(server):
    port = server.port
    by_get = raw_request(port, "GET", "/sparql?" + urlencode({"query": EVENTS}))
    by_form = raw_request(port, "POST", "/sparql", urlencode({"query": EVENTS}).encode(),
                          {"Content-Type": "application/x-www-form-urlencoded"})
    by_body = raw_request(port, "POST", "/sparql", EVENTS.encode(), {"Content-Type": "application/sparql-query"})
    answers = [json.loads(r.body)["results"]["bindings"] for r in (by_get, by_form, by_body)]
    assert [r.status for r in (by_get, by_form, by_body)] == [200, 200, 200]
    assert answers[0] == answers[1] == answers[2]
    assert _labels(answers[0]) == EVENT_LABELS


def _parse_results(body: bytes, name: str) -> list[str]:
    """The `label` column of a result document in any of the four formats."""
    if name == "csv":
        return [row["label"] for row in csv.DictReader(io.StringIO(body.decode()))]
    fmt = {"json": pyoxigraph.QueryResultsFormat.JSON, "xml": pyoxigraph.QueryResultsFormat.XML,
           "tsv": pyoxigraph.QueryResultsFormat.TSV}[name]
    return [row["label"].value for row in pyoxigraph.parse_query_results(body, format=fmt)]


@pytest.mark.parametrize("name,media_type", [
    ("json", "application/sparql-results+json"), ("xml", "application/sparql-results+xml"),
    ("csv", "text/csv"), ("tsv", "text/tab-separated-values")])
def test_result_formats_by_accept_and_by_parameter(sparql, name, media_type):
    by_accept = requests.get(sparql, params={"query": EVENTS}, headers={"Accept": media_type}, timeout=30)
    by_parameter = requests.get(sparql, params={"query": EVENTS, "format": name},
                                headers={"Accept": "text/html"}, timeout=30)
    for response in (by_accept, by_parameter):
        assert response.status_code == 200
        assert response.headers["Content-Type"].split(";")[0] == media_type
        assert _parse_results(response.content, name) == EVENT_LABELS


@pytest.mark.parametrize("name,media_type,rdflib_format", [
    ("turtle", "text/turtle", "turtle"), ("ntriples", "application/n-triples", "nt"),
    ("jsonld", "application/ld+json", "json-ld"), ("rdfxml", "application/rdf+xml", "xml")])
def test_graph_formats_by_accept_and_by_parameter(sparql, name, media_type, rdflib_format):
    query = PREFIXES + "DESCRIBE <http://127.0.0.1:5000/id/place/homs>"
    expected = None
    for response in (requests.get(sparql, params={"query": query}, headers={"Accept": media_type}, timeout=30),
                     requests.get(sparql, params={"query": query, "format": name}, timeout=30)):
        assert response.status_code == 200
        assert response.headers["Content-Type"].split(";")[0] == media_type
        graph = Graph().parse(data=response.content, format=rdflib_format)
        labels = {str(o) for o in graph.objects(URIRef(BASE + "id/place/homs"), URIRef(
            "http://www.w3.org/2000/01/rdf-schema#label"))}
        assert labels == {"Homs"}
        expected = expected or len(graph)
        assert len(graph) == expected


def test_unknown_format_is_refused_and_other_forms_negotiate(sparql):
    assert requests.get(sparql, params={"query": EVENTS, "format": "pdf"}, timeout=30).status_code == 400
    construct = requests.get(sparql, params={"query": "CONSTRUCT WHERE { ?s a ?o }", "format": "csv"}, timeout=30)
    assert construct.headers["Content-Type"].startswith("text/turtle")


def test_default_graph_is_the_union_and_protocol_dataset_overrides_from(sparql):
    count = PREFIXES + "SELECT (COUNT(DISTINCT ?m) AS ?n) FROM <%s> WHERE { ?m a ng:EventMention }"
    union = requests.get(sparql, params={"query": (count % RESOLVED).replace(f"FROM <{RESOLVED}>", "")},
                         timeout=30).json()
    from_resolved = requests.get(sparql, params={"query": count % RESOLVED}, timeout=30).json()
    overridden = requests.get(sparql, params={"query": count % RESOLVED, "default-graph-uri": ARTICLE_A},
                              timeout=30).json()
    values = [int(doc["results"]["bindings"][0]["n"]["value"]) for doc in (union, from_resolved, overridden)]
    assert values == [4, 0, 2]


def test_named_graph_uri_limits_graph_patterns(sparql):
    query = PREFIXES + "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?a a ng:Article } } ORDER BY ?g"
    everything = requests.get(sparql, params={"query": query}, timeout=30).json()["results"]["bindings"]
    only_a = requests.get(sparql, params={"query": query, "named-graph-uri": ARTICLE_A},
                          timeout=30).json()["results"]["bindings"]
    assert [row["g"]["value"] for row in everything] == [ARTICLE_A, BASE + "graph/article/001-b"]
    assert [row["g"]["value"] for row in only_a] == [ARTICLE_A]


def test_bad_syntax_is_400_with_the_parser_message(sparql):
    response = requests.get(sparql, params={"query": "SELECT * WHERE { ?s ?p "}, timeout=30)
    assert response.status_code == 400
    assert "Syntax error" in response.text


# Safe by construction

@pytest.mark.parametrize("request_kwargs", [
    {"method": "GET", "params": {"update": "CLEAR ALL"}},
    {"method": "POST", "data": {"update": "DROP ALL"}},
    {"method": "POST", "data": "INSERT DATA { <a:b> <a:c> <a:d> }",
     "headers": {"Content-Type": "application/sparql-update"}},
], ids=["get-update", "form-update", "direct-update"])
def test_updates_are_refused_403(sparql, request_kwargs):
    response = requests.request(url=sparql, timeout=30, **request_kwargs)
    assert response.status_code == 403
    assert "read-only" in response.text
    check = requests.get(sparql, params={"query": "ASK { <a:b> ?p ?o }"}, timeout=30).json()
    assert check["boolean"] is False


@pytest.fixture
def trap():
    listener = Trap()
    yield listener
    listener.close()


OUTBOUND = {
    "service": "SELECT * WHERE { SERVICE <{url}sparql> { ?s ?p ?o } }",
    "service-silent": "SELECT * WHERE { ?x ?y ?z OPTIONAL { SERVICE SILENT <{url}> { ?s ?p ?o } } }",
    "service-prefixed": "PREFIX t: <{url}> SELECT * WHERE { { SELECT ?s WHERE { SERVICE t:q { ?s ?p ?o } } } }",
    "service-in-exists": "ASK { ?s ?p ?o FILTER EXISTS { SERVICE <{url}> { ?s ?p ?o } } }",
    "service-in-construct": "CONSTRUCT { ?s ?p ?o } WHERE { SERVICE <{url}> { ?s ?p ?o } }",
    "from": "SELECT * FROM <{url}data.ttl> WHERE { ?s ?p ?o }",
    "from-named": "SELECT * FROM NAMED <{url}g> WHERE { GRAPH ?g { ?s ?p ?o } }",
    "from-file": "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
}


@pytest.mark.parametrize("name", sorted(OUTBOUND))
def test_no_query_reaches_the_network(sparql, trap, name):
    query = OUTBOUND[name].replace("{url}", trap.url)
    response = requests.post(sparql, data={"query": query}, timeout=30)
    assert response.status_code == 400
    assert ("SERVICE" in response.text) or ("FROM" in response.text)
    time.sleep(0.3)
    assert trap.connections == []


def test_load_and_protocol_graph_names_reach_nothing(sparql, trap):
    load = requests.post(sparql, data={"update": f"LOAD <{trap.url}data.ttl>"}, timeout=30)
    assert load.status_code == 403
    named = requests.get(sparql, params={"query": "ASK { ?s ?p ?o }", "default-graph-uri": trap.url}, timeout=30)
    assert named.status_code == 200 and named.json()["boolean"] is False  # an empty graph, not a fetch
    time.sleep(0.3)
    assert trap.connections == []


def test_non_utf8_requests_are_refused(server):
    latin1 = raw_request(server.port, "POST", "/sparql", "ASK { ?s ?p 'é' }".encode("latin-1"),
                         {"Content-Type": "application/sparql-query"})
    declared = raw_request(server.port, "POST", "/sparql", "ASK {}".encode("utf-16"),
                           {"Content-Type": "application/sparql-query; charset=UTF-16"})
    in_url = raw_request(server.port, "GET", "/sparql?query=ASK%20%7B%3Fs%20%3Fp%20%22%E9%22%7D")
    assert (latin1.status, declared.status, in_url.status) == (400, 415, 400)
    assert b"UTF-8" in latin1.body and b"UTF-8" in declared.body and b"UTF-8" in in_url.body


def test_request_size_cap_is_stated(server):
    padding = "# " + "x" * 70_000 + "\n"
    body = raw_request(server.port, "POST", "/sparql", (padding + "ASK {}").encode(),
                       {"Content-Type": "application/sparql-query"})
    url = raw_request(server.port, "GET", "/sparql?query=" + quote(padding + "ASK {}"))
    assert (body.status, url.status) == (413, 414)
    assert b"65536 bytes" in body.body and b"65536 bytes" in url.body


def test_row_cap_is_stated_when_it_bites(sparql):
    response = requests.get(sparql, params={"query": "SELECT * WHERE { ?s ?p ?o }"}, timeout=30)
    assert response.status_code == 200
    assert len(response.json()["results"]["bindings"]) == ROW_CAP
    assert response.headers["NewsGraph-Row-Cap"] == str(ROW_CAP)
    assert f"row cap of {ROW_CAP}" in response.headers["Warning"]
    small = requests.get(sparql, params={"query": EVENTS}, timeout=30)
    assert "NewsGraph-Row-Cap" not in small.headers


def _workers(server) -> set[int]:
    """The server's query worker processes."""
    children = subprocess.run(["ps", "-ww", "-o", "pid=,args=", "--ppid", str(server.process.pid)],
                              capture_output=True, text=True).stdout.splitlines()
    return {int(line.split()[0]) for line in children if "multiprocessing.spawn" in line}


def _wait_for_workers(server, count: int) -> set[int]:
    deadline = time.monotonic() + 30
    while len(workers := _workers(server)) != count and time.monotonic() < deadline:
        time.sleep(0.1)
    return workers


def test_runaway_query_is_stopped_while_others_are_served(server, sparql):
    requests.get(sparql, params={"query": "ASK {}"}, timeout=30)  # workers up
    before = _wait_for_workers(server, WORKERS)
    finished = []

    def runaway():
        response = requests.get(sparql, params={"query": RUNAWAY}, timeout=60)
        finished.append(("runaway", response.status_code, response.text))

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.5)
    for _ in range(5):
        response = requests.get(sparql, params={"query": EVENTS}, timeout=30)
        finished.append(("normal", response.status_code, response.text))
    thread.join()
    assert [kind for kind, _, _ in finished] == ["normal"] * 5 + ["runaway"]
    assert all(status == 200 for kind, status, _ in finished if kind == "normal")
    _, status, message = finished[-1]
    assert status == 503
    assert f"time limit of {TIME_LIMIT} s" in message
    after = _wait_for_workers(server, WORKERS)
    assert len(before - after) == 1  # the runaway's worker was killed and replaced
    assert requests.get(sparql, params={"query": "ASK {}"}, timeout=30).json()["boolean"] is True


def test_a_query_over_the_memory_bound_is_answered_503_naming_the_bound(publication):
    small = Server(publication, "--query-memory", "300", "--query-workers", "1", "--time-limit", "60")
    try:
        assert requests.get(small.url + "/sparql", params={"query": "ASK {}"}, timeout=60).status_code == 200
        response = requests.get(small.url + "/sparql", params={"query": HUNGRY}, timeout=90)
        assert response.status_code == 503
        assert "more than the 300 MiB of memory" in response.text
        _wait_for_workers(small, 1)  # its replacement
        assert requests.get(small.url + "/sparql", params={"query": "ASK {}"}, timeout=60).json()["boolean"] is True
    finally:
        small.stop()


def test_concurrent_queries_per_client_are_limited(server):
    _wait_for_workers(server, WORKERS)
    path = "/sparql?" + urlencode({"query": RUNAWAY})
    results = []

    def send():
        results.append(raw_request(server.port, "GET", path, source="127.0.0.3"))

    threads = [threading.Thread(target=send) for _ in range(PER_CLIENT + 1)]
    for thread in threads:
        thread.start()
        time.sleep(0.2)
    other = raw_request(server.port, "GET", "/sparql?" + urlencode({"query": EVENTS}), source="127.0.0.4")
    for thread in threads:
        thread.join()
    assert other.status == 200  # another client is not held up
    assert sorted(r.status for r in results) == [429] + [503] * PER_CLIENT
    refused = next(r for r in results if r.status == 429)
    assert f"at most {PER_CLIENT}".encode() in refused.body
    _wait_for_workers(server, WORKERS)


def test_cors_for_get_post_and_preflight(sparql):
    get = requests.get(sparql, params={"query": "ASK {}"}, headers={"Origin": "https://elsewhere.example"},
                       timeout=30)
    preflight = requests.options(sparql, headers={"Origin": "https://elsewhere.example",
                                                  "Access-Control-Request-Method": "POST",
                                                  "Access-Control-Request-Headers": "content-type"}, timeout=30)
    for response in (get, preflight):
        assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert preflight.status_code == 204
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]


def test_served_by_waitress_over_http11(server):
    response = raw_request(server.port, "GET", "/sparql?" + urlencode({"query": "ASK {}"}))
    assert response.version == 11
    assert response.getheader("Server") == "newsgraph"


# The query page

def test_a_browser_gets_the_query_page_and_bookmarks_reopen_it(sparql):
    page = requests.get(sparql, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}, timeout=30)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "/sparql/vendor/yasgui.min.js" in page.text
    hostile = EVENTS + "# </script><script>alert(1)</script><!--"
    bookmarked = requests.get(sparql, params={"query": hostile}, headers={"Accept": "text/html"}, timeout=30)
    assert bookmarked.headers["Content-Type"].startswith("text/html")
    settings = bookmarked.text.split('<script type="application/json" id="settings">')[1].split("</script>")[0]
    assert json.loads(settings)["query"] == hostile
    assert "alert(1)" not in bookmarked.text.replace(settings, "")


# The example gallery

EXAMPLES = load_examples()


def test_the_gallery_has_ten_or_more_described_queries():
    assert len(EXAMPLES) >= 10
    for example in EXAMPLES:
        assert example.title != example.name and len(example.description) > 40, example.name


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda example: example.name)
def test_each_example_answers_on_the_sample(sparql, example):
    response = requests.post(sparql, data={"query": example.query}, timeout=30)
    assert response.status_code == 200, response.text
    assert response.json()["results"]["bindings"], f"{example.name} found nothing in the sample"


def test_service_description_by_format_parameter(sparql):
    response = requests.get(sparql, params={"format": "ntriples"}, headers={"Accept": "text/html"}, timeout=30)
    assert response.headers["Content-Type"].startswith("application/n-triples")
    graph = Graph().parse(data=response.content, format="nt")
    assert (URIRef(sparql), URIRef("http://www.w3.org/ns/sparql-service-description#endpoint"),
            URIRef(sparql)) in graph


def test_a_large_answer_comes_in_chunks_whole_and_holds_its_client_slot_until_sent(publication):
    """Above a chunk of rows, the worker's JSON is sent on as it comes (chunked HTTP). The query
    counts against its client's limit until the last chunk is sent."""
    store = pyoxigraph.Store.read_only(str(current(publication).store))
    expected = len(list(store.query(PAIRS, use_default_graph_as_union=True)))
    assert expected > 2 * STREAM_ROWS
    wide = Server(publication, "--row-cap", str(10 * expected), "--max-client-queries", "1")
    try:
        accept = {"Accept": "application/sparql-results+json"}
        with requests.post(wide.url + "/sparql", data={"query": PAIRS}, headers=accept, stream=True) as streaming:
            assert streaming.headers["Transfer-Encoding"] == "chunked"
            assert "Content-Length" not in streaming.headers and "NewsGraph-Row-Cap" not in streaming.headers
            parts = streaming.iter_content(64 * 1024)
            first = next(parts)
            refused = requests.post(wide.url + "/sparql", data={"query": "ASK {}"}, headers=accept)
            assert refused.status_code == 429
            answer = json.loads(first + b"".join(parts))
        assert len(answer["results"]["bindings"]) == expected
        assert requests.post(wide.url + "/sparql", data={"query": "ASK {}"}, headers=accept).json()["boolean"]
    finally:
        wide.stop()

"""The W3C SPARQL 1.1 Protocol tests, run against the real `newsgraph serve`.

The manifest (shared/w3c-sparql11/protocol/manifest.ttl, beside the repository) is
read as RDF; its data files are served as the named graphs it names (with
`--add FILE=GRAPH_IRI`), and every request is sent exactly as the manifest gives it:
method, path, headers, body and body encoding. The endpoint is read-only, so the
tests whose updates are expected to succeed are checked to be refused instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph
import pytest
from pyshacl import validate
from rdflib import Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS

from conftest import ROOT, Server
from endpoint_support import make_publication, raw_request

SUITE = next((parent / "shared" / "w3c-sparql11" for parent in ROOT.parents
              if (parent / "shared" / "w3c-sparql11").is_dir()), ROOT.parent / "shared" / "w3c-sparql11")
MANIFEST = SUITE / "protocol" / "manifest.ttl"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")

TABULAR = {"application/sparql-results+json", "application/sparql-results+xml", "text/csv",
           "text/tab-separated-values"}
RDF_TYPES = {"text/turtle": "turtle", "application/n-triples": "nt", "application/rdf+xml": "xml",
             "application/ld+json": "json-ld"}


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    statuses: frozenset[int]  # acceptable status classes: 2, 3, 4
    boolean: bool | None
    result_format: str | None


@dataclass(frozen=True)
class ProtocolTest:
    name: str
    requests: tuple[Request, ...]

    @property
    def is_update(self) -> bool:
        return self.name.startswith("update_")


def _read_manifest() -> tuple[list[ProtocolTest], dict[Path, str]]:
    manifest = Graph().parse(MANIFEST, format="turtle")
    root = next(manifest.subjects(RDF.type, MF.Manifest))
    tests, data = [], {}
    for test in Collection(manifest, manifest.value(root, MF.entries)):
        for graph_data in manifest.objects(test, UT.graphData):
            data[Path(str(manifest.value(graph_data, UT.graph)).removeprefix("file://"))] = str(
                manifest.value(graph_data, RDFS.label))
        action = manifest.value(test, MF.action)
        requests = []
        for node in Collection(manifest, manifest.value(action, HT.requests)):
            headers = []
            header_list = manifest.value(node, HT.headers)
            for header in Collection(manifest, header_list) if header_list else ():
                headers.append((str(manifest.value(header, HT.fieldName)), str(manifest.value(header, HT.fieldValue))))
            body_node = manifest.value(node, HT.body)
            body = None
            if body_node is not None:
                encoding = str(manifest.value(body_node, CNT.characterEncoding))
                body = str(manifest.value(body_node, CNT.chars)).encode(encoding)
            response = manifest.value(node, HT.resp)
            statuses = frozenset(int(str(status)[-3]) for status in manifest.objects(response, MF.expectedStatus))
            boolean = manifest.value(response, MF.expectedBoolean)
            result_format = manifest.value(response, MF.expectedFormat)
            path = str(manifest.value(node, HT.absolutePath))
            assert path.startswith("/sparql/")
            requests.append(Request(str(manifest.value(node, HT.methodName)), "/sparql" + path[len("/sparql/"):],
                                    tuple(headers), body, statuses,
                                    None if boolean is None else boolean.toPython(),
                                    None if result_format is None else str(result_format)))
        tests.append(ProtocolTest(str(test).rsplit("#", 1)[1], tuple(requests)))
    return tests, data


TESTS, DATA = _read_manifest() if MANIFEST.exists() else ([], {})


def test_the_manifest_is_there_and_complete():
    assert MANIFEST.exists(), f"{MANIFEST}: the W3C protocol manifest is missing (shared/ beside the repository)"
    assert len(TESTS) == 34
    assert sorted(DATA.values()) == [f"http://kasei.us/2009/09/sparql/data/data{i}.rdf" for i in (1, 2, 3)]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    out = make_publication(tmp_path_factory.mktemp("w3c"))
    adds = [arg for path, graph in DATA.items() for arg in ("--add", f"{MANIFEST.parent / path.name}={graph}")]
    running = Server(out, *adds)
    yield running
    running.stop()


def _boolean(response) -> bool:
    media_type = response.getheader("Content-Type").split(";")[0]
    if media_type == "application/sparql-results+json":
        return json.loads(response.body)["boolean"]
    assert media_type == "application/sparql-results+xml", media_type
    return bool(pyoxigraph.parse_query_results(response.body, format=pyoxigraph.QueryResultsFormat.XML))


def _check_format(response, expected: str) -> None:
    media_type = response.getheader("Content-Type").split(";")[0]
    if expected == "boolean":
        _boolean(response)
    elif expected == "tabular":
        assert media_type in TABULAR, media_type
        if media_type == "application/sparql-results+json":
            assert json.loads(response.body)["head"]["vars"] == ["value"]
    else:
        assert media_type in RDF_TYPES, media_type
        Graph().parse(data=response.body, format=RDF_TYPES[media_type])


def _send(server, request: Request):
    return raw_request(server.port, request.method, request.path, request.body, dict(request.headers))


QUERY_AND_REFUSAL_TESTS = [test for test in TESTS if not test.is_update]
POSITIVE_UPDATE_TESTS = [test for test in TESTS if test.is_update]


@pytest.mark.parametrize("test", QUERY_AND_REFUSAL_TESTS, ids=lambda test: test.name)
def test_protocol(server, test):
    for request in test.requests:
        response = _send(server, request)
        assert response.status // 100 in request.statuses, (response.status, response.body)
        if request.result_format:
            _check_format(response, request.result_format)
        if request.boolean is not None:
            assert _boolean(response) is request.boolean


@pytest.mark.parametrize("test", POSITIVE_UPDATE_TESTS, ids=lambda test: test.name)
def test_updates_are_refused_with_403(server, test):
    """These tests expect updates to succeed; a read-only endpoint refuses them instead."""
    response = _send(server, test.requests[0])
    assert response.status == 403
    assert b"read-only" in response.body


def _description(server, accept: str) -> Graph:
    response = raw_request(server.port, "GET", "/sparql", headers={"Accept": accept})
    assert response.status == 200
    media_type = response.getheader("Content-Type").split(";")[0]
    return Graph().parse(data=response.body, format=RDF_TYPES[media_type])


@pytest.mark.parametrize("accept", sorted(RDF_TYPES))
def test_service_description_get_returns_rdf(server, accept):
    assert len(_description(server, accept)) > 10


def test_service_description_has_a_matching_endpoint_triple(server):
    endpoint = URIRef(f"{server.url}/sparql")
    description = _description(server, "text/turtle")
    assert (endpoint, SD.endpoint, endpoint) in description
    assert (endpoint, RDF.type, SD.Service) in description
    names = {str(name) for name in description.objects(None, SD.name)}
    assert set(DATA.values()) <= names


def test_service_description_conforms_to_the_schema(server):
    shapes = Graph().parse(ROOT / "shapes" / "service-description.ttl")
    conforms, _, report = validate(_description(server, "text/turtle"), shacl_graph=shapes)
    assert conforms, report

"""Dereferencing over real HTTP: 303 by content negotiation, suffix documents, VoID, the site.

The blueprint runs in a Flask app behind waitress on a loopback port; clients are
requests and rdflib, as a browser or an RDF client would be.
"""

from __future__ import annotations

import threading

import pytest
import rdflib
import requests
from flask import Flask
from waitress import create_server

from pipeline.linkeddata import create_blueprint
from pipeline.publish import publish
from test_site_sample import BASE, sample_store

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("linkeddata")
    store = sample_store(folder / "store")
    publish(store, folder / "site", BASE)
    del store  # the server opens it read-only, as serve does
    app = Flask(__name__, static_folder=None)  # the site has its own static/ folder
    app.register_blueprint(create_blueprint(folder / "site", folder / "store"))
    httpd = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=httpd.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.effective_port}"
    httpd.close()


def get(url: str, accept: str | None = None) -> requests.Response:
    return requests.get(url, headers={"Accept": accept} if accept else {}, allow_redirects=False, timeout=10)


@pytest.mark.parametrize("accept, suffix", [
    (BROWSER, "html"), ("text/turtle", "ttl"), ("application/ld+json", "jsonld"),
    ("application/n-triples", "nt"), ("application/rdf+xml", "rdf"),
    ("application/rdf+xml;q=0.5, text/turtle", "ttl"),
])
def test_resource_iri_answers_303_by_accept(server, accept, suffix):
    response = get(server + "/id/place/homs", accept)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/id/place/homs.{suffix}")
    assert "Accept" in response.headers["Vary"]


@pytest.mark.parametrize("suffix, media, fmt", [
    ("ttl", "text/turtle", "turtle"), ("jsonld", "application/ld+json", "json-ld"),
    ("nt", "application/n-triples", "nt"), ("rdf", "application/rdf+xml", "xml"),
])
def test_documents_parse_and_describe_the_resource(server, suffix, media, fmt):
    response = get(f"{server}/id/place/homs.{suffix}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(media)
    graph = rdflib.Graph().parse(data=response.content, format=fmt)
    homs = rdflib.URIRef(f"{BASE}id/place/homs")
    assert (homs, rdflib.RDFS.label, rdflib.Literal("Homs")) in graph


def test_rdf_client_follows_the_redirect(server):
    response = requests.get(server + "/id/event/2024-12-06-withdraw-homs",
                            headers={"Accept": "text/turtle"}, timeout=10)
    assert response.history and response.history[0].status_code == 303
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    assert len(graph) > 5


def test_browser_gets_the_page(server):
    response = requests.get(server + "/id/place/homs", headers={"Accept": BROWSER}, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<h1><bdi>Homs</bdi>" in response.text


def test_mention_dereferences_to_its_highlight_and_to_rdf_from_the_store(server):
    html = get(server + "/id/mention/000-reuters/25-67", BROWSER)
    assert html.status_code == 303
    assert html.headers["Location"].endswith("/id/article/000-reuters.html#m-25-67")
    rdf = requests.get(server + "/id/mention/000-reuters/25-67", headers={"Accept": "text/turtle"}, timeout=10)
    graph = rdflib.Graph().parse(data=rdf.text, format="turtle")
    anchor = rdflib.URIRef("https://w3id.org/newsgraph/ns#anchorOf")
    assert str(graph.value(rdflib.URIRef(f"{BASE}id/mention/000-reuters/25-67"), anchor)) == \
        "Government forces have withdrawn from Homs"


def test_sub_resources_dereference_to_their_owner_page(server):
    geometry = get(server + "/id/place/homs/geometry", BROWSER)
    assert geometry.status_code == 303 and geometry.headers["Location"].endswith("/id/place/homs.html")
    role = get(server + "/id/event/2024-12-06-withdraw-homs/role/agent/syrian-government-forces", BROWSER)
    assert role.headers["Location"].endswith("/id/event/2024-12-06-withdraw-homs.html")


def test_unknown_iri_is_404(server):
    assert get(server + "/id/place/atlantis", BROWSER).status_code == 404
    assert get(server + "/id/place/atlantis", "text/turtle").status_code == 404
    assert get(server + "/id/place/atlantis.ttl").status_code == 404
    assert get(server + "/id/../../etc/passwd").status_code == 404


def test_well_known_void_describes_the_dataset(server):
    response = get(server + "/.well-known/void")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/turtle")
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    void = rdflib.Namespace("http://rdfs.org/ns/void#")
    dataset = rdflib.URIRef(f"{BASE}dataset")
    assert (dataset, rdflib.RDF.type, void.Dataset) in graph
    assert (dataset, void.sparqlEndpoint, rdflib.URIRef(f"{BASE}sparql")) in graph
    assert str(graph.value(dataset, void.uriSpace)) == f"{BASE}id/"


def test_static_site_is_served(server):
    assert "Latest events" in get(server + "/").text
    assert get(server + "/events").status_code == 200
    assert get(server + "/downloads/").status_code == 200
    dump = get(server + "/downloads/newsgraph.ttl")
    assert dump.headers["Content-Type"].startswith("text/turtle")
    assert get(server + "/static/site.css").status_code == 200


def test_newsgraph_serve_dereferences_the_seeds(seeds_server):
    """The same behaviour through the real `newsgraph serve` on the real seeds build."""
    homs = seeds_server.url + "/id/place/homs"
    html = get(homs, BROWSER)
    assert html.status_code == 303 and html.headers["Location"].endswith("/id/place/homs.html")
    assert "Accept" in html.headers["Vary"]
    turtle = requests.get(homs, headers={"Accept": "text/turtle"}, timeout=10)
    graph = rdflib.Graph().parse(data=turtle.text, format="turtle")
    assert (rdflib.URIRef("http://127.0.0.1:5000/id/place/homs"), rdflib.RDFS.label, None) in graph
    void = get(seeds_server.url + "/.well-known/void")
    assert void.status_code == 200 and "void:Dataset" in void.text


def test_a_replaced_event_iri_moves_permanently_to_its_successor(tmp_path):
    """An event merged into another (dct:isReplacedBy in the resolved graph) answers 301 to it."""
    import pyoxigraph as ox

    from pipeline.linkeddata import REPLACED_BY

    base = "http://localhost/"
    store = ox.Store(str(tmp_path / "store"))
    store.add(ox.Quad(ox.NamedNode(base + "id/event/old"), ox.NamedNode(REPLACED_BY),
                      ox.NamedNode(base + "id/event/new"), ox.NamedNode(base + "graph/resolved")))
    del store
    (tmp_path / "site" / "id" / "event").mkdir(parents=True)
    (tmp_path / "site" / "id" / "event" / "old.html").write_text("the page for sites served as files")
    app = Flask(__name__, static_folder=None)
    app.register_blueprint(create_blueprint(tmp_path / "site", tmp_path / "store"))
    client = app.test_client()
    for accept in (BROWSER, "text/turtle"):
        response = client.get("/id/event/old", headers={"Accept": accept})
        assert response.status_code == 301
        assert response.headers["Location"].endswith("/id/event/new")
    assert client.get("/id/event/unknown", headers={"Accept": BROWSER}).status_code == 404

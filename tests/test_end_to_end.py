"""The seeds built with the real command, served by the real server, read by real clients."""

from __future__ import annotations

import requests
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, RDF
from SPARQLWrapper import JSON, SPARQLWrapper

from conftest import run_newsgraph

ARTICLES = """
PREFIX ng: <https://w3id.org/newsgraph/ns#>
SELECT ?article ?file ?checksum WHERE { ?article a ng:Article ; ng:sourceFile ?file ; ng:checksum ?checksum }
ORDER BY ?file
"""


def test_sparql_select_over_http_with_sparqlwrapper(seeds_server):
    client = SPARQLWrapper(seeds_server.url + "/sparql")
    client.setQuery(ARTICLES)
    client.setReturnFormat(JSON)
    bindings = client.query().convert()["results"]["bindings"]
    assert [b["file"]["value"] for b in bindings] == [
        "000_dcf614000738ace4.txt", "001_be61f6051636a428.txt", "002_c11a39ef1e7a73a7.txt",
        "003_241a784381566099.txt", "004_3d70aeb62e0a3269.txt"]
    assert all(b["checksum"]["value"].startswith("sha256:") for b in bindings)


def test_each_article_has_its_own_named_graph(seeds_server):
    response = requests.get(seeds_server.url + "/sparql", params={"query": """
        PREFIX ng: <https://w3id.org/newsgraph/ns#>
        SELECT ?g ?a WHERE { GRAPH ?g { ?a a ng:Article } }"""},
        headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert response.status_code == 200
    rows = response.json()["results"]["bindings"]
    assert len(rows) == 5
    for row in rows:
        assert row["g"]["value"].rsplit("/", 1)[1] == row["a"]["value"].rsplit("/", 1)[1]


def test_home_entity_page_and_turtle_dump(seeds_server):
    home = requests.get(seeds_server.url + "/", timeout=30)
    assert home.status_code == 200 and "text/html" in home.headers["Content-Type"]
    assert "newsgraph" in home.text
    page = requests.get(seeds_server.url + "/id/article/000_dcf614000738ace4.html", timeout=30)
    assert page.status_code == 200
    assert "Anastasiia Mohylevets" in page.text
    dump = requests.get(seeds_server.url + "/downloads/newsgraph.ttl", timeout=60)
    assert dump.status_code == 200
    graph = Graph().parse(data=dump.text, format="turtle")
    assert len(graph) > 1000


def test_an_entity_pages_statements_leave_its_mentions_to_their_own_section(seeds_server):
    """ng:hasMention and its entailed superproperty gaf:denotedBy are the entity's mention list,
    shown (capped) in its own section: as statements they would be a row per mention."""
    html = requests.get(seeds_server.url + "/id/place/homs.html", timeout=30).text
    statements = html[html.index("<h2>Statements</h2>"):]
    statements = statements[:statements.index("</table>")]
    assert "denotedBy" not in statements and "hasMention" not in statements
    assert "/id/mention/" in html  # the mentions are on the page


def test_query_command_prints_a_table(built_seeds):
    result = run_newsgraph("query", ARTICLES, "--out", str(built_seeds))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split(" | ")[0].strip() == "article"
    assert "001_be61f6051636a428.txt" in result.stdout and lines[-1] == "(5 rows)"


def test_query_without_publication_is_a_clear_error(tmp_path):
    result = run_newsgraph("query", "ASK {}", "--out", str(tmp_path / "none"))
    assert result.returncode == 1
    assert "no publication in" in result.stderr and "newsgraph build" in result.stderr


def test_cli_help_and_version():
    version = run_newsgraph("--version")
    assert version.returncode == 0 and version.stdout.startswith("newsgraph, version ")
    for command in ("build", "serve", "query"):
        help_text = run_newsgraph(command, "--help")
        assert help_text.returncode == 0 and "--out" in help_text.stdout


def test_ontology_page_and_its_iri_dereference(seeds_server):
    page = requests.get(seeds_server.url + "/ns", timeout=30)
    assert page.history[0].status_code == 303 and page.history[0].headers["Vary"] == "Accept"
    assert page.url.endswith("/ontology.html") and 'id="Event"' in page.text
    assert 'href="id/' in page.text  # terms link an example from the data
    turtle = requests.get(seeds_server.url + "/ns", headers={"Accept": "text/turtle"}, timeout=30)
    assert turtle.url.endswith("/ontology.ttl")
    graph = Graph().parse(data=turtle.text, format="turtle")
    assert len(graph) > 500


def test_validation_report_is_published_as_html_and_shacl_turtle(seeds_server):
    html = requests.get(seeds_server.url + "/report.html", timeout=30)
    assert html.status_code == 200 and "5 article graphs validated" in html.text and 'href="report.ttl"' in html.text
    turtle = requests.get(seeds_server.url + "/report.ttl", timeout=30)
    graph = Graph().parse(data=turtle.text, format="turtle")
    reports = set(graph.subjects(RDF.type, URIRef("http://www.w3.org/ns/shacl#ValidationReport")))
    about = {str(graph.value(report, DCTERMS.subject)) for report in reports}
    assert len(reports) == len(about) == 5 and all("/graph/article/" in name for name in about)


def test_no_statement_is_stored_in_two_graphs(seeds_server):
    """A triple in two named graphs is a duplicate row in every query over the union; the
    inverse of an event's ng:hasMention (resolved graph) is its mention's ng:refersTo, which
    the article graph states, so neither graph repeats the other's."""
    def count(projection: str) -> int:
        response = requests.get(seeds_server.url + "/sparql",
                                params={"query": f"SELECT ({projection} AS ?n) WHERE {{ ?s ?p ?o }}"},
                                headers={"Accept": "application/sparql-results+json"}, timeout=30)
        return int(response.json()["results"]["bindings"][0]["n"]["value"])

    assert count("COUNT(*)") == count("COUNT(DISTINCT *)") > 20_000

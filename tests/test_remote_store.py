"""Writing the graphs to a real external SPARQL store (`oxigraph serve`) over HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from conftest import SEEDS, Oxigraph, free_port, run_newsgraph
from test_incremental import canonical_quads

GRAPHS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


@pytest.fixture
def oxigraph_server(tmp_path):
    store = Oxigraph(tmp_path / "remote")
    yield store.url
    store.stop()


def remote_quads(url: str) -> list[str]:
    response = requests.post(url + "/query", data={"query": "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"},
                             headers={"Accept": "application/n-triples"}, timeout=60)
    response.raise_for_status()
    return sorted(line for line in response.text.splitlines() if line)


def remote_graphs(url: str) -> set[str]:
    response = requests.post(url + "/query", data={"query": GRAPHS},
                             headers={"Accept": "application/sparql-results+json"}, timeout=60)
    return {row["g"]["value"] for row in response.json()["results"]["bindings"]}


def graphs_by_name(out: Path) -> dict[str, set[str]]:
    """The publication's quads grouped by named graph."""
    graphs: dict[str, set[str]] = {}
    for quad in canonical_quads(out):
        triple, graph, _ = quad.rsplit(" ", 2)
        graphs.setdefault(graph.strip("<>"), set()).add(triple)
    return graphs


@pytest.mark.parametrize("protocol, endpoint", [("gsp", "/store"), ("update", "/update")])
def test_build_writes_every_graph_and_later_only_changes(tmp_path, copy_of_seeds, oxigraph_server, protocol, endpoint):
    out = tmp_path / "out"
    store = oxigraph_server + endpoint
    first = run_newsgraph("build", str(copy_of_seeds), "--out", str(out), "--store", store, "--store-protocol", protocol)
    assert first.returncode == 0, first.stderr
    before = graphs_by_name(out)
    assert f"{store}: {len(before)} graphs written, 0 dropped, 0 unchanged" in first.stdout
    local = {line.rsplit(" ", 2)[0] + " ." for line in canonical_quads(out)}  # quads without their graph
    assert set(remote_quads(oxigraph_server)) == local

    (copy_of_seeds / "003_241a784381566099.txt").unlink()
    second = run_newsgraph("build", str(copy_of_seeds), "--out", str(out), "--store", store, "--store-protocol", protocol)
    assert second.returncode == 0, second.stderr
    after = graphs_by_name(out)
    changed = sum(1 for name, triples in after.items() if before.get(name) != triples)
    unchanged = len(after) - changed
    assert unchanged >= 1  # the ontology graph, at least, is not sent again
    assert f"{store}: {changed} graphs written, 1 dropped, {unchanged} unchanged" in second.stdout
    assert remote_graphs(oxigraph_server) == set(after)
    assert set(remote_quads(oxigraph_server)) == {line.rsplit(" ", 2)[0] + " ." for line in canonical_quads(out)}


def test_unreachable_store_is_a_clear_error_and_the_local_publication_stands(tmp_path):
    out = tmp_path / "out"
    result = run_newsgraph("build", str(SEEDS), "--out", str(out), "--store", f"http://127.0.0.1:{free_port()}/store")
    assert result.returncode == 1
    assert "Error:" in result.stderr and "Connection refused" in result.stderr
    assert (out / "current" / "store").is_dir()


def test_credentials_come_from_the_environment(monkeypatch):
    from requests.auth import HTTPDigestAuth

    from pipeline.remote import authenticated_session

    monkeypatch.delenv("NEWSGRAPH_STORE_USER", raising=False)
    monkeypatch.delenv("NEWSGRAPH_STORE_TOKEN", raising=False)
    assert authenticated_session().auth is None
    monkeypatch.setenv("NEWSGRAPH_STORE_USER", "dba")
    monkeypatch.setenv("NEWSGRAPH_STORE_PASSWORD", "secret")
    assert authenticated_session().auth == ("dba", "secret")
    monkeypatch.setenv("NEWSGRAPH_STORE_AUTH", "digest")
    assert isinstance(authenticated_session().auth, HTTPDigestAuth)
    monkeypatch.setenv("NEWSGRAPH_STORE_TOKEN", "t0ken")
    assert authenticated_session().headers["Authorization"] == "Bearer t0ken"

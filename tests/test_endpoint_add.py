"""`newsgraph serve --add FILE=GRAPH_IRI`: extra RDF files served beside the publication."""

from __future__ import annotations

import logging
import subprocess
import threading
import time
from pathlib import Path

import click
import pyoxigraph
import pytest
import requests

from conftest import Server
from endpoint_support import SAMPLE, make_publication
from pipeline.endpoint import _serving_store, parse_added_graphs
from pipeline.publication import current
from test_endpoint import RUNAWAY

GRAPH = "http://example.org/extra?version=1"


@pytest.fixture
def extra(tmp_path):
    path = tmp_path / "extra.ttl"
    path.write_text("<http://example.org/s> <http://example.org/p> 1 .\n", encoding="utf-8")
    return path


def test_the_option_reads_file_and_graph(extra):
    assert parse_added_graphs(None, None, [f"{extra}={GRAPH}"]) == ((extra, GRAPH),)


@pytest.mark.parametrize("value", ["{file}", "{file}=not-an-iri", "{missing}=http://example.org/g"],
                         ids=["no-graph", "not-an-iri", "no-such-file"])
def test_the_option_refuses_what_it_cannot_serve(extra, tmp_path, value):
    with pytest.raises(click.BadParameter):
        parse_added_graphs(None, None, [value.format(file=extra, missing=tmp_path / "missing.ttl")])


def test_added_files_join_a_private_copy_and_bad_ones_are_reported(extra, tmp_path, caplog):
    built = current(make_publication(tmp_path / "out", SAMPLE)).store
    broken = tmp_path / "broken.ttl"
    broken.write_text("<http://example.org/s> <http://example.org/p", encoding="utf-8")
    unknown = tmp_path / "data.xyz"
    unknown.write_text("whatever", encoding="utf-8")
    with caplog.at_level(logging.ERROR):
        serving = _serving_store(built, [(extra, GRAPH), (broken, "http://example.org/broken"),
                                         (unknown, "http://example.org/unknown")])
    assert serving != built
    graphs = {g.value for g in pyoxigraph.Store.read_only(str(serving)).named_graphs()}
    assert GRAPH in graphs and "http://127.0.0.1:5000/graph/resolved" in graphs
    assert not graphs & {"http://example.org/broken", "http://example.org/unknown"}
    assert f"{broken}: not served" in caplog.text and f"{unknown}: not served" in caplog.text
    assert len(pyoxigraph.Store.read_only(str(built))) == len(
        pyoxigraph.Store.read_only(str(serving))) - 1  # the publication itself is untouched


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_stopping_the_server_ends_its_workers_and_removes_the_copy(extra, tmp_path, monkeypatch):
    out = make_publication(tmp_path / "out", SAMPLE)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    server = Server(out, "--add", f"{extra}={GRAPH}", "--time-limit", "60")
    try:
        ask = requests.get(server.url + "/sparql", params={"query": f"ASK {{ GRAPH <{GRAPH}> {{ ?s ?p 1 }} }}"},
                           timeout=30)
        assert ask.status_code == 200, ask.text
        assert ask.json()["boolean"] is True
        assert [p.name.startswith("newsgraph-serve-") for p in scratch.iterdir()] == [True]
        workers = [int(line.split()[0]) for line in subprocess.run(
            ["ps", "-ww", "-o", "pid=,args=", "--ppid", str(server.process.pid)],
            capture_output=True, text=True).stdout.splitlines() if "multiprocessing.spawn" in line]
        assert workers
        threading.Thread(target=requests.get, args=(server.url + "/sparql",),
                         kwargs={"params": {"query": RUNAWAY}, "timeout": 90}, daemon=True).start()
        time.sleep(1)
    finally:
        server.stop()
    assert server.process.returncode == 0
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers)  # even the one running the runaway query
    assert list(scratch.iterdir()) == []

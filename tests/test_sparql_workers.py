"""The query workers' own defence: no network at all, whatever a query asks for.

pyoxigraph evaluates SERVICE by making an HTTP request from Rust (the query guard
refuses such queries first; this is the layer behind it). Sent straight to pyoxigraph,
with no guard, the request reaches a loopback listener from an ordinary process and
nothing reaches it from a process that went through `cut_network`.
"""

from __future__ import annotations

import multiprocessing
import time

import pyoxigraph
import pytest

from endpoint_support import Trap
from pipeline.sparql_workers import cut_network


def _service(url: str) -> str:
    try:
        list(pyoxigraph.Store().query(f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}"))
        return "answered"
    except (OSError, SyntaxError, ValueError) as exc:
        return f"failed: {exc}"


def _service_without_network(url: str, results) -> None:
    results.put((cut_network(), _service(url)))


@pytest.fixture
def trap():
    listener = Trap()
    yield listener
    listener.close()


def test_an_unguarded_service_query_does_reach_out(trap):
    _service(trap.url)
    time.sleep(0.3)
    assert len(trap.connections) == 1  # the danger the workers are protected from is real


def test_a_worker_process_cannot_reach_the_network(trap):
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=_service_without_network, args=(trap.url, results))
    process.start()
    isolated, outcome = results.get(timeout=60)
    process.join()
    if not isolated:
        pytest.skip("this system allows no network namespaces; the query guard is the only defence")
    assert outcome.startswith("failed")
    time.sleep(0.3)
    assert trap.connections == []

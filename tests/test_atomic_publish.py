"""A build killed midway leaves the previous publication whole and served."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time

import requests
from pyoxigraph import Store

from conftest import NEWSGRAPH, ROOT, SEEDS, Server
from pipeline.publication import RELEASES, current

COUNT = "PREFIX ng: <https://w3id.org/newsgraph/ns#> SELECT (COUNT(?a) AS ?n) WHERE { GRAPH ?g { ?a a ng:Article } }"


def article_count(out) -> int:
    store = Store.read_only(str(current(out).store))
    return int(next(iter(store.query(COUNT)))["n"].value)


def test_sigkill_midway_keeps_the_previous_publication(tmp_path):
    out = tmp_path / "out"
    first = subprocess.run([NEWSGRAPH, "build", str(SEEDS), "--out", str(out)], cwd=ROOT, capture_output=True)
    assert first.returncode == 0
    before = current(out).root
    files_before = sorted(p.relative_to(before) for p in before.rglob("*"))

    # A bigger corpus, so the second build is still running when it is killed.
    bigger = tmp_path / "bigger"
    bigger.mkdir()
    for copy in range(30):
        for path in SEEDS.glob("*.txt"):
            shutil.copy(path, bigger / f"{copy:03d}-{path.name}")
    build = subprocess.Popen([NEWSGRAPH, "build", str(bigger), "--out", str(out)], cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not any((release / "store").exists() for release in (out / RELEASES).iterdir()
                  if release != before):  # the new release's store is being written
        assert build.poll() is None, "the build ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.kill(build.pid, signal.SIGKILL)
    build.wait()

    assert current(out).root == before
    assert sorted(p.relative_to(before) for p in before.rglob("*")) == files_before
    assert article_count(out) == 5
    server = Server(out)
    try:
        assert requests.get(server.url + "/", timeout=10).status_code == 200
    finally:
        server.stop()

    # The next complete build replaces it and the half-written release is cleaned away.
    again = subprocess.run([NEWSGRAPH, "build", str(SEEDS), "--out", str(out)], cwd=ROOT, capture_output=True)
    assert again.returncode == 0
    assert current(out).root != before
    assert sorted(p.resolve() for p in (out / RELEASES).iterdir()) == sorted([before, current(out).root])

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
from pipeline.publication import RELEASES, SWEPT, current, promote, stage, sweeping

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

    # Different articles, so the second build has a new store and site to write.
    other = tmp_path / "other"
    other.mkdir()
    for path in SEEDS.glob("*.txt"):
        shutil.copy(path, other / f"copy-{path.name}")
    build = subprocess.Popen([NEWSGRAPH, "build", str(other), "--out", str(out)], cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while not any((release / "store").exists() for release in (out / RELEASES).iterdir()
                  if release != before):  # the new release's store is being written
        assert build.poll() is None, "the build ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.01)
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


def test_releases_staged_within_one_second_get_folders_of_their_own(tmp_path, monkeypatch):
    """A process building twice into one folder within a second (a script, a test) must not
    find the first release's folder in its way: the second gets a name of its own."""
    monkeypatch.setattr("pipeline.publication.time.strftime", lambda *_: "20261201T120000")  # one second
    first, second = stage(tmp_path), stage(tmp_path)
    assert first.root != second.root
    assert second.root.name == first.root.name + "-1"
    assert (second.root / "site").is_dir() and (second.root / "report").is_dir()
    shutil.rmtree(first.root)  # swept by a build, but this process may still hold its store
    assert stage(tmp_path).root.name == first.root.name + "-2"


def test_a_build_sweeps_old_releases_aside_and_removes_them_while_it_runs(tmp_path):
    """Every release but the current one leaves `releases/` as the block starts (the build then
    stages its own beside the current one); a child process removes them; the block ends when
    it is done. What an earlier sweep left aside goes too; the current release is untouched."""
    out = tmp_path / "out"
    releases = []
    for _ in range(3):  # the previous one, the current one, a killed build's
        releases.append(stage(out))
        (releases[-1].site / "page.html").write_text(releases[-1].root.name)
        if len(releases) < 3:
            promote(out, releases[-1])
    assert len(list((out / RELEASES).iterdir())) == 3
    (out / SWEPT / "left-by-a-killed-sweep").mkdir(parents=True)
    with sweeping(out):
        assert sorted((out / RELEASES).iterdir()) == [releases[1].root]
        assert (out / SWEPT).is_dir()
    assert not (out / SWEPT).exists()
    assert current(out).root == releases[1].root
    assert (current(out).site / "page.html").read_text() == releases[1].root.name
    with sweeping(out):  # nothing to sweep: no child, nothing moved
        assert not (out / SWEPT).exists()
    assert sorted((out / RELEASES).iterdir()) == [releases[1].root]

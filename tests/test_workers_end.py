"""Page workers end with the build they work for, also when it is killed (they are a fork
server's children, not the build's, so nothing else ends them)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

KILLED = """
import os, signal, sys, time
from pathlib import Path
import pyoxigraph as ox
from pipeline.site import SiteWriter, Workers

def sleep_here(folder):
    (Path(folder) / str(os.getpid())).touch()
    time.sleep(120)

if __name__ == "__main__":
    folder = Path(sys.argv[1])
    ox.Store(str(folder / "store")).flush()
    writer = SiteWriter(ox.Store.read_only(str(folder / "store")), folder / "site", "https://example.org/", meta={})
    workers = Workers(folder / "store", 2, writer)
    for _ in range(2):
        workers.submit(sleep_here, folder / "pids")
    while len(list((folder / "pids").iterdir())) < 2:
        time.sleep(0.05)
    os.kill(os.getpid(), signal.SIGKILL)
"""


def alive(pid: int) -> bool:
    """Running: a zombie (dead, not yet reaped) counts as ended."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def test_page_workers_end_when_the_build_is_killed(tmp_path):
    (tmp_path / "pids").mkdir()
    script = tmp_path / "killed.py"
    script.write_text(KILLED)
    with (tmp_path / "stderr").open("w") as stderr:  # not a pipe: workers left alive would hold it open
        run = subprocess.run([sys.executable, str(script), str(tmp_path)], cwd=ROOT, stdout=subprocess.DEVNULL,
                             stderr=stderr, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == -9, (tmp_path / "stderr").read_text()
    pids = [int(p.name) for p in (tmp_path / "pids").iterdir()]
    assert len(pids) == 2
    deadline = time.monotonic() + 20
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(pid) for pid in pids)

"""Shared fixtures: the seeds built once, and real servers on loopback ports."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
NEWSGRAPH = str(Path(sys.executable).with_name("newsgraph"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_newsgraph(*args: str, **kwargs) -> subprocess.CompletedProcess:
    """Run the installed `newsgraph` command, as a user would."""
    return subprocess.run([NEWSGRAPH, *args], capture_output=True, text=True, cwd=ROOT, **kwargs)


class Server:
    """`newsgraph serve` in its own process, on a free loopback port."""

    def __init__(self, out: Path, *extra: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [NEWSGRAPH, "serve", "--out", str(out), "--port", str(self.port), *extra],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"newsgraph serve exited: {self.process.stdout.read()}")
            try:
                requests.get(self.url + "/", timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("newsgraph serve did not answer within 60 s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="session")
def built_seeds(tmp_path_factory) -> Path:
    """The seeds built with the real command into a fresh folder: the publication's OUT."""
    out = tmp_path_factory.mktemp("seeds-build")
    result = run_newsgraph("build", str(SEEDS), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="session")
def seeds_server(built_seeds):
    server = Server(built_seeds)
    yield server
    server.stop()


@pytest.fixture
def copy_of_seeds(tmp_path) -> Path:
    folder = tmp_path / "articles"
    shutil.copytree(SEEDS, folder)
    return folder



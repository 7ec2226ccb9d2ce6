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
OXIGRAPH = str(Path(sys.executable).with_name("oxigraph"))


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


class Oxigraph:
    """`oxigraph serve` (the PyPI `oxigraph` package) on a free loopback port: a real external
    SPARQL 1.1 store, on disk at `location` or in memory. Its query endpoint is `url + "/query"`,
    its Graph Store Protocol endpoint `url + "/store"`."""

    def __init__(self, location: Path | None = None, *extra: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        where = ["--location", str(location)] if location else []
        self.process = subprocess.Popen([OXIGRAPH, "serve", *where, "--bind", f"127.0.0.1:{self.port}", *extra],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(self.url + "/query", params={"query": "ASK {}"}, timeout=1)
                return
            except requests.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("oxigraph serve did not start") from None
                time.sleep(0.1)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


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



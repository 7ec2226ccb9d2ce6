"""The HTTP servers the benchmarks drive, started on free loopback ports, and a client for them.

`newsgraph serve` is run as users run it (its own command, over a publication folder);
`oxigraph serve-read-only` (the PyPI `oxigraph` package's binary, installed beside it)
reads the same store files with the union default graph, as newsgraph's endpoint does.
Only loopback addresses are used.
"""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

BIN = Path(sys.executable).parent
LOOPBACK = "127.0.0.1"
JSON_RESULTS = "application/sparql-results+json"


@dataclass
class Server:
    """A server process and where its SPARQL endpoint answers."""

    name: str
    process: subprocess.Popen
    port: int
    path: str  # the query path, e.g. /sparql or /query

    def connection(self, timeout: float = 600, source: str | None = None) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(LOOPBACK, self.port, timeout=timeout,
                                          source_address=(source, 0) if source else None)

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def post_query(connection: http.client.HTTPConnection, path: str, query: str,
               accept: str = JSON_RESULTS) -> tuple[int, bytes]:
    """POST a query as a form (the SPARQL 1.1 Protocol) and read the whole answer."""
    body = urlencode({"query": query}).encode()
    connection.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded",
                                            "Accept": accept})
    response = connection.getresponse()
    return response.status, response.read()


def _wait_ready(server: Server, seconds: float = 120) -> Server:
    """Wait until the server answers `ASK {}`; stop it and fail if it never does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        try:
            if post_query(server.connection(timeout=5), server.path, "ASK {}")[0] == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.close()
    raise SystemExit(f"{server.name} did not answer on port {server.port}")


def start_newsgraph(out: Path, *options: str) -> Server:
    """`newsgraph serve --out OUT` with extra command-line options (limits, workers)."""
    port = free_port()
    command = [str(BIN / "newsgraph"), "serve", "--out", str(out), "--host", LOOPBACK, "--port", str(port), *options]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return _wait_ready(Server("newsgraph serve", process, port, "/sparql"))


def start_oxigraph(store: Path, timeout: float) -> Server:
    """`oxigraph serve-read-only` over the store files, its default graph the union of all graphs."""
    port = free_port()
    command = [str(BIN / "oxigraph"), "serve-read-only", "--location", str(store), "--bind", f"{LOOPBACK}:{port}",
               "--union-default-graph", "--timeout-s", str(int(timeout))]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return _wait_ready(Server("oxigraph serve-read-only", process, port, "/query"))

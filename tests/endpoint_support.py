"""Helpers for the endpoint's tests: small publications, raw HTTP, a loopback trap."""

from __future__ import annotations

import http.client
import socket
import threading
from pathlib import Path

import pyoxigraph

from pipeline.publication import promote, stage

DATA = Path(__file__).resolve().parent / "data"
SAMPLE = DATA / "endpoint-sample.trig"


def make_publication(out: Path, dataset: Path | None = None) -> Path:
    """A current publication in `out` whose store holds `dataset` (TriG), or nothing."""
    publication = stage(out)
    store = pyoxigraph.Store(str(publication.store))
    if dataset is not None:
        store.load(path=str(dataset), format=pyoxigraph.RdfFormat.TRIG)
    store.flush()
    del store
    promote(out, publication)
    return out


def raw_request(port: int, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None, source: str = "127.0.0.1") -> http.client.HTTPResponse:
    """One HTTP/1.1 request exactly as given (no client-side defaults such as a Content-Type).

    `source` picks the loopback address the request comes from, to act as another client.
    """
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(source, 0))
    connection.putrequest(method, path, skip_accept_encoding=True)
    for name, value in (headers or {}).items():
        connection.putheader(name, value)
    if body is not None:
        connection.putheader("Content-Length", str(len(body)))
    connection.endheaders(body)
    response = connection.getresponse()
    response.body = response.read()
    connection.close()
    return response


class Trap:
    """A TCP listener on loopback that records every connection made to it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.connections: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            conn.settimeout(1)
            try:
                self.connections.append(conn.recv(4096))
            except socket.timeout:
                self.connections.append(b"")
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()

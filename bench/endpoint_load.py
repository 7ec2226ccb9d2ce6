"""Load benchmark of the SPARQL endpoint: 32 concurrent clients for 60 s, plus one runaway query.

Each client is its own loopback address (127.0.0.10, .11, ...), as 32 different users
would be, and sends the example gallery's queries one after another over a kept-alive
HTTP/1.1 connection. Ten seconds in, another client sends a runaway query (a count
over a five-way cross join of the store); the server must stop it at its time limit
while the others go on. Figures are printed for the whole run and for the windows
before, during and after the runaway.

    python bench/endpoint_load.py --out build          # starts `newsgraph serve` on a free port
    python bench/endpoint_load.py --url http://127.0.0.1:5000/sparql   # a server already running

Only loopback addresses are ever contacted.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.endpoint_page import load_examples  # noqa: E402

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"


@dataclass(frozen=True)
class Sample:
    started: float  # seconds since the run began
    seconds: float
    status: int  # 0: the request failed without an HTTP answer
    query: str


def _post(connection: http.client.HTTPConnection, path: str, query: str) -> int:
    body = urlencode({"query": query}).encode()
    connection.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded",
                                            "Accept": "application/sparql-results+json"})
    response = connection.getresponse()
    response.read()
    return response.status


def _client(host: str, port: int, path: str, source: str, queries, stop: float, origin: float,
            samples: list[Sample]) -> None:
    rng = random.Random(source)
    connection = http.client.HTTPConnection(host, port, timeout=120, source_address=(source, 0))
    while (now := time.monotonic()) < stop:
        name, query = rng.choice(queries)
        try:
            status = _post(connection, path, query)
        except (OSError, http.client.HTTPException):
            status = 0
            connection.close()
            connection = http.client.HTTPConnection(host, port, timeout=120, source_address=(source, 0))
        samples.append(Sample(now - origin, time.monotonic() - now, status, name))
    connection.close()


def _summary(label: str, samples: list[Sample], seconds: float) -> str:
    if not samples:
        return f"{label:<28} no requests"
    latencies = sorted(s.seconds * 1000 for s in samples)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    errors = sum(1 for s in samples if s.status != 200)
    return (f"{label:<28} {len(samples):6d} req  {len(samples) / seconds:7.1f} req/s  "
            f"p50 {statistics.median(latencies):7.1f} ms  p99 {p99:7.1f} ms  errors {errors}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server(out: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    command = [str(Path(sys.executable).with_name("newsgraph")), "serve", "--out", str(out), "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/sparql"
    for _ in range(300):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            if _post(connection, "/sparql", "ASK {}") == 200:
                return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"newsgraph serve --out {out} did not answer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--url", help="the /sparql URL of a running server (loopback only)")
    target.add_argument("--out", type=Path, default=ROOT / "build", help="serve this publication (default: build)")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--runaway-at", type=float, default=10.0)
    args = parser.parse_args()

    process = None
    url = args.url
    if url is None:
        process, url = _start_server(args.out)
    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost"):
        raise SystemExit("this benchmark only drives a server on loopback")
    host, port, path = "127.0.0.1", parts.port or 80, parts.path or "/sparql"
    queries = [(example.name, example.query) for example in load_examples()]

    load_before = os.getloadavg()[0]
    samples: list[Sample] = []
    origin = time.monotonic()
    stop = origin + args.seconds
    threads = [threading.Thread(target=_client, args=(host, port, path, f"127.0.0.{10 + i}", queries, stop,
                                                      origin, samples)) for i in range(args.clients)]
    for thread in threads:
        thread.start()
    time.sleep(args.runaway_at)
    runaway_start = time.monotonic()
    try:
        runaway_status = _post(http.client.HTTPConnection(host, port, timeout=300, source_address=("127.0.0.250", 0)),
                               path, RUNAWAY)
    except (OSError, http.client.HTTPException) as exc:
        runaway_status = f"no answer ({exc})"
    runaway_end = time.monotonic()
    for thread in threads:
        thread.join()
    if process is not None:
        process.terminate()
        process.wait(timeout=30)

    begin, end = runaway_start - origin, runaway_end - origin
    before = [s for s in samples if s.started < begin]
    during = [s for s in samples if begin <= s.started < end]
    after = [s for s in samples if s.started >= end]
    print(f"endpoint {url}: {args.clients} clients, {args.seconds:g} s, {len(queries)} example queries; "
          f"{os.cpu_count()} CPUs, load average {load_before:.1f} before and {os.getloadavg()[0]:.1f} after")
    print(f"runaway query: HTTP {runaway_status} after {end - begin:.1f} s (sent at {begin:.1f} s)")
    print(_summary("all", samples, args.seconds))
    print(_summary(f"before runaway (0-{begin:.0f} s)", before, begin))
    print(_summary(f"during runaway ({begin:.0f}-{end:.0f} s)", during, max(end - begin, 1e-9)))
    print(_summary(f"after runaway ({end:.0f}-{args.seconds:.0f} s)", after, max(args.seconds - end, 1e-9)))
    failures = [s for s in samples if s.status != 200]
    for sample in failures[:10]:
        print(f"  error: HTTP {sample.status} for {sample.query} at {sample.started:.1f} s")


if __name__ == "__main__":
    main()

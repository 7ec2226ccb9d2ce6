"""Load on a served publication: the SPARQL endpoint, dereferencing and the static pages.

Three phases, one after another, each with --clients concurrent clients (default 32)
for --seconds or until --max-requests, whichever comes first:
- sparql: the example gallery's queries, POSTed with JSON results. Part way through
  (--runaway-at), another client sends a runaway query (a count over a five-way cross
  join); the server must stop it at its time limit while the others go on. The same
  load, without the runaway, is then sent to `oxigraph serve-read-only` on the same
  store: the peer.
- deref: entity IRIs (/id/place/..., /id/event/...) asked for as HTML and as Turtle,
  each answered with 303 See Other to its document (the redirect is not followed).
- pages: the static pages (.html) and their Turtle beside them; the peer is Python's
  own static file server (http.server) over the same site folder.
Each client is its own loopback address (127.0.0.10, .11, ...), as 32 users would be,
over a kept-alive HTTP/1.1 connection. Printed and recorded per phase: requests/s,
p50, p99 and errors (an answer with another status than expected, or none).

    python bench/endpoint_load.py --out build               # starts `newsgraph serve` on a free port
    python bench/endpoint_load.py --out build --seconds 10 --results /tmp/smoke

Only loopback addresses are ever contacted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from results import Record, results_option, save  # noqa: E402
from servers import JSON_RESULTS, LOOPBACK, Server, free_port, post_query, start_newsgraph, start_oxigraph  # noqa: E402
from pipeline import publication  # noqa: E402
from pipeline.endpoint_page import load_examples  # noqa: E402

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
SAMPLE_PAGES = 2000  # pages drawn from the site for the deref and pages phases


@dataclass(frozen=True)
class Target:
    """One request a client may send, and the status that counts as success."""

    name: str
    method: str
    path: str
    body: bytes | None
    headers: dict[str, str]
    expected: int
    complete: Callable[[bytes], bool] | None = None  # whether an answer with the expected status is whole


@dataclass(frozen=True)
class Sample:
    started: float  # seconds since the phase began
    seconds: float
    status: int | None  # None: no answer (connection error or timeout)
    expected: int
    target: str
    reason: str = ""  # of a 503: why the endpoint refused (`refusal`); of the expected status: not whole

    @property
    def ok(self) -> bool:
        return self.status == self.expected and not self.reason


@dataclass(frozen=True)
class Phase:
    name: str
    targets: list[Target]


@dataclass(frozen=True)
class Limits:
    clients: int
    seconds: float
    max_requests: int


def sparql_targets(path: str) -> list[Target]:
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": JSON_RESULTS}
    return [Target(e.name, "POST", path, urlencode({"query": e.query}).encode(), headers, 200, results_document)
            for e in load_examples()]


def results_document(body: bytes) -> bool:
    """Whether `body` is a whole SPARQL JSON results document. `oxigraph serve --timeout-s`
    answers a query that passes its time limit with status 200 and the document cut short
    (124 bytes of invalid JSON for a query of 14 rows, with a limit of 5 s: a probe): that is
    no answer."""
    try:
        document = json.loads(body)
    except ValueError:
        return False
    return isinstance(document, dict) and ("boolean" in document or "bindings" in document.get("results", {}))


def site_pages(site: Path, rng: random.Random) -> list[str]:
    """Paths (from the site root) of a sample of the entity pages."""
    pages = sorted(str(p.relative_to(site)) for p in (site / "id").rglob("*.html"))
    return rng.sample(pages, min(len(pages), SAMPLE_PAGES))


def deref_targets(pages: list[str]) -> list[Target]:
    targets = []
    for page in pages:
        iri_path = "/" + page.removesuffix(".html")
        targets.append(Target(iri_path, "GET", iri_path, None, {"Accept": "text/html"}, 303))
        targets.append(Target(iri_path, "GET", iri_path, None, {"Accept": "text/turtle"}, 303))
    return targets


def page_targets(pages: list[str]) -> list[Target]:
    targets = []
    for page in pages:
        targets.append(Target(page, "GET", "/" + page, None, {"Accept": "text/html"}, 200))
        targets.append(Target(page, "GET", "/" + page.removesuffix(".html") + ".ttl", None,
                              {"Accept": "text/turtle"}, 200))
    return targets


def _send(connection: http.client.HTTPConnection, target: Target) -> tuple[int, str]:
    """The answer's status, and what was wrong with it: why a 503 was sent, or that an answer
    with the expected status was cut short."""
    connection.request(target.method, target.path, target.body, target.headers)
    response = connection.getresponse()
    body = response.read()
    if response.status == 503:
        return response.status, refusal(body)
    if response.status == target.expected and target.complete and not target.complete(body):
        return response.status, "cut short"
    return response.status, ""


def refusal(body: bytes) -> str:
    """Why our endpoint answered 503, from its message (pipeline/endpoint.py): no worker free
    within the queue's wait, the query's time limit, or a worker's memory bound."""
    text = body.decode("utf-8", "replace")
    for reason, phrase in (("workers busy", "workers are busy"), ("time limit", "time limit"),
                           ("memory bound", "memory")):
        if phrase in text:
            return reason
    return ""


class Budget:
    """The phase's shared bound: a deadline and a number of requests."""

    def __init__(self, limits: Limits):
        self.deadline = time.monotonic() + limits.seconds
        self.left = limits.max_requests
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            if self.left <= 0 or time.monotonic() >= self.deadline:
                return False
            self.left -= 1
            return True


def _client(port: int, source: str, targets: list[Target], budget: Budget, origin: float,
            samples: list[Sample]) -> None:
    rng = random.Random(source)
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=120, source_address=(source, 0))
    while budget.take():
        target = rng.choice(targets)
        begin = time.monotonic()
        try:
            status, reason = _send(connection, target)
        except (OSError, http.client.HTTPException):
            status, reason = None, ""
            connection.close()
            connection = http.client.HTTPConnection(LOOPBACK, port, timeout=120, source_address=(source, 0))
        samples.append(Sample(begin - origin, time.monotonic() - begin, status, target.expected, target.name, reason))
    connection.close()


@dataclass(frozen=True)
class Figures:
    requests: int
    seconds: float
    per_second: float
    p50: float  # ms
    p99: float  # ms
    errors: int
    error_statuses: str  # "503 workers busy x56": what the errors were, by HTTP status ("none": no answer)
    answered_per_second: float  # requests answered with the expected status


def figures(samples: list[Sample], seconds: float) -> Figures:
    latencies = sorted(s.seconds * 1000 for s in samples) or [0.0]
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return Figures(len(samples), seconds, len(samples) / max(seconds, 1e-9), statistics.median(latencies), p99,
                   sum(1 for s in samples if not s.ok),
                   ", ".join(f"{kind} x{n}" for kind, n in
                             Counter(f"{s.status or 'none'} {s.reason}".rstrip() for s in samples if not s.ok
                                     ).most_common()),
                   sum(1 for s in samples if s.ok) / max(seconds, 1e-9))


def line(label: str, f: Figures) -> str:
    return (f"{label:<34} {f.requests:7d} req  {f.per_second:8.1f} req/s  p50 {f.p50:8.1f} ms  "
            f"p99 {f.p99:8.1f} ms  errors {f.errors}" + (f" ({f.error_statuses})" if f.errors else "")
            + f"  answered {f.answered_per_second:.2f}/s")


@dataclass(frozen=True)
class Runaway:
    status: str
    sent_at: float
    seconds: float


def load(port: int, targets: list[Target], limits: Limits,
         during: Callable[[float], Runaway] | None = None) -> tuple[list[Sample], float, Runaway | None]:
    """Run the clients against `port`; `during`, if given, runs beside them (and may outlast them).

    The phase's length is until the last client's last answer, the runaway left out.
    """
    samples: list[Sample] = []
    budget = Budget(limits)
    origin = time.monotonic()
    threads = [threading.Thread(target=_client, args=(port, f"127.0.0.{10 + i}", targets, budget, origin, samples))
               for i in range(limits.clients)]
    ended: list[Runaway] = []
    side = threading.Thread(target=lambda: ended.append(during(origin))) if during else None
    for thread in threads + ([side] if side else []):
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - origin
    if side:
        side.join()
    return samples, seconds, ended[0] if ended else None


def runaway(server: Server, at: float) -> Callable[[float], Runaway]:
    """Send the runaway query `at` seconds into the phase; report how the server ended it."""
    def run(origin: float) -> Runaway:
        time.sleep(max(0.0, origin + at - time.monotonic()))
        begin = time.monotonic()
        try:
            status = str(post_query(server.connection(timeout=300, source="127.0.0.250"), server.path, RUNAWAY)[0])
        except (OSError, http.client.HTTPException) as exc:
            status = f"no answer ({exc})"
        return Runaway(status, begin - origin, time.monotonic() - begin)
    return run


def start_static(site: Path) -> Server:
    """Python's standard static file server over the site folder: the peer for static pages."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", LOOPBACK,
                                "--directory", str(site)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            connection = http.client.HTTPConnection(LOOPBACK, port, timeout=5)
            connection.request("GET", "/index.html")
            connection.getresponse().read()
            return Server("python -m http.server", process, port, "/")
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("python -m http.server did not answer")


def phase_records(phase: str, label: str, ours: Figures, peer: str | None = None,
                  theirs: Figures | None = None) -> list[Record]:
    def peer_of(value: float | None) -> dict:
        return {"peer": peer, "peer_value": value} if peer and theirs else {}

    prefix = f"load {phase} ({label})"
    return [
        Record(f"{prefix} requests/s", ours.per_second, "req/s", **peer_of(theirs and theirs.per_second)),
        Record(f"{prefix} answered/s", ours.answered_per_second, "req/s",
               **peer_of(theirs and theirs.answered_per_second)),
        Record(f"{prefix} p50", ours.p50, "ms", **peer_of(theirs and theirs.p50)),
        Record(f"{prefix} p99", ours.p99, "ms", **peer_of(theirs and theirs.p99)),
        Record(f"{prefix} errors", ours.errors, "requests", **peer_of(theirs and theirs.errors)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "build", help="the publication to serve (default: build)")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each phase, at most")
    parser.add_argument("--max-requests", type=int, default=200_000, help="requests of each phase, at most")
    parser.add_argument("--runaway-at", type=float,
                        help="seconds into the sparql phase (default: a sixth of --seconds; <0: none)")
    parser.add_argument("--phases", default="sparql,deref,pages")
    parser.add_argument("--label", help="names the publication in the records (default: the --out folder's name)")
    parser.add_argument("--query-workers", type=int, help="`newsgraph serve --query-workers` (default: serve's)")
    results_option(parser)
    args = parser.parse_args()
    limits = Limits(args.clients, args.seconds, args.max_requests)
    runaway_at = args.seconds / 6 if args.runaway_at is None else args.runaway_at
    phases = args.phases.split(",")
    current = publication.current(args.out)
    label = f"{args.clients} clients, {args.label or args.out.resolve().name}"
    if args.query_workers:
        label += f", {args.query_workers} query workers"
    pages = site_pages(current.site, random.Random(7))
    load_before = os.getloadavg()[0]
    records: list[Record] = []

    ours = start_newsgraph(args.out, *(["--query-workers", str(args.query_workers)] if args.query_workers else []))
    try:
        if "sparql" in phases:
            during = runaway(ours, runaway_at) if runaway_at >= 0 else None
            samples, seconds, ended = load(ours.port, sparql_targets(ours.path), limits, during)
            mine = figures(samples, seconds)
            print(line("sparql: newsgraph serve", mine))
            if ended:
                print(f"  runaway query: HTTP {ended.status} after {ended.seconds:.1f} s (sent at {ended.sent_at:.1f} s)")
                window = [s for s in samples if ended.sent_at <= s.started < ended.sent_at + ended.seconds]
                overlap = min(ended.sent_at + ended.seconds, seconds) - ended.sent_at
                print(line("  while the runaway ran", figures(window, max(overlap, 1e-9))))
            for sample in [s for s in samples if not s.ok][:5]:
                print(f"  error on {sample.target} at {sample.started:.1f} s: {sample.status or 'no answer'}"
                      f" after {sample.seconds:.1f} s")
            peer = start_oxigraph(current.store, timeout=30)
            try:
                samples, seconds, _ = load(peer.port, sparql_targets(peer.path), limits)
            finally:
                peer.close()
            theirs = figures(samples, seconds)
            print(line("sparql: oxigraph serve-read-only", theirs))
            records += phase_records("sparql", label, mine, "oxigraph serve", theirs)
        if "deref" in phases and pages:
            samples, seconds, _ = load(ours.port, deref_targets(pages), limits)
            mine = figures(samples, seconds)
            print(line("deref /id/... (303)", mine))
            records += phase_records("deref /id/", label, mine)
        if "pages" in phases and pages:
            samples, seconds, _ = load(ours.port, page_targets(pages), limits)
            mine = figures(samples, seconds)
            print(line("pages .html/.ttl: newsgraph serve", mine))
            static = start_static(current.site)
            try:
                samples, seconds, _ = load(static.port, page_targets(pages), limits)
            finally:
                static.close()
            theirs = figures(samples, seconds)
            print(line("pages .html/.ttl: http.server", theirs))
            records += phase_records("pages", label, mine, "python http.server", theirs)
    finally:
        ours.close()
    print(f"{os.cpu_count()} CPUs, load average {load_before:.1f} before and {os.getloadavg()[0]:.1f} after; "
          f"{len(pages)} pages sampled")
    save(records, args.results)


if __name__ == "__main__":
    main()

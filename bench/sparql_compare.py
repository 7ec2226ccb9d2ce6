"""Latency of the example queries through our endpoint against the engines beside it.

The mix is the three queries of README.md's "Example queries" and the gallery
(site/queries/examples/*.rq). Each runs, on each dataset, through:
- ours: `newsgraph serve` on a loopback port, JSON results, as users get it (but with
  the row cap and time limit raised, so every engine returns every row);
- pyoxigraph in-process on the same on-disk store (read-only, union default graph,
  results fully iterated): the engine under our endpoint, with no HTTP and no serialising;
- `oxigraph serve-read-only --union-default-graph` on the same store files, same Accept:
  the same engine behind a native HTTP server;
- rdflib's in-memory Dataset (default_union), when the data is small enough to load and
  query in the time allowed; otherwise it is recorded as skipped, with why.
Per query: warm-up runs (one per engine, but one per query worker for ours: each worker
caches its guard's parse of a query text, and the pool hands requests round-robin; one
only for a query slower than WARM_ENOUGH_SECONDS), then
up to --repeat rounds of one timed run per engine, interleaved so that the machine's load
falls on all alike, within --budget seconds per engine; median and p95 (nearest rank).
The geometric mean of the medians over the mix gives one figure per engine. To see where
our time goes, the same rounds also time each query in-process through our worker's
`evaluate` (guard, evaluation, our JSON writer) and through pyoxigraph's own JSON
serialiser; then the guard's parse of each query (what a new query text costs, once per
worker) is timed, both servers' per-request floor (`ASK {}`) and a page of 10,000 rows asked
with the query's own LIMIT (what a user paging through results sends) are timed, and the
query where ours loses most time is profiled.

Datasets: (a) a built publication (`--publication OUT`, or one built here from
`--articles N` generated articles), (b) a synthetic publication of `--triples T`
quads (bench/synthetic_graph.py). Either may be left out (`--articles 0`, `--triples 0`).

    python bench/sparql_compare.py --publication build --triples 10000000
    python bench/sparql_compare.py --articles 30 --triples 200000 --repeat 5 --results /tmp/smoke
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import pstats
import re
import select
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Protocol

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generate_corpus import generate  # noqa: E402
from results import Record, results_option, save  # noqa: E402
from servers import BIN, JSON_RESULTS, Server, post_query, start_newsgraph, start_oxigraph  # noqa: E402
from synthetic_graph import synthetic_publication  # noqa: E402
from pipeline import publication as publications  # noqa: E402
from pipeline.endpoint_page import load_examples  # noqa: E402
from pipeline.sparql_formats import FORMATS, Choice  # noqa: E402
from pipeline.sparql_guard import Form, check_query  # noqa: E402
from pipeline.sparql_workers import Job, evaluate  # noqa: E402

UNCAPPED = 1_000_000_000  # row cap given to our endpoint, so it returns what the others return


@dataclass(frozen=True)
class Query:
    name: str
    text: str


@dataclass(frozen=True)
class Settings:
    repeat: int
    budget: float  # seconds of timed runs per query and engine (at least one run)
    timeout: float  # seconds one run may take before it counts as failed
    rdflib_max_quads: int
    rdflib_budget: float  # seconds for rdflib's load and all its queries


@dataclass
class Timing:
    """One engine on one query: the timed runs (ms), the row count, or why there is none."""

    engine: str
    query: str
    samples: list[float] = field(default_factory=list)
    rows: int | None = None
    error: str | None = None

    @property
    def median(self) -> float | None:
        return percentile(self.samples, 50)

    @property
    def p95(self) -> float | None:
        return percentile(self.samples, 95)


class QueryFailed(RuntimeError):
    """The engine answered with an error, timed out, or was not run (skipped)."""


class Engine(Protocol):
    name: str
    warmups: int  # untimed runs before the timed ones

    def run(self, query: str) -> object:
        """Evaluate the query and take in the whole answer (what is timed)."""

    def rows(self, answer: object) -> int:
        """How many rows the answer holds (not timed)."""


def percentile(samples: list[float], q: float) -> float | None:
    """Nearest-rank percentile."""
    if not samples:
        return None
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def geometric_mean(values: list[float]) -> float:
    return math.exp(sum(math.log(max(v, 1e-6)) for v in values) / len(values))


def readme_queries() -> list[Query]:
    """The ```sparql blocks of README.md's "Example queries", named by the line before each."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Example queries", 1)[1].split("\n## ", 1)[0]
    found = re.findall(r"([^\n]+):\n```sparql\n(.*?)```", section, flags=re.S)
    return [Query("readme-" + re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40], body)
            for title, body in found]


def query_mix() -> list[Query]:
    return readme_queries() + [Query(e.name, e.query) for e in load_examples()]


# -- engines ------------------------------------------------------------------------------


class HttpEngine:
    """A SPARQL endpoint over HTTP/1.1 with a kept-alive connection; JSON results."""

    def __init__(self, name: str, server: Server, timeout: float, warmups: int = 1):
        self.name = name
        self.warmups = warmups
        self.server = server
        self.timeout = timeout
        self.connection = server.connection(timeout)

    def run(self, query: str) -> bytes:
        try:
            try:
                status, body = post_query(self.connection, self.server.path, query, JSON_RESULTS)
            except (BrokenPipeError, ConnectionResetError):
                # The server closed the kept-alive connection while it was idle (waitress does
                # after 120 s, while the other engines run a slow query): ask again on a new one,
                # as HTTP clients do.
                self._reconnect()
                status, body = post_query(self.connection, self.server.path, query, JSON_RESULTS)
        except (OSError, ValueError) as exc:  # socket timeout, reset
            self._reconnect()
            raise QueryFailed(f"no answer: {exc}") from None
        if status != 200:
            raise QueryFailed(f"HTTP {status}: {body[:160].decode(errors='replace').strip()}")
        return body

    def _reconnect(self) -> None:
        self.connection.close()
        self.connection = self.server.connection(self.timeout)

    def rows(self, answer: bytes) -> int:
        document = json.loads(answer)
        return len(document["results"]["bindings"]) if "results" in document else 1


class PyoxigraphEngine:
    """pyoxigraph in this process, the store opened read-only; every solution is taken."""

    name = "pyoxigraph in-process"
    warmups = 1

    def __init__(self, store: ox.Store):
        self.store = store

    def run(self, query: str) -> int:
        result = self.store.query(query, use_default_graph_as_union=True)
        return 1 if isinstance(result, bool) else sum(1 for _ in result)

    def rows(self, answer: int) -> int:
        return answer


class RdflibEngine:
    """rdflib's in-memory Dataset in a worker process, so that a slow query can be stopped.

    The worker loads an N-Quads dump of the store once; a run that passes the timeout
    kills it, and the next query starts a new one while the time budget lasts.
    """

    name = "rdflib Dataset"
    # No warm-up runs: at a few million quads one rdflib query takes minutes, and warming all of
    # them spent the whole budget before any was timed. The worker warms rdflib's SPARQL
    # machinery itself once loaded (rdflib caches no plans, so a query's first run is typical).
    warmups = 0

    def __init__(self, nquads: Path, settings: Settings):
        self.nquads = nquads
        self.settings = settings
        self.deadline = time.monotonic() + settings.rdflib_budget
        self.worker: subprocess.Popen | None = None
        self.load_seconds: float | None = None

    def _start(self) -> subprocess.Popen:
        worker = subprocess.Popen([sys.executable, __file__, "--rdflib-worker", str(self.nquads)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        hello = self._answer(worker, self.deadline - time.monotonic())
        self.load_seconds = hello["loaded"]
        return worker

    def _answer(self, worker: subprocess.Popen, timeout: float) -> dict:
        ready, _, _ = select.select([worker.stdout], [], [], max(0.0, timeout))
        line = worker.stdout.readline() if ready else ""
        if not line:
            worker.kill()
            worker.wait()
            self.worker = None
            raise QueryFailed(f"rdflib gave no answer within {timeout:.0f} s")
        return json.loads(line)

    def run(self, query: str) -> int:
        if time.monotonic() > self.deadline:
            raise QueryFailed(f"skipped: rdflib's budget of {self.settings.rdflib_budget:g} s is spent")
        if self.worker is None:
            self.worker = self._start()
        self.worker.stdin.write(json.dumps({"query": query}) + "\n")
        self.worker.stdin.flush()
        answer = self._answer(self.worker, min(self.settings.timeout, self.deadline - time.monotonic()))
        if "error" in answer:
            raise QueryFailed(answer["error"])
        return answer["rows"]

    def rows(self, answer: int) -> int:
        return answer

    def close(self) -> None:
        if self.worker is not None:
            self.worker.kill()
            self.worker.wait()


def rdflib_worker(nquads: Path) -> None:
    """The rdflib side: load, say how long it took, then answer queries read from stdin."""
    from rdflib import Dataset

    started = time.perf_counter()
    dataset = Dataset(default_union=True)
    dataset.parse(str(nquads), format="nquads")
    loaded = time.perf_counter() - started
    dataset.query("ASK { ?s ?p ?o }")  # imports and sets up the SPARQL parser and evaluator
    print(json.dumps({"loaded": loaded}), flush=True)
    for line in sys.stdin:
        try:
            result = dataset.query(json.loads(line)["query"])
            rows = 1 if result.type == "ASK" else sum(1 for _ in result)
            print(json.dumps({"rows": rows}), flush=True)
        except Exception as exc:  # a query rdflib cannot evaluate: report it, answer the next
            print(json.dumps({"error": f"rdflib: {exc!r}"[:300]}), flush=True)


# -- measuring ----------------------------------------------------------------------------


# A run longer than this makes the guard's parse (tens of ms, once per query worker) too small
# to show, so one warm-up run is enough: the 10M-quad mix would spend an hour on the others.
WARM_ENOUGH_SECONDS = 1.0


def warm_up(engines: list[Engine], query: Query) -> dict[str, Timing]:
    """Each engine's warm-up runs of the query, which give its row count (or its error)."""
    timings = {engine.name: Timing(engine.name, query.name) for engine in engines}
    for engine in engines:
        try:
            for _ in range(engine.warmups):
                begin = time.perf_counter()
                timings[engine.name].rows = engine.rows(engine.run(query.text))
                if time.perf_counter() - begin > WARM_ENOUGH_SECONDS:
                    break
        except QueryFailed as exc:
            timings[engine.name].error = str(exc)
    return timings


def measure(engines: list[Engine], query: Query, settings: Settings, timings: dict[str, Timing]) -> None:
    """Rounds of one timed run per engine, interleaved so that a change in the machine's load
    falls on all engines alike, until --repeat rounds or --budget seconds per engine, whichever
    comes first (at least one round). Engines whose warm-up failed are left out."""
    live = [engine for engine in engines if timings[engine.name].error is None]
    started, rounds = time.perf_counter(), 0
    while live and rounds < settings.repeat and (
            rounds == 0 or time.perf_counter() - started < settings.budget * len(live)):
        for engine in list(live):
            begin = time.perf_counter()
            try:
                answer = engine.run(query.text)
            except QueryFailed as exc:
                timings[engine.name].error = str(exc)
                live.remove(engine)
                continue
            timings[engine.name].samples.append((time.perf_counter() - begin) * 1000)
            if timings[engine.name].rows is None:  # an engine without warm-up runs
                timings[engine.name].rows = engine.rows(answer)
        rounds += 1


def measured(engines: list[Engine], queries: list[Query], settings: Settings) -> dict[str, dict[str, Timing]]:
    """Every query warmed up on every engine first (so that no query is timed in a cold
    process), then each query's timed rounds. Returns timings by engine, then query."""
    warmed = {}
    for query in queries:
        warmed[query.name] = warm_up(engines, query)
        print(f"  {query.name}: warmed up", flush=True)
    for query in queries:
        measure(engines, query, settings, warmed[query.name])
        print(f"  {query.name}: done", flush=True)
    return {engine.name: {q.name: warmed[q.name][engine.name] for q in queries} for engine in engines}


def our_evaluator(store: ox.Store, base_iri: str) -> Callable[[str], object]:
    """Our worker's evaluation of one query, exactly as sparql_workers runs it (guard cached)."""
    stored = frozenset(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
    check = lru_cache(maxsize=256)(lambda text, base: check_query(text, stored, base))
    formats = Choice(FORMATS[Form.SOLUTIONS][0], FORMATS[Form.BOOLEAN][0], FORMATS[Form.GRAPH][0])

    def run(text: str) -> object:
        outcome = evaluate(store, check, Job(text, None, None, formats, UNCAPPED, base_iri))
        if outcome.status != 200:
            raise QueryFailed(outcome.body.decode(errors="replace"))
        return outcome

    return run


class NativeJsonEngine(PyoxigraphEngine):
    """pyoxigraph evaluating and writing JSON itself: what oxigraph serve does, without HTTP."""

    name = "pyoxigraph JSON serialiser"

    def run(self, query: str) -> bytes:
        return self.store.query(query, use_default_graph_as_union=True).serialize(format=ox.QueryResultsFormat.JSON)

    def rows(self, answer: bytes) -> int:
        return 0  # not compared: the main table compares the row counts of the engines it shows


class OurEvaluateEngine:
    """Our worker's evaluate() in this process: guard (cached), evaluation, our JSON writer, no HTTP."""

    name = "our evaluate() in-process"
    warmups = 1

    def __init__(self, store: ox.Store, base_iri: str):
        self.evaluate = our_evaluator(store, base_iri)

    def run(self, query: str) -> object:
        return self.evaluate(query)

    def rows(self, answer: object) -> int:
        return 0  # not compared: the main table compares the row counts of the engines it shows


def guard_ms(store: ox.Store, queries: list[Query], settings: Settings, base_iri: str) -> dict[str, float]:
    """The guard's parse of each query text, uncached: what a worker pays for a text it has not seen."""
    stored = frozenset(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
    found = {}
    for query in queries:
        samples = []
        for _ in range(max(1, min(settings.repeat, 5))):
            begin = time.perf_counter()
            check_query(query.text, stored, base_iri)
            samples.append((time.perf_counter() - begin) * 1000)
        found[query.name] = percentile(samples, 50)
    return found


def profile(store: ox.Store, query: Query, base_iri: str, lines: int = 14) -> str:
    """cProfile of our worker's evaluate() on one query: the functions by their own time."""
    ours = our_evaluator(store, base_iri)
    ours(query.text)  # the guard's cache warm, as in a worker that has seen the query
    profiler = cProfile.Profile()
    profiler.enable()
    ours(query.text)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(lines)
    return out.getvalue()


# -- one dataset --------------------------------------------------------------------------


@dataclass
class DatasetRun:
    label: str
    quads: int
    timings: dict[str, dict[str, Timing]] = field(default_factory=dict)  # engine -> query -> timing
    probes: dict[str, dict[str, float]] = field(default_factory=dict)  # probe -> engine -> median ms
    guards: dict[str, float] = field(default_factory=dict)  # query -> ms of the guard's parse
    rdflib_skipped: str | None = None
    rdflib_load: float | None = None
    profiled: str = ""


OURS, PYOX, OXSERVE, RDFLIB = "ours (newsgraph serve)", PyoxigraphEngine.name, "oxigraph serve", RdflibEngine.name
NATIVE, EVALUATE = NativeJsonEngine.name, OurEvaluateEngine.name


QUERY_WORKERS = 4  # newsgraph serve's default --query-workers
# Timed on the two servers besides the mix: what a request costs at the least, and a page of
# results as a user paging with LIMIT asks for it (within the row cap: pyoxigraph writes it).
PROBES = [Query("per-request floor, ASK {}", "ASK {}"),
          Query("a page of 10,000 rows, SELECT with its own LIMIT",
                "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 10000")]


def run_dataset(label: str, out: Path, queries: list[Query], settings: Settings, work: Path) -> DatasetRun:
    """Every engine on every query of the mix, over the publication in `out`."""
    store_path = publications.current(out).store
    store = ox.Store.read_only(str(store_path))
    run = DatasetRun(label, len(store))
    print(f"\n== {label}: {run.quads:,} quads in {store_path}", flush=True)
    ours = start_newsgraph(out, "--row-cap", str(UNCAPPED), "--time-limit", str(settings.timeout),
                           "--max-client-queries", "64", "--query-workers", str(QUERY_WORKERS))
    oxigraph = start_oxigraph(store_path, settings.timeout)
    base_iri = f"http://127.0.0.1:{ours.port}/sparql"
    try:
        engines: list[Engine] = [HttpEngine(OURS, ours, settings.timeout, QUERY_WORKERS), PyoxigraphEngine(store),
                                 HttpEngine(OXSERVE, oxigraph, settings.timeout), NativeJsonEngine(store),
                                 OurEvaluateEngine(store, base_iri)]
        run.timings = measured(engines, queries, settings)
        probed = measured([engines[0], engines[2]], PROBES, settings)
        run.probes = {probe.name: {name: by_query[probe.name].median or 0.0 for name, by_query in probed.items()}
                      for probe in PROBES}
    finally:
        ours.close()
        oxigraph.close()
    run_rdflib(run, store, queries, settings, work)
    run.guards = guard_ms(store, queries, settings, base_iri)
    worst = worst_query(run, queries)
    if worst is not None:
        run.profiled = f"profile of our evaluate() on {worst.name}:\n" + profile(store, worst, base_iri)
    return run


def run_rdflib(run: DatasetRun, store: ox.Store, queries: list[Query], settings: Settings, work: Path) -> None:
    if run.quads > settings.rdflib_max_quads:
        run.rdflib_skipped = (f"{run.quads:,} quads is above --rdflib-max-quads {settings.rdflib_max_quads:,} "
                              "(rdflib holds every triple as Python objects; loading and querying would not "
                              "finish in the time allowed)")
        return
    nquads = work / "rdflib.nq"
    store.dump(str(nquads), format=ox.RdfFormat.N_QUADS)
    engine = RdflibEngine(nquads, settings)
    try:
        run.timings[RDFLIB] = measured([engine], queries, settings)[RDFLIB]
    finally:
        engine.close()
        nquads.unlink()
    run.rdflib_load = engine.load_seconds
    print(f"  {RDFLIB}: done (loaded in {engine.load_seconds or 0:.1f} s)", flush=True)


def worst_query(run: DatasetRun, queries: list[Query]) -> Query | None:
    """The query where ours loses most time to oxigraph serve (ms of medians): where a fix pays most."""
    excess = {}
    for name, ours in run.timings[OURS].items():
        peer = run.timings[OXSERVE][name]
        if ours.median and peer.median:
            excess[name] = ours.median - peer.median
    if not excess:
        return None
    name = max(excess, key=excess.get)
    return next(q for q in queries if q.name == name)


# -- reporting ----------------------------------------------------------------------------


def cell(timing: Timing | None) -> str:
    if timing is None:
        return f"{'-':>17}"
    if timing.error:
        return f"{'failed':>17}"
    return f"{timing.median:8.1f}/{timing.p95:8.1f}"


def report(run: DatasetRun) -> list[Record]:
    """Print the table and the breakdown, and return the records."""
    engines = [e for e in (OURS, PYOX, OXSERVE, RDFLIB) if e in run.timings]
    print(f"\n{run.label} ({run.quads:,} quads): median/p95 ms per query")
    print(f"{'query':<40}{'rows':>9}" + "".join(f"{e[:17]:>18}" for e in engines))
    for name in run.timings[OURS]:
        rows = {run.timings[e][name].rows for e in engines if run.timings[e][name].rows is not None}
        flag = "" if len(rows) <= 1 else "  rows differ: " + ", ".join(
            f"{e}={run.timings[e][name].rows}" for e in engines)
        print(f"{name[:39]:<40}{max(rows, default=0):>9}" + "".join(f" {cell(run.timings[e][name])}"
                                                                     for e in engines) + flag)
    for engine in engines:
        for name, timing in run.timings[engine].items():
            if timing.error:
                print(f"  {engine} on {name}: {timing.error}")
    if run.rdflib_skipped:
        print(f"rdflib skipped: {run.rdflib_skipped}")
    records = query_records(run)
    records += mix_records(run, engines)
    print()
    for probe, medians in run.probes.items():
        print(f"{probe}: ours {medians.get(OURS, 0):.2f} ms, oxigraph serve {medians.get(OXSERVE, 0):.2f} ms")
        records.append(Record(f"sparql {probe} ({run.label}) ours vs oxigraph serve",
                              medians.get(OURS, 0), "ms", "oxigraph serve", medians.get(OXSERVE) or None))
    print_breakdown(run)
    records += guard_records(run)
    if run.profiled:
        print("\n" + run.profiled)
    return records


def query_records(run: DatasetRun) -> list[Record]:
    records = []
    for name, ours in run.timings[OURS].items():
        for peer_name in (PYOX, OXSERVE, RDFLIB):
            peer = run.timings.get(peer_name, {}).get(name)
            if ours.error or peer is None or peer.error:
                continue
            stats = (("median", ours.median, peer.median), ("p95", ours.p95, peer.p95))
            for stat, value, peer_value in stats if peer_name != RDFLIB else stats[:1]:
                records.append(Record(f"sparql {name} {stat} ({run.label}) ours vs {peer_name}", value, "ms",
                                      peer_name, peer_value))
    if run.rdflib_skipped:
        records.append(Record(f"sparql rdflib skipped ({run.label})", run.quads,
                              "quads: above the limit of --rdflib-max-quads"))
    elif run.rdflib_load is not None:
        records.append(Record(f"sparql rdflib load ({run.label})", run.rdflib_load, "s"))
    return records


def mix_records(run: DatasetRun, engines: list[str]) -> list[Record]:
    """Geometric means of the medians over the queries both engines answered."""
    records = []
    for peer in engines[1:]:
        both = [n for n, t in run.timings[OURS].items() if t.median and run.timings[peer][n].median]
        if not both:
            continue
        ours = geometric_mean([run.timings[OURS][n].median for n in both])
        theirs = geometric_mean([run.timings[peer][n].median for n in both])
        print(f"geometric mean over {len(both)} queries: ours {ours:.1f} ms, {peer} {theirs:.1f} ms, "
              f"ratio {ours / theirs:.2f}")
        records.append(Record(f"sparql geometric mean of medians, {len(both)} queries ({run.label}) ours vs {peer}",
                              ours, "ms", peer, theirs))
    return records


def whole_mix_records(results: Path, labels: list[str], mix: list[Query]) -> list[Record]:
    """For a mix run in parts (--queries): the geometric means of the medians over every query
    the day's results file holds for a dataset, whichever part measured it. Each query's medians
    come from one run, beside its peers', so the ratio of the means is still a same-run ratio."""
    saved = {record["name"]: record for record in json.loads(results.read_text())["records"]}
    records = []
    for label in labels:
        for peer in (PYOX, OXSERVE):
            found = [saved[name] for query in mix
                     if (name := f"sparql {query.name} median ({label}) ours vs {peer}") in saved]
            if not found:
                continue
            ours = geometric_mean([record["value"] for record in found])
            theirs = geometric_mean([record["peer_value"] for record in found])
            print(f"the day's runs, geometric mean over {len(found)} of the {len(mix)} queries ({label}): "
                  f"ours {ours:.1f} ms, {peer} {theirs:.1f} ms, ratio {ours / theirs:.2f}")
            records.append(Record(f"sparql geometric mean of medians, {len(found)} of {len(mix)} queries in the "
                                  f"day's runs ({label}) ours vs {peer}", ours, "ms", peer, theirs))
    return records


def guard_records(run: DatasetRun) -> list[Record]:
    """What the guard's parse adds to a query text a worker has not seen, against evaluation itself."""
    pairs = [(guard, run.timings[PYOX][name].median) for name, guard in run.guards.items()
             if run.timings[PYOX][name].median]
    if not pairs:
        return []
    guard, engine = geometric_mean([g for g, _ in pairs]), geometric_mean([e for _, e in pairs])
    return [Record(f"sparql guard parse of a new query text, geometric mean over {len(pairs)} queries ({run.label})",
                   guard, "ms", "pyoxigraph in-process evaluation", engine)]


def print_breakdown(run: DatasetRun) -> None:
    """Ours over HTTP against its parts: the engine, our evaluate() in-process, and transport."""
    print("\nwhere our time goes (median ms): engine = pyoxigraph iterating; native = pyoxigraph's JSON "
          "serialiser;\nevaluate = our worker's evaluate() in-process (guard cached); http = ours through "
          "newsgraph serve;\noxigraph = oxigraph serve; serialise = evaluate - native; transport = http - evaluate; "
          "guard = parsing a new query text")
    print(f"{'query':<40}{'engine':>9}{'native':>9}{'evaluate':>9}{'http':>9}{'oxigraph':>9}"
          f"{'serialise':>10}{'transport':>10}{'guard':>8}")
    for name, guard in run.guards.items():
        medians = [run.timings[engine][name].median for engine in (PYOX, NATIVE, EVALUATE, OURS, OXSERVE)]
        if None in medians:
            continue
        engine, native, ours_inside, http, oxigraph = medians
        print(f"{name[:39]:<40}{engine:9.1f}{native:9.1f}{ours_inside:9.1f}{http:9.1f}{oxigraph:9.1f}"
              f"{ours_inside - native:10.1f}{http - ours_inside:10.1f}{guard:8.1f}")


# -- datasets -----------------------------------------------------------------------------


def built_publication(articles: int, work: Path, processes: int) -> Path:
    """Build `articles` generated articles with `newsgraph build` (exit 2: some input rejected, rest built)."""
    corpus = generate(articles, work / "corpus")
    out = work / "built"
    command = [str(BIN / "newsgraph"), "build", str(corpus), "--out", str(out)]
    if processes > 1:
        command += ["--workers", str(processes)]
    started = time.perf_counter()
    status = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    if status not in (0, 2):
        raise SystemExit(f"newsgraph build failed with status {status}")
    print(f"built {articles} generated articles in {time.perf_counter() - started:.0f} s into {out}")
    return out


def synthetic_folder(work: Path, triples: int) -> Path:
    """The synthetic publication of `triples` quads in `work`, made unless an earlier run with the
    same --work made it (it is deterministic): a 10M mix run in parts loads it once."""
    out = work / f"synthetic-{triples}"
    if (out / publications.CURRENT).is_dir():
        print(f"synthetic: the publication made earlier in {out}")
        return out
    made = synthetic_publication(out, triples=triples)
    print(f"synthetic: {made.quads:,} quads, {made.articles:,} articles, written in {made.seconds_write:.0f} s, "
          f"loaded in {made.seconds_load:.0f} s")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--publication", type=Path, metavar="OUT", help="a built publication folder to query")
    parser.add_argument("--articles", type=int, default=1000,
                        help="without --publication, build this many generated articles (0: no built dataset)")
    parser.add_argument("--processes", type=int, default=2, help="extraction processes for that build")
    parser.add_argument("--triples", type=int, default=10_000_000, help="synthetic dataset size (0: none)")
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per query and engine, at most")
    parser.add_argument("--budget", type=float, default=60.0, help="seconds of timed runs per query and engine")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds one run may take")
    parser.add_argument("--rdflib-max-quads", type=int, default=5_000_000)
    parser.add_argument("--rdflib-budget", type=float, default=900.0, help="seconds for rdflib's load and queries")
    parser.add_argument("--work", type=Path, help="keep generated publications here, and take the synthetic one "
                        "an earlier run left there (default: a temporary folder)")
    parser.add_argument("--queries", nargs="+", metavar="NAME",
                        help="only these queries of the mix (as the table names them): a large dataset's mix in parts")
    parser.add_argument("--rdflib-worker", type=Path, help=argparse.SUPPRESS)
    results_option(parser)
    args = parser.parse_args()
    if args.rdflib_worker:
        rdflib_worker(args.rdflib_worker)
        return
    settings = Settings(args.repeat, args.budget, args.timeout, args.rdflib_max_quads, args.rdflib_budget)
    queries = query_mix()
    if args.queries:
        if unknown := set(args.queries) - {query.name for query in queries}:
            parser.error(f"not in the query mix: {', '.join(sorted(unknown))}")
        queries = [query for query in queries if query.name in args.queries]
    records: list[Record] = []
    labels = []
    with tempfile.TemporaryDirectory(prefix="newsgraph-sparql-") as temporary:
        work = args.work or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        if args.publication or args.articles:
            out = args.publication or built_publication(args.articles, work, args.processes)
            label = f"{args.articles} generated articles, built" if not args.publication else f"publication {out.name}"
            records += report(run_dataset(label, out, queries, settings, work))
            labels.append(label)
        if args.triples:
            label = f"{args.triples:,} synthetic triples"
            records += report(run_dataset(label, synthetic_folder(work, args.triples), queries, settings, work))
            labels.append(label)
    print()
    saved = save(records, args.results)
    if args.queries:
        print()
        save(whole_mix_records(saved, labels, query_mix()), args.results)


if __name__ == "__main__":
    main()

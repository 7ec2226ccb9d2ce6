"""Query evaluation in worker processes that can be killed.

pyoxigraph has no query timeout or cancellation in Python (oxigraph#1926), so the
only way to really stop a runaway query is to run it in a process of its own and
kill that process. Each worker opens the store read-only once and then answers
jobs over a pipe; the pool hands a job to an idle worker, waits up to the time
limit, and on expiry kills the worker and starts a fresh one in the background.
A large JSON answer is streamed: the worker writes its rows a chunk at a time to the
pipe and the server sends each on as it comes (chunked HTTP), so neither process holds
the whole text. The status and the row-cap header are decided before the first chunk
(once the rows up to the cap are read); a worker that dies or runs out of time after
that breaks the response off before its last chunk, so the client sees an error rather
than an answer that looks complete.
A query goes to the worker that last ran the same text when that one is idle: each
worker has its own store cache, and the one that ran the query last holds its blocks,
so a query a client repeats (paging, a dashboard) does not pay for a cold cache.
A query that runs longer than a few seconds is reniced so that it yields the CPU to
the short queries beside it; once it finishes its worker gets its priority back (or,
where the server may not raise priorities, is replaced). Where Linux
allows it, workers run without any network at all.
"""

from __future__ import annotations

import ctypes
import json
import logging
import multiprocessing
import os
import queue
import resource
import signal
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import islice
from pathlib import Path

import pyoxigraph as ox

from pipeline.sparql_formats import Choice
from pipeline.sparql_guard import CheckedQuery, Form, Refused, check_query
from pipeline.vocab import PREFIXES

log = logging.getLogger(__name__)

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_json_string = json.encoder.encode_basestring  # a str as a JSON string (json.dumps' own, in C), ensure_ascii off
_RESULTS_FORMATS = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
                    "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}
_RDF_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES,
                "jsonld": ox.RdfFormat.JSON_LD, "rdfxml": ox.RdfFormat.RDF_XML}
_PREFIXES = {name: str(ns) for name, ns in PREFIXES.items()}


@dataclass(frozen=True)
class Job:
    """One query to evaluate, with its dataset and the formats the client accepts.

    `default_graphs` / `named_graphs` are None when the request did not name them
    (the protocol's default-graph-uri / named-graph-uri); given, they override
    the query's own FROM / FROM NAMED.
    """

    query: str
    default_graphs: tuple[str, ...] | None
    named_graphs: tuple[str, ...] | None
    formats: Choice
    row_cap: int
    base_iri: str


# Rows of a streamed answer written (and sent through the pipe) at a time
STREAM_ROWS = 2_000


@dataclass(frozen=True)
class Outcome:
    """A worker's answer: a response body, or a refusal with its status and message.

    The body of a streamed answer is an iterator of chunks, which the receiver must run to its
    end or close (the pool's worker is busy until then). On its way through the pipe, the head
    of a streamed answer has the body None, and the chunks follow (`_send`).
    """

    status: int
    body: bytes | Iterator[bytes]
    media_type: str = "text/plain; charset=utf-8"
    format_name: str = ""
    truncated_at: int | None = None  # the row cap, when it cut the results short
    worker: int = 0  # the process id of the worker that answered, set by the pool


class Overloaded(RuntimeError):
    """No worker became free in time."""


class TimedOut(RuntimeError):
    """The query ran past the time limit; its worker was killed."""


class WorkerLost(RuntimeError):
    """The worker died while evaluating."""


def out_of_memory_message(memory_limit: int) -> str:
    return (f"The query needed more than the {memory_limit // 1024**2:,} MiB of memory a query may use here "
            "and was stopped. Narrow it (LIMIT, more specific patterns, fewer unconnected patterns).")


class OutOfMemory(WorkerLost):
    """The worker died because the query needed more memory than its limit.

    Oxigraph is Rust: an allocation refused by the limit (RLIMIT_DATA) aborts the
    process (SIGABRT) rather than raising MemoryError in Python, so the death itself
    is the only sign, and its signal tells it from a crash or a kill.
    """


def _json_results(names: list[str], rows: list[ox.QuerySolution]) -> str:
    """The SPARQL JSON text of `rows`."""
    return "".join(_json_chunks(names, rows, len(rows) or 1))


def _json_chunks(names: list[str], rows: list[ox.QuerySolution], size: int) -> Iterator[str]:
    """The SPARQL JSON text of `rows`, `size` rows a piece, written term by term: a term that
    recurs (an event's or an article's IRI, on row after row) is written once. Writing a dict per
    term and then dumping them all took a fifth of a large query's time on the endpoint."""
    keys = [_json_string(name) + ":" for name in names]
    written: dict = {}

    def term(value) -> str:
        text = written.get(value)
        if text is None:
            text = written[value] = _term_text(value)
        return text

    head = f'{{"head":{{"vars":{json.dumps(names, ensure_ascii=False)}}},"results":{{"bindings":['
    for start in range(0, len(rows), size):
        bindings = ",".join("{" + ",".join(key + term(value) for key, value in zip(keys, row) if value is not None)
                            + "}" for row in rows[start:start + size])
        yield (head if start == 0 else ",") + bindings
        if len(written) > size * len(names):  # what later rows repeat is mostly near them: bound the cache
            written.clear()
    yield (head if not rows else "") + "]}}"


def _term_text(term) -> str:
    """A term in the SPARQL 1.1 Query Results JSON format (with the RDF-star triple extension), as text."""
    if isinstance(term, ox.NamedNode):
        return '{"type":"uri","value":' + _json_string(term.value) + "}"
    if isinstance(term, ox.Literal):
        text = '{"type":"literal","value":' + _json_string(term.value)
        if term.language:
            return text + ',"xml:lang":' + _json_string(term.language) + "}"
        datatype = term.datatype.value
        return text + ("}" if datatype == _XSD_STRING else ',"datatype":' + _json_string(datatype) + "}")
    if isinstance(term, ox.BlankNode):
        return '{"type":"bnode","value":' + _json_string(term.value) + "}"
    return ('{"type":"triple","value":{"subject":' + _term_text(term.subject) + ',"predicate":'
            + _term_text(term.predicate) + ',"object":' + _term_text(term.object) + "}}")


def _solutions(result: ox.QuerySolutions, fmt: str, cap: int, stream: bool) -> tuple[bytes | Iterator[bytes],
                                                                                    int | None]:
    """Serialise at most `cap` solutions, for a query that may return more; JSON as chunks
    when `stream` and the rows are more than a chunk.

    pyoxigraph serialises a whole result iterator or nothing, so the capped rows
    are written as SPARQL JSON here and pyoxigraph converts that to the other formats.
    """
    names = [var.value for var in result.variables]
    rows = list(islice(result, cap + 1))
    truncated = cap if len(rows) > cap else None
    del rows[cap:]
    if fmt == "json" and stream and len(rows) > STREAM_ROWS:
        return (chunk.encode() for chunk in _json_chunks(names, rows, STREAM_ROWS)), truncated
    body = _json_results(names, rows).encode()
    if fmt != "json":
        body = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON).serialize(
            format=_RESULTS_FORMATS[fmt])
    return body, truncated


def _dataset(job: Job, checked: CheckedQuery) -> dict:
    """The query() arguments that select the dataset: protocol first, then FROM, else the union."""
    if job.default_graphs is not None or job.named_graphs is not None:
        default, named = job.default_graphs or (), job.named_graphs or ()
    elif checked.from_graphs or checked.from_named_graphs:
        default, named = checked.from_graphs, checked.from_named_graphs
    else:
        return {"use_default_graph_as_union": True}
    return {"default_graph": [ox.NamedNode(iri) for iri in default],
            "named_graphs": [ox.NamedNode(iri) for iri in named]}


def evaluate(store: ox.Store, check, job: Job, stream: bool = False) -> Outcome:
    """Check, evaluate and serialise one query. `check(text, base)` is the (cached) guard;
    `stream`: a large JSON answer's body is an iterator of chunks."""
    try:
        checked = check(job.query, job.base_iri)
        dataset = _dataset(job, checked)
        result = store.query(job.query, base_iri=job.base_iri, **dataset)
    except Refused as exc:
        return Outcome(400, str(exc).encode())
    except (SyntaxError, ValueError) as exc:  # pyoxigraph's parser, or a graph IRI that is not an IRI
        return Outcome(400, f"Query rejected: {exc}".encode())
    return render(result, checked, job, stream)


def render(result: ox.QueryBoolean | ox.QuerySolutions | Iterable[ox.Triple], checked: CheckedQuery,
           job: Job, stream: bool = False) -> Outcome:
    """Serialise a query's result in the format the job asks for, cut at its row cap.

    `result` is consumed lazily, so at most `row_cap + 1` solutions or triples are read:
    the same path serves the embedded store and an external one (pipeline.sparql_remote).
    With `stream`, the body of more than STREAM_ROWS solutions as JSON is an iterator of chunks.
    """
    form = checked.form
    fmt = job.formats.for_form(form)
    truncated = None
    if form is Form.BOOLEAN or (form is Form.SOLUTIONS and checked.limit is not None
                                and checked.limit <= job.row_cap):
        # The query's own LIMIT keeps it within the cap: pyoxigraph writes it, in any format.
        body = result.serialize(format=_RESULTS_FORMATS[fmt.name])
    elif form is Form.SOLUTIONS:
        body, truncated = _solutions(result, fmt.name, job.row_cap, stream)
    else:
        triples = list(islice(result, job.row_cap + 1))
        truncated = job.row_cap if len(triples) > job.row_cap else None
        body = ox.serialize(triples[: job.row_cap], format=_RDF_FORMATS[fmt.name], prefixes=_PREFIXES)
    media_type = fmt.media_type + ("; charset=utf-8" if fmt.name in ("csv", "tsv", "turtle") else "")
    return Outcome(200, body, media_type, fmt.name, truncated)


_CLONE_NEWUSER, _CLONE_NEWNET = 0x10000000, 0x40000000


def cut_network() -> bool:
    """Move this process into a network namespace of its own, where no interface is up.

    Defence in depth behind the query guard: pyoxigraph's HTTP client (for SERVICE)
    is Rust code that no Python hook can stop, but from here it cannot connect
    anywhere. Needs Linux and either CAP_SYS_ADMIN or unprivileged user namespaces;
    says False where neither is available. Call it before the process starts threads.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(_CLONE_NEWNET) == 0:
            return True
        uid, gid = os.getuid(), os.getgid()
        if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) != 0:
            return False
        # Map our own ids into the new user namespace, so the store's files stay ours.
        Path("/proc/self/setgroups").write_text("deny")
        Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
        Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
        return True
    except (OSError, AttributeError):  # not Linux, or /proc not writable
        return False


def _die_with_parent() -> None:
    """Ask Linux to kill this worker when the server dies, even mid-query (prctl PR_SET_PDEATHSIG)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the worker ends at its next read of the closed pipe
        pass


def _worker_main(conn, store_path: str, memory_limit: int) -> None:
    """A worker's life: lose the network, open the store, say ready, answer jobs until the pipe closes."""
    _die_with_parent()
    if not cut_network():
        log.warning("SPARQL worker %d keeps network access (no network namespaces here); "
                    "the query guard alone keeps queries from reaching out", os.getpid())
    if memory_limit:
        resource.setrlimit(resource.RLIMIT_DATA, (memory_limit, memory_limit))
    store = ox.Store.read_only(store_path)
    stored = frozenset(graph.value for graph in store.named_graphs() if isinstance(graph, ox.NamedNode))
    check = lru_cache(maxsize=256)(lambda text, base: check_query(text, stored, base))
    conn.send("ready")
    while True:
        try:
            job = conn.recv()
        except EOFError:  # the server went away
            return
        try:
            outcome = evaluate(store, check, job, stream=True)
        except MemoryError:
            outcome = Outcome(503, out_of_memory_message(memory_limit).encode())
        except OSError as exc:
            outcome = Outcome(500, f"The store could not be read: {exc}".encode())
        except Exception as exc:  # report it to the client and keep serving: one query, one failure
            log.exception("query failed in a worker")
            outcome = Outcome(500, f"The query failed while being evaluated: {exc}".encode())
        _send(conn, outcome)


def _send(conn, outcome: Outcome) -> None:
    """Send an outcome; a streamed one as its head (body None), its chunks, then an empty chunk.
    A failure past the head ends the worker, whose closed pipe tells the pool the answer is incomplete."""
    if isinstance(outcome.body, bytes):
        conn.send(outcome)
        return
    conn.send(replace(outcome, body=None))
    try:
        for chunk in outcome.body:
            conn.send_bytes(chunk)
    except BaseException:
        log.exception("a streamed answer failed after its head was sent")
        os._exit(1)
    conn.send_bytes(b"")


class _Worker:
    def __init__(self, store_path: Path, memory_limit: int):
        ctx = multiprocessing.get_context("spawn")  # never fork the threaded server
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child, str(store_path), memory_limit),
                                   daemon=True, name="sparql-worker")
        self.process.start()
        child.close()
        self.demoted = False

    def wait_ready(self, timeout: float) -> bool:
        try:
            return self.conn.poll(timeout) and self.conn.recv() == "ready"
        except (OSError, EOFError):  # it died while starting, or the pool closed meanwhile
            return False

    def restore_priority(self) -> bool:
        try:
            os.setpriority(os.PRIO_PROCESS, self.process.pid, 0)
        except PermissionError:
            return False
        self.demoted = False
        return True

    def kill(self) -> None:
        self.process.kill()
        self.process.join()
        self.conn.close()


class WorkerPool:
    """A fixed number of query worker processes over one read-only store."""

    AFFINITY_ENTRIES = 4096  # query texts whose last worker is remembered

    def __init__(self, store_path: Path, size: int, memory_limit: int = 0, demote_after: float = 2.0):
        self.store_path = store_path
        self.size = size
        self.memory_limit = memory_limit
        self.demote_after = demote_after
        self._idle: list[_Worker] = []  # oldest first
        self._became_idle = threading.Condition()
        self._last_ran: OrderedDict[int, _Worker] = OrderedDict()  # hash of a query text -> its last worker
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._started = False
        self._closed = False
        self._wanted: queue.Queue[bool] = queue.Queue()

    def _spawner(self) -> None:
        """Start workers on request, from this one long-lived thread.

        Linux sends a worker its parent-death signal when the *thread* that started
        it ends, so workers must not be started from short-lived threads.
        """
        while True:
            self._wanted.get()
            with self._lock:
                if self._closed:
                    return
                worker = _Worker(self.store_path, self.memory_limit)
                self._all.add(worker)
            threading.Thread(target=self._admit, args=(worker,), daemon=True, name="sparql-admit").start()

    def _admit(self, worker: _Worker) -> None:
        """Make a new worker available once it has opened the store."""
        if worker.wait_ready(60):
            self._release(worker)
        elif not self._closed:
            log.error("a SPARQL worker failed to open the store %s", self.store_path)
            self._retire(worker)

    def _take(self, query: str, wait_limit: float) -> _Worker:
        """An idle worker for `query`: the one that last ran it if idle, else the one idle longest."""
        key = hash(query)
        with self._became_idle:
            if not self._became_idle.wait_for(lambda: self._idle, timeout=wait_limit):
                raise Overloaded()
            worker = self._last_ran.get(key)
            if worker not in self._idle:
                worker = self._idle[0]
            self._idle.remove(worker)
            self._last_ran[key] = worker
            self._last_ran.move_to_end(key)
            if len(self._last_ran) > self.AFFINITY_ENTRIES:
                self._last_ran.popitem(last=False)
        return worker

    def _release(self, worker: _Worker) -> None:
        with self._became_idle:
            self._idle.append(worker)
            self._became_idle.notify()

    def _respawn_later(self) -> None:
        self._wanted.put(True)

    def _retire(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._all.discard(worker)

    def _replace(self, worker: _Worker) -> None:
        self._retire(worker)
        self._respawn_later()

    def start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._spawner, daemon=True, name="sparql-spawner").start()
        for _ in range(self.size):
            self._respawn_later()

    def run(self, job: Job, time_limit: float, wait_limit: float) -> Outcome:
        """Evaluate `job` on a free worker within `time_limit` seconds."""
        self.start()
        worker = self._take(job.query, wait_limit)
        started = time.monotonic()
        try:
            worker.conn.send(job)
            ready = worker.conn.poll(min(self.demote_after, time_limit))
            if not ready and time_limit > self.demote_after:
                os.setpriority(os.PRIO_PROCESS, worker.process.pid, 19)
                worker.demoted = True
                ready = worker.conn.poll(time_limit - (time.monotonic() - started))
            if not ready:
                self._replace(worker)
                raise TimedOut()
            outcome = worker.conn.recv()
        except (EOFError, OSError) as exc:
            raise self._lost(worker) from exc
        if outcome.body is None:
            return replace(outcome, body=_Chunks(self, worker, started + time_limit), worker=worker.process.pid)
        self._give_back(worker)
        return replace(outcome, worker=worker.process.pid)

    def _lost(self, worker: _Worker) -> WorkerLost:
        """Replace a worker whose pipe broke; the error that says why."""
        self._replace(worker)
        return self._failure(worker)

    def _failure(self, worker: _Worker) -> WorkerLost:
        """Why a worker (now replaced) broke its pipe: the memory limit (Rust aborts), or else."""
        if self.memory_limit and worker.process.exitcode == -signal.SIGABRT:
            return OutOfMemory()
        return WorkerLost()

    def _give_back(self, worker: _Worker) -> None:
        """A worker that answered goes back to the idle ones, at full priority again."""
        if worker.demoted and not worker.restore_priority():
            self._replace(worker)  # without CAP_SYS_NICE a process cannot be given its priority back
        else:
            self._release(worker)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
        self._wanted.put(False)  # wakes the spawner, which then ends
        for worker in workers:
            worker.kill()


class _Chunks:
    """A streamed answer's chunks as its worker sends them; at their end the worker goes back to
    the pool. Closed before the end (the client went away), the worker is replaced. At the
    deadline the worker is replaced even if nobody reads (the server asks for the next chunk only
    once the client has taken the last ones), and the answer fails rather than ends short."""

    def __init__(self, pool: WorkerPool, worker: _Worker, deadline: float):
        self._pool, self._worker, self._deadline = pool, worker, deadline
        self._lock = threading.Lock()
        self._done = self._expired = False
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._expire)
        self._timer.daemon = True
        self._timer.start()

    def __iter__(self) -> _Chunks:
        return self

    def __next__(self) -> bytes:
        if self._done:
            if self._expired:
                raise TimedOut()
            raise StopIteration
        try:
            chunk = self._worker.conn.recv_bytes()
        except (EOFError, OSError) as exc:
            self._settle(answered=False)
            if self._expired or time.monotonic() >= self._deadline:
                raise TimedOut() from exc
            raise self._pool._failure(self._worker) from exc
        if not chunk:
            self._settle(answered=True)
            raise StopIteration
        return chunk

    def close(self) -> None:
        self._settle(answered=False)

    def _expire(self) -> None:
        self._settle(answered=False, expired=True)

    def _settle(self, answered: bool, expired: bool = False) -> None:
        """End the stream, once (the reader, the server's close and the timer may all try): the
        worker back to the pool, or replaced."""
        with self._lock:
            if self._done:
                return
            self._done, self._expired = True, expired
        self._timer.cancel()
        if answered:
            self._pool._give_back(self._worker)
        else:
            self._pool._replace(self._worker)

"""The public SPARQL endpoint: a Flask blueprint for /sparql.

It implements the SPARQL 1.1 Protocol for queries (GET, POST form, POST direct;
default-graph-uri / named-graph-uri; results and graphs by content negotiation,
overridable with `format`) and answers a GET without a query with the service
description, or with the query page when a browser asks. It is safe by
construction: updates are refused, the query guard refuses anything that would
reach the network before evaluation, and queries run in killable worker
processes under a time limit, a row cap, a request-size cap and a per-client
concurrency limit. With `serve --store` they go to an external SPARQL store instead
(pipeline.sparql_remote), past the same guard and under the same limits.
"""

from __future__ import annotations

import atexit
import functools
import logging
import shutil
import tempfile
import threading
from collections import Counter
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Protocol, Sequence
from urllib.parse import parse_qs

import click
import pyoxigraph as ox
from flask import Blueprint, Response, request
from werkzeug.wsgi import ClosingIterator

from pipeline import endpoint_page
from pipeline.sparql_description import describe
from pipeline.sparql_formats import FORMATS, Choice, UnknownFormat, choose
from pipeline.sparql_guard import Form
from pipeline.sparql_workers import (Job, OutOfMemory, Outcome, Overloaded, TimedOut, WorkerLost, WorkerPool,
                                     out_of_memory_message)

log = logging.getLogger(__name__)

FORM_TYPE = "application/x-www-form-urlencoded"
QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"
_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Accept",
    "Access-Control-Expose-Headers": "NewsGraph-Row-Cap, Warning",
    "Access-Control-Max-Age": "86400",
}


@dataclass(frozen=True)
class EndpointConfig:
    """The endpoint's limits. Defaults suit a public server on a small machine."""

    time_limit: float = 30.0  # seconds a query may run before its worker is killed
    row_cap: int = 10_000  # solutions (or triples) a response holds at most
    max_request_bytes: int = 64 * 1024  # a query (URL or body) larger than this is refused
    max_client_queries: int = 4  # queries one client address may have in flight at once
    workers: int = 4  # query worker processes
    queue_wait: float = 10.0  # seconds a query waits for a free worker before 503
    worker_memory: int = 2 * 1024**3  # bytes of heap a worker may use


class Evaluator(Protocol):
    """What answers the endpoint's queries: the embedded store's WorkerPool, or a
    sparql_remote.RemoteEvaluator for an external store (`serve --store`)."""

    def start(self) -> None: ...

    def run(self, job: Job, time_limit: float, wait_limit: float) -> Outcome: ...

    def close(self) -> None: ...


class RequestError(Exception):
    """A request the endpoint answers with an error status and a message."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


class ClientLimiter:
    """Counts the queries in flight per client address and refuses those over the limit."""

    def __init__(self, limit: int):
        self.limit = limit
        self._active: Counter[str] = Counter()
        self._lock = threading.Lock()

    @contextmanager
    def slot(self, client: str):
        with self._lock:
            if self._active[client] >= self.limit:
                raise RequestError(429, f"Too many concurrent queries from {client}: at most {self.limit} "
                                        "at a time. Wait for one to finish.", {"Retry-After": "1"})
            self._active[client] += 1
        try:
            yield
        finally:
            with self._lock:
                self._active[client] -= 1
                if not self._active[client]:
                    del self._active[client]


def _strict_qs(raw: bytes) -> dict[str, list[str]]:
    """Parse URL-encoded parameters, refusing any that are not UTF-8."""
    try:
        return parse_qs(raw.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise RequestError(400, "Request parameters must be UTF-8 (percent-encoded).") from None


def _request_parameters(max_bytes: int) -> dict[str, list[str]]:
    """The protocol operation's parameters, from the URL and, for POST, the body."""
    if len(request.query_string) > max_bytes:
        raise RequestError(414, f"The request URL is longer than the limit of {max_bytes} bytes; "
                                "send long queries with POST.")
    params = _strict_qs(request.query_string)
    if request.method != "POST":
        return params
    if request.content_length is not None and request.content_length > max_bytes:
        raise RequestError(413, f"The request body is larger than the limit of {max_bytes} bytes.")
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise RequestError(415, f"The request is in {charset}; this endpoint accepts UTF-8 only.")
    body = request.stream.read(max_bytes + 1)
    if len(body) > max_bytes:
        raise RequestError(413, f"The request body is larger than the limit of {max_bytes} bytes.")
    if request.mimetype == FORM_TYPE:
        for name, values in _strict_qs(body).items():
            params.setdefault(name, []).extend(values)
    elif request.mimetype == QUERY_TYPE:
        if "query" in params:
            raise RequestError(400, "A direct POST carries the query in its body, not also in the URL.")
        try:
            params["query"] = [body.decode("utf-8")]
        except UnicodeDecodeError:
            raise RequestError(400, "The query is not valid UTF-8.") from None
    elif request.mimetype == UPDATE_TYPE:
        params.setdefault("update", []).append("")
    else:
        raise RequestError(415, f"POST a query as {FORM_TYPE} (query=...) or as {QUERY_TYPE}; "
                                f"got {request.mimetype or 'no Content-Type'}.")
    return params


def _single(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name, [])
    if len(values) > 1:
        raise RequestError(400, f"Give one {name!r} parameter, not {len(values)}.")
    return values[0] if values else None


def _wants_page(params: dict[str, list[str]]) -> bool:
    """A browser navigating to /sparql (or a bookmarked query) gets the page, not data."""
    if request.method != "GET" or "format" in params or "output" in params:
        return False
    offers = [fmt.media_type for fmt in FORMATS[Form.SOLUTIONS] + FORMATS[Form.GRAPH]] + ["text/html"]
    return request.accept_mimetypes.best_match(offers) == "text/html"


def _formats(params: dict[str, list[str]]) -> Choice:
    """The formats this request asks for, by `format` (or `output`) parameter or else by Accept."""
    try:
        return choose(request.accept_mimetypes, _single(params, "format") or _single(params, "output"))
    except UnknownFormat as exc:
        raise RequestError(400, str(exc)) from None


def _response(body: bytes | str | Iterator[bytes], status: int = 200, media_type: str = "text/plain; charset=utf-8",
              headers: dict[str, str] | None = None) -> Response:
    response = Response(body, status=status, content_type=media_type)
    response.headers["Vary"] = "Accept"
    response.headers.update(headers or {})
    return response


def _require_store(store_path: Path) -> None:
    if not (store_path / "CURRENT").exists():
        raise click.ClickException(f"{store_path}: no store here; run `newsgraph build` first.")


def stored_graphs(store_path: Path) -> list[str]:
    """The named graphs of the store at `store_path`, sorted."""
    _require_store(store_path)
    store = ox.Store.read_only(str(store_path))
    return sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))


def _serving_store(store_path: Path, extra_graphs: Sequence[tuple[Path, str]]) -> Path:
    """The store the workers read: the built one, or a private copy with the added graphs.

    The built store is opened read-only (the build owns it), so added files go into
    a temporary store that holds a copy of the publication beside them; it is removed
    when the server exits. A file that cannot be read is reported and left out.
    """
    _require_store(store_path)
    if not extra_graphs:
        return store_path
    target = Path(tempfile.mkdtemp(prefix="newsgraph-serve-"))
    atexit.register(shutil.rmtree, target, ignore_errors=True)
    merged = ox.Store(str(target))
    merged.bulk_extend(ox.Store.read_only(str(store_path)))
    for path, graph in extra_graphs:
        fmt = ox.RdfFormat.from_extension(path.suffix.lstrip("."))
        try:
            if fmt is None or fmt.supports_datasets:
                raise ValueError(f"cannot tell a triples format from the extension {path.suffix!r} "
                                 "(use .ttl, .nt, .rdf, .jsonld, .n3)")
            merged.load(path=str(path), format=fmt, to_graph=ox.NamedNode(graph))
        except (OSError, SyntaxError, ValueError) as exc:
            log.error("%s: not served as <%s>: %s", path, graph, exc)
    merged.flush()
    del merged
    return target


def parse_added_graphs(ctx: click.Context | None, param: click.Parameter | None,
                       values: Sequence[str]) -> tuple[tuple[Path, str], ...]:
    """Click callback for `--add FILE=GRAPH_IRI` (repeatable)."""
    added = []
    for value in values:
        file, sep, graph = value.partition("=")
        if not sep or not file or ":" not in graph:
            raise click.BadParameter(f"{value!r}: expected FILE=GRAPH_IRI, e.g. extra.ttl=http://example.org/g")
        if not Path(file).is_file():
            raise click.BadParameter(f"{file}: no such file")
        added.append((Path(file), graph))
    return tuple(added)


def endpoint_options(command):
    """Add `--add` and the endpoint's limits to a click command.

    The command then receives `extra_graphs` (for create_blueprint) and
    `endpoint_config` (an EndpointConfig) instead of the separate options.
    """
    defaults = EndpointConfig()

    @functools.wraps(command)
    def wrapper(*args, time_limit, row_cap, max_client_queries, query_workers, query_memory, **kwargs):
        config = EndpointConfig(time_limit=time_limit, row_cap=row_cap, max_client_queries=max_client_queries,
                                workers=query_workers, worker_memory=query_memory * 1024**2)
        return command(*args, endpoint_config=config, **kwargs)

    options = [
        click.option("--add", "extra_graphs", multiple=True, metavar="FILE=GRAPH_IRI",
                     callback=parse_added_graphs,
                     help="Also serve the RDF file FILE as the named graph GRAPH_IRI (repeatable)."),
        click.option("--time-limit", type=float, default=defaults.time_limit, show_default=True,
                     help="Seconds a SPARQL query may run before it is stopped."),
        click.option("--row-cap", type=int, default=defaults.row_cap, show_default=True,
                     help="Most rows (or triples) one SPARQL response holds."),
        click.option("--max-client-queries", type=int, default=defaults.max_client_queries, show_default=True,
                     help="Queries one client address may have running at once."),
        click.option("--query-workers", type=int, default=defaults.workers, show_default=True,
                     help="SPARQL worker processes (with --store: queries sent to the store at once)."),
        click.option("--query-memory", type=click.IntRange(min=64), default=defaults.worker_memory // 1024**2,
                     show_default=True, metavar="MIB",
                     help="MiB of memory one SPARQL worker may use; a query needing more is stopped."),
    ]
    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


def create_blueprint(store_path: Path, extra_graphs: Sequence[tuple[Path, str]] = (),
                     config: EndpointConfig = EndpointConfig(), evaluator: Evaluator | None = None) -> Blueprint:
    """The /sparql blueprint over the built store at `store_path` plus `extra_graphs`.

    Queries run in worker processes over that store, which start when the blueprint is
    registered on an app and stop when the server exits; or, given an `evaluator` (an
    external store holding the same graphs), there, under the same guard and limits.
    """
    serving = _serving_store(Path(store_path), extra_graphs)
    graphs = stored_graphs(serving)
    pool = evaluator or WorkerPool(serving, config.workers, config.worker_memory)
    atexit.register(pool.close)
    limiter = ClientLimiter(config.max_client_queries)
    bp = Blueprint("sparql", __name__)
    bp.record_once(lambda state: pool.start())  # workers open the store before the first query
    endpoint_page.register(bp)

    def query_response(params: dict[str, list[str]], query: str) -> Response:
        if len(query.encode()) > config.max_request_bytes:
            raise RequestError(413, f"The query is larger than the limit of {config.max_request_bytes} bytes.")
        formats = _formats(params)
        job = Job(query=query,
                  default_graphs=tuple(params["default-graph-uri"]) if "default-graph-uri" in params else None,
                  named_graphs=tuple(params["named-graph-uri"]) if "named-graph-uri" in params else None,
                  formats=formats, row_cap=config.row_cap, base_iri=request.base_url)
        with ExitStack() as in_flight:
            in_flight.enter_context(limiter.slot(request.remote_addr or "unknown"))
            try:
                outcome = pool.run(job, config.time_limit, config.queue_wait)
            except TimedOut:
                raise RequestError(503, f"The query ran longer than the time limit of {config.time_limit:g} s "
                                        "and was stopped. Narrow it (LIMIT, more specific patterns).") from None
            except Overloaded:
                raise RequestError(503, "All query workers are busy; try again shortly.",
                                   {"Retry-After": "2"}) from None
            except OutOfMemory:
                raise RequestError(503, out_of_memory_message(config.worker_memory)) from None
            except WorkerLost:
                raise RequestError(500, "The query stopped its worker unexpectedly; it was not completed.") from None
            body = outcome.body
            if not isinstance(body, bytes):  # streamed: the query is in flight until its last chunk
                body = ClosingIterator(body, in_flight.pop_all().close)
        headers = {}
        if outcome.truncated_at is not None:
            headers["NewsGraph-Row-Cap"] = str(outcome.truncated_at)
            headers["Warning"] = (f'199 newsgraph "Results cut at the row cap of {outcome.truncated_at}; '
                                  'use LIMIT and OFFSET to page through them"')
        return _response(body, outcome.status, outcome.media_type, headers)

    def service_description(params: dict[str, list[str]]) -> Response:
        fmt = _formats(params).graph
        body = describe(request.base_url, graphs, config.time_limit, config.row_cap).serialize(
            format={"turtle": "turtle", "ntriples": "nt", "jsonld": "json-ld", "rdfxml": "xml"}[fmt.name])
        return _response(body, media_type=fmt.media_type)

    @bp.route("/sparql", methods=["GET", "POST", "OPTIONS"])
    def sparql():
        if request.method == "OPTIONS":
            return _response(b"", 204)
        try:
            params = _request_parameters(config.max_request_bytes)
            if "update" in params:
                raise RequestError(403, "This endpoint is read-only: SPARQL Update (and LOAD) is refused.")
            query = _single(params, "query")
            if _wants_page(params):
                return endpoint_page.render(query, graphs, config)
            if query is None:
                if request.method == "POST":
                    raise RequestError(400, "No query: send a `query` parameter.")
                return service_description(params)
            return query_response(params, query)
        except RequestError as exc:
            return _response(str(exc) + "\n", exc.status, headers=exc.headers)

    @bp.after_request
    def cors(response: Response) -> Response:
        response.headers.update(_CORS)
        return response

    return bp

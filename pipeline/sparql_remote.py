"""SPARQL answered by an external SPARQL 1.1 store: `newsgraph serve --store URL`.

`RemoteEvaluator` has the worker pool's interface (`start`, `run`, `close`), so the
endpoint serves through either with the same rules. The query guard runs here, before
anything is sent: SERVICE, updates (and so LOAD) and FROM of graphs the publication does
not hold never reach the store. The store's answer is read as it streams in (SPARQL JSON
results, N-Triples graphs) and written out again by the endpoint's own serialiser
(`sparql_workers.render`), so every result format, content negotiation and the row cap
behave as over the embedded store, and reading stops once the row cap is passed. A
query that has not been answered in full within the time limit is dropped (the
connection is closed, the only cancellation the protocol has) and answered 503.

The union default graph. newsgraph's default graph is the union of the publication's
named graphs; stores differ: Oxigraph and Fuseki query only their unnamed graph unless
told otherwise (`--union-default-graph`, `tdb2:unionDefaultGraph`), GraphDB and Virtuoso
every statement they hold (Virtuoso's system graphs too), QLever the union of all its
graphs. So the dataset goes with every query, through the SPARQL 1.1 Protocol's
`default-graph-uri` and `named-graph-uri`, each listing the publication's graphs. It is
the one standard way to say which graphs a query sees, every store honours it whatever
its settings, and it leaves out graphs the store holds for others, so the answers equal
those of the embedded store over the same publication. The price is a request that
grows with the number of graphs (it is POSTed, so no URL limit applies) and, in some
stores, per-graph index lookups. A query with FROM / FROM NAMED (only of the publication's
graphs, the guard sees to that) is sent as it is; graph names given with the request are
passed on when the publication holds them and otherwise stand for an empty graph, as in
the embedded store, so no graph name the publication does not hold is ever sent.

A store that holds nothing but the publication and whose default graph is already the
union of its graphs (Oxigraph's `--union-default-graph`, Fuseki's `unionDefaultGraph`,
QLever) can be trusted with it: `serve --store-union` sends no dataset with queries
that name none, so requests stay small for a corpus of hundreds of thousands of graphs.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

import pyoxigraph as ox
import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ProtocolError, ReadTimeoutError
from werkzeug.exceptions import BadGateway, ServiceUnavailable

from pipeline.remote import authenticated_session
from pipeline.siteread import bind, query_text
from pipeline.sparql_guard import CheckedQuery, Form, Refused, check_query
from pipeline.sparql_workers import Job, Outcome, Overloaded, TimedOut, render

# What the store is asked to answer in: formats with streaming parsers in pyoxigraph.
_ACCEPT = {Form.SOLUTIONS: "application/sparql-results+json", Form.BOOLEAN: "application/sparql-results+json",
           Form.GRAPH: "application/n-triples"}
# The default graph of a request that names only graphs the publication does not hold (or
# of a publication without graphs): no store holds it, so the store evaluates over an empty
# default graph, as the embedded store would.
EMPTY_GRAPH = "urn:x-newsgraph:no-graph"


class StoreFailed(RuntimeError):
    """The store did not answer the query; `status` is what the endpoint answers instead."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Dataset:
    """The graphs a query is sent with, as protocol parameters (both empty: the query's own FROM)."""

    default: tuple[str, ...]
    named: tuple[str, ...]

    def parameters(self) -> list[tuple[str, str]]:
        return [("default-graph-uri", iri) for iri in self.default] + [("named-graph-uri", iri) for iri in self.named]


class _Deadline(io.RawIOBase):
    """The store's response body as a file that raises TimedOut once the deadline has passed.

    Each read waits on the socket for the time left at most, so a stalled store cannot
    hold a query past its time limit.
    """

    def __init__(self, response: requests.Response, deadline: float):
        self.response = response
        self.deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimedOut()
        connection = self.response.raw.connection
        if connection is not None and connection.sock is not None:
            connection.sock.settimeout(left)
        try:
            data = self.response.raw.read(len(buffer), decode_content=True)
        except (ReadTimeoutError, TimeoutError) as exc:
            raise TimedOut() from exc
        except (ProtocolError, OSError) as exc:
            raise StoreFailed(502, f"The SPARQL store at {self.response.url} broke off its answer: {exc}") from exc
        buffer[: len(data)] = data
        return len(data)


class RemoteEvaluator:
    """Queries answered by the store whose SPARQL query endpoint is `url`, over the publication's `graphs`.

    At most `size` queries are sent at once (`--query-workers`); others wait for a
    slot as they would for a worker. Credentials come from the environment, as for
    `build --store` (pipeline.remote.authenticated_session).
    """

    def __init__(self, url: str, graphs: frozenset[str], size: int, store_union: bool = False):
        self.url = url
        self.graphs = graphs
        # With `store_union`, the store's own default graph is the union of the publication's graphs.
        self._store_union = store_union
        self._union = Dataset((), ()) if store_union else Dataset(tuple(sorted(graphs)) or (EMPTY_GRAPH,),
                                                                      tuple(sorted(graphs)))
        self._slots = threading.BoundedSemaphore(size)
        self._session = authenticated_session()
        for scheme in ("http://", "https://"):
            self._session.mount(scheme, HTTPAdapter(pool_maxsize=size))
        self._check = lru_cache(maxsize=256)(lambda text, base: check_query(text, graphs, base))

    def start(self) -> None:
        """Nothing to start: the store runs on its own. (The worker pool starts its processes here.)"""

    def close(self) -> None:
        self._session.close()

    def run(self, job: Job, time_limit: float, wait_limit: float) -> Outcome:
        """Check `job`, have the store answer it within `time_limit` seconds, and serialise the answer."""
        try:
            checked = self._check(job.query, job.base_iri)
            dataset = self._dataset(job, checked)
            base = ox.NamedNode(job.base_iri)  # it goes into the query text: it must be an IRI
        except Refused as exc:
            return Outcome(400, str(exc).encode())
        except ValueError as exc:  # a graph name or base that is not an IRI
            return Outcome(400, f"Query rejected: {exc}".encode())
        if not self._slots.acquire(timeout=wait_limit):
            raise Overloaded()
        try:
            with self._answer(job.query, base, dataset, checked.form, time_limit) as result:
                return render(result, checked, job)
        except StoreFailed as exc:
            return Outcome(exc.status, str(exc).encode())
        finally:
            self._slots.release()

    def describe(self, iri: str, time_limit: float) -> list[ox.Triple]:
        """The linked-data document of `iri` (the site's `describe` query), from the store.

        For linkeddata's blueprint: failures are HTTP errors (502, or 503 on time-out).
        """
        query = bind(query_text("describe"), {"e": ox.NamedNode(iri)})
        try:
            with self._answer(query, None, self._union, Form.GRAPH, time_limit) as triples:
                return list(dict.fromkeys(triples))  # a triple may sit in several graphs
        except StoreFailed as exc:
            raise BadGateway(str(exc)) from None
        except TimedOut:
            raise ServiceUnavailable(f"The SPARQL store at {self.url} did not answer within "
                                     f"{time_limit:g} s.") from None

    def _dataset(self, job: Job, checked: CheckedQuery) -> Dataset:
        """The protocol's graphs (those the publication holds), else the query's FROM, else the union."""
        if job.default_graphs is None and job.named_graphs is None:
            if not (checked.from_graphs or checked.from_named_graphs):
                return self._union
            if self._store_union:  # a store's union setting may win over a query's FROM (Oxigraph's does)
                return Dataset(checked.from_graphs or (EMPTY_GRAPH,), checked.from_named_graphs)
            return Dataset((), ())
        for iri in (job.default_graphs or ()) + (job.named_graphs or ()):
            ox.NamedNode(iri)  # ValueError for a name that is not an IRI, as in the embedded store
        default = tuple(iri for iri in job.default_graphs or () if iri in self.graphs)
        named = tuple(iri for iri in job.named_graphs or () if iri in self.graphs)
        return Dataset(default or (() if named else (EMPTY_GRAPH,)), named)

    @contextmanager
    def _answer(self, query: str, base: ox.NamedNode | None, dataset: Dataset, form: Form,
                time_limit: float) -> Iterator[ox.QueryBoolean | ox.QuerySolutions | Iterator[ox.Triple]]:
        """POST the query with its dataset; yield the answer as it is parsed; always close the connection."""
        deadline = time.monotonic() + time_limit
        # Relative IRIs resolve against our base, as in the embedded store; on the query's first
        # line, so that the line numbers of the store's error messages stay right.
        text = f"BASE {base} {query}" if base else query
        try:
            response = self._session.post(
                self.url, data=[("query", text), *dataset.parameters()], headers={"Accept": _ACCEPT[form]},
                stream=True, timeout=(time_limit, time_limit))
        except requests.ConnectionError as exc:  # ConnectTimeout too: the store is not there
            raise StoreFailed(502, f"The SPARQL store at {self.url} cannot be reached: {exc}") from None
        except requests.Timeout:  # no answer began within the time limit
            raise TimedOut() from None
        try:
            if response.status_code != 200:
                raise StoreFailed(*self._failure(response))
            body = _Deadline(response, deadline)
            media_type = response.headers.get("Content-Type", "")
            try:
                if form is Form.GRAPH:
                    fmt = ox.RdfFormat.from_media_type(media_type)
                    if fmt is None or fmt.supports_datasets:
                        raise StoreFailed(502, f"The SPARQL store at {self.url} answered a graph in "
                                               f"{media_type or 'an unnamed format'}, which is not a triples format.")
                    yield (quad.triple for quad in ox.parse(body, format=fmt))
                else:
                    fmt = ox.QueryResultsFormat.from_media_type(media_type)
                    if fmt is None:
                        raise StoreFailed(502, f"The SPARQL store at {self.url} answered results in "
                                               f"{media_type or 'an unnamed format'}, which newsgraph cannot read.")
                    yield ox.parse_query_results(body, format=fmt)
            except SyntaxError as exc:
                raise StoreFailed(502, f"The SPARQL store at {self.url} sent an answer that cannot be read: "
                                       f"{exc}") from None
        finally:
            response.close()

    def _failure(self, response: requests.Response) -> tuple[int, str]:
        """What to answer for a store's error: its own message for a query it rejects, else 502."""
        message = response.raw.read(2000, decode_content=True).decode("utf-8", "replace").strip()
        if response.status_code == 400:
            return 400, f"Query rejected by the store: {message}"
        return 502, f"The SPARQL store at {self.url} answered HTTP {response.status_code}: {message}"

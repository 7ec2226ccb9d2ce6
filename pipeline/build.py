"""Build: every stage of the data flow, from input files to a published release.

ingest -> extract -> link -> map -> validate -> store -> publish, written into a fresh
release folder that replaces the current publication only when it is complete.
"""

from __future__ import annotations

import json
import multiprocessing
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph

from . import publication
from .ingest import MAX_BYTES, ingest
from .link import EventKeys, event_keys, link
from .map import NamedGraph, map_article_graph, map_resolved, mention_events
from .model import ArticleExtraction, Corpus, Event, Rejection
from .parallel import extract_corpus
from .publish import publish
from .remote import PushSummary, push
from .reason import entailed, ontology_graph
from .store import StoredGraphs, StoreWriter, graph_documents, open_read_only, write_digests
from .validate import Validation, format_report, render_validation_html, write_merged_report
from .validate_batch import Prepared, prepare, validate_articles
from .vocab import DEFAULT_BASE, Minter


@dataclass
class Timings:
    """Wall-clock seconds of each stage of a build, in the order they ran (report/build.json)."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - started)

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def __str__(self) -> str:
        return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.seconds.items())


@dataclass
class BuildResult:
    publication: publication.Publication
    articles: int
    rejections: list[Rejection] = field(default_factory=list)
    quarantined: dict[str, Validation] = field(default_factory=dict)  # by article id
    seconds: float = 0.0
    reused: int = 0  # extractions taken from the cache of an earlier build
    pushed: PushSummary | None = None  # what was written to the external store
    timings: Timings = field(default_factory=Timings)
    pages: int = 0  # pages drawn by this build
    pages_reused: int = 0  # unchanged pages taken from the previous publication


@dataclass(frozen=True)
class BuildOptions:
    base: str = DEFAULT_BASE
    max_bytes: int = MAX_BYTES
    workers: int = 0  # > 0: extract on a local Dask cluster of that many processes, map and validate on as many
    scheduler: str | None = None  # a Dask scheduler address: extract on that cluster
    progress: Callable | None = None  # tqdm in the CLI: wraps an iterable, or counts by update() given total=
    store_url: str | None = None  # also write the graphs to this external SPARQL 1.1 store
    store_protocol: str = "gsp"  # how: Graph Store Protocol ("gsp") or SPARQL Update ("update")


def build(inputs: Sequence[Path], out: Path, options: BuildOptions = BuildOptions()) -> BuildResult:
    """Build a publication from `inputs` into `out` and make it the current one.

    Extractions of articles unchanged since the last build into `out` are reused.
    """
    with publication.exclusive(out):
        return _build(inputs, out, options)


def _build(inputs: Sequence[Path], out: Path, options: BuildOptions) -> BuildResult:
    started = time.perf_counter()
    timings = Timings()
    minter = Minter(options.base)
    release = publication.stage(out)
    try:
        with timings.stage("ingest"):
            ingested = ingest(inputs, max_bytes=options.max_bytes)
        with timings.stage("extract"):
            extracted = extract_corpus(ingested.articles, cache=out / "cache" / "extract", workers=options.workers,
                                       scheduler=options.scheduler, progress=options.progress)
        rejections = [*ingested.rejections, *extracted.failures]
        last = publication.current(out) if (out / publication.CURRENT).is_dir() else None
        writer = StoreWriter(release.store, StoredGraphs.of(last) if last else None)
        store, validations = _store_validated(list(extracted.extractions), minter, release, writer, out / "cache",
                                              options.workers, options.progress, timings, _event_keys(last))
        quarantined = {a: v for a, v in validations.items() if not v.conforms}
        with timings.stage("publish"):
            _write_reports(release, validations)
            previous = last.site if last else None
            summary = publish(store, release.site, minter.base, previous=previous,
                              report_html=render_validation_html(validations), workers=options.workers,
                              graph_digests=writer.digests, pieces=out / "cache" / "dumps", lines=writer.changes)
        graphs_written = writer.written
        del store, writer  # close the store before the release is served
        _write_build_report(release, rejections, validations, timings, graphs_written)
        publication.promote(out, release)
    except BaseException:
        publication.discard(release)
        raise
    result = BuildResult(release, len(validations) - len(quarantined), rejections, quarantined, 0.0, extracted.reused,
                         timings=timings, pages=summary.rendered, pages_reused=summary.reused)
    if options.store_url:
        with timings.stage("push"):
            result.pushed = push(graph_documents(open_read_only(out)), options.store_url, options.store_protocol,
                                 out / "cache")
    result.seconds = time.perf_counter() - started
    return result


VALIDATION = "SHACL validation (summed over processes)"  # the stage time summed in the mapping processes
CHUNK = 50  # articles a mapping process takes at a time (and validates in one batch), at most


def _event_keys(release: publication.Publication | None) -> EventKeys | None:
    """The event keys `release` gave out; None for no release, or one built before releases kept them."""
    if release is None or not release.event_keys.is_file():
        return None
    return EventKeys.from_json(json.loads(release.event_keys.read_text(encoding="utf-8")))


def _store_validated(extractions: list[ArticleExtraction], minter: Minter, release: publication.Publication,
                     writer: StoreWriter, cache: Path, processes: int, progress: Callable | None, timings: Timings,
                     previous: EventKeys | None) -> tuple[pyoxigraph.Store, dict[str, Validation]]:
    """Link, map, validate and store the corpus, quarantining every article whose graph has a violation.

    Article graphs are mapped, validated and written a few at a time (in `processes`
    processes when > 1), so a corpus's graphs are never all in memory. A quarantined
    article is left out and the rest linked again (what was merged with it across
    articles may change) into the emptied store; this repeats until all pass. Returns
    the store and the validation of every article (published or quarantined). Events keep
    the keys of `previous` (the last release's); the keys given out, and the digests of the
    graphs `writer` stored, are written into the release.
    """
    validations: dict[str, Validation] = {}
    quarantined: set[str] = set()
    while True:
        with timings.stage("link"):
            corpus = link([x for x in extractions if x.article.id not in quarantined], previous)
            keys = event_keys(corpus, previous)
            resolved = map_resolved(corpus, minter, keys.retired)
            inferred = entailed(resolved.triples)
            published_resolved = _published_resolved(resolved, inferred, minter)
            context = _Context(corpus, mention_events(corpus), minter,
                               prepare(resolved.triples | inferred, materialised=True),
                               published_resolved.triples, cache / "validate")
        failed = set()
        with timings.stage("map, validate, store"):
            graphs = _article_graphs(context, processes, timings)
            for article_id, validation, ntriples in (progress(graphs, total=len(corpus.extractions),
                                                              desc="validate", unit="article") if progress else graphs):
                validations[article_id] = validation
                if validation.conforms:
                    writer.add(minter.article_graph(article_id), ntriples)
                else:
                    failed.add(article_id)
            if not failed:
                writer.add(minter.ontology_graph(), ontology_graph().serialize(format="nt", encoding="utf-8"))
                writer.add(resolved.name, published_resolved.ntriples())
                release.event_keys.write_text(json.dumps(keys.to_json(), indent=1), encoding="utf-8")
                store = writer.close()
                write_digests(release, writer.digests)
                return store, validations
        quarantined |= failed
        writer.clear()


@dataclass(frozen=True)
class _Context:
    """What mapping and validating one article needs of the linked corpus."""

    corpus: Corpus
    event_of: dict[tuple[str, int], Event]
    minter: Minter
    resolved: Prepared  # the resolved graph indexed for validating articles with it
    published_resolved: frozenset  # its triples as published, with inferences
    validation_cache: Path


_context: _Context | None = None  # the mapping process's, set when it starts


def _article_graphs(context: _Context, processes: int, timings: Timings) -> Iterator[tuple[str, Validation, bytes]]:
    """Each article's validation and published N-Triples, in article id order.

    With several processes, they are forked once the corpus is linked, so each starts
    with the linked corpus in memory instead of receiving it. The time spent validating
    is added to `timings` (summed over the processes).
    """
    ids = sorted(context.corpus.extractions)
    size = max(1, min(CHUNK, len(ids) // (4 * max(processes, 1))))  # several chunks a process: even loads
    chunks = [ids[i:i + size] for i in range(0, len(ids), size)]
    if processes <= 1 or len(chunks) <= 1:
        _start(context)
        yield from _collect(map(_map_and_validate, chunks), timings)
        return
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork"),
                             initializer=_start, initargs=(context,)) as pool:
        yield from _collect(pool.map(_map_and_validate, chunks), timings)


def _collect(chunks: Iterator[_Chunk], timings: Timings) -> Iterator[tuple[str, Validation, bytes]]:
    for chunk in chunks:
        timings.add(VALIDATION, chunk.validation_seconds)
        yield from chunk.results


@dataclass(frozen=True)
class _Chunk:
    results: list[tuple[str, Validation, bytes]]  # article id, its validation, its published N-Triples
    validation_seconds: float


def _start(context: _Context) -> None:
    global _context
    _context = context


def _map_and_validate(article_ids: list[str]) -> _Chunk:
    """Map, validate (in one batch) and serialise with inferences these articles of the corpus being built."""
    context = _context
    graphs = {a: map_article_graph(context.corpus.extractions[a], context.event_of, context.minter)
              for a in article_ids}
    inferred = {a: entailed(g.triples) for a, g in graphs.items()}
    started = time.perf_counter()
    validations = validate_articles({a: g.triples | inferred[a] for a, g in graphs.items()}, context.resolved,
                                    materialised=True, cache_dir=context.validation_cache,
                                    batch_size=len(article_ids))
    validation_seconds = time.perf_counter() - started
    results = []
    for article_id, graph in graphs.items():
        published = b""
        if validations[article_id].conforms:
            # what the resolved graph already states (an event's mentions) is not repeated here
            own = inferred[article_id] - context.published_resolved
            published = NamedGraph(graph.name, graph.triples | own).ntriples()
        results.append((article_id, validations[article_id], published))
    return _Chunk(results, validation_seconds)


def _published_resolved(resolved: NamedGraph, inferred: set, minter: Minter) -> NamedGraph:
    """The resolved graph with the superclass, superproperty and inverse triples SPARQL users rely
    on, but for those about mentions: an event's `ng:hasMention` entails `ng:refersTo` from each
    mention, which the mention's article graph states already, and a triple stated in two
    graphs is a duplicate row in every query over their union."""
    kept = {t for t in inferred if not t[0].startswith(minter.mention_prefix)}
    return NamedGraph(resolved.name, resolved.triples | kept)


def _write_build_report(release: publication.Publication, rejections, validations: dict[str, Validation],
                        timings: Timings, graphs_written: int) -> None:
    """What was rejected and quarantined, how many graphs were written into the store (the rest
    were the previous release's as they are), and how long each stage took (the pushing excepted)."""
    report = {
        "rejected": [{"path": r.path, "problem": r.problem} for r in rejections],
        "quarantined": sorted(a for a, v in validations.items() if not v.conforms),
        "graphs_written": graphs_written,
        "seconds": timings.seconds,
    }
    (release.report / "build.json").write_text(json.dumps(report, indent=2), encoding="utf-8")


def _write_reports(release: publication.Publication, validations: dict[str, Validation]) -> None:
    """The SHACL report as text and as Turtle (also in the site, beside the HTML report that
    publish writes as report.html)."""
    (release.report / "validation.txt").write_text(format_report(validations), encoding="utf-8")
    write_merged_report(validations, release.report / "validation.ttl")
    shutil.copyfile(release.report / "validation.ttl", release.site / "report.ttl")

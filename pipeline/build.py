"""Build: every stage of the data flow, from input files to a published release.

ingest -> extract -> link -> map -> validate -> store -> publish, written into a fresh
release folder that replaces the current publication only when it is complete.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import shutil
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph
from rdflib import URIRef

from . import article_records, publication
from .article_records import ArticleRecord, Records, SubjectDigests, mapping_inputs
from .ingest import MAX_BYTES, ingest
from .link import Clustering, EventKeys, event_keys, linked
from .map import NamedGraph, map_article_graph, map_resolved, mention_events
from .memory import collector_paused, long_lived_objects
from .model import ArticleExtraction, Corpus, Event, Rejection
from .parallel import extract_corpus
from .publish import publish
from .remote import PushSummary, push
from .reason import entailed, ontology_graph
from .store import StoredGraphs, StoreWriter, graph_documents, open_read_only, write_digests
from .validate import PackedValidation, Validation
from .validation_report import write_reports
from .validate_batch import Prepared, prepare, validate_articles, walk
from .vocab import DEFAULT_BASE, Minter

log = logging.getLogger(__name__)


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
    articles_mapped: int = 0  # article graphs mapped and validated (summed over the relinks of quarantine)
    articles_reused: int = 0  # articles whose graph and Validation were the previous release's (article_records)


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
    with publication.exclusive(out), publication.sweeping(out), long_lived_objects() as keep:
        return _build(inputs, out, options, keep)


def _build(inputs: Sequence[Path], out: Path, options: BuildOptions, keep: Callable[[], None]) -> BuildResult:
    """`build`, with `keep` called after each stage that makes what later stages read (see
    memory.long_lived_objects)."""
    started = time.perf_counter()
    timings = Timings()
    minter = Minter(options.base)
    release = publication.stage(out)
    try:
        with timings.stage("ingest"):
            ingested = ingest(inputs, max_bytes=options.max_bytes)
        with timings.stage("extract"):
            extracted = extract_corpus(ingested.articles, cache=out / "cache" / "extract", workers=options.workers,
                                       scheduler=options.scheduler, progress=options.progress, keep=keep)
        rejections = [*ingested.rejections, *extracted.failures]
        last = publication.current(out) if (out / publication.CURRENT).is_dir() else None
        kept = out / "cache" / "graphs"  # the large graphs' N-Triples, for the next build and the dumps
        writer = StoreWriter(release.store, StoredGraphs.of(last) if last else None, kept=kept)

        records = (last.article_records, article_records.fingerprint(minter.base)) if last else None
        stored = _store_validated(list(extracted.extractions), minter, release, writer, out / "cache",
                                  options.workers, options.progress, timings, _event_keys(last), _clustering(last),
                                  records, keep, extracted.digests or {})
        reused = extracted.reused
        del extracted  # nothing reads the extractions once they are mapped: not held while publishing
        store, validations = stored.store, stored.validations
        quarantined = {a: v.unpacked() for a, v in validations.items() if not v.conforms}
        with timings.stage("publish"), _reports_written(release, validations, minter, options.workers):
            previous = last.site if last else None
            summary = publish(store, release.site, minter.base, previous=previous, report=True,
                              workers=options.workers, graph_digests=writer.digests, pieces=out / "cache" / "dumps",
                              lines=writer.changes, sources=kept)
        graphs_written = writer.written
        del store, writer  # close the store before the release is served
        _write_build_report(release, rejections, validations, timings, graphs_written, stored)
        publication.promote(out, release)
    except BaseException:
        publication.discard(release)
        raise
    result = BuildResult(release, len(validations) - len(quarantined), rejections, quarantined, 0.0, reused,
                         timings=timings, pages=summary.rendered, pages_reused=summary.reused,
                         articles_mapped=stored.mapped, articles_reused=stored.reused)
    if options.store_url:
        with timings.stage("push"):
            result.pushed = push(graph_documents(open_read_only(out)), options.store_url, options.store_protocol,
                                 out / "cache")
    result.seconds = time.perf_counter() - started
    return result


VALIDATION = "SHACL validation (summed over processes)"  # the stage time summed in the mapping processes
CHUNK = 50  # articles a mapping process takes at a time (and validates in one batch), at most


def _clustering(release: publication.Publication | None) -> Clustering | None:
    """How `release`'s build grouped mentions; None for no release, one without, or one unreadable
    (linking then clusters every article)."""
    if release is None:
        return None
    try:
        return Clustering.from_json(json.loads(release.clustering.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as error:
        if release.clustering.exists():
            log.warning("clustering: cannot read %s (%s): clustering every article", release.clustering, error)
        return None


def _event_keys(release: publication.Publication | None) -> EventKeys | None:
    """The event keys `release` gave out; None for no release, or one built before releases kept them."""
    if release is None or not release.event_keys.is_file():
        return None
    return EventKeys.from_json(json.loads(release.event_keys.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class _Stored:
    """The store of a build's graphs, every article's Validation, and how many articles were
    mapped or taken from the records (summed over the relinks of a quarantine)."""

    store: pyoxigraph.Store
    validations: dict[str, PackedValidation]
    mapped: int
    reused: int


def _store_validated(extractions: list[ArticleExtraction], minter: Minter, release: publication.Publication,
                     writer: StoreWriter, cache: Path, processes: int, progress: Callable | None, timings: Timings,
                     previous: EventKeys | None, clustering: Clustering | None,
                     last_records: tuple[Path, str] | None, keep: Callable[[], None],
                     extraction_digests: Mapping[str, str]) -> _Stored:
    """Link, map, validate and store the corpus, quarantining every article whose graph has a violation.

    Article graphs are mapped, validated and written a few at a time (in `processes`
    processes when > 1), so a corpus's graphs are never all in memory. An article none of
    whose inputs changed since `records` (the last release's) was made is not mapped: its
    Validation comes from its record and its graph stays as the store has it. A quarantined
    article is left out and the rest linked again (what was merged with it across
    articles may change) into the emptied store; this repeats until all pass. Returns
    the store and the validation of every article (published or quarantined). Events keep
    the keys of `previous` (the last release's), and linking goes on from its `clustering`; the
    keys given out, the clustering, the digests of the graphs `writer` stored and the articles'
    records are written into the release.
    `last_records` is where the last release's records are and the fingerprint they must have
    (read once, while the resolved graph's digests are made).
    `extraction_digests` is the digest of each extraction as cached (parallel.Extracted.digests), and
    `keep` is called after each step that makes what later ones read (memory.long_lived_objects).
    """
    validations: dict[str, PackedValidation] = {}
    quarantined: set[str] = set()
    mapped = reused = 0
    records: Records | None = None
    while True:
        with timings.stage("link"), collector_paused():
            corpus, clustered = linked([x for x in extractions if x.article.id not in quarantined], previous,
                                       clustering, extraction_digests)
            keys = event_keys(corpus, previous)
            resolved_name, materialised, unpublished = _materialised_resolved(corpus, minter, keys.retired)
            context = _Context(corpus, mention_events(corpus), minter, prepare(materialised, materialised=True),
                               materialised, unpublished, cache / "validate")
        keep()
        failed = set()
        made: dict[str, ArticleRecord] = {}
        # each visited node's name kept once: every article's walk reaches the busiest entities,
        # and a copy of their names per article grew with the corpus
        nodes: dict[str, str] = {}
        with timings.stage("map, validate, store"):
            with collector_paused():
                digesting = _subject_digests(context, list(corpus.extractions), processes, last_records)
                if not quarantined and last_records is not None:  # the first pass
                    records = Records.read(*last_records)
                writer.add_sorted(resolved_name, _resolved_lines(context.resolved, context.unpublished))
                digests = digesting()
                as_extracted = {x.article.id: x for x in extractions}
                inputs = {a: mapping_inputs(x, _event_keys_of(a, x, context.event_of),
                                            extraction_digests.get(a) if x is as_extracted[a] else None)
                          for a, x in corpus.extractions.items()}
                unchanged = _unchanged(records, inputs, digests, writer, minter)
            keep()
            fresh = sorted(corpus.extractions.keys() - unchanged.keys())
            mapped, reused = mapped + len(fresh), reused + len(unchanged)
            graphs = _article_graphs(context, fresh, processes, timings)
            graphs = iter(progress(graphs, total=len(fresh), desc="validate", unit="article") if progress else graphs)
            for article_id in sorted(corpus.extractions):  # the order of a build that maps every article
                name = minter.article_graph(article_id)
                if (record := unchanged.get(article_id)) is not None:
                    made[article_id] = record
                    validations[article_id] = record.validation
                    writer.keep(name, record.graph)
                    continue
                article = next(graphs)
                validations[article_id] = article.validation
                if article.validation.conforms:
                    writer.add(name, article.ntriples)
                    made[article_id] = ArticleRecord(
                        inputs[article_id], digests.own(article_id),
                        tuple(sorted(nodes.setdefault(n, n) for n in article.visited
                                     if not digests.is_own(article_id, n))),
                        writer.digests[str(name)], article.validation)
                else:
                    failed.add(article_id)
            next(graphs, None)  # run the generator to its end, which ends its processes
            if not failed:
                writer.add(minter.ontology_graph(), ontology_graph().serialize(format="nt", encoding="utf-8"))
                release.event_keys.write_text(json.dumps(keys.to_json(), indent=1), encoding="utf-8")
                release.clustering.write_text(json.dumps(clustered.to_json(), separators=(",", ":")), encoding="utf-8")
                store = writer.close()
                write_digests(release, writer.digests)
                with collector_paused():  # a million short-lived dicts and lists, none in a cycle
                    article_records.write(release.article_records, article_records.fingerprint(minter.base), made,
                                          digests)
                return _Stored(store, validations, mapped, reused)
        quarantined |= failed
        writer.clear()


def _subject_digests(context: _Context, article_ids: list[str], processes: int,
                     last_records: tuple[Path, str] | None) -> Callable[[], SubjectDigests]:
    """The resolved graph's SubjectDigests, when called for. With several processes they are made
    in one of their own, forked now (it starts with the graph in memory), while this one goes on
    (reads the records, writes the resolved graph): at 10,000 articles they took 16.5 s, the
    longest step of an incremental build's mapping. Given the last records (`last_records`: where,
    and their fingerprint), that process makes the digests of the nodes they name, which they are
    compared by, not of every subject: any other asked for is made here, on demand. With one
    process, every digest is made here, on demand."""
    if processes <= 1:
        return lambda: SubjectDigests.of_articles(context.resolved, context.unpublished, context.minter, article_ids)
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"), initializer=_start,
                               initargs=(context,))
    future = pool.submit(_made_digests, article_ids, last_records)
    pool.shutdown(wait=False)  # the process ends with its task
    return lambda: SubjectDigests(context.resolved, context.unpublished, context.minter, future.result())


def _made_digests(article_ids: list[str], last_records: tuple[Path, str] | None
                  ) -> tuple[dict[str, str], dict[str, str | None]]:
    context = _context
    nodes = Records.nodes_of(*last_records) if last_records is not None else None
    return SubjectDigests.of_articles(context.resolved, context.unpublished, context.minter, article_ids).made(nodes)


def _event_keys_of(article_id: str, extraction: ArticleExtraction,
                   event_of: dict[tuple[str, int], Event]) -> list[str | None]:
    """The key of the event each of the article's event mentions was linked to (None: to none)."""
    return [event.key if (event := event_of.get((article_id, i))) is not None else None
            for i in range(len(extraction.events))]


def _unchanged(records: Records | None, inputs: Mapping[str, str], digests: SubjectDigests, writer: StoreWriter,
               minter: Minter) -> dict[str, ArticleRecord]:
    """The records of the articles that need not be mapped again: nothing they were made from
    changed, and the store holds their graphs as recorded (it does not once emptied by a relink)."""
    if records is None:
        return {}
    found = {}
    changed = records.changed_nodes(digests)
    for article_id, digest in inputs.items():
        record = records.reusable(article_id, digest, digests, changed)
        if record is not None and writer.holds(minter.article_graph(article_id), record.graph):
            found[article_id] = record
    return found


@dataclass(frozen=True)
class _Context:
    """What mapping and validating one article needs of the linked corpus."""

    corpus: Corpus
    event_of: dict[tuple[str, int], Event]
    minter: Minter
    resolved: Prepared  # the resolved graph indexed for validating articles with it
    materialised: frozenset  # its triples with their inferences
    unpublished: frozenset  # those of them the published resolved graph leaves out (`_unpublished`)
    validation_cache: Path


@dataclass(frozen=True)
class _Mapped:
    """One article mapped and validated: its Validation (packed here, in the mapping process), its
    published N-Triples (none when it does not conform) and the nodes its validation walk visited
    (validate_batch.walk)."""

    article_id: str
    validation: PackedValidation
    ntriples: bytes
    visited: tuple[str, ...]


_context: _Context | None = None  # the mapping process's, set when it starts


def _article_graphs(context: _Context, ids: list[str], processes: int, timings: Timings) -> Iterator[_Mapped]:
    """Each of these articles mapped and validated, in the order of `ids`.

    With several processes, they are forked once the corpus is linked, so each starts
    with the linked corpus in memory instead of receiving it. The time spent validating
    is added to `timings` (summed over the processes).
    """
    size = max(1, min(CHUNK, len(ids) // (4 * max(processes, 1))))  # several chunks a process: even loads
    chunks = [ids[i:i + size] for i in range(0, len(ids), size)]
    if processes <= 1 or len(chunks) <= 1:
        _start(context)
        yield from _collect(map(_map_and_validate, chunks), timings)
        return
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork"),
                             initializer=_start, initargs=(context,)) as pool:
        yield from _collect(pool.map(_map_and_validate, chunks), timings)


def _collect(chunks: Iterator[_Chunk], timings: Timings) -> Iterator[_Mapped]:
    for chunk in chunks:
        timings.add(VALIDATION, chunk.validation_seconds)
        yield from chunk.results


@dataclass(frozen=True)
class _Chunk:
    results: list[_Mapped]
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
    materialised = {a: g.triples | inferred[a] for a, g in graphs.items()}
    walks = {a: walk(triples, context.resolved) for a, triples in materialised.items()}
    validations = validate_articles(materialised, context.resolved, materialised=True,
                                    cache_dir=context.validation_cache, batch_size=len(article_ids), walks=walks)
    validation_seconds = time.perf_counter() - started
    results = []
    for article_id, graph in graphs.items():
        published = b""
        if validations[article_id].conforms:
            # what the resolved graph already states (an event's mentions) is not repeated here
            own = (inferred[article_id] - context.materialised) | (inferred[article_id] & context.unpublished)
            published = NamedGraph(graph.name, graph.triples | own).ntriples()
        results.append(_Mapped(article_id, PackedValidation.of(validations[article_id]), published,
                               tuple(str(node) for node in walks[article_id].visited)))
    return _Chunk(results, validation_seconds)


def _materialised_resolved(corpus: Corpus, minter: Minter, retired: Mapping[str, str | None]
                           ) -> tuple[URIRef, set, frozenset]:
    """The resolved graph's name, its triples with their inferences, and those of them its
    published graph leaves out (`_unpublished`). Neither the mapped triples nor their inferences
    are kept apart from their union: each is a set of millions of triples at 10,000 articles,
    which were held to the build's end, and the mapping processes forked with them."""
    resolved = map_resolved(corpus, minter, retired)
    inferred = entailed(resolved.triples)
    return resolved.name, resolved.triples | inferred, _unpublished(resolved, inferred, minter)


def _unpublished(resolved: NamedGraph, inferred: set, minter: Minter) -> frozenset:
    """The inferences the published resolved graph leaves out, of the superclass, superproperty and
    inverse triples SPARQL users rely on: those about mentions (an event's `ng:hasMention` entails
    `ng:refersTo` from each mention, which the mention's article graph states already, and a triple
    stated in two graphs is a duplicate row in every query over their union). Kept as what is left
    out rather than as the published graph: copying the 3.3M triples of a 10,000-article graph
    into another set took 3.0 s."""
    return frozenset(t for t in inferred if t[0].startswith(minter.mention_prefix) and t not in resolved.triples)


def _resolved_lines(prepared: Prepared, unpublished: frozenset) -> Callable[[], Iterator[bytes]]:
    """The published resolved graph's N-Triples lines in sorted order, made from the lines
    validation writes of the graph it indexes (`prepared`: the published triples and the
    inferences about mentions) as they are read: written once in this process, for this and the
    articles' validation (and the records' digests, unless another process makes them); writing
    the 3.3M triples of a 10,000-article graph again took 24 s under the profiler. What is
    sorted is validation's own lines (tuples of the terms' text, shared with it), not a copy
    (the lines made with a copy of each as bytes added 2.3 GB to the build at 10,000 articles):
    terms as N-Triples writes them sort as the lines they make (none is a prefix of another
    followed by a character below the space that follows it in a line), and the store writer
    checks the order as it reads them. Only the subjects of `unpublished` triples are filtered:
    looking up every triple (hashing its literals in Python) took a quarter of the time."""
    filtered = {triple[0] for triple in unpublished}
    published: list = []
    for subject, triples in prepared.resolved.items():
        if subject in filtered:
            published += [line for triple, line in zip(triples, prepared.lines_of(subject))
                          if triple not in unpublished]
        else:
            published += prepared.lines_of(subject)
    published.sort()
    return lambda: (f"{s} {p} {o} .\n".encode() for s, p, o in published)


def _write_build_report(release: publication.Publication, rejections, validations: dict[str, PackedValidation],
                        timings: Timings, graphs_written: int, stored: _Stored) -> None:
    """What was rejected and quarantined, how many graphs were written into the store (the rest
    were the previous release's as they are), how many articles were mapped and how many taken
    from the previous release's records, and how long each stage took (the pushing excepted)."""
    report = {
        "rejected": [{"path": r.path, "problem": r.problem} for r in rejections],
        "quarantined": sorted(a for a, v in validations.items() if not v.conforms),
        "graphs_written": graphs_written,
        "articles_mapped": stored.mapped,
        "articles_reused": stored.reused,
        "seconds": timings.seconds,
    }
    (release.report / "build.json").write_text(json.dumps(report, indent=2), encoding="utf-8")


@contextmanager
def _reports_written(release: publication.Publication, validations: Mapping[str, PackedValidation],
                     minter: Minter, processes: int) -> Iterator[None]:
    """Write the validation reports (`_write_reports`) while the block runs: with several processes,
    in one of their own, forked as it starts, which its end waits for (raising what that process
    raised, unless the block raised: then the release is discarded once nothing writes into it).
    Unpacking every article's validation to report it took 5.4 s of CPU at 10,000 articles (a
    probe), and the reports 4 s in the profile of a build that added one article, before any page
    was drawn; this process keeps the validations packed."""
    if processes <= 1:
        _write_reports(release, validations, minter)
        yield
        return
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        written = pool.submit(_write_reports, release, validations, minter)
        yield
        written.result()


def _write_reports(release: publication.Publication, packed: Mapping[str, PackedValidation], minter: Minter) -> None:
    """The SHACL report as text and as Turtle, also in the site as report.txt and report.ttl, and
    as the site's HTML page report.html (validation_report.write_reports: one pass, each
    validation unpacked once and let go)."""
    graphs = {article_id: str(minter.article_graph(article_id)) for article_id in packed}
    write_reports(packed, graphs, release.report / "validation.txt", release.report / "validation.ttl",
                  release.site / "report.html")
    shutil.copyfile(release.report / "validation.txt", release.site / "report.txt")
    shutil.copyfile(release.report / "validation.ttl", release.site / "report.ttl")

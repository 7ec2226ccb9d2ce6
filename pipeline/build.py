"""Build: every stage of the data flow, from input files to a published release.

ingest -> extract -> link -> map -> validate -> store -> publish, written into a fresh
release folder that replaces the current publication only when it is complete.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef

from . import publication
from .ingest import MAX_BYTES, ingest
from .link import link
from .map import MappedCorpus, map_corpus
from .model import ArticleExtraction, Rejection
from .parallel import extract_corpus
from .publish import publish
from .remote import PushSummary, push
from .store import write_store
from .reason import materialise, ontology_graph
from .validate import Validation, format_report, merged_report_graph, render_validation_html
from .validate_batch import validate_articles
from .vocab import DEFAULT_BASE, Minter

@dataclass
class BuildResult:
    publication: publication.Publication
    articles: int
    rejections: list[Rejection] = field(default_factory=list)
    quarantined: dict[str, Validation] = field(default_factory=dict)  # by article id
    seconds: float = 0.0
    reused: int = 0  # extractions taken from the cache of an earlier build
    pushed: PushSummary | None = None  # what was written to the external store


@dataclass(frozen=True)
class BuildOptions:
    base: str = DEFAULT_BASE
    max_bytes: int = MAX_BYTES
    workers: int = 0  # > 0: extract on a local Dask cluster of that many processes
    scheduler: str | None = None  # a Dask scheduler address: extract on that cluster
    progress: Callable | None = None  # wraps an iterable to show progress (tqdm in the CLI)
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
    minter = Minter(options.base)
    release = publication.stage(out)
    try:
        ingested = ingest(inputs, max_bytes=options.max_bytes)
        extracted = extract_corpus(ingested.articles, cache=out / "cache" / "extract", workers=options.workers,
                                   scheduler=options.scheduler, progress=options.progress)
        rejections = [*ingested.rejections, *extracted.failures]
        mapped, validations = _validated_graphs(list(extracted.extractions), minter, out / "cache" / "validate")
        quarantined = {a: v for a, v in validations.items() if not v.conforms}
        graphs = [(minter.ontology_graph(), ontology_graph())]
        graphs += [_with_inferences(mapped.article_graphs[a]) for a in sorted(mapped.article_graphs)]
        graphs.append(_with_inferences(mapped.resolved))
        store = write_store(release.store, graphs)
        _write_reports(release, rejections, validations)
        publish(store, release.site, minter.base, report_html=render_validation_html(validations))
        del store  # close it before the release is served
        publication.promote(out, release)
    except BaseException:
        publication.discard(release)
        raise
    result = BuildResult(release, len(mapped.article_graphs), rejections, quarantined, 0.0, extracted.reused)
    if options.store_url:
        result.pushed = push(graphs, options.store_url, options.store_protocol, out / "cache")
    result.seconds = time.perf_counter() - started
    return result


def _validated_graphs(extractions: list[ArticleExtraction], minter: Minter, cache: Path
                      ) -> tuple[MappedCorpus, dict[str, Validation]]:
    """Link and map, quarantining every article whose graph has a violation.

    A quarantined article is left out and the rest linked again, since what was
    merged with it across articles may change; this repeats until all pass. Returns
    the mapped corpus and the validation of every article (published or quarantined).
    """
    validations: dict[str, Validation] = {}
    quarantined: set[str] = set()
    while True:
        kept = [x for x in extractions if x.article.id not in quarantined]
        mapped = map_corpus(link(kept), minter)
        articles = {article_id: graph for article_id, (_, graph) in mapped.article_graphs.items()}
        validations.update(validate_articles(articles, mapped.resolved[1], cache_dir=cache))
        failed = {article_id for article_id in articles if not validations[article_id].conforms}
        if not failed:
            return mapped, validations
        quarantined |= failed


def _with_inferences(named: tuple[URIRef, Graph]) -> tuple[URIRef, Graph]:
    """The graph with the superclass, superproperty and inverse triples SPARQL users rely on."""
    name, graph = named
    return name, graph + materialise(graph)


def _write_reports(release: publication.Publication, rejections, validations: dict[str, Validation]) -> None:
    """The build report, and the SHACL report as text and as Turtle (also in the site, beside
    the HTML report that publish writes as report.html)."""
    quarantined = sorted(a for a, v in validations.items() if not v.conforms)
    report = {
        "rejected": [{"path": r.path, "problem": r.problem} for r in rejections],
        "quarantined": quarantined,
    }
    (release.report / "build.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    (release.report / "validation.txt").write_text(format_report(validations), encoding="utf-8")
    shacl_report = merged_report_graph(validations)
    shacl_report.serialize(release.report / "validation.ttl", format="turtle")
    shacl_report.serialize(release.site / "report.ttl", format="turtle")

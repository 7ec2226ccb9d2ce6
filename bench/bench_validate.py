"""How much the gate and the materialisation cost per article graph.

First, on a generated corpus (bench/generate_corpus.py, built once into a folder under
/tmp and reused), milliseconds per article graph for the per-article path
(validate_graph of each article's validation graph, one pyshacl run each) and for the
batch path (validate_articles: core constraints as Oxigraph queries) on the same graphs,
in the same run; then the batch path on the whole corpus, and again with a warm cache
(an unchanged rebuild). These are written as records (bench/results.py), the per-article
path as the batch path's peer.

Then article graphs of growing size made from the valid sample of the shape tests by
repeating its text and shifting its mentions (each copy gets its own events), so every
graph conforms and every shape does its full work: milliseconds per graph for
`materialise` and `validate_graph` (median of several runs).

    .venv/bin/python bench/bench_validate.py [--articles 100] [--old 10] [--no-sizes] [--results DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from results import Record, results_option, save  # noqa: E402

from pipeline.reason import materialise  # noqa: E402
from pipeline.validate import article_validation_graph, read_publication, validate_graph  # noqa: E402
from pipeline.validate_batch import validate_articles  # noqa: E402
from pipeline.vocab import NG  # noqa: E402

SAMPLE = ROOT / "tests" / "broken_graphs" / "valid.ttl"
OFFSETS = (NG.beginIndex, NG.endIndex, NG.sentenceBeginIndex, NG.sentenceEndIndex)


def scaled(sample: Graph, copies: int) -> Graph:
    """The sample's article with its text repeated `copies` times, and its mentions and events with it."""
    article = next(sample.subjects(NG.text, None))
    text = str(sample.value(article, NG.text))
    stride = len(text) + 1
    graph = Graph()
    for copy in range(copies):
        shift = copy * stride

        def rename(term):
            value = str(term)
            if "/id/mention/" in value:
                head, span = value.rsplit("/", 1)
                begin, end = (int(n) + shift for n in span.split("-"))
                return URIRef(f"{head}/{begin}-{end}")
            if "/id/event/" in value:
                head, _, rest = value.partition("/id/event/")
                key, _, tail = rest.partition("/")
                return URIRef(f"{head}/id/event/{key}-{copy}" + (f"/{tail}" if tail else ""))
            return term

        for s, p, o in sample:
            if p in (NG.text, NG.checksum):
                continue
            if p in OFFSETS:
                o = Literal(int(o) + shift, datatype=XSD.nonNegativeInteger)
            graph.add((rename(s), p, rename(o)))
    long_text = "\n".join([text] * copies)
    graph.add((article, NG.text, Literal(long_text)))
    graph.add((article, NG.checksum, Literal("sha256:" + hashlib.sha256(long_text.encode()).hexdigest())))
    return graph


def median_ms(function, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def built_corpus(articles: int) -> Path:
    """A publication of `articles` generated articles, built once and kept under /tmp."""
    out = Path(tempfile.gettempdir()) / f"newsgraph-bench-validate-{articles}"
    if not (out / "current").exists():
        corpus = out.with_name(out.name + "-corpus")
        subprocess.run([sys.executable, str(ROOT / "bench" / "generate_corpus.py"), str(articles), str(corpus)],
                       check=True)
        newsgraph = Path(sys.executable).with_name("newsgraph")
        done = subprocess.run([str(newsgraph), "build", str(corpus), "--out", str(out)])
        assert done.returncode in (0, 2), "the build failed"
    return out


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def corpus(articles: int, old: int) -> list[Record]:
    """The per-article and the batch path on the same published (materialised) graphs."""
    publication = read_publication(built_corpus(articles))
    graphs, resolved = publication.articles, publication.resolved
    some = dict(list(sorted(graphs.items()))[:old])
    validate_articles(dict(list(some.items())[:1]), resolved, materialised=True)  # shapes loaded, caches warm
    per_article = timed(lambda: [validate_graph(article_validation_graph(g, resolved), materialised=True)
                                 for g in some.values()])
    batch_some = timed(lambda: validate_articles(some, resolved, materialised=True))
    batch_all = timed(lambda: validate_articles(graphs, resolved, materialised=True))
    with tempfile.TemporaryDirectory() as cache:
        validate_articles(graphs, resolved, materialised=True, cache_dir=Path(cache))
        cached = timed(lambda: validate_articles(graphs, resolved, materialised=True, cache_dir=Path(cache)))
    load = os.getloadavg()[0]
    print(f"generated corpus of {len(graphs)} articles, load average {load:.1f} on {os.cpu_count()} cores")
    print(f"  per-article path, first {len(some)} graphs:  {per_article / len(some) * 1000:8.1f} ms/article")
    print(f"  batch path, the same {len(some)} graphs:     {batch_some / len(some) * 1000:8.1f} ms/article")
    print(f"  batch path, all {len(graphs)} graphs:        {batch_all / len(graphs) * 1000:8.1f} ms/article")
    print(f"  batch path, all, unchanged (cache):  {cached / len(graphs) * 1000:8.1f} ms/article")
    per_article_ms = per_article / len(some) * 1000
    peer = f"per-article path (pyshacl), first {len(some)} graphs"
    return [Record(f"SHACL gate, batch path, {len(some)} graphs", batch_some / len(some) * 1000, "ms/article",
                   peer, per_article_ms),
            Record(f"SHACL gate, batch path, all {len(graphs)} graphs", batch_all / len(graphs) * 1000,
                   "ms/article", peer, per_article_ms),
            Record(f"SHACL gate, batch path, all {len(graphs)} graphs unchanged (cache)",
                   cached / len(graphs) * 1000, "ms/article")]


def sizes() -> None:
    sample = Graph().parse(SAMPLE, format="turtle")
    validate_graph(sample)  # load and cache the shapes and the ontology first
    print(f"{'mentions':>8} {'triples':>8} {'materialise ms':>15} {'validate ms':>12}")
    for copies in (1, 5, 20, 50):
        graph = scaled(sample, copies)
        mentions = len(set(graph.subjects(NG.anchorOf, None)))
        validation = validate_graph(graph)
        assert validation.conforms, validation.text
        materialise_ms = median_ms(lambda: materialise(graph), 5)
        validate_ms = median_ms(lambda: validate_graph(graph), 5)
        print(f"{mentions:>8} {len(graph):>8} {materialise_ms:>15.1f} {validate_ms:>12.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100, help="articles in the generated corpus")
    parser.add_argument("--old", type=int, default=10, help="graphs validated by both paths")
    parser.add_argument("--no-sizes", action="store_true", help="skip the table by graph size")
    results_option(parser)
    options = parser.parse_args()
    save(corpus(options.articles, options.old), options.results)
    if not options.no_sizes:
        sizes()


if __name__ == "__main__":
    main()

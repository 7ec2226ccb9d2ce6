"""How much the gate and the materialisation cost per article graph.

Article graphs of growing size are made from the valid sample of the shape tests by
repeating its text and shifting its mentions (each copy gets its own events), so every
graph conforms and every shape does its full work. Prints milliseconds per graph for
`materialise` and `validate_graph` (median of several runs), and, for comparison, one
run of pyshacl on an rdflib-backed graph, which re-parses each SPARQL constraint per
focus node.

    .venv/bin/python bench/bench_validate.py
"""

from __future__ import annotations

import hashlib
import statistics
import sys
import time
from pathlib import Path

import pyshacl
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.reason import materialise  # noqa: E402
from pipeline.validate import shapes_graph, validate_graph  # noqa: E402
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


def main() -> None:
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
    data = sample + materialise(sample)
    rdflib_ms = median_ms(lambda: pyshacl.validate(data, shacl_graph=shapes_graph(), inference="none"), 1)
    print(f"for comparison, pyshacl on an rdflib graph of the 6-mention sample: {rdflib_ms:.0f} ms")


if __name__ == "__main__":
    main()

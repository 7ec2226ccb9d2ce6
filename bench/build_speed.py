"""Build throughput against spaCy's own parsing of the same texts, and peak memory.

Generates N synthetic articles (bench/generate_corpus.py), then times, on the same
texts and with the same number of processes:
- spaCy alone: `nlp.pipe(texts, n_process=P)` with the pipeline newsgraph uses;
- newsgraph: `newsgraph build --workers P` into a fresh folder (no cache), the whole
  pipeline from files to a published release.
The ratio is the overhead of everything newsgraph adds to parsing.

    python bench/build_speed.py [--articles 1000] [--processes 2]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from generate_corpus import generate
from results import Record, results_option, save

NEWSGRAPH = str(Path(sys.executable).with_name("newsgraph"))


def spacy_throughput(texts: list[str], processes: int) -> float:
    """Seconds spaCy takes to parse the texts, pipeline loading excluded."""
    from pipeline.extract import load_nlp

    nlp = load_nlp()
    started = time.perf_counter()
    for _ in nlp.pipe(texts, n_process=processes, batch_size=32):
        pass
    return time.perf_counter() - started


def build_seconds(corpus: Path, out: Path, processes: int) -> float:
    started = time.perf_counter()
    args = [NEWSGRAPH, "build", str(corpus), "--out", str(out)]
    if processes > 1:
        args += ["--workers", str(processes)]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=2)
    results_option(parser)
    arguments = parser.parse_args()
    n, processes = arguments.articles, arguments.processes
    with tempfile.TemporaryDirectory(prefix="newsgraph-bench-") as folder:
        corpus = generate(n, Path(folder) / "corpus")
        texts = [p.read_text(encoding="utf-8") for p in sorted(corpus.glob("*.txt"))]
        words = sum(len(t.split()) for t in texts)
        parse = spacy_throughput(texts, processes)
        build = build_seconds(corpus, Path(folder) / "out", processes)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    save([
        Record(f"build articles/s ({n} articles, {processes} processes)", n / build, "articles/s",
               "spaCy nlp.pipe", n / parse),
        Record(f"build words/s ({n} articles, {processes} processes)", words / build, "words/s",
               "spaCy nlp.pipe", words / parse),
        Record(f"build peak memory of one process ({n} articles)", peak, "MiB"),
    ], arguments.results)


if __name__ == "__main__":
    main()

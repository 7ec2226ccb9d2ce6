"""Build throughput against spaCy's own parsing of the same texts; one article added; memory.

Generates N + 1 synthetic articles (bench/generate_corpus.py), then, on the same texts
and with the same number of processes:
- newsgraph: `newsgraph build --workers P` of the first N into a fresh folder (no cache),
  the whole pipeline from files to a published release, with the stage times the build
  reports (report/build.json), SHACL validation among them;
- one article added: the last article copied in and the same folder built again, the
  incremental build a maintainer runs (issue 7's target: under 5% of the full build);
- spaCy alone: `nlp.pipe(texts, n_process=P)` with the pipeline newsgraph uses, last,
  so that its processes do not count in the build's peak memory.
The ratio of the first two figures is the overhead of everything newsgraph adds to parsing.

`--again KEPT --made-by RESULTS`: no generation and no full build; the last article is taken
out of a folder an earlier run kept (`--keep`) and its publication built back to N (not
timed), then the article is added again and that build timed, with this code; printed and
recorded beside the full build and the one-article build of the run that kept the folder,
read from that run's results file (RESULTS). This is how a change to incremental builds is
measured at 10,000 articles without an hour's full build.

    python bench/build_speed.py [--articles 1000] [--processes 2] [--keep FOLDER]
    python bench/build_speed.py --again FOLDER --made-by RESULTS.json [--processes 2]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from generate_corpus import generate
from results import Record, results_option, save

from pipeline.build import VALIDATION  # the stage the build reports SHACL time under

NEWSGRAPH = str(Path(sys.executable).with_name("newsgraph"))


@dataclass(frozen=True)
class Build:
    seconds: float
    stages: dict[str, float]  # as the build reports them
    graphs_written: int  # into the store; the rest were the previous release's as they are
    articles_mapped: int  # mapped and validated; the rest were taken from the previous release's records


def spacy_seconds(texts: list[str], processes: int) -> float:
    """Seconds spaCy takes to parse the texts, pipeline loading excluded."""
    from pipeline.extract import load_nlp

    nlp = load_nlp()
    started = time.perf_counter()
    for _ in nlp.pipe(texts, n_process=processes, batch_size=32):
        pass
    return time.perf_counter() - started


def run_build(corpus: Path, out: Path, processes: int) -> Build:
    started = time.perf_counter()
    args = [NEWSGRAPH, "build", str(corpus), "--out", str(out)]
    if processes > 1:
        args += ["--workers", str(processes)]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    report = json.loads((out / "current" / "report" / "build.json").read_text())
    return Build(seconds, report["seconds"], report["graphs_written"], report["articles_mapped"])


def add_article(source: Path, corpus: Path, name: str) -> None:
    """Copy one generated article (and its metadata entry) into the corpus folder."""
    shutil.copy(source / name, corpus / name)
    metadata = json.loads((corpus / "metadata.json").read_text())
    metadata[name] = json.loads((source / "metadata.json").read_text())[name]
    (corpus / "metadata.json").write_text(json.dumps(metadata, indent=1))


def remove_article(corpus: Path, name: str) -> None:
    """Take one article (and its metadata entry) out of the corpus folder."""
    (corpus / name).unlink()
    metadata = json.loads((corpus / "metadata.json").read_text())
    del metadata[name]
    (corpus / "metadata.json").write_text(json.dumps(metadata, indent=1))


def add_one_added_again(kept: Path, made_by: Path, processes: int) -> list[Record]:
    """The article added again to the publication an earlier run kept, beside that run's figures."""
    generated, corpus, out = kept / "generated", kept / "corpus", kept / "out"
    names = sorted(p.name for p in generated.glob("*.txt"))
    last, n = names[-1], len(names) - 1
    earlier = {r["name"]: r for r in json.loads(made_by.read_text())["records"]}[
        f"add one article to {n} ({processes} processes)"]
    remove_article(corpus, last)
    run_build(corpus, out, processes)
    add_article(generated, corpus, last)
    again = run_build(corpus, out, processes)
    print(f"one added again: {again.seconds:.1f} s ({again.graphs_written} graphs written, "
          f"{again.articles_mapped} articles mapped): " + ", ".join(f"{k} {v:.1f} s" for k, v in again.stages.items()))
    label = f"add one article to {n} again, kept publication ({processes} processes)"
    return [Record(label, again.seconds, "s", f"full build of {n} (the run that kept it)", earlier["peer_value"]),
            Record(f"{label}, against the same build by the code of the run that kept it", again.seconds, "s",
                   "one article added by the run that kept it",
                   earlier["value"])] + [
        Record(f"{label}, stage: {stage}", seconds, "s") for stage, seconds in again.stages.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="work in this (new) folder and keep it: corpus, publication")
    parser.add_argument("--again", type=Path, metavar="KEPT", help="add the last article again to this kept folder")
    parser.add_argument("--made-by", type=Path, metavar="RESULTS", help="with --again: the results file of the "
                        "run that kept the folder")
    results_option(parser)
    arguments = parser.parse_args()
    n, processes = arguments.articles, arguments.processes
    if arguments.again:
        if not arguments.made_by:
            parser.error("--again needs --made-by")
        save(add_one_added_again(arguments.again, arguments.made_by, processes), arguments.results)
        return
    if arguments.keep:
        arguments.keep.mkdir(parents=True)
    with (nullcontext(str(arguments.keep)) if arguments.keep else
          tempfile.TemporaryDirectory(prefix="newsgraph-bench-")) as folder:
        generated = generate(n + 1, Path(folder) / "generated")
        names = sorted(p.name for p in generated.glob("*.txt"))
        corpus = Path(folder) / "corpus"
        shutil.copytree(generated, corpus)
        (corpus / names[-1]).unlink()
        texts = [(corpus / name).read_text(encoding="utf-8") for name in names[:-1]]
        words = sum(len(t.split()) for t in texts)
        full = run_build(corpus, Path(folder) / "out", processes)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the build's largest process
        add_article(generated, corpus, names[-1])
        incremental = run_build(corpus, Path(folder) / "out", processes)
        parse = spacy_seconds(texts, processes)
    for label, build in (("full", full), ("one added", incremental)):
        print(f"{label} build {build.seconds:.1f} s ({build.graphs_written} graphs written, "
              f"{build.articles_mapped} articles mapped): "
              + ", ".join(f"{k} {v:.1f} s" for k, v in build.stages.items()))
    validation = full.stages.get(VALIDATION, 0.0)
    save([
        Record(f"build articles/s ({n} articles, {processes} processes)", n / full.seconds, "articles/s",
               "spaCy nlp.pipe", n / parse),
        Record(f"build words/s ({n} articles, {processes} processes)", words / full.seconds, "words/s",
               "spaCy nlp.pipe", words / parse),
        Record(f"build peak memory of one process ({n} articles)", peak, "MiB"),
        Record(f"add one article to {n} ({processes} processes)", incremental.seconds, "s",
               f"full build of {n}", full.seconds),
        Record(f"SHACL validation per article graph ({n} articles)", 1000 * validation / n, "ms"),
        Record(f"SHACL validation share of the build's process time ({n} articles, {processes} processes)",
               validation / (full.seconds * max(processes, 1)), "fraction"),
        Record(f"graphs written into the store when adding one article to {n}", incremental.graphs_written,
               "graphs", f"graphs written by the full build of {n}", full.graphs_written),
        Record(f"articles mapped and validated when adding one article to {n}", incremental.articles_mapped,
               "articles", f"articles mapped by the full build of {n}", full.articles_mapped),
    ] + [Record(f"build stage: {stage} ({n} articles, {processes} processes)", seconds, "s")
         for stage, seconds in full.stages.items()]
      + [Record(f"add one article, stage: {stage} ({n} articles, {processes} processes)", seconds, "s")
         for stage, seconds in incremental.stages.items()], arguments.results)


if __name__ == "__main__":
    main()

"""The publish stage of an incremental build (one article added, then removed), against another checkout.

Generates N + 1 articles (bench/generate_corpus.py). For this code and for `--baseline DIR`
(a checkout of other code, e.g. `git archive main`), `newsgraph build --workers P` of the
first N into a folder of its own (the extraction cache of the first build copied to the
others: the extractor is the same, so only the first extracts). Then, round by round and
code by code (interleaved, so both see the same load): add the last article and build
again, remove it and build again. Prints, for each of these incremental builds, its wall seconds and
each stage's (report/build.json), this code's beside the baseline's of the same round; records
the medians of the whole build and of the publish stage.
Wall seconds on a shared machine are noisy: for CPU seconds per function, run one of these
builds under `py-spy record --subprocesses` (bench/README.md).

    python bench/add_one_publish.py --baseline DIR [--articles 200] [--workers 2] [--rounds 1] [--keep DIR]
                                    [--extract-cache DIR]

`--extract-cache DIR` (an OUT/cache/extract of the same generated articles) spares the first
build its extraction too.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path
from statistics import median

from build_speed import add_article, remove_article
from generate_corpus import generate
from results import Record, results_option, save

ROOT = Path(__file__).resolve().parent.parent
NEWSGRAPH = str(Path(sys.executable).with_name("newsgraph"))


def build(code: Path, corpus: Path, out: Path, workers: int) -> tuple[float, dict[str, float]]:
    """`newsgraph build` of `corpus` into `out` by `code`'s pipeline package (first on PYTHONPATH):
    its wall seconds and the seconds of each stage (report/build.json)."""
    started = time.perf_counter()
    subprocess.run([NEWSGRAPH, "build", str(corpus), "--out", str(out), "--workers", str(workers)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(code)})
    return time.perf_counter() - started, json.loads((out / "current" / "report" / "build.json").read_text())["seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, required=True, help="a checkout of the code to compare with")
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1, help="times to add and remove the article")
    parser.add_argument("--keep", type=Path, help="work in this (new) folder and keep it")
    parser.add_argument("--extract-cache", type=Path, help="an extraction cache to start every build folder with")
    results_option(parser)
    arguments = parser.parse_args()
    n, codes = arguments.articles, {"this code": ROOT, "baseline": arguments.baseline.resolve()}
    if arguments.keep:
        arguments.keep.mkdir(parents=True)
    with (nullcontext(str(arguments.keep)) if arguments.keep else
          tempfile.TemporaryDirectory(prefix="newsgraph-add-one-")) as folder:
        generated = generate(n + 1, Path(folder) / "generated")
        last = sorted(p.name for p in generated.glob("*.txt"))[-1]
        corpora = {}
        for label, code in codes.items():
            corpus = corpora[label] = Path(folder) / label.replace(" ", "-") / "corpus"
            shutil.copytree(generated, corpus)
            remove_article(corpus, last)
            out = corpus.with_name("out")
            cache = arguments.extract_cache or (corpora["this code"].with_name("out") / "cache" / "extract"
                                                if label != "this code" else None)
            if cache is not None:
                shutil.copytree(cache, out / "cache" / "extract")
            build(code, corpus, out, arguments.workers)
        runs: dict[tuple[str, str, str], list[float]] = {}
        for _ in range(arguments.rounds):
            for change in ("added", "removed"):
                for label, code in codes.items():
                    corpus = corpora[label]
                    if change == "added":
                        add_article(generated, corpus, last)
                    else:
                        remove_article(corpus, last)
                    seconds, stages = build(code, corpus, corpus.with_name("out"), arguments.workers)
                    for part, value in (("whole build", seconds), ("publish stage", stages["publish"])):
                        runs.setdefault((part, change, label), []).append(value)
                    print(f"one article {change}, {label}: whole build {seconds:.1f} s; "
                          + ", ".join(f"{k} {v:.1f} s" for k, v in stages.items()), flush=True)
    save([Record(f"{part}, one article {change} ({n} + 1 articles, {arguments.workers} workers, median of "
                 f"{arguments.rounds})", median(runs[(part, change, "this code")]), "s",
                 f"baseline {arguments.baseline.name}", median(runs[(part, change, "baseline")]))
          for part in ("whole build", "publish stage") for change in ("added", "removed")], arguments.results)


if __name__ == "__main__":
    main()

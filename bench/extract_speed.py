"""How fast extraction reads the seeds, against spaCy's own parsing of the same texts.

Prints articles per second for `extract_many` (parse + everything we read out of the
parse) and the ratio of its time to `nlp.pipe` alone on the same prose, best of N
runs each, after one warm-up (the model and dictionaries load once per process), and
records articles/s with spaCy's as the peer.
Run: .venv/bin/python bench/extract_speed.py [--repeat 5] [--copies 4] [--results DIR]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from results import Record, results_option, save

from pipeline.extract import extract_many, load_nlp
from pipeline.extract_lexicon import load_lexicon
from pipeline.ingest import ingest

ROOT = Path(__file__).resolve().parent.parent


def best_of(repeat: int, run) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--copies", type=int, default=4, help="repeat the seeds to get a longer run")
    results_option(parser)
    args = parser.parse_args()
    articles = list(ingest([ROOT / "seeds"]).articles) * args.copies
    nlp = load_nlp()
    load_lexicon()
    extract_many(articles[:1], nlp)  # warm-up
    texts = [a.prose for a in articles]
    parse = best_of(args.repeat, lambda: list(nlp.pipe(texts)))
    full = best_of(args.repeat, lambda: extract_many(articles, nlp))
    chars = sum(len(t) for t in texts)
    print(f"articles: {len(articles)} ({chars} characters of prose), best of {args.repeat} runs")
    print(f"spaCy nlp.pipe alone: {parse:.3f} s  ({len(articles) / parse:.1f} articles/s)")
    print(f"extract_many:         {full:.3f} s  ({len(articles) / full:.1f} articles/s)")
    print(f"ratio extraction / spaCy parsing: {full / parse:.2f}")
    save([Record(f"extract articles/s (seeds x{args.copies}, one process)", len(articles) / full, "articles/s",
                 "spaCy nlp.pipe", len(articles) / parse)], args.results)


if __name__ == "__main__":
    main()

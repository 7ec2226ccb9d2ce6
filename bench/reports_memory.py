"""The validation reports of a large build: peak memory and time of writing them.

A build writes its reports (validation.txt, validation.ttl, and the site's report.txt,
report.ttl and report.html) in a process of their own beside publishing, from every article's
packed validation (`pipeline.build._write_reports`). This bench reads the packed validations
from the article records of the publication in OUT (`articles.sqlite`: the conforming
articles', which are all it records) and writes the reports into a scratch release beside
OUT, in a fresh process for each code, alternating, so that the peak RSS is the reports' own:
what the process held once the validations were read, its peak while writing, wall and CPU
seconds. With --baseline DIR (other code, e.g. a `git archive` of main) each figure has that
code's as its peer, and the bench fails unless both wrote the same bytes.

    python bench/reports_memory.py OUT [--baseline DIR] [--rounds 2] [--results DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from peak import status_mib
from results import Record, results_option, save

ROOT = Path(__file__).resolve().parent.parent
WRITTEN = ("report/validation.txt", "report/validation.ttl", "site/report.txt", "site/report.ttl",
           "site/report.html")


def measure(records: Path, scratch: Path) -> dict:
    """Write the reports of the packed validations in `records` into a release at `scratch`
    with this interpreter's `pipeline`: the figures and the written files' digests."""
    from pipeline import build, publication
    from pipeline.validate import PackedValidation
    from pipeline.vocab import Minter

    with sqlite3.connect(f"file:{records}?mode=ro", uri=True) as db:
        packed = {article_id: PackedValidation(True, blob)
                  for article_id, blob in db.execute("SELECT id, validation FROM article")}
    release = publication.Publication(scratch)
    release.report.mkdir(parents=True)
    release.site.mkdir()
    held = status_mib("VmRSS")
    cpu, wall = time.process_time(), time.perf_counter()
    build._write_reports(release, packed, Minter())
    return {"articles": len(packed), "held": held, "peak": status_mib("VmHWM"),
            "seconds": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
            "digests": {name: hashlib.sha256((scratch / name).read_bytes()).hexdigest() for name in WRITTEN}}


def run(code: Path, records: Path, beside: Path) -> dict:
    """`measure` in a fresh process running `code`."""
    with tempfile.TemporaryDirectory(prefix=".reports-bench-", dir=beside) as scratch:
        done = subprocess.run([sys.executable, __file__, "--measure", str(records), str(Path(scratch) / "release")],
                              env={**os.environ, "PYTHONPATH": str(code)}, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.splitlines()[-1])


def main() -> None:
    if sys.argv[1:2] == ["--measure"]:
        print(json.dumps(measure(Path(sys.argv[2]), Path(sys.argv[3]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="a publication folder (its current release's records are read)")
    parser.add_argument("--baseline", type=Path, help="other code to measure too, as the peer")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each code, alternating (medians kept)")
    results_option(parser)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))  # here, not at import: a measuring process runs its own code's pipeline
    from pipeline import publication

    records = publication.current(args.out).article_records
    codes = {"mine": ROOT, **({"peer": args.baseline} if args.baseline else {})}
    runs: dict[str, list[dict]] = {name: [] for name in codes}
    for round_ in range(args.rounds):
        for name, code in (reversed(codes.items()) if round_ % 2 else codes.items()):
            figures = run(code, records, args.out)
            runs[name].append(figures)
            print(f"round {round_ + 1}, {name} ({code}): " + ", ".join(
                f"{key} {value:,.1f}" for key, value in figures.items() if isinstance(value, float)), flush=True)
    if args.baseline:
        differ = [n for n in WRITTEN if {r["digests"][n] for rs in runs.values() for r in rs} != {runs["mine"][0]["digests"][n]}]
        if differ:
            raise SystemExit(f"the two codes wrote different reports: {', '.join(differ)}")
    articles = runs["mine"][0]["articles"]

    def record(name: str, key: str, unit: str) -> Record:
        def median(whose: str) -> float | None:
            return statistics.median(r[key] for r in runs[whose]) if whose in runs else None

        return Record(f"validation reports, {name} ({articles} articles' records)", median("mine"), unit,
                      f"code at {args.baseline}" if args.baseline else None, median("peer"))

    save([record("peak RSS of their process", "peak", "MiB"),
          record("RSS once the packed validations are read", "held", "MiB"),
          record("wall seconds", "seconds", "s"),
          record("CPU seconds", "cpu", "s")], args.results)


if __name__ == "__main__":
    main()

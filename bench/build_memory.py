"""A build's peak memory stage by stage: the main process's and its largest child's.

Builds CORPUS with a copy of the extraction cache of OUT, a build of it (OUT/cache/extract:
extraction is read, not run; e.g. DIR/corpus and DIR/out of `bench/build_speed.py --keep DIR`),
into a scratch folder beside OUT, in a fresh process that records for each stage the main
process's peak RSS (its high-water mark, reset as the stage starts) and the highest peak of its
child processes (the mapping and validating ones, and the one making the records' digests),
sampled every 0.2 s. The build stops where publishing would start, and the main process's RSS
there is recorded too (what it carries into publishing; what the pages and dumps take is
`bench/site_scale.py`'s). With --baseline DIR (other code, e.g. a `git archive` of main) the
same build of that code runs first, and each figure has it as its peer.

    python bench/build_memory.py CORPUS OUT [--processes 2] [--baseline DIR] [--results DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from peak import status_mib
from results import Record, results_option, save

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("extract", "link", "map, validate, store")  # ingest is too short to say anything
FORKING = "map, validate, store"  # the one stage with child processes (extraction only reads its cache here)


def descendants(pid: int) -> list[int]:
    found, stack = [], [pid]
    while stack:
        parent = stack.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            found += children
            stack += children
    return found


class _Publishing(Exception):
    """Raised where the build would publish: the figures end there."""


def measure(corpus: Path, out: Path, processes: int) -> dict[str, tuple[float, float]]:
    """Build `corpus` into `out` with this interpreter's `pipeline`: each stage's (main peak,
    largest child peak) in MiB."""
    from pipeline import build

    peaks: dict[str, list[float]] = {}
    current: list[str | None] = [None]

    def sample_children() -> None:
        me = os.getpid()
        while True:
            if (stage := current[0]) is not None:
                highest = max((status_mib("VmHWM", child) or 0 for child in descendants(me)), default=0)
                peaks[stage][1] = max(peaks[stage][1], highest)
            time.sleep(0.2)

    timed = build.Timings.stage

    @contextmanager
    def stage(self, name: str):
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
        peaks[name], current[0] = [0, 0], name
        with timed(self, name):
            yield
        current[0] = None
        peaks[name][0] = status_mib("VmHWM")

    def publishing(*_, **__):
        peaks["publishing"] = [status_mib("VmRSS"), 0]
        raise _Publishing

    build.Timings.stage, build.publish = stage, publishing
    threading.Thread(target=sample_children, daemon=True).start()
    try:
        build.build([corpus], out, build.BuildOptions(workers=processes))
    except _Publishing:
        pass
    return {name: tuple(values) for name, values in peaks.items() if name in (*STAGES, "publishing")}


def run(code: Path, corpus: Path, built: Path, processes: int) -> dict[str, tuple[float, float]]:
    """`measure` in a fresh process running `code`, with a scratch copy of `built`'s extraction cache."""
    with tempfile.TemporaryDirectory(dir=built.parent) as scratch:
        out = Path(scratch) / "out"
        shutil.copytree(built / "cache" / "extract", out / "cache" / "extract")
        done = subprocess.run([sys.executable, __file__, "--measure", str(corpus), str(out), str(processes)],
                              env={**os.environ, "PYTHONPATH": str(code)}, check=True, capture_output=True,
                              text=True)
    return {name: tuple(values) for name, values in json.loads(done.stdout.splitlines()[-1]).items()}


def main() -> None:
    if sys.argv[1:2] == ["--measure"]:
        corpus, out, processes = sys.argv[2:5]
        print(json.dumps(measure(Path(corpus), Path(out), int(processes))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, help="the articles to build")
    parser.add_argument("out", type=Path, help="a build of them, whose extraction cache is copied")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--baseline", type=Path, help="other code to measure first, as the peer")
    results_option(parser)
    args = parser.parse_args()
    articles = sum(1 for path in args.corpus.iterdir() if path.suffix == ".txt")
    peer = run(args.baseline, args.corpus, args.out, args.processes) if args.baseline else None
    mine = run(ROOT, args.corpus, args.out, args.processes)
    peer_name = f"code at {args.baseline}" if peer else None

    def record(name: str, stage: str, index: int) -> Record:
        return Record(f"{name} ({articles} articles, {args.processes} processes)", mine[stage][index], "MiB",
                      peer_name, peer[stage][index] if peer else None)

    records = [record(f"build peak memory of the {whose} in {stage}", stage, index) for stage in STAGES
               for index, whose in enumerate(("main process", "largest child process")[:2 if stage == FORKING else 1])]
    records.append(record("build memory of the main process as publishing starts", "publishing", 0))
    save(records, args.results)


if __name__ == "__main__":
    main()

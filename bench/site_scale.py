"""Site build speed and peak memory as the corpus grows: streamed, or growing with the corpus?

Building 100,000 articles through extraction takes days here, so for each size in
--articles (default 1,000 and 10,000; issue 7 also names 100,000, which needs far more
disk and memory than a small machine has: see bench/README.md) a synthetic publication
is written (bench/synthetic_graph.py: the graph a build of that many generated articles
gives, about 4,400 quads per article as measured on a real build) and then, each in a
fresh process so that its peak RSS is its own:
- ours: `pipeline.publish.publish(store, site_dir, base)`, the build's publish stage
  (every page, its Turtle and JSON-LD, the indexes, the dumps, VoID and DCAT);
- peer: a streaming dump of the same store to N-Quads (`Store.dump`), which reads every
  quad once: the floor of any site build that reads everything, in time and memory.
Printed and recorded per size: pages/s, seconds against the dump's, and peak RSS
against the dump's; the peak RSS across sizes shows whether memory is bounded.

With --pages-only, publish stops once the pages and indexes are written, before the dumps
(bench/dumps_speed.py measures those, and they would need as much disk again as the pages);
its records are named as such.

    python bench/site_scale.py --articles 1000,10000,100000
    python bench/site_scale.py --articles 20000 --pages-only
    python bench/site_scale.py --articles 50,200 --results /tmp/smoke
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from peak import peak_mib  # noqa: E402
from results import Record, results_option, save  # noqa: E402
from synthetic_graph import synthetic_publication  # noqa: E402
from pipeline.vocab import DEFAULT_BASE  # noqa: E402


@dataclass(frozen=True)
class Run:
    """What one child process did: its seconds, peak RSS and (for publish) pages written."""

    seconds: float
    peak_mib: float
    opened_mib: float  # peak RSS once the store was open, before the work
    pages: int = 0
    stages: dict[str, list[float]] = field(default_factory=dict)  # publish's stages: [seconds, peak MiB after]


def child(task: str, store_path: Path, target: Path, pages_only: bool) -> None:
    """In the child process: open the store, do the task, print a Run as JSON."""
    import pyoxigraph as ox

    store = ox.Store.read_only(str(store_path))
    opened = peak_mib()
    started = time.perf_counter()
    pages = 0
    stages: dict[str, list[float]] = {}
    if task == "publish":
        from pipeline import publish, site

        writers: list[site.SiteWriter] = []  # the one publish makes, for its pages' count with --pages-only
        write_site = site.SiteWriter.write

        def write(writer: site.SiteWriter, *args):
            writers.append(writer)
            return write_site(writer, *args)

        site.SiteWriter.write = staged(stages, "pages and indexes", write)
        publish.write_dumps = staged(stages, "dumps", _stop if pages_only else publish.write_dumps)
        publish.write_descriptions = staged(stages, "VoID and DCAT", publish.write_descriptions)
        publish.write_ontology = staged(stages, "ontology page", publish.write_ontology)
        try:
            pages = publish.publish(store, target, DEFAULT_BASE).pages
        except _PagesWritten:
            pages = writers[0].pages
    else:
        store.dump(str(target), format=ox.RdfFormat.N_QUADS)
    print(json.dumps(asdict(Run(time.perf_counter() - started, peak_mib(), opened, pages, stages))))


class _PagesWritten(Exception):
    """Raised where publish would write the dumps, with --pages-only."""


def _stop(*args, **kwargs) -> None:
    raise _PagesWritten


def staged(stages: dict[str, list[float]], name: str, function: Callable) -> Callable:
    """`function`, noting its seconds and the peak RSS once it returns: which stage of publish
    holds the memory (the peak only rises, so a stage that raises it is the one that grew)."""
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        result = function(*args, **kwargs)
        stages[name] = [time.perf_counter() - started, peak_mib()]
        return result
    return wrapper


def in_child(task: str, store_path: Path, target: Path, pages_only: bool) -> Run:
    command = [sys.executable, __file__, "--child", task, str(store_path), str(target)] + ["--pages-only"] * pages_only
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return Run(**json.loads(output.strip().splitlines()[-1]))


def measure(articles: int, work: Path, pages_only: bool) -> tuple[int, Run, Run]:
    """The synthetic publication's quads, then publish and the dump on it."""
    made = synthetic_publication(work / f"synthetic-{articles}", articles=articles)
    print(f"{articles:,} articles: {made.quads:,} quads, {made.events:,} events "
          f"(written in {made.seconds_write:.0f} s, loaded in {made.seconds_load:.0f} s)", flush=True)
    store = made.publication.store
    site = work / f"site-{articles}"
    ours = in_child("publish", store, site, pages_only)
    dump = in_child("dump", store, work / f"dump-{articles}.nq", pages_only)
    (work / f"dump-{articles}.nq").unlink(missing_ok=True)
    size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file()) / 2**20
    shutil.rmtree(site)  # a site takes about 2 MB per article: keep the disk bounded between sizes
    shutil.rmtree(made.out)
    print(f"  publish: {ours.pages:,} pages ({size:,.0f} MiB) in {ours.seconds:.1f} s "
          f"({ours.pages / ours.seconds:.1f} pages/s), peak RSS {ours.peak_mib:,.0f} MiB "
          f"({ours.opened_mib:,.0f} MiB with the store open)")
    for name, (seconds, peak) in ours.stages.items():
        print(f"    {name}: {seconds:.1f} s, peak RSS {peak:,.0f} MiB once done")
    print(f"  dump:    {dump.seconds:.1f} s, peak RSS {dump.peak_mib:,.0f} MiB", flush=True)
    return made.quads, ours, dump


def records(articles: int, quads: int, ours: Run, dump: Run, pages_only: bool) -> list[Record]:
    label = f"{articles:,} synthetic articles, {quads / 1e6:.1f}M quads" + (", pages only" if pages_only else "")
    return [
        Record(f"site build pages/s ({label})", ours.pages / ours.seconds, "pages/s"),
        Record(f"site build seconds ({label})", ours.seconds, "s", "pyoxigraph dump to N-Quads", dump.seconds),
        Record(f"site build peak RSS ({label})", ours.peak_mib, "MiB", "pyoxigraph dump to N-Quads", dump.peak_mib),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", default="1000,10000",
                        help="comma-separated corpus sizes (issue 7 also names 100000: see bench/README.md)")
    parser.add_argument("--work", type=Path, help="write the publications and sites here, one size at a time "
                                                  "(default: a temporary folder)")
    parser.add_argument("--pages-only", action="store_true",
                        help="stop publish before the dumps: the pages and indexes alone")
    parser.add_argument("--child", nargs=3, metavar=("TASK", "STORE", "TARGET"), help=argparse.SUPPRESS)
    results_option(parser)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]), args.pages_only)
        return
    sizes = [int(n) for n in args.articles.split(",")]
    found: list[Record] = []
    peaks: list[tuple[int, float]] = []
    with tempfile.TemporaryDirectory(prefix="newsgraph-site-") as temporary:
        work = args.work or Path(temporary)
        for articles in sizes:
            try:
                quads, ours, dump = measure(articles, work, args.pages_only)
            except subprocess.CalledProcessError as error:  # e.g. killed for lack of memory: say so, go on
                print(f"  {articles:,} articles: {error.cmd[3]} failed with status {error.returncode}\n"
                      f"{error.stderr[-2000:]}")
                continue
            found += records(articles, quads, ours, dump, args.pages_only)
            peaks.append((articles, ours.peak_mib))
    print("\npeak RSS of publish by corpus size: " + ", ".join(f"{n:,} articles {p:,.0f} MiB" for n, p in peaks))
    for (small, low), (large, high) in zip(peaks, peaks[1:]):
        print(f"  {small:,} -> {large:,} articles ({large / small:.0f}x): peak RSS x{high / low:.2f}")
    save(found, args.results)


if __name__ == "__main__":
    main()

"""Publish throughput and peak memory: `publish()` alone, on a built publication.

Builds N generated articles (bench/generate_corpus.py) into OUT, or takes the publication
already in OUT, then times `publish(store, site, base, report=...)` in a fresh process (so its peak
resident memory is publish's own; with --workers, the parent's, each worker's is apart),
writing into a scratch folder laid out like a release (site/ beside store/): pages/s, ms
per article, peak RSS, in one process and in --workers processes. With --add-one it then
adds one article, rebuilds OUT (extraction of the new article only) and times publishing
the new store with the site just published passed as `previous`: the incremental publish,
with how many pages it rendered and reused. With --since RELEASE (an earlier release of
OUT, one article less) it does the same without a rebuild: a fresh publish of RELEASE,
then OUT's current one over it. With --baseline DIR (a checkout of other code, e.g. `git
archive main`) the same runs of that code's publish, in one process, come first.

    python bench/publish_speed.py [--articles 100] [--out DIR] [--workers 2] [--add-one | --since RELEASE]
                                  [--baseline DIR] [--results DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from generate_corpus import generate
from results import Record, results_option, save

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
NEWSGRAPH = str(Path(sys.executable).with_name("newsgraph"))


def built(corpus_size: int, out: Path) -> Path:
    """The current release of OUT, building `corpus_size` generated articles into it if needed."""
    if not (out / "current").is_dir():
        corpus = generate(corpus_size, out / "corpus")
        subprocess.run([NEWSGRAPH, "build", str(corpus), "--out", str(out)], check=True,
                       stdout=subprocess.DEVNULL)
    return (out / "current").resolve()


def rebuilt_with_one_more(out: Path, corpus_size: int) -> Path:
    """Add article number `corpus_size` (the generator is prefix-stable), rebuild OUT: its new release."""
    corpus = generate(corpus_size + 1, out / "corpus")
    subprocess.run([NEWSGRAPH, "build", str(corpus), "--out", str(out)], check=True, stdout=subprocess.DEVNULL)
    return (out / "current").resolve()


def timed_publish(release: Path, target: Path, base: str, previous: Path | None, workers: int = 1,
                  code: Path = ROOT) -> dict:
    """Run `code`'s `publish` of `release`'s store into `target`/site in a child process (`target`/store
    links to the store, as in a release), over `previous`/site if given, in `workers` processes:
    seconds, CPU seconds, pages, rendered and reused pages, peak MiB."""
    target.mkdir(parents=True)
    (target / "store").symlink_to(release / "store")
    args = [sys.executable, str(code / "bench" / Path(__file__).name), "--child", str(release / "store"),
            str(target / "site"), base]
    if previous is not None or workers > 1:
        args.append(str(previous / "site") if previous is not None else "-")
    if workers > 1:
        args.append(str(workers))
    done = subprocess.run(args, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.splitlines()[-1])


def child(store_path: str, site: str, base: str, previous: str | None, workers: int) -> None:
    import pyoxigraph as ox

    from pipeline.publish import publish

    store = ox.Store.read_only(store_path)
    report = (Path(store_path).parent / "site" / "report.html").is_file()  # the build wrote one: the home page links it
    articles = sum(1 for _ in store.query("SELECT ?a WHERE { ?a a <https://w3id.org/newsgraph/ns#Article> }",
                                          use_default_graph_as_union=True))
    kwargs = {"previous": Path(previous)} if previous else {}  # main's publish() has no `previous`
    if workers > 1:
        kwargs["workers"] = workers
    started, cpu = time.perf_counter(), time.process_time()
    summary = publish(store, Path(site), base, report=report, **kwargs)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "pages": summary.pages, "articles": articles,
                      "rendered": getattr(summary, "rendered", summary.pages),
                      "reused": getattr(summary, "reused", 0),
                      "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def records(label: str, run: dict) -> list[Record]:
    n = run["articles"]
    return [
        Record(f"publish pages/s ({label}, {n} articles)", run["pages"] / run["seconds"], "pages/s"),
        Record(f"publish ms per article ({label}, {n} articles)", 1000 * run["seconds"] / n, "ms"),
        Record(f"publish CPU ms per article ({label}, {n} articles)", 1000 * run["cpu_seconds"] / n, "ms"),
        Record(f"publish pages rendered ({label}, {n} articles)", run["rendered"], "pages"),
        Record(f"publish pages reused ({label}, {n} articles)", run["reused"], "pages"),
        Record(f"publish peak memory ({label}, {n} articles)", run["peak_mib"], "MiB"),
    ]


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        previous = sys.argv[5] if len(sys.argv) > 5 and sys.argv[5] != "-" else None
        child(*sys.argv[2:5], previous, int(sys.argv[6]) if len(sys.argv) > 6 else 1)
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100, help="articles to generate when OUT has none")
    parser.add_argument("--out", type=Path, help="a publication folder to use (built there when missing)")
    parser.add_argument("--base", default="http://127.0.0.1:5000/", help="the base IRI OUT was built with")
    parser.add_argument("--workers", type=int, default=2, help="processes of the parallel runs")
    parser.add_argument("--add-one", action="store_true", help="then add an article and time the incremental publish")
    parser.add_argument("--since", type=Path, help="an earlier release of OUT (e.g. one article less): also time "
                        "publishing OUT's current release over a fresh publish of that one, without a rebuild")
    parser.add_argument("--baseline", type=Path, help="a checkout of other code to time first, in one process")
    results_option(parser)
    arguments = parser.parse_args()
    found: list[Record] = []
    with tempfile.TemporaryDirectory(prefix="newsgraph-publish-") as folder:
        out = arguments.out or Path(folder) / "out"
        release = built(arguments.articles, out)
        runs = [("baseline", arguments.baseline, 1)] if arguments.baseline else []
        runs += [("1 process", ROOT, 1), (f"{arguments.workers} processes", ROOT, arguments.workers)]
        for label, code, workers in runs:
            scratch = Path(folder) / label.replace(" ", "-")
            full = scratch / "full"
            found += records(f"full, {label}", timed_publish(release, full, arguments.base, None, workers, code))
            print(found[-6].line(), flush=True)
            if arguments.since:
                earlier = scratch / "earlier"
                timed_publish(arguments.since, earlier, arguments.base, None, workers, code)
                found += records(f"incremental over {arguments.since.name}, {label}", timed_publish(
                    release, scratch / "since", arguments.base, earlier, workers, code))
                print(found[-6].line(), flush=True)
        if arguments.add_one:
            size = len(list((out / "corpus").glob("*.txt"))) if (out / "corpus").is_dir() else arguments.articles
            newer = rebuilt_with_one_more(out, size)
            for label, code, workers in runs:
                scratch = Path(folder) / label.replace(" ", "-")
                found += records(f"incremental, one article added, {label}", timed_publish(
                    newer, scratch / "incremental", arguments.base, scratch / "full", workers, code))
    save(found, arguments.results)


if __name__ == "__main__":
    main()

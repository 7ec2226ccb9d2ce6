"""Publish throughput and peak memory: `publish()` alone, on a built publication.

Builds N generated articles (bench/generate_corpus.py) into OUT, or takes the publication
already in OUT, then times `publish(store, site, base, report_html=...)` in a fresh process (so its peak
resident memory is publish's own), writing into a scratch folder: pages/s, ms per
article, peak RSS. With --add-one it then adds one article, rebuilds OUT (extraction of
the new article only) and times publishing the new store with the site just published
passed as `previous`: the incremental publish, with how many pages it rendered and
reused. With --since RELEASE (an earlier release of OUT, one article less) it does the
same without a rebuild: a fresh publish of RELEASE, then OUT's current one over it.

    python bench/publish_speed.py [--articles 100] [--out DIR] [--add-one | --since RELEASE] [--save]
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
from results import Record, save

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


def timed_publish(release: Path, site: Path, base: str, previous: Path | None) -> dict:
    """Run `publish` of `release`'s store into `site` in a child process, with `previous` (a
    site folder) if given: seconds, CPU seconds, pages, rendered and reused pages, peak MiB."""
    args = [sys.executable, __file__, "--child", str(release / "store"), str(site), base]
    if previous is not None:
        args.append(str(previous))
    done = subprocess.run(args, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.splitlines()[-1])


def child(store_path: str, site: str, base: str, previous: str | None) -> None:
    import pyoxigraph as ox

    from pipeline.publish import publish

    store = ox.Store.read_only(store_path)
    report = Path(store_path).parent / "site" / "report.html"  # passed as the build passes it
    report_html = report.read_text(encoding="utf-8") if report.is_file() else None
    articles = sum(1 for _ in store.query("SELECT ?a WHERE { ?a a <https://w3id.org/newsgraph/ns#Article> }",
                                          use_default_graph_as_union=True))
    kwargs = {"previous": Path(previous)} if previous else {}  # main's publish() has no `previous`
    started, cpu = time.perf_counter(), time.process_time()
    summary = publish(store, Path(site), base, report_html=report_html, **kwargs)
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
        child(*sys.argv[2:5], sys.argv[5] if len(sys.argv) > 5 else None)
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100, help="articles to generate when OUT has none")
    parser.add_argument("--out", type=Path, help="a publication folder to use (built there when missing)")
    parser.add_argument("--base", default="http://127.0.0.1:5000/", help="the base IRI OUT was built with")
    parser.add_argument("--add-one", action="store_true", help="then add an article and time the incremental publish")
    parser.add_argument("--since", type=Path, help="an earlier release of OUT (e.g. one article less): also time "
                        "publishing OUT's current release over a fresh publish of that one, without a rebuild")
    parser.add_argument("--save", action="store_true", help="merge the records into bench/results")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="newsgraph-publish-") as folder:
        out = arguments.out or Path(folder) / "out"
        release = built(arguments.articles, out)
        full = Path(folder) / "full"
        found = records("full", timed_publish(release, full, arguments.base, None))
        if arguments.since:
            earlier = Path(folder) / "earlier"
            timed_publish(arguments.since, earlier, arguments.base, None)
            found += records(f"incremental over {arguments.since.name}",
                             timed_publish(release, Path(folder) / "since", arguments.base, earlier))
        if arguments.add_one:
            size = len(list((out / "corpus").glob("*.txt"))) if (out / "corpus").is_dir() else arguments.articles
            release = rebuilt_with_one_more(out, size)
            found += records("incremental, one article added",
                             timed_publish(release, Path(folder) / "incremental", arguments.base, full))
    if arguments.save:
        save(found)
    else:
        for record in found:
            print(record.line())


if __name__ == "__main__":
    main()

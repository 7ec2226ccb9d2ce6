"""The dumps alone, on a built store: the whole-store dumps of another checkout against the
dumps from per-graph pieces, (a) with an empty piece folder (this code's and the other
checkout's) and (b) again after one graph changed, on a copy of the store with one article
graph changed (b1), then the resolved graph too (b2: what adding an article changes). Each
run is a fresh process, one process (its CPU time is the worker time a publish spends on
the dumps), rounds interleaved; the records are the medians over the rounds of its CPU and
wall seconds and of its peak memory (VmHWM, which shows whether the dumps hold a whole
graph: the resolved graph grows with the corpus). The graph digests are computed
beforehand, untimed, as the build hands them to publish.

    python bench/dumps_speed.py --store OUT/current/store --baseline DIR [--rounds 1] [--results DIR]

DIR is a checkout of the code to compare with (e.g. `git archive main`).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

from peak import peak_mib
from results import Record, results_option, save

ROOT = Path(__file__).resolve().parent.parent
CHANGED = "http://www.w3.org/2000/01/rdf-schema#comment"  # the predicate of the triple a change adds


def child(code: str, store_path: str, downloads: str, cache: str | None, digests: str | None) -> None:
    """In a fresh process: `code`'s dumps of the store, as JSON (seconds, CPU seconds, pieces written)."""
    sys.path.insert(0, code)
    import pyoxigraph as ox

    from pipeline import dumps

    store = ox.Store.read_only(store_path)
    if cache:
        Path(cache).mkdir(exist_ok=True)
    before = set(Path(cache).iterdir()) if cache else set()
    started, cpu = time.perf_counter(), time.process_time()
    if cache is None:
        written = dumps.write_dumps(store, Path(downloads))
    else:
        given = json.loads(Path(digests).read_text())
        written = dumps.write_dumps(store, Path(downloads), dumps.Pieces.of(store, Path(cache), given))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    new = [p for p in Path(cache).iterdir() if p not in before and p.suffix == ".json"] if cache else []
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "graphs_pieced": len(new),
                      "bytes": sum(d.size for d in written), "peak_mib": peak_mib()}))


def timed(code: Path, store: Path, downloads: Path, cache: Path | None = None, digests: Path | None = None) -> dict:
    args = [sys.executable, __file__, "--child", str(code), str(store), str(downloads)]
    args += [str(cache), str(digests)] if cache else []
    return json.loads(subprocess.run(args, check=True, stdout=subprocess.PIPE, text=True).stdout.splitlines()[-1])


def digests_of(store_path: Path, graphs: list[str] | None = None) -> dict[str, str]:
    """Each named graph's content digest (or those of `graphs`), as the build gives them."""
    import pyoxigraph as ox

    from pipeline.store import graph_digest

    store = ox.Store.read_only(str(store_path))
    names = graphs or [g.value for g in store.named_graphs()]
    return {g: graph_digest(store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(g))) for g in names}


def change(store_path: Path, graph: str, mark: str) -> None:
    """Add one triple to `graph` of the store at `store_path`."""
    import pyoxigraph as ox

    store = ox.Store(str(store_path))
    store.add(ox.Quad(ox.NamedNode(graph), ox.NamedNode(CHANGED), ox.Literal(mark), ox.NamedNode(graph)))
    store.flush()
    del store


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        rest = sys.argv[2:]
        child(*rest[:3], *(rest[3:5] if len(rest) > 3 else (None, None)))
        return
    sys.path.insert(0, str(ROOT))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, required=True, help="a built store (only read)")
    parser.add_argument("--baseline", type=Path, required=True, help="a checkout of the code to compare with")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--fresh-only", action="store_true",
                        help="only (a), by this code and the baseline: a large store's peak memory in half the time "
                             "and a third of the disk")
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temporary one)")
    results_option(parser)
    arguments = parser.parse_args()
    rounds: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="newsgraph-dumps-", dir=arguments.work) as folder:
        work = Path(folder)
        copy = work / "changed-store"
        original = work / "digests.json"
        original.write_text(json.dumps(digests_of(arguments.store)))
        for number in range(arguments.rounds):
            if not arguments.fresh_only:
                shutil.copytree(arguments.store, copy)
            digests = json.loads(original.read_text())
            article = sorted(g for g in digests if "/graph/article/" in g)[0]
            resolved = next(g for g in digests if g.endswith("/graph/resolved"))
            cache = work / f"pieces-{number}"
            old = None if arguments.fresh_only else timed(arguments.baseline, arguments.store, work / "old")
            old_pieces = timed(arguments.baseline, arguments.store, work / "old-a", work / f"old-pieces-{number}",
                               original)
            first = timed(ROOT, arguments.store, work / "a", cache, original)
            shutil.rmtree(work / "old-a")  # the dumps themselves: a large store's take as much disk as the store
            runs = {"(a) empty piece folder (baseline)": old_pieces, "(a) empty piece folder": first}
            if old is not None:
                runs["whole store (baseline)"] = old
            changes = [] if arguments.fresh_only else [
                ("(b1) one article graph changed", [article]),
                ("(b2) one article graph and the resolved graph changed", [article, resolved])]
            for label, graphs in changes:
                for graph in graphs:
                    change(copy, graph, f"round {number}, {label}")
                changed = work / "changed-digests.json"
                changed.write_text(json.dumps(digests := digests | digests_of(copy, graphs)))
                runs[label] = timed(ROOT, copy, work / "b", cache, changed)
            for label, run in runs.items():
                print(f"round {number}: {label}: {run['seconds']:.2f} s, {run['cpu_seconds']:.2f} s CPU, "
                      f"{run.get('graphs_pieced', '-')} graphs pieced, {run['bytes'] / 2**20:,.0f} MiB of dumps, "
                      f"peak RSS {run['peak_mib']:,.0f} MiB", flush=True)
                rounds.setdefault(label, []).append(run)
            shutil.rmtree(cache)
            shutil.rmtree(work / f"old-pieces-{number}")
            shutil.rmtree(copy, ignore_errors=True)
    save(records(rounds, len(digests)), arguments.results)


def records(rounds: dict[str, list[dict]], graphs: int) -> list[Record]:
    """The median over the rounds of each run's CPU and wall seconds, beside the baseline's whole-store
    dumps, and of its peak memory, beside the baseline's run of the same kind."""
    found = []
    baseline = rounds.get("whole store (baseline)")
    for label, runs in rounds.items():
        for measure, unit in (("cpu_seconds", "CPU seconds"), ("seconds", "seconds")):
            peer = () if runs is baseline or baseline is None else \
                ("whole-store dumps (baseline)", median(r[measure] for r in baseline))
            found.append(Record(f"dumps {unit}, {label}, {graphs} graphs", median(r[measure] for r in runs), "s", *peer))
    mine, theirs = rounds["(a) empty piece folder"], rounds["(a) empty piece folder (baseline)"]
    found.append(Record(f"dumps peak RSS, (a) empty piece folder, {graphs} graphs", median(r["peak_mib"] for r in mine),
                        "MiB", "the baseline's, same run", median(r["peak_mib"] for r in theirs)))
    return found


if __name__ == "__main__":
    main()

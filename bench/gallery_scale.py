"""Time the gallery's example queries on a large store, alone or against another code's forms.

By default the sample publication (tests/data/endpoint-sample.trig: two articles, three
events, a claim and a denial) is copied N times with every dataset IRI renamed, so the
store grows while the graph keeps its shape; the ontology graph stays single. Each gallery
query is then run once on the on-disk store and its time and row count printed. A
query whose plan is poor on a large store (e.g. OPTIONALs before required patterns)
shows up here long before a user meets it.

With --store and --baseline, the store is an existing one (a built publication's
`current/store`) and the peer is the same question as another code's gallery asks it
(CODE: that code's tree, e.g. a `git archive`): each query whose text differs is run in
both forms in-process (pyoxigraph, union default graph, every row iterated), the two forms
alternating within each of --rounds rounds; their rows are compared (a literal holding
", " as the set of its parts: GROUP_CONCAT's lists come in no set order) and the medians of
wall time recorded with the rows' agreement printed beside.

    python bench/gallery_scale.py [--copies 1000]
    python bench/gallery_scale.py --store OUT/current/store --baseline CODE --rounds 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from results import Record, results_option, save  # noqa: E402
from pipeline.endpoint_page import load_examples  # noqa: E402

SAMPLE = ROOT / "tests" / "data" / "endpoint-sample.trig"
BASE = "http://127.0.0.1:5000/"
ONTOLOGY = BASE + "graph/ontology"


def _renamed(term, copy: int):
    if isinstance(term, ox.NamedNode) and term.value.startswith(BASE) and term.value != ONTOLOGY:
        return ox.NamedNode(f"{term.value}-{copy}")
    return term


def scaled_store(path: Path, copies: int) -> ox.Store:
    quads = list(ox.parse(path=str(SAMPLE), format=ox.RdfFormat.TRIG))
    data = [q for q in quads if q.graph_name.value != ONTOLOGY]
    store = ox.Store(str(path))
    store.bulk_extend([q for q in quads if q.graph_name.value == ONTOLOGY] + [
        ox.Quad(_renamed(q.subject, copy), q.predicate, _renamed(q.object, copy), _renamed(q.graph_name, copy))
        for copy in range(copies) for q in data])
    store.flush()
    return store


@dataclass(frozen=True)
class Answer:
    rows: Counter
    seconds: float


def _value(term) -> str | None:
    if term is None:
        return None
    if isinstance(term, ox.Literal) and ", " in term.value:
        return ", ".join(sorted(term.value.split(", ")))
    return str(term)


def answer(store: ox.Store, query: str) -> Answer:
    started = time.perf_counter()
    solutions = store.query(query, use_default_graph_as_union=True)
    names = [variable.value for variable in solutions.variables]
    rows = Counter(tuple(_value(solution[name]) for name in names) for solution in solutions)
    return Answer(rows, time.perf_counter() - started)


def against_baseline(store: ox.Store, baseline: Path, rounds: int, label: str,
                     names: list[str] | None) -> list[Record]:
    """Each query whose text differs from the baseline's (of `names`, if given), both forms timed alternately."""
    theirs = {example.name: example for example in load_examples(baseline / "site" / "queries" / "examples")}
    changed = [example for example in load_examples() if example.name in theirs
               and example.query != theirs[example.name].query and (not names or example.name in names)]
    records = []
    for example in changed:
        forms: dict[str, list[Answer]] = {"ours": [], "theirs": []}
        for round_ in range(rounds):
            order = [("ours", example), ("theirs", theirs[example.name])]
            for side, form in order if round_ % 2 == 0 else reversed(order):
                forms[side].append(answer(store, form.query))
        ours, peer = (statistics.median(a.seconds for a in forms[side]) * 1000 for side in ("ours", "theirs"))
        same = forms["ours"][0].rows == forms["theirs"][0].rows
        print(f"{example.name}: {sum(forms['ours'][0].rows.values())} rows, "
              f"{sum(forms['theirs'][0].rows.values())} in the baseline's form; "
              + ("the same rows" if same else "THE ROWS DIFFER"))
        records.append(Record(f"gallery query {example.name}, {label}, in-process", round(ours, 1), "ms",
                              "the baseline code's form of it" + ("" if same else ", whose rows differ"),
                              round(peer, 1)))
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=1000)
    parser.add_argument("--store", type=Path, help="an existing on-disk store instead of the sample's copies")
    parser.add_argument("--baseline", type=Path, metavar="CODE", help="another code's tree: time its forms beside")
    parser.add_argument("--rounds", type=int, default=3, help="with --baseline: timed runs of each form")
    parser.add_argument("--label", default="publication", help="with --baseline: names the store in the records")
    parser.add_argument("--queries", nargs="+", metavar="NAME", help="with --baseline: only these of the changed")
    results_option(parser)
    args = parser.parse_args()
    if args.store and args.baseline:
        store = ox.Store.read_only(str(args.store))
        save(against_baseline(store, args.baseline, args.rounds, args.label, args.queries), args.results)
        return
    if args.store or args.baseline:
        parser.error("--store and --baseline go together")
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        store = scaled_store(Path(folder) / "store", args.copies)
        print(f"store: {len(store)} quads from {args.copies} copies of the sample, "
              f"built in {time.perf_counter() - started:.1f} s")
        for example in load_examples():
            started = time.perf_counter()
            rows = sum(1 for _ in store.query(example.query, use_default_graph_as_union=True))
            print(f"{example.name:<36} {rows:7d} rows  {time.perf_counter() - started:7.2f} s")


if __name__ == "__main__":
    main()

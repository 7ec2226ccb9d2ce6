"""Peak memory and seconds of putting the longest listings in order: on disk by the site's
spool, against the store's own ORDER BY.

The events and articles listings grow with the corpus (103,000 events at 10,000 articles).
Oxigraph sorts a query's rows in memory; the site instead reads them unsorted and sorts them
RUN_ROWS at a time, merging the sorted runs from disk (pipeline/listing.py). For a built
store, in fresh child processes run alternately ROUNDS times each, this bench spools each
listing both ways (the same query, with the ORDER BY it had before, `listing.Spool` without
an order for the peer), checks the two spool files are the same bytes, and prints the peak
RSS (VmHWM) and the wall and CPU seconds of each.

    python bench/listing_sort.py STORE [--rounds 3] [--results DIR]
"""

from __future__ import annotations

import argparse
import filecmp
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from peak import peak_mib
from results import Record, results_option, save

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The listing, its sort on the spool, and the ORDER BY the store ran before the spool sorted it.
LISTINGS = {"events": ("date", "ORDER BY DESC(STR(?date)) ?e"),
            "articles": ("published", "ORDER BY DESC(STR(?published)) ?e")}


def child(way: str, listing_name: str, store_path: str, target: str) -> None:
    """Spool one listing `way` ("spool": sorted on disk; "store": by the query's ORDER BY)."""
    import pyoxigraph as ox

    from pipeline import listing
    from pipeline.siteread import Reader, query_text
    from pipeline.vocab import DEFAULT_BASE

    field, order_by = LISTINGS[listing_name]
    reader = Reader(ox.Store.read_only(store_path), DEFAULT_BASE)  # the two queries name no IRI of the base
    opened = peak_mib()
    wall, cpu = time.perf_counter(), time.process_time()
    if way == "spool":
        spool = listing.Spool(Path(target), reader.rows(listing_name), listing.newest_first(field))
    else:
        solutions = reader.store.query(query_text(listing_name) + order_by, use_default_graph_as_union=True)
        names = [v.value for v in solutions.variables]
        rows = ({var: term for var in names if (term := solution[var]) is not None} for solution in solutions)
        spool = listing.Spool(Path(target), rows)
    print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
                      "peak": peak_mib(), "opened": opened, "rows": spool.count}))


def run(way: str, listing_name: str, store: str, target: Path) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", way, listing_name, store, str(target)],
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.splitlines()[-1])


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        child(*sys.argv[2:6])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store", help="a built store (e.g. OUT/current/store)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each way, alternating")
    results_option(parser)
    arguments = parser.parse_args()
    found = []
    with tempfile.TemporaryDirectory(prefix="newsgraph-listingsort-") as scratch:
        for name in LISTINGS:
            runs: dict[str, list[dict]] = {"spool": [], "store": []}
            for round_ in range(arguments.rounds):
                for way in runs:
                    runs[way].append(run(way, name, arguments.store, Path(scratch) / f"{way}-{name}"))
                    print(name, way, round_, json.dumps(runs[way][-1]), flush=True)
            if not filecmp.cmp(Path(scratch) / f"spool-{name}", Path(scratch) / f"store-{name}", shallow=False):
                raise SystemExit(f"the {name} listing spooled by the two ways differs")
            rows = runs["spool"][0]["rows"]
            for figure, unit, what in (("peak", "MiB", "peak RSS"), ("wall", "s", "seconds"), ("cpu", "s", "CPU s")):
                best = {way: min(r[figure] for r in runs[way]) for way in runs}
                found.append(Record(f"{what} of the {name} listing spooled in order ({rows:,} rows)", best["spool"],
                                    unit, "sorted by the store's ORDER BY", best["store"]))
            opened = min(r["opened"] for r in runs["spool"] + runs["store"])
            print(f"{name}: {rows:,} rows; peak RSS with the store open, before the query: {opened:,.0f} MiB")
    save(found, arguments.results)


if __name__ == "__main__":
    main()

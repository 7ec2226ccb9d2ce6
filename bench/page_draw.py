"""CPU seconds of drawing the busiest entity pages, of taking unchanged pages from the previous
site, and of each listing query, against a peer.

An incremental publish redraws the pages of the entities an added article names, and the
busiest actors and places (thousands of mentions and events) are named by most articles:
their pages are most of what adding one article costs. The listings (all entities, events,
articles, event types) are queried whole on every publish. This bench takes a built store,
picks the TOP actors and places by mentions (ng:hasMention), and in fresh child processes
of this checkout and of `--baseline` (another checkout, e.g. `git archive main`), run
alternately ROUNDS times each so that both see the same load, measures:

  - the CPU seconds of `SiteWriter.draw` of those pages (no previous site: all drawn), on a
    writer whose caches start empty;
  - the CPU seconds of `SiteWriter.draw` of the first TAKEN pages of the store's release
    (its manifest's, OUT/current/site.pages.sqlite), with that release's site as the previous
    one and nothing changed since: every page taken (checked, hard-linked), none drawn, as
    most pages are when an article is added (a code reads only a manifest as it writes them:
    since 2026-12-05 night its lookups are digests, so a baseline from before cannot take pages
    from a release built after, nor the other way round);
  - the CPU seconds of each listing query read to its last row, alone.

and checks that both drew the same bytes (.html, .ttl, .jsonld) and the same listing rows (in
any order: the longest listings are put in order by the site, bench/listing_sort.py),
unless `--pages-changed` says this code means to draw other pages (the files that differ are
listed, and the figures recorded all the same).

    python bench/page_draw.py STORE [--base IRI] [--top 20] [--taken N] [--rounds 2] [--baseline DIR]
                              [--pages-changed] [--results DIR]
"""

from __future__ import annotations

import argparse
import filecmp
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results import Record, results_option, save

ROOT = Path(__file__).resolve().parent.parent
NG = "https://w3id.org/newsgraph/ns#"
BUSIEST = """SELECT ?e (COUNT(?m) AS ?n) WHERE {{ ?e <{ng}hasMention> ?m .
  FILTER(STRSTARTS(STR(?e), "{actors}") || STRSTARTS(STR(?e), "{places}")) }} GROUP BY ?e ORDER BY DESC(?n) ?e"""
LISTINGS = ("actor", "place", "event", "article", "event_types")


def busiest(store_path: str, base: str, top: int) -> list[tuple[str, str]]:
    """The `top` actors and places (pages of their own) with the most mentions, as (IRI, kind)."""
    import pyoxigraph as ox

    store = ox.Store.read_only(store_path)
    prefixes = {kind: f"{base}id/{kind}/" for kind in ("actor", "place")}
    query = BUSIEST.format(ng=NG, actors=prefixes["actor"], places=prefixes["place"])
    found = []
    for row in store.query(query, use_default_graph_as_union=True):
        iri = row["e"].value
        kind = next(kind for kind, prefix in prefixes.items() if iri.startswith(prefix))
        if "/" not in iri[len(prefixes[kind]):]:
            found.append((iri, kind))
    return found[:top]


def child(code: str, store_path: str, site: str, base: str, items_file: str, taken: str) -> None:
    """In `code`'s checkout: draw the pages of the items, take `taken` pages from the store's
    release, then run each listing: CPU seconds as JSON."""
    sys.path.insert(0, code)
    import dataclasses
    from datetime import date

    import pyoxigraph as ox

    from pipeline.describe import description
    from pipeline.reuse import Previous, manifest_path
    from pipeline.site import SiteWriter

    assert Path(sys.modules["pipeline"].__file__).resolve().is_relative_to(Path(code).resolve())
    store = ox.Store.read_only(store_path)
    meta = dataclasses.asdict(description(base, date(2026, 1, 1))) | {"report": False}
    writer = SiteWriter(store, Path(site), base, meta=meta)
    items = [tuple(item) for item in json.loads(Path(items_file).read_text())]
    cpu = time.process_time()
    drawn = writer.draw(items)
    figures = {"draw": time.process_time() - cpu, "pages": drawn.pages, "problems": drawn.problems}
    previous = Path(store_path).parent / "site"
    with sqlite3.connect(f"file:{manifest_path(previous)}?mode=ro", uri=True) as db:
        pages = [(iri, "event") for (iri,) in db.execute("SELECT iri FROM page ORDER BY rowid LIMIT ?", (int(taken),))]
    taker = SiteWriter(store, Path(site).with_name("taken"), base, meta=meta)
    taker.previous = Previous(previous, frozenset())  # nothing changed: every page is taken
    cpu = time.process_time()
    took = taker.draw(pages)
    figures |= {"take": time.process_time() - cpu, "taken": took.reused, "take drawn": took.pages - took.reused}
    rows_dir = Path(site).with_name("rows")
    rows_dir.mkdir()
    queries = {"actor": ("entities", {"prefix": base + "id/actor/", "kind": ox.NamedNode(NG + "Actor")}),
               "place": ("entities", {"prefix": base + "id/place/", "kind": ox.NamedNode(NG + "Place")}),
               "event": ("events", {}), "article": ("articles", {}), "event_types": ("event_types", {})}
    for name in LISTINGS:
        query, values = queries[name]
        cpu = time.process_time()
        rows = [{var: term.value for var, term in row.items()} for row in writer.reader.rows(query, **values)]
        figures[name] = time.process_time() - cpu
        # Compared as sets: the events and articles are put in order by the site's spool since 2026-12-05.
        (rows_dir / f"{name}.json").write_text(json.dumps(sorted(json.dumps(row, sort_keys=True) for row in rows)))
    print(json.dumps(figures))


def run(code: Path, store: str, folder: Path, base: str, items_file: Path, taken: int) -> dict:
    site = folder / "site"
    done = subprocess.run([sys.executable, __file__, "--child", str(code), store, str(site), base, str(items_file),
                           str(taken)], check=True, capture_output=True, text=True)
    return json.loads(done.stdout.splitlines()[-1])


def differences(one: Path, other: Path) -> list[str]:
    """Files (relative paths) that differ or are in one folder only."""
    names = {p.relative_to(one) for p in one.rglob("*") if p.is_file()}
    names |= {p.relative_to(other) for p in other.rglob("*") if p.is_file()}
    return sorted(str(n) for n in names if not ((one / n).is_file() and (other / n).is_file()
                                                 and filecmp.cmp(one / n, other / n, shallow=False)))


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        child(*sys.argv[2:8])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store", help="a built store (e.g. OUT/current/store)")
    parser.add_argument("--base", default="http://127.0.0.1:5000/", help="the base IRI it was built with")
    parser.add_argument("--top", type=int, default=20, help="entity pages to draw: the actors and places most mentioned")
    parser.add_argument("--taken", type=int, default=20000,
                        help="pages to take unchanged from the store's release (its site and manifest)")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each checkout, alternating")
    parser.add_argument("--baseline", type=Path, required=True, help="a checkout of the code to compare with")
    parser.add_argument("--pages-changed", action="store_true",
                        help="this code draws other pages than the baseline's on purpose: list the differences only")
    results_option(parser)
    arguments = parser.parse_args()
    items = busiest(arguments.store, arguments.base, arguments.top)
    runs: dict[str, list[dict]] = {"this": [], "baseline": []}
    with tempfile.TemporaryDirectory(prefix="newsgraph-pagedraw-") as scratch:
        items_file = Path(scratch) / "items.json"
        items_file.write_text(json.dumps(items))
        for round_ in range(arguments.rounds):
            for label, code in (("baseline", arguments.baseline), ("this", ROOT)):
                folder = Path(scratch) / f"{label}-{round_}"
                runs[label].append(run(code, arguments.store, folder, arguments.base, items_file, arguments.taken))
                print(label, round_, json.dumps(runs[label][-1]), flush=True)
        first = {label: Path(scratch) / f"{label}-0" for label in runs}
        differing = differences(first["this"], first["baseline"])
    print(f"{len(items)} pages drawn by each; files differing from the baseline's: {len(differing)}",
          *differing[:20], sep="\n  ")
    found = []
    taken = runs["this"][0]["taken"]
    for figure, what in [("draw", f"drawing the {len(items)} busiest entity pages"),
                         ("take", f"taking {taken:,} unchanged pages from the previous site"),
                         *((name, f"listing query {name}") for name in LISTINGS)]:
        best = {label: min(r[figure] for r in runs[label]) for label in runs}
        found.append(Record(f"CPU s of {what}", best["this"], "s", "baseline", best["baseline"]))
    if differing and not arguments.pages_changed:
        raise SystemExit(f"{len(differing)} files differ from the baseline's")
    save(found, arguments.results)


if __name__ == "__main__":
    main()

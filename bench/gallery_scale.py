"""Time every example query of the gallery on a store scaled up from the test sample.

The sample publication (tests/data/endpoint-sample.trig: two articles, three events,
a claim and a denial) is copied N times with every dataset IRI renamed, so the store
grows while the graph keeps its shape; the ontology graph stays single. Each gallery
query is then run once on the on-disk store and its time and row count printed. A
query whose plan is poor on a large store (e.g. OPTIONALs before required patterns)
shows up here long before a user meets it.

    python bench/gallery_scale.py [--copies 1000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=1000)
    args = parser.parse_args()
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

"""What adding one article invalidates: validation graphs validated again, event IRIs moved.

Builds the first N of N + 1 generated articles (bench/generate_corpus.py) into a fresh
folder, then adds the last one and builds again, in this process with one worker, and
prints for the second build: how many validation graphs were validated again (new
entries of the validation cache), how many published mentions now refer to another event
IRI, how many event IRIs of the first release are neither an event nor dct:isReplacedBy
one in the second, how many articles the batch gate validated on their own (its exact
check failed), and both builds' seconds.

    python bench/incremental_churn.py GENERATED_DIR WORK_DIR [--extract-cache DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import pyoxigraph as ox

from pipeline import validate_batch
from pipeline.build import BuildOptions, build

NG = "https://w3id.org/newsgraph/ns#"
REPLACED_BY = "http://purl.org/dc/terms/isReplacedBy"


def event_of_mentions(out: Path) -> tuple[dict[str, str], set[str], dict[str, str]]:
    """Each event mention's event IRI, the event IRIs, and the retired IRIs' successors."""
    store = ox.Store.read_only(str(out / "current" / "store"))
    rows = store.query(f"SELECT ?m ?e WHERE {{ GRAPH ?g {{ ?m a <{NG}EventMention> ; <{NG}refersTo> ?e }} }}")
    mentions = {r["m"].value: r["e"].value for r in rows}
    events = {r["e"].value for r in store.query(f"SELECT ?e WHERE {{ GRAPH ?g {{ ?e a <{NG}Event> }} }}")}
    replaced = {r["o"].value: r["n"].value
                for r in store.query(f"SELECT ?o ?n WHERE {{ GRAPH ?g {{ ?o <{REPLACED_BY}> ?n }} }}")}
    return mentions, events, replaced


def cached(out: Path) -> set[str]:
    return {p.name for p in (out / "cache" / "validate").rglob("*.json")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("generated", type=Path)
    parser.add_argument("work", type=Path)
    parser.add_argument("--extract-cache", type=Path, help="extractions to start from (they do not change)")
    arguments = parser.parse_args()
    names = sorted(p.name for p in arguments.generated.glob("*.txt"))
    corpus, out = arguments.work / "corpus", arguments.work / "out"
    shutil.rmtree(arguments.work, ignore_errors=True)
    shutil.copytree(arguments.generated, corpus)
    (corpus / names[-1]).unlink()
    if arguments.extract_cache:
        shutil.copytree(arguments.extract_cache, out / "cache" / "extract")
    alone = []
    per_article = validate_batch.validate_graph

    def counting(graph, **options):
        alone.append(1)
        return per_article(graph, **options)

    validate_batch.validate_graph = counting
    started = time.perf_counter()
    build([corpus], out, BuildOptions(workers=1))
    full = time.perf_counter() - started
    alone_full = len(alone)
    alone.clear()
    before, validated = event_of_mentions(out), cached(out)
    shutil.copy(arguments.generated / names[-1], corpus / names[-1])  # metadata.json already lists it
    started = time.perf_counter()
    build([corpus], out, BuildOptions(workers=1))
    incremental = time.perf_counter() - started
    (mentions, events, _), (mentions2, events2, replaced2) = before, event_of_mentions(out)
    moved = sum(1 for m, e in mentions.items() if m in mentions2 and mentions2[m] != e)
    lost = sum(1 for e in events if e not in events2 and replaced2.get(e) not in events2)
    print(json.dumps({
        "articles": len(names) - 1,
        "validation graphs validated again": len(cached(out) - validated),
        "mentions whose event IRI moved": moved,
        "event IRIs of the first release not resolving to an event": lost,
        "event IRIs replaced (dct:isReplacedBy)": sum(1 for e in events if e in replaced2),
        "articles validated alone, full build": alone_full,
        "articles validated alone, one added": len(alone),
        "full build s": round(full, 1),
        "one added s": round(incremental, 1),
        "ratio": round(incremental / full, 3),
    }, indent=1))


if __name__ == "__main__":
    main()

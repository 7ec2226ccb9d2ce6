"""Incremental and distributed builds give exactly what a clean serial build gives."""

from __future__ import annotations

import json
import pickle
import shutil
import sys

import cloudpickle
import pyoxigraph
import pytest

from conftest import SEEDS, run_newsgraph
from pipeline import parallel
from pipeline.ingest import ingest
from pipeline.parallel import extract_corpus
from pipeline.publication import current
from pipeline.publish import firsts_path
from pipeline.reuse import manifest_path


def canonical_quads(out) -> list[str]:
    """Every quad of the publication's store, as sorted N-Quads lines (no blank nodes)."""
    return quads_of(current(out).store)


def quads_of(store_path) -> list[str]:
    store = pyoxigraph.Store.read_only(str(store_path))
    data = store.dump(format=pyoxigraph.RdfFormat.N_QUADS).decode("utf-8")
    return sorted(line for line in data.splitlines() if line)


def build(*args) -> str:
    result = run_newsgraph("build", *map(str, args))
    assert result.returncode == 0, result.stderr
    return result.stdout


def site_files(out) -> dict[str, bytes]:
    """The published site's files."""
    site = current(out).site
    return {str(p.relative_to(site)): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def test_rebuild_redoes_only_changed_articles_and_equals_a_clean_build(tmp_path, copy_of_seeds):
    """A rebuild equals one without any cache (the previous release's event keys still kept),
    whose publish draws every page and queries the whole store for the ontology's examples."""
    out, clean = tmp_path / "incremental", tmp_path / "clean"
    assert "(0 unchanged since the last build)" in build(copy_of_seeds, "--out", out)
    build(copy_of_seeds, "--out", clean)
    shutil.rmtree(clean / "cache")
    manifest_path(current(clean).site).unlink()
    firsts_path(current(clean).site).unlink()

    changed = copy_of_seeds / "002_c11a39ef1e7a73a7.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + "\nRebels captured the town of Rastan.\n",
                       encoding="utf-8")
    (copy_of_seeds / "003_241a784381566099.txt").unlink()
    shutil.copy(SEEDS / "003_241a784381566099.txt", copy_of_seeds / "005_new_article.txt")
    stdout = build(copy_of_seeds, "--out", out)
    assert "built 5 articles (3 unchanged since the last build)" in stdout

    build(copy_of_seeds, "--out", clean)
    incremental_quads = canonical_quads(out)
    assert incremental_quads == canonical_quads(clean)
    assert not any("003_241a784381566099" in quad for quad in incremental_quads)  # removed article is gone
    assert any("005_new_article" in quad for quad in incremental_quads)
    assert site_files(out) == site_files(clean)


def graphs_written(out) -> int:
    return json.loads((current(out).report / "build.json").read_text())["graphs_written"]


def test_a_rebuild_writes_into_the_store_only_the_graphs_that_changed(tmp_path, copy_of_seeds):
    """The new store starts as a checkpoint of the previous release's; that release is untouched."""
    out = tmp_path / "out"
    build(copy_of_seeds, "--out", out)
    first, first_quads = current(out), canonical_quads(out)
    assert graphs_written(out) == len(json.loads(first.graph_digests.read_text())) == 7  # 5 articles, resolved, ontology

    build(copy_of_seeds, "--out", out)
    assert current(out) != first and graphs_written(out) == 0
    assert canonical_quads(out) == first_quads

    (copy_of_seeds / "004_3d70aeb62e0a3269.txt").unlink()
    second = current(out)
    build(copy_of_seeds, "--out", out)
    assert 0 < graphs_written(out) < 7
    assert quads_of(second.store) == first_quads  # the store it started from is as it was
    incremental = canonical_quads(out)
    assert not any("004_3d70aeb62e0a3269" in quad for quad in incremental)  # its graph was dropped

    # A release without digests (built before releases kept them): every graph is written again,
    # into an empty store, and the same input (with the same event keys) gives the same quads.
    current(out).graph_digests.unlink()
    build(copy_of_seeds, "--out", out)
    assert graphs_written(out) == 6 and canonical_quads(out) == incremental
    assert canonical_quads(out) != first_quads


def test_a_moved_corpus_folder_is_neither_extracted_nor_mapped_again(tmp_path, copy_of_seeds):
    """Where the articles are read from is not what they are: the same files from another
    folder reuse every extraction and every article's mapping, and write no graph."""
    out = tmp_path / "out"
    build(copy_of_seeds, "--out", out)
    quads = canonical_quads(out)
    moved = copy_of_seeds.rename(tmp_path / "moved")
    assert "built 5 articles (5 unchanged since the last build)" in build(moved, "--out", out)
    report = json.loads((current(out).report / "build.json").read_text())
    assert (report["articles_mapped"], report["articles_reused"], report["graphs_written"]) == (0, 5, 0)
    assert canonical_quads(out) == quads


def test_building_with_workers_gives_the_serial_publication(tmp_path, built_seeds):
    """Mapping and validation in two forked processes (the seeds are one extraction batch,
    which is extracted in the build's own process rather than on a cluster started for it)."""
    out = tmp_path / "workers"
    build(SEEDS, "--out", out, "--workers", "2")
    assert canonical_quads(out) == canonical_quads(built_seeds)


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of two seeds, so that `workers=2` extracts on a local Dask cluster (counted)."""
    monkeypatch.setattr(parallel, "BATCH", 2)
    clusters = []
    on_dask = parallel._on_dask
    monkeypatch.setattr(parallel, "_on_dask", lambda *args: clusters.append(args) or on_dask(*args))
    return clusters


def test_a_local_dask_cluster_extracts_what_a_serial_run_does(small_batches):
    articles = ingest([SEEDS]).articles
    on_cluster = extract_corpus(articles, workers=2)
    assert len(small_batches) == 1
    assert on_cluster.extractions == extract_corpus(articles).extractions


def test_the_extraction_cache_is_one_file_that_keeps_only_the_articles_given(tmp_path):
    """A second run reads every extraction back from one file; an article gone from the inputs
    is dropped from it; a damaged file is a cache miss and is made anew, never an error."""
    articles = ingest([SEEDS]).articles
    cache = tmp_path / "extract"
    first = extract_corpus(articles, cache=cache)
    assert [p.name for p in cache.iterdir()] == [parallel.CACHE_FILE]
    again = extract_corpus(articles, cache=cache)
    assert (again.reused, again.computed) == (5, 0) and again.extractions == first.extractions

    fewer = extract_corpus(articles[1:], cache=cache)
    assert (fewer.reused, fewer.computed) == (4, 0)
    assert extract_corpus(articles, cache=cache).computed == 1  # the dropped one is extracted again

    (cache / parallel.CACHE_FILE).write_bytes(b"not a database" * 100)
    damaged = extract_corpus(articles, cache=cache)
    assert (damaged.reused, damaged.computed) == (0, 5) and damaged.extractions == first.extractions
    assert extract_corpus(articles, cache=cache).reused == 5


def test_the_file_per_article_cache_of_earlier_versions_is_taken_in(tmp_path):
    """Upgrading keeps the extractions: each pickle of (fingerprint, extraction) moves into the file."""
    articles = ingest([SEEDS]).articles
    first = extract_corpus(articles)
    cache = tmp_path / "extract"
    cache.mkdir()
    for extraction in first.extractions:
        pickled = pickle.dumps((parallel.extractor_fingerprint(), extraction))
        (cache / f"{extraction.article.id}.pickle").write_bytes(pickled)
    (cache / "broken.pickle").write_bytes(b"not a pickle")
    again = extract_corpus(articles, cache=cache)
    assert (again.reused, again.computed) == (5, 0) and again.extractions == first.extractions
    assert [p.name for p in cache.iterdir()] == [parallel.CACHE_FILE]


def fails_on_one_article(article, doc):
    """A reader that breaks on one article of a batch, to show a bad article fails alone."""
    from pipeline.extract import read_doc

    if article.id.startswith("002"):
        raise ValueError("cannot read this one")
    return read_doc(article, doc)


@pytest.mark.parametrize("workers", [0, 2])
def test_a_failing_article_fails_alone(workers, small_batches):
    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # so Dask workers can run it
    articles = ingest([SEEDS]).articles
    result = extract_corpus(articles, workers=workers, reader=fails_on_one_article)
    assert len(small_batches) == (1 if workers else 0)
    assert [x.article.id[:3] for x in result.extractions] == ["000", "001", "003", "004"]
    [failure] = result.failures
    assert failure.path.endswith("002_c11a39ef1e7a73a7.txt")
    assert failure.problem == "extraction failed: ValueError: cannot read this one"


def test_an_article_too_long_to_parse_fails_alone(monkeypatch):
    """spaCy refuses a text over nlp.max_length for the whole nlp.pipe batch; only that article fails."""
    from pipeline.extract import load_nlp

    articles = ingest([SEEDS]).articles
    longest = max(articles, key=lambda a: len(a.prose))
    monkeypatch.setattr(load_nlp(), "max_length", len(longest.prose) - 1)
    result = extract_corpus(articles)
    assert len(result.extractions) == len(articles) - 1
    [failure] = result.failures
    assert failure.path == longest.path
    assert failure.problem.startswith("extraction failed: ValueError: [E088]")


def test_event_iris_stay_when_an_article_is_added(tmp_path, copy_of_seeds):
    """Built without the first seed, then with it: every mention published before refers to the
    event IRI it referred to (a build from scratch gives some of them other IRIs), and every
    event IRI published before is still an event's."""
    first = copy_of_seeds / "000_dcf614000738ace4.txt"
    kept = tmp_path / "000_dcf614000738ace4.txt"
    shutil.move(first, kept)
    out = tmp_path / "out"
    build(copy_of_seeds, "--out", out)
    mentions, events = event_iris(out)
    shutil.move(kept, first)
    build(copy_of_seeds, "--out", out)
    mentions_after, events_after = event_iris(out)
    assert {m: mentions_after[m] for m in mentions} == mentions
    assert events <= events_after
    scratch = tmp_path / "scratch"
    build(copy_of_seeds, "--out", scratch)
    assert {m: e for m, e in event_iris(scratch)[0].items() if m in mentions} != mentions


def event_iris(out) -> tuple[dict[str, str], set[str]]:
    """Each event mention's event IRI, and the event IRIs, of the publication in OUT."""
    store = pyoxigraph.Store.read_only(str(current(out).store))
    ng = "https://w3id.org/newsgraph/ns#"
    rows = store.query(f"SELECT ?m ?e WHERE {{ GRAPH ?g {{ ?m a <{ng}EventMention> ; <{ng}refersTo> ?e }} }}")
    mentions = {r["m"].value: r["e"].value for r in rows}
    return mentions, {r["e"].value for r in store.query(f"SELECT ?e WHERE {{ GRAPH ?g {{ ?e a <{ng}Event> }} }}")}

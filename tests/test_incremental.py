"""Incremental and distributed builds give exactly what a clean serial build gives."""

from __future__ import annotations

import shutil
import sys

import cloudpickle
import pyoxigraph
import pytest

from conftest import SEEDS, run_newsgraph
from pipeline.ingest import ingest
from pipeline.parallel import extract_corpus
from pipeline.publication import current


def canonical_quads(out) -> list[str]:
    """Every quad of the publication's store, as sorted N-Quads lines (no blank nodes)."""
    store = pyoxigraph.Store.read_only(str(current(out).store))
    data = store.dump(format=pyoxigraph.RdfFormat.N_QUADS).decode("utf-8")
    return sorted(line for line in data.splitlines() if line)


def build(*args) -> str:
    result = run_newsgraph("build", *map(str, args))
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_rebuild_redoes_only_changed_articles_and_equals_a_clean_build(tmp_path, copy_of_seeds):
    """A rebuild equals one without any cache (the previous release's event keys still kept)."""
    out, clean = tmp_path / "incremental", tmp_path / "clean"
    assert "(0 unchanged since the last build)" in build(copy_of_seeds, "--out", out)
    build(copy_of_seeds, "--out", clean)
    shutil.rmtree(clean / "cache")

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


def test_local_dask_cluster_gives_the_serial_publication(tmp_path, built_seeds):
    """Extraction on Dask, then mapping and validation in two forked processes."""
    out = tmp_path / "dask"
    build(SEEDS, "--out", out, "--workers", "2")
    assert canonical_quads(out) == canonical_quads(built_seeds)


def fails_on_one_article(article, doc):
    """A reader that breaks on one article of a batch, to show a bad article fails alone."""
    from pipeline.extract import read_doc

    if article.id.startswith("002"):
        raise ValueError("cannot read this one")
    return read_doc(article, doc)


@pytest.mark.parametrize("workers", [0, 2])
def test_a_failing_article_fails_alone(workers):
    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # so Dask workers can run it
    articles = ingest([SEEDS]).articles
    result = extract_corpus(articles, workers=workers, reader=fails_on_one_article)
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

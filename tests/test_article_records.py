"""A rebuild maps and validates only the articles whose inputs changed, and publishes what
mapping every article publishes (pipeline/article_records.py).

Real builds of three short articles: "a" and "c" report the same capture of Rastan (one
event; "c" adds Hayat Tahrir al-Sham as a participant), "b" something else. Each build
into OUT is checked against the same build into REF with the records, clustering and caches
removed first (so every article is clustered, mapped and validated there, with the same
event-key history).
"""

from __future__ import annotations

import filecmp
import json
import shutil
import sqlite3
import zlib
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox
import pytest

from pipeline import article_records, dumps, store
from pipeline.build import BuildOptions, build
from pipeline.extract import extract
from pipeline.parallel import ExtractionCache
from pipeline.publication import current
from pipeline.vocab import DEFAULT_BASE as BASE_IRI
from test_incremental import canonical_quads
from test_link import article

TEXTS = {
    "a.txt": ("Rebels take Rastan", "Rebels captured the town of Rastan after two days of clashes with government "
                                    "forces, the Syrian Observatory for Human Rights said."),
    "b.txt": ("Hezbollah leaves Qusayr", "Hezbollah withdrew from Qusayr on Friday, according to Reuters."),
    "c.txt": ("HTS in Rastan", "Hayat Tahrir al-Sham captured the town of Rastan after two days of clashes with "
                               "government forces, the Syrian Observatory for Human Rights said."),
}


def write_corpus(folder: Path, names: list[str], urls: dict[str, str] | None = None, edited: str = "") -> None:
    """The articles `names` (and no other) in `folder`, dated the same day by their metadata;
    the one named `edited` with a title of its own."""
    for stale in folder.glob("*.txt"):
        stale.unlink()
    metadata = {}
    for name in names:
        title, text = TEXTS[name]
        (folder / name).write_text(text + "\n", encoding="utf-8")
        metadata[name] = {"title": title + (" (updated)" if name == edited else ""), "date": "2024-12-06",
                          "outlet": "Reuters",
                          **({"url": urls[name]} if urls and name in urls else {})}
    (folder / "metadata.json").write_text(json.dumps(metadata), encoding="utf-8")


def counts(out: Path) -> tuple[int, int]:
    """(articles mapped, articles reused) by the last build into OUT."""
    report = json.loads((current(out).report / "build.json").read_text())
    return report["articles_mapped"], report["articles_reused"]


def records(out: Path) -> dict:
    """The release's article records: every row, the validations unzipped (beside their digests)."""
    with closing(sqlite3.connect(current(out).article_records)) as db:
        tables = {table: db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
                  for table in ("shared", "node", "article")}
    tables["article"] = [(*row[:-2], json.loads(zlib.decompress(row[-2])), row[-1]) for row in tables["article"]]
    return tables


def assert_same_release(out: Path, ref: Path) -> None:
    assert canonical_quads(out) == canonical_quads(ref)
    mine, theirs = current(out), current(ref)
    for name in ("graphs.json", "event-keys.json", "clustering.json", "report/validation.txt", "report/validation.ttl"):
        assert (mine.root / name).read_text() == (theirs.root / name).read_text(), name
    assert records(out) == records(ref)
    comparison = filecmp.dircmp(mine.site, theirs.site)
    assert_same_tree(comparison)


def assert_same_tree(comparison: filecmp.dircmp) -> None:
    """Every site file equal."""
    assert not comparison.left_only and not comparison.right_only
    _, mismatch, errors = filecmp.cmpfiles(comparison.left, comparison.right, comparison.common_files, shallow=False)
    assert not mismatch and not errors, mismatch
    for sub in comparison.subdirs.values():
        assert_same_tree(sub)


@pytest.fixture
def folders(tmp_path) -> tuple[Path, Path, Path]:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    return corpus, tmp_path / "out", tmp_path / "ref"


def build_both(corpus: Path, out: Path, ref: Path, workers: int = 0) -> tuple[int, int]:
    """Build into OUT (reusing what it can, with `workers` processes) and into REF (mapping
    everything, in this process); the counts of OUT."""
    build([corpus], out, BuildOptions(workers=workers))
    if (ref / "current").is_dir():
        current(ref).article_records.unlink()
        current(ref).clustering.unlink()  # every article clustered
    shutil.rmtree(ref / "cache", ignore_errors=True)
    build([corpus], ref, BuildOptions())
    assert counts(ref)[1] == 0
    assert_same_release(out, ref)
    return counts(out)


@pytest.mark.parametrize("workers", [0, 2])  # with 2, the resolved graph's digests are made in a process of their own
def test_only_articles_whose_inputs_changed_are_mapped_again(folders, workers):
    corpus, out, ref = folders
    write_corpus(corpus, ["a.txt", "b.txt"])
    assert build_both(corpus, out, ref, workers) == (2, 0)
    assert build_both(corpus, out, ref, workers) == (0, 2)  # nothing changed

    # c is added, and its participant joins the event a mentions: a's validation graph differs
    write_corpus(corpus, ["a.txt", "b.txt", "c.txt"])
    assert build_both(corpus, out, ref, workers) == (2, 1)

    write_corpus(corpus, ["a.txt", "b.txt", "c.txt"], edited="b.txt")  # an edit of b alone
    assert build_both(corpus, out, ref, workers) == (1, 2)

    # c removed: the event loses its participant, so a is mapped again; b is as it was
    write_corpus(corpus, ["a.txt", "b.txt"], edited="b.txt")
    assert build_both(corpus, out, ref, workers) == (1, 1)


def test_a_quarantined_article_has_the_rest_mapped_again(folders):
    """The relink after a quarantine starts from an emptied store: nothing can be kept from it."""
    corpus, out, ref = folders
    write_corpus(corpus, ["a.txt", "b.txt"])
    build_both(corpus, out, ref)
    write_corpus(corpus, ["a.txt", "b.txt", "c.txt"], urls={"c.txt": "ftp://example.org/c"})
    # first pass: a and c mapped, b reused; c fails; second pass: a and b mapped into the empty store
    assert build_both(corpus, out, ref) == (4, 1)
    assert json.loads((current(out).report / "build.json").read_text())["quarantined"] == ["c"]
    write_corpus(corpus, ["a.txt", "b.txt", "c.txt"])
    assert build_both(corpus, out, ref) == (2, 1)


def rebuild(corpus: Path, out: Path) -> tuple[int, int]:
    build([corpus], out, BuildOptions())
    return counts(out)


def test_another_fingerprint_or_unreadable_records_map_every_article(folders, monkeypatch):
    corpus, out, _ = folders
    write_corpus(corpus, ["a.txt", "b.txt"])
    assert rebuild(corpus, out) == (2, 0)
    assert rebuild(corpus, out) == (0, 2)
    fingerprint = article_records.fingerprint
    monkeypatch.setattr(article_records, "fingerprint", lambda base: fingerprint(base) + "-changed code")
    assert rebuild(corpus, out) == (2, 0)
    assert rebuild(corpus, out) == (0, 2)
    current(out).article_records.write_text('{"fingerprint": ', encoding="utf-8")
    assert rebuild(corpus, out) == (2, 0)
    with closing(sqlite3.connect(current(out).article_records)) as db:
        validation = json.loads(zlib.decompress(db.execute("SELECT validation FROM article WHERE id = 'a'").fetchone()[0]))
        validation["report"] = "<not> N-Triples"
        db.execute("UPDATE article SET validation = ? WHERE id = 'a'", (zlib.compress(json.dumps(validation).encode()),))
        db.commit()
    assert rebuild(corpus, out) == (2, 0)
    current(out).article_records.unlink()
    assert rebuild(corpus, out) == (2, 0)


def test_the_digests_process_is_given_the_nodes_the_records_name(folders):
    """What the records are compared by; none from records of another fingerprint, or none."""
    corpus, out, _ = folders
    write_corpus(corpus, ["a.txt", "b.txt"])
    rebuild(corpus, out)
    path, fingerprint = current(out).article_records, article_records.fingerprint(BASE_IRI)
    named = {node for record in article_records.Records.read(path, fingerprint).articles.values()
             for node in record.nodes}
    assert named and set(article_records.Records.nodes_of(path, fingerprint)) == named
    assert article_records.Records.nodes_of(path, "another") == []
    assert article_records.Records.nodes_of(path.with_name("missing.sqlite"), fingerprint) == []


def test_an_extraction_as_cached_is_known_by_its_cache_row_else_by_its_value(tmp_path):
    extraction = extract(article("a", TEXTS["a.txt"][1]))
    cache = ExtractionCache(tmp_path)
    cache.write([extraction], "extractor", {"a"})
    written = cache.digests["a"]
    cache.close()
    cache = ExtractionCache(tmp_path)
    (read,) = cache.read([extraction.article], "extractor").values()
    assert read == extraction and cache.digests["a"] == written

    keys = ["event-1"] * len(extraction.events)
    as_cached = article_records.mapping_inputs(read, keys, written)
    assert as_cached == article_records.mapping_inputs(extraction, keys, written)
    assert as_cached != article_records.mapping_inputs(read, keys)  # a value made otherwise: mapped again
    assert article_records.mapping_inputs(read, keys) == article_records.mapping_inputs(extraction, keys)
    assert as_cached != article_records.mapping_inputs(read, ["event-2"] * len(keys), written)
    redated = replace(read, article=replace(read.article, date=read.article.date.replace(day=1)))
    assert article_records.mapping_inputs(redated, keys) != article_records.mapping_inputs(read, keys)


def test_the_dumps_cut_from_the_graph_the_store_writer_kept_are_those_of_the_store(folders, monkeypatch):
    """A large graph's dumps are cut from the N-Triples the build's store writer kept of it (here
    every graph is large and kept): the same bytes as the store's graphs give."""
    monkeypatch.setattr(store, "KEEP_BYTES", 1)
    monkeypatch.setattr(dumps, "SPLIT_LINES", 40)
    monkeypatch.setattr(dumps, "PART_LINES", 10)
    cut_from = []
    source = dumps._source
    monkeypatch.setattr(dumps, "_source", lambda *args: cut_from.append(found := source(*args)) or found)
    corpus, out, _ = folders
    write_corpus(corpus, ["a.txt", "b.txt"])
    build([corpus], out, BuildOptions())
    write_corpus(corpus, ["a.txt", "b.txt", "c.txt"])
    build([corpus], out, BuildOptions())
    digests = json.loads(current(out).graph_digests.read_text())
    resolved = next(name for name in digests if name.endswith("/graph/resolved"))
    assert store.kept_file(out / "cache" / "graphs", digests[resolved]) in cut_from
    stored = ox.Store.read_only(str(current(out).store))
    dumps.write_dumps(stored, out / "from-store")
    for form in dumps.FORMATS:
        assert (current(out).site / "downloads" / form.file).read_bytes() == (out / "from-store" / form.file).read_bytes()


def test_reports_that_fail_in_their_own_process_fail_the_build_and_keep_the_release(folders, monkeypatch):
    """With several processes the validation reports are written by a forked one while the site is
    published: what it raises is the build's, and the current release stays as it was."""
    corpus, out, _ = folders
    write_corpus(corpus, ["a.txt", "b.txt"])
    build([corpus], out, BuildOptions(workers=2))
    before = current(out).root
    report = (current(out).site / "report.html").read_text(encoding="utf-8")
    assert "2 article graphs" in (current(out).report / "validation.txt").read_text(encoding="utf-8")

    def failing(*args):
        raise RuntimeError("the reports could not be written")

    monkeypatch.setattr("pipeline.build.write_reports", failing)  # the forked process has it too
    write_corpus(corpus, ["a.txt"])
    with pytest.raises(RuntimeError, match="the reports could not be written"):
        build([corpus], out, BuildOptions(workers=2))
    assert current(out).root == before
    assert (current(out).site / "report.html").read_text(encoding="utf-8") == report


def test_a_publish_that_fails_beside_the_reports_process_leaves_no_release_behind(folders, monkeypatch):
    """The reports' process is waited for before the failed release is removed, so that nothing
    writes into it once it is gone; the error is the publish's."""
    corpus, out, _ = folders
    write_corpus(corpus, ["a.txt", "b.txt"])
    build([corpus], out, BuildOptions(workers=2))
    before = current(out).root

    def failing(*args, **kwargs):
        raise RuntimeError("the site could not be published")

    monkeypatch.setattr("pipeline.build.publish", failing)
    write_corpus(corpus, ["a.txt"])
    with pytest.raises(RuntimeError, match="the site could not be published"):
        build([corpus], out, BuildOptions(workers=2))
    assert current(out).root == before
    assert sorted(path.name for path in before.parent.iterdir()) == [before.name]

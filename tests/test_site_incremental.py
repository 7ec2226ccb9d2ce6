"""Publishing with the previous release's site reuses unchanged pages and equals a full publish,
and publishing in several worker processes equals publishing in one."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from pipeline.publish import publish
from pipeline.reuse import changed_keys
from test_site_sample import BASE, sample_quads

ADDED = "002-hostile"  # the article the earlier release did not have
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
HAMA = ox.NamedNode(f"{BASE}id/place/hama")


def files(site: Path) -> dict[str, bytes]:
    return {str(p.relative_to(site)): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def release(folder: Path, quads) -> tuple[ox.Store, Path]:
    """A release as the build lays it out: the store in `folder`/store, its site to be in `folder`/site."""
    folder.mkdir(parents=True)
    store = ox.Store(str(folder / "store"))
    store.extend(quads)
    store.flush()
    return store, folder / "site"


def without_article(article: str) -> list[ox.Quad]:
    return [q for q in sample_quads() if q.graph_name != ox.NamedNode(f"{BASE}graph/article/{article}")]


def published(folder: Path, quads, previous: Path | None = None, workers: int = 1, **options):
    store, site = release(folder, quads)
    return publish(store, site, BASE, previous=previous, workers=workers, **options)


def test_adding_an_article_redraws_only_what_it_touches_and_equals_a_full_publish(tmp_path):
    earlier = published(tmp_path / "earlier", without_article(ADDED))
    assert earlier.reused == 0
    incremental = published(tmp_path / "incremental", sample_quads(), previous=tmp_path / "earlier" / "site")
    full = published(tmp_path / "full", sample_quads())

    assert files(tmp_path / "incremental" / "site") == files(tmp_path / "full" / "site")
    assert incremental.pages == full.pages and incremental.documents == full.documents
    assert 0 < incremental.reused and incremental.rendered < full.rendered == full.pages
    # A page the new article does not touch is the earlier file itself; one it mentions was redrawn.
    untouched, touched = "id/place/hama.html", f"id/article/{ADDED}.html"
    assert (tmp_path / "incremental/site" / untouched).samefile(tmp_path / "earlier/site" / untouched)
    assert not (tmp_path / "earlier/site" / touched).exists()


def test_every_resource_page_is_reused_unless_what_all_pages_show_changed(tmp_path):
    earlier = published(tmp_path / "earlier", sample_quads())
    again = published(tmp_path / "same", sample_quads(), previous=tmp_path / "earlier" / "site")
    assert files(tmp_path / "same" / "site") == files(tmp_path / "earlier" / "site")
    resource_pages = sum(1 for kind in ("actor", "place", "event", "article")
                         for _ in (tmp_path / "earlier/site/id" / kind).glob("*.html"))
    assert again.reused == resource_pages and again.pages == earlier.pages
    # The dataset description (here: whether there is a report to link) is on every page.
    with_report = published(tmp_path / "report", sample_quads(), previous=tmp_path / "earlier" / "site",
                            report=True)
    assert with_report.reused == 0


def test_a_changed_label_redraws_every_page_showing_it_and_equals_a_full_publish(tmp_path):
    published(tmp_path / "earlier", sample_quads())
    renamed = [ox.Quad(q.subject, q.predicate, ox.Literal("Hamah", language="en"), q.graph_name)
               if q.subject == HAMA and q.predicate == RDFS_LABEL else q for q in sample_quads()]
    incremental = published(tmp_path / "incremental", renamed, previous=tmp_path / "earlier" / "site")
    full = published(tmp_path / "full", renamed)
    assert files(tmp_path / "incremental" / "site") == files(tmp_path / "full" / "site")
    assert 0 < incremental.reused < incremental.pages
    site = tmp_path / "incremental" / "site"
    assert "Hamah" in (site / "id/place/hama.html").read_text()
    assert not (site / "id/place/hama.html").samefile(tmp_path / "earlier/site/id/place/hama.html")
    event = site / "id/event/2024-12-05-attack-hama.html"
    assert "Hamah" in event.read_text()
    assert not event.samefile(tmp_path / "earlier/site/id/event/2024-12-05-attack-hama.html")


def test_a_page_whose_files_the_previous_site_lost_is_drawn_again_and_the_lost_one_stays_lost(tmp_path):
    """Taking a page links its three files; when one is gone, the ones linked are taken back
    and the page is drawn, into new files (writing through a link would change the earlier site)."""
    published(tmp_path / "earlier", sample_quads())
    earlier = tmp_path / "earlier/site"
    kept = {name: (earlier / f"id/place/hama{name}").read_bytes() for name in (".html", ".jsonld")}
    (earlier / "id/place/hama.ttl").unlink()
    again = published(tmp_path / "again", sample_quads(), previous=earlier)
    published(tmp_path / "full", sample_quads())
    assert files(tmp_path / "again" / "site") == files(tmp_path / "full" / "site")
    resource_pages = sum(1 for kind in ("actor", "place", "event", "article") for _ in (earlier / "id" / kind).glob("*.html"))
    assert again.reused == resource_pages - 1
    for name, content in kept.items():
        drawn = tmp_path / f"again/site/id/place/hama{name}"
        assert not drawn.samefile(earlier / f"id/place/hama{name}")
        assert (earlier / f"id/place/hama{name}").read_bytes() == content
    assert not (earlier / "id/place/hama.ttl").exists()


def test_only_triples_that_change_the_union_of_graphs_count_as_changed(tmp_path):
    old, _ = release(tmp_path / "old", sample_quads())
    label = next(q for q in sample_quads() if q.subject == HAMA and q.predicate == RDFS_LABEL)
    # The same triple once more, in a graph of its own: the union, and so every page, is the same.
    copied, _ = release(tmp_path / "copied", [*sample_quads(), ox.Quad(*label.triple, ox.NamedNode(f"{BASE}graph/x"))])
    assert changed_keys(old, copied) == frozenset()
    dropped, _ = release(tmp_path / "dropped", [q for q in sample_quads() if q.triple != label.triple])
    keys = changed_keys(old, dropped)
    assert {(HAMA.value, None, None), (HAMA.value, RDFS_LABEL.value, None), (None, RDFS_LABEL.value, None),
            (None, None, None)} <= keys
    assert all(key[2] is None for key in keys)  # the object, a literal, is in no recorded lookup
    assert (f"{BASE}id/place/homs", None, None) not in keys
    # Told which graph changed (the build knows by digests), it reads that graph alone, same answer.
    assert changed_keys(old, dropped, {label.graph_name.value}) == keys
    assert changed_keys(old, dropped, set()) == frozenset()


def test_publishing_in_worker_processes_equals_publishing_in_one(tmp_path):
    one = published(tmp_path / "one", sample_quads(), report=True)
    two = published(tmp_path / "two", sample_quads(), workers=2, report=True)
    assert files(tmp_path / "two" / "site") == files(tmp_path / "one" / "site")
    assert (two.pages, two.documents, two.dumps, two.problems) == (one.pages, one.documents, one.dumps,
                                                                   one.problems)
    manifests = [tmp_path / name / "site.pages.sqlite" for name in ("one", "two")]
    assert manifests[0].read_bytes() == manifests[1].read_bytes()


def test_an_incremental_publish_in_worker_processes_equals_a_full_one(tmp_path):
    published(tmp_path / "earlier", without_article(ADDED), workers=2)
    incremental = published(tmp_path / "incremental", sample_quads(), previous=tmp_path / "earlier" / "site",
                            workers=2)
    published(tmp_path / "full", sample_quads())
    assert files(tmp_path / "incremental" / "site") == files(tmp_path / "full" / "site")
    assert 0 < incremental.reused < incremental.pages


def test_a_changed_mention_redraws_the_article_page_that_links_it(tmp_path):
    """An article page reads its mentions' offsets, kind and target by lookups of their own
    (not all of each mention's statements): a change to any of them still redraws it."""
    published(tmp_path / "earlier", sample_quads())
    mention = ox.NamedNode(f"{BASE}id/mention/000-reuters/25-67")
    typed = ox.Triple(mention, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                      ox.NamedNode("https://w3id.org/newsgraph/ns#EventMention"))
    untyped = [q for q in sample_quads() if q.triple != typed]
    incremental = published(tmp_path / "incremental", untyped, previous=tmp_path / "earlier" / "site")
    published(tmp_path / "full", untyped)
    assert files(tmp_path / "incremental" / "site") == files(tmp_path / "full" / "site")
    assert 0 < incremental.reused < incremental.pages
    page = "id/article/000-reuters.html"
    assert not (tmp_path / "incremental/site" / page).samefile(tmp_path / "earlier/site" / page)
    assert (tmp_path / "incremental/site" / page).read_bytes() != (tmp_path / "earlier/site" / page).read_bytes()


def test_an_entity_page_read_by_batched_queries_is_redrawn_when_what_they_read_changes(tmp_path):
    """An entity page finds its events and their dates, and reads its mentions' sentences, by
    queries rather than lookups (views.Views._dated_events, siteread.Reader.values_of), recorded
    as the lookups they replace: a changed date, or a changed sentence, still redraws it."""
    published(tmp_path / "earlier", sample_quads())
    ng = "https://w3id.org/newsgraph/ns#"
    has_mention, sentence, date = (ox.NamedNode(ng + name) for name in ("hasMention", "sentence", "date"))
    event = ox.NamedNode(f"{BASE}id/event/2024-12-05-attack-hama")
    mentions = {q.object for q in sample_quads() if q.subject == HAMA and q.predicate == has_mention}
    assert any(q.subject in mentions and q.predicate == sentence for q in sample_quads())
    assert any(q.subject == event and q.predicate == date for q in sample_quads())
    for changed, what in [(lambda q: q.subject == event and q.predicate == date, ox.Literal("2024-11-30")),
                          (lambda q: q.subject in mentions and q.predicate == sentence, ox.Literal("Said of Hama."))]:
        quads = [ox.Quad(q.subject, q.predicate, what, q.graph_name) if changed(q) else q for q in sample_quads()]
        name = what.value.replace(" ", "-").rstrip(".")
        incremental = published(tmp_path / f"incremental-{name}", quads, previous=tmp_path / "earlier" / "site")
        published(tmp_path / f"full-{name}", quads)
        site = tmp_path / f"incremental-{name}" / "site"
        assert files(site) == files(tmp_path / f"full-{name}" / "site")
        assert 0 < incremental.reused < incremental.pages
        page, before = site / "id/place/hama.html", tmp_path / "earlier/site/id/place/hama.html"
        assert not page.samefile(before) and page.read_bytes() != before.read_bytes()

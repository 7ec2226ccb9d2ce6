"""Publishing with the previous release's site reuses unchanged pages and equals a full publish."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from pipeline.publish import publish
from test_site_sample import BASE, sample_store

ADDED = "002-hostile"  # the article the earlier release did not have


def files(site: Path) -> dict[str, bytes]:
    return {str(p.relative_to(site)): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def without_article(article: str) -> ox.Store:
    store = sample_store()
    store.remove_graph(ox.NamedNode(f"{BASE}graph/article/{article}"))
    return store


def test_adding_an_article_redraws_only_what_it_touches_and_equals_a_full_publish(tmp_path):
    earlier = publish(without_article(ADDED), tmp_path / "earlier" / "site", BASE)
    assert earlier.reused == 0
    store = sample_store()
    incremental = publish(store, tmp_path / "incremental" / "site", BASE, previous=tmp_path / "earlier" / "site")
    full = publish(store, tmp_path / "full" / "site", BASE)

    assert files(tmp_path / "incremental" / "site") == files(tmp_path / "full" / "site")
    assert incremental.pages == full.pages and incremental.documents == full.documents
    assert 0 < incremental.reused and incremental.rendered < full.rendered == full.pages
    # A page the new article does not touch is the earlier file itself; one it mentions was redrawn.
    untouched, touched = "id/place/hama.html", f"id/article/{ADDED}.html"
    assert (tmp_path / "incremental/site" / untouched).samefile(tmp_path / "earlier/site" / untouched)
    assert not (tmp_path / "earlier/site" / touched).exists()


def test_every_resource_page_is_reused_unless_what_all_pages_show_changed(tmp_path):
    store = sample_store()
    earlier = publish(store, tmp_path / "earlier" / "site", BASE)
    again = publish(store, tmp_path / "same" / "site", BASE, previous=tmp_path / "earlier" / "site")
    assert files(tmp_path / "same" / "site") == files(tmp_path / "earlier" / "site")
    resource_pages = sum(1 for kind in ("actor", "place", "event", "article")
                         for _ in (tmp_path / "earlier/site/id" / kind).glob("*.html"))
    assert again.reused == resource_pages and again.pages == earlier.pages
    # The dataset description (here: whether there is a report to link) is on every page.
    with_report = publish(store, tmp_path / "report" / "site", BASE, previous=tmp_path / "earlier" / "site",
                          report_html="<!DOCTYPE html><title>r</title><p>ok</p>")
    assert with_report.reused == 0

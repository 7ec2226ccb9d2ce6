"""The query page in a real browser (Debian's Chromium driven by Playwright).

It must work offline: every request the page makes goes to our own server. The
gallery opens and runs its queries, result IRIs link to the entity pages, every
format can be downloaded, and a bookmarked query URL reopens and reruns the query.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlencode

import pytest

import conftest
from conftest import Server
from endpoint_support import SAMPLE, make_publication

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path(__file__).resolve().parent.parent / "test-output" / "query-page"
BASE = "http://127.0.0.1:5000/"
ROW_CAP = 50

pytestmark = pytest.mark.skipif(not shutil.which(CHROMIUM), reason="needs Debian's chromium")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = Server(make_publication(tmp_path_factory.mktemp("page"), SAMPLE), "--row-cap", str(ROW_CAP))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


class Watched:
    """A fresh page that records every request it makes and every error it meets."""

    def __init__(self, browser, server):
        self.context = browser.new_context(viewport={"width": 1300, "height": 1000})
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.problems: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        self.page.on("pageerror", lambda e: self.problems.append(f"script error: {e}"))
        self.page.on("requestfailed", lambda r: self.problems.append(f"request failed: {r.url}"))
        self.page.on("response", lambda r: r.status >= 400 and self.problems.append(f"{r.status}: {r.url}"))
        self.server = server

    def outside(self) -> list[str]:
        return [url for url in self.requests
                if not url.startswith((self.server.url + "/", "data:", "blob:"))]

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def tab(browser, server):
    watched = Watched(browser, server)
    yield watched
    watched.close()


def test_gallery_query_runs_and_links_entities_offline(tab, server):
    page = tab.page
    page.goto(server.url + "/sparql")
    page.locator(".yasqe .CodeMirror").first.wait_for()
    assert "PREFIX ng: <https://w3id.org/newsgraph/ns#>" in page.evaluate(
        "document.querySelector('.yasqe .CodeMirror').CodeMirror.getValue()")
    assert page.locator("#examples button").count() >= 10

    page.locator("#examples button[data-example='01-places-changed-hands']").click()
    cell = page.locator(".yasr table a[href='%sid/place/homs']" % BASE).first
    cell.wait_for(timeout=20_000)
    tab.shot("gallery-places-changed-hands")

    downloads = page.locator("#downloads a[data-format]")
    assert [downloads.nth(i).get_attribute("data-format") for i in range(downloads.count())] == [
        "json", "xml", "csv", "tsv"]
    csv = page.request.get(page.locator("#downloads a[data-format='csv']").get_attribute("href"))
    assert csv.headers["content-type"].startswith("text/csv") and "Homs" in csv.text()
    permalink = page.locator("#permalink").get_attribute("href")
    assert permalink.startswith(server.url + "/sparql?query=")
    assert tab.outside() == [] and tab.problems == []


def test_bookmarked_construct_reruns_and_offers_graph_formats(tab, server):
    query = ("PREFIX ng: <https://w3id.org/newsgraph/ns#>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
             "CONSTRUCT { ?e rdfs:label ?l } WHERE { ?e a ng:Event ; rdfs:label ?l }")
    page = tab.page
    page.goto(server.url + "/sparql?" + urlencode({"query": query}))
    page.locator("#downloads a[data-format='turtle']").wait_for(timeout=20_000)
    formats = page.locator("#downloads a[data-format]")
    assert [formats.nth(i).get_attribute("data-format") for i in range(formats.count())] == [
        "turtle", "ntriples", "jsonld", "rdfxml"]
    for name, media_type in [("turtle", "text/turtle"), ("jsonld", "application/ld+json"),
                             ("rdfxml", "application/rdf+xml"), ("ntriples", "application/n-triples")]:
        response = page.request.get(page.locator(f"#downloads a[data-format='{name}']").get_attribute("href"))
        assert response.headers["content-type"].startswith(media_type)
        assert "TakeControl: Homs, 2024-12-07" in response.text()
    tab.shot("bookmarked-construct")
    assert tab.outside() == [] and tab.problems == []


def test_row_cap_is_shown_when_it_bites(tab, server):
    page = tab.page
    page.goto(server.url + "/sparql?" + urlencode({"query": "SELECT * WHERE { ?s ?p ?o }"}))
    status = page.locator("#status.warning")
    status.wait_for(timeout=20_000)
    assert f"row cap of {ROW_CAP} rows" in status.inner_text()
    assert tab.outside() == []


def test_our_prefixes_are_offered_while_typing(tab, server):
    page = tab.page
    page.goto(server.url + "/sparql")
    page.locator(".yasqe .CodeMirror").first.wait_for()
    page.evaluate("document.querySelector('.yasqe .CodeMirror').CodeMirror.setValue('')")
    page.locator(".yasqe .CodeMirror textarea").first.focus()
    page.keyboard.type("PREFIX ngt")
    expected = "ngt: <https://w3id.org/newsgraph/event-type/>"
    # The list is drawn again as the hints update: items are read all at once, once ours is
    # there, not one by one by position (an item gone by then was waited for 30 s: seen in CI).
    page.wait_for_function("text => [...document.querySelectorAll('.CodeMirror-hints li')]"
                           ".some(item => item.innerText === text)", arg=expected, timeout=10_000)
    assert expected in page.locator(".CodeMirror-hints li").all_inner_texts()
    assert tab.outside() == []


def test_a_hostile_bookmark_stays_text(tab, server):
    query = "ASK {} # </script><script>alert(1)</script><!-- <img src=x onerror=alert(2)>"
    dialogs = []
    tab.page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    tab.page.goto(server.url + "/sparql?" + urlencode({"query": query}))
    tab.page.locator("#downloads a[data-format='json']").wait_for(timeout=20_000)
    assert tab.page.evaluate("document.querySelector('.yasqe .CodeMirror').CodeMirror.getValue()") == query
    assert dialogs == [] and tab.problems == []


@pytest.fixture(scope="module")
def seeds_at_their_base(tmp_path_factory):
    """The seeds built with the base IRI of the server that serves them, so their IRIs resolve."""
    port = conftest.free_port()
    out = tmp_path_factory.mktemp("seeds-at-base")
    built = conftest.run_newsgraph("build", str(conftest.SEEDS), "--out", str(out),
                                   "--base", f"http://127.0.0.1:{port}/")
    assert built.returncode == 0, built.stderr
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(conftest, "free_port", lambda: port)
        running = Server(out)
    yield running
    running.stop()


def test_result_iris_open_the_entity_pages(browser, seeds_at_their_base):
    tab = Watched(browser, seeds_at_their_base)
    page = tab.page
    page.goto(seeds_at_their_base.url + "/sparql")
    page.locator("#examples button[data-example='01-places-changed-hands']").click()
    link = page.locator(f".yasr table a[href^='{seeds_at_their_base.url}/id/place/']").first
    link.wait_for(timeout=20_000)
    iri = link.get_attribute("href")
    label = page.evaluate("(a) => a.closest('tr').querySelectorAll('td')[4].innerText", link.element_handle())
    assert tab.outside() == [] and tab.problems == []
    response = page.goto(iri)  # the entity page is the site's (another part's) own page from here on
    assert response.ok and page.url.startswith(iri)
    assert label.strip() in page.locator("h1").inner_text()
    tab.shot("entity-page-from-results")
    tab.close()

"""A real browser (Debian's Chromium driven by Playwright) on the served site.

Home, a search for "Homs", the Homs page, one of its events and the article with the
highlighted mention; no console errors or failed requests anywhere. Screenshots are
kept in test-output/browser/ for people to look at.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from flask import Flask
from waitress import create_server

from pipeline.linkeddata import create_blueprint
from pipeline.publish import publish
from test_site_sample import BASE, HOSTILE_TITLE, sample_store

from playwright import sync_api as playwright_api

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path(__file__).resolve().parent.parent / "test-output" / "browser"



@pytest.fixture(scope="module")
def browser():
    assert shutil.which(CHROMIUM), f"{CHROMIUM} is missing: `make test` installs Debian's chromium (apt-get)"
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


class Watched:
    """A page whose console errors, script errors and failed requests are collected."""

    def __init__(self, browser):
        self.page = browser.new_page(viewport={"width": 1200, "height": 900})
        self.problems: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        self.page.on("pageerror", lambda e: self.problems.append(f"script error: {e}"))
        self.page.on("requestfailed", lambda r: self.problems.append(f"request failed: {r.url}"))
        self.page.on("response", lambda r: r.status >= 400 and self.problems.append(f"{r.status}: {r.url}"))

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_home_search_place_event_article_on_the_seeds(browser, seeds_server):
    tab = Watched(browser)
    page = tab.page
    page.goto(seeds_server.url + "/")
    assert page.locator("h1").inner_text() == "newsgraph"
    assert page.locator(".counts li").count() >= 4
    tab.shot("seeds-1-home")

    page.fill("#q", "Homs")
    page.press("#q", "Enter")
    page.wait_for_url("**/search.html?q=Homs")
    first = page.locator("#search-results li a").first
    first.wait_for()
    assert first.inner_text() == "Homs"
    assert page.locator("#search-results li").first.get_attribute("data-kind") == "place"
    tab.shot("seeds-2-search")

    first.click()
    page.wait_for_url("**/id/place/homs.html")
    assert page.locator("h1 bdi").inner_text() == "Homs"
    tab.shot("seeds-3-place")

    event = page.locator("article.event h4 a").first
    event_title = event.inner_text()
    event.click()
    page.wait_for_url("**/id/event/*.html")
    assert page.locator("h1").inner_text() == event_title
    assert page.locator(".evidence mark").count() >= 1
    tab.shot("seeds-4-event")

    evidence = page.locator(".evidence cite a").first
    href = evidence.get_attribute("href")
    evidence.click()
    page.wait_for_url("**/id/article/*.html#m-*")
    fragment = href.split("#")[1]
    # The evidence link lands on the highlighted mention: the targeted anchor precedes a highlight.
    highlighted = page.locator(f"[id='{fragment}'] ~ a").first
    assert "m-" in (highlighted.get_attribute("class") or "")
    assert page.locator(".article-text a.m-event").count() >= 1
    tab.shot("seeds-5-article")
    assert not tab.problems, tab.problems


@pytest.fixture(scope="module")
def sample_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser-sample")
    publish(sample_store(), folder / "site", BASE)
    app = Flask(__name__, static_folder=None)
    app.register_blueprint(create_blueprint(folder / "site", None))
    httpd = create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=httpd.run, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.effective_port}"
    httpd.close()


def test_hostile_article_runs_no_script_and_shows_its_text(browser, sample_server):
    tab = Watched(browser)
    page = tab.page
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(sample_server + "/id/article/002-hostile")  # dereferenced: 303 to the page
    assert page.url.endswith("/id/article/002-hostile.html")
    assert page.locator("h1").inner_text() == HOSTILE_TITLE
    assert page.locator(".article-text img, .article-text script, .article-text b").count() == 0
    tab.shot("sample-hostile-article")

    page.goto(sample_server + "/search.html?q=script")
    page.locator("#search-results li a").first.wait_for()
    assert page.locator("#search-results li a").first.inner_text() == HOSTILE_TITLE
    tab.shot("sample-hostile-search")
    page.goto(sample_server + "/id/place/homs")
    assert page.locator(".accounts .account").count() == 2  # the claim and the denial side by side
    tab.shot("sample-place-disputed")
    assert not dialogs and not tab.problems, (dialogs, tab.problems)

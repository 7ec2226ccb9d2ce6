"""The query page a browser gets at /sparql, and the example query gallery.

The editor is YASGUI, installed from the npm registry by `npm ci` (package-lock.json
pins it) and served from node_modules, so the page loads nothing from a CDN. The
example queries are the .rq files in site/queries/, each opening with `# title:` and
`# description:` comment lines.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Blueprint, Response, abort, request, send_from_directory, url_for
from jinja2 import Environment, FileSystemLoader, select_autoescape

from pipeline.vocab import PREFIXES

if TYPE_CHECKING:
    from pipeline.endpoint import EndpointConfig

ROOT = Path(__file__).resolve().parent.parent
PAGE_DIR = ROOT / "site" / "query"
QUERIES_DIR = ROOT / "site" / "queries"
YASGUI_DIR = ROOT / "node_modules" / "@zazuko" / "yasgui" / "build"

_templates = Environment(loader=FileSystemLoader(PAGE_DIR), autoescape=select_autoescape(["html"]))


@dataclass(frozen=True)
class Example:
    """One query of the gallery."""

    name: str  # the file's stem, e.g. "places-changed-hands"
    title: str
    description: str
    query: str


def load_examples(folder: Path = QUERIES_DIR) -> list[Example]:
    """The gallery, in file-name order. The header comments give title and description."""
    examples = []
    for path in sorted(folder.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        header = {}
        for line in text.splitlines():
            if not line.startswith("#"):
                break
            key, sep, value = line.lstrip("# ").partition(":")
            if sep:
                header[key.strip().lower()] = value.strip()
        examples.append(Example(path.stem, header.get("title", path.stem), header.get("description", ""), text))
    return examples


def render(query: str | None, graphs: list[str], config: EndpointConfig) -> Response:
    """The page; a bookmarked /sparql?query=... opens with that query and runs it."""
    settings = {
        "endpoint": request.base_url,
        "query": query,
        "prefixes": {name: str(ns) for name, ns in PREFIXES.items()},
        "examples": [asdict(example) for example in load_examples()],
        "graphs": graphs,
        "timeLimit": config.time_limit,
        "rowCap": config.row_cap,
    }
    page = _templates.get_template("index.html").render(
        settings=json.dumps(settings).replace("</", "<\\/"),
        asset=lambda name: url_for("sparql.asset", name=name),
        vendor=lambda name: url_for("sparql.vendor", name=name),
        editor_installed=(YASGUI_DIR / "yasgui.min.js").exists(),
        config=config,
    )
    return Response(page, content_type="text/html; charset=utf-8")


def register(bp: Blueprint) -> None:
    """Add the page's asset routes to the endpoint's blueprint."""

    @bp.route("/sparql/assets/<path:name>")
    def asset(name: str):
        if name.endswith(".html"):
            abort(404)
        return send_from_directory(PAGE_DIR, name, max_age=3600)

    @bp.route("/sparql/vendor/<path:name>")
    def vendor(name: str):
        return send_from_directory(YASGUI_DIR, name, max_age=86400)

    @bp.route("/sparql/examples/<name>.rq")
    def example(name: str):
        return send_from_directory(QUERIES_DIR, f"{name}.rq", mimetype="application/sparql-query")

"""Publish: the static site and the dumps, read from the store (thin first version)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph
from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES = Path(__file__).resolve().parent.parent / "site" / "templates"


@dataclass(frozen=True)
class PublishSummary:
    pages: int
    dumps: tuple[Path, ...]


def publish(store: pyoxigraph.Store, site_dir: Path, base: str, *, report_html: str | None = None) -> PublishSummary:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape())
    page = env.get_template("page.html")
    prefix = f"{base}id/"
    subjects = sorted({s.value for s, in store.query(
        f"SELECT DISTINCT ?s WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?s), '{prefix}')) }}")})
    links = []
    for iri in subjects:
        path = iri[len(prefix):]
        if "/role/" in path or path.startswith("mention/") or path.endswith("/geometry"):
            continue
        depth = path.count("/") + 1
        root = "../" * depth
        rows = []
        for p, o in store.query(f"SELECT ?p ?o WHERE {{ GRAPH ?g {{ <{iri}> ?p ?o }} }} ORDER BY ?p ?o"):
            href = f"{root}id/{o.value[len(prefix):]}.html" if isinstance(o, pyoxigraph.NamedNode) and o.value.startswith(prefix) else None
            rows.append((p.value, o.value, href))
        target = site_dir / "id" / f"{path}.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page.render(title=path, rows=rows, links=[], root=root), encoding="utf-8")
        links.append((path, f"id/{path}.html"))
    (site_dir / "index.html").write_text(page.render(title="newsgraph", rows=[], links=links, root=""), encoding="utf-8")
    downloads = site_dir / "downloads"
    downloads.mkdir(exist_ok=True)
    dump = downloads / "newsgraph.ttl"
    with dump.open("wb") as out:
        quads = store.quads_for_pattern(None, None, None, None)
        pyoxigraph.serialize((pyoxigraph.Triple(q.subject, q.predicate, q.object) for q in quads),
                             out, pyoxigraph.RdfFormat.TURTLE)
    return PublishSummary(pages=len(links) + 1, dumps=(dump,))

"""The publish stage: from the store, write the static site, the dumps and their descriptions.

`publish` reads everything from the store with SPARQL (the store is the truth) and writes
into `site_dir`; the build writes into a fresh folder and swaps it into place, so a
failed publish never leaves a half-written site behind.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pyoxigraph as ox

from .describe import description, write_descriptions
from .dumps import Dump, write_dumps
from .ontology_docs import render_ontology_docs
from .reason import ontology_graph
from .site import SiteWriter

EXAMPLES = 5  # example resources named in VoID and DCAT


@dataclass(frozen=True)
class PublishSummary:
    """What was written: page and RDF document counts, and the dumps with their sizes."""

    pages: int
    documents: int  # .ttl + .jsonld pairs beside the pages
    dumps: tuple[Dump, ...]
    site_dir: Path
    problems: tuple[str, ...] = ()  # resources whose page could not be written, each with why


def publish(store: ox.Store, site_dir: Path, base: str, *, report_html: str | None = None) -> PublishSummary:
    """Write the site, dumps, VoID and DCAT for the dataset in `store` into `site_dir`.

    `report_html`, when given, is the build's validation report (our own HTML), published
    as report.html and linked from the home page.
    """
    base = base if base.endswith("/") else base + "/"
    site_dir = Path(site_dir)
    site_dir.mkdir(parents=True, exist_ok=True)
    about = description(base, datetime.now(timezone.utc).date())
    meta = dataclasses.asdict(about) | {"report": report_html is not None}
    writer = SiteWriter(store, site_dir, base, meta=meta)
    writer.write()

    downloads = site_dir / "downloads"
    dumps = write_dumps(store, downloads)
    examples = writer.examples(EXAMPLES)
    write_descriptions(downloads, site_dir, about, base, dumps, dumps[0].statements, examples)
    writer.render("downloads.html", "downloads/index.html", title="Downloads", dumps=dumps)
    if report_html is not None:
        (site_dir / "report.html").write_text(report_html, encoding="utf-8")
    write_ontology(store, site_dir, base)
    return PublishSummary(writer.pages + 1, writer.documents, tuple(dumps), site_dir, tuple(writer.problems))


def write_ontology(store: ox.Store, site_dir: Path, base: str) -> None:
    """The ontology's documentation page (one page) and its Turtle, where /ns dereferences to them.

    Each term's documentation links an example of it in this dataset, when one has a page.
    """
    def example(term: str) -> str | None:
        term, prefix = ox.NamedNode(term), ox.Literal(base + "id/")  # their N-Triples forms are safe to embed
        query = (f"SELECT ?x WHERE {{ {{ ?x a {term} }} UNION {{ ?x {term} ?o }} "
                 f"FILTER(STRSTARTS(STR(?x), {prefix})) }} ORDER BY ?x LIMIT 1")
        for row in store.query(query, use_default_graph_as_union=True):
            page = row["x"].value.removeprefix(base) + ".html"
            return page if (site_dir / page).is_file() else None
        return None

    (site_dir / "ontology.html").write_text(render_ontology_docs(example), encoding="utf-8")
    ontology_graph().serialize(site_dir / "ontology.ttl", format="turtle")

"""Write the static site: a page per entity, index pages, search, map and timeline.

Pages mirror the dataset's IRIs ({base}id/place/homs -> id/place/homs.html, with
homs.ttl and homs.jsonld beside it) and link to each other with relative links only,
so the folder browses the same from any host or from file://. Every page embeds the
JSON-LD of its resource. Article text is untrusted: templates autoescape, `clean`
replaces characters HTML forbids, and JSON is written so it cannot close a script.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import jinja2
import markupsafe
import pyoxigraph as ox

from . import charts
from .siteread import SITE_SOURCE, Reader
from .views import Link, Paths, Views, local_name, split_aliases, text
from .vocab import NGT, PREFIXES

log = logging.getLogger(__name__)

PAGE_SIZE = 500  # rows per index page
LATEST = 10  # events on the home page

# C0/C1 controls (but tab, newline, carriage return) and noncharacters may not appear in HTML.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff]")
_JSON_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}


def clean(value: str) -> str:
    """Replace characters HTML may not carry with U+FFFD, keeping length (offsets stay valid)."""
    return _FORBIDDEN.sub("\ufffd", value)


def safe_json(value: object) -> str:
    """JSON that can sit inside <script> or a .js file: ASCII only, and no `<`, `>` or `&`
    that could end the script or open a comment."""
    return re.sub("[<>&]", lambda m: _JSON_UNSAFE[m.group()], json.dumps(value, ensure_ascii=True))


def _finalize(value: object) -> object:
    """Clean every plain string a template prints; markup (macros, |safe) was cleaned when built."""
    return clean(value) if isinstance(value, str) and not isinstance(value, markupsafe.Markup) else value


def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(SITE_SOURCE / "templates"),
                             autoescape=True, finalize=_finalize, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["local"] = local_name
    return env


@dataclass(frozen=True)
class Document:
    """The RDF documents written beside a page: its resource's own triples."""

    turtle: str
    jsonld: str


@dataclass(frozen=True)
class Row:
    """A row of an index page: the linked resource and the cells beside it."""

    link: Link
    cells: tuple[str, ...]


class SiteWriter:
    """Writes pages into `site_dir`; counts what it wrote."""

    def __init__(self, store: ox.Store, site_dir: Path, base: str, *, meta: dict[str, object]):
        self.reader = Reader(store, base)
        self.views = Views(self.reader)
        self.paths: Paths = self.views.paths
        self.site_dir = site_dir
        self.env = environment()
        self.meta = meta  # dataset-wide values every page shows (title, licence, downloads)
        self.pages = 0
        self.documents = 0
        self.problems: list[str] = []  # resources whose page could not be written, and why
        self.failed: set[str] = set()

    def has_page(self, iri: str) -> bool:
        """Whether `iri` has a page in this site, so links to it are not broken."""
        return iri not in self.failed and self.paths.page(iri) is not None

    # -- writing -----------------------------------------------------------------------

    def render(self, template: str, path: str, **context: object) -> None:
        """Render one page at `path` (relative to the site root), streaming it to disk."""
        depth = path.count("/")
        target = self.site_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        stream = self.env.get_template(template).stream(root="../" * depth, page_path=path, meta=self.meta,
                                                        **context)
        stream.dump(str(target), encoding="utf-8")
        self.pages += 1

    def document(self, iri: str, path: str) -> Document:
        """Write `path`.ttl and `path`.jsonld (path without suffix) for one resource."""
        triples = self.reader.construct("describe", e=ox.NamedNode(iri))
        prefixes = {k: str(v) for k, v in PREFIXES.items()}
        turtle = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes).decode()
        jsonld = ox.serialize(triples, format=ox.RdfFormat.JSON_LD).decode()
        target = self.site_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.with_name(target.name + ".ttl").write_text(turtle, encoding="utf-8")
        target.with_name(target.name + ".jsonld").write_text(jsonld, encoding="utf-8")
        self.documents += 1
        return Document(turtle, jsonld)

    def resource_page(self, template: str, iri: str, **context: object) -> None:
        """A page with its RDF documents beside it and its JSON-LD embedded."""
        path = self.paths.page(iri)
        assert path is not None, iri
        stem = path.removesuffix(".html")
        doc = self.document(iri, stem)
        name = stem.rsplit("/", 1)[-1]
        self.render(template, path, iri=iri, jsonld=safe_json(json.loads(doc.jsonld)),
                    alternates={"ttl": name + ".ttl", "jsonld": name + ".jsonld"}, **context)

    # -- the site ----------------------------------------------------------------------

    def write(self) -> None:
        base = self.reader.base
        actors = self.reader.select("entities", prefix=base + "id/actor/")
        places = self.reader.select("entities", prefix=base + "id/place/")
        events = self.reader.select("events")
        articles = self.reader.select("articles")
        types = self.reader.select("event_types")
        stats = (self.reader.select("stats") or [{}])[0]

        pages = [(r["e"].value, self._entity, "actor") for r in actors]
        pages += [(r["e"].value, self._entity, "place") for r in places]
        pages += [(r["e"].value, self._event, "event") for r in events]
        pages += [(r["e"].value, self._article, "article") for r in articles]
        pages += [(r["type"].value, lambda iri, _: self._event_type(iri, events), "type") for r in types]
        for iri, write, kind in pages:
            if self.paths.page(iri) is None:
                self.problems.append(f"{iri}: no page written, the IRI is not of a form the site mirrors")
                continue
            try:
                write(iri, kind)
            except (ValueError, KeyError, TypeError, IndexError) as error:
                # Data the shapes should have stopped: name the resource, keep publishing the rest.
                self.problems.append(f"{iri}: page not written: {error!r}")
                self.failed.add(iri)
                log.warning("publish: %s: page not written: %r", iri, error)

        map_chart = charts.map_chart([
            (self.paths.link(r["e"].value, text(r.get("label"))), lat, long, int(r["events"].value))
            for r in places if (lat := _number(r.get("lat"))) is not None
            and (long := _number(r.get("long"))) is not None and int(r["events"].value) > 0])
        timeline = charts.timeline_chart([text(r.get("date")) for r in events])
        self._indexes(actors, places, events, articles, types, map_chart, timeline)
        latest = [self.views.event(r["e"].value) for r in events[:LATEST] if self.has_page(r["e"].value)]
        counts = {"articles": text(stats.get("articles")) or "0", "events": text(stats.get("events")) or "0",
                  "actors": str(len(actors)), "places": str(len(places)), "event types": str(len(types))}
        self.render("home.html", "index.html", title=self.meta["title"], counts=counts,
                    first=text(stats.get("first")), last=text(stats.get("last")), latest=latest,
                    map=map_chart, timeline=timeline)
        self.render("search.html", "search.html", title="Search")
        self._search_index(actors, places, events, articles, types)
        self._static()

    def _entity(self, iri: str, kind: str) -> None:
        view = self.views.entity(iri, kind)
        self.resource_page("entity.html", iri, entity=view, title=view.label,
                           timeline=charts.timeline_chart(view.dates))

    def _event(self, iri: str, _kind: str) -> None:
        view = self.views.event(iri)
        self.resource_page("event.html", iri, event=view, title=view.link.label)

    def _article(self, iri: str, _kind: str) -> None:
        view = self.views.article(iri)
        self.resource_page("article.html", iri, article=view, title=view.label)

    def _event_type(self, iri: str, events: list) -> None:
        """A concept of our event-type scheme: its events and its PLOVER and ACLED mappings."""
        info = self.reader.select("event_type", e=ox.NamedNode(iri))
        label = next((r["label"].value for r in info if "label" in r), local_name(iri))
        definition = next((r["definition"].value for r in info if "definition" in r), "")
        mappings = [(local_name(r["relation"].value), self.paths.link(r["match"].value, text(r.get("matchLabel"))),
                     _scheme(r["match"].value)) for r in info if "match" in r]
        rows = [self._event_row(r) for r in events if text(r.get("type")) == iri and self.has_page(r["e"].value)]
        self.resource_page("event_type.html", iri, title=label, definition=definition,
                           mappings=sorted(mappings, key=lambda m: (m[2], m[0])), rows=rows[:PAGE_SIZE],
                           total=len(rows))

    def _event_row(self, r: dict) -> Row:
        return Row(self.paths.link(r["e"].value, text(r.get("label"))),
                   (text(r.get("date")) or "undated", local_name(text(r.get("type"))), text(r.get("placeLabel"))))

    def _indexes(self, actors, places, events, articles, types, map_chart, timeline) -> None:
        def entity_rows(rows):
            return [Row(self.paths.link(r["e"].value, text(r.get("label"))),
                        (" ".join(local_name(t) for t in text(r.get("types")).split()), text(r.get("events"))))
                    for r in rows if self.has_page(r["e"].value)]

        self._paged("events", "Events by date", ("Event", "Date", "Type", "Place"),
                    [self._event_row(r) for r in events if self.has_page(r["e"].value)], timeline=timeline)
        self._paged("actors", "Actors", ("Actor", "Type", "Events"), entity_rows(actors))
        self._paged("places", "Places", ("Place", "Type", "Events"), entity_rows(places), map=map_chart)
        self._paged("articles", "Articles", ("Article", "Outlet", "Published", "Source file"), [
            Row(self.paths.link(r["e"].value, text(r.get("title")) or text(r.get("source"))),
                (text(r.get("outlet")), text(r.get("published")), text(r.get("source"))))
            for r in articles if self.has_page(r["e"].value)])
        self._paged("event-types", "Event types", ("Event type", "Events"), [
            Row(self.paths.link(r["type"].value, text(r.get("label"))), (text(r.get("events")),))
            for r in types if self.has_page(r["type"].value)])

    def _paged(self, name: str, title: str, headings: tuple[str, ...], rows: list[Row], **extra: object) -> None:
        """An index split into pages of PAGE_SIZE rows: name.html, name-2.html, ..."""
        chunks = [rows[i:i + PAGE_SIZE] for i in range(0, len(rows), PAGE_SIZE)] or [[]]
        names = [f"{name}.html"] + [f"{name}-{n}.html" for n in range(2, len(chunks) + 1)]
        for number, (chunk, path) in enumerate(zip(chunks, names), start=1):
            self.render("listing.html", path, title=title, headings=headings, rows=chunk, total=len(rows),
                        number=number, pages=names, **(extra if number == 1 else {}))

    def _search_index(self, actors, places, events, articles, types) -> None:
        """Labels and aliases of everything with a page, as a script (works from file:// too)."""
        aliases: dict[str, list[str]] = {}
        for prefix in ("id/actor/", "id/place/"):
            for r in self.reader.select("aliases", prefix=self.reader.base + prefix):
                aliases.setdefault(r["e"].value, []).append(clean(r["alias"].value))
        entries = []
        for kind, rows, label_var in (("actor", actors, "label"), ("place", places, "label"),
                                      ("event", events, "label"), ("article", articles, "title"),
                                      ("event type", types, "label")):
            for r in rows:
                iri = (r.get("e") or r.get("type")).value
                path = self.paths.page(iri)
                if path and self.has_page(iri):
                    label = clean(text(r.get(label_var)) or local_name(iri))
                    names = split_aliases(label, aliases.get(iri, []))
                    entries.append({"l": label, "a": [*names[0], *names[1]], "k": kind, "p": path})
        target = self.site_dir / "static" / "search-index.js"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f"window.NEWSGRAPH_SEARCH = {safe_json(entries)};\n", encoding="utf-8")

    def examples(self, count: int) -> list[str]:
        """IRIs of a few resources with pages, for VoID and DCAT: an event, its place and actors."""
        picks: list[str] = []
        for name, var in (("events", "e"), ("entities", "e")):
            prefix = {"prefix": self.reader.base + "id/place/"} if name == "entities" else {}
            picks += [r[var].value for r in self.reader.select(name, **prefix)[:2]]
        return [iri for iri in dict.fromkeys(picks) if self.has_page(iri)][:count]

    def _static(self) -> None:
        shutil.copytree(SITE_SOURCE / "static", self.site_dir / "static", dirs_exist_ok=True)


def _number(term: ox.Literal | None) -> float | None:
    """A coordinate as a float, or None when missing or not a number."""
    try:
        return float(term.value) if term is not None else None
    except ValueError:
        return None


def _scheme(iri: str) -> str:
    """Which scheme a mapped concept belongs to, by its namespace."""
    for name in ("plover", "acled"):
        if iri.startswith(str(PREFIXES[name])):
            return name.upper()
    return "our scheme" if iri.startswith(str(NGT)) else "other"

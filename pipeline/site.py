"""Write the static site: a page per entity, index pages, search, map and timeline.

Pages mirror the dataset's IRIs ({base}id/place/homs -> id/place/homs.html, with
homs.ttl and homs.jsonld beside it) and link to each other with relative links only,
so the folder browses the same from any host or from file://. Every page embeds the
JSON-LD of its resource (a busy one's less its thousands of links to mentions). Article
text is untrusted: templates autoescape, `clean` replaces characters HTML forbids, and
JSON is written so it cannot close a script.

Memory stays bounded by one page: each listing query is streamed once from the store
into a spool file (listing.py) and read from there by every pass that needs it (the
resource pages, the paged indexes, the search index). Resource pages none of whose
lookups matches a triple changed since the previous release are taken from it (reuse.py).

The resource pages, most of the work, can be drawn by worker processes (`Workers`), each
with its own read-only handle of the store (one does not survive `fork`) and its own
caches; the parent streams them the pages a chunk at a time and gathers what they drew
into the manifest, so the site is the same whoever drew which page.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import re
import shutil
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import jinja2
import markupsafe
import pyoxigraph as ox

from . import charts
from .listing import Order, Spool, newest_first
from .reuse import Manifest, PageRecord, Previous, UnionChanges, fingerprint
from .siteread import SITE_SOURCE, Reader
from .views import SKOS_ALT, Link, Paths, Views, local_name, mention_link_iris, split_aliases, text
from .vocab import NG, NGT, PREFIXES

log = logging.getLogger(__name__)

PAGE_SIZE = 500  # rows per index page
CHUNK = 100  # resource pages a worker is sent at a time: few messages, yet work spread evenly
LATEST = 10  # events on the home page
# Listing queries run side by side: the store evaluates one without holding the GIL (two of them
# took 4.9 s against 8.8 s one after the other, at 10,000 articles).
LISTING_THREADS = 2
# A page embeds its JSON-LD without the links to its mentions when it has more than this many
# (a busy actor's were 11 of its page's 11.6 MB); the .jsonld beside the page has them all.
EMBEDDED_MENTION_LINKS = 200

# C0/C1 controls (but tab, newline, carriage return) and noncharacters may not appear in HTML.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff]")
_JSON_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}
_PREFIXES = {name: str(ns) for name, ns in PREFIXES.items()}


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
                             undefined=jinja2.StrictUndefined, auto_reload=False)
    env.filters["local"] = local_name
    return env


@dataclass(frozen=True)
class Document:
    """The RDF documents written beside a page: its resource's own triples."""

    turtle: str
    jsonld: str
    embedded: str  # the JSON-LD the page embeds: `jsonld`, or it less the mention links of a busy resource


@dataclass(frozen=True)
class Row:
    """A row of an index page: the linked resource and the cells beside it."""

    link: Link
    cells: tuple[str, ...]


class SiteWriter:
    """Writes pages into `site_dir`; counts what it wrote, drew and took from `previous`."""

    def __init__(self, store: ox.Store, site_dir: Path, base: str, *, meta: dict[str, object],
                 previous: Path | None = None, changes: UnionChanges | None = None):
        self.reader = Reader(store, base)
        self.views = Views(self.reader)
        self.paths: Paths = self.views.paths
        self.site_dir = site_dir
        self.env = environment()
        self.meta = meta  # dataset-wide values every page shows (title, licence, downloads)
        self.shared = fingerprint(self.reader.base, meta)
        # The previous release's site, whose pages untouched by `changes` (to its store) are reused.
        self.previous = Previous.open(previous, self.shared, changes)
        self.pages = 0
        self.documents = 0
        self.reused = 0  # resource pages (with their documents) taken from the previous site
        self.problems: list[str] = []  # resources whose page could not be written, and why
        self.failed: set[str] = set()
        self._examples: list[str] = []

    @property
    def rendered(self) -> int:
        return self.pages - self.reused

    def has_page(self, iri: str) -> bool:
        """Whether `iri` has a page in this site, so links to it are not broken."""
        return iri not in self.failed and self.paths.page(iri) is not None

    # -- writing -----------------------------------------------------------------------

    def render(self, template: str, path: str, **context: object) -> None:
        """Render one page at `path` (relative to the site root)."""
        depth = path.count("/")
        target = self.site_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        html = self.env.get_template(template).render(root="../" * depth, page_path=path, meta=self.meta, **context)
        target.write_text(html, encoding="utf-8")
        self.pages += 1

    def document(self, iri: str, path: str) -> Document:
        """Write `path`.ttl and `path`.jsonld (path without suffix) for one resource."""
        triples = self.reader.describe(ox.NamedNode(iri))
        turtle = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=_PREFIXES).decode()
        jsonld = ox.serialize(triples, format=ox.RdfFormat.JSON_LD).decode()
        links = mention_link_iris()
        embedded = jsonld
        if sum(t.predicate.value in links for t in triples) > EMBEDDED_MENTION_LINKS:
            embedded = ox.serialize([t for t in triples if t.predicate.value not in links],
                                    format=ox.RdfFormat.JSON_LD).decode()
        target = self.site_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.with_name(target.name + ".ttl").write_text(turtle, encoding="utf-8")
        target.with_name(target.name + ".jsonld").write_text(jsonld, encoding="utf-8")
        self.documents += 1
        return Document(turtle, jsonld, embedded)

    def resource_page(self, template: str, iri: str, **context: object) -> None:
        """A page with its RDF documents beside it and its JSON-LD embedded."""
        path = self.paths.page(iri)
        assert path is not None, iri
        stem = path.removesuffix(".html")
        doc = self.document(iri, stem)
        name = stem.rsplit("/", 1)[-1]
        self.render(template, path, iri=iri, jsonld=safe_json(json.loads(doc.embedded)),
                    alternates={"ttl": name + ".ttl", "jsonld": name + ".jsonld"}, **context)

    # -- the site ----------------------------------------------------------------------

    def write(self, workers: Workers | None = None) -> None:
        """Every page of the site, with the RDF documents beside the resource pages; the
        resource pages drawn by `workers` when given."""
        base = self.reader.base
        with tempfile.TemporaryDirectory(prefix="newsgraph-listings-") as spools, \
                ThreadPoolExecutor(LISTING_THREADS) as pool:
            def spool(listing: str, rows: Iterable[dict], order: Order | None = None) -> Future[Spool]:
                return pool.submit(Spool, Path(spools) / listing, rows, order)  # the query runs on the pool's thread

            query = self.reader.rows
            spooling = {"event": spool("event", query("events"), newest_first("date")),  # the longest first
                        "actor": spool("actor", query("entities", prefix=base + "id/actor/",
                                                      kind=ox.NamedNode(NG.Actor))),
                        "place": spool("place", query("entities", prefix=base + "id/place/",
                                                      kind=ox.NamedNode(NG.Place))),
                        "article": spool("article", query("articles"), newest_first("published")),
                        "type": spool("type", query("event_types")),
                        "replaced": spool("replaced", query("replaced_events"))}
            # The event pages need only the events' IRIs, which the type index gives in a moment: they
            # go to the workers first, not after the events listing, which the indexes need (sorted
            # by date: 27 s at 10,000 articles beside the page workers). Each other listing's pages
            # go once it is spooled.
            pages = {"event": lambda: ({"e": row["e"].value} for row in self.reader.rows("event_pages"))}
            pages |= {kind: spooling[kind].result for kind in ("actor", "place", "article", "replaced")}
            self._resource_pages(pages, workers)
            events, actors, places, articles, types = (spooling[kind].result()
                                                       for kind in ("event", "actor", "place", "article", "type"))
            self._event_types(types, events)
            self._site_pages(actors, places, events, articles, types)
        self._static()

    def _resource_pages(self, listings: dict[str, Callable[[], Iterable[dict[str, str]]]],
                        workers: Workers | None) -> None:
        """A page per actor, place, event and article: taken from the previous site when none
        of its lookups can give another result, else drawn; each recorded in the new manifest.

        Pages go CHUNK at a time to the `workers` (or are drawn here), at most two chunks a
        worker in flight, so memory stays bounded whatever the number of pages; a listing's
        (rows with the resource's IRI as "e", given when called) in the order of `listings`."""
        items = ((row["e"], kind) for kind, rows in listings.items() for row in rows())
        manifest = Manifest(self.site_dir, self.shared)
        try:
            if workers is None:
                for chunk in _chunks(items, CHUNK):
                    self._absorb(self.draw(chunk), manifest)
                return
            pending: deque[Future[Drawn]] = deque()
            for chunk in _chunks(items, CHUNK):
                pending.append(workers.submit(_draw, chunk))
                if len(pending) >= 2 * workers.count:
                    self._absorb(pending.popleft().result(), manifest)
            while pending:
                self._absorb(pending.popleft().result(), manifest)
        finally:
            manifest.close()
            if self.previous is not None:
                self.previous.close()

    def _absorb(self, drawn: Drawn, manifest: Manifest) -> None:
        for iri, record in drawn.records:
            manifest.add(iri, record)
        self.problems += drawn.problems
        self.failed.update(drawn.failed)
        self.pages += drawn.pages
        self.documents += drawn.documents
        self.reused += drawn.reused

    def draw(self, items: list[tuple[str, str]]) -> Drawn:
        """Draw (or take from the previous site) the pages of `items` (IRI, kind): what it gave.

        The counts are returned, not kept, for whichever process collects them."""
        drawn = Drawn()
        counted = self.pages, self.documents
        draws = {"actor": self._entity, "place": self._entity, "event": self._event, "article": self._article,
                 "replaced": self._replaced}
        for iri, kind in items:
            self._resource_page(iri, kind, draws[kind], drawn)
        drawn.pages, drawn.documents = self.pages - counted[0], self.documents - counted[1]
        self.pages, self.documents = counted
        return drawn

    def _resource_page(self, iri: str, kind: str, draw: Callable[[str, str], None], drawn: Drawn) -> None:
        path = self.paths.page(iri)
        if path is None:
            drawn.problems.append(f"{iri}: no page written, the IRI is not of a form the site mirrors")
            return
        stem = path.removesuffix(".html")
        record = self.previous.unchanged(iri, stem) if self.previous is not None else None
        if record is not None and self.previous.take(stem, self.site_dir):
            drawn.records.append((iri, record))
            self.pages, self.documents, drawn.reused = self.pages + 1, self.documents + 1, drawn.reused + 1
            return
        try:
            with self.reader.reading() as reads:
                draw(iri, kind)
        except (ValueError, KeyError, TypeError, IndexError) as error:
            # Data the shapes should have stopped: name the resource, keep publishing the rest.
            drawn.problems.append(f"{iri}: page not written: {error!r}")
            drawn.failed.append(iri)
            log.warning("publish: %s: page not written: %r", iri, error)
            return
        if reads.replayable:
            drawn.records.append((iri, PageRecord.of(stem, reads)))

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

    def _replaced(self, iri: str, _kind: str) -> None:
        """A retired event IRI: a page that sends the reader on to the event that took its mentions,
        for sites served as files (`newsgraph serve` answers such an IRI with a 301 itself)."""
        found = self.reader.select("replaced_event", e=ox.NamedNode(iri))[0]
        successor = self.paths.link(found["successor"].value, text(found.get("label")))
        self.resource_page("replaced.html", iri, successor=successor, title=f"Merged into {successor.label}")

    def _event_types(self, types: Spool, events: Spool) -> None:
        """A page per event type in use, listing its first PAGE_SIZE events (with pages) by date."""
        rows: dict[str, list[Row]] = {t["type"]: [] for t in types}
        totals = dict.fromkeys(rows, 0)
        for event in events:
            kind = event.get("type", "")
            if kind in rows and self.has_page(event["e"]):
                totals[kind] += 1
                if len(rows[kind]) < PAGE_SIZE:
                    rows[kind].append(self._event_row(event))
        for iri in rows:
            if self.paths.page(iri) is None:
                self.problems.append(f"{iri}: no page written, the IRI is not of a form the site mirrors")
                continue
            try:
                self._event_type(iri, rows[iri], totals[iri])
            except (ValueError, KeyError, TypeError, IndexError) as error:
                self.problems.append(f"{iri}: page not written: {error!r}")
                self.failed.add(iri)
                log.warning("publish: %s: page not written: %r", iri, error)

    def _event_type(self, iri: str, rows: list[Row], total: int) -> None:
        """A concept of our event-type scheme: its events and its PLOVER and ACLED mappings."""
        info = self.reader.select("event_type", e=ox.NamedNode(iri))
        label = next((r["label"].value for r in info if "label" in r), local_name(iri))
        definition = next((r["definition"].value for r in info if "definition" in r), "")
        mappings = [(local_name(r["relation"].value), self.paths.link(r["match"].value, text(r.get("matchLabel"))),
                     _scheme(r["match"].value)) for r in info if "match" in r]
        self.resource_page("event_type.html", iri, title=label, definition=definition,
                           mappings=sorted(mappings, key=lambda m: (m[2], m[0])), rows=rows, total=total)

    def _event_row(self, r: dict[str, str]) -> Row:
        return Row(self.paths.link(r["e"], r.get("label", "")),
                   (r.get("date") or "undated", local_name(r.get("type", "")), r.get("placeLabel", "")))

    def _site_pages(self, actors: Spool, places: Spool, events: Spool, articles: Spool, types: Spool) -> None:
        """The indexes, the home page, search and its index: everything that lists the dataset."""
        map_chart = charts.map_chart([
            (self.paths.link(r["e"], r.get("label", "")), lat, long, int(r["events"]))
            for r in places if (lat := _number(r.get("lat"))) is not None
            and (long := _number(r.get("long"))) is not None and int(r["events"]) > 0])
        timeline = charts.timeline_chart(r.get("date", "") for r in events)

        def entity_rows(rows: Spool) -> Iterator[Row]:
            return (Row(self.paths.link(r["e"], r.get("label", "")),
                        (" ".join(local_name(t) for t in r.get("types", "").split()), r.get("events", "")))
                    for r in rows if self.has_page(r["e"]))

        self._paged("events", "Events by date", ("Event", "Date", "Type", "Place"),
                    lambda: (self._event_row(r) for r in events if self.has_page(r["e"])), timeline=timeline)
        self._paged("actors", "Actors", ("Actor", "Type", "Events"), lambda: entity_rows(actors))
        self._paged("places", "Places", ("Place", "Type", "Events"), lambda: entity_rows(places), map=map_chart)
        self._paged("articles", "Articles", ("Article", "Outlet", "Published", "Source file"), lambda: (
            Row(self.paths.link(r["e"], r.get("title") or r.get("source", "")),
                (r.get("outlet", ""), r.get("published", ""), r.get("source", "")))
            for r in articles if self.has_page(r["e"])))
        self._paged("event-types", "Event types", ("Event type", "Events"), lambda: (
            Row(self.paths.link(r["type"], r.get("label", "")), (r.get("events", ""),))
            for r in types if self.has_page(r["type"])))

        latest = [self.views.event(r["e"]) for r in islice(events, LATEST) if self.has_page(r["e"])]
        stats = (self.reader.select("stats") or [{}])[0]
        counts = {"articles": text(stats.get("articles")) or "0", "events": text(stats.get("events")) or "0",
                  "actors": str(actors.count), "places": str(places.count), "event types": str(types.count)}
        self.render("home.html", "index.html", title=self.meta["title"], counts=counts,
                    first=text(stats.get("first")), last=text(stats.get("last")), latest=latest,
                    map=map_chart, timeline=timeline)
        self.render("search.html", "search.html", title="Search")
        self._search_index(actors, places, events, articles, types)
        picks = [r["e"] for r in islice(events, 2)] + [r["e"] for r in islice(places, 2)]
        self._examples = [iri for iri in dict.fromkeys(picks) if self.has_page(iri)]

    def _paged(self, name: str, title: str, headings: tuple[str, ...], rows: Callable[[], Iterable[Row]],
               **extra: object) -> None:
        """An index split into pages of PAGE_SIZE rows: name.html, name-2.html, ...

        `rows` gives the rows afresh on each call: once to count them (every page says how
        many in all and links every other page), once to write them a page at a time."""
        total = sum(1 for _ in rows())
        names = [f"{name}.html"] + [f"{name}-{n}.html" for n in range(2, -(-total // PAGE_SIZE) + 1)]
        chunks = _chunks(rows(), PAGE_SIZE)
        for number, path in enumerate(names, start=1):
            self.render("listing.html", path, title=title, headings=headings, rows=next(chunks, []), total=total,
                        number=number, pages=names, **(extra if number == 1 else {}))

    def _search_index(self, actors: Spool, places: Spool, events: Spool, articles: Spool, types: Spool) -> None:
        """Labels and aliases of everything with a page, as a script (works from file:// too),
        written entry by entry."""
        target = self.site_dir / "static" / "search-index.js"
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", encoding="utf-8") as out:
            out.write("window.NEWSGRAPH_SEARCH = [")
            separator = ""
            for kind, rows, label_var in (("actor", actors, "label"), ("place", places, "label"),
                                          ("event", events, "label"), ("article", articles, "title"),
                                          ("event type", types, "label")):
                for r in rows:
                    iri = r.get("e") or r["type"]
                    path = self.paths.page(iri)
                    if path and self.has_page(iri):
                        label = clean(r.get(label_var) or local_name(iri))
                        names = split_aliases(label, self._aliases(iri) if kind in ("actor", "place") else [])
                        entry = {"l": label, "a": [*names[0], *names[1]], "k": kind, "p": path}
                        out.write(separator + safe_json(entry))
                        separator = ", "
            out.write("];\n")

    def _aliases(self, iri: str) -> list[str]:
        return [clean(t.object.value) for t in self.reader.triples(ox.NamedNode(iri), ox.NamedNode(SKOS_ALT), None)]

    def examples(self, count: int) -> list[str]:
        """IRIs of a few resources with pages, for VoID and DCAT: the first events and places."""
        return self._examples[:count]

    def _static(self) -> None:
        shutil.copytree(SITE_SOURCE / "static", self.site_dir / "static", dirs_exist_ok=True)


@dataclass
class Drawn:
    """What drawing some resource pages gave: their manifest records, failures and counts."""

    records: list[tuple[str, PageRecord]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    pages: int = 0
    documents: int = 0
    reused: int = 0


_worker: SiteWriter | None = None  # in a worker process: its writer, on its own handle of the store


def _start_worker(store_path: str, site_dir: Path, base: str, meta: dict[str, object],
                  previous: Previous | None) -> None:
    global _worker
    _worker = SiteWriter(ox.Store.read_only(store_path), site_dir, base, meta=meta)
    _worker.previous = previous  # its changed lookups as the parent found them; the manifest is reopened
    threading.Thread(target=_end_with_parent, daemon=True, name="newsgraph-parent").start()


def _end_with_parent() -> None:
    """End this worker when the process it works for ends without closing the pool (killed): a
    fork server's worker is not that process's child, and lived on (seen: still drawing a minute
    after the build was killed; idle ones were still there once their tasks had ended)."""
    multiprocessing.parent_process().join()
    os._exit(1)


def _draw(items: list[tuple[str, str]]) -> Drawn:
    assert _worker is not None
    return _worker.draw(items)


def _run(task: Callable[..., object], *args: object) -> object:
    assert _worker is not None
    return task(_worker.reader.store, *args)


class Workers:
    """`count` processes, each with the store at `store_path` opened read-only and a SiteWriter
    like `writer` on it: they draw resource pages, or run any task given the store.

    They are forked from a fork server, not from this process: a child forked from a process
    with threads (the store's, the pool's own) may inherit a lock held by a thread it does not
    have, and hang (seen). Like any `spawn`, a fork server imports the main module again in
    each worker: a script that publishes with workers needs an `if __name__ == "__main__"` guard."""

    def __init__(self, store_path: Path, count: int, writer: SiteWriter):
        self.count = count
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        self.pool = ProcessPoolExecutor(count, mp_context=context, initializer=_start_worker, initargs=(
            str(store_path), writer.site_dir, writer.reader.base, writer.meta, writer.previous))

    def submit(self, task: Callable[..., object], *args: object) -> Future:
        return self.pool.submit(task, *args)

    def run(self, task: Callable[..., object], *args: object) -> Future:
        """`task(store, *args)` in a worker, on its store."""
        return self.pool.submit(_run, task, *args)

    def close(self) -> None:
        self.pool.shutdown()


def _chunks(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _number(value: str | None) -> float | None:
    """A coordinate as a float, or None when missing or not a number."""
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _scheme(iri: str) -> str:
    """Which scheme a mapped concept belongs to, by its namespace."""
    for name in ("plover", "acled"):
        if iri.startswith(str(PREFIXES[name])):
            return name.upper()
    return "our scheme" if iri.startswith(str(NGT)) else "other"

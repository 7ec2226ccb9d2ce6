"""What a page shows, read from the store: typed views of events, entities and articles.

Each view is built from a few SPARQL queries for one resource (see siteread.py), so
pages are rendered one by one. Text from articles is untrusted: views carry it as plain
strings and the templates escape it; nothing here builds markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyoxigraph as ox

from .siteread import Reader, Row
from .vocab import NG, NGT

PAGE_KINDS = ("actor", "place", "event", "article")
# A page path is only written for IRIs of this form: no dots, slashes or escapes to abuse.
_PAGE_IRI = re.compile(r"^id/(actor|place|event|article)/([A-Za-z0-9_~-][A-Za-z0-9._~-]*)$")
_MENTION_IRI = re.compile(r"^id/mention/([A-Za-z0-9._~-]+)/(\d+)-(\d+)$")
_TYPE_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
# Pubby's high-degree rule: a page lists at most this many events; the index has all.
MAX_EVENTS_PER_PAGE = 200


@dataclass(frozen=True)
class Link:
    """A labelled reference: `path` is relative to the site root, or an absolute URL."""

    path: str
    label: str
    external: bool = False


@dataclass(frozen=True)
class Evidence:
    """One mention of an event: the sentence split around the mention, and its stance."""

    anchor_id: str
    article: Link
    published: str
    outlet: str
    before: str
    mention: str
    after: str
    sources: tuple[Link, ...]
    badges: tuple[str, ...]
    stance: str
    confidence: str


@dataclass(frozen=True)
class EventView:
    iri: str
    link: Link
    event_type: Link | None
    date: str
    precision: str
    stated: bool | None
    place: Link | None
    participants: tuple[tuple[str, Link], ...]
    evidence: tuple[Evidence, ...]

    @property
    def stances(self) -> dict[str, list[Evidence]]:
        """Evidence grouped by stance (reported, denied, planned, uncertain), in that order."""
        groups: dict[str, list[Evidence]] = {s: [] for s in STANCES}
        for item in self.evidence:
            groups[item.stance].append(item)
        return {s: items for s, items in groups.items() if items}

    @property
    def disputed(self) -> bool:
        return len(self.stances) > 1


@dataclass(frozen=True)
class Fact:
    """A row of the generic statement table: property and value, linked where possible."""

    prop: str
    value: Link


@dataclass(frozen=True)
class Inverse:
    """Resources pointing at an entity through one property, with their count."""

    prop: str
    count: int
    sample: tuple[Link, ...]


@dataclass
class EntityView:
    iri: str
    kind: str
    label: str
    types: tuple[str, ...]
    aliases: tuple[str, ...]
    description: str
    authorities: tuple[Link, ...]
    coordinates: tuple[float, float] | None
    facts: tuple[Fact, ...]
    inverse: tuple[Inverse, ...]
    days: list[tuple[str, list[EventView]]] = field(default_factory=list)
    event_count: int = 0
    mentions: tuple[Evidence, ...] = ()  # where articles name it, each with its sentence
    mention_count: int = 0
    dates: list[str] = field(default_factory=list)  # of all its events, for the timeline chart


@dataclass(frozen=True)
class Segment:
    """A stretch of article text covered by the same mentions (innermost one linked)."""

    text: str
    link: Link | None
    kind: str
    anchor_ids: tuple[str, ...]  # the mentions starting here, so evidence can link to them


@dataclass(frozen=True)
class ArticleView:
    iri: str
    label: str
    meta: tuple[tuple[str, str], ...]
    outlet: Link | None
    url: str
    segments: tuple[Segment, ...]
    mention_count: int


STANCES = ("reported", "denied", "planned", "uncertain")


def local_name(iri: str) -> str:
    """The last part of an IRI, for showing terms of our vocabularies."""
    return re.split(r"[#/]", iri.rstrip("/"))[-1]


def text(term: ox.NamedNode | ox.Literal | ox.BlankNode | None) -> str:
    return "" if term is None else term.value


class Paths:
    """Maps IRIs to the site's page paths (relative to the site root) and back."""

    def __init__(self, base: str):
        self.base = base

    def page(self, iri: str) -> str | None:
        """`{base}id/place/homs` -> `id/place/homs.html`; None for IRIs without a page."""
        if iri.startswith(self.base):
            rest = iri[len(self.base):]
            if _PAGE_IRI.match(rest):
                return rest + ".html"
            mention = _MENTION_IRI.match(rest)
            if mention:
                article, begin, end = mention.groups()
                return f"id/article/{article}.html#m-{begin}-{end}"
        if iri.startswith(str(NGT)) and _TYPE_NAME.match(iri[len(str(NGT)):]):
            return f"event-type/{iri[len(str(NGT)):]}.html"
        return None

    def link(self, iri: str, label: str = "") -> Link:
        path = self.page(iri)
        if path is not None:
            return Link(path, label or local_name(iri))
        return Link(iri, label or local_name(iri), external=True)


def _stance(certainty: str, polarity: str, tense: str, sourced: bool) -> tuple[str, tuple[str, ...]]:
    """How a mention presents its event: a stance to group by and the badges to show."""
    badges = []
    if polarity == str(NG.Negative):
        badges.append("denied")
    if tense == str(NG.Future):
        badges.append("planned")
    if certainty in (str(NG.Probable), str(NG.Possible)):
        badges.append(local_name(certainty).lower())
    if not badges:
        badges.append("claimed" if sourced else "reported")
    if "denied" in badges:
        return "denied", tuple(badges)
    if "planned" in badges:
        return "planned", tuple(badges)
    if {"probable", "possible"} & set(badges):
        return "uncertain", tuple(badges)
    return "reported", tuple(badges)


def split_sentence(sentence: str, sentence_begin: int, begin: int, end: int, anchor: str) -> tuple[str, str, str]:
    """The sentence as (before, mention, after), by offsets, or by the anchor if they disagree."""
    lo, hi = begin - sentence_begin, end - sentence_begin
    if 0 <= lo <= hi <= len(sentence) and (not anchor or sentence[lo:hi] == anchor):
        return sentence[:lo], sentence[lo:hi], sentence[hi:]
    at = sentence.find(anchor) if anchor else -1
    if at < 0:
        return sentence, "", ""
    return sentence[:at], anchor, sentence[at + len(anchor):]


class Views:
    """Builds page views from the store, one resource at a time."""

    def __init__(self, reader: Reader):
        self.reader = reader
        self.paths = Paths(reader.base)

    def event(self, iri: str) -> EventView:
        node = ox.NamedNode(iri)
        core = (self.reader.select("event", e=node) or [{}])[0]
        participants = tuple(
            (local_name(text(r["role"])).removesuffix("Role").lower(),
             self.paths.link(text(r["participant"]), text(r.get("label"))))
            for r in self.reader.select("event_participants", e=node))
        etype = core.get("type")
        return EventView(
            iri=iri,
            link=self.paths.link(iri, text(core.get("label"))),
            event_type=self.paths.link(etype.value, text(core.get("typeLabel"))) if etype else None,
            date=text(core.get("date")),
            precision=local_name(text(core.get("precision"))).removesuffix("Precision").lower(),
            stated=None if "stated" not in core else core["stated"].value == "true",
            place=self.paths.link(core["place"].value, text(core.get("placeLabel"))) if "place" in core else None,
            participants=participants,
            evidence=self._evidence(node),
        )

    def _evidence(self, node: ox.NamedNode) -> tuple[Evidence, ...]:
        """The mentions of an event or entity, one Evidence each (rows repeat per cited source)."""
        by_mention: dict[str, tuple[Row, list[Link]]] = {}
        for row in self.reader.select("event_mentions", e=node):
            first, sources = by_mention.setdefault(row["m"].value, (row, []))
            if "source" in row:
                sources.append(self.paths.link(row["source"].value, text(row.get("sourceLabel"))))
        items = []
        for mention, (row, sources) in by_mention.items():
            begin, end = int(text(row.get("begin")) or 0), int(text(row.get("end")) or 0)
            sentence = text(row.get("sentence")) or self._sentence(row)
            before, marked, after = split_sentence(
                sentence, int(text(row.get("sb")) or 0), begin, end, text(row.get("anchor")))
            stance, badges = _stance(text(row.get("certainty")), text(row.get("polarity")),
                                     text(row.get("tense")), bool(sources))
            article = row["article"].value
            items.append(Evidence(
                anchor_id=f"m-{begin}-{end}",
                article=self.paths.link(article, text(row.get("title")) or local_name(article)),
                published=text(row.get("published")), outlet=text(row.get("outlet")),
                before=before, mention=marked, after=after, sources=tuple(dict.fromkeys(sources)),
                badges=badges, stance=stance, confidence=text(row.get("confidence")),
            ))
        return tuple(items)

    def _sentence(self, row: Row) -> str:
        """The mention's sentence from the article text, when it was not published itself."""
        if "sb" not in row or "se" not in row:
            return text(row.get("anchor"))
        found = self.reader.select("mention_sentence", m=row["m"])
        return text(found[0].get("sentence")) if found else text(row.get("anchor"))

    def entity(self, iri: str, kind: str) -> EntityView:
        """An actor or place: who or what it is, its authorities, and its events by day."""
        node = ox.NamedNode(iri)
        props = self.reader.select("properties", e=node)
        values: dict[str, list[Row]] = {}
        for row in props:
            values.setdefault(row["p"].value, []).append(row)

        def first(*preds: str) -> str:
            for pred in preds:
                if pred in values:
                    return values[pred][0]["o"].value
            return ""

        label = first(RDFS_LABEL, SKOS_PREF, SCHEMA_NAME) or local_name(iri)
        authorities = tuple(
            Link(o, AUTHORITY_NAMES.get(o.split("/")[2], o), external=True)
            for pred in (OWL_SAMEAS, SKOS_EXACT) for o in (r["o"].value for r in values.get(pred, []))
            if isinstance(o, str) and o.startswith(("http://", "https://")))
        lat, long = first(WGS84_LAT), first(WGS84_LONG)
        view = EntityView(
            iri=iri, kind=kind, label=label,
            types=tuple(sorted(local_name(r["o"].value) for r in values.get(RDF_TYPE, []))),
            aliases=tuple(sorted(r["o"].value for r in values.get(SKOS_ALT, []))),
            description=first(RDFS_COMMENT, SCHEMA_DESCRIPTION, DCT_DESCRIPTION, SKOS_DEFINITION),
            authorities=authorities,
            coordinates=(float(lat), float(long)) if lat and long else None,
            facts=self._facts(props),
            inverse=self._inverse(node),
        )
        events = self.reader.select("entity_events", e=node)
        view.event_count = len(events)
        view.dates = [text(row.get("date")) for row in events]
        days: dict[str, list[EventView]] = {}
        for row in events[:MAX_EVENTS_PER_PAGE]:
            days.setdefault(text(row.get("date")) or "undated", []).append(self.event(row["event"].value))
        view.days = list(days.items())
        mentions = self._evidence(node)
        view.mention_count, view.mentions = len(mentions), mentions[:MAX_EVENTS_PER_PAGE]
        return view

    def _facts(self, props: list[Row]) -> tuple[Fact, ...]:
        """Every statement except the text and mention lists, which have their own sections."""
        facts = []
        for row in props:
            pred, obj = row["p"].value, row["o"]
            if pred in HIDDEN_FACTS:
                continue
            if isinstance(obj, ox.NamedNode):
                value = self.paths.link(obj.value, text(row.get("label")) or local_name(obj.value))
            else:
                value = Link("", obj.value)
            facts.append(Fact(local_name(pred), value))
        return tuple(sorted(facts, key=lambda f: (f.prop, f.value.label)))

    def _inverse(self, node: ox.NamedNode) -> tuple[Inverse, ...]:
        inverse = []
        for row in self.reader.select("inverse", e=node):
            pred = row["p"]
            sample = tuple(self.paths.link(r["s"].value, text(r.get("label")))
                           for r in self.reader.select("inverse_sample", e=node, p=pred))
            inverse.append(Inverse(local_name(pred.value), int(row["n"].value), sample))
        return tuple(inverse)

    def article(self, iri: str) -> ArticleView:
        node = ox.NamedNode(iri)
        row = (self.reader.select("article", e=node) or [{}])[0]
        body = text(row.get("text"))
        mentions = self.reader.select("article_mentions", e=node)
        meta = tuple((name, local_name(row[var].value) if isinstance(row[var], ox.NamedNode) else row[var].value)
                     for name, var in ARTICLE_META if var in row)
        return ArticleView(
            iri=iri,
            label=text(row.get("title")) or text(row.get("source")) or local_name(iri),
            meta=meta,
            outlet=self.paths.link(row["outletIri"].value, text(row.get("outlet"))) if "outletIri" in row else None,
            url=text(row.get("url")) if text(row.get("url")).startswith(("http://", "https://")) else "",
            segments=self._segments(body, mentions),
            mention_count=len({r["m"].value for r in mentions}),
        )

    def _segments(self, body: str, mentions: list[Row]) -> tuple[Segment, ...]:
        """Cut the text at every mention boundary; each piece links to its innermost mention.

        Links cannot nest in HTML, so an event mention containing a place mention becomes
        pieces: the place's own words link to the place, the rest to the event.
        """
        spans = []
        for row in mentions:
            begin, end = int(row["begin"].value), int(row["end"].value)
            if 0 <= begin < end <= len(body):
                kind = "event" if row["kind"].value == str(NG.EventMention) else "entity"
                target = row.get("target")
                link = self.paths.link(target.value, text(row.get("label"))) if target else None
                spans.append((begin, end, kind, link))
        cuts = sorted({0, len(body), *(b for b, *_ in spans), *(e for _, e, *_ in spans)})
        segments = []
        for lo, hi in zip(cuts, cuts[1:]):
            covering = [s for s in spans if s[0] <= lo and hi <= s[1]]
            anchors = tuple(dict.fromkeys(f"m-{b}-{e}" for b, e, *_ in covering if b == lo))
            if not covering:
                segments.append(Segment(body[lo:hi], None, "", ()))
                continue
            _, _, kind, link = min(covering, key=lambda s: s[1] - s[0])
            segments.append(Segment(body[lo:hi], link, kind, anchors))
        return tuple(segments)


RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDFS_COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"
SKOS_PREF = "http://www.w3.org/2004/02/skos/core#prefLabel"
SKOS_ALT = "http://www.w3.org/2004/02/skos/core#altLabel"
SKOS_EXACT = "http://www.w3.org/2004/02/skos/core#exactMatch"
SKOS_DEFINITION = "http://www.w3.org/2004/02/skos/core#definition"
SCHEMA_NAME = "https://schema.org/name"
SCHEMA_DESCRIPTION = "https://schema.org/description"
DCT_DESCRIPTION = "http://purl.org/dc/terms/description"
OWL_SAMEAS = "http://www.w3.org/2002/07/owl#sameAs"
WGS84_LAT = "http://www.w3.org/2003/01/geo/wgs84_pos#lat"
WGS84_LONG = "http://www.w3.org/2003/01/geo/wgs84_pos#long"
HIDDEN_FACTS = {str(NG.hasMention), str(NG.text)}
AUTHORITY_NAMES = {"www.wikidata.org": "Wikidata", "sws.geonames.org": "GeoNames", "dbpedia.org": "DBpedia"}
ARTICLE_META = (("Source file", "source"), ("Outlet", "outlet"), ("Author", "author"),
                ("Published", "published"), ("Date from", "dateOrigin"), ("Checksum", "checksum"))

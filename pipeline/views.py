"""What a page shows, read from the store: typed views of events, entities and articles.

Each view is built from direct lookups of one resource's statements and those of its
neighbours (see siteread.py), so pages are rendered one by one at a cost that does not
grow with the store. Text from articles is untrusted: views carry it as plain
strings and the templates escape it; nothing here builds markup.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

import pyoxigraph as ox

from .reason import mention_links
from .siteread import Reader, Term
from .vocab import NG, NGT

PAGE_KINDS = ("actor", "place", "event", "article")
# A page path is only written for IRIs of this form: no dots, slashes or escapes to abuse.
_PAGE_IRI = re.compile(r"^id/(actor|place|event|article)/([A-Za-z0-9_~-][A-Za-z0-9._~-]*)$")
_MENTION_IRI = re.compile(r"^id/mention/([A-Za-z0-9._~-]+)/(\d+)-(\d+)$")
_TYPE_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
# Pubby's high-degree rule: a page lists at most this many events; the index has all.
MAX_EVENTS_PER_PAGE = 200
ALIASES_SHOWN = 6
INVERSE_SAMPLE = 25  # resources shown per property pointing at an entity


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
    types: tuple[str, ...]  # its most specific classes of our ontology
    aliases: tuple[str, ...]  # a few readable other names
    more_aliases: tuple[str, ...]  # the rest, behind a disclosure
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


@functools.cache
def mention_link_iris() -> frozenset[str]:
    """The IRIs of the predicates from a resource to its mentions (reason.mention_links)."""
    return frozenset(map(str, mention_links()))


@functools.cache
def _hidden_facts() -> frozenset[str]:
    """Predicates shown in sections of their own: the text, and the mentions (ng:hasMention, and
    again as what it entails, gaf:denotedBy: thousands of rows on a busy actor's page otherwise)."""
    return frozenset({str(NG.text), *mention_link_iris()})


# What `_evidence` reads of a mention: the rest of its statements are not read at all.
_EVIDENCE_PREDICATES = tuple(map(str, (
    NG.inArticle, NG.beginIndex, NG.endIndex, NG.anchorOf, NG.sentenceBeginIndex, NG.sentence, NG.sentenceEndIndex,
    NG.source, NG.certainty, NG.polarity, NG.tense, NG.confidence)))


def _one(values: dict[str, list], predicate: str) -> ox.NamedNode | ox.Literal | None:
    """The first value of `predicate` in a resource's values, or None."""
    found = values.get(str(predicate))
    return found[0] if found else None


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


def fold(name: str) -> str:
    """A name reduced for comparison: no accents, case, punctuation or spacing."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if c.isalnum()).casefold()


def split_aliases(label: str, aliases: list[str], shown: int = ALIASES_SHOWN) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A few readable other names, and the rest.

    Gazetteers carry dozens of alternate names with stray punctuation, transliteration
    keys and scripts a reader may not read: tidy them, drop repeats of the label or of
    each other (after folding), and show first Latin-script names that look like names.
    """
    seen, names = {fold(label)}, []
    for alias in aliases:
        tidy = alias.strip().strip(";,.:").strip()
        if tidy and fold(tidy) and fold(tidy) not in seen:
            seen.add(fold(tidy))
            names.append(tidy)
    latin = [n for n in names if all("LATIN" in unicodedata.name(c, "") for c in n if c.isalpha())]
    readable = sorted((n for n in latin if n[0].isupper()), key=lambda n: (len(n), n))[:shown]
    rest = sorted(n for n in names if n not in readable)
    return tuple(readable), tuple(rest)


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
        """An event as its own page and the pages of its place and actors show it."""
        node = ox.NamedNode(iri)
        read = self.reader
        own = read.values(node)
        etype, place = _one(own, NG.eventType), _one(own, NG.place)
        participants = []
        for part in own.get(str(NG.hasParticipation), []):
            role, who = read.first(part, str(NG.role)), read.first(part, str(NG.participant))
            if role is not None and who is not None:
                participants.append((local_name(role.value).removesuffix("Role").lower(),
                                     self.paths.link(who.value, read.label(who))))
        return EventView(
            iri=iri,
            link=self.paths.link(iri, text(_one(own, RDFS_LABEL))),
            event_type=self.paths.link(etype.value, read.label(etype)) if etype else None,
            date=text(_one(own, NG.date)),
            precision=local_name(text(_one(own, NG.datePrecision))).removesuffix("Precision").lower(),
            stated=None if _one(own, NG.dateStated) is None else _one(own, NG.dateStated).value == "true",
            place=self.paths.link(place.value, read.label(place)) if place else None,
            participants=tuple(sorted(participants, key=lambda p: (p[0], p[1].label))),
            evidence=self._evidence(own.get(str(NG.hasMention), [])),
        )

    def _evidence(self, mentions: list) -> tuple[Evidence, ...]:
        """One Evidence per mention (of an event or an entity), in order of publication."""
        read = self.reader
        items = []
        for mention, own in zip(mentions, read.values_of(mentions, _EVIDENCE_PREDICATES)):
            article = _one(own, NG.inArticle)
            if article is None:
                continue
            begin, end = int(text(_one(own, NG.beginIndex)) or 0), int(text(_one(own, NG.endIndex)) or 0)
            anchor, sentence_begin = text(_one(own, NG.anchorOf)), int(text(_one(own, NG.sentenceBeginIndex)) or 0)
            sentence = text(_one(own, NG.sentence))
            if not sentence and _one(own, NG.sentenceEndIndex) is not None:
                # Not published with the mention: cut it from the article's text by its offsets.
                sentence = text(read.first(article, str(NG.text)))[
                    sentence_begin:int(_one(own, NG.sentenceEndIndex).value)]
            before, marked, after = split_sentence(sentence or anchor, sentence_begin, begin, end, anchor)
            cited = [self.paths.link(s.value, read.label(s)) for s in own.get(str(NG.source), [])]
            stance, badges = _stance(text(_one(own, NG.certainty)), text(_one(own, NG.polarity)),
                                     text(_one(own, NG.tense)), bool(cited))
            published = text(read.first(article, str(NG.published)))
            items.append(((published, article.value, begin), Evidence(
                anchor_id=f"m-{begin}-{end}",
                article=self.paths.link(article.value, read.label(article) or local_name(article.value)),
                published=published, outlet=text(read.first(article, str(NG.outletName))),
                before=before, mention=marked, after=after, sources=tuple(dict.fromkeys(cited)),
                badges=badges, stance=stance, confidence=text(_one(own, NG.confidence)),
            )))
        return tuple(evidence for _, evidence in sorted(items, key=lambda item: item[0]))

    def entity(self, iri: str, kind: str) -> EntityView:
        """An actor or place: who or what it is, its authorities, and its events by day."""
        node = ox.NamedNode(iri)
        read = self.reader
        own = read.values(node, without=mention_link_iris())  # counted and sampled below

        def first(*predicates: str) -> str:
            return next((text(_one(own, p)) for p in predicates if _one(own, p) is not None), "")

        authorities = tuple(
            Link(o.value, AUTHORITY_NAMES.get(o.value.split("/")[2], o.value), external=True)
            for p in (OWL_SAMEAS, SKOS_EXACT) for o in own.get(p, [])
            if isinstance(o, ox.NamedNode) and o.value.startswith(("http://", "https://")))
        lat, long = first(WGS84_LAT), first(WGS84_LONG)
        label = first(RDFS_LABEL, SKOS_PREF, SCHEMA_NAME) or local_name(iri)
        shown, more = split_aliases(label, [a.value for a in own.get(SKOS_ALT, [])])
        view = EntityView(
            iri=iri, kind=kind, label=label,
            types=self._specific_types(own.get(RDF_TYPE, [])),
            aliases=shown, more_aliases=more,
            description=first(RDFS_COMMENT, SCHEMA_DESCRIPTION, DCT_DESCRIPTION, SKOS_DEFINITION),
            authorities=authorities,
            coordinates=(float(lat), float(long)) if lat and long else None,
            facts=self._facts(own),
            inverse=self._inverse(node),
        )
        events = self._dated_events(node)
        events.sort(key=lambda item: (item[0], item[1]), reverse=True)
        view.event_count = len(events)
        view.dates = [date for date, _ in events]
        days: dict[str, list[EventView]] = {}
        for date, event in events[:MAX_EVENTS_PER_PAGE]:
            days.setdefault(date or "undated", []).append(self.event(event))
        view.days = list(days.items())
        view.mention_count, mentions = read.objects(node, str(NG.hasMention), MAX_EVENTS_PER_PAGE)
        view.mentions = self._evidence(mentions)
        return view

    def _specific_types(self, types: list) -> tuple[str, ...]:
        """Our ontology's classes of a resource minus their superclasses (inferred ones are
        materialised in the store), or every type when none is ours."""
        ours = [t for t in types if isinstance(t, ox.NamedNode) and t.value.startswith(str(NG))]
        supers = {sup for t in ours for sup in self._superclasses(t)}
        specific = [t for t in ours if t not in supers] or types
        return tuple(sorted({local_name(t.value) for t in specific}))

    def _superclasses(self, cls: ox.NamedNode) -> set:
        """Every class above `cls` by rdfs:subClassOf (the ontology graph is in the store)."""
        found, todo = set(), [cls]
        while todo:
            for sup in self.reader.triples(todo.pop(), ox.NamedNode(RDFS_SUBCLASS), None):
                if sup.object not in found and sup.object != cls:
                    found.add(sup.object)
                    todo.append(sup.object)
        return found

    def _dated_events(self, node: ox.NamedNode) -> list[tuple[str, str]]:
        """(date or "", IRI) of each event `node` takes part in (through a participation) or
        that happens at it.

        A busy entity has thousands: one query (site/queries/entity_events.rq) finds them
        and their dates, rather than a lookup per participation and another per event. It is
        recorded as those lookups (`Reader.cover`), which are all it reads, so the page's
        reuse stays exact. As by lookups, an event with several dates has the first its
        lookup gives, and one that is a blank node none."""
        read = self.reader
        participations: dict[Term, None] = {}
        dates: dict[Term, dict[str, None]] = {}
        for row in read.select("entity_events", e=node):
            if "p" in row:
                participations[row["p"]] = None
            found = dates.setdefault(row["ev"], {})
            if "date" in row:
                found[row["date"].value] = None
        participant, has_participation, date, place = (
            ox.NamedNode(str(p)) for p in (NG.participant, NG.hasParticipation, NG.date, NG.place))
        read.cover([(None, participant, node), (None, place, node),
                    *((None, has_participation, part) for part in participations),
                    *((event, date, None) for event in dates if isinstance(event, ox.NamedNode))])
        events = []
        for event, found in dates.items():
            if not isinstance(event, ox.NamedNode) or not found:
                events.append(("", event.value))
            else:
                events.append((next(iter(found)) if len(found) == 1 else text(read.first(event, str(NG.date))),
                               event.value))
        return events

    def _facts(self, own: dict[str, list]) -> tuple[Fact, ...]:
        """Every statement except the text and mention lists, which have their own sections."""
        facts = []
        for pred, objects in own.items():
            if pred in _hidden_facts():
                continue
            for obj in objects:
                if isinstance(obj, ox.NamedNode):
                    value = self.paths.link(obj.value, self.reader.label(obj) or local_name(obj.value))
                else:
                    value = Link("", obj.value)
                facts.append(Fact(local_name(pred), value))
        return tuple(sorted(facts, key=lambda f: (f.prop, f.value.label)))

    def _inverse(self, node: ox.NamedNode) -> tuple[Inverse, ...]:
        """Per property pointing at `node` (in IRI order): how many resources (IRIs) do, and a
        sample of INVERSE_SAMPLE rows (Pubby's and DBpedia's "is ... of" links). The store counts
        and takes the first INVERSE_SAMPLE subjects in its own order, so which ones a busy actor
        shows costs nothing to choose (sorting its ~78,000 referring mentions took seconds)."""
        return tuple(Inverse(local_name(prop.value), count, self._sample(subjects))
                     for prop, (count, subjects) in sorted(self.reader.referrers(node, INVERSE_SAMPLE).items(),
                                                           key=lambda item: item[0].value))

    def _sample(self, subjects: list[Term]) -> tuple[Link, ...]:
        """Up to INVERSE_SAMPLE rows for `subjects`: blank nodes first, then IRIs by value, each
        labelled by its rdfs:label or ng:title (a row per label)."""
        rows: list[Link] = []
        for subject in sorted(subjects, key=lambda s: (isinstance(s, ox.NamedNode), s.value)):
            labels = dict.fromkeys(t.object.value for p in (RDFS_LABEL, NG_TITLE)
                                   for t in self.reader.triples(subject, ox.NamedNode(p), None)
                                   ) if isinstance(subject, ox.NamedNode) else {}
            rows += [self.paths.link(subject.value, label) for label in labels or [""]]
            if len(rows) >= INVERSE_SAMPLE:
                break
        return tuple(rows[:INVERSE_SAMPLE])

    def article(self, iri: str) -> ArticleView:
        node = ox.NamedNode(iri)
        read = self.reader
        own = read.values(node)
        body = text(_one(own, NG.text))
        meta = tuple((name, local_name(v.value) if isinstance(v, ox.NamedNode) else v.value)
                     for name, pred in ARTICLE_META if (v := _one(own, pred)) is not None)
        outlet, url = _one(own, NG.outlet), text(_one(own, NG.url))
        mentions = read.subjects(str(NG.inArticle), node)
        return ArticleView(
            iri=iri,
            label=text(_one(own, NG.title)) or text(_one(own, NG.sourceFile)) or local_name(iri),
            meta=meta,
            outlet=self.paths.link(outlet.value, read.label(outlet)) if isinstance(outlet, ox.NamedNode) else None,
            url=url if url.startswith(("http://", "https://")) else "",
            segments=self._segments(body, mentions),
            mention_count=len(mentions),
        )

    def _segments(self, body: str, mentions: list) -> tuple[Segment, ...]:
        """Cut the text at every mention boundary; each piece links to its innermost mention.

        Links cannot nest in HTML, so an event mention containing a place mention becomes
        pieces: the place's own words link to the place, the rest to the event.

        A mention is read by the four lookups the page needs, not by all of its ~20
        statements: reading them was most of an article page's cost.
        """
        read = self.reader
        event_mention = ox.NamedNode(NG.EventMention)
        spans = []
        for mention in mentions:
            begin = int(text(read.first(mention, str(NG.beginIndex))) or -1)
            end = int(text(read.first(mention, str(NG.endIndex))) or -1)
            if 0 <= begin < end <= len(body):
                kind = "event" if read.triples(mention, ox.NamedNode(RDF_TYPE), event_mention) else "entity"
                target = read.first(mention, str(NG.refersTo))
                link = self.paths.link(target.value, read.label(target)) if target is not None else None
                spans.append((begin, end, kind, link))
        return tuple(_cut(body, spans))


def _cut(body: str, spans: list[tuple[int, int, str, Link | None]]) -> Iterator[Segment]:
    """The segments of `body` between consecutive span boundaries, in one sweep.

    A span covers the piece from `lo` exactly when it began at or before `lo` and has not
    ended yet, so the spans covering each piece are kept as the sweep passes boundaries
    (in their given order, which decides ties of the innermost one and the anchors' order)
    rather than looked for among all spans for every piece.
    """
    cuts = sorted({0, len(body), *(b for b, *_ in spans), *(e for _, e, *_ in spans)})
    starting: dict[int, list[int]] = {}
    for number, (begin, *_) in enumerate(spans):
        starting.setdefault(begin, []).append(number)
    active: list[int] = []  # indexes into `spans` of those covering the current piece, in order
    for lo, hi in zip(cuts, cuts[1:]):
        new = starting.get(lo, [])
        if new:
            active = sorted(active + new)
        active = [n for n in active if spans[n][1] >= hi]
        if not active:
            yield Segment(body[lo:hi], None, "", ())
            continue
        anchors = tuple(dict.fromkeys(f"m-{spans[n][0]}-{spans[n][1]}" for n in active if spans[n][0] == lo))
        _, _, kind, link = spans[min(active, key=lambda n: spans[n][1] - spans[n][0])]
        yield Segment(body[lo:hi], link, kind, anchors)


RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDFS_SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
RDFS_COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"
NG_TITLE = str(NG.title)
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
AUTHORITY_NAMES = {"www.wikidata.org": "Wikidata", "sws.geonames.org": "GeoNames", "dbpedia.org": "DBpedia"}
ARTICLE_META = (("Source file", NG.sourceFile), ("Outlet", NG.outletName), ("Author", NG.author),
                ("Published", NG.published), ("Date from", NG.dateOrigin), ("Checksum", NG.checksum))

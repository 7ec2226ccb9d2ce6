"""Map: the linked corpus to RDF, one named graph per article plus the resolved graph.

The shape of what is written here is documented in ontology/README.md; the shapes in
shapes/ check it. IRIs come from `Minter`, so the same corpus always gives the same
graphs. No blank nodes: graphs from two builds compare triple by triple.

Graphs are built as plain sets of rdflib triples (`NamedGraph`): the build only adds,
iterates and serialises them, and a set does that about ten times faster than an
rdflib Graph, which matters at a few thousand triples per article.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rdflib import Literal, URIRef
from rdflib.plugins.serializers.nt import _quoteLiteral
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD

from .model import Article, ArticleExtraction, Corpus, EntityRecord, Event, EventMention, Precision, Span
from .vocab import GEO, GEONAMES, NG, NGT, WD, WGS84, Minter, Triple, slug

_CERTAINTY = {"certain": NG.Certain, "probable": NG.Probable, "possible": NG.Possible}
_POLARITY = {"positive": NG.Positive, "negative": NG.Negative}
_TENSE = {"past": NG.PastOrPresent, "future": NG.Future}
_ROLE = {"agent": (NG.agent, NG.AgentRole), "target": (NG.target, NG.TargetRole),
         "recipient": (NG.recipient, NG.RecipientRole)}
_DATE_ORIGIN = {"metadata": NG.DateFromMetadata, "header": NG.DateFromHeader, "inferred": NG.DateInferred}
# rdflib's XSD is a DefinedNamespace whose attribute lookup is slow; these are made per mention.
_COUNT, _DECIMAL = XSD.nonNegativeInteger, XSD.decimal
_PRECISION = {Precision.DAY: (NG.DayPrecision, XSD.date), Precision.MONTH: (NG.MonthPrecision, XSD.gYearMonth),
              Precision.YEAR: (NG.YearPrecision, XSD.gYear)}
# The terms an article graph is made of, looked up once: a namespace attribute lookup per
# triple (NG.x, RDF.type) was half the cost of mapping an article.
_TYPE, _LABEL, _ANY_URI, _DATE = RDF.type, RDFS.label, XSD.anyURI, XSD.date
_ARTICLE, _ENTITY_MENTION, _EVENT_MENTION = NG.Article, NG.EntityMention, NG.EventMention
_SOURCE_FILE, _CHECKSUM, _TEXT, _TITLE = NG.sourceFile, NG.checksum, NG.text, NG.title
_OUTLET, _AUTHOR, _URL, _PUBLISHED, _DATE_ORIGIN_OF = NG.outletName, NG.author, NG.url, NG.published, NG.dateOrigin
_REFERS_TO, _IN_ARTICLE, _ANCHOR_OF, _SENTENCE = NG.refersTo, NG.inArticle, NG.anchorOf, NG.sentence
_BEGIN, _END, _SENTENCE_BEGIN, _SENTENCE_END = NG.beginIndex, NG.endIndex, NG.sentenceBeginIndex, NG.sentenceEndIndex
_CONFIDENCE, _CERTAINTY_OF, _POLARITY_OF, _TENSE_OF, _SOURCE = (NG.confidence, NG.certainty, NG.polarity, NG.tense,
                                                                 NG.source)


@dataclass(frozen=True)
class NamedGraph:
    """A named graph of the publication: its IRI and its triples."""

    name: URIRef
    triples: frozenset[Triple]

    def ntriples(self) -> bytes:
        """The graph as an N-Triples document, written without building an rdflib Graph."""
        return ntriples(self.triples)


def ntriples(triples: Iterable[Triple]) -> bytes:
    """The lines rdflib's N-Triples writer gives the triples (`_nt_row`), with each IRI and
    blank node written once: an article's subjects and predicates recur in most of its
    triples, and rdflib checks an IRI again every time it writes one."""
    written: dict = {}

    def term(node) -> str:
        if (text := written.get(node)) is None:
            text = written[node] = node.n3()
        return text

    return "".join([f"{term(s)} {term(p)} {_quoteLiteral(o) if isinstance(o, Literal) else term(o)} .\n"
                    for s, p, o in triples]).encode("utf-8")


def map_resolved(corpus: Corpus, minter: Minter, retired: Mapping[str, str | None] | None = None) -> NamedGraph:
    """The graph of what spans articles: linked entities and events, and `retired` event keys (an
    earlier release's, see link.EventKeys) as dct:isReplacedBy the event that took their mentions,
    so that an IRI once published keeps leading to its event."""
    resolved: set[Triple] = set()
    for record in corpus.entities.values():
        _map_entity(resolved, record, minter)
    for event in corpus.events:
        _map_event(resolved, event, corpus, minter)
    for key, successor in (retired or {}).items():
        if successor is not None:
            resolved.add((minter.event(key), DCTERMS.isReplacedBy, minter.event(successor)))
    return NamedGraph(minter.resolved_graph(), frozenset(resolved))


def mention_events(corpus: Corpus) -> dict[tuple[str, int], Event]:
    """The event each (article id, event mention index) was linked to."""
    return {mention: event for event in corpus.events for mention in event.mentions}


def map_article_graph(extraction: ArticleExtraction, event_of: dict[tuple[str, int], Event],
                      minter: Minter) -> NamedGraph:
    """The article's named graph."""
    triples = map_article(extraction, event_of, minter)
    return NamedGraph(minter.article_graph(extraction.article.id), frozenset(triples))


def map_article(extraction: ArticleExtraction, event_of: dict[tuple[str, int], Event], minter: Minter
                ) -> set[Triple]:
    """The article's own graph: the article, its mentions and their attribution."""
    graph: set[Triple] = set()
    article = extraction.article
    node = minter.article(article.id)
    graph.add((node, _TYPE, _ARTICLE))
    graph.add((node, _SOURCE_FILE, Literal(article.source_name)))
    graph.add((node, _CHECKSUM, Literal(article.checksum)))
    graph.add((node, _TEXT, Literal(article.text)))
    if article.title:
        graph.add((node, _TITLE, Literal(article.title)))
        graph.add((node, _LABEL, Literal(article.title)))
    else:
        graph.add((node, _LABEL, Literal(article.source_name)))
    if article.outlet:
        graph.add((node, _OUTLET, Literal(article.outlet)))
    if article.author:
        graph.add((node, _AUTHOR, Literal(article.author)))
    if article.url:
        graph.add((node, _URL, Literal(article.url, datatype=_ANY_URI)))
    if article.date:
        graph.add((node, _PUBLISHED, Literal(article.date.isoformat(), datatype=_DATE)))
        graph.add((node, _DATE_ORIGIN_OF, _DATE_ORIGIN[article.date_origin.value]))
    mentions = _Mentions(graph, article, node, minter)
    for mention in extraction.entities:
        subject = mentions.add(mention.span, mention.confidence)
        graph.add((subject, _TYPE, _ENTITY_MENTION))
        graph.add((subject, _REFERS_TO, minter.entity(mention.entity.key)))
    for index, mention in enumerate(extraction.events):
        event = event_of.get((article.id, index))
        if event is not None:
            _map_event_mention(graph, mentions, mention, minter.event(event.key), minter)
    return graph


class _Mentions:
    """Writes an article's mentions into its graph, making each literal once: the same
    offsets, sentences and confidences recur across an article's mentions, and making an
    rdflib Literal costs more than looking one up."""

    def __init__(self, graph: set[Triple], article: Article, node: URIRef, minter: Minter):
        self.graph, self.article, self.node, self.minter = graph, article, node, minter
        self.literals: dict[tuple[str | int, URIRef | None], Literal] = {}

    def literal(self, value: str | int, datatype: URIRef | None = None) -> Literal:
        key = (value, datatype)
        if (made := self.literals.get(key)) is None:
            made = self.literals[key] = Literal(value, datatype=datatype)
        return made

    def add(self, span: Span, confidence: float) -> URIRef:
        """The mention of `span`'s triples; returns its IRI."""
        graph, literal, article = self.graph, self.literal, self.article
        subject = self.minter.mention(article.id, span.start, span.end)
        graph.add((subject, _IN_ARTICLE, self.node))
        graph.add((subject, _BEGIN, literal(span.start, _COUNT)))
        graph.add((subject, _END, literal(span.end, _COUNT)))
        graph.add((subject, _ANCHOR_OF, literal(span.text)))
        graph.add((subject, _SENTENCE, literal(article.text[span.sentence_start:span.sentence_end])))
        graph.add((subject, _SENTENCE_BEGIN, literal(span.sentence_start, _COUNT)))
        graph.add((subject, _SENTENCE_END, literal(span.sentence_end, _COUNT)))
        graph.add((subject, _CONFIDENCE, literal(f"{confidence:.2f}", _DECIMAL)))
        return subject


def _map_event_mention(graph: set[Triple], mentions: _Mentions, mention: EventMention, event: URIRef,
                       minter: Minter) -> None:
    subject = mentions.add(mention.span, mention.confidence)
    graph.add((subject, _TYPE, _EVENT_MENTION))
    graph.add((subject, _REFERS_TO, event))
    graph.add((subject, _CERTAINTY_OF, _CERTAINTY[mention.factuality.certainty]))
    graph.add((subject, _POLARITY_OF, _POLARITY[mention.factuality.polarity]))
    graph.add((subject, _TENSE_OF, _TENSE[mention.factuality.tense]))
    for source in mention.sources:
        graph.add((subject, _SOURCE, minter.entity(source.key)))


def _map_entity(graph: set[Triple], record: EntityRecord, minter: Minter) -> None:
    node = minter.entity(record.key)
    graph.add((node, RDF.type, NG[record.kind]))
    graph.add((node, RDFS.label, Literal(record.label)))
    for alias in record.aliases:
        if alias != record.label:
            graph.add((node, SKOS.altLabel, Literal(alias)))
    if record.description:
        graph.add((node, RDFS.comment, Literal(record.description)))
    if record.sector:
        graph.add((node, NG.sector, Literal(record.sector)))
    if record.country:
        graph.add((node, NG.country, minter.entity(record.country)))
    if record.wikidata:
        graph.add((node, NG.wikidataId, Literal(record.wikidata)))
        graph.add((node, OWL.sameAs, WD[record.wikidata]))
    if record.geonames is not None:
        graph.add((node, NG.geonamesId, Literal(record.geonames)))
        graph.add((node, SKOS.exactMatch, URIRef(GEONAMES.format(record.geonames))))
    if record.latitude is not None and record.longitude is not None:
        graph.add((node, WGS84.lat, Literal(f"{record.latitude:.5f}", datatype=XSD.decimal)))
        graph.add((node, WGS84.long, Literal(f"{record.longitude:.5f}", datatype=XSD.decimal)))
        geometry = URIRef(f"{node}/geometry")
        graph.add((node, GEO.hasGeometry, geometry))
        graph.add((geometry, RDF.type, GEO.Geometry))
        wkt = f"POINT({record.longitude:.5f} {record.latitude:.5f})"
        graph.add((geometry, GEO.asWKT, Literal(wkt, datatype=GEO.wktLiteral)))


def _map_event(graph: set[Triple], event: Event, corpus: Corpus, minter: Minter) -> None:
    node = minter.event(event.key)
    graph.add((node, RDF.type, NG.Event))
    graph.add((node, NG.eventType, NGT[event.event_type]))
    graph.add((node, RDFS.label, Literal(event_label(event, corpus))))
    for participant in event.participants:
        shortcut, role = _ROLE[participant.role]
        actor = minter.entity(participant.entity.key)
        graph.add((node, shortcut, actor))
        participation = URIRef(f"{node}/role/{participant.role}/{slug(participant.entity.key)}")
        graph.add((node, NG.hasParticipation, participation))
        graph.add((participation, RDF.type, NG.Participation))
        graph.add((participation, NG.role, role))
        graph.add((participation, NG.participant, actor))
    if event.place:
        graph.add((node, NG.place, minter.entity(event.place.key)))
    if event.time:
        precision, datatype = _PRECISION[event.time.precision]
        graph.add((node, NG.date, Literal(event.time.value, datatype=datatype)))
        graph.add((node, NG.datePrecision, precision))
        graph.add((node, NG.dateStated, Literal(event.time.stated)))
    for article_id, index in event.mentions:
        span = corpus.extractions[article_id].events[index].span
        graph.add((node, NG.hasMention, minter.mention(article_id, span.start, span.end)))


def event_label(event: Event, corpus: Corpus) -> str:
    """A readable label: "TakeControl: Rastan, 2024-12-06"."""
    where = corpus.entities[event.place.key].label if event.place and event.place.key in corpus.entities else None
    parts = [p for p in (where, event.time.value if event.time else None) if p]
    return f"{event.event_type}: {', '.join(parts)}" if parts else event.event_type

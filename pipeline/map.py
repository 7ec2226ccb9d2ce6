"""Map: the linked corpus to RDF, one named graph per article plus the resolved graph.

The shape of what is written here is documented in ontology/README.md; the shapes in
shapes/ check it. IRIs come from `Minter`, so the same corpus always gives the same
graphs. No blank nodes: graphs from two builds compare triple by triple.

Graphs are built as plain sets of rdflib triples (`NamedGraph`): the build only adds,
iterates and serialises them, and a set does that about ten times faster than an
rdflib Graph, which matters at a few thousand triples per article.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rdflib import Literal, URIRef
from rdflib.plugins.serializers.nt import _nt_row
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD

from .model import Article, ArticleExtraction, Corpus, EntityRecord, Event, EventMention, Precision, Span
from .vocab import GEO, GEONAMES, NG, NGT, WD, WGS84, Minter, slug

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


Triple = tuple  # (subject, predicate, object) of rdflib terms


@dataclass(frozen=True)
class NamedGraph:
    """A named graph of the publication: its IRI and its triples."""

    name: URIRef
    triples: frozenset[Triple]

    def ntriples(self) -> bytes:
        """The graph as an N-Triples document, written without building an rdflib Graph
        (by rdflib's own N-Triples line writer)."""
        return "".join(map(_nt_row, self.triples)).encode("utf-8")


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
    graph.add((node, RDF.type, NG.Article))
    graph.add((node, NG.sourceFile, Literal(article.source_name)))
    graph.add((node, NG.checksum, Literal(article.checksum)))
    graph.add((node, NG.text, Literal(article.text)))
    if article.title:
        graph.add((node, NG.title, Literal(article.title)))
        graph.add((node, RDFS.label, Literal(article.title)))
    else:
        graph.add((node, RDFS.label, Literal(article.source_name)))
    if article.outlet:
        graph.add((node, NG.outletName, Literal(article.outlet)))
    if article.author:
        graph.add((node, NG.author, Literal(article.author)))
    if article.url:
        graph.add((node, NG.url, Literal(article.url, datatype=XSD.anyURI)))
    if article.date:
        graph.add((node, NG.published, Literal(article.date.isoformat(), datatype=XSD.date)))
        graph.add((node, NG.dateOrigin, _DATE_ORIGIN[article.date_origin.value]))
    for mention in extraction.entities:
        subject = _map_mention(graph, article, mention.span, mention.confidence, minter)
        graph.add((subject, RDF.type, NG.EntityMention))
        graph.add((subject, NG.refersTo, minter.entity(mention.entity.key)))
    for index, mention in enumerate(extraction.events):
        event = event_of.get((article.id, index))
        if event is not None:
            _map_event_mention(graph, article, mention, minter.event(event.key), minter)
    return graph


def _map_mention(graph: set[Triple], article: Article, span: Span, confidence: float, minter: Minter) -> URIRef:
    article_id = article.id
    subject = minter.mention(article_id, span.start, span.end)
    graph.add((subject, NG.inArticle, minter.article(article_id)))
    graph.add((subject, NG.beginIndex, Literal(span.start, datatype=_COUNT)))
    graph.add((subject, NG.endIndex, Literal(span.end, datatype=_COUNT)))
    graph.add((subject, NG.anchorOf, Literal(span.text)))
    graph.add((subject, NG.sentence, Literal(article.text[span.sentence_start:span.sentence_end])))
    graph.add((subject, NG.sentenceBeginIndex, Literal(span.sentence_start, datatype=_COUNT)))
    graph.add((subject, NG.sentenceEndIndex, Literal(span.sentence_end, datatype=_COUNT)))
    graph.add((subject, NG.confidence, Literal(f"{confidence:.2f}", datatype=_DECIMAL)))
    return subject


def _map_event_mention(graph: set[Triple], article: Article, mention: EventMention, event: URIRef, minter: Minter) -> None:
    subject = _map_mention(graph, article, mention.span, mention.confidence, minter)
    graph.add((subject, RDF.type, NG.EventMention))
    graph.add((subject, NG.refersTo, event))
    graph.add((subject, NG.certainty, _CERTAINTY[mention.factuality.certainty]))
    graph.add((subject, NG.polarity, _POLARITY[mention.factuality.polarity]))
    graph.add((subject, NG.tense, _TENSE[mention.factuality.tense]))
    for source in mention.sources:
        graph.add((subject, NG.source, minter.entity(source.key)))


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

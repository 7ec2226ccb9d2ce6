"""The authorities names are read against: spelling variants, folding, country context."""

from __future__ import annotations

from pipeline.extract_lexicon import fold, load_lexicon, skeleton


def test_fold_ignores_case_accents_punctuation_and_a_leading_the():
    assert fold("The Dar‘ā") == fold("dara")
    assert fold("Assadʼs army") == fold("Assad's Army") == "assad army"
    assert fold("Recep Tayyip Erdoğan") == "recep tayyip erdogan"


def test_transliteration_variants_share_a_skeleton():
    assert skeleton("Talbise") == skeleton("Tallbisah") == skeleton("Talbisa")
    assert skeleton("Deir Ezzor") == skeleton("Deir ez-Zor")
    assert skeleton("Al-Bokamal") == skeleton("Al-Bukamal")


def test_places_resolve_to_geonames_with_coordinates():
    lex = load_lexicon()
    for name in ("Homs", "Hims", "Deraa", "Suweida", "Quneitra", "Hasakah", "Palmyra"):
        entry, confidence = lex.place(name, ("place/syria",))
        assert entry.record.geonames and entry.record.latitude and entry.record.country == "place/syria", name
        assert confidence == 0.9
    entry, confidence = lex.place("Talbise", ("place/syria",))
    assert (entry.record.geonames, confidence) == (163779, 0.7)  # a spelling variant: lower confidence


def test_country_context_decides_between_namesakes():
    lex = load_lexicon()
    assert lex.place("Tripoli", ("place/lebanon",))[0].record.country == "place/lebanon"
    assert lex.place("Tripoli")[0].record.country == "place/libya"  # no context: the most populous


def test_supplementary_gazetteer_and_actor_dictionary():
    lex = load_lexicon()
    assert lex.place("Moluccas checkpoint")[0].record.kind == "Facility"
    hts = lex.actor("HTS").record
    assert (hts.key, hts.kind, hts.sector) == ("actor/hayat-tahrir-al-sham", "ArmedGroup", "REB")
    assert lex.actor("government forces").record.kind == "GenericActor"
    assert lex.actor("is") is None and lex.actor("IS").record.key == "actor/islamic-state"
    assert lex.actor("rebel").record.key == lex.actor("rebels").record.key


def test_regions_can_be_remade_from_their_key():
    lex = load_lexicon()
    region = lex.region("northwest", "place/syria")
    assert region.label == "northwestern Syria" and "northwest Syria" in region.aliases
    assert lex.made(region.key) == region
    around = lex.around("south", "place/damascus")
    assert lex.made(around.key) == around

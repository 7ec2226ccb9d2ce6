"""A small, realistic sample graph in the shape of ontology/README.md, and checks of it.

The publish tests develop against this before the build exists: three articles (one of
them hostile: markup, a script end tag, bidi overrides, a control character), entity
and event mentions with real offsets, a claim, a denial and a plan of the same events,
actors and places with authority links. Offsets are computed from the text so they are
right by construction; the tests below check the sample keeps the contract.
"""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import URIRef

from pipeline.reason import hierarchy

BASE = "http://example.org/ng/"
NG = "https://w3id.org/newsgraph/ns#"
NGT = "https://w3id.org/newsgraph/event-type/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
XSD = "http://www.w3.org/2001/XMLSchema#"
WGS84 = "http://www.w3.org/2003/01/geo/wgs84_pos#"
GEO = "http://www.opengis.net/ont/geosparql#"
OWL = "http://www.w3.org/2002/07/owl#"

HOSTILE_TITLE = 'Report </script><script>alert("title")</script> & <b>bold</b>'
HOSTILE_TEXT = (
    HOSTILE_TITLE + "\n\n"
    "Residents of Homs said <script>alert('x')</script> nothing happened.\n"
    "An <img src=x onerror=alert(1)> tag, a \u202eright-to-left override\u202c, "
    "a zero\u200bwidth space, a bell \x07 and an emoji \U0001F525 sit here.\n"
    "Hayat Tahrir al-Sham fighters entered Homs on 7 December, witnesses said.\n"
)

ARTICLES = {
    "000-reuters": dict(
        source="000_reuters.txt", title="Rebels close in on Homs", outlet="Reuters",
        published="2024-12-06",
        text=(
            "Rebels close in on Homs\n\n"
            "Government forces have withdrawn from Homs, the Syrian Observatory for Human "
            "Rights said on Friday. Hayat Tahrir al-Sham took control of Rastan on 6 December. "
            "Iran will send weapons to Syria, an Iranian official said.\n"
        ),
    ),
    "001-sana": dict(
        source="001_sana.txt", title="Army denies withdrawal", outlet="SANA",
        published="2024-12-07",
        text=(
            "Army denies withdrawal\n\n"
            "The Syrian Arab Army denied that government forces had withdrawn from Homs. "
            "HTS probably attacked Hama on 5 December.\n"
        ),
    ),
    "002-hostile": dict(
        source="002_hostile.txt", title=HOSTILE_TITLE, outlet=None, published="2024-12-07",
        text=HOSTILE_TEXT,
    ),
}

# key -> (class, label, aliases, extra)
ENTITIES = {
    "place/syria": ("Country", "Syria", (), dict(wikidata="Q858", geonames=163843, lat="35.0", long="38.0")),
    "place/homs": ("Place", "Homs", ("Hims",), dict(geonames=169577, lat="34.72682", long="36.72339", country="place/syria")),
    "place/rastan": ("Place", "Rastan", (), dict(geonames=169389, lat="34.92667", long="36.73241", country="place/syria")),
    "place/hama": ("Place", "Hama", (), dict(geonames=170017, lat="35.13179", long="36.75783", country="place/syria")),
    "place/iran": ("Country", "Iran", (), dict(wikidata="Q794", geonames=130758, lat="32.0", long="53.0")),
    "actor/hayat-tahrir-al-sham": ("ArmedGroup", "Hayat Tahrir al-Sham", ("HTS",), dict(wikidata="Q20712622", sector="Rebels", country="place/syria", description="Sunni Islamist armed group in north-west Syria.")),
    "actor/syrian-government-forces": ("StateForce", "Syrian government forces", ("government forces", "Syrian Arab Army"), dict(country="place/syria")),
    "actor/syrian-observatory-for-human-rights": ("Organisation", "Syrian Observatory for Human Rights", ("SOHR",), dict(wikidata="Q1056548")),
    "actor/iran": ("State", "Iran", (), dict(wikidata="Q794", country="place/iran")),
    "actor/syria": ("State", "Syria", (), dict(wikidata="Q858", country="place/syria")),
    "actor/reuters": ("MediaOutlet", "Reuters", (), dict(wikidata="Q130879")),
    "actor/sana": ("MediaOutlet", "SANA", (), dict()),
    "actor/witnesses": ("GenericActor", "witnesses", (), dict()),
}

# key -> (type, date, precision, place, [(role, actor)])
EVENTS = {
    "2024-12-06-withdraw-homs": ("Withdraw", "2024-12-06", "Day", "place/homs", [("Agent", "actor/syrian-government-forces")]),
    "2024-12-06-takecontrol-rastan": ("TakeControl", "2024-12-06", "Day", "place/rastan", [("Agent", "actor/hayat-tahrir-al-sham")]),
    "2024-12-send-weapons-syria": ("ProvideAid", "2024-12", "Month", None, [("Agent", "actor/iran"), ("Recipient", "actor/syria")]),
    "2024-12-05-attack-hama": ("Attack", "2024-12-05", "Day", "place/hama", [("Agent", "actor/hayat-tahrir-al-sham")]),
    "2024-12-07-enter-homs": ("TakeControl", "2024-12-07", "Day", "place/homs", [("Agent", "actor/hayat-tahrir-al-sham")]),
}

# (article, event, anchor, sources, certainty, polarity, tense)
EVENT_MENTIONS = [
    ("000-reuters", "2024-12-06-withdraw-homs", "Government forces have withdrawn from Homs",
     ["actor/syrian-observatory-for-human-rights"], "Certain", "Positive", "PastOrPresent"),
    ("000-reuters", "2024-12-06-takecontrol-rastan", "Hayat Tahrir al-Sham took control of Rastan", [],
     "Certain", "Positive", "PastOrPresent"),
    ("000-reuters", "2024-12-send-weapons-syria", "Iran will send weapons to Syria", [],
     "Certain", "Positive", "Future"),
    ("001-sana", "2024-12-06-withdraw-homs", "government forces had withdrawn from Homs",
     ["actor/syrian-government-forces"], "Certain", "Negative", "PastOrPresent"),
    ("001-sana", "2024-12-05-attack-hama", "HTS probably attacked Hama", [], "Probable", "Positive", "PastOrPresent"),
    ("002-hostile", "2024-12-07-enter-homs", "Hayat Tahrir al-Sham fighters entered Homs",
     ["actor/witnesses"], "Certain", "Positive", "PastOrPresent"),
]

# (article, entity, anchor, occurrence)
ENTITY_MENTIONS = [
    ("000-reuters", "place/homs", "Homs", 1), ("000-reuters", "actor/syrian-government-forces", "Government forces", 0),
    ("000-reuters", "actor/syrian-observatory-for-human-rights", "Syrian Observatory for Human Rights", 0),
    ("000-reuters", "actor/hayat-tahrir-al-sham", "Hayat Tahrir al-Sham", 0), ("000-reuters", "place/rastan", "Rastan", 0),
    ("000-reuters", "actor/iran", "Iran", 0), ("000-reuters", "place/syria", "Syria", 0),
    ("001-sana", "actor/syrian-government-forces", "Syrian Arab Army", 0), ("001-sana", "place/homs", "Homs", 0),
    ("001-sana", "actor/hayat-tahrir-al-sham", "HTS", 0), ("001-sana", "place/hama", "Hama", 0),
    ("002-hostile", "place/homs", "Homs", 0), ("002-hostile", "actor/hayat-tahrir-al-sham", "Hayat Tahrir al-Sham", 0),
]

EVENT_TYPES = {  # concept -> (label, PLOVER, ACLED)
    "Withdraw": ("Withdraw", "RETREAT", "NonViolentTransferOfTerritory"),
    "TakeControl": ("Take control", "SEIZE", "NonStateActorOvertakesTerritory"),
    "ProvideAid": ("Provide aid", "AID", None),
    "Attack": ("Attack", "ASSAULT", "Attack"),
}


def _iri(key: str) -> ox.NamedNode:
    return ox.NamedNode(f"{BASE}id/{key}")


def _ng(local: str) -> ox.NamedNode:
    return ox.NamedNode(NG + local)


def _lit(value, datatype: str | None = None) -> ox.Literal:
    if datatype:
        return ox.Literal(str(value), datatype=ox.NamedNode(XSD + datatype))
    return ox.Literal(value)


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence around [start, end): from after the last newline or '. ' to the next."""
    begin = max(text.rfind("\n", 0, start) + 1, text.rfind(". ", 0, start) + 2 if ". " in text[:start] else 0)
    stop = min(i for i in (text.find(". ", end) + 1 or len(text), text.find("\n", end)) if i > 0)
    return begin, stop


def _find(text: str, anchor: str, occurrence: int = 0) -> int:
    at = -1
    for _ in range(occurrence + 1):
        at = text.index(anchor, at + 1)
    return at


def _mention(quads: list, graph, article: str, text: str, start: int, anchor: str, cls: str, target) -> ox.NamedNode:
    end = start + len(anchor)
    iri = _iri(f"mention/{article}/{start}-{end}")
    s_begin, s_end = _sentence(text, start, end)
    for p, o in [
        (RDF_TYPE, _ng(cls)), (_ng("inArticle"), _iri(f"article/{article}")), (_ng("refersTo"), target),
        (_ng("beginIndex"), _lit(start, "nonNegativeInteger")), (_ng("endIndex"), _lit(end, "nonNegativeInteger")),
        (_ng("anchorOf"), _lit(anchor)), (_ng("sentence"), _lit(text[s_begin:s_end])),
        (_ng("sentenceBeginIndex"), _lit(s_begin, "nonNegativeInteger")),
        (_ng("sentenceEndIndex"), _lit(s_end, "nonNegativeInteger")), (_ng("confidence"), _lit("0.85", "decimal")),
    ]:
        quads.append(ox.Quad(iri, p, o, graph))
    return iri


def sample_quads(base: str = BASE) -> list[ox.Quad]:
    """The sample dataset as quads, with `BASE` as the dataset's base IRI."""
    assert base == BASE, "the sample is minted under BASE"
    resolved = ox.NamedNode(f"{BASE}graph/resolved")
    ontology = ox.NamedNode(f"{BASE}graph/ontology")
    quads: list[ox.Quad] = []
    add = lambda s, p, o, g=resolved: quads.append(ox.Quad(s, p, o, g))  # noqa: E731

    for article, info in ARTICLES.items():
        graph = ox.NamedNode(f"{BASE}graph/article/{article}")
        a = _iri(f"article/{article}")
        add(a, RDF_TYPE, _ng("Article"), graph)
        add(a, _ng("sourceFile"), _lit(info["source"]), graph)
        add(a, _ng("title"), _lit(info["title"]), graph)
        if info["outlet"]:
            add(a, _ng("outletName"), _lit(info["outlet"]), graph)
            add(a, _ng("outlet"), _iri("actor/" + info["outlet"].lower()), graph)
        add(a, _ng("published"), _lit(info["published"], "date"), graph)
        add(a, _ng("dateOrigin"), _ng("DateFromMetadata"), graph)
        add(a, _ng("checksum"), _lit("sha256:" + "0" * 64), graph)
        add(a, _ng("text"), _lit(info["text"]), graph)

    for article, key, anchor, occurrence in ENTITY_MENTIONS:
        text = ARTICLES[article]["text"]
        graph = ox.NamedNode(f"{BASE}graph/article/{article}")
        m = _mention(quads, graph, article, text, _find(text, anchor, occurrence), anchor, "EntityMention", _iri(key))
        add(_iri(key), _ng("hasMention"), m)

    for article, key, anchor, sources, certainty, polarity, tense in EVENT_MENTIONS:
        text = ARTICLES[article]["text"]
        graph = ox.NamedNode(f"{BASE}graph/article/{article}")
        m = _mention(quads, graph, article, text, _find(text, anchor), anchor, "EventMention", _iri(f"event/{key}"))
        for source in sources:
            add(m, _ng("source"), _iri(source), graph)
        add(m, _ng("certainty"), _ng(certainty), graph)
        add(m, _ng("polarity"), _ng(polarity), graph)
        add(m, _ng("tense"), _ng(tense), graph)
        add(_iri(f"event/{key}"), _ng("hasMention"), m)

    for key, (cls, label, aliases, extra) in ENTITIES.items():
        e = _iri(key)
        # Stated with its superclasses, as a build materialises them (reason.entailed).
        for kind in (_ng(cls), *(ox.NamedNode(str(c)) for c in hierarchy().superclasses.get(URIRef(NG + cls), ()))):
            add(e, RDF_TYPE, kind)
        add(e, ox.NamedNode(RDFS + "label"), _lit(label))
        for alias in aliases:
            add(e, ox.NamedNode(SKOS + "altLabel"), _lit(alias))
        if "description" in extra:
            add(e, ox.NamedNode(RDFS + "comment"), _lit(extra["description"]))
        if "sector" in extra:
            add(e, _ng("sector"), _lit(extra["sector"]))
        if "country" in extra and extra["country"] != key:
            add(e, _ng("country"), _iri(extra["country"]))
        if "wikidata" in extra:
            add(e, _ng("wikidataId"), _lit(extra["wikidata"]))
            add(e, ox.NamedNode(OWL + "sameAs"), ox.NamedNode("http://www.wikidata.org/entity/" + extra["wikidata"]))
        if "geonames" in extra:
            add(e, _ng("geonamesId"), _lit(extra["geonames"], "integer"))
            add(e, ox.NamedNode(SKOS + "exactMatch"), ox.NamedNode(f"https://sws.geonames.org/{extra['geonames']}/"))
        if "lat" in extra:
            add(e, ox.NamedNode(WGS84 + "lat"), _lit(extra["lat"], "decimal"))
            add(e, ox.NamedNode(WGS84 + "long"), _lit(extra["long"], "decimal"))
            g = _iri(f"{key}/geometry")
            add(e, ox.NamedNode(GEO + "hasGeometry"), g)
            add(g, RDF_TYPE, ox.NamedNode(GEO + "Geometry"))
            add(g, ox.NamedNode(GEO + "asWKT"), ox.Literal(f"POINT({extra['long']} {extra['lat']})",
                                                           datatype=ox.NamedNode(GEO + "wktLiteral")))

    for key, (etype, date, precision, place, roles) in EVENTS.items():
        ev = _iri(f"event/{key}")
        add(ev, RDF_TYPE, _ng("Event"))
        add(ev, _ng("eventType"), ox.NamedNode(NGT + etype))
        where = ENTITIES[place][1] if place else "Syria"
        add(ev, ox.NamedNode(RDFS + "label"), _lit(f"{etype}: {where}, {date}"))
        for role, actor in roles:
            add(ev, _ng(role.lower()), _iri(actor))
            part = ox.NamedNode(f"{ev.value}/role/{role.lower()}/{actor.split('/')[1]}")
            add(ev, _ng("hasParticipation"), part)
            add(part, RDF_TYPE, _ng("Participation"))
            add(part, _ng("role"), _ng(role + "Role"))
            add(part, _ng("participant"), _iri(actor))
        if place:
            add(ev, _ng("place"), _iri(place))
        datatype = {"Day": "date", "Month": "gYearMonth", "Year": "gYear"}[precision]
        add(ev, _ng("date"), _lit(date, datatype))
        add(ev, _ng("datePrecision"), _ng(precision + "Precision"))
        add(ev, _ng("dateStated"), _lit("true", "boolean"))

    scheme = ox.NamedNode(NGT.rstrip("/"))
    for concept, (label, plover, acled) in EVENT_TYPES.items():
        c = ox.NamedNode(NGT + concept)
        add(c, RDF_TYPE, ox.NamedNode(SKOS + "Concept"), ontology)
        add(c, ox.NamedNode(SKOS + "prefLabel"), ox.Literal(label, language="en"), ontology)
        add(c, ox.NamedNode(SKOS + "definition"), ox.Literal(f"An event of type {label}.", language="en"), ontology)
        add(c, ox.NamedNode(SKOS + "inScheme"), scheme, ontology)
        add(c, ox.NamedNode(SKOS + "closeMatch"), ox.NamedNode("https://w3id.org/newsgraph/plover/" + plover), ontology)
        add(ox.NamedNode("https://w3id.org/newsgraph/plover/" + plover), ox.NamedNode(SKOS + "prefLabel"),
            ox.Literal(plover, language="en"), ontology)
        if acled:
            add(c, ox.NamedNode(SKOS + "broadMatch"), ox.NamedNode("https://w3id.org/newsgraph/acled/" + acled), ontology)
    return quads


def sample_store(path=None) -> ox.Store:
    """A store (on disk when `path` is given) holding the sample dataset."""
    store = ox.Store(str(path)) if path is not None else ox.Store()
    store.extend(sample_quads())
    return store


def test_mention_offsets_index_the_article_text():
    store = sample_store()
    rows = list(store.query(
        "PREFIX ng: <https://w3id.org/newsgraph/ns#> SELECT ?text ?b ?e ?anchor ?sb ?se ?sentence WHERE {"
        " ?m ng:inArticle ?a ; ng:beginIndex ?b ; ng:endIndex ?e ; ng:anchorOf ?anchor ;"
        " ng:sentence ?sentence ; ng:sentenceBeginIndex ?sb ; ng:sentenceEndIndex ?se . ?a ng:text ?text }",
        use_default_graph_as_union=True))
    assert len(rows) == len(EVENT_MENTIONS) + len(ENTITY_MENTIONS)
    for row in rows:
        text = row["text"].value
        b, e, sb, se = (int(row[v].value) for v in ("b", "e", "sb", "se"))
        assert text[b:e] == row["anchor"].value
        assert text[sb:se] == row["sentence"].value
        assert sb <= b < e <= se


def test_every_article_has_its_own_graph():
    store = sample_store()
    graphs = {g.value for g in store.named_graphs()}
    assert {f"{BASE}graph/article/{a}" for a in ARTICLES} <= graphs
    assert f"{BASE}graph/resolved" in graphs

"""The shapes as a publication gate: a valid graph conforms, and every constraint fires.

Each broken graph is the valid sample (tests/broken_graphs/valid.ttl) with one SPARQL
Update applied, and each is expected to make one named shape fire through one named
constraint component with that shape's message. A meta-test checks that these cases
cover every constraint of every shape in shapes/, so none can silently never fire.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH, SKOS

from pipeline.reason import ontology_graph
from pipeline.validate import SHAPES_NAMESPACE, shapes_graph, validate_graph
from pipeline.vocab import NG, NGT

VALID = Path(__file__).parent / "broken_graphs" / "valid.ttl"

PREFIXES = """
PREFIX ng: <https://w3id.org/newsgraph/ns#>
PREFIX ngt: <https://w3id.org/newsgraph/event-type/>
PREFIX plover: <https://w3id.org/newsgraph/plover/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX geo: <http://www.opengis.net/ont/geosparql#>
PREFIX wgs84: <http://www.w3.org/2003/01/geo/wgs84_pos#>
BASE <http://127.0.0.1:5000/id/>
"""

ARTICLE = "<article/000-test>"
EVENT_MENTION = "<mention/000-test/80-122>"  # SOHR's claim of the withdrawal
CAPTURE_MENTION = "<mention/000-test/225-267>"
ENTITY_MENTION = "<mention/000-test/118-122>"  # "Homs"
WITHDRAW = "<event/2024-12-06-withdraw-homs>"
CAPTURE = "<event/2024-12-05-takecontrol-hama>"
PARTICIPATION = "<event/2024-12-06-withdraw-homs/role/agent/government-forces>"
HTS = "<actor/hayat-tahrir-al-sham>"
ARMY = "<actor/syrian-army>"
HOMS = "<place/homs>"
HAMA = "<place/hama>"
GEOMETRY = "<place/homs/geometry>"


def drop(s: str, p: str) -> str:
    return f"DELETE WHERE {{ {s} {p} ?o }}"


def add(s: str, p: str, o: str) -> str:
    return f"INSERT DATA {{ {s} {p} {o} }}"


def put(s: str, p: str, o: str) -> str:
    return f"DELETE {{ {s} {p} ?old }} INSERT {{ {s} {p} {o} }} WHERE {{ {s} {p} ?old }}"


def both(*updates: str) -> str:
    return " ;\n".join(updates)


# (shape, constraint component, the update that breaks the valid graph)
CASES = [
    ("ArticleShape", "NodeKind", add("[]", "a", "ng:Article")),
    ("Article-sourceFile", "MinCount", drop(ARTICLE, "ng:sourceFile")),
    ("Article-sourceFile", "MaxCount", add(ARTICLE, "ng:sourceFile", '"other.txt"')),
    ("Article-sourceFile", "Datatype", put(ARTICLE, "ng:sourceFile", '"000_test.txt"@en')),
    ("Article-sourceFile", "MinLength", put(ARTICLE, "ng:sourceFile", '""')),
    ("Article-title", "MaxCount", add(ARTICLE, "ng:title", '"Another title"')),
    ("Article-title", "Datatype", put(ARTICLE, "ng:title", "42")),
    ("Article-titleKnown", "MinCount", drop(ARTICLE, "ng:title")),
    ("Article-outletName", "MaxCount", add(ARTICLE, "ng:outletName", '"AFP"')),
    ("Article-outletName", "Datatype", put(ARTICLE, "ng:outletName", "1")),
    ("Article-outlet", "MaxCount", add(ARTICLE, "ng:outlet", ARMY)),
    ("Article-outlet", "Class", put(ARTICLE, "ng:outlet", HOMS)),
    ("Article-author", "Datatype", put(ARTICLE, "ng:author", "7")),
    ("Article-url", "MaxCount", add(ARTICLE, "ng:url", '"https://example.org/b"^^xsd:anyURI')),
    ("Article-url", "Datatype", put(ARTICLE, "ng:url", '"https://example.org/homs"')),
    ("Article-url", "Pattern", put(ARTICLE, "ng:url", '"ftp://example.org/homs"^^xsd:anyURI')),
    ("Article-published", "MaxCount", add(ARTICLE, "ng:published", '"2024-12-07"^^xsd:date')),
    ("Article-published", "Datatype", put(ARTICLE, "ng:published", '"2024-12-06T10:00:00"^^xsd:dateTime')),
    ("Article-publishedKnown", "MinCount", both(drop(ARTICLE, "ng:published"), drop(ARTICLE, "ng:dateOrigin"))),
    ("Article-publishedPlausible", "MinInclusive", put(ARTICLE, "ng:published", '"1850-12-06"^^xsd:date')),
    ("Article-dateOrigin", "MaxCount", add(ARTICLE, "ng:dateOrigin", "ng:DateInferred")),
    ("Article-dateOrigin", "In", put(ARTICLE, "ng:dateOrigin", "ng:Certain")),
    ("Article-checksum", "MinCount", drop(ARTICLE, "ng:checksum")),
    ("Article-checksum", "MaxCount", add(ARTICLE, "ng:checksum", '"sha256:' + "0" * 64 + '"')),
    ("Article-checksum", "Datatype",
     f"DELETE {{ {ARTICLE} ng:checksum ?c }} INSERT {{ {ARTICLE} ng:checksum ?tagged }} "
     f"WHERE {{ {ARTICLE} ng:checksum ?c BIND (STRLANG(?c, 'en') AS ?tagged) }}"),
    ("Article-checksum", "Pattern", put(ARTICLE, "ng:checksum", '"md5:d41d8cd98f00b204e9800998ecf8427e"')),
    ("Article-text", "MinCount", drop(ARTICLE, "ng:text")),
    ("Article-text", "MaxCount", add(ARTICLE, "ng:text", '"Another text."')),
    ("Article-text", "Datatype",
     f"DELETE {{ {ARTICLE} ng:text ?t }} INSERT {{ {ARTICLE} ng:text ?tagged }} "
     f"WHERE {{ {ARTICLE} ng:text ?t BIND (STRLANG(?t, 'en') AS ?tagged) }}"),
    ("Article-dateOriginGiven", "SPARQL", drop(ARTICLE, "ng:dateOrigin")),
    # One character changed where no mention lies: only the checksum can tell.
    ("Article-checksumMatchesText", "SPARQL",
     f"DELETE {{ {ARTICLE} ng:text ?t }} INSERT {{ {ARTICLE} ng:text ?changed }} "
     f"WHERE {{ {ARTICLE} ng:text ?t BIND (CONCAT('h', SUBSTR(?t, 2)) AS ?changed) }}"),

    ("MentionShape", "NodeKind", add("[]", "a", "ng:EntityMention")),
    ("Mention-kind", "SPARQL", f"DELETE DATA {{ {ENTITY_MENTION} a ng:EntityMention }} ; "
                           f"INSERT DATA {{ {ENTITY_MENTION} a ng:Mention }}"),
    ("Mention-inArticle", "MinCount", drop(ENTITY_MENTION, "ng:inArticle")),
    ("Mention-inArticle", "MaxCount", add(ENTITY_MENTION, "ng:inArticle", "<article/other>")),
    ("Mention-inArticle", "Class", put(ENTITY_MENTION, "ng:inArticle", HOMS)),
    ("Mention-refersTo", "MinCount", drop(ENTITY_MENTION, "ng:refersTo")),
    ("Mention-refersTo", "MaxCount", add(ENTITY_MENTION, "ng:refersTo", HAMA)),
    ("Mention-refersTo", "NodeKind", put(ENTITY_MENTION, "ng:refersTo", '"Homs"')),
    ("Mention-beginIndex", "MinCount", drop(ENTITY_MENTION, "ng:beginIndex")),
    ("Mention-beginIndex", "MaxCount", add(ENTITY_MENTION, "ng:beginIndex", "117")),
    ("Mention-beginIndex", "Datatype", put(ENTITY_MENTION, "ng:beginIndex", '"118"^^xsd:decimal')),
    ("Mention-beginIndex", "MinInclusive", put(ENTITY_MENTION, "ng:beginIndex", "-1")),
    ("Mention-endIndex", "MinCount", drop(ENTITY_MENTION, "ng:endIndex")),
    ("Mention-endIndex", "MaxCount", add(ENTITY_MENTION, "ng:endIndex", "121")),
    ("Mention-endIndex", "Datatype", put(ENTITY_MENTION, "ng:endIndex", '"122"')),
    ("Mention-endIndex", "MinInclusive", put(ENTITY_MENTION, "ng:endIndex", "-1")),
    ("Mention-beginBeforeEnd", "LessThan", put(ENTITY_MENTION, "ng:beginIndex", "122")),
    ("Mention-anchorOf", "MinCount", drop(ENTITY_MENTION, "ng:anchorOf")),
    ("Mention-anchorOf", "MaxCount", add(ENTITY_MENTION, "ng:anchorOf", '"Hims"')),
    ("Mention-anchorOf", "Datatype", put(ENTITY_MENTION, "ng:anchorOf", '"Homs"@en')),
    ("Mention-anchorOf", "MinLength", put(ENTITY_MENTION, "ng:anchorOf", '""')),
    ("Mention-sentence", "MaxCount", add(ENTITY_MENTION, "ng:sentence", '"Another sentence."')),
    ("Mention-sentence", "Datatype", put(ENTITY_MENTION, "ng:sentence", "3")),
    ("Mention-sentenceBeginIndex", "MinCount", drop(ENTITY_MENTION, "ng:sentenceBeginIndex")),
    ("Mention-sentenceBeginIndex", "MaxCount", add(ENTITY_MENTION, "ng:sentenceBeginIndex", "36")),
    ("Mention-sentenceBeginIndex", "Datatype", put(ENTITY_MENTION, "ng:sentenceBeginIndex", '"35"')),
    ("Mention-sentenceBeginIndex", "MinInclusive", put(ENTITY_MENTION, "ng:sentenceBeginIndex", "-5")),
    ("Mention-sentenceEndIndex", "MinCount", drop(ENTITY_MENTION, "ng:sentenceEndIndex")),
    ("Mention-sentenceEndIndex", "MaxCount", add(ENTITY_MENTION, "ng:sentenceEndIndex", "139")),
    ("Mention-sentenceEndIndex", "Datatype", put(ENTITY_MENTION, "ng:sentenceEndIndex", '"140"')),
    ("Mention-sentenceEndIndex", "MinInclusive", put(ENTITY_MENTION, "ng:sentenceEndIndex", "-5")),
    ("Mention-sentenceBeginBeforeEnd", "LessThan", put(ENTITY_MENTION, "ng:sentenceEndIndex", "35")),
    ("Mention-startsInSentence", "LessThanOrEquals", put(ENTITY_MENTION, "ng:sentenceBeginIndex", "119")),
    ("Mention-endsInSentence", "LessThanOrEquals", put(ENTITY_MENTION, "ng:sentenceEndIndex", "121")),
    ("Mention-confidence", "MinCount", drop(ENTITY_MENTION, "ng:confidence")),
    ("Mention-confidence", "MaxCount", add(ENTITY_MENTION, "ng:confidence", "0.5")),
    ("Mention-confidence", "Datatype", put(ENTITY_MENTION, "ng:confidence", '"high"')),
    ("Mention-confidence", "MinInclusive", put(ENTITY_MENTION, "ng:confidence", '"-0.1"^^xsd:decimal')),
    ("Mention-confidence", "MaxInclusive", put(ENTITY_MENTION, "ng:confidence", "1.5")),
    ("Mention-withinText", "SPARQL", put(ENTITY_MENTION, "ng:sentenceEndIndex", "9999")),
    ("Mention-anchorMatchesText", "SPARQL", put(ENTITY_MENTION, "ng:anchorOf", '"Hama"')),
    # Off by one: the classic offset bug (e.g. counting UTF-16 units for the emoji).
    ("Mention-anchorMatchesText", "SPARQL",
     both(put(ENTITY_MENTION, "ng:beginIndex", "119"), put(ENTITY_MENTION, "ng:endIndex", "123"))),
    ("Mention-sentenceMatchesText", "SPARQL", put(ENTITY_MENTION, "ng:sentence", '"Something else."')),

    ("EventMention-refersTo", "Class", put(CAPTURE_MENTION, "ng:refersTo", HAMA)),
    ("EventMention-source", "NodeKind", put(EVENT_MENTION, "ng:source", '"SOHR"')),
    ("EventMention-source", "Class", put(EVENT_MENTION, "ng:source", HOMS)),
    ("EventMention-certainty", "MinCount", drop(EVENT_MENTION, "ng:certainty")),
    ("EventMention-certainty", "MaxCount", add(EVENT_MENTION, "ng:certainty", "ng:Certain")),
    ("EventMention-certainty", "In", put(EVENT_MENTION, "ng:certainty", "ng:Negative")),
    ("EventMention-polarity", "MinCount", drop(EVENT_MENTION, "ng:polarity")),
    ("EventMention-polarity", "MaxCount", add(EVENT_MENTION, "ng:polarity", "ng:Negative")),
    ("EventMention-polarity", "In", put(EVENT_MENTION, "ng:polarity", '"negative"')),
    ("EventMention-tense", "MinCount", drop(EVENT_MENTION, "ng:tense")),
    ("EventMention-tense", "MaxCount", add(EVENT_MENTION, "ng:tense", "ng:Future")),
    ("EventMention-tense", "In", put(EVENT_MENTION, "ng:tense", "ng:Probable")),
    ("EntityMention-refersTo", "SPARQL", put(ENTITY_MENTION, "ng:refersTo", WITHDRAW)),

    ("EventShape", "NodeKind", add("[]", "a", "ng:Event")),
    ("Event-eventType", "MinCount", drop(CAPTURE, "ng:eventType")),
    ("Event-eventType", "MaxCount", add(CAPTURE, "ng:eventType", "ngt:ArmedClash")),
    ("Event-eventType", "In", put(CAPTURE, "ng:eventType", "plover:ASSAULT")),
    ("Event-eventType", "In", put(CAPTURE, "ng:eventType", "ngt:Invented")),
    ("Event-label", "MinCount", drop(WITHDRAW, "rdfs:label")),
    ("Event-label", "NodeKind", put(WITHDRAW, "rdfs:label", HOMS)),
    ("Event-hasMention", "MinCount",
     "INSERT DATA { <event/2024-12-07-shelling-homs> a ng:Event ; ng:eventType ngt:Shelling ; "
     "rdfs:label 'Shelling: Homs' ; ng:place <place/homs> }"),
    ("Event-hasMention", "NodeKind", add(WITHDRAW, "ng:hasMention", '"a mention"')),
    ("Event-participants", "NodeKind", add(WITHDRAW, "ng:recipient", '"the rebels"')),
    ("Event-participants", "Class", put(CAPTURE, "ng:target", HOMS)),
    ("Event-hasParticipation", "NodeKind",
     add(WITHDRAW, "ng:hasParticipation", "[ a ng:Participation ; ng:role ng:AgentRole ; "
                                          "ng:participant <actor/government-forces> ]")),
    ("Event-hasParticipation", "Class", add(WITHDRAW, "ng:hasParticipation", ARMY)),
    ("Event-place", "MaxCount", add(WITHDRAW, "ng:place", HAMA)),
    ("Event-place", "Class", put(WITHDRAW, "ng:place", ARMY)),
    ("Event-placeKnown", "MinCount", drop(WITHDRAW, "ng:place")),
    ("Event-date", "MaxCount", add(WITHDRAW, "ng:date", '"2024-12-07"^^xsd:date')),
    ("Event-dateValue", "SPARQL", put(WITHDRAW, "ng:date", '"6 December 2024"')),
    ("Event-dateValue", "SPARQL", put(WITHDRAW, "ng:date", '"2024-02-31"^^xsd:date')),
    ("Event-dateValue", "SPARQL", put(CAPTURE, "ng:date", '"2024-13"^^xsd:gYearMonth')),
    ("Event-dateValue", "SPARQL", put(WITHDRAW, "ng:date", HOMS)),
    ("Event-dateKnown", "MinCount",
     both(drop(WITHDRAW, "ng:date"), drop(WITHDRAW, "ng:datePrecision"), drop(WITHDRAW, "ng:dateStated"))),
    ("Event-datePrecision", "MaxCount", add(WITHDRAW, "ng:datePrecision", "ng:MonthPrecision")),
    ("Event-datePrecision", "In", put(WITHDRAW, "ng:datePrecision", "ng:Certain")),
    ("Event-dateStated", "MaxCount", add(WITHDRAW, "ng:dateStated", "true")),
    ("Event-dateStated", "Datatype", put(WITHDRAW, "ng:dateStated", '"no"')),
    ("Event-dateDescribed", "SPARQL", drop(WITHDRAW, "ng:datePrecision")),
    ("Event-dateDescribed", "SPARQL", both(drop(WITHDRAW, "ng:date"), drop(WITHDRAW, "ng:datePrecision"))),
    ("Event-precisionMatchesDate", "SPARQL", put(CAPTURE, "ng:datePrecision", "ng:DayPrecision")),
    ("Event-datePlausible", "SPARQL", put(WITHDRAW, "ng:date", '"1850-12-06"^^xsd:date')),
    ("Event-rolesMatchShortcuts", "SPARQL", drop(WITHDRAW, "ng:agent")),
    ("Event-rolesMatchShortcuts", "SPARQL", add(CAPTURE, "ng:recipient", ARMY)),

    ("ParticipationShape", "NodeKind",
     add(WITHDRAW, "ng:hasParticipation", "[ a ng:Participation ; ng:role ng:AgentRole ; "
                                          "ng:participant <actor/government-forces> ]")),
    ("Participation-role", "MinCount", drop(PARTICIPATION, "ng:role")),
    ("Participation-role", "MaxCount", add(PARTICIPATION, "ng:role", "ng:TargetRole")),
    ("Participation-role", "In", put(PARTICIPATION, "ng:role", "ng:Certain")),
    ("Participation-participant", "MinCount", drop(PARTICIPATION, "ng:participant")),
    ("Participation-participant", "MaxCount", add(PARTICIPATION, "ng:participant", ARMY)),
    ("Participation-participant", "Class", put(PARTICIPATION, "ng:participant", HOMS)),
    ("Participation-ofEvent", "MinCount", f"DELETE DATA {{ {WITHDRAW} ng:hasParticipation {PARTICIPATION} }}"),
    ("Participation-ofEvent", "MaxCount", add(CAPTURE, "ng:hasParticipation", PARTICIPATION)),

    ("EntityShape", "NodeKind", add("[]", "a", "ng:ArmedGroup")),
    ("Entity-label", "MinCount", drop(HTS, "rdfs:label")),
    ("Entity-label", "NodeKind", put(HAMA, "rdfs:label", HOMS)),
    ("Entity-altLabel", "NodeKind", add(HTS, "skos:altLabel", "<https://example.org/hts>")),
    ("Entity-wikidataId", "MaxCount", add(HTS, "ng:wikidataId", '"Q1000004"')),
    ("Entity-wikidataId", "Datatype", put(HTS, "ng:wikidataId", "1000003")),
    ("Entity-wikidataId", "Pattern", put(HTS, "ng:wikidataId", '"P31"')),
    ("Entity-sameAs", "NodeKind", add(HTS, "owl:sameAs", '"Q1000003"')),
    ("Entity-country", "MaxCount", add(HTS, "ng:country", "<place/turkey>")),
    ("Entity-country", "Class", put(HTS, "ng:country", HOMS)),
    ("Entity-wikidataSameAs", "SPARQL", drop(HTS, "owl:sameAs")),
    ("Actor-wikidataKnown", "MinCount", both(drop(HTS, "ng:wikidataId"), drop(HTS, "owl:sameAs"))),
    ("Actor-sector", "MaxCount", add(HTS, "ng:sector", '"Militia"')),
    ("Actor-sector", "Datatype", put(HTS, "ng:sector", "<https://example.org/REB>")),

    ("Place-geonamesId", "MaxCount", add(HOMS, "ng:geonamesId", "169578")),
    ("Place-geonamesId", "Datatype", put(HOMS, "ng:geonamesId", '"169577"')),
    ("Place-geonamesId", "MinInclusive", put(HOMS, "ng:geonamesId", "0")),
    ("Place-lat", "MaxCount", add(HOMS, "wgs84:lat", "34.7")),
    ("Place-lat", "Datatype", put(HOMS, "wgs84:lat", '"34.72682"')),
    ("Place-lat", "MinInclusive", put(HOMS, "wgs84:lat", '"-91.0"^^xsd:decimal')),
    ("Place-lat", "MaxInclusive", put(HOMS, "wgs84:lat", "91.0")),
    ("Place-long", "MaxCount", add(HOMS, "wgs84:long", "36.7")),
    ("Place-long", "Datatype", put(HOMS, "wgs84:long", "36.72339e0")),
    ("Place-long", "MinInclusive", put(HOMS, "wgs84:long", '"-181.0"^^xsd:decimal')),
    ("Place-long", "MaxInclusive", put(HOMS, "wgs84:long", "181.0")),
    ("Place-coordinatesKnown", "MinCount",
     "DELETE WHERE { <place/hama> wgs84:lat ?lat ; wgs84:long ?long ; geo:hasGeometry ?g . ?g ?p ?o }"),
    ("Place-hasGeometry", "MaxCount", add(HOMS, "geo:hasGeometry", "<place/hama/geometry>")),
    ("Place-hasGeometry", "NodeKind", add(HAMA, "geo:hasGeometry", '"POINT(36.75783 35.13179)"')),
    ("Place-hasGeometry", "Class", put(HAMA, "geo:hasGeometry", HOMS)),
    ("Place-geonamesExactMatch", "SPARQL", drop(HOMS, "skos:exactMatch")),
    ("Place-coordinatePair", "SPARQL", drop(HOMS, "wgs84:long")),

    ("GeometryShape", "NodeKind", add("[]", "a", "geo:Geometry")),
    ("Geometry-asWKT", "MinCount", drop(GEOMETRY, "geo:asWKT")),
    ("Geometry-asWKT", "MaxCount", add(GEOMETRY, "geo:asWKT", '"POINT(36.7 34.7)"^^geo:wktLiteral')),
    ("Geometry-asWKT", "Datatype", put(GEOMETRY, "geo:asWKT", '"POINT(36.72339 34.72682)"')),
    ("Geometry-asWKT", "Pattern", put(GEOMETRY, "geo:asWKT", '"POLYGON((0 0, 1 0, 1 1, 0 0))"^^geo:wktLiteral')),
    # Latitude and longitude swapped: the most common WKT mistake.
    ("Geometry-matchesCoordinates", "SPARQL", put(GEOMETRY, "geo:asWKT", '"POINT(34.72682 36.72339)"^^geo:wktLiteral')),
]

SHAPES = "https://w3id.org/newsgraph/shapes#"


def _case_id(case) -> str:
    return f"{case[0]}-{case[1]}"


@pytest.fixture(scope="session")
def valid_graph() -> Graph:
    return Graph().parse(VALID, format="turtle")


def _shape_message(shape: URIRef) -> str:
    """The fixed part of a shape's message (before any {?value} substitution)."""
    return str(shapes_graph().value(shape, SH.message)).split("{")[0]


def _shape_severity(shape: URIRef) -> str:
    """A shape's severity; a SPARQL constraint has the severity of the shape holding it."""
    shapes = shapes_graph()
    holder = shapes.value(None, SH.sparql, shape) or shape
    severity = shapes.value(holder, SH.severity) or SH.Violation
    return str(severity).removeprefix(str(SH))


def test_valid_graph_conforms_with_only_the_expected_info(valid_graph):
    validation = validate_graph(valid_graph)
    assert validation.conforms
    assert [(r.severity, r.shape, r.focus_node) for r in validation.results] == [
        ("Info", "ngsh:Actor-wikidataKnown", "http://127.0.0.1:5000/id/actor/government-forces")
    ]


@pytest.mark.parametrize("shape, component, update", CASES, ids=[_case_id(c) for c in CASES])
def test_broken_graph_is_caught(valid_graph, shape, component, update):
    broken = Graph()
    broken += valid_graph
    broken.update(PREFIXES + update)
    assert broken.isomorphic(valid_graph) is False, "the update changed nothing"

    validation = validate_graph(broken)

    expected_component = f"sh:{component}ConstraintComponent"
    fired = [r for r in validation.results if r.shape == f"ngsh:{shape}" and r.component == expected_component]
    assert fired, f"expected ngsh:{shape} / {expected_component}; got:\n{validation.text}"
    shape_iri = URIRef(SHAPES + shape)
    assert all(r.message.startswith(_shape_message(shape_iri)) for r in fired)
    severity = _shape_severity(shape_iri)
    assert {r.severity for r in fired} == {severity}
    # Only Violations block publication; a Warning or Info case must still conform.
    assert validation.conforms is (severity != "Violation")


_PARAMETERS = {
    SH.minCount: "MinCount", SH.maxCount: "MaxCount", SH.datatype: "Datatype", SH["in"]: "In",
    SH["class"]: "Class", SH.nodeKind: "NodeKind", SH.pattern: "Pattern", SH.minLength: "MinLength",
    SH.minInclusive: "MinInclusive", SH.maxInclusive: "MaxInclusive", SH.lessThan: "LessThan",
    SH.lessThanOrEquals: "LessThanOrEquals", SH["or"]: "Or", SH.node: "Node",
}


def _declared_constraints() -> set[tuple[str, str]]:
    """Every (named shape or SPARQL constraint, component) the shapes declare."""
    shapes = shapes_graph()
    declared = set()
    named = set(shapes.subjects(RDF.type, SH.NodeShape)) | set(shapes.subjects(RDF.type, SH.PropertyShape))
    for shape in named:
        for parameter, component in _PARAMETERS.items():
            if (shape, parameter, None) in shapes:
                declared.add((shape, component))
    for constraint in shapes.objects(None, SH.sparql):
        declared.add((constraint, "SPARQL"))
    return {(str(s).removeprefix(SHAPES), c) for s, c in declared}


def test_every_constraint_has_a_broken_graph():
    declared = _declared_constraints()
    covered = {(shape, component) for shape, component, _ in CASES}
    assert len(declared) > 100
    assert declared - covered == set(), "constraints no broken graph exercises"
    assert covered - declared == set(), "cases naming constraints that do not exist"


def test_every_shape_and_sparql_constraint_is_named_and_has_a_message():
    shapes = shapes_graph()
    constrained = {shape for shape, _ in _declared_constraints()}
    named = (set(shapes.subjects(RDF.type, SH.PropertyShape)) | set(shapes.objects(None, SH.sparql))
             | set(shapes.subjects(RDF.type, SH.NodeShape)))
    for shape in named:
        assert isinstance(shape, URIRef) and str(shape).startswith(SHAPES_NAMESPACE), shape
        if str(shape).removeprefix(SHAPES) in constrained:
            assert shapes.value(shape, SH.message), f"{shape} has no sh:message"


def test_no_shape_holding_sparql_constraints_has_a_message():
    """Its message would be every one of its results' too, beside the constraint's own."""
    shapes = shapes_graph()
    assert {shape for shape in shapes.subjects(SH.sparql, None) if (shape, SH.message, None) in shapes} == set()


def test_event_type_value_set_is_the_scheme():
    """The sh:in list of event types and the concepts of ontology/event-types.ttl agree."""
    shapes = shapes_graph()
    listed = set(shapes.items(shapes.value(URIRef(SHAPES + "Event-eventType"), SH["in"])))
    concepts = set(ontology_graph().subjects(SKOS.inScheme, URIRef(str(NGT))))
    assert listed == concepts
    assert NGT.TakeControl in listed and NG.Event not in listed

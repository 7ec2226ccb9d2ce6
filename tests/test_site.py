"""The static site written by publish() from the sample store: pages, RDF beside them, dumps."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import pyoxigraph as ox
import rdflib
from rdflib.compare import isomorphic

from pipeline.publish import publish
from test_site_sample import BASE, EVENT_MENTIONS, sample_store


class Page(HTMLParser):
    """What the tests look at in a page: links, ids, embedded JSON-LD, alternates, text."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.classed_links: set[tuple[str, str]] = set()  # (href, class) of each link
        self.ids: set[str] = set()
        self.alternates: dict[str, str] = {}
        self.scripts: list[tuple[dict, str]] = []
        self.marks: list[str] = []
        self.classes: list[str] = []
        self.text_parts: list[str] = []
        self._script: dict | None = None
        self._mark = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        self.classes += (attrs.get("class") or "").split()
        if tag == "a" and "href" in attrs:
            self.links.append(attrs["href"])
            self.classed_links.add((attrs["href"], attrs.get("class") or ""))
        if tag == "link" and attrs.get("rel") == "alternate":
            self.alternates[attrs["type"]] = attrs["href"]
        if tag == "script":
            self._script = attrs
            self.scripts.append((attrs, ""))
        if tag == "mark":
            self._mark += 1
            self.marks.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None
        if tag == "mark":
            self._mark -= 1

    def handle_data(self, data):
        if self._script is not None:
            attrs, body = self.scripts[-1]
            self.scripts[-1] = (attrs, body + data)
            return
        if self._mark:
            self.marks[-1] += data
        self.text_parts.append(data)

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", "".join(self.text_parts))

    def jsonld(self) -> list:
        bodies = [body for attrs, body in self.scripts if attrs.get("type") == "application/ld+json"]
        assert len(bodies) == 1
        return json.loads(bodies[0])


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> tuple[Path, object]:
    site_dir = tmp_path_factory.mktemp("site")
    summary = publish(sample_store(), site_dir, BASE, report=True)
    return site_dir, summary


def page(site_dir: Path, path: str) -> Page:
    return Page((site_dir / path).read_text(encoding="utf-8"))


def test_summary_counts_what_was_written(site):
    site_dir, summary = site
    written = sorted(p for p in site_dir.rglob("*.html"))
    assert summary.pages == len(written)  # report.html, the build's own page, is the build's to write
    assert summary.documents == len(list(site_dir.rglob("*.ttl"))) - 4  # minus the dump, VoID, DCAT, ontology
    assert [d.file for d in summary.dumps] == ["newsgraph.ttl", "newsgraph.nt.gz", "newsgraph.trig", "newsgraph.jsonld.gz"]
    for dump in summary.dumps:
        assert (site_dir / "downloads" / dump.file).stat().st_size == dump.size > 0


def test_page_paths_mirror_the_iris(site):
    site_dir, _ = site
    for key in ("place/homs", "actor/hayat-tahrir-al-sham", "event/2024-12-06-withdraw-homs", "article/000-reuters"):
        for suffix in (".html", ".ttl", ".jsonld"):
            assert (site_dir / "id" / (key + suffix)).is_file(), key + suffix


def test_home_shows_counts_range_latest_events_search_and_links(site):
    site_dir, _ = site
    home = page(site_dir, "index.html")
    assert "3 articles" in home.text and "5 events" in home.text
    assert "from 2024-12-05 to 2024-12-07" in home.text
    assert "id/event/2024-12-07-enter-homs.html" in home.links
    assert "q" in home.ids  # the search box
    assert f"{BASE}sparql" in home.links and "downloads/index.html" in home.links
    assert "report.html" in home.links


def test_place_page_shows_authority_coordinates_timeline_and_disagreement(site):
    site_dir, _ = site
    homs = page(site_dir, "id/place/homs.html")
    assert "https://sws.geonames.org/169577/" in homs.links
    assert "34.72682, 36.72339" in homs.text
    assert "Hims" in homs.text
    # Two events at Homs, newest day first, each linked with type, actor and evidence.
    html = (site_dir / "id/place/homs.html").read_text()
    assert html.index('<h3><time datetime="2024-12-07">') < html.index('<h3><time datetime="2024-12-06">')
    assert "Events per day; the busiest day has 1" in html  # the timeline chart
    assert "../../id/event/2024-12-06-withdraw-homs.html" in homs.links
    assert "../../id/actor/syrian-government-forces.html" in homs.links
    # The claim (SOHR) and the denial (the army) of the withdrawal sit side by side.
    assert "accounts" in homs.classes
    assert {"badge-claimed", "badge-denied"} <= set(homs.classes)
    assert "Government forces have withdrawn from Homs" in homs.marks
    assert "government forces had withdrawn from Homs" in homs.marks
    assert "../../id/actor/syrian-observatory-for-human-rights.html" in homs.links
    # Inverse links with counts: three mentions refer to Homs.
    assert "is refersTo of 3" in homs.text


def test_event_page_lists_every_mention_across_articles(site):
    site_dir, _ = site
    event = page(site_dir, "id/event/2024-12-06-withdraw-homs.html")
    anchors = [link for link in event.links if link.startswith("../../id/article/")]
    expected = [m for m in EVENT_MENTIONS if m[1] == "2024-12-06-withdraw-homs"]
    assert len(event.marks) == len(expected) == 2
    assert {a.split("#")[0] for a in anchors} == {"../../id/article/000-reuters.html", "../../id/article/001-sana.html"}
    # Every evidence link lands on the highlighted mention in its article.
    for link in anchors:
        path, fragment = link.removeprefix("../../").split("#")
        assert fragment in page(site_dir, path).ids
    assert "day precision" in event.text
    assert "../../event-type/Withdraw.html" in event.links


def test_planned_and_probable_events_are_marked(site):
    site_dir, _ = site
    assert "badge-planned" in page(site_dir, "id/event/2024-12-send-weapons-syria.html").classes
    assert "badge-probable" in page(site_dir, "id/event/2024-12-05-attack-hama.html").classes


def test_article_page_highlights_and_links_every_mention(site):
    site_dir, _ = site
    article = page(site_dir, "id/article/000-reuters.html")
    mentions = [m for m in EVENT_MENTIONS if m[0] == "000-reuters"]
    for _, key, *_ in mentions:
        assert (f"../../id/event/{key}.html", "m-event") in article.classed_links
    assert ("../../id/place/rastan.html", "m-entity") in article.classed_links
    assert ("../../id/actor/syrian-observatory-for-human-rights.html", "m-entity") in article.classed_links
    # The text is there whole, in order.
    assert "Iran will send weapons to Syria, an Iranian official said." in article.text


def test_event_type_page_shows_mappings_and_events(site):
    site_dir, _ = site
    take = page(site_dir, "event-type/TakeControl.html")
    assert "https://w3id.org/newsgraph/plover/SEIZE" in take.links
    assert "https://w3id.org/newsgraph/acled/NonStateActorOvertakesTerritory" in take.links
    assert "../id/event/2024-12-06-takecontrol-rastan.html" in take.links
    assert "../id/event/2024-12-07-enter-homs.html" in take.links


def test_rdf_beside_each_page_matches_embedded_jsonld(site):
    site_dir, _ = site
    for key in ("place/homs", "event/2024-12-06-withdraw-homs", "article/002-hostile"):
        html = page(site_dir, f"id/{key}.html")
        name = key.split("/")[1]
        assert html.alternates == {"text/turtle": f"{name}.ttl", "application/ld+json": f"{name}.jsonld"}
        turtle = rdflib.Graph().parse(site_dir / "id" / f"{key}.ttl", format="turtle")
        beside = rdflib.Graph().parse(site_dir / "id" / f"{key}.jsonld", format="json-ld")
        embedded = rdflib.Graph().parse(data=json.dumps(html.jsonld()), format="json-ld")
        subject = rdflib.URIRef(f"{BASE}id/{key}")
        assert (subject, None, None) in turtle
        assert isomorphic(turtle, beside)
        assert isomorphic(turtle, embedded)


def test_a_busy_resource_embeds_its_json_ld_less_its_mention_links(tmp_path, monkeypatch):
    """Above EMBEDDED_MENTION_LINKS links to mentions the page's JSON-LD leaves them out (a busy
    actor's were most of its page); the .jsonld and .ttl beside it keep every statement."""
    import dataclasses
    import datetime
    from pipeline import site as site_module
    from pipeline.describe import description
    ng = rdflib.Namespace("https://w3id.org/newsgraph/ns#")
    gaf = rdflib.Namespace("http://groundedannotationframework.org/gaf#")
    homs = rdflib.URIRef(f"{BASE}id/place/homs")
    meta = dataclasses.asdict(description(BASE, datetime.date(2024, 12, 8)))
    for bound, embeds_links in ((100, True), (1, False)):
        monkeypatch.setattr(site_module, "EMBEDDED_MENTION_LINKS", bound)
        folder = tmp_path / str(bound)
        site_module.SiteWriter(sample_store(), folder, BASE, meta=meta).draw([(str(homs), "place")])
        html = page(folder, "id/place/homs.html")
        embedded = rdflib.Graph().parse(data=json.dumps(html.jsonld()), format="json-ld")
        beside = rdflib.Graph().parse(folder / "id/place/homs.jsonld", format="json-ld")
        turtle = rdflib.Graph().parse(folder / "id/place/homs.ttl", format="turtle")
        links = {t for t in beside if t[1] in (ng.hasMention, gaf.denotedBy)}
        assert len(links) == 3 and isomorphic(beside, turtle)  # its three mentions
        if embeds_links:
            assert isomorphic(embedded, beside)
        else:
            assert set(embedded) == set(beside) - links and (homs, ng.hasMention, None) not in embedded
        assert "Hims" in html.text  # the page itself is the same


def test_an_entity_view_reads_its_mentions_and_referrers_through_the_store():
    """`Reader.values(without=...)`, `objects` and `referrers` give what the lookups would, cut
    where asked, and are recorded as the lookups a page depends on."""
    from pipeline.reason import mention_links
    from pipeline.siteread import Reader
    store = sample_store()
    homs = ox.NamedNode(f"{BASE}id/place/homs")
    has_mention = "https://w3id.org/newsgraph/ns#hasMention"
    skipped = {str(p) for p in mention_links()}
    full = Reader(store, BASE).values(homs)
    reader = Reader(store, BASE)
    with reader.reading() as reads:
        own = reader.values(homs, without=skipped)
        count, first = reader.objects(homs, has_mention, 2)
        referrers = reader.referrers(homs, 2)
    assert own == {p: v for p, v in full.items() if p not in skipped} and own
    assert count == len(full[has_mention]) == 3 and first == full[has_mention][:2]
    pointing = {}
    for quad in store.quads_for_pattern(None, None, homs, None):
        pointing.setdefault(quad.predicate, {})[quad.subject] = None
    assert set(referrers) == {p for p, s in pointing.items() if any(isinstance(x, ox.NamedNode) for x in s)}
    for prop, (counted, subjects) in referrers.items():
        assert counted == sum(isinstance(s, ox.NamedNode) for s in pointing[prop])
        assert subjects == list(pointing[prop])[:2]
    assert {(homs, None, None), (homs, ox.NamedNode(has_mention), None), (None, None, homs)} <= set(reads.results)


def test_event_document_includes_its_participations(site):
    site_dir, _ = site
    graph = rdflib.Graph().parse(site_dir / "id/event/2024-12-06-withdraw-homs.ttl", format="turtle")
    ng = rdflib.Namespace("https://w3id.org/newsgraph/ns#")
    parts = list(graph.objects(rdflib.URIRef(f"{BASE}id/event/2024-12-06-withdraw-homs"), ng.hasParticipation))
    assert len(parts) == 1
    assert (parts[0], ng.role, ng.AgentRole) in graph


def test_turtle_dump_holds_the_union_of_all_graphs(site):
    site_dir, summary = site
    store = sample_store()
    union = {(q.subject, q.predicate, q.object) for q in store}
    dump = rdflib.Graph().parse(site_dir / "downloads/newsgraph.ttl", format="turtle")
    assert len(dump) == len(union) == summary.dumps[0].statements


def test_index_pages_list_everything(site):
    site_dir, _ = site
    assert len([link for link in page(site_dir, "events.html").links if link.startswith("id/event/")]) == 5
    assert "id/actor/hayat-tahrir-al-sham.html" in page(site_dir, "actors.html").links
    assert "id/place/homs.html" in page(site_dir, "places.html").links
    assert "id/article/002-hostile.html" in page(site_dir, "articles.html").links
    assert "event-type/Attack.html" in page(site_dir, "event-types.html").links


def test_entity_page_quotes_where_articles_name_it(site):
    site_dir, _ = site
    hts = page(site_dir, "id/actor/hayat-tahrir-al-sham.html")
    assert {"Hayat Tahrir al-Sham", "HTS"} <= set(hts.marks)
    assert any(link.startswith("../../id/article/001-sana.html#m-") for link in hts.links)
    assert "http://www.wikidata.org/entity/Q20712622" in hts.links and "Wikidata" in hts.text
    assert "Sunni Islamist armed group in north-west Syria." in hts.text


def test_a_malformed_resource_is_named_and_the_rest_published(tmp_path):
    store = sample_store()
    mention = ox.NamedNode(f"{BASE}id/mention/000-reuters/0-5")
    article_graph = ox.NamedNode(f"{BASE}graph/article/000-reuters")
    ng = "https://w3id.org/newsgraph/ns#"
    for p, o in [(f"{ng}inArticle", ox.NamedNode(f"{BASE}id/article/000-reuters")),
                 (f"{ng}beginIndex", ox.Literal("zero")), (f"{ng}endIndex", ox.Literal("5"))]:
        store.add(ox.Quad(mention, ox.NamedNode(p), o, article_graph))
    bad_event = ox.NamedNode(f"{BASE}id/event/2024-12-05-attack-hama")
    store.add(ox.Quad(bad_event, ox.NamedNode(f"{ng}hasMention"), mention, ox.NamedNode(f"{BASE}graph/resolved")))
    summary = publish(store, tmp_path, BASE)
    assert any(p.startswith(f"{BASE}id/event/2024-12-05-attack-hama: page not written") for p in summary.problems)
    assert not (tmp_path / "id/event/2024-12-05-attack-hama.html").exists()
    assert (tmp_path / "id/event/2024-12-06-withdraw-homs.html").is_file()
    assert "id/event/2024-12-05-attack-hama.html" not in page(tmp_path, "events.html").links


def test_a_retired_event_iri_has_a_page_that_sends_the_reader_to_its_successor(tmp_path):
    store = sample_store()
    retired, successor = f"{BASE}id/event/2024-12-06-pullout-homs", f"{BASE}id/event/2024-12-06-withdraw-homs"
    store.add(ox.Quad(ox.NamedNode(retired), ox.NamedNode("http://purl.org/dc/terms/isReplacedBy"),
                      ox.NamedNode(successor), ox.NamedNode(f"{BASE}graph/resolved")))
    summary = publish(store, tmp_path, BASE)
    assert summary.problems == ()
    html = (tmp_path / "id/event/2024-12-06-pullout-homs.html").read_text(encoding="utf-8")
    assert '<meta http-equiv="refresh" content="0; url=../../id/event/2024-12-06-withdraw-homs.html">' in html
    assert "../../id/event/2024-12-06-withdraw-homs.html" in Page(html).links
    label = next(iter(store.query(f"SELECT ?l WHERE {{ GRAPH ?g {{ <{successor}> rdfs:label ?l }} }}",
                                  prefixes={"rdfs": "http://www.w3.org/2000/01/rdf-schema#"})))["l"].value
    assert f"Merged into {label}" in Page(html).text
    document = ox.parse(path=str(tmp_path / "id/event/2024-12-06-pullout-homs.ttl"), format=ox.RdfFormat.TURTLE)
    assert {(t.predicate.value, t.object.value) for t in document} == {
        ("http://purl.org/dc/terms/isReplacedBy", successor)}
    assert "id/event/2024-12-06-pullout-homs.html" not in page(tmp_path, "events.html").links


def test_publishing_the_sample_reports_no_problems(site):
    _, summary = site
    assert summary.problems == ()


def test_labels_prefer_english_then_untagged():
    from pipeline.siteread import Reader
    store = ox.Store()
    node, label = ox.NamedNode(f"{BASE}id/place/homs"), ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    graph = ox.NamedNode(f"{BASE}graph/resolved")
    for literal in (ox.Literal("حمص", language="ar"), ox.Literal("Homs", language="en"), ox.Literal("Hims", language="de")):
        store.add(ox.Quad(node, label, literal, graph))
    assert Reader(store, BASE).label(node) == "Homs"
    assert Reader(store, BASE).label(ox.NamedNode(f"{BASE}id/place/nowhere")) == ""


def test_gazetteer_names_are_tidied_and_the_most_specific_class_shown():
    from pipeline.views import split_aliases
    shown, more = split_aliases("Homs", ["Hims", "Homs ;", "Homs.", "h xms", "mdynt hms", "حمص", "Emesa", "HIMS",
                                         "Ḥimṣ", "Hims"])
    assert shown == ("Hims", "Emesa")  # "Ḥimṣ", "HIMS" and "Homs ;" fold to names already there
    assert set(more) == {"h xms", "mdynt hms", "حمص"}
    store = sample_store()
    sub = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf")
    ng, graph = "https://w3id.org/newsgraph/ns#", ox.NamedNode(f"{BASE}graph/ontology")
    store.add(ox.Quad(ox.NamedNode(ng + "Place"), sub, ox.NamedNode(ng + "Location"), graph))
    store.add(ox.Quad(ox.NamedNode(ng + "Location"), sub, ox.NamedNode("http://www.w3.org/2003/01/geo/wgs84_pos#SpatialThing"), graph))
    homs = ox.NamedNode(f"{BASE}id/place/homs")
    for cls in (ng + "Location", "http://www.w3.org/2003/01/geo/wgs84_pos#SpatialThing"):
        store.add(ox.Quad(homs, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), ox.NamedNode(cls),
                          ox.NamedNode(f"{BASE}graph/resolved")))
    from pipeline.siteread import Reader
    from pipeline.views import Views
    assert Views(Reader(store, BASE)).entity(homs.value, "place").types == ("Place",)


def test_lookups_read_by_query_give_what_the_index_gives_in_its_order():
    """distinct_triples reads a resource's statements (and those pointing at it) by SPARQL:
    the same triples, each once however many graphs hold it, in `quads_for_pattern`'s order."""
    from pipeline.siteread import distinct_triples
    store = ox.Store()
    node, other, blank = ox.NamedNode(f"{BASE}id/actor/a"), ox.NamedNode(f"{BASE}id/actor/b"), ox.BlankNode()
    graphs = [ox.DefaultGraph(), *(ox.NamedNode(f"{BASE}graph/article/{n}") for n in range(3))]
    integer = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
    values = [other, blank, ox.Literal("a"), ox.Literal("a", language="en"), ox.Literal("1", datatype=integer),
              *(ox.NamedNode(f"{BASE}id/mention/x/{n}-{n + 1}") for n in range(20))]
    for number, value in enumerate(values):
        predicate = ox.NamedNode(f"https://example.org/p{number % 4}")
        for graph in graphs[number % 3:number % 3 + 2]:  # most statements in two graphs, some in the default
            store.add(ox.Quad(node, predicate, value, graph))
            if not isinstance(value, ox.Literal):
                store.add(ox.Quad(value, predicate, node, graph))
    for pattern in [(node, None, None), (None, None, node), (other, None, None), (None, None, other),
                    (blank, None, None), (None, None, blank), (None, ox.NamedNode("https://example.org/p1"), node)]:
        expected = list(dict.fromkeys(q.triple for q in store.quads_for_pattern(*pattern, None)))
        assert expected and distinct_triples(store, pattern) == expected


def test_values_of_many_nodes_are_their_lookups_and_recorded_as_them():
    """Reader.values_of gives each node what `values` gives (limited to the predicates asked,
    each value once, in a lookup's order), blank nodes included, and records each named
    node's lookup (node, *, *) so that page reuse knows the page depends on it."""
    from pipeline.siteread import Reader
    store = ox.Store()
    graphs = [ox.DefaultGraph(), *(ox.NamedNode(f"{BASE}graph/article/{n}") for n in range(3))]
    nodes = [ox.NamedNode(f"{BASE}id/mention/x/{n}-{n + 1}") for n in range(12)] + [ox.BlankNode()]
    predicates = [ox.NamedNode(f"https://example.org/p{n}") for n in range(5)]
    for number, node in enumerate(nodes):
        for value in range(number % 4 + 1):
            for graph in graphs[value % 3:value % 3 + 2]:
                store.add(ox.Quad(node, predicates[(number + value) % 5], ox.Literal(f"v{value}"), graph))
                store.add(ox.Quad(node, predicates[number % 5], nodes[(number + value) % 12], graph))
    asked = tuple(p.value for p in predicates[:3])
    reader = Reader(store, BASE)
    with reader.reading() as reads:
        batched = reader.values_of(nodes, asked)
    expected = [{p: v for p, v in Reader(store, BASE).values(node).items() if p in asked} for node in nodes]
    assert batched == expected and any(len(v) > 1 for values in expected for v in values.values())
    assert reader.values_of(nodes[:1], asked) == expected[:1]  # one node alone: by its lookup
    assert set(reads.results) >= {(node, None, None) for node in nodes[:12]}
    assert not reads.replayable  # the blank node's lookup cannot be replayed


def test_an_entity_page_records_the_lookups_its_events_query_replaces():
    """An entity's events and their dates come from one query (Views._dated_events), recorded
    as the lookups that would find them: its participations, each one's event, each event's
    date, and the events at it; the events and dates are those the lookups give."""
    from pipeline.siteread import Reader
    from pipeline.views import Views
    store = sample_store()
    ng = "https://w3id.org/newsgraph/ns#"
    participant, has_participation, date, place = (ox.NamedNode(ng + n) for n in
                                                   ("participant", "hasParticipation", "date", "place"))
    for iri in (f"{BASE}id/actor/hayat-tahrir-al-sham", f"{BASE}id/place/hama"):
        node = ox.NamedNode(iri)
        parts = {q.subject for q in store.quads_for_pattern(None, participant, node, None)}
        events = {q.subject for p in parts for q in store.quads_for_pattern(None, has_participation, p, None)}
        events |= {q.subject for q in store.quads_for_pattern(None, place, node, None)}
        dates = sorted(((next(store.quads_for_pattern(e, date, None, None)).object.value, e.value) for e in events),
                       reverse=True)
        reader = Reader(store, BASE)
        with reader.reading() as reads:
            view = Views(reader).entity(iri, iri.split("/")[-2])
        assert events and view.dates == [d for d, _ in dates] and view.event_count == len(events)
        expected = {(None, participant, node), (None, place, node), *((None, has_participation, p) for p in parts),
                    *((e, date, None) for e in events)}
        assert expected <= set(reads.results)


def test_referred_to_by_counts_every_iri_and_shows_a_sorted_sample():
    """The count is of distinct IRIs only; the sample is INVERSE_SAMPLE rows drawn from the
    subjects in the store's order, shown blank nodes first, then IRIs by value, a subject with
    two labels giving two rows. The page depends on every statement pointing at the entity."""
    from pipeline.siteread import Reader
    from pipeline.views import INVERSE_SAMPLE, Views
    store = ox.Store()
    homs, near = ox.NamedNode(f"{BASE}id/place/homs"), ox.NamedNode("https://example.org/near")
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    graphs = [ox.NamedNode(f"{BASE}graph/article/{n}") for n in ("a", "b")]
    subjects = [ox.NamedNode(f"https://example.org/s{n:03d}") for n in reversed(range(60))]
    for number, subject in enumerate(subjects):
        for graph in graphs:  # each statement twice: counted once
            store.add(ox.Quad(subject, near, homs, graph))
        store.add(ox.Quad(subject, label, ox.Literal(f"place {59 - number}"), graphs[0]))
    titled = subjects[-1]  # s000
    title = ox.NamedNode("https://w3id.org/newsgraph/ns#title")
    store.add(ox.Quad(titled, title, ox.Literal("a title"), graphs[0]))
    blank = ox.BlankNode()
    store.add(ox.Quad(blank, near, homs, graphs[0]))
    reader = Reader(store, BASE)
    with reader.reading() as reads:
        (inverse,) = Views(reader)._inverse(homs)
    assert (inverse.prop, inverse.count) == ("near", 60)
    rows = [(link.label, link.path) for link in inverse.sample]
    assert len(rows) == INVERSE_SAMPLE
    assert rows[0] == (blank.value, blank.value)  # blank nodes first
    iris = [path for _, path in rows[1:]]
    assert iris == sorted(iris) and set(iris) <= {s.value for s in subjects}
    for _, path in rows[1:]:
        number = int(path[-3:])
        labels = [label for label, at in rows if at == path]
        assert labels == ([f"place {number}", "a title"] if path == titled.value else [f"place {number}"])
    assert (None, None, homs) in reads.results


def test_search_index_holds_labels_and_aliases_of_every_page(site):
    site_dir, _ = site
    script = (site_dir / "static/search-index.js").read_text()
    entries = json.loads(script.removeprefix("window.NEWSGRAPH_SEARCH = ").rstrip().removesuffix(";"))
    by_path = {e["p"]: e for e in entries}
    assert by_path["id/place/homs.html"]["a"] == ["Hims"] and by_path["id/place/homs.html"]["k"] == "place"
    assert by_path["id/actor/hayat-tahrir-al-sham.html"]["a"] == ["HTS"]
    for entry in entries:
        assert (site_dir / entry["p"]).is_file()
    assert len(entries) == 8 + 5 + 5 + 3 + 4  # actors, places, events, articles, event types


def test_values_are_bound_in_the_query_not_in_its_comments():
    from pipeline.siteread import bind
    query = "# find things WHERE { it is }\nSELECT ?p WHERE { ?e ?p ?o }"
    bound = bind(query, {"e": ox.NamedNode(f"{BASE}id/place/homs")})
    assert bound.splitlines()[0] == "# find things WHERE { it is }"
    assert f"VALUES (?e) {{ (<{BASE}id/place/homs>) }}" in bound.splitlines()[2]
    assert "say \\\"hi\\\"" in bind("SELECT ?p WHERE { ?e ?p ?o }", {"e": 'say "hi"'})  # literals escaped


def _cut_by_scan(body, spans):
    """The article text's segments as found before the sweep: every span checked for every piece."""
    from pipeline.views import Segment

    cuts = sorted({0, len(body), *(b for b, *_ in spans), *(e for _, e, *_ in spans)})
    segments = []
    for lo, hi in zip(cuts, cuts[1:]):
        covering = [s for s in spans if s[0] <= lo and hi <= s[1]]
        if not covering:
            segments.append(Segment(body[lo:hi], None, "", ()))
            continue
        anchors = tuple(dict.fromkeys(f"m-{b}-{e}" for b, e, *_ in covering if b == lo))
        _, _, kind, link = min(covering, key=lambda s: s[1] - s[0])
        segments.append(Segment(body[lo:hi], link, kind, anchors))
    return segments


def test_article_text_is_cut_as_by_checking_every_mention_for_every_piece():
    import random

    from pipeline.views import Link, _cut

    chance = random.Random(7)
    body = "x" * 200
    for _ in range(300):
        spans = []
        for number in range(chance.randint(0, 25)):
            begin = chance.randint(0, 190)
            end = chance.randint(begin + 1, min(200, begin + chance.choice((1, 3, 10, 60))))
            spans.append((begin, end, chance.choice(("event", "entity")), Link(f"p{number}", "")))
        spans += chance.sample(spans, min(len(spans), 3))  # the same span twice, as two mentions may be
        assert list(_cut(body, spans)) == _cut_by_scan(body, spans)


@pytest.mark.parametrize("run_rows", [2, 20_000])
def test_events_listing_is_newest_first_and_a_dates_events_in_iri_order(tmp_path, monkeypatch, run_rows):
    """events.rq leaves the order to the spool (sorted on disk two rows at a time, or in one
    run): the rows are those of the store's own ORDER BY DESC(STR(?date)) ?e."""
    from pipeline import listing
    from pipeline.siteread import Reader, query_text

    monkeypatch.setattr(listing, "RUN_ROWS", run_rows)
    ng = "https://w3id.org/newsgraph/ns#"
    store = ox.Store()
    dates = {"b": "2024-12-06", "a": "2024-12-06", "c": "2024-12-05", "e": None, "d": None, "z": "2024-12-07",
             "y": "2024-12-06", "m": "2024-12"}
    for name, date in dates.items():
        event = ox.NamedNode(f"{BASE}id/event/{name}")
        store.add(ox.Quad(event, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                          ox.NamedNode(ng + "Event"), ox.NamedNode(f"{BASE}graph/resolved")))
        if date:
            store.add(ox.Quad(event, ox.NamedNode(ng + "date"), ox.Literal(date, datatype=ox.NamedNode(
                "http://www.w3.org/2001/XMLSchema#date")), ox.NamedNode(f"{BASE}graph/resolved")))
    spool = listing.Spool(tmp_path / "event", Reader(store, BASE).rows("events"), listing.newest_first("date"))
    listed = [row["e"].rsplit("/", 1)[1] for row in spool]
    assert listed == ["z", "a", "b", "y", "c", "m", "d", "e"]
    by_store = query_text("events") + "ORDER BY DESC(STR(?date)) ?e"
    assert [row["e"].value.rsplit("/", 1)[1]
            for row in store.query(by_store, use_default_graph_as_union=True)] == listed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["event"]  # the sorted runs are gone

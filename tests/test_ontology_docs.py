"""The ontology documentation page: every term and concept documented, every link inside resolves."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from rdflib import URIRef
from rdflib.namespace import OWL, RDF, SKOS

from pipeline.ontology_docs import render_ontology_docs
from pipeline.reason import ontology_graph
from pipeline.vocab import ACLED, NG, NGT, PLOVER

EXAMPLE = "http://127.0.0.1:5000/id/event/2024-12-06-withdraw-homs"


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.fragments: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a":
            self.hrefs.append(attrs["href"])
            if attrs["href"].startswith("#"):
                self.fragments.append(attrs["href"][1:])


@pytest.fixture(scope="module")
def page() -> str:
    return render_ontology_docs(lambda iri: EXAMPLE if iri == str(NG.Event) else None)


@pytest.fixture(scope="module")
def parsed(page) -> Page:
    parser = Page()
    parser.feed(page)
    return parser


def test_every_term_has_its_section(parsed):
    graph = ontology_graph()
    ours = {s for s, t in graph.subject_objects(RDF.type)
            if str(s).startswith(str(NG)) and t in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.NamedIndividual)}
    assert {str(t)[len(str(NG)):] for t in ours} <= parsed.ids
    for scheme, prefix in ((NGT, "ngt"), (PLOVER, "plover"), (ACLED, "acled")):
        concepts = set(graph.subjects(SKOS.inScheme, URIRef(str(scheme))))
        assert len(concepts) >= 20
        assert {f"{prefix}-{str(c)[len(str(scheme)):]}" for c in concepts} <= parsed.ids


def test_every_link_on_the_page_resolves(parsed):
    assert len(parsed.fragments) > 300
    assert set(parsed.fragments) <= parsed.ids


def test_definitions_alignments_and_examples_are_shown(page, parsed):
    assert "Something that happened, or is said to be going to happen" in page
    assert '<a href="http://semanticweb.cs.vu.nl/2009/11/sem/Event"><code>sem:Event</code></a>' in page
    assert '<a href="#acled-ArmedClash"><code>acled:ArmedClash</code></a>' in page
    assert EXAMPLE in parsed.hrefs
    assert "https://creativecommons.org/licenses/by/4.0/" in parsed.hrefs
    # Definitions quoting text are escaped, not markup.
    assert "&#34;X fell to Y&#34;" in page

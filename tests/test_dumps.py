"""The dumps load in another tool (rdflib) as what the store holds; VoID and DCAT describe them."""

from __future__ import annotations

import gzip
import hashlib
import json

import pytest
import rdflib
from rdflib.namespace import DCAT, DCTERMS, RDF, VOID

from pipeline.publish import publish
from test_site_sample import ARTICLES, BASE, sample_store

SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")
CC_BY = rdflib.URIRef("https://creativecommons.org/licenses/by/4.0/")


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    site_dir = tmp_path_factory.mktemp("dumps")
    store = sample_store()
    summary = publish(store, site_dir, BASE)
    union = {(q.subject.value, q.predicate.value, q.object.value) for q in store}
    return site_dir, summary, store, union


def test_ntriples_dump_is_gzipped_union(published):
    site_dir, _, _, union = published
    with gzip.open(site_dir / "downloads/newsgraph.nt.gz", "rb") as f:
        graph = rdflib.Graph().parse(data=f.read(), format="nt")
    assert {(str(s), str(p), str(o)) for s, p, o in graph} == union


def test_trig_dump_keeps_one_named_graph_per_article(published):
    site_dir, _, store, _ = published
    dataset = rdflib.Dataset().parse(site_dir / "downloads/newsgraph.trig", format="trig")
    graphs = {str(g.identifier) for g in dataset.graphs() if len(g)}
    assert {f"{BASE}graph/article/{a}" for a in ARTICLES} <= graphs
    assert f"{BASE}graph/resolved" in graphs
    assert sum(len(g) for g in dataset.graphs()) == len(store)
    # The article's text is in its own graph and nowhere else.
    text = rdflib.URIRef("https://w3id.org/newsgraph/ns#text")
    reuters = dataset.graph(rdflib.URIRef(f"{BASE}graph/article/000-reuters"))
    assert str(reuters.value(rdflib.URIRef(f"{BASE}id/article/000-reuters"), text)).startswith("Rebels close in")


def test_jsonld_dump_holds_the_dataset(published):
    site_dir, _, store, _ = published
    dataset = rdflib.Dataset().parse(site_dir / "downloads/newsgraph.jsonld", format="json-ld")
    assert sum(len(g) for g in dataset.graphs()) == len(store)
    assert isinstance(json.loads((site_dir / "downloads/newsgraph.jsonld").read_text()), list)


def test_dcat_record_gives_each_dump_type_size_checksum_licence_and_date(published):
    site_dir, summary, _, _ = published
    graph = rdflib.Graph().parse(site_dir / "downloads/dcat.ttl", format="turtle")
    dataset = rdflib.URIRef(f"{BASE}dataset")
    assert (dataset, RDF.type, DCAT.Dataset) in graph
    distributions = list(graph.objects(dataset, DCAT.distribution))
    assert len(distributions) == len(summary.dumps) == 4
    for dist in distributions:
        name = str(graph.value(dist, DCAT.downloadURL)).removeprefix(f"{BASE}downloads/")
        data = (site_dir / "downloads" / name).read_bytes()
        assert int(graph.value(dist, DCAT.byteSize)) == len(data)
        checksum = graph.value(dist, SPDX.checksum)
        assert str(graph.value(checksum, SPDX.checksumValue)) == hashlib.sha256(data).hexdigest()
        assert graph.value(dist, DCAT.mediaType) is not None
        assert (dist, DCTERMS.license, CC_BY) in graph
        assert graph.value(dist, DCTERMS.issued) is not None
    service = rdflib.URIRef(f"{BASE}sparql")
    assert (service, DCAT.servesDataset, dataset) in graph
    assert (service, RDF.type, DCAT.DataService) in graph
    examples = list(graph.objects(dataset, VOID.exampleResource))
    assert examples and all(str(e).startswith(f"{BASE}id/") for e in examples)
    # Each example resource has its page.
    for example in examples:
        assert (site_dir / (str(example).removeprefix(BASE) + ".html")).is_file()


def test_void_names_endpoint_dumps_size_and_uri_space(published):
    site_dir, summary, _, union = published
    graph = rdflib.Graph().parse(site_dir / "downloads/void.ttl", format="turtle")
    dataset = rdflib.URIRef(f"{BASE}dataset")
    assert int(graph.value(dataset, VOID.triples)) == len(union)
    assert {str(d) for d in graph.objects(dataset, VOID.dataDump)} == {
        f"{BASE}downloads/{d.file}" for d in summary.dumps}
    assert (dataset, VOID.sparqlEndpoint, rdflib.URIRef(f"{BASE}sparql")) in graph
    assert (site_dir / ".well-known/void").read_text() == (site_dir / "downloads/void.ttl").read_text()


def test_citation_line_is_given_in_the_downloads_and_on_pages(published):
    site_dir, _, _, _ = published
    citation = (site_dir / "downloads/CITATION.txt").read_text().strip()
    assert f"{BASE}dataset" in citation and "CC BY 4.0" in citation
    assert citation in (site_dir / "downloads/index.html").read_text()
    assert citation in (site_dir / "id/place/homs.html").read_text()

"""The SPARQL 1.1 Service Description a GET without a query answers with.

It tells a client what the endpoint is (its IRI), what it speaks (SPARQL 1.1
Query only, the result formats) and which graphs it holds, so that FROM and
FROM NAMED, which may only name stored graphs here, can be written from it.
"""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS

from pipeline.sparql_formats import FORMATS

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS_NS = Namespace("http://www.w3.org/ns/formats/")

# The W3C format IRIs (http://www.w3.org/ns/formats/) of our result formats, by `format` name.
_FORMAT_IRIS = {"json": "SPARQL_Results_JSON", "xml": "SPARQL_Results_XML", "csv": "SPARQL_Results_CSV",
                "tsv": "SPARQL_Results_TSV", "turtle": "Turtle", "ntriples": "N-Triples",
                "jsonld": "JSON-LD", "rdfxml": "RDF_XML"}


def describe(endpoint: str, graphs: list[str], time_limit: float, row_cap: int) -> Graph:
    """The service description of the endpoint at `endpoint` holding the named `graphs`."""
    g = Graph()
    g.bind("sd", SD)
    g.bind("formats", FORMATS_NS)
    service = URIRef(endpoint)
    g.add((service, RDF.type, SD.Service))
    g.add((service, SD.endpoint, service))
    g.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    g.add((service, SD.feature, SD.UnionDefaultGraph))
    g.add((service, SD.defaultEntailmentRegime, URIRef("http://www.w3.org/ns/entailment/Simple")))
    names = {fmt.name for fmts in FORMATS.values() for fmt in fmts}
    for name in sorted(names):
        g.add((service, SD.resultFormat, FORMATS_NS[_FORMAT_IRIS[name]]))
    g.add((service, RDFS.comment, Literal(
        f"Read-only. No SERVICE, LOAD or FROM of graphs not stored here. Queries stop after "
        f"{time_limit:g} s; results are cut at {row_cap} rows.")))
    dataset = BNode()
    g.add((service, SD.defaultDataset, dataset))
    g.add((dataset, RDF.type, SD.Dataset))
    default = BNode()
    g.add((dataset, SD.defaultGraph, default))
    g.add((default, RDF.type, SD.Graph))
    for iri in graphs:
        named = BNode()
        g.add((dataset, SD.namedGraph, named))
        g.add((named, RDF.type, SD.NamedGraph))
        g.add((named, SD.name, URIRef(iri)))
    return g

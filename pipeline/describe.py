"""Describe the dataset for machines and people: VoID, a DCAT record and a citation line.

VoID (W3C note) tells linked-data clients where the SPARQL endpoint, the dumps and the
URI space are, and is served at /.well-known/void; DCAT gives catalogues each dump's
media type, size, checksum, licence and date. Both are small graphs built with rdflib.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, VOID, XSD

from .dumps import Dump
from .vocab import NG, PREFIXES

SPDX = Namespace("http://spdx.org/rdf/terms#")
LICENCE = "https://creativecommons.org/licenses/by/4.0/"
LICENCE_NAME = "CC BY 4.0"
TITLE = "newsgraph"
DESCRIPTION = ("Events read from news articles (who did what to whom, where and when, according to whom), "
               "published as linked data with the sentence each statement came from.")


@dataclass(frozen=True)
class Description:
    """What the site shows about the dataset on every page."""

    title: str
    description: str
    dataset: str  # the dataset's IRI
    sparql: str  # the endpoint's URL
    licence: str
    licence_name: str
    issued: str
    citation: str


def description(base: str, issued: date) -> Description:
    dataset = f"{base}dataset"
    citation = (f"newsgraph contributors ({issued.year}). {TITLE}: events from news articles "
                f"[dataset], version {issued.isoformat()}. {dataset}. Licence {LICENCE_NAME}.")
    return Description(TITLE, DESCRIPTION, dataset, f"{base}sparql", LICENCE, LICENCE_NAME,
                       issued.isoformat(), citation)


def _graph() -> Graph:
    graph = Graph()
    for name, ns in PREFIXES.items():
        graph.bind(name, ns)
    graph.bind("foaf", FOAF)
    graph.bind("spdx", SPDX)
    return graph


def _dataset(graph: Graph, about: Description, base: str, examples: list[str]) -> URIRef:
    dataset = URIRef(about.dataset)
    graph.add((dataset, DCTERMS.title, Literal(about.title, lang="en")))
    graph.add((dataset, DCTERMS.description, Literal(about.description, lang="en")))
    graph.add((dataset, DCTERMS.license, URIRef(about.licence)))
    graph.add((dataset, DCTERMS.issued, Literal(about.issued, datatype=XSD.date)))
    graph.add((dataset, DCTERMS.bibliographicCitation, Literal(about.citation)))
    graph.add((dataset, FOAF.homepage, URIRef(f"{base}index.html")))
    for example in examples:
        graph.add((dataset, VOID.exampleResource, URIRef(example)))
    return dataset


def void(about: Description, base: str, dumps: list[Dump], triples: int, examples: list[str]) -> Graph:
    """The VoID description: endpoint, dumps, URI space, vocabularies, size, examples."""
    graph = _graph()
    dataset = _dataset(graph, about, base, examples)
    graph.add((dataset, RDF.type, VOID.Dataset))
    graph.add((dataset, VOID.sparqlEndpoint, URIRef(about.sparql)))
    graph.add((dataset, VOID.uriSpace, Literal(f"{base}id/")))
    graph.add((dataset, VOID.triples, Literal(triples)))
    graph.add((dataset, VOID.vocabulary, URIRef(str(NG))))
    graph.add((dataset, VOID.rootResource, URIRef(f"{base}index.html")))
    for dump in dumps:
        graph.add((dataset, VOID.dataDump, URIRef(f"{base}downloads/{dump.file}")))
    return graph


def dcat(about: Description, base: str, dumps: list[Dump], examples: list[str]) -> Graph:
    """The DCAT record: the dataset, its distributions (size, checksum, licence) and its endpoint."""
    graph = _graph()
    dataset = _dataset(graph, about, base, examples)
    graph.add((dataset, RDF.type, DCAT.Dataset))
    graph.add((dataset, DCAT.landingPage, URIRef(f"{base}index.html")))
    for dump in dumps:
        dist = URIRef(f"{base}downloads/{dump.file}#distribution")
        graph.add((dataset, DCAT.distribution, dist))
        graph.add((dist, RDF.type, DCAT.Distribution))
        graph.add((dist, DCTERMS.title, Literal(dump.title, lang="en")))
        graph.add((dist, DCAT.downloadURL, URIRef(f"{base}downloads/{dump.file}")))
        graph.add((dist, DCAT.mediaType, URIRef(f"https://www.iana.org/assignments/media-types/{dump.media_type}")))
        if dump.compression:
            graph.add((dist, DCAT.compressFormat,
                       URIRef(f"https://www.iana.org/assignments/media-types/{dump.compression}")))
        graph.add((dist, DCAT.byteSize, Literal(dump.size, datatype=XSD.nonNegativeInteger)))
        graph.add((dist, DCTERMS.license, URIRef(about.licence)))
        graph.add((dist, DCTERMS.issued, Literal(about.issued, datatype=XSD.date)))
        checksum = BNode()
        graph.add((dist, SPDX.checksum, checksum))
        graph.add((checksum, RDF.type, SPDX.Checksum))
        graph.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        graph.add((checksum, SPDX.checksumValue, Literal(dump.sha256, datatype=XSD.hexBinary)))
    service = URIRef(about.sparql)
    graph.add((service, RDF.type, DCAT.DataService))
    graph.add((service, DCAT.endpointURL, service))
    graph.add((service, DCTERMS.conformsTo, URIRef("https://www.w3.org/TR/sparql11-protocol/")))
    graph.add((service, DCAT.servesDataset, dataset))
    graph.add((service, DCTERMS.license, URIRef(about.licence)))
    return graph


def write_descriptions(folder: Path, site_dir: Path, about: Description, base: str, dumps: list[Dump],
                       triples: int, examples: list[str]) -> list[Path]:
    """Write void.ttl and dcat.ttl into `folder`, VoID also at site_dir/.well-known/void."""
    void_ttl = void(about, base, dumps, triples, examples).serialize(format="turtle")
    written = [folder / "void.ttl", folder / "dcat.ttl", site_dir / ".well-known" / "void",
               folder / "CITATION.txt"]
    written[0].write_text(void_ttl, encoding="utf-8")
    written[1].write_text(dcat(about, base, dumps, examples).serialize(format="turtle"), encoding="utf-8")
    written[2].parent.mkdir(parents=True, exist_ok=True)
    written[2].write_text(void_ttl, encoding="utf-8")
    written[3].write_text(about.citation + "\n", encoding="utf-8")
    return written

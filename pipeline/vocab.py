"""Namespaces of the vocabularies we publish with, and how dataset IRIs are minted.

The ontology's namespace is fixed (it names terms, not data). Dataset IRIs are minted
under a base IRI chosen at build time, by default the local server's address, so that
dereferencing works out of the box.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rdflib import Namespace as _RdflibNamespace
from rdflib import URIRef
from rdflib.namespace import DCAT, DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD, VOID


class Namespace(_RdflibNamespace):
    """An rdflib Namespace whose terms are made once each: rdflib validates and builds a new
    URIRef on every `NG.term` access, and the map stage makes millions of them."""

    def term(self, name: str) -> URIRef:
        return _term(str(self), name)


@lru_cache(maxsize=4096)
def _term(namespace: str, name: str) -> URIRef:
    return URIRef(namespace + (name if isinstance(name, str) else ""))


NG = Namespace("https://w3id.org/newsgraph/ns#")
NGT = Namespace("https://w3id.org/newsgraph/event-type/")  # our SKOS event-type scheme
PLOVER = Namespace("https://w3id.org/newsgraph/plover/")  # PLOVER as a SKOS scheme
ACLED = Namespace("https://w3id.org/newsgraph/acled/")  # ACLED as a SKOS scheme
SEM = Namespace("http://semanticweb.cs.vu.nl/2009/11/sem/")
SCHEMA = Namespace("https://schema.org/")
GEO = Namespace("http://www.opengis.net/ont/geosparql#")
WGS84 = Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")
TIME = Namespace("http://www.w3.org/2006/time#")
NIF = Namespace("http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#")
OA = Namespace("http://www.w3.org/ns/oa#")
WD = Namespace("http://www.wikidata.org/entity/")
GEONAMES = "https://sws.geonames.org/{}/"

Triple = tuple  # (subject, predicate, object) of rdflib terms, as the mapping and the gate pass them

DEFAULT_BASE = "http://127.0.0.1:5000/"

# Prefixes bound in every serialisation we write and predefined on the query page.
PREFIXES: dict[str, Namespace] = {
    "ng": NG,
    "ngt": NGT,
    "plover": PLOVER,
    "acled": ACLED,
    "sem": SEM,
    "schema": SCHEMA,
    "geo": GEO,
    "wgs84": WGS84,
    "time": TIME,
    "nif": NIF,
    "oa": OA,
    "prov": PROV,
    "skos": SKOS,
    "owl": OWL,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "dcterms": DCTERMS,
    "dcat": DCAT,
    "void": VOID,
    "wd": WD,
}

__all__ = ["NG", "NGT", "PLOVER", "ACLED", "SEM", "SCHEMA", "GEO", "WGS84", "TIME", "NIF", "OA",
           "WD", "GEONAMES", "DEFAULT_BASE", "PREFIXES", "slug", "Minter"]


def slug(text: str) -> str:
    """A readable, IRI-safe path segment: "Hayat Tahrir al-Sham" -> "hayat-tahrir-al-sham"."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-") or "x"


def mention_key(article_id: str, start: int, end: int) -> str:
    """A mention's identity across builds, its article and span: the end of its IRI."""
    return f"{article_id}/{start}-{end}"


class Minter:
    """Mints the dataset's IRIs under one base IRI. Same key, same IRI, every build."""

    def __init__(self, base: str = DEFAULT_BASE):
        self.base = base if base.endswith("/") else base + "/"

    def entity(self, key: str) -> URIRef:
        """`key` is an `EntityRef.key`: "actor/<slug>" or "place/<slug>"."""
        return URIRef(f"{self.base}id/{key}")

    def event(self, key: str) -> URIRef:
        """`key` is an `Event.key` such as "2024-12-06-takecontrol-homs"."""
        return URIRef(f"{self.base}id/event/{key}")

    def article(self, article_id: str) -> URIRef:
        return URIRef(f"{self.base}id/article/{article_id}")

    def mention(self, article_id: str, start: int, end: int) -> URIRef:
        return URIRef(self.mention_prefix + mention_key(article_id, start, end))

    @property
    def mention_prefix(self) -> str:
        """What every mention's IRI starts with."""
        return f"{self.base}id/mention/"

    def article_graph(self, article_id: str) -> URIRef:
        return URIRef(f"{self.base}graph/article/{article_id}")

    def resolved_graph(self) -> URIRef:
        """The graph of linked entities and cross-article events."""
        return URIRef(f"{self.base}graph/resolved")

    def ontology_graph(self) -> URIRef:
        """The ontology and schemes, loaded beside the data so type queries work."""
        return URIRef(f"{self.base}graph/ontology")

    def dataset(self) -> URIRef:
        return URIRef(f"{self.base}dataset")

"""Linked data when served: every IRI under /id/ dereferences, and the static site is served.

A resource IRI answers `303 See Other` to the document that describes it, chosen by the
Accept header (HTML for browsers; Turtle, JSON-LD, N-Triples or RDF/XML for RDF clients),
with `Vary: Accept` so caches keep the variants apart (the Pubby/DBpedia/Wikidata
pattern). Suffix URLs (`.html`, `.ttl`, `.jsonld`, `.nt`, `.rdf`) name the documents
directly. HTML, Turtle and JSON-LD are the files the publish stage wrote beside each
page; N-Triples and RDF/XML are converted from the Turtle on request. Resources without
a page of their own (mentions, participations, geometries) are described from the store
when there is one, and their HTML is the page of the resource they belong to. The IRI
of an event merged into another (dct:isReplacedBy) answers `301 Moved Permanently` to it. Served
through an external store (`serve --store`), every RDF document comes from that store,
so linked data and SPARQL tell the same; HTML still comes from the site.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pyoxigraph as ox
from flask import Blueprint, Response, abort, redirect, request, send_from_directory
from werkzeug.security import safe_join

from .siteread import Reader
from .views import Paths
from .vocab import PREFIXES

# Suffix -> (media type, pyoxigraph format or None for HTML).
DOCUMENTS = {
    "html": ("text/html", None),
    "ttl": ("text/turtle", ox.RdfFormat.TURTLE),
    "jsonld": ("application/ld+json", ox.RdfFormat.JSON_LD),
    "nt": ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    "rdf": ("application/rdf+xml", ox.RdfFormat.RDF_XML),
}
# What an Accept header may ask for, in our order of preference on ties (browsers first).
NEGOTIABLE = {
    "text/html": "html", "application/xhtml+xml": "html", "text/turtle": "ttl",
    "application/ld+json": "jsonld", "application/json": "jsonld", "application/n-triples": "nt",
    "application/rdf+xml": "rdf", "application/x-turtle": "ttl", "text/plain": "nt",
}
# Media types of the other files the site holds that Python's mimetypes does not know.
STATIC_TYPES = {".ttl": "text/turtle", ".jsonld": "application/ld+json", ".trig": "application/trig",
                ".nt": "application/n-triples", ".rdf": "application/rdf+xml"}
_SUFFIXED = re.compile(r"^(?P<stem>.+)\.(?P<suffix>html|ttl|jsonld|nt|rdf)$")
_PREFIXES = {name: str(ns) for name, ns in PREFIXES.items()}
_URI_SPACE = re.compile(r'void:uriSpace\s+"([^"]+)"')
# An event IRI that is no longer an event's says which event took its mentions (link.EventKeys).
REPLACED_BY = "http://purl.org/dc/terms/isReplacedBy"
# The description of one resource IRI (the site's `describe` query), from an external store.
Describe = Callable[[str], list[ox.Triple]]


def create_blueprint(site_dir: Path, store_path: Path | None, describe: Describe | None = None) -> Blueprint:
    """The blueprint serving `site_dir` and dereferencing /id/ IRIs.

    RDF of resources without pages comes from the store at `store_path`; with
    `describe` (an external store), all RDF documents come from it instead.
    """
    site_dir = Path(site_dir)
    bp = Blueprint("linkeddata", __name__)

    @cache
    def reader() -> Reader | None:
        """The store, opened read-only on first need, with the base read from the site's VoID."""
        if store_path is None:
            return None
        return Reader(ox.Store.read_only(str(store_path)), base_iri())

    @cache
    def base_iri() -> str:
        void = site_dir / ".well-known" / "void"
        match = _URI_SPACE.search(void.read_text(encoding="utf-8")) if void.is_file() else None
        return match.group(1).removesuffix("id/") if match else request.host_url

    def exists(relative: str) -> bool:
        target = safe_join(str(site_dir), relative)
        return target is not None and Path(target).is_file()

    def described(iri: str) -> list[ox.Triple]:
        if describe is not None:
            return describe(iri)
        store = reader()
        return store.construct("describe", e=ox.NamedNode(iri)) if store else []

    def owner_page(path: str) -> str | None:
        """The page a resource without its own page belongs to: an article for a mention,
        the event for a participation, the place for a geometry."""
        page = Paths(base_iri()).page(base_iri() + "id/" + path)
        if page and exists(page.split("#")[0]):
            return page
        parts = path.split("/")
        for end in range(len(parts) - 1, 1, -1):
            candidate = "id/" + "/".join(parts[:end]) + ".html"
            if exists(candidate):
                return candidate
        return None

    def replaced_by(path: str) -> str | None:
        """The path of the event that replaced a retired event's IRI (dct:isReplacedBy), if it was."""
        if not path.startswith("event/") or "/" in path.removeprefix("event/"):
            return None
        base = base_iri()
        iri = base + "id/" + path
        if describe is None and (store := reader()) is not None:  # one index lookup, not a description
            found = store.store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(REPLACED_BY), None)
            successors = [quad.object for quad in found]
        else:
            successors = [t.object for t in described(iri) if t.predicate.value == REPLACED_BY]
        return next((s.value.removeprefix(base) for s in successors if s.value.startswith(base)), None)

    @bp.route("/.well-known/void")
    def void() -> Response:
        if not (site_dir / ".well-known" / "void").is_file():
            abort(404)
        return send_from_directory(site_dir / ".well-known", "void", mimetype="text/turtle")

    @bp.route("/ns")
    def ontology() -> Response:
        """The ontology IRI (w3id.org/newsgraph/ns redirects here): its page or its Turtle."""
        wanted = request.accept_mimetypes.best_match(["text/html", "text/turtle"], default="text/html")
        target = "ontology.ttl" if wanted == "text/turtle" else "ontology.html"
        response = redirect(request.script_root + "/" + target, code=303)
        response.headers["Vary"] = "Accept"
        return response

    @bp.route("/id/<path:path>")
    def dereference(path: str) -> Response:
        suffixed = _SUFFIXED.match(path)
        if suffixed:
            return document(suffixed["stem"], suffixed["suffix"])
        suffix = NEGOTIABLE.get(request.accept_mimetypes.best_match(list(NEGOTIABLE), default="text/html"),
                                "html")
        if successor := replaced_by(path):  # before the site's page, which is for hosts that serve files
            return redirect(request.script_root + "/" + successor, code=301)
        if exists(f"id/{path}.html"):
            target = f"{path}.{suffix}"
        elif suffix == "html":
            page = owner_page(path)
            if page is None:
                abort(404)
            target = page.removeprefix("id/")
        elif described(base_iri() + "id/" + path):
            target = f"{path}.{suffix}"
        else:
            abort(404)
        response = redirect(request.script_root + "/id/" + target, code=303)
        response.headers["Vary"] = "Accept"
        return response

    def document(stem: str, suffix: str) -> Response:
        media, fmt = DOCUMENTS[suffix]
        from_site = suffix == "html" or (describe is None and suffix in ("ttl", "jsonld"))
        if from_site and exists(f"id/{stem}.{suffix}"):
            return send_from_directory(site_dir / "id", f"{stem}.{suffix}", mimetype=media)
        if fmt is None:
            abort(404)
        if describe is None and exists(f"id/{stem}.ttl"):
            triples = list(ox.parse(path=str(site_dir / "id" / f"{stem}.ttl"), format=ox.RdfFormat.TURTLE))
        else:
            triples = described(base_iri() + "id/" + stem)
        if not triples:
            abort(404)
        return Response(ox.serialize(triples, format=fmt, prefixes=_PREFIXES), mimetype=media)

    @bp.route("/", defaults={"path": ""})
    @bp.route("/<path:path>")
    def site(path: str) -> Response:
        """The static site: folders answer with their index.html, extensionless paths with .html."""
        if path == "" or path.endswith("/"):
            path += "index.html"
        elif not exists(path) and exists(f"{path}.html"):
            path += ".html"
        media = STATIC_TYPES.get(Path(path).suffix)
        return send_from_directory(site_dir, path, mimetype=media)

    return bp

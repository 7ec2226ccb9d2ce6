"""Read the published graph for the site: named SPARQL queries kept as files in site/queries,
and direct index lookups for one resource's own statements.

The store is the truth: every page is drawn from what these return, one resource at a
time, so a site of any size is written with memory bounded by one resource's statements.
Listings (all events, all actors...) are SPARQL over the union of all named graphs. A
page's own values are read with `quads_for_pattern` instead: Oxigraph plans SPARQL joins
without statistics and may scan a whole predicate before joining the one bound node, so
per-page SPARQL grows with the store, while an index lookup costs the resource's degree.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pyoxigraph as ox

SITE_SOURCE = Path(__file__).resolve().parent.parent / "site"
QUERIES = SITE_SOURCE / "queries"

Term = ox.NamedNode | ox.BlankNode | ox.Literal
Row = dict[str, Term]
LABELS = ("http://www.w3.org/2000/01/rdf-schema#label", "http://www.w3.org/2004/02/skos/core#prefLabel",
          "https://w3id.org/newsgraph/ns#title", "https://schema.org/name")


@cache
def query_text(name: str) -> str:
    """The query `name` (a file in site/queries) with the shared prefixes prepended."""
    return (QUERIES / "prefixes.rq").read_text() + (QUERIES / f"{name}.rq").read_text()


def bind(query: str, values: dict[str, str | ox.NamedNode | ox.Literal]) -> str:
    """Bind variables by a VALUES block at the start of the first WHERE group.

    Oxigraph's substitutions only reach projected variables, and most of these queries
    aggregate. Terms are written in their N-Triples form by pyoxigraph (IRIs validated,
    literals escaped), so no value can change the query's structure.
    """
    if not values:
        return query
    terms = {k: v if not isinstance(v, str) else ox.Literal(v) for k, v in values.items()}
    block = "VALUES (" + " ".join(f"?{k}" for k in terms) + ") { (" + " ".join(str(v) for v in terms.values()) + ") }"
    lines = query.splitlines(keepends=True)
    for number, line in enumerate(lines):
        if "WHERE {" in line and not line.lstrip().startswith("#"):
            at = line.index("WHERE {") + len("WHERE {")
            lines[number] = f"{line[:at]}\n  {block}{line[at:]}"
            return "".join(lines)
    raise ValueError("a site query binding values needs a `WHERE {` line to bind them in")


class Reader:
    """Runs the site's named queries against one store."""

    def __init__(self, store: ox.Store, base: str):
        self.store = store
        self.base = base if base.endswith("/") else base + "/"

    def select(self, name: str, **values: str | ox.NamedNode | ox.Literal) -> list[Row]:
        """Rows of a SELECT query as dicts of the bound variables (unbound ones left out)."""
        solutions = self.store.query(bind(query_text(name), values), use_default_graph_as_union=True)
        names = [v.value for v in solutions.variables]
        rows = []
        for solution in solutions:
            row = {}
            for var in names:
                term = solution[var]
                if term is not None:
                    row[var] = term
            rows.append(row)
        return rows

    def construct(self, name: str, **values: str | ox.NamedNode | ox.Literal) -> list[ox.Triple]:
        """The triples of a CONSTRUCT query, without repeats (a triple may sit in several graphs)."""
        triples = self.store.query(bind(query_text(name), values), use_default_graph_as_union=True)
        return list(dict.fromkeys(triples))

    def values(self, node: ox.NamedNode) -> dict[str, list[Term]]:
        """Everything `node` has, by predicate IRI, in all graphs (each value once)."""
        found: dict[str, list[Term]] = {}
        for quad in self.store.quads_for_pattern(node, None, None, None):
            objects = found.setdefault(quad.predicate.value, [])
            if quad.object not in objects:
                objects.append(quad.object)
        return found

    def first(self, node: Term, predicate: str) -> Term | None:
        """One value of `predicate` on `node`, or None."""
        if not isinstance(node, ox.NamedNode):
            return None
        return next((q.object for q in self.store.quads_for_pattern(node, ox.NamedNode(predicate), None, None)), None)

    def subjects(self, predicate: str, node: Term) -> list[Term]:
        """The resources that have `node` as their `predicate` (each once)."""
        quads = self.store.quads_for_pattern(None, ox.NamedNode(predicate), node, None)
        return list(dict.fromkeys(q.subject for q in quads))

    def label(self, node: Term | None) -> str:
        """The node's label (rdfs:label, skos:prefLabel, ng:title, schema:name), English or
        untagged first, or "" when it has none."""
        if not isinstance(node, ox.NamedNode):
            return ""
        for predicate in LABELS:
            labels = [q.object for q in self.store.quads_for_pattern(node, ox.NamedNode(predicate), None, None)]
            if labels:
                return min(labels, key=lambda l: (getattr(l, "language", None) not in (None, "en"), l.value)).value
        return ""

"""Read the published graph for the site: named SPARQL queries kept as files in site/queries.

The store is the truth: every page is drawn from what these queries return, one entity
at a time, so a site of any size is written with memory bounded by one entity's results.
Queries run over the union of all named graphs (articles, resolved, ontology).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pyoxigraph as ox

SITE_SOURCE = Path(__file__).resolve().parent.parent / "site"
QUERIES = SITE_SOURCE / "queries"

Row = dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]


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
    at = query.index("WHERE {") + len("WHERE {")
    return f"{query[:at]}\n  {block}{query[at:]}"


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

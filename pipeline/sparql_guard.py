"""Checks a SPARQL query before anything evaluates it.

Both rdflib and pyoxigraph make outbound HTTP requests for SERVICE, and rdflib
dereferences FROM (even file:// IRIs), so the endpoint reads the query's structure
first and refuses what would reach outside the store. The check walks rdflib's parse
tree rather than matching text, so comments, strings and prefixed names cannot hide
a SERVICE clause or a FROM.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Iterator

from pyparsing import ParseException
from rdflib.plugins.sparql.algebra import translatePrologue
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.parser import parseQuery


class Form(str, Enum):
    """What a query returns, which decides the result formats it can be sent in."""

    SOLUTIONS = "solutions"  # SELECT
    BOOLEAN = "boolean"  # ASK
    GRAPH = "graph"  # CONSTRUCT, DESCRIBE


_FORMS = {
    "SelectQuery": Form.SOLUTIONS,
    "AskQuery": Form.BOOLEAN,
    "ConstructQuery": Form.GRAPH,
    "DescribeQuery": Form.GRAPH,
}


class Refused(ValueError):
    """The query may not run here; the message says why, for the person who sent it."""


@dataclass(frozen=True)
class CheckedQuery:
    """A query that passed the guard, with what evaluation needs to know about it."""

    form: Form
    from_graphs: tuple[str, ...]  # FROM, resolved to absolute IRIs
    from_named_graphs: tuple[str, ...]  # FROM NAMED
    limit: int | None = None  # a SELECT's own LIMIT (the outermost one), which bounds its rows


def _nodes(tree) -> Iterator[CompValue]:
    """Every CompValue in a parse tree, depth first."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, CompValue):
            yield node
            stack.extend(node.values())
        elif isinstance(node, (list, tuple)) or type(node).__name__ == "ParseResults":
            stack.extend(node)


def check_query(text: str, stored_graphs: frozenset[str], base_iri: str | None = None) -> CheckedQuery:
    """Parse `text` and refuse federation and any dataset clause naming an unknown graph.

    `stored_graphs` are the named graphs the store holds: FROM and FROM NAMED may
    only select among them, never name something to fetch.
    """
    try:
        prologue_tree, query = parseQuery(text)
    except ParseException as exc:
        raise Refused(f"Syntax error in the query at line {exc.lineno}, column {exc.col}: {exc.msg}") from None
    except RecursionError:
        raise Refused("The query is nested too deeply to be checked.") from None
    if query.name not in _FORMS:
        raise Refused(f"Unsupported query form {query.name}.")
    for node in _nodes(query):
        if node.name == "ServiceGraphPattern":
            raise Refused("SERVICE (federated query) is not allowed: this endpoint never makes outbound requests.")
    try:
        prologue = translatePrologue(prologue_tree, base_iri)
        default, named = [], []
        for clause in query["datasetClause"] if "datasetClause" in query else ():
            if "default" in clause:
                default.append(str(prologue.absolutize(clause["default"])))
            else:
                named.append(str(prologue.absolutize(clause["named"])))
    except Exception as exc:  # an undeclared prefix, a bad base: rdflib raises plain Exception
        raise Refused(f"Cannot resolve the query's dataset clause: {exc}") from None
    unknown = [iri for iri in default + named if iri not in stored_graphs]
    if unknown:
        raise Refused(
            "FROM / FROM NAMED may only name graphs stored here (this endpoint never fetches data); "
            f"not stored: {', '.join(unknown)}. The list of graphs is in the service description."
        )
    modifiers = query["limitoffset"] if query.name == "SelectQuery" and "limitoffset" in query else {}
    limit = int(modifiers["limit"]) if "limit" in modifiers else None
    return CheckedQuery(_FORMS[query.name], tuple(default), tuple(named), limit)

"""Query: SPARQL over a publication from the command line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph

from .store import open_read_only


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def run_query(out: Path, sparql: str) -> Table:
    """Run a SELECT, ASK or CONSTRUCT query; the default graph is the union of all graphs."""
    results = open_read_only(out).query(sparql, use_default_graph_as_union=True)
    if isinstance(results, bool):
        return Table(("result",), ((str(results).lower(),),))
    if isinstance(results, pyoxigraph.QuerySolutions):
        columns = tuple(v.value for v in results.variables)
        rows = tuple(tuple(_text(solution[c]) for c in columns) for solution in results)
        return Table(columns, rows)
    return Table(("subject", "predicate", "object"),
                 tuple((_text(t.subject), _text(t.predicate), _text(t.object)) for t in results))


def _text(term) -> str:
    if term is None:
        return ""
    if isinstance(term, pyoxigraph.Literal):
        return term.value
    return str(term.value) if hasattr(term, "value") else str(term)


def format_table(table: Table, width: int = 60) -> str:
    """A plain-text table, long values cut to `width` characters."""
    cells = [[c if len(c) <= width else c[: width - 1] + "…" for c in row] for row in table.rows]
    widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(table.columns)]
    line = "-+-".join("-" * w for w in widths)
    out = [" | ".join(h.ljust(w) for h, w in zip(table.columns, widths)), line]
    out += [" | ".join(c.ljust(w) for c, w in zip(row, widths)) for row in cells]
    out.append(f"({len(cells)} rows)")
    return "\n".join(out)

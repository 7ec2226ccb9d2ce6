"""Read the published graph for the site: named SPARQL queries kept as files in site/queries,
and direct index lookups for one resource's own statements.

The store is the truth: every page is drawn from what these return, one resource at a
time, so a site of any size is written with memory bounded by one resource's statements.
Listings (all events, all actors...) are SPARQL over the union of all named graphs,
streamed row by row. A page's own values are read with `quads_for_pattern` instead:
Oxigraph plans SPARQL joins without statistics and may scan a whole predicate before
joining the one bound node, so per-page SPARQL grows with the store, while an index
lookup costs the resource's degree. The exceptions are single patterns with the node bound,
which Oxigraph also answers by one index walk: a busy entity's statements are counted, cut
or filtered there (`values(without=)`, `objects`, `referrers`), not decoded by the hundred
thousand to show a few.

While a page is drawn, `Reader.reading()` records every lookup it makes (a `Reads`):
the page is a function of those lookups' results, so a later publish can tell whether
the page would come out the same from which triples changed (reuse.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from itertools import islice
from pathlib import Path

import pyoxigraph as ox

SITE_SOURCE = Path(__file__).resolve().parent.parent / "site"
QUERIES = SITE_SOURCE / "queries"

Term = ox.NamedNode | ox.BlankNode | ox.Literal
Row = dict[str, Term]
Pattern = tuple[Term | None, Term | None, Term | None]  # subject, predicate, object; None matches any
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


@dataclass
class Reads:
    """The lookups one page made, in order, with what each returned.

    Only lookups of IRIs (or wildcards) can be replayed from a stored record; a page
    that looked up anything else is not `replayable` and is always drawn afresh.
    """

    # None for a lookup whose triples a query read and did not keep (Reader.cover).
    results: dict[Pattern, list[ox.Triple] | None] = field(default_factory=dict)
    replayable: bool = True

    def add(self, pattern: Pattern, triples: list[ox.Triple] | None) -> None:
        self.results[pattern] = triples
        self.replayable &= all(t is None or isinstance(t, ox.NamedNode) for t in pattern)

    def patterns(self) -> list[list[str | None]]:
        """The lookups as IRIs (None for a wildcard), in the order they were made."""
        return [[None if t is None else t.value for t in pattern] for pattern in self.results]


def distinct_triples(store: ox.Store, pattern: Pattern) -> list[ox.Triple]:
    """The triples matching `pattern` in any graph, each once, in index order.

    A resource's statements, or those pointing at it (one IRI bound, no predicate), are read
    by SPARQL: Oxigraph evaluates one triple pattern over the union of the graphs by the same
    index walk as `quads_for_pattern` (the same triples in the same order, once per graph
    holding them) but decodes only the unbound terms, not the graph name and the bound IRI
    again on every row: some 40% less on a busy entity's thousands of statements, and no
    more on a small resource's. With a predicate bound the results are few and a query's
    own cost would be most of it."""
    subject, predicate, obj = pattern
    if predicate is None and (subject is None) != (obj is None):
        if isinstance(subject, ox.NamedNode):
            rows = store.query(f"SELECT ?p ?o WHERE {{ {subject} ?p ?o }}", use_default_graph_as_union=True)
            return list(dict.fromkeys(ox.Triple(subject, p, o) for p, o in rows))
        if isinstance(obj, ox.NamedNode):
            rows = store.query(f"SELECT ?s ?p WHERE {{ ?s ?p {obj} }}", use_default_graph_as_union=True)
            return list(dict.fromkeys(ox.Triple(s, p, obj) for s, p in rows))
    return list(dict.fromkeys(q.triple for q in store.quads_for_pattern(*pattern, None)))


class Reader:
    """Runs the site's named queries against one store, and looks up resources' statements.

    Nothing is remembered across pages: a cache of the small lookups pages share (an event's,
    made again by the pages of its place and actors) cost more than the lookups it saved
    (bench/publish_speed.py, 2026-12-05, 1,000 articles, one process: 214 ms an article and
    406 MiB at peak with it and the event views' cache, 180 ms and 272 MiB without).
    """

    def __init__(self, store: ox.Store, base: str):
        self.store = store
        self.base = base if base.endswith("/") else base + "/"
        self._reads: Reads | None = None

    @contextmanager
    def reading(self) -> Iterator[Reads]:
        """Record every lookup made until the block ends (and within it, remember them)."""
        if self._reads is not None:
            raise RuntimeError("a page's lookups are already being recorded")
        self._reads = Reads()
        try:
            yield self._reads
        finally:
            self._reads = None

    def _record(self, pattern: Pattern, triples: list[ox.Triple] | None) -> None:
        if self._reads is not None and pattern not in self._reads.results:
            self._reads.add(pattern, triples)

    def rows(self, name: str, **values: str | ox.NamedNode | ox.Literal) -> Iterator[Row]:
        """Rows of a SELECT query as dicts of the bound variables (unbound ones left out), streamed."""
        solutions = self.store.query(bind(query_text(name), values), use_default_graph_as_union=True)
        names = [v.value for v in solutions.variables]
        for solution in solutions:
            yield {var: term for var in names if (term := solution[var]) is not None}

    def select(self, name: str, **values: str | ox.NamedNode | ox.Literal) -> list[Row]:
        """All rows of a SELECT query whose results are small (one resource's, or a count)."""
        return list(self.rows(name, **values))

    def construct(self, name: str, **values: str | ox.NamedNode | ox.Literal) -> list[ox.Triple]:
        """The triples of a CONSTRUCT query, without repeats (a triple may sit in several graphs)."""
        triples = self.store.query(bind(query_text(name), values), use_default_graph_as_union=True)
        return list(dict.fromkeys(triples))

    def triples(self, subject: Term | None, predicate: Term | None, obj: Term | None) -> list[ox.Triple]:
        """The distinct triples of a pattern, in all graphs; recorded while `reading`."""
        pattern = (subject, predicate, obj)
        found = self._reads.results.get(pattern) if self._reads is not None else None
        if found is None:
            found = distinct_triples(self.store, pattern)
        self._record(pattern, found)
        return found

    def values(self, node: ox.NamedNode, without: Iterable[str] = ()) -> dict[str, list[Term]]:
        """Everything `node` has, by predicate IRI, in all graphs (each value once), but the
        predicates `without`.

        Those are left out by the store, which then decodes none of them (a busy actor's
        ~155,000 links to its mentions took a second to read); the page depends on them all
        the same (it counts them, see `objects`), so the lookup is recorded as (node, *, *)."""
        skipped = tuple(without)
        found: dict[str, list[Term]] = {}
        if not skipped:
            for triple in self.triples(node, None, None):
                found.setdefault(triple.predicate.value, []).append(triple.object)
            return found
        query = (f"SELECT DISTINCT ?p ?o WHERE {{ {node} ?p ?o "
                 f"FILTER(?p NOT IN ({', '.join(f'<{p}>' for p in skipped)})) }}")
        for predicate, obj in self.store.query(query, use_default_graph_as_union=True):
            found.setdefault(predicate.value, []).append(obj)
        self.cover([(node, None, None)])
        return found

    def objects(self, node: ox.NamedNode, predicate: str, limit: int) -> tuple[int, list[Term]]:
        """How many values `predicate` has on `node`, and the first `limit` of them in a lookup's
        order: counted and cut by the store, which decodes no others (a page shows 200 of a busy
        actor's ~78,000 mentions). Recorded as the lookup (node, predicate, *)."""
        values = {"e": node, "p": ox.NamedNode(predicate)}
        (counted,) = self.select("object_count", **values)
        first = [row["o"] for row in islice(self.rows("objects", **values), limit)]
        self.cover([(node, values["p"], None)])
        return int(counted["count"].value), first

    def referrers(self, node: ox.NamedNode, limit: int) -> dict[ox.NamedNode, tuple[int, list[Term]]]:
        """Per property pointing at `node`: how many resources (IRIs) do, and the first `limit`
        subjects in a lookup's order (IRIs or blank nodes). Counted and cut by the store: a busy
        actor has ~200,000 such statements. Recorded as the lookup (*, *, node)."""
        counts = {row["p"]: int(row["count"].value) for row in self.select("referrers", e=node)}
        self.cover([(None, None, node)])
        return {prop: (count, [row["s"] for row in islice(self.rows("subjects", p=prop, e=node), limit)])
                for prop, count in counts.items()}

    def cover(self, patterns: Iterable[Pattern]) -> None:
        """Record lookups whose triples were read by a query over exactly those triples (and
        not kept): the page depends on them as if it had looked them up."""
        for pattern in patterns:
            self._record(pattern, None)

    def values_of(self, nodes: list[Term], predicates: tuple[str, ...]) -> list[dict[str, list[Term]]]:
        """What `values` gives for each of `nodes`, limited to `predicates`, read by one query.

        A page shows up to hundreds of mentions, each by a dozen of its ~20 statements: one
        query for all of them decodes only those, where a lookup per mention reads them all.
        Each node's triples are recorded as the lookup (node, *, *), without their results
        (a later lookup of it reads the store): the page depends on no other triples, and
        reuse stays exact. Oxigraph joins the VALUES row by row, by the index walk a lookup
        makes, so the values come in a lookup's order. Blank nodes (which SPARQL cannot
        name) are looked up one by one, and so is a lone node: for one, a query costs more."""
        named = list(dict.fromkeys(n for n in nodes if isinstance(n, ox.NamedNode)))
        named = named if len(named) > 1 else []
        found: dict[Term, dict[tuple[str, Term], None]] = {node: {} for node in named}
        if named:
            query = (f"SELECT ?s ?p ?o WHERE {{ VALUES ?s {{ {' '.join(map(str, named))} }} ?s ?p ?o "
                     f"FILTER(?p IN ({', '.join(f'<{p}>' for p in predicates)})) }}")
            for subject, predicate, obj in self.store.query(query, use_default_graph_as_union=True):
                found[subject][predicate.value, obj] = None
        self.cover((node, None, None) for node in named)
        results = []
        for node in nodes:
            if node not in found:
                results.append({p: v for p, v in self.values(node).items() if p in predicates})
                continue
            values: dict[str, list[Term]] = {}
            for predicate, obj in found[node]:
                values.setdefault(predicate, []).append(obj)
            results.append(values)
        return results

    def describe(self, node: ox.NamedNode) -> list[ox.Triple]:
        """The document of `node`: its own statements and those of the resources it owns (IRIs
        under its own, e.g. participations and geometries), as site/queries/describe.rq has it."""
        own = self.triples(node, None, None)
        under = node.value + "/"
        owned = dict.fromkeys(t.object for t in own if isinstance(t.object, ox.NamedNode)
                              and t.object.value.startswith(under))
        return list(dict.fromkeys([*own, *(t for sub in owned for t in self.triples(sub, None, None))]))

    def first(self, node: Term, predicate: str) -> Term | None:
        """One value of `predicate` on `node`, or None."""
        if not isinstance(node, ox.NamedNode):
            return None
        found = self.triples(node, ox.NamedNode(predicate), None)
        return found[0].object if found else None

    def subjects(self, predicate: str, node: Term) -> list[Term]:
        """The resources that have `node` as their `predicate` (each once)."""
        return list(dict.fromkeys(t.subject for t in self.triples(None, ox.NamedNode(predicate), node)))

    def label(self, node: Term | None) -> str:
        """The node's label (rdfs:label, skos:prefLabel, ng:title, schema:name), English or
        untagged first, or "" when it has none."""
        if not isinstance(node, ox.NamedNode):
            return ""
        for predicate in LABELS:
            labels = [t.object for t in self.triples(node, ox.NamedNode(predicate), None)]
            if labels:
                return min(labels, key=lambda l: (getattr(l, "language", None) not in (None, "en"), l.value)).value
        return ""

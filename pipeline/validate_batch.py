"""The gate over many article graphs at once: the per-article results, at a fraction of the cost.

Validating each article's graph in its own pyshacl run costs about a second per article:
pyshacl loads the shapes again, runs every SPARQL-based constraint once per focus node
(re-checking the same query text each time), and the per-article graphs repeat the
resolved nodes they share. Here a batch of articles is validated in one run over the
union of their validation graphs:

- each core constraint by one Oxigraph query over the union, with pyshacl's results
  (pipeline/validate_core.py);
- each SPARQL-based constraint by ONE Oxigraph query with $this free and the shape's
  target pattern put into every group of the query, which is what pre-binding $this to
  each focus node means (SHACL 1.0, 5.3.1), so also for groups such as a UNION branch or
  a FILTER NOT EXISTS that would otherwise see $this unbound.

The union goes into Oxigraph as N-Triples lines (a resolved node's written once per corpus, in
`Prepared`), and the checks below work on those lines: no rdflib graph of the union is made.

A result is the article's when its focus node is typed in the article's validation graph
(the article plus the resolved triples it reaches). That gives the same results as
validating the article alone as long as what the shapes read around a focus node is the
same in the union as in the article's graph: its values of the predicates the shapes of
its classes read, the types of the values of class-checked properties, and the triples
pointing at it along inverse paths (`ReadAround`, derived from the shapes). One kind of
predicate may have more values in the union: one the shapes read only value by value and
by sh:minCount (ng:hasMention: an article's graph lists its own mentions of an event, the
union every batch article's); a result on such a value goes only to the articles holding
it. The batch checks this per article and validates any article for which it does not
hold on its own, with the per-article path.

`validate_articles` is the entry point: batches of BATCH_SIZE articles (memory stays
bounded however large the corpus), and an optional cache of Validations by the digest of
each article's validation graph and of the shapes, so an incremental rebuild validates
only what changed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import hashlib
import json
import re
import shutil
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from itertools import chain, repeat
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph
import pyshacl
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH
from rdflib.plugins.serializers.nt import _quoteLiteral

from pipeline.reason import entailed, mention_links
from pipeline.validate import SHAPES_DIR, Validation, _results, shapes_graph, validate_graph
from pipeline.validate_core import Finding, core_findings, rdflib_term, target_pattern
from pipeline.vocab import Triple

Line = tuple[str, str, str]  # a triple's terms in N-Triples
BATCH_SIZE = 50  # articles per validation run: about 0.2 M triples in Oxigraph at once


@dataclass(frozen=True)
class SparqlConstraint:
    """One sh:sparql constraint of a node shape, and the batch form of its query."""

    node: URIRef  # the constraint (sh:sourceConstraint)
    shape: URIRef  # the node shape holding it (sh:sourceShape)
    severity: URIRef
    messages: tuple[Literal, ...]  # the constraint's, then the shape's (as pyshacl writes them)
    query: str  # prefixes + the select with the target pattern in every group


def _prefixes(shapes: Graph, constraint: URIRef) -> str:
    """The PREFIX lines a constraint's sh:prefixes declare."""
    lines = []
    for ontology in shapes.objects(constraint, SH.prefixes):
        for declaration in shapes.objects(ontology, SH.declare):
            prefix = shapes.value(declaration, SH.prefix)
            namespace = shapes.value(declaration, SH.namespace)
            lines.append(f"PREFIX {prefix}: <{namespace}>")
    return "\n".join(sorted(lines))


_TOKENS = re.compile(r'"""(?:.|\n)*?"""|\'\'\'(?:.|\n)*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|'
                     r'<[^<>"{}|^`\\\s]*>|#[^\n]*|\bVALUES\b|\bSELECT\b|[{}]', re.IGNORECASE)


def batch_query(select: str, target: str) -> str:
    """`select` with `target` added at the start of each of its WHERE clause's groups.

    Every group then binds $this itself, so evaluating the query once with $this free
    gives, for each focus node, what evaluating it with $this pre-bound gives. Strings,
    IRIs and comments are skipped; VALUES blocks and subqueries are refused rather than
    guessed at.
    """
    parts, last, seen_select = [], 0, False
    for match in _TOKENS.finditer(select):
        token = match.group(0).upper()
        if token in ("VALUES",) or (token == "SELECT" and seen_select):
            raise ValueError(f"batch SPARQL does not support {token} in a constraint: {select}")
        seen_select |= token == "SELECT"
        if token == "{":
            parts += [select[last:match.end()], f" {target} "]
            last = match.end()
    return "".join(parts) + select[last:]


def _messages(shapes: Graph, node: URIRef) -> tuple[Literal, ...]:
    return tuple(m for m in shapes.objects(node, SH.message) if isinstance(m, Literal))


@functools.cache
def sparql_constraints() -> tuple[SparqlConstraint, ...]:
    """The SPARQL-based constraints of the shapes, each with its batch query (once per process)."""
    shapes = shapes_graph()
    constraints = []
    for shape, constraint in sorted(shapes.subject_objects(SH.sparql)):
        if (shape, SH.path, None) in shapes:
            raise ValueError(f"{shape}: batch SPARQL supports sh:sparql on node shapes only")
        if shapes.value(constraint, SH.deactivated) == Literal(True):
            continue
        select = str(shapes.value(constraint, SH.select))
        query = _prefixes(shapes, constraint) + "\n" + batch_query(select, target_pattern(shapes, shape))
        constraints.append(SparqlConstraint(
            node=constraint, shape=shape, severity=shapes.value(shape, SH.severity) or SH.Violation,
            messages=_messages(shapes, constraint) + _messages(shapes, shape), query=query))
    return tuple(constraints)


def _path_predicates(shapes: Graph, path) -> Iterator[tuple[URIRef, bool]]:
    """The predicates a property path reads, each with whether it is read backwards."""
    if isinstance(path, URIRef):
        yield path, False
    elif (inverse := shapes.value(path, SH.inversePath)) is not None:
        yield from ((p, not back) for p, back in _path_predicates(shapes, inverse))
    elif (alternatives := shapes.value(path, SH.alternativePath)) is not None:
        for member in Collection(shapes, alternatives):
            yield from _path_predicates(shapes, member)
    else:
        raise ValueError(f"batch validation does not support the path {path!r}")


_PREDICATE = r"((?:[A-Za-z][\w-]*)?:[\w-]+|<[^>\s]+>|\ba\b)"


@dataclass(frozen=True)
class ReadAround:
    """What the shapes read around a focus node.

    `read[C]`: the predicates the shapes targeting class C read from its instances (their
    paths, and every predicate a SPARQL constraint of theirs names, since ours restrict
    any variable predicate to named ones); `typed`: predicates whose values' rdf:type is
    checked (sh:class, or a SPARQL `?value a ...`); `inverse`: predicates read towards
    the focus node (sh:inversePath, or `... pred $this` in a SPARQL constraint);
    `growable`: predicates the shapes read only value by value and by sh:minCount (their
    largest), so that values the union adds change no verdict on the article's own values
    once the article has that many (see `batch_is_exact`). All in N-Triples, as the
    batch's lines name them.
    """

    read: dict[str, frozenset[str]]
    typed: frozenset[str]
    inverse: frozenset[str]
    growable: dict[str, int]


def _namespaces(shapes: Graph) -> dict[str, str]:
    namespaces = {p: str(n) for p, n in shapes.namespaces()}
    namespaces.update({str(shapes.value(d, SH.prefix)): str(shapes.value(d, SH.namespace))
                       for d in shapes.objects(None, SH.declare)})
    return namespaces


def _expand(namespaces: Mapping[str, str], name: str) -> URIRef:
    if name == "a":
        return RDF.type
    if name.startswith("<"):
        return URIRef(name[1:-1])
    prefix, local = name.split(":", 1)
    return URIRef(namespaces[prefix] + local)


def _names(namespaces: Mapping[str, str], select: str) -> set[URIRef]:
    """Every IRI a query names (outside strings), as predicates it may read."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', select)
    return {_expand(namespaces, n) for n in re.findall(r"(?<![\w?$])([A-Za-z][\w-]*:[\w-]+|<[^>\s]+>)", text)}


@functools.cache
def read_around() -> ReadAround:
    """Derive from the shapes which neighbouring triples their constraints depend on."""
    shapes = shapes_graph()
    namespaces = _namespaces(shapes)
    by_shape: dict[URIRef, set[URIRef]] = defaultdict(lambda: {RDF.type})
    typed, inverse = set(), set()
    for shape, path in shapes.subject_objects(SH.path):
        for predicate, backwards in _path_predicates(shapes, path):
            (inverse if backwards else by_shape[shape]).add(predicate)
            if not backwards and (shape, SH["class"], None) in shapes:
                typed.add(predicate)
    for shape, constraint in shapes.subject_objects(SH.sparql):
        select = str(shapes.value(constraint, SH.select))
        if re.search(r"\?\w+\s+\$this\b", select):
            raise ValueError(f"{constraint} reads $this through a variable predicate: cannot batch it")
        by_shape[shape].update(_names(namespaces, select))
        inverse.update(_expand(namespaces, p) for p in re.findall(_PREDICATE + r"\s+\$this\b", select))
        for variable in re.findall(r"\?(\w+)\s+(?:a|rdf:type)\s", select):
            pattern = r"\$this\s+" + _PREDICATE + r"\s+\?" + variable + r"\b"
            typed.update(_expand(namespaces, p) for p in re.findall(pattern, select))
    read: dict[URIRef, set[URIRef]] = defaultdict(set)
    for shape, predicates in by_shape.items():
        for target in shapes.objects(shape, SH.targetClass):
            read[target] |= predicates
    growable = _growable(shapes, typed | inverse | set().union(
        *(_names(namespaces, str(shapes.value(c, SH.select))) for c in shapes.objects(None, SH.sparql))))
    return ReadAround({c.n3(): frozenset(p.n3() for p in ps) for c, ps in read.items()},
                      frozenset(p.n3() for p in typed), frozenset(p.n3() for p in inverse),
                      {p.n3(): n for p, n in growable.items()})


# What a property shape may say of a predicate that stays `growable`: its values one by one, a minimum count.
_VALUE_WISE = {RDF.type, SH.path, SH.targetClass, SH.message, SH.severity, SH.minCount, SH.nodeKind, SH.datatype,
               SH["in"], SH.pattern, SH.minLength, SH.maxLength, SH.minInclusive, SH.maxInclusive,
               SH.minExclusive, SH.maxExclusive}


def _growable(shapes: Graph, excluded: set) -> dict[URIRef, int]:
    """The predicates read only as simple paths of shapes saying nothing but `_VALUE_WISE`, with
    their largest sh:minCount; none that is `excluded` (named by a SPARQL constraint, class-checked
    or read backwards) or read by any other path."""
    counts: dict[URIRef, int] = {}
    refused = set(excluded) | {RDF.type}
    for shape, path in shapes.subject_objects(SH.path):
        if not isinstance(path, URIRef):
            refused.update(p for p, _ in _path_predicates(shapes, path))
        elif set(shapes.predicates(shape)) - _VALUE_WISE:
            refused.add(path)
        else:
            counts[path] = max(counts.get(path, 0), max((int(n) for n in shapes.objects(shape, SH.minCount)), default=0))
    return {p: n for p, n in counts.items() if p not in refused}


class _UnionIndex:
    """The lines of a batch's union by (subject, predicate), and by (predicate, object) for the
    inverse predicates: what `batch_is_exact` looks up around a focus node."""

    def __init__(self, lines: Iterable[Line], around: ReadAround):
        self.around = around
        self._read: dict[frozenset[str], frozenset[str]] = {}
        self.out: dict[tuple[str, str], list[Line]] = defaultdict(list)
        self.into: dict[tuple[str, str], list[Line]] = defaultdict(list)
        for line in lines:
            self.out[(line[0], line[1])].append(line)
            if line[1] in around.inverse:
                self.into[(line[1], line[2])].append(line)

    def read_of(self, classes: frozenset[str]) -> frozenset[str]:
        """The predicates the shapes read from a node of these classes (a node's classes recur)."""
        if (read := self._read.get(classes)) is None:
            read = self._read[classes] = frozenset().union(*(self.around.read.get(c, ()) for c in classes))
        return read


@dataclass(frozen=True)
class Walk:
    """The nodes an article's validation graph is gathered from: the resolved subjects it
    reaches, and every node the walk visited (those that are no resolved subject too, since
    one becoming a subject would change the walk)."""

    reached: list
    visited: set


def walk(article: Iterable[Triple], prepared: Prepared) -> Walk:
    """The subjects of the resolved graph the article reaches (through objects, transitively),
    never through a link to another article's mention (see `reason.mention_links`)."""
    own = {s for s, _, _ in article}
    reached: list = []
    seen: set = set()
    pending = [o for _, _, o in article if isinstance(o, URIRef)]
    while pending:
        node = pending.pop()
        if node in seen:
            continue
        seen.add(node)
        if (split := prepared.split(node)) is not None:
            reached.append(node)
            pending += split.onward
            pending += split.to_own(own)
    return Walk(reached, seen)


def validation_triples(article: Iterable[Triple], resolved: Mapping | Prepared, reached: list | None = None
                       ) -> frozenset:
    """The triples of the article's validation graph (see validate.article_validation_graph).

    `resolved` maps each subject of the resolved graph to its triples (or is their
    `prepare`d index); `reached` is the article's `walk(...).reached`, when already known.
    """
    article = list(article)
    prepared = resolved if isinstance(resolved, Prepared) else Prepared(resolved, read_around())
    reached = walk(article, prepared).reached if reached is None else reached
    own = {s for s, _, _ in article}
    resolved_triples = chain.from_iterable(prepared.split(node).triples for node in reached)
    links = (triple for triple, _ in _own_links(reached, own, prepared))
    return frozenset(chain(article, resolved_triples, links))


def _by_subject(graph: Iterable[Triple]) -> dict:
    subjects: dict = defaultdict(list)
    for triple in graph:
        subjects[triple[0]].append(triple)
    return subjects


_TYPE = RDF.type.n3()


def batch_is_exact(mine: frozenset[Line], union: _UnionIndex) -> dict[str, set[str]] | None:
    """The classes of each focus node of an article whose lines are `mine`, if the union shows
    every one of them as the article does (see the module doc), else None.

    The article's lines are part of the union's, so the union shows a node as the article
    does exactly when each union line the shapes read around it is one of the article's;
    for a `growable` predicate it is enough that the article has its sh:minCount of values,
    since the union's other values only add results of their own, which `_validate_union`
    leaves to the articles that have them.
    Lines are compared before the store canonicalises their literals: equal lines are
    equal in the store too. The keys are gathered first and looked up in one pass: a call
    per key made most of the cost.
    """
    classes: dict[str, set[str]] = defaultdict(set)
    for subject, _, kind in [line for line in mine if line[1] == _TYPE]:
        classes[subject].add(kind)
    around, out = union.around, union.out
    keys, into_keys = [], []
    for focus, kinds in classes.items():
        read = union.read_of(frozenset(kinds))
        keys.append((focus, _TYPE))
        for predicate in read:
            if (least := around.growable.get(predicate)) is None:
                keys.append((focus, predicate))
                continue
            values = out.get((focus, predicate), ())
            if least > (own := sum(line in mine for line in values)) and own < len(values):
                return None  # the union supplies values the article lacks for its minimum: validate it alone
        for predicate in read & around.typed:
            keys += ((value, _TYPE) for _, _, value in out.get((focus, predicate), ()))
        into_keys += zip(around.inverse, repeat(focus))
    needed = chain(chain.from_iterable(map(out.get, keys, repeat(()))),
                   chain.from_iterable(map(union.into.get, into_keys, repeat(()))))
    return classes if mine.issuperset(needed) else None


def _format(message: str, bindings: Mapping[str, object]) -> str:
    """A message with {?var} / {$var} replaced, as pyshacl does it (re.sub, in binding order)."""
    for name, value in bindings.items():
        message = re.sub("{{[?$]{}}}".format(name), str(value), message)
    return message


def _sparql_findings(store: pyoxigraph.Store) -> list[Finding]:
    """Run each SPARQL-based constraint once over the store: its results, as pyshacl writes them.

    Per focus node and constraint, rows are deduplicated on their bindings as pyshacl
    does; sh:value is ?value, else the focus node.
    """
    findings = []
    for constraint in sparql_constraints():
        solutions = store.query(constraint.query)
        names = [v.value for v in solutions.variables]
        seen = set()
        for solution in solutions:
            key = tuple(solution[n] for n in names)
            if key in seen:
                continue
            seen.add(key)
            bound = {n: rdflib_term(t) for n, t in zip(names, key) if t is not None}
            focus = bound.pop("this")
            path, value = bound.pop("path", None), bound.pop("value", None)
            value = focus if value is None else value
            bindings = {**bound, "this": focus, **({"path": path} if path is not None else {}), "value": value}
            node = BNode()
            triples = [(node, RDF.type, SH.ValidationResult),
                       (node, SH.sourceConstraintComponent, SH.SPARQLConstraintComponent),
                       (node, SH.sourceShape, constraint.shape), (node, SH.resultSeverity, constraint.severity),
                       (node, SH.focusNode, focus), (node, SH.value, value)]
            if path is not None:
                triples.append((node, SH.resultPath, path))
            triples.append((node, SH.sourceConstraint, constraint.node))
            triples += [(node, SH.resultMessage, Literal(_format(str(m), bindings))) for m in constraint.messages]
            findings.append(Finding(focus, tuple(triples)))
    return findings


def _article_validation(findings: list[Finding]) -> Validation:
    """One article's Validation from its findings in the batch."""
    graph = Graph()
    top = BNode()
    graph.add((top, RDF.type, SH.ValidationReport))
    for finding in findings:
        graph.add((top, SH.result, finding.triples[0][0]))
        for triple in finding.triples:
            graph.add(triple)
    found = _results(graph)
    graph.add((top, SH.conforms, Literal(not any(r.severity == "Violation" for r in found))))
    return Validation.of_report(graph, found)


def _term_line(term) -> str:
    """A term as N-Triples writes it: rdflib's writer for literals (as NamedGraph.ntriples),
    IRIs unchecked since the store's parser checks them."""
    kind = type(term)
    if kind is URIRef:
        return f"<{term}>"
    if kind is BNode:
        return f"_:{term}"
    return _quoteLiteral(term) if isinstance(term, Literal) else term.n3()


def _line(triple: Triple) -> Line:
    return _term_line(triple[0]), _term_line(triple[1]), _term_line(triple[2])


def _store(lines: Iterable[Line]) -> pyoxigraph.Store:
    """The lines in an Oxigraph store, blank nodes keeping their labels (results name them)."""
    document = "".join(f"{s} {p} {o} .\n" for s, p, o in lines).encode("utf-8")
    store = pyoxigraph.Store()
    store.extend(pyoxigraph.parse(document, pyoxigraph.RdfFormat.N_TRIPLES, rename_blank_nodes=False))
    return store


def _validate_union(focus_nodes: Mapping[str, Iterable[str]], lines: Mapping[str, frozenset[Line]],
                    store: pyoxigraph.Store, around: ReadAround) -> dict[str, Validation]:
    """Validate the union once and give each article the results on its focus nodes (a result
    on a value of a `growable` predicate only to the articles whose lines hold that value)."""
    by_focus = defaultdict(list)
    for finding in core_findings(store) + _sparql_findings(store):
        by_focus[_term_line(finding.focus)].append((finding, _grown_value(finding, around)))
    return {article_id: _article_validation([f for focus in nodes for f, value in by_focus.get(focus, ())
                                             if value is None or value in lines[article_id]])
            for article_id, nodes in focus_nodes.items()}


def _grown_value(finding: Finding, around: ReadAround) -> Line | None:
    """The line (focus, predicate, value) a result is about, when its path is a `growable` predicate."""
    node = finding.triples[0][0]
    path = next((o for s, p, o in finding.triples if s == node and p == SH.resultPath), None)
    value = next((o for s, p, o in finding.triples if s == node and p == SH.value), None)
    if isinstance(path, URIRef) and value is not None and path.n3() in around.growable:
        return _term_line(finding.focus), path.n3(), _term_line(value)
    return None


def _materialised(triples: Iterable[Triple]) -> set:
    """The triples and those they entail, as a set: copying into a Graph costs more."""
    triples = set(triples)
    return triples | entailed(triples)


@contextlib.contextmanager
def _without_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: a batch makes millions of long-lived rdflib objects,
    and collecting them over and over doubled the batch's time. Nothing here makes cycles
    that must be freed before the batch ends."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True)
class Split:
    """A resolved subject's triples as an article's walk and validation graph take them.

    Its links to mentions (`reason.mention_links`) are kept apart, by the mention each
    points at: an article follows and keeps only those to its own mentions, and the
    busiest actors and places have one for every mention in the corpus, so going through
    them all for each article that reaches them would make a build quadratic.
    """

    onward: list  # the IRI objects of its other triples: where a walk goes on from it
    triples: list  # its other triples
    lines: list[Line]  # and their lines
    links: dict  # mention IRI -> [(link triple, its line)]

    def to_own(self, own: set) -> list:
        """The mentions among `own` (an article's subjects) this subject links to."""
        if len(own) < len(self.links):
            return [node for node in own if node in self.links]
        return [node for node in self.links if node in own]


@dataclass(frozen=True)
class Prepared:
    """Resolved triples by subject, and what is needed of the shapes, shared by all batches.

    Made once per corpus (`prepare`) and reused by every call that validates some of its
    articles, so that a build validating a chunk at a time does not index the resolved
    graph again for each chunk, nor write a resolved node's lines again for each batch
    that reaches it.
    """

    resolved: Mapping
    around: ReadAround
    written: dict = dataclasses.field(default_factory=dict)  # a subject's lines, once it was reached
    splits: dict = dataclasses.field(default_factory=dict)  # a subject's Split, once it was reached
    iris: dict = dataclasses.field(default_factory=dict)  # an IRI's N-Triples, shared by the lines that have it

    def lines_of(self, subject) -> list[Line]:
        """The N-Triples lines of a resolved subject's triples.

        Each IRI is written once and its text shared by every line that has it: a build makes
        the lines of every subject when it writes the resolved graph, and millions of lines with
        a string of their own for each term were part of the 2.3 GB that step took at 10,000
        articles (with a copy of each line as bytes, see build._resolved_lines)."""
        if (lines := self.written.get(subject)) is None:
            text = self._text
            lines = self.written[subject] = [(text(s), text(p), text(o)) for s, p, o in self.resolved[subject]]
        return lines

    def _text(self, term) -> str:
        """`_term_line(term)`, an IRI's made once."""
        if type(term) is not URIRef:
            return _term_line(term)
        if (text := self.iris.get(term)) is None:
            text = self.iris[term] = _term_line(term)
        return text

    def split(self, subject) -> Split | None:
        """The subject's triples split as a walk reads them; None for a node that is no resolved subject."""
        if (split := self.splits.get(subject)) is None:
            if subject not in self.resolved:
                return None
            split = self.splits[subject] = _split(self.resolved[subject], self.lines_of(subject))
        return split


def _split(triples: list, lines: list[Line]) -> Split:
    links_to, onward, kept, kept_lines = mention_links(), [], [], []
    links: dict = defaultdict(list)
    for triple, line in zip(triples, lines):
        if isinstance(triple[2], URIRef):
            if triple[1] in links_to:
                links[triple[2]].append((triple, line))
                continue
            onward.append(triple[2])
        kept.append(triple)
        kept_lines.append(line)
    return Split(onward, kept, kept_lines, dict(links))


def _own_links(reached: list, own: set, prepared: Prepared) -> Iterator[tuple[Triple, Line]]:
    """The links from the reached subjects to the article's own mentions, with their lines."""
    for node in reached:
        split = prepared.split(node)
        for mention in split.to_own(own):
            yield from split.links[mention]


def _lines(article: Iterable[Triple], reached: list, prepared: Prepared) -> frozenset[Line]:
    """`validation_triples` as N-Triples lines: the article's, and the resolved ones written once."""
    article = list(article)
    own = {s for s, _, _ in article}
    resolved = chain.from_iterable(prepared.split(node).lines for node in reached)
    links = (line for _, line in _own_links(reached, own, prepared))
    return frozenset(chain((_line(t) for t in article), resolved, links))


def validation_lines(article: Iterable[Triple], prepared: Prepared) -> frozenset[Line]:
    """An article's validation graph as N-Triples lines (what `content_digest` identifies)."""
    article = set(article)
    return _lines(article, walk(article, prepared).reached, prepared)


def prepare(resolved: Iterable[Triple], *, materialised: bool = False) -> Prepared:
    """Index the resolved graph's triples (materialised first unless they already are)."""
    return Prepared(_by_subject(resolved if materialised else _materialised(resolved)), read_around())


@dataclass(frozen=True)
class ValidationGraph:
    """An article's validation graph as N-Triples lines, with what makes its triples: the
    batch reads the lines only, the triples are made for an article validated alone."""

    article: Iterable[Triple]  # the article's triples, with their inferences
    reached: list  # the resolved subjects it reaches (`walk`)
    lines: frozenset[Line]

    def triples(self, prepared: Prepared) -> frozenset:
        return validation_triples(self.article, prepared, self.reached)


def _validate_one_batch(own: Mapping[str, ValidationGraph], prepared: Prepared) -> dict[str, Validation]:
    """Validate the articles whose validation graphs are `own`, in one run over their union."""
    union = set().union(*(graph.lines for graph in own.values()))
    union_index = _UnionIndex(union, prepared.around)
    exact = {}  # the focus nodes of each article the batch gives exactly
    for article_id, graph in own.items():
        if (classes := batch_is_exact(graph.lines, union_index)) is not None:
            exact[article_id] = classes.keys()
    validations = _validate_union(exact, {a: g.lines for a, g in own.items()}, _store(union),
                                  prepared.around) if exact else {}
    for article_id in own.keys() - exact.keys():
        validations[article_id] = validate_graph(_graph(own[article_id].triples(prepared)), materialised=True)
    return validations


def validate_articles(articles: Mapping[str, Iterable[Triple]], resolved: Iterable[Triple] | Prepared, *,
                      materialised: bool = False, cache_dir: Path | None = None,
                      batch_size: int = BATCH_SIZE, walks: Mapping[str, Walk] | None = None
                      ) -> dict[str, Validation]:
    """Validate every article's validation graph as validate_graph would, `batch_size` at a time.

    `articles` are article graphs (rdflib Graphs or sets of triples) by id, `resolved` the
    resolved graph or its `prepare`d index; pass `materialised=True` when both already hold
    their inferred triples (as the published graphs do), so they are not materialised
    again. With `cache_dir`, an article whose validation graph and shapes are unchanged
    since a run with the same folder gets its Validation from there instead of being
    validated again. `walks` are the articles' `walk`s, when the caller made them already.
    """
    cache = ValidationCache(cache_dir) if cache_dir is not None else None
    validations: dict[str, Validation] = {}
    with _without_gc():
        prepared = resolved if isinstance(resolved, Prepared) else prepare(resolved, materialised=materialised)
        for ids in batches(articles, batch_size):
            own = {}
            for article_id in ids:
                graph = articles[article_id] if materialised else _materialised(articles[article_id])
                reached = (walks[article_id] if walks else walk(graph, prepared)).reached
                # the article's own triples are written here, the resolved ones once per corpus
                own[article_id] = ValidationGraph(graph, reached, _lines(graph, reached, prepared))
            digests = {a: content_digest(g.lines) for a, g in own.items()} if cache else {}
            if cache:
                for article_id, digest in digests.items():
                    if (hit := cache.get(digest)) is not None:
                        validations[article_id] = hit
                        del own[article_id]
            fresh = _validate_one_batch(own, prepared) if own else {}
            validations.update(fresh)
            if cache:
                for article_id, validation in fresh.items():
                    cache.put(digests[article_id], validation)
    return validations


def content_digest(lines: Iterable[Line]) -> str:
    """SHA-256 of a validation graph's sorted N-Triples lines: the identity of the content validated.

    It is made of the lines the batch validates (`_lines`, the resolved ones written once per
    corpus), so it costs no writing of terms of its own; a line is all a triple is.
    """
    return hashlib.sha256("".join(sorted(f"{s} {p} {o} .\n" for s, p, o in lines)).encode("utf-8")).hexdigest()


@functools.cache
def shapes_digest() -> str:
    """What a cached Validation also depends on: the shapes, pyshacl's version, the gate's code."""
    digest = hashlib.sha256(pyshacl.__version__.encode())
    code = [Path(__file__), Path(core_findings.__code__.co_filename), Path(validate_graph.__code__.co_filename)]
    for path in sorted(SHAPES_DIR.glob("*.ttl")) + code:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class ValidationCache:
    """Validations by content digest, one JSON file each under a folder of the shapes' digest.

    JSON (the results and the report as N-Triples), never pickle: the cache folder is
    data a build reads back. A change of the shapes starts a new folder and removes the
    old ones.
    """

    def __init__(self, folder: Path):
        self.folder = folder / shapes_digest()[:16]
        self.folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.iterdir():
            if stale.is_dir() and stale != self.folder:
                shutil.rmtree(stale, ignore_errors=True)

    def _path(self, digest: str) -> Path:
        return self.folder / f"{digest}.json"

    def get(self, digest: str) -> Validation | None:
        try:
            data = json.loads(self._path(digest).read_text(encoding="utf-8"))
            return Validation.from_json(data)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, digest: str, validation: Validation) -> None:
        data = validation.to_json()
        temporary = self._path(digest).with_suffix(".tmp")
        temporary.write_text(json.dumps(data), encoding="utf-8")
        temporary.replace(self._path(digest))


def _graph(triples: Iterable[Triple]) -> Graph:
    graph = Graph()
    for triple in triples:
        graph.add(triple)
    return graph


def batches(article_ids: Iterable[str], size: int) -> Iterator[list[str]]:
    """The ids in order, `size` at a time: each batch is one validation run."""
    ids = sorted(article_ids)
    for start in range(0, len(ids), size):
        yield ids[start:start + size]

"""The shapes' core constraints as SPARQL queries over an Oxigraph store, with pyshacl's results.

pyshacl checks every value node of every shape in Python over rdflib terms, which made
the batch gate's cost. Here each constraint of a shape is one query over the batch's
store that returns the (focus node, value) pairs that may violate it; where pyshacl's
verdict on a value rests on Python semantics that SPARQL does not share (rdflib's
parsing of typed literals for sh:datatype, Python's `re` for sh:pattern, pyshacl's
literal comparison for the range and property-pair constraints), the query only leaves
out rows SPARQL decides exactly the same way, and the rest are judged as pyshacl judges
them, once per distinct value. Each violation becomes the result pyshacl writes: focus
node, path, value (absent for the count constraints), shape, component, severity and
the shape's messages.

Only the forms our shapes use are compiled (see `_COMPONENTS`); any other form raises
ValueError, so that a new kind of constraint cannot be silently skipped.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

import pyoxigraph
from pyshacl.rdfutil import compare_literal
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, XSD

from pipeline.validate import shapes_graph

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_NUMBERS = f"(<{XSD.integer}>, <{XSD.decimal}>)"  # datatypes whose SPARQL order is Python's on their values
_STRINGS = f"(<{XSD.string}>, <{RDF.langString}>)"

# Python types pyshacl requires of a well-typed literal's value, by sh:datatype.
_VALUE_TYPES = {XSD.integer: int, XSD.float: float, XSD.decimal: Decimal,
                XSD.boolean: bool, XSD.date: date, XSD.time: time, XSD.dateTime: datetime}

# What a shape may say besides its constraints.
_DESCRIPTIVE = {RDF.type, SH.targetClass, SH.path, SH.message, SH.severity, SH.name, SH.description,
                SH.deactivated, SH.sparql}


@dataclass(frozen=True)
class Finding:
    """One validation result: its focus node and its triples in the report."""

    focus: object  # rdflib term
    triples: tuple[tuple, ...]  # the result node's triples, then those of its path's blank nodes


@dataclass(frozen=True)
class CoreCheck:
    """One core constraint of one shape, as a query and, where needed, pyshacl's verdict on a row."""

    shape: URIRef
    component: URIRef
    path: object | None  # the shape's sh:path (None for a node shape)
    severity: URIRef
    messages: tuple[Literal, ...]
    query: str  # SELECT ?this [?value [?other]]: the rows that may be violations
    violates: Callable | None  # (value, other) -> bool, on rdflib terms; None: every row is a violation
    with_value: bool  # whether the result names its value node (not for the count constraints)
    compares: bool  # whether rows have ?other, the value it is compared with (sh:lessThan...)


def rdflib_term(term):
    if isinstance(term, pyoxigraph.NamedNode):
        return URIRef(term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value == XSD_STRING:
        return Literal(term.value)  # as rdflib reads a simple literal
    return Literal(term.value, datatype=URIRef(term.datatype.value))


def _sparql_path(shapes: Graph, path) -> str:
    if isinstance(path, URIRef):
        return f"<{path}>"
    if (inverse := shapes.value(path, SH.inversePath)) is not None:
        return f"^({_sparql_path(shapes, inverse)})"
    if (alternatives := shapes.value(path, SH.alternativePath)) is not None:
        return "(" + "|".join(_sparql_path(shapes, m) for m in Collection(shapes, alternatives)) + ")"
    raise ValueError(f"core constraints as SPARQL do not support the path {path!r}")


def target_pattern(shapes: Graph, shape: URIRef) -> str:
    """The group pattern binding ?this to the SHACL instances of the shape's target classes."""
    if any((shape, p, None) in shapes for p in (SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)):
        raise ValueError(f"{shape}: only sh:targetClass targets are supported")
    classes = sorted(shapes.objects(shape, SH.targetClass))
    if not classes:
        raise ValueError(f"{shape}: a shape needs a sh:targetClass to be validated in a batch")
    branches = [f"{{ ?this <{RDF.type}>/<{RDFS.subClassOf}>* <{c}> }}" for c in classes]
    return "{ " + " UNION ".join(branches) + " }"


_NODE_KINDS = {SH.IRI: "isIRI(?value)", SH.BlankNode: "isBlank(?value)", SH.Literal: "isLiteral(?value)",
               SH.BlankNodeOrIRI: "(isBlank(?value) || isIRI(?value))",
               SH.BlankNodeOrLiteral: "(isBlank(?value) || isLiteral(?value))",
               SH.IRIOrLiteral: "(isIRI(?value) || isLiteral(?value))"}


def _datatype_violates(datatype: URIRef) -> Callable:
    def violates(value, _other) -> bool:
        # pyshacl's DatatypeConstraintComponent: the datatype, a lexical form rdflib can read,
        # and a value of the Python type it expects (other datatypes are taken as read).
        if not isinstance(value, Literal) or value.datatype != datatype or getattr(value, "ill_typed", None) is True:
            return True
        expected = _VALUE_TYPES.get(datatype)
        return expected is not None and not isinstance(value.value, expected)
    return violates


def _string(value) -> str:
    """pyshacl's value_node_to_string."""
    if isinstance(value, Literal) and value.value is not None and value.datatype in (None, RDF.langString,
                                                                                       XSD.string):
        return str(value.value)
    return str(value)


def _pattern_violates(pattern: str) -> Callable:
    matcher = re.compile(pattern)
    return lambda value, _other: isinstance(value, BNode) or not matcher.search(_string(value))


def _min_length_violates(length: int) -> Callable:
    return lambda value, _other: isinstance(value, BNode) or len(_string(value)) < length


def _range_violates(bound: Literal, passes: Callable[[int], bool]) -> Callable:
    bound_is_string = isinstance(bound.value, str)

    def violates(value, _other) -> bool:
        # pyshacl's value range components: strings and non-strings never compare, nor do IRIs
        if not isinstance(value, Literal) or isinstance(value.value, str) != bound_is_string:
            return True
        try:
            return not passes(compare_literal(value, bound))
        except (TypeError, NotImplementedError):
            return True
    return violates


def _pair_violates(less: Callable) -> Callable:
    def comparable(term):
        if isinstance(term, BNode):
            raise ValueError("a property pair constraint cannot compare a blank node")  # nor can pyshacl
        if isinstance(term, URIRef):
            return str(term), True
        if isinstance(term, Literal) and isinstance(term.value, str):
            return term.value, True
        return term, False

    def violates(value, other) -> bool:
        # pyshacl's property pair components: strings only with strings, then Python's order
        (left, left_is_string), (right, right_is_string) = comparable(value), comparable(other)
        return left_is_string != right_is_string or not less(left, right)
    return violates


def _numeric(variable: str) -> str:
    """A valid xsd:integer or xsd:decimal: rdflib reads it as int or Decimal, which order as SPARQL does."""
    return f"isNumeric({variable}) && DATATYPE({variable}) IN {_NUMBERS}"


def _checks_of(shapes: Graph, shape: URIRef) -> Iterator[CoreCheck]:
    unknown = {p for p in shapes.predicates(shape, None)
               if str(p).startswith(str(SH)) and p not in _DESCRIPTIVE and p not in _COMPONENTS}
    if unknown:
        raise ValueError(f"{shape}: core constraints as SPARQL do not support {sorted(map(str, unknown))}")
    if not any((shape, p, None) in shapes for p in _COMPONENTS):
        return  # e.g. a node shape of SPARQL-based constraints only
    path = shapes.value(shape, SH.path)
    target = target_pattern(shapes, shape)
    values = f"?this {_sparql_path(shapes, path)} ?value" if path is not None else None
    messages = tuple(m for m in shapes.objects(shape, SH.message) if isinstance(m, Literal))
    if not messages:
        raise ValueError(f"{shape}: every shape needs a sh:message (pyshacl's generic ones are not reproduced)")
    severity = shapes.value(shape, SH.severity) or SH.Violation
    for parameter, (component, compile_query) in _COMPONENTS.items():
        for argument in sorted(shapes.objects(shape, parameter)):
            if parameter == SH["in"]:
                argument = tuple(Collection(shapes, argument))
            query, violates, with_value = compile_query(argument, target, values, path)
            yield CoreCheck(shape, component, path, severity, messages, query, violates, with_value,
                            compares=parameter in (SH.lessThan, SH.lessThanOrEquals))


def _rows(target: str, values: str | None, condition: str | None = None, also: str = "",
          variables: str = "?this ?value") -> str:
    """The query of the rows where `values` (None: the focus node itself) meet `condition`.

    The rows are found first and joined with the target after, in a subquery: Oxigraph
    would otherwise look up the values of every focus node, ten times slower.
    """
    where = f"FILTER ({condition})" if condition else ""
    if values is None:
        return f"SELECT DISTINCT {variables} WHERE {{ {target} BIND (?this AS ?value) {where} }}"
    return f"SELECT DISTINCT {variables} WHERE {{ {{ SELECT {variables} WHERE {{ {values} {also} {where} }} }} {target} }}"


def _property_only(path, name: str) -> None:
    if path is None:
        raise ValueError(f"{name} on a node shape is not supported")


def _counted(values: str, condition: str) -> str:
    return f"{{ SELECT ?this WHERE {{ {values} }} GROUP BY ?this HAVING (COUNT(DISTINCT ?value) {condition}) }}"


def _min_count(count: Literal, target: str, values: str, path):
    _property_only(path, "sh:minCount")
    # the focus nodes minus those with enough values (?this is bound on both sides: NOT EXISTS)
    return f"SELECT DISTINCT ?this WHERE {{ {target} MINUS {_counted(values, f'>= {int(count)}')} }}", None, False


def _max_count(count: Literal, target: str, values: str, path):
    _property_only(path, "sh:maxCount")
    return f"SELECT DISTINCT ?this WHERE {{ {_counted(values, f'> {int(count)}')} {target} }}", None, False


def _node_kind(kind: URIRef, target: str, values: str, path):
    return _rows(target, values, f"!{_NODE_KINDS[kind]}"), None, True


def _class(klass: URIRef, target: str, values: str, path):
    # a literal has no rdf:type, so it fails here as in pyshacl
    instances = f"SELECT ?value WHERE {{ ?value <{RDF.type}>/<{RDFS.subClassOf}>* <{klass}> }}"
    if values is None:
        return _rows(target, values, f"NOT EXISTS {{ {instances} }}"), None, True
    # MINUS of all instances at once (?value is bound on both sides: NOT EXISTS), far cheaper per value
    return _rows(target, values, also=f"MINUS {{ {instances} }}"), None, True


def _in(terms: tuple, target: str, values: str, path):
    if not all(isinstance(t, URIRef) for t in terms):
        raise ValueError("sh:in with literal or blank members is not supported (rdflib's equality is not sameTerm)")
    return _rows(target, values, "!(" + " || ".join(f"sameTerm(?value, <{t}>)" for t in terms) + ")"), None, True


def _datatype(datatype: URIRef, target: str, values: str, path):
    if datatype in (RDFS.Literal, RDFS.Datatype):
        raise ValueError(f"sh:datatype {datatype} is not supported")
    matches = f"isLiteral(?value) && DATATYPE(?value) = <{datatype}>"
    if datatype in (XSD.string, RDF.langString):  # rdflib reads every string: the datatype decides
        return _rows(target, values, f"!({matches})"), None, True
    if datatype in (XSD.integer, XSD.decimal):  # a valid one is read as int or Decimal
        return _rows(target, values, f"!({_numeric('?value')} && {matches})"), _datatype_violates(datatype), True
    if datatype == XSD.boolean:  # the store holds a valid one as "true" or "false", read as bool
        valid = "(sameTerm(?value, true) || sameTerm(?value, false))"
        return _rows(target, values, f"!{valid}"), _datatype_violates(datatype), True
    return _rows(target, values), _datatype_violates(datatype), True


def _pattern(pattern: Literal, target: str, values: str, path):
    return _rows(target, values), _pattern_violates(str(pattern)), True


def _min_length(length: Literal, target: str, values: str, path):
    if int(length) == 0:
        raise ValueError("sh:minLength 0 is not supported")
    long_enough = f"isLiteral(?value) && DATATYPE(?value) IN {_STRINGS} && STRLEN(?value) >= {int(length)}"
    return _rows(target, values, f"!({long_enough})"), _min_length_violates(int(length)), True


def _range(bound: Literal, target: str, values: str, operator: str, passes: Callable[[int], bool]):
    condition = None
    if bound.datatype in (XSD.integer, XSD.decimal):
        condition = f"!({_numeric('?value')} && ?value {operator} {bound.n3()})"
    return _rows(target, values, condition), _range_violates(bound, passes), True


def _min_inclusive(bound: Literal, target: str, values: str, path):
    return _range(bound, target, values, ">=", lambda order: order >= 0)


def _max_inclusive(bound: Literal, target: str, values: str, path):
    return _range(bound, target, values, "<=", lambda order: order <= 0)


def _pair(other: URIRef, target: str, values: str, path, operator: str, less: Callable):
    _property_only(path, f"a property pair constraint ({operator})")
    ordered = f"{_numeric('?value')} && {_numeric('?other')} && ?value {operator} ?other"
    # both sides in subqueries, so that they are joined on a hash rather than by a lookup per value
    pairs = f"{{ SELECT ?this ?value WHERE {{ {values} }} }} {{ SELECT ?this ?other WHERE {{ ?this <{other}> ?other }} }}"
    query = _rows(target, pairs, f"!({ordered})", variables="?this ?value ?other")
    return query, _pair_violates(less), True


def _less_than(other: URIRef, target: str, values: str, path):
    return _pair(other, target, values, path, "<", lambda a, b: a < b)


def _less_than_or_equals(other: URIRef, target: str, values: str, path):
    return _pair(other, target, values, path, "<=", lambda a, b: a <= b)


# Each supported parameter: its constraint component and the compiler of its query.
_COMPONENTS = {
    SH.minCount: (SH.MinCountConstraintComponent, _min_count),
    SH.maxCount: (SH.MaxCountConstraintComponent, _max_count),
    SH.nodeKind: (SH.NodeKindConstraintComponent, _node_kind),
    SH["class"]: (SH.ClassConstraintComponent, _class),
    SH["in"]: (SH.InConstraintComponent, _in),
    SH.datatype: (SH.DatatypeConstraintComponent, _datatype),
    SH.pattern: (SH.PatternConstraintComponent, _pattern),
    SH.minLength: (SH.MinLengthConstraintComponent, _min_length),
    SH.minInclusive: (SH.MinInclusiveConstraintComponent, _min_inclusive),
    SH.maxInclusive: (SH.MaxInclusiveConstraintComponent, _max_inclusive),
    SH.lessThan: (SH.LessThanConstraintComponent, _less_than),
    SH.lessThanOrEquals: (SH.LessThanOrEqualsConstraintComponent, _less_than_or_equals),
}


def _shapes(shapes: Graph) -> list[URIRef]:
    """The shapes, without deactivated ones."""
    found = set(shapes.subjects(RDF.type, SH.NodeShape)) | set(shapes.subjects(RDF.type, SH.PropertyShape)) \
        | set(shapes.subjects(SH.targetClass, None))
    return sorted(s for s in found if shapes.value(s, SH.deactivated) != Literal(True))


@functools.cache
def core_checks() -> tuple[CoreCheck, ...]:
    """Every core constraint of the shapes as a check (compiled once per process)."""
    shapes = shapes_graph()
    return tuple(check for shape in _shapes(shapes) for check in _checks_of(shapes, shape))


def _path_triples(shapes: Graph, path) -> list:
    """The triples describing a blank-node path, as pyshacl copies them into the report."""
    triples, pending = [], [path]
    while pending:
        node = pending.pop()
        for triple in shapes.triples((node, None, None)):
            triples.append(triple)
            if isinstance(triple[2], BNode):
                pending.append(triple[2])
    return triples


def _finding(check: CoreCheck, focus, value, path_triples: list) -> Finding:
    node = BNode()
    triples = [(node, RDF.type, SH.ValidationResult), (node, SH.sourceConstraintComponent, check.component),
               (node, SH.sourceShape, check.shape), (node, SH.resultSeverity, check.severity),
               (node, SH.focusNode, focus)]
    if check.with_value:
        triples.append((node, SH.value, value))
    if check.path is not None:
        triples.append((node, SH.resultPath, check.path))
    triples += [(node, SH.resultMessage, m) for m in check.messages]
    return Finding(focus, tuple(triples + path_triples))


class _Terms(dict):
    """rdflib terms by Oxigraph term, each converted once."""

    def __missing__(self, term):
        self[term] = converted = rdflib_term(term)
        return converted


def core_findings(store: pyoxigraph.Store, checks: Iterable[CoreCheck] | None = None) -> list[Finding]:
    """Run every core check over the store: pyshacl's results for the core constraints."""
    shapes = shapes_graph()
    terms = _Terms()
    findings = []
    for check in core_checks() if checks is None else checks:
        path_triples = _path_triples(shapes, check.path) if isinstance(check.path, BNode) else []
        verdicts: dict = {}
        for row in store.query(check.query):
            focus = terms[row["this"]]
            if not check.with_value:
                findings.append(_finding(check, focus, None, path_triples))
                continue
            value = terms[row["value"]]
            if check.violates is not None:
                other = terms[row["other"]] if check.compares else None
                key = (value, other)
                if key not in verdicts:
                    verdicts[key] = check.violates(value, other)
                if not verdicts[key]:
                    continue
            findings.append(_finding(check, focus, value, path_triples))
    return findings

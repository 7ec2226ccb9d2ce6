"""The resolved graph's lines reach the store writer in sorted order, sorted as validation's
tuples of terms rather than as the lines themselves (no copy of millions of lines)."""

from __future__ import annotations

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD

from pipeline.build import _resolved_lines
from pipeline.validate_batch import prepare

EX = "http://example.org/"


def test_lines_come_sorted_as_bytes_where_terms_are_prefixes_of_others():
    """A term that begins another (blank node b1 and b10, IRI /a and /a/b, a literal and the same
    text with a language or a datatype) sorts first both as a term and in its line."""
    subjects = [URIRef(EX + "a"), URIRef(EX + "a/b"), URIRef(EX + "a-"), BNode("b1"), BNode("b10"), BNode("b1x")]
    predicates = [URIRef(EX + "p"), URIRef(EX + "p2"), URIRef(EX + "p/q")]
    objects = [Literal("abc"), Literal("abc", lang="en"), Literal("abc", datatype=XSD.token), Literal("ab"),
               Literal("abc d"), Literal("é"), Literal("e\u00a0"), Literal("tab\there"), Literal("line\nbreak"),
               URIRef(EX + "o"), URIRef(EX + "o/p"), BNode("b1"), BNode("b10")]
    triples = {(s, p, o) for s in subjects for p in predicates for o in objects}
    prepared = prepare(triples, materialised=True)
    lines = _resolved_lines(prepared, frozenset())
    made = list(lines())
    assert len(made) == len(triples)
    assert made == sorted(made)


def test_unpublished_triples_are_left_out():
    kept, left = (URIRef(EX + "a"), URIRef(EX + "p"), Literal("x")), (URIRef(EX + "a"), URIRef(EX + "p"), Literal("y"))
    prepared = prepare({kept, left}, materialised=True)
    assert list(_resolved_lines(prepared, frozenset({left}))()) == [f'<{EX}a> <{EX}p> "x" .\n'.encode()]

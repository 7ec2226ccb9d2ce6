"""The build's own N-Triples writer and the slim Validation it sends back from a mapping process
change nothing of what is published: the lines are rdflib's, the report is the same graph."""

from __future__ import annotations

import pickle

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, RDFS, SH, XSD
from rdflib.plugins.serializers.nt import _nt_row

from pipeline import validate_batch
from pipeline.map import NamedGraph, ntriples
from pipeline.validate import canonical_report, validate_graph
from pipeline.validate_core import Finding
from pipeline.vocab import NG

NODE = URIRef("http://127.0.0.1:5000/id/article/a")
TRICKY = [
    Literal('say "no"'), Literal("back\\slash"), Literal("two\nlines\r\nand\ttab"), Literal(""),
    Literal("Ḥimṣ حمص 🇸🇾"), Literal("Homs", lang="en"), Literal("Hims", lang="ar-Latn"),
    Literal("2024-12-06", datatype=XSD.date), Literal(7, datatype=XSD.nonNegativeInteger),
    Literal("0.50", datatype=XSD.decimal), Literal(True),
    Literal("POINT(36.7 34.7)", datatype=URIRef("http://www.opengis.net/ont/geosparql#wktLiteral")),
    Literal('"""quoted"""\n', lang="en"), URIRef("http://example.org/ünïcode#x"), BNode("b1"),
]


def _triples() -> frozenset:
    other = BNode("b2")
    triples = {(NODE, NG.text, value) for value in TRICKY}
    triples |= {(NODE, RDF.type, NG.Article), (other, RDFS.label, Literal("a blank subject")),
                (NODE, NG.refersTo, other)}
    return frozenset(triples)


def test_ntriples_are_rdflibs_lines():
    triples = _triples()
    assert ntriples(triples) == "".join(map(_nt_row, triples)).encode("utf-8")
    graph = Graph()
    for triple in triples:
        graph.add(triple)
    ours = NamedGraph(NODE, triples).ntriples().decode("utf-8").splitlines()
    assert sorted(ours) == sorted(line for line in graph.serialize(format="nt").splitlines() if line)
    assert isomorphic(Graph().parse(data=ntriples(triples), format="nt"), graph)


def test_validation_pickles_its_report_as_ntriples():
    data = Graph()
    data.add((NODE, RDF.type, NG.Article))  # an article lacking everything: a report with results
    validation = validate_graph(data)
    assert validation.results and not validation.conforms
    sent = pickle.dumps(validation)
    assert b"rdflib.graph" not in sent
    received = pickle.loads(sent)
    assert received == validation and "report_graph" not in received.__dict__
    assert isomorphic(received.report_graph, validation.report_graph)


def test_digest_follows_the_resolved_triples_reached():
    """The cache key changes with what the article reaches in the resolved graph, not only with the article."""
    event = URIRef("http://127.0.0.1:5000/id/event/e")
    article = {(NODE, NG.refersTo, event)}
    before = validate_batch.prepare({(event, RDFS.label, Literal("TakeControl: Homs"))}, materialised=True)
    after = validate_batch.prepare({(event, RDFS.label, Literal("TakeControl: Hama"))}, materialised=True)
    unreached = validate_batch.prepare({(event, RDFS.label, Literal("TakeControl: Homs")),
                                        (URIRef("http://127.0.0.1:5000/id/event/f"), RDFS.label, Literal("x"))},
                                       materialised=True)
    digest = [validate_batch.content_digest(validate_batch.validation_lines(article, p))
              for p in (before, after, unreached)]
    assert digest[0] != digest[1] and digest[0] == digest[2]


def _shared_finding_validations() -> list:
    """Two articles' Validations from one batch, sharing the result on a resolved actor."""
    actor, node = URIRef("http://127.0.0.1:5000/id/actor/x"), BNode()
    finding = Finding(actor, ((node, RDF.type, SH.ValidationResult), (node, SH.resultSeverity, SH.Info),
                              (node, SH.focusNode, actor), (node, SH.resultMessage, Literal("not on Wikidata"))))
    return [validate_batch._article_validation([finding]) for _ in range(2)]


def test_reports_are_canonical_whatever_labels_validation_gave(tmp_path):
    """A report says the same with other blank node labels (as another run's validation gives
    them): its string is the same, so is the one read back from the cache, and a result two
    articles of a batch share is one node of both reports."""
    made = _shared_finding_validations()
    assert made[0].report == made[1].report
    relabelled = Graph()
    for s, p, o in made[0].report_graph:
        relabelled.add(tuple(BNode(f"other{t}") if isinstance(t, BNode) else t for t in (s, p, o)))
    assert canonical_report(relabelled.serialize(format="nt", encoding="utf-8")) == made[0].report
    assert "_:other" not in made[0].report
    cache = validate_batch.ValidationCache(tmp_path)
    cache.put("d", made[0])
    assert cache.get("d") == made[0]
    merged = made[0].report_graph + made[1].report_graph
    assert isomorphic(merged, made[0].report_graph)


def test_a_damaged_cached_report_is_a_miss(tmp_path):
    """A cache entry whose report is not the one written is validated again, not published unreadable."""
    cache = validate_batch.ValidationCache(tmp_path)
    validation = _shared_finding_validations()[0]
    cache.put("d", validation)
    assert cache.get("d").results == validation.results
    entry = cache.folder / "d.json"
    text = entry.read_text(encoding="utf-8")
    assert " .\\n" in text
    entry.write_text(text.replace(" .\\n", " \\n"), encoding="utf-8")  # the lines without their dots
    assert cache.get("d") is None

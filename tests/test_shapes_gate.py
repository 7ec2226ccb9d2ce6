"""The gate's interface: validation values, readable reports, the HTML page, the command.

The command is run against a real on-disk Oxigraph store laid out as a build writes it
(one named graph per article, one resolved graph).
"""

from __future__ import annotations

import json
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pyoxigraph
import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SH

from pipeline import publication
from pipeline.store import write_store
from pipeline.validate import (
    SEVERITIES,
    PackedValidation,
    Validation,
    _results,
    article_validation_graph,
    read_publication,
    validate_command,
    validate_graph,
)
from pipeline.validation_report import (
    format_report,
    render_validation_html,
    result_groups,
    write_merged_report,
    write_reports,
)
from pipeline.vocab import NG, Minter

VALID = Path(__file__).parent / "broken_graphs" / "valid.ttl"
BASE = "http://127.0.0.1:5000/"
ARTICLE = URIRef(BASE + "id/article/000-test")
MENTION = URIRef(BASE + "id/mention/000-test/118-122")


def _split(graph: Graph) -> tuple[Graph, Graph]:
    """The sample as the build publishes it: the article's graph and the resolved graph."""
    article, resolved = Graph(), Graph()
    for triple in graph:
        subject = str(triple[0])
        in_article = subject.startswith(BASE + "id/article/") or subject.startswith(BASE + "id/mention/")
        (article if in_article else resolved).add(triple)
    return article, resolved


@pytest.fixture(scope="module")
def sample() -> Graph:
    return Graph().parse(VALID, format="turtle")


@pytest.fixture(scope="module")
def broken(sample) -> Graph:
    """The anchor quotes the wrong text and the title is tagged: two violations, one focus node each."""
    graph = Graph()
    graph += sample
    graph.set((MENTION, NG.anchorOf, Literal("Hama")))
    graph.set((ARTICLE, NG.title, Literal("<script>alert(1)</script>", lang="en")))
    return graph


@pytest.fixture(scope="module")
def validations(sample, broken) -> dict[str, Validation]:
    return {"000-test": validate_graph(sample), "001-broken": validate_graph(broken)}


def test_validation_value(validations):
    broken = validations["001-broken"]
    assert not broken.conforms
    assert broken.count("Violation") == 2
    assert {r.focus_node for r in broken.results if r.severity == "Violation"} == {str(MENTION), str(ARTICLE)}
    anchor = next(r for r in broken.results if r.shape == "ngsh:Mention-anchorMatchesText")
    assert anchor.value == "'Hama'"
    assert anchor.message.startswith('The mention\'s ng:anchorOf "Hama" is not the article\'s text')
    # The standard SHACL report is there too, with the same results.
    report = broken.report_graph
    assert (None, SH.conforms, Literal(False)) in report
    assert len(set(report.subjects(SH.resultSeverity, None))) == len(broken.results)


def test_a_packed_validation_unpacks_to_the_same_and_a_damaged_one_says_so(validations):
    for validation in validations.values():
        packed = PackedValidation.of(validation)
        assert packed.conforms == validation.conforms
        assert len(packed.packed) < len(validation.report)
        assert packed.unpacked() == validation
    data = json.loads(zlib.decompress(PackedValidation.of(validations["001-broken"]).packed))
    data["report"] = data["report"].replace("Hama", "Homs")
    with pytest.raises(ValueError, match="does not match its digest"):
        PackedValidation(False, zlib.compress(json.dumps(data).encode())).unpacked()


def test_format_report_by_article_and_focus_node(validations):
    text = format_report(validations)
    lines = text.splitlines()
    assert lines[0] == ("2 article graphs validated: 1 conform, 1 quarantined; "
                        "2 violations, 0 warnings, 2 infos")
    assert "== 001-broken (QUARANTINED)" in lines
    assert "== 000-test (conforms)" in lines
    mention_line = lines.index(str(MENTION))
    assert lines[mention_line + 1].startswith("  [Violation] ngsh:Mention-anchorMatchesText")


def test_validation_html_escapes_and_lists_quarantined_results_and_groups_the_rest(validations):
    page = render_validation_html(validations)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page

    class Rows(HTMLParser):
        def __init__(self):
            super().__init__()
            self.rows: list[list[str]] = []

        def handle_starttag(self, tag, attrs):
            if tag == "tr":
                self.rows.append([])

        def handle_data(self, data):
            if self.rows and data.strip():
                self.rows[-1].append(data.strip())

    parser = Rows()
    parser.feed(page)
    broken = validations["001-broken"]
    groups = result_groups(validations)
    # a header and a row per result of the quarantined article, a header and a row per group
    assert len(parser.rows) == 1 + len(broken.results) + 1 + len(groups)
    assert sum(g.results for g in groups) == sum(len(v.results) for v in validations.values())
    assert "1 quarantined" in page and 'id="article-001-broken"' in page and 'id="article-000-test"' not in page
    assert 'href="report.txt"' in page and 'href="report.ttl"' in page


def test_result_groups_count_results_articles_and_focus_nodes(validations):
    twins = {"a": validations["001-broken"], "b": validations["001-broken"], "c": validations["000-test"]}
    groups = result_groups(twins)
    assert [g.severity for g in groups] == sorted((g.severity for g in groups), key=SEVERITIES.index)
    for group in groups:
        mine = {a: [r for r in v.results if (r.severity, r.shape, r.path, r.message) ==
                    (group.severity, group.shape, group.path, group.message)] for a, v in twins.items()}
        assert group.results == sum(len(found) for found in mine.values())
        assert group.articles == sum(1 for found in mine.values() if found)
        assert dict(group.focus_nodes) == {node: sum(1 for found in mine.values()
                                                     if any(r.focus_node == node for r in found))
                                           for node in {r.focus_node for found in mine.values() for r in found}}
        assert [n for _, n in group.focus_nodes] == sorted((n for _, n in group.focus_nodes), reverse=True)


def test_the_written_report_holds_each_article_report_about_its_graph(validations, tmp_path):
    """Each article's sh:ValidationReport names its graph, and what it reaches reads back as its results."""
    graphs = {article_id: BASE + "graph/article/" + article_id for article_id in validations}
    write_merged_report(validations, graphs, tmp_path / "report.ttl")
    written = Graph().parse(tmp_path / "report.ttl", format="turtle")
    assert "sh:ValidationReport" in (tmp_path / "report.ttl").read_text()  # with our prefixes
    for article_id, validation in validations.items():
        (report,) = written.subjects(DCTERMS.subject, URIRef(graphs[article_id]))
        assert (report, RDF.type, SH.ValidationReport) in written
        assert (report, SH.conforms, Literal(validation.conforms)) in written
        assert set(_results(written.cbd(report))) == set(validation.results)


def test_the_written_report_is_the_same_whatever_the_order_and_holds_shared_results_once(validations, tmp_path):
    """The same reports in another order give the same bytes; two articles whose reports say the
    same have a report each, sharing its result nodes."""
    graphs = {article_id: BASE + "graph/article/" + article_id for article_id in validations}
    write_merged_report(validations, graphs, tmp_path / "one.ttl")
    write_merged_report(dict(reversed(validations.items())), graphs, tmp_path / "other.ttl")
    assert (tmp_path / "one.ttl").read_bytes() == (tmp_path / "other.ttl").read_bytes()
    twins = {"a": validations["001-broken"], "b": validations["001-broken"]}
    write_merged_report(twins, {a: BASE + "graph/article/" + a for a in twins}, tmp_path / "twins.ttl")
    written = Graph().parse(tmp_path / "twins.ttl", format="turtle")
    reports = set(written.subjects(RDF.type, SH.ValidationReport))
    assert len(reports) == 2
    assert len(set(written.subjects(SH.resultSeverity, None))) == len(validations["001-broken"].results)
    assert all(set(written.objects(r, SH.result)) == set(written.subjects(SH.resultSeverity, None)) for r in reports)


def test_result_groups_name_the_most_reported_focus_nodes_and_count_them_all(validations):
    twins = {"a": validations["001-broken"], "b": validations["001-broken"], "c": validations["000-test"]}
    for whole, top in zip(result_groups(twins), result_groups(twins, shown=1), strict=True):
        assert top.focus_node_count == whole.focus_node_count == len(whole.focus_nodes)
        assert top.focus_nodes == whole.focus_nodes[:1]


def test_the_reports_written_in_one_pass_are_those_of_the_validations_held_in_memory(validations, tmp_path,
                                                                                    monkeypatch):
    """The build's writer gives the same text, Turtle and page as the functions over a mapping, with
    the merged report's lines sorted in runs of a few lines; it unpacks each validation once (a
    quarantined one twice: the page lists its results) and leaves no scratch file."""
    twins = {**validations, "002-twin": validations["001-broken"]}  # results shared by two articles
    graphs = {article_id: BASE + "graph/article/" + article_id for article_id in twins}
    write_merged_report(twins, graphs, tmp_path / "expected.ttl")
    expected = (tmp_path / "expected.ttl").read_bytes()
    unpacked = []

    class Counted(PackedValidation):
        def unpacked(self):
            unpacked.append(self)
            return super().unpacked()

    packed = {article_id: Counted(v.conforms, PackedValidation.of(v).packed) for article_id, v in twins.items()}
    monkeypatch.setattr("pipeline.validation_report.RUN_LINES", 5)
    out = tmp_path / "out"
    out.mkdir()
    write_reports(packed, graphs, out / "validation.txt", out / "validation.ttl", out / "report.html")
    assert (out / "validation.txt").read_text(encoding="utf-8") == format_report(twins)
    assert (out / "validation.ttl").read_bytes() == expected
    triples = list(pyoxigraph.parse(path=out / "validation.ttl", format=pyoxigraph.RdfFormat.TURTLE))
    assert len(triples) == len(set(triples))  # the twins' shared results written once
    assert (out / "report.html").read_text(encoding="utf-8") == render_validation_html(twins)
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "validation.ttl", "validation.txt"]
    assert sorted(map(id, unpacked)) == sorted(id(packed[a]) for a in twins for _ in range(1 + (not twins[a].conforms)))


def test_article_validation_graph_follows_references(sample):
    article, resolved = _split(sample)
    noise = URIRef(BASE + "id/actor/unrelated")
    resolved.add((noise, NG.sector, Literal("Other")))
    merged = article_validation_graph(article, resolved)
    assert (noise, None, None) not in merged
    # The event, its participation, its actor, the actor's country and its geometry.
    for key in ["event/2024-12-06-withdraw-homs/role/agent/government-forces", "actor/government-forces",
                "place/syria", "place/syria/geometry"]:
        assert (URIRef(BASE + "id/" + key), None, None) in merged, key
    assert validate_graph(merged).conforms


def _publish(out_dir: Path, graphs: dict[URIRef, Graph]) -> None:
    """Publish `graphs` into OUT the way a build does: a release with its store, made current."""
    release = publication.stage(out_dir)
    store = write_store(release.store, graphs.items())
    del store  # closed before it is read
    publication.promote(out_dir, release)


@pytest.fixture(scope="module")
def built(tmp_path_factory, sample, broken) -> Path:
    """A publication with one good and one broken article graph, as written to an on-disk store."""
    out_dir = tmp_path_factory.mktemp("build")
    minter = Minter(BASE)
    good_article, resolved = _split(sample)
    broken_article, _ = _split(broken)
    broken_article = Graph().parse(
        data=broken_article.serialize(format="nt").replace("000-test", "001-broken"), format="nt")
    _publish(out_dir, {minter.article_graph("000-test"): good_article,
                       minter.article_graph("001-broken"): broken_article,
                       minter.resolved_graph(): resolved})
    return out_dir


def test_read_publication(built):
    publication = read_publication(built)
    assert sorted(publication.articles) == ["000-test", "001-broken"]
    assert (URIRef(BASE + "id/place/homs"), None, None) in publication.resolved
    assert len(read_publication(built, limit=1).articles) == 1


def test_validate_command_reports_and_fails_on_violation(built):
    result = CliRunner().invoke(validate_command, ["--out", str(built)])
    assert result.exit_code == 1, result.output
    assert "2 article graphs validated: 1 conform, 1 quarantined" in result.output
    assert "== 001-broken (QUARANTINED)" in result.output
    assert "ngsh:Mention-anchorMatchesText" in result.output


def test_validate_command_passes_a_clean_publication(tmp_path, sample):
    article, resolved = _split(sample)
    minter = Minter(BASE)
    _publish(tmp_path, {minter.article_graph("000-test"): article, minter.resolved_graph(): resolved})
    result = CliRunner().invoke(validate_command, ["--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1 article graphs validated: 1 conform, 0 quarantined")


def test_validate_command_without_a_build(tmp_path):
    result = CliRunner().invoke(validate_command, ["--out", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "no publication in" in result.output


def _graph(triples) -> Graph:
    graph = Graph()
    for triple in triples:
        graph.add(triple)
    return graph

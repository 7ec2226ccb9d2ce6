"""The validation reports of a build: every article's SHACL results as text (validation.txt), as
one SHACL report in Turtle (validation.ttl), and as the site's page (report.html).

A build writes all three in one pass over its articles' packed validations (`write_reports`),
unpacking each once and letting it go before the next: a 10,000-article build's validations
were 680 MiB of JSON unpacked and 555,903 results (a probe), which the reports used to hold all
at once and read three times. What still grows with the corpus is kept on disk while the pass
runs: the text's body, the merged report's lines (sorted in runs, `external_sort`), the focus
nodes of each group of results (SQLite). The functions over a mapping of validations
(`format_report`, `render_validation_html`, `write_merged_report`) are the same writers fed a
few validations held in memory, as the `validate` command and the tests have them.
"""

from __future__ import annotations

import io
import shutil
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import pyoxigraph
from rdflib.namespace import DCTERMS, RDF, SH

from .external_sort import sorted_in_runs
from .validate import SEVERITIES, SEVERITY_ORDER, PackedValidation, Validation, digest_label, report_prefixes, templates

FOCUS_NODES_SHOWN = 100  # focus nodes a group of results names on the report page; report.txt has all
# Distinct lines of the merged report sorted in memory at a time: with it, writing the reports of
# 10,000 articles took 49 MiB above the packed validations (bench/reports_memory.py).
RUN_LINES = 200_000


@dataclass
class Totals:
    """How many article graphs were validated, how many were quarantined, and their results by severity."""

    articles: int = 0
    quarantined: int = 0
    results: Counter[str] = field(default_factory=Counter)

    def add(self, validation: Validation) -> None:
        self.articles += 1
        self.quarantined += not validation.conforms
        self.results.update(r.severity for r in validation.results)

    def summary(self) -> str:
        return (f"{self.articles} article graphs validated: {self.articles - self.quarantined} conform, "
                f"{self.quarantined} quarantined; {self.results['Violation']} violations, "
                f"{self.results['Warning']} warnings, {self.results['Info']} infos")


def _write_article_text(out: TextIO, article_id: str, validation: Validation) -> None:
    """An article's block of the text report (none when it has no results)."""
    if validation.results:
        state = "conforms" if validation.conforms else "QUARANTINED"
        out.write(f"\n\n== {article_id} ({state})\n{validation.text}")


def format_report(validations: Mapping[str, Validation]) -> str:
    """The readable report of a build: a summary, then results by article and focus node."""
    totals, body = Totals(), io.StringIO()
    for article_id in sorted(validations):
        totals.add(validations[article_id])
        _write_article_text(body, article_id, validations[article_id])
    return totals.summary() + body.getvalue()


@dataclass(frozen=True)
class ResultGroup:
    """The results of one constraint with one message across the corpus, for the report page:
    how many, in how many articles, on how many focus nodes, and the most reported of those
    (each with the number of articles it was reported in; ties by name)."""

    severity: str
    shape: str
    path: str
    message: str
    results: int
    articles: int
    focus_node_count: int
    focus_nodes: tuple[tuple[str, int], ...]


class ResultTally:
    """Every article's results counted by group (severity, shape, path, message): results and
    articles in memory (a corpus has a few hundred groups), and the articles of each focus node
    in SQLite (`path`; in memory when None), since those are as many as the corpus's nodes."""

    def __init__(self, path: Path | None = None):
        self._db = sqlite3.connect(":memory:" if path is None else path)
        self._db.execute("CREATE TABLE focus (result_group INTEGER, node TEXT, articles INTEGER NOT NULL,"
                         " PRIMARY KEY (result_group, node)) WITHOUT ROWID")
        self._groups: dict[tuple[str, str, str, str], int] = {}
        self._results: Counter[int] = Counter()
        self._articles: Counter[int] = Counter()

    def add(self, validation: Validation) -> None:
        """Count one article's results (an article is counted once per group and per focus node)."""
        reported = set()
        for r in validation.results:
            group = self._groups.setdefault((r.severity, r.shape, r.path, r.message), len(self._groups))
            self._results[group] += 1
            reported.add((group, r.focus_node))
        self._articles.update({group for group, _ in reported})
        self._db.executemany("INSERT INTO focus VALUES (?, ?, 1)"
                             " ON CONFLICT DO UPDATE SET articles = articles + 1", reported)

    def groups(self, shown: int = FOCUS_NODES_SHOWN) -> list[ResultGroup]:
        """The groups, most severe first, then most results; each with its `shown` most reported focus nodes."""
        ordered = sorted(self._groups.items(),
                         key=lambda item: (SEVERITY_ORDER.get(item[0][0], len(SEVERITIES)), -self._results[item[1]],
                                           item[0]))
        found = []
        for key, group in ordered:
            (count,) = self._db.execute("SELECT COUNT(*) FROM focus WHERE result_group = ?", (group,)).fetchone()
            # SQLite compares TEXT as UTF-8 bytes: code point order, as Python's
            top = self._db.execute("SELECT node, articles FROM focus WHERE result_group = ?"
                                   " ORDER BY articles DESC, node LIMIT ?", (group, shown)).fetchall()
            found.append(ResultGroup(*key, results=self._results[group], articles=self._articles[group],
                                     focus_node_count=count, focus_nodes=tuple(top)))
        return found

    def close(self) -> None:
        self._db.close()


def result_groups(validations: Mapping[str, Validation], shown: int = FOCUS_NODES_SHOWN) -> list[ResultGroup]:
    """Every article's results grouped by severity, shape, path and message, most severe first."""
    tally = ResultTally()
    for validation in validations.values():
        tally.add(validation)
    groups = tally.groups(shown)
    tally.close()
    return groups


def _page(totals: Totals, groups: list[ResultGroup], quarantined: Iterable[tuple[str, Validation]]) -> dict:
    """What the report page (site/templates/validation.html) is drawn from: the quarantined
    articles as (id, validation) pairs by id, read as the page is written."""
    return {"totals": totals, "quarantined": quarantined, "groups": groups, "shown": FOCUS_NODES_SHOWN,
            "severities": SEVERITIES}


def render_validation_html(validations: Mapping[str, Validation]) -> str:
    """The validation report as an HTML page of the site: the totals, every result of the
    quarantined articles, and the results of the rest grouped by constraint and message (a
    corpus's warnings and infos are the same few messages on thousands of nodes; report.txt
    and report.ttl beside the page list them all, by article)."""
    totals = Totals()
    for validation in validations.values():
        totals.add(validation)
    quarantined = [(a, v) for a, v in sorted(validations.items()) if not v.conforms]
    return templates().get_template("validation.html").render(_page(totals, result_groups(validations), quarantined))


_REPORT_TYPE = f" <{RDF.type}> <{SH.ValidationReport}> .\n"


def _report_about(report: str, graph: str) -> list[str]:
    """An article's canonical report as lines of the merged report: its sh:ValidationReport
    relabelled by its graph too (two articles' reports may say the same), naming that graph
    with dcterms:subject. Its result nodes keep their labels, so a result two articles share in
    content is written once, under both."""
    lines = report.splitlines(keepends=True)
    top = next((line.split(" ", 1)[0] for line in lines if line.endswith(_REPORT_TYPE)), None)
    if top is None:
        return lines
    about = f"_:{digest_label(top + graph)}"
    lines = [about + line[len(top):] if line.startswith(top + " ") else line for line in lines]
    return lines + [f"{about} <{DCTERMS.subject}> <{graph}> .\n"]


def _write_merged(lines: Iterable[str], path: Path, scratch: Path) -> None:
    """The lines of every article's report (`_report_about`), in any order and repeated, written
    to `path` as Turtle by Oxigraph: sorted in runs, each line once, through an N-Triples file at
    `scratch`. The same reports give the same bytes, whatever their order: reports are canonical
    (validate.canonical_report), so two builds of the same corpus publish the same file, and a
    release's report can be compared with the last one's line by line."""
    with scratch.open("w", encoding="utf-8", newline="\n") as out:
        out.writelines(sorted_in_runs(lines, scratch, RUN_LINES, str, str, unique=True))
    pyoxigraph.serialize(pyoxigraph.parse(path=scratch, format=pyoxigraph.RdfFormat.N_TRIPLES), str(path),
                         pyoxigraph.RdfFormat.TURTLE, prefixes=report_prefixes())
    scratch.unlink()


def write_merged_report(validations: Mapping[str, Validation], graphs: Mapping[str, str], path: Path) -> None:
    """All articles' reports, written to `path` as Turtle, each article's sh:ValidationReport
    naming the graph it is about (dcterms:subject, from `graphs`: article id -> article graph
    IRI). Put together as text, never parsed one by one: a corpus's reports are millions of
    triples."""
    lines = (line for article_id, validation in validations.items()
             for line in _report_about(validation.report, graphs[article_id]))
    _write_merged(lines, path, path.with_name(path.name + ".nt"))


def write_reports(packed: Mapping[str, PackedValidation], graphs: Mapping[str, str], text: Path, turtle: Path,
                  html: Path) -> None:
    """The three reports of a build's validations (`packed`: article id -> its validation;
    `graphs`: article id -> its graph's IRI), each validation unpacked once, in one pass (the
    quarantined ones a second time, as the page lists their results)."""
    totals = Totals()
    with tempfile.TemporaryDirectory(prefix=".reports-", dir=text.parent) as scratch_dir:
        scratch = Path(scratch_dir)
        tally = ResultTally(scratch / "groups.sqlite")
        with (scratch / "body.txt").open("w", encoding="utf-8") as body:

            def lines() -> Iterator[str]:
                for article_id in sorted(packed):
                    validation = packed[article_id].unpacked()
                    totals.add(validation)
                    tally.add(validation)
                    _write_article_text(body, article_id, validation)
                    yield from _report_about(validation.report, graphs[article_id])

            _write_merged(lines(), turtle, scratch / "merged.nt")
        with text.open("w", encoding="utf-8") as out, (scratch / "body.txt").open(encoding="utf-8") as body:
            out.write(totals.summary())
            shutil.copyfileobj(body, out)
        quarantined = ((a, packed[a].unpacked()) for a in sorted(packed) if not packed[a].conforms)
        page = _page(totals, tally.groups(), quarantined)
        templates().get_template("validation.html").stream(page).dump(str(html), encoding="utf-8")
        tally.close()

"""End to end: the seeds built by the real command, scored through SPARQL against the gold."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_newsgraph

GOLD = Path(__file__).with_name("seeds.gold.json")
BARS = {"f1": 0.80, "argument": 0.80, "coreference": 0.70}


def published_figures(built_seeds) -> dict:
    result = run_newsgraph("evaluate", str(GOLD), "--out", str(built_seeds), "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_command_prints_the_readme_json(built_seeds):
    figures = published_figures(built_seeds)
    assert figures["events"]["gold"] == 113
    assert 0 < figures["events"]["matched"] <= figures["events"]["extracted"]
    table = run_newsgraph("evaluate", str(GOLD), "--out", str(built_seeds))
    assert table.returncode == 0 and "Coreference" in table.stdout


def test_a_missing_publication_is_a_clear_error(tmp_path):
    result = run_newsgraph("evaluate", str(GOLD), "--out", str(tmp_path / "nothing"))
    assert result.returncode != 0 and "nothing" in result.stderr


def test_the_seeds_meet_the_bars(built_seeds):
    figures = published_figures(built_seeds)
    assert figures["events"]["f1"] >= BARS["f1"], figures["events"]
    for name, value in figures["arguments"].items():
        assert value >= BARS["argument"], (name, figures["arguments"])
    assert figures["coreference"]["f1"] >= BARS["coreference"], figures["coreference"]

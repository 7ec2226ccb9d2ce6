"""Sorting in runs on disk: the same order as `sorted`, whatever the run's size, and nothing left behind."""

from __future__ import annotations

import json
import random

import pytest

from pipeline.external_sort import sorted_in_runs

ITEMS = [f"line {n:02d}\n" for n in random.Random(8).choices(range(40), k=200)]


@pytest.mark.parametrize("run_size", [1, 3, 16, 1000])
def test_unique_items_come_sorted_once_whatever_the_runs(tmp_path, run_size):
    scratch = tmp_path / "lines"
    found = list(sorted_in_runs(ITEMS, scratch, run_size, str, str, unique=True))
    assert found == sorted(set(ITEMS))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("run_size", [1, 7, 1000])
def test_items_sorted_by_a_key_keep_their_order_among_equals(tmp_path, run_size):
    rows = [{"key": n % 5, "seen": n} for n in range(60)]
    found = list(sorted_in_runs(rows, tmp_path / "rows", run_size, lambda r: json.dumps(r) + "\n", json.loads,
                                key=lambda r: r["key"]))
    assert found == sorted(rows, key=lambda r: r["key"])
    assert list(tmp_path.iterdir()) == []


def test_runs_are_written_to_disk_when_the_items_do_not_fit_in_one(tmp_path):
    ordered = sorted_in_runs(ITEMS, tmp_path / "lines", 10, str, str, unique=True)
    first = next(ordered)
    assert first == min(ITEMS)
    assert len(list(tmp_path.glob("lines.run*"))) >= 4  # 40 distinct lines, 10 to a run
    assert list(ordered) == sorted(set(ITEMS))[1:]
    assert list(tmp_path.iterdir()) == []

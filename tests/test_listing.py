"""The listing spool's sort: the order of SPARQL's ORDER BY DESC(STR(?field)) ?e, a run at a time."""

from __future__ import annotations

import random

import pyoxigraph as ox
import pytest

from pipeline import listing


def _rows(count: int, seed: int) -> list[dict[str, ox.Literal]]:
    """Rows with repeated, missing, prefix-sharing and non-ASCII values, and repeated IRIs."""
    draw = random.Random(seed)
    values = ["2024-12-05", "2024-12", "2024-12-050", "2024", "2024-11-30", "é", "e", "", "\U0001f600"]
    rows = []
    for n in range(count):
        row = {"e": ox.Literal(f"http://example.org/e/{draw.randrange(count // 2 + 1)}"), "n": ox.Literal(str(n))}
        value = draw.choice(values + [None])
        if value is not None:
            row["date"] = ox.Literal(value)
        rows.append(row)
    return rows


@pytest.mark.parametrize("run_rows,count", [(7, 100), (7, 7), (7, 6), (1, 30), (1000, 300)])
def test_spool_sorts_as_a_stable_sort_would(tmp_path, monkeypatch, run_rows, count):
    monkeypatch.setattr(listing, "RUN_ROWS", run_rows)
    rows = _rows(count, seed=run_rows * 1000 + count)
    spool = listing.Spool(tmp_path / "rows", rows, listing.newest_first("date"))
    plain = [{var: term.value for var, term in row.items()} for row in rows]
    # Two stable sorts: by IRI, then by date newest first (a missing date as "", the last).
    expected = sorted(sorted(plain, key=lambda r: r["e"]), key=lambda r: r.get("date", ""), reverse=True)
    assert list(spool) == expected
    assert list(spool) == expected  # a spool is read as often as needed
    assert spool.count == count
    assert [p.name for p in tmp_path.iterdir()] == ["rows"]


def test_spool_without_an_order_keeps_the_rows_order(tmp_path):
    rows = _rows(50, seed=1)
    spool = listing.Spool(tmp_path / "rows", rows)
    assert [row["n"] for row in spool] == [str(n) for n in range(50)]


def test_runs_are_removed_when_the_rows_fail(tmp_path, monkeypatch):
    """A listing query that fails midway leaves no sorted runs behind."""
    monkeypatch.setattr(listing, "RUN_ROWS", 5)

    def failing():
        yield from _rows(12, seed=2)
        raise OSError("the store went away")

    with pytest.raises(OSError, match="went away"):
        listing.Spool(tmp_path / "rows", failing(), listing.newest_first("date"))
    assert [p.name for p in tmp_path.iterdir()] == ["rows"]

"""Benchmark records, printed and written where the README's Performance section reads them.

Every record is {"name", "value", "unit", "peer", "peer_value", "ratio"}; a run writes
bench/results/<date>.json (records of the same name replaced, the others kept, so benches
run one after another share the day's file) and copies it to bench/results/latest.json,
with the machine it ran on. Smoke runs at small sizes pass another folder (`--results DIR`,
see `results_option`), so that bench/results/ only holds figures of real runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Record:
    name: str
    value: float
    unit: str
    peer: str | None = None
    peer_value: float | None = None

    @property
    def ratio(self) -> float | None:
        """value / peer_value: above 1 means more of the unit than the peer."""
        return round(self.value / self.peer_value, 3) if self.peer_value else None

    def line(self) -> str:
        text = f"{self.name}: {self.value:,.2f} {self.unit}"
        if self.peer:
            text += f"  | {self.peer}: {self.peer_value:,.2f} {self.unit}  | ratio {self.ratio}"
        return text


def machine() -> dict:
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)}


def results_option(parser: argparse.ArgumentParser) -> None:
    """The `--results DIR` option every bench takes."""
    parser.add_argument("--results", type=Path, default=RESULTS, metavar="DIR",
                        help="where to write <date>.json and latest.json (default: bench/results)")


def save(records: list[Record], directory: Path = RESULTS) -> Path:
    """Print the records and merge them into today's results file and latest.json in `directory`."""
    for record in records:
        print(record.line())
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{date.today().isoformat()}.json"
    existing = json.loads(path.read_text())["records"] if path.is_file() else []
    fresh = {r.name for r in records}
    merged = [r for r in existing if r["name"] not in fresh]
    merged += [{**asdict(r), "ratio": r.ratio} for r in records]
    document = {"machine": machine(), "records": merged}
    text = json.dumps(document, indent=1)
    path.write_text(text)
    (directory / "latest.json").write_text(text)
    return path

"""Validate: SHACL, the gate every article graph passes before it is published.

(Thin first version: the ontology issue adds the full shapes and report.)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pyshacl
from rdflib import Graph

SHAPES = Path(__file__).resolve().parent.parent / "shapes"


@dataclass(frozen=True)
class Validation:
    conforms: bool
    report_graph: Graph
    text: str


@lru_cache(maxsize=1)
def shapes_graph() -> Graph:
    graph = Graph()
    for path in sorted(SHAPES.glob("*.ttl")):
        graph.parse(path)
    return graph


def validate_graph(data: Graph) -> Validation:
    conforms, report, text = pyshacl.validate(data, shacl_graph=shapes_graph(), advanced=True)
    return Validation(bool(conforms), report, text)

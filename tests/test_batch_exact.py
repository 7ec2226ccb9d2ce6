"""The batch gate's exactness check: an article is validated in the batch only when the union
shows each of its focus nodes as the article alone does (pipeline/validate_batch.py)."""

from __future__ import annotations

import pytest

from pipeline.validate_batch import _UnionIndex, batch_is_exact, read_around

NG = "https://w3id.org/newsgraph/ns#"
TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
EVENT, PLACE, PARTICIPATION = "<https://example.org/event>", "<https://example.org/place>", "<https://example.org/p1>"
ACTOR = "<https://example.org/actor>"  # untyped in the article: not a focus node, but class-checked (ng:agent)

MINE = frozenset({
    (EVENT, TYPE, f"<{NG}Event>"),
    (EVENT, f"<{NG}place>", PLACE),
    (PLACE, TYPE, f"<{NG}Place>"),
    (PARTICIPATION, TYPE, f"<{NG}Participation>"),
    (EVENT, f"<{NG}hasParticipation>", PARTICIPATION),
    (EVENT, f"<{NG}agent>", ACTOR),
})


def _exact(others: set) -> dict | None:
    return batch_is_exact(MINE, _UnionIndex(MINE | others, read_around()))


def test_alone_every_typed_node_is_a_focus_node():
    assert _exact(set()) == {EVENT: {f"<{NG}Event>"}, PLACE: {f"<{NG}Place>"},
                             PARTICIPATION: {f"<{NG}Participation>"}}


def test_what_the_shapes_do_not_read_leaves_it_exact():
    assert _exact({(EVENT, "<https://example.org/unread>", '"x"')}) is not None


@pytest.mark.parametrize("other", [
    (EVENT, f"<{NG}date>", '"2024"'),  # a value of a predicate the shapes of ng:Event read
    (EVENT, TYPE, f"<{NG}Actor>"),  # another class, whose shapes read other predicates
    (ACTOR, TYPE, f"<{NG}Actor>"),  # a class of a class-checked value
    ("<https://example.org/other-event>", f"<{NG}hasParticipation>", PARTICIPATION),  # along an inverse path
])
def test_what_another_article_adds_around_a_focus_node_makes_it_inexact(other):
    assert _exact({other}) is None

"""The collector pause leaves the garbage collector as it found it; objects kept through a build are
frozen out of its scans and given back at the end."""

from __future__ import annotations

import gc

import pytest

from pipeline.memory import collector_paused, long_lived_objects


def test_the_collector_is_paused_in_the_block_and_left_as_it_was():
    assert gc.isenabled()
    try:
        with collector_paused():
            assert not gc.isenabled()
            raise KeyError("an error in the block")
    except KeyError:
        pass
    assert gc.isenabled()

    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # a caller's own pause is not ended by the block
    finally:
        gc.enable()


class _Cycle:
    def __init__(self):
        self.me = self


def test_kept_objects_are_frozen_until_the_scope_ends_and_collected_after():
    assert gc.get_freeze_count() == 0
    with pytest.raises(KeyError):
        with long_lived_objects() as keep:
            cycle = _Cycle()
            keep()
            assert gc.get_freeze_count() > 0
            del cycle
            assert not any(isinstance(o, _Cycle) for o in gc.get_objects())  # out of the collector's sight
            gc.collect()  # the frozen cycle survives it (found again once unfrozen, below)
            raise KeyError("an error in the scope")
    assert gc.get_freeze_count() == 0
    assert any(isinstance(o, _Cycle) for o in gc.get_objects())
    gc.collect()
    assert not any(isinstance(o, _Cycle) for o in gc.get_objects())  # garbage once the scope ended

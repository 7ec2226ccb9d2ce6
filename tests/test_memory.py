"""The collector pause leaves the garbage collector as it found it."""

from __future__ import annotations

import gc

from pipeline.memory import collector_paused


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

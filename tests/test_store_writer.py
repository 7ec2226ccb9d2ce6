"""The store writer starts from the previous release's store and writes only the graphs that changed."""

from __future__ import annotations

import pyoxigraph as ox

from pipeline.store import StoredGraphs, StoreWriter, graph_digest, kept_file

KEPT, CHANGED, DROPPED, NEW = (f"http://example.org/graph/{name}" for name in ("kept", "changed", "dropped", "new"))


def document(*objects: str) -> bytes:
    return b"".join(f'<http://example.org/s> <http://example.org/p> "{o}" .\n'.encode() for o in objects)


def quads(store: ox.Store) -> set[tuple[str, str]]:
    return {(q.graph_name.value, q.object.value) for q in store.quads_for_pattern(None, None, None)}


def previous_release(folder) -> StoredGraphs:
    writer = StoreWriter(folder)
    for name, objects in ((KEPT, ("a", "b")), (CHANGED, ("c",)), (DROPPED, ("d",))):
        writer.add(name, document(*objects))
    writer.close()
    assert writer.written == 3
    return StoredGraphs(folder, dict(writer.digests))


def test_only_changed_graphs_are_written_and_the_previous_store_is_untouched(tmp_path):
    previous = previous_release(tmp_path / "old")
    before = quads(ox.Store.read_only(str(previous.store)))
    writer = StoreWriter(tmp_path / "new", previous)
    writer.add(KEPT, document("b", "a"))  # the same triples in another order: the same graph
    writer.add(CHANGED, document("c2"))
    writer.add(NEW, document("e"))
    assert quads(writer.close()) == {(KEPT, "a"), (KEPT, "b"), (CHANGED, "c2"), (NEW, "e")}
    assert writer.written == 2
    assert quads(ox.Store.read_only(str(previous.store))) == before
    assert writer.digests == {KEPT: previous.digests[KEPT], CHANGED: graph_digest(document("c2")),
                              NEW: graph_digest(document("e"))}


def test_cleared_after_a_quarantine_every_graph_is_written_again(tmp_path):
    writer = StoreWriter(tmp_path / "new", previous_release(tmp_path / "old"))
    writer.add(KEPT, document("a", "b"))
    writer.clear()
    writer.add(KEPT, document("a", "b"))
    assert quads(writer.close()) == {(KEPT, "a"), (KEPT, "b")} and writer.written == 1


def test_an_unreadable_previous_store_means_writing_every_graph(tmp_path, caplog):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "CURRENT").write_text("not a store")
    writer = StoreWriter(tmp_path / "new", StoredGraphs(broken, {KEPT: graph_digest(document("a"))}))
    writer.add(KEPT, document("a"))
    assert quads(writer.close()) == {(KEPT, "a")} and writer.written == 1
    assert f"cannot start from {broken}" in caplog.text


def test_a_triple_written_otherwise_than_oxigraph_writes_it_is_kept_once(tmp_path):
    """Graphs are compared by line: the same triple in another spelling is removed and added again."""
    first = StoreWriter(tmp_path / "old")
    first.add(KEPT, document("café"))
    first.close()
    previous = StoredGraphs(tmp_path / "old", dict(first.digests))
    del first
    writer = StoreWriter(tmp_path / "new", previous)
    writer.add(KEPT, b'<http://example.org/s> <http://example.org/p> "caf\\u00E9" .\n')  # an escape, not UTF-8
    store = writer.close()
    assert writer.written == 1 and quads(store) == {(KEPT, "café")} and len(store) == 1


def test_the_writer_keeps_the_lines_it_changed_in_changed_new_and_dropped_graphs(tmp_path):
    previous = previous_release(tmp_path / "old")
    writer = StoreWriter(tmp_path / "new", previous)
    writer.add(KEPT, document("b", "a"))
    writer.add(CHANGED, document("c", "c2"))
    writer.add(NEW, document("e"))
    writer.close()
    changes = writer.changes
    assert changes.since == previous.store and changes.lines == 3
    assert sorted(b"".join(changes.added).splitlines(keepends=True)) == [document("c2"), document("e")]
    assert b"".join(changes.removed) == document("d")  # the dropped graph's, read before it is dropped


def test_past_its_limit_after_a_quarantine_or_without_a_previous_store_the_writer_keeps_no_lines(tmp_path):
    over = StoreWriter(tmp_path / "over", previous_release(tmp_path / "old"), limit=1)
    over.add(CHANGED, document("c2"))  # c removed, c2 added: two lines
    assert over.changes is None
    over.close()
    cleared = StoreWriter(tmp_path / "cleared", previous_release(tmp_path / "old2"))
    cleared.add(CHANGED, document("c3"))
    assert cleared.changes.lines == 2
    cleared.clear()
    assert cleared.changes is None
    first = StoreWriter(tmp_path / "first")
    first.add(KEPT, document("a"))
    assert first.changes is None


def test_a_large_graph_is_compared_with_its_kept_file_not_read_back_from_the_store(tmp_path, monkeypatch):
    kept = tmp_path / "kept"
    first = StoreWriter(tmp_path / "old", kept=kept, keep_bytes=1)
    first.add(KEPT, document("a", "b"))
    first.close()
    previous = StoredGraphs(tmp_path / "old", dict(first.digests))
    assert [p.name for p in kept.iterdir()] == [kept_file(kept, previous.digests[KEPT]).name]

    def unread(*_):
        raise AssertionError("the graph was read back from the store")

    monkeypatch.setattr("pipeline.store.graph_lines", unread)
    writer = StoreWriter(tmp_path / "new", previous, kept=kept, keep_bytes=1)
    writer.add(KEPT, document("b", "c"))
    assert quads(writer.close()) == {(KEPT, "b"), (KEPT, "c")}
    assert [b"".join(lines) for lines in (writer.changes.added, writer.changes.removed)] == [document("c"),
                                                                                          document("a")]
    # the previous build's file stays (that build may still be the one served), the one before goes
    assert sorted(p.name for p in kept.iterdir()) == sorted(kept_file(kept, d).name for d in (previous.digests[KEPT],
                                                                                 writer.digests[KEPT]))
    newer = StoreWriter(tmp_path / "newer", StoredGraphs(tmp_path / "new", dict(writer.digests)), kept=kept,
                        keep_bytes=1)
    newer.add(KEPT, document("c"))
    newer.close()
    assert kept_file(kept, previous.digests[KEPT]).name not in {p.name for p in kept.iterdir()}


def test_without_its_kept_file_a_graph_is_compared_with_the_store(tmp_path):
    kept = tmp_path / "kept"
    first = StoreWriter(tmp_path / "old", kept=kept, keep_bytes=1)
    first.add(KEPT, document("a", "b"))
    first.close()
    for path in kept.iterdir():
        path.unlink()
    writer = StoreWriter(tmp_path / "new", StoredGraphs(tmp_path / "old", dict(first.digests)), kept=kept,
                         keep_bytes=1)
    writer.add(KEPT, document("b", "c"))
    assert quads(writer.close()) == {(KEPT, "b"), (KEPT, "c")} and writer.written == 1


def test_the_walk_beside_the_stored_lines_finds_what_sets_would():
    """Both sides sorted, a line repeated on either side counting once, either side running out first."""
    import random

    from pipeline.store import _differences

    rng = random.Random(7)
    for _ in range(200):
        old = sorted(f"{rng.randrange(30):02d}\n".encode() for _ in range(rng.randrange(25)))
        new = sorted(f"{rng.randrange(30):02d}\n".encode() for _ in range(rng.randrange(25)))
        added, removed = _differences(iter(old), new)
        assert added == sorted(set(new) - set(old)) and removed == sorted(set(old) - set(new))


def test_a_kept_file_holds_the_sorted_lines_its_name_is_the_digest_of_and_loads_the_graph(tmp_path):
    import hashlib

    kept = tmp_path / "kept"
    writer = StoreWriter(tmp_path / "store", kept=kept, keep_bytes=1)
    writer.add(NEW, document("z", "b", "m", "b"))
    digest = writer.digests[NEW]
    content = kept_file(kept, digest).read_bytes()
    assert content.splitlines(keepends=True) == sorted(document("z", "b", "m", "b").splitlines(keepends=True))
    assert hashlib.sha256(content).hexdigest() == digest == graph_digest(document("b", "z", "b", "m"))
    assert quads(writer.close()) == {(NEW, "z"), (NEW, "b"), (NEW, "m")} and writer.written == 1


def lines_of(document_: bytes):
    """What `add_sorted` takes: a call that makes the lines anew, counting the calls."""
    calls = []

    def made():
        calls.append(1)
        return iter(document_.splitlines(keepends=True))
    return made, calls


def test_a_graph_given_sorted_is_written_as_add_lines_writes_it_in_one_pass(tmp_path):
    kept = tmp_path / "kept"
    lines, calls = lines_of(document("a", "b", "c"))
    writer = StoreWriter(tmp_path / "store", kept=kept)
    writer.add_sorted(NEW, lines)
    assert len(calls) == 1 and writer.written == 1
    assert writer.digests[NEW] == graph_digest(document("c", "a", "b"))
    assert kept_file(kept, writer.digests[NEW]).read_bytes() == document("a", "b", "c")
    assert [p.name for p in kept.iterdir()] == [kept_file(kept, writer.digests[NEW]).name]  # no partial file left
    assert quads(writer.close()) == {(NEW, "a"), (NEW, "b"), (NEW, "c")}


def test_lines_out_of_order_are_sorted_after_all(tmp_path):
    kept = tmp_path / "kept"
    for unsorted in (document("b", "a"), document(*"abcdefgh") + document("a")):
        lines, calls = lines_of(unsorted)
        writer = StoreWriter(tmp_path / f"store{len(unsorted)}", kept=kept, keep_bytes=1)
        writer.add_sorted(NEW, lines)
        assert len(calls) == 2 and writer.digests[NEW] == graph_digest(unsorted)
        assert kept_file(kept, writer.digests[NEW]).read_bytes() == b"".join(
            sorted(unsorted.splitlines(keepends=True)))
        assert not [p for p in kept.iterdir() if p.name.startswith(".")]
        assert {o for _, o in quads(writer.close())} == {line.split(b'"')[1].decode()
                                                         for line in unsorted.splitlines()}


def test_a_graph_given_sorted_is_compared_with_the_previous_store_and_only_its_changes_written(tmp_path):
    kept = tmp_path / "kept"
    first = StoreWriter(tmp_path / "old", kept=kept)
    first.add_sorted(KEPT, lines_of(document("a", "b"))[0])
    first.close()
    previous = StoredGraphs(tmp_path / "old", dict(first.digests))

    same = StoreWriter(tmp_path / "same", previous, kept=kept)
    same.add_sorted(KEPT, lines_of(document("a", "b"))[0])
    assert same.written == 0 and same.digests == previous.digests
    assert quads(same.close()) == {(KEPT, "a"), (KEPT, "b")}

    writer = StoreWriter(tmp_path / "new", previous, kept=kept)
    writer.add_sorted(KEPT, lines_of(document("b", "c"))[0])
    assert quads(writer.close()) == {(KEPT, "b"), (KEPT, "c")} and writer.written == 1
    assert [b"".join(lines) for lines in (writer.changes.added, writer.changes.removed)] == [document("c"),
                                                                                          document("a")]


def test_without_a_kept_folder_a_graph_given_sorted_is_added_as_lines(tmp_path):
    writer = StoreWriter(tmp_path / "store")
    writer.add_sorted(NEW, lines_of(document("b", "a"))[0])
    assert quads(writer.close()) == {(NEW, "a"), (NEW, "b")} and writer.digests[NEW] == graph_digest(document("a", "b"))

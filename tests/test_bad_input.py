"""Bad input: each bad file gets one clear line; the good articles are still published."""

from __future__ import annotations

from pyoxigraph import Store

from conftest import run_newsgraph
from pipeline.publication import current


def test_bad_files_are_named_and_skipped_and_the_rest_published(tmp_path, copy_of_seeds):
    (copy_of_seeds / "empty.txt").write_bytes(b"")
    (copy_of_seeds / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (copy_of_seeds / "latin1.txt").write_bytes("Rebels entered Hom\xe9s.".encode("latin-1"))
    (copy_of_seeds / "huge.txt").write_text("Rebels advanced. " * 2000, encoding="utf-8")
    out = tmp_path / "out"
    result = run_newsgraph("build", str(copy_of_seeds), "--out", str(out), "--max-bytes", "20000")
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("rejected:")]
    assert len(lines) == 4
    messages = {line.split(": ", 2)[1].rsplit("/", 1)[1]: line.split(": ", 2)[2] for line in lines}
    assert messages["empty.txt"] == "empty file"
    assert messages["image.txt"].startswith("binary file")
    assert messages["latin1.txt"].startswith("not UTF-8: invalid byte 0xe9")
    assert "over the limit of 20,000 bytes" in messages["huge.txt"]
    assert "built 5 articles" in result.stdout and "4 inputs rejected" in result.stdout

    store = Store.read_only(str(current(out).store))
    files = {s["f"].value for s in store.query(
        "PREFIX ng: <https://w3id.org/newsgraph/ns#> SELECT ?f WHERE { GRAPH ?g { ?a ng:sourceFile ?f } }")}
    assert files == {p.name for p in copy_of_seeds.glob("0*.txt")}


def test_a_missing_input_path_is_reported(tmp_path):
    result = run_newsgraph("build", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "nowhere: no such file or folder" in result.stderr


def test_a_file_that_cannot_be_read_is_rejected_and_the_rest_ingested(monkeypatch, copy_of_seeds):
    """An error from the file system (here a permission refused, as running as root cannot
    show with file modes) names the file and the problem instead of ending the build."""
    from pathlib import Path

    from pipeline.ingest import ingest

    locked = copy_of_seeds / "locked.txt"
    locked.write_text("Rebels entered Homs.", encoding="utf-8")
    read_bytes = Path.read_bytes

    def refuse_locked(path):
        if path.name == locked.name:
            raise PermissionError(13, "Permission denied")
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", refuse_locked)
    ingested = ingest([copy_of_seeds])
    assert [(r.path, r.problem) for r in ingested.rejections] == [(str(locked), "cannot be read: Permission denied")]
    assert len(ingested.articles) == 5

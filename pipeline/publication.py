"""Where a publication lives on disk, and how a new one replaces the old at once.

`OUT/releases/<stamp>/` holds one complete publication (store/, site/, report/);
`OUT/current` is a symbolic link to the one being served. A build writes a fresh
release and only then swaps the link (an atomic rename), so a build that dies midway
leaves the previous publication serving, whole.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import count
from pathlib import Path

CURRENT = "current"
RELEASES = "releases"


@dataclass(frozen=True)
class Publication:
    root: Path

    @property
    def store(self) -> Path:
        return self.root / "store"

    @property
    def site(self) -> Path:
        return self.root / "site"

    @property
    def report(self) -> Path:
        return self.root / "report"

    @property
    def event_keys(self) -> Path:
        """The event keys this release gave out (link.EventKeys), which the next build keeps."""
        return self.root / "event-keys.json"

    @property
    def graph_digests(self) -> Path:
        """The digest of each named graph in the store (store.StoredGraphs), which the next build
        compares its graphs with to write only those that changed."""
        return self.root / "graphs.json"

    @property
    def article_records(self) -> Path:
        """What each article's mapping and validation were made from and gave (article_records),
        which the next build reuses for the articles none of whose inputs changed."""
        return self.root / "articles.json.gz"


class NoPublication(FileNotFoundError):
    def __init__(self, out: Path):
        super().__init__(f"no publication in {out}: run `newsgraph build --out {out}` first")


def current(out: Path) -> Publication:
    """The publication being served from `out`."""
    link = out / CURRENT
    if not link.is_dir():
        raise NoPublication(out)
    return Publication(link.resolve())


def stage(out: Path) -> Publication:
    """A fresh, empty release folder for a new build."""
    name = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{os.getpid()}"
    (out / RELEASES).mkdir(parents=True, exist_ok=True)
    for attempt in count():  # a second build by this process within the same second gets "-1"
        root = out / RELEASES / (f"{name}-{attempt}" if attempt else name)
        try:
            root.mkdir()
        except FileExistsError:
            continue
        (root / "site").mkdir()
        (root / "report").mkdir()
        return Publication(root)


def promote(out: Path, publication: Publication) -> None:
    """Make `publication` the current one (atomically).

    The release it replaces is kept (a server that opened it goes on reading it);
    every other release, such as one a killed build left half-written, is removed.
    """
    link = out / CURRENT
    previous = link.resolve() if link.is_dir() else None
    temporary = out / f".{CURRENT}.{os.getpid()}"
    if temporary.is_symlink():
        temporary.unlink()
    temporary.symlink_to(Path(RELEASES) / publication.root.name)  # relative: the folder can move
    os.replace(temporary, link)
    keep = {publication.root.resolve(), previous}
    for release in (out / RELEASES).iterdir():
        if release.resolve() not in keep:
            shutil.rmtree(release, ignore_errors=True)


@contextmanager
def exclusive(out: Path):
    """Hold `out` for one build at a time; a second build fails at once with a clear error."""
    out.mkdir(parents=True, exist_ok=True)
    with open(out / ".lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildInProgress(f"another build is writing into {out}; wait for it to finish") from None
        yield


class BuildInProgress(RuntimeError):
    pass


def discard(publication: Publication) -> None:
    shutil.rmtree(publication.root, ignore_errors=True)

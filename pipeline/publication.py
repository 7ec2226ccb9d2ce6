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
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import count
from pathlib import Path

CURRENT = "current"
RELEASES = "releases"
SWEPT = ".swept"  # releases moved aside, being removed
_STAGED: set[Path] = set()  # the release folders this process has staged (see `stage`)


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
    def clustering(self) -> Path:
        """How this release's build grouped mentions (link.Clustering), which the next goes on from."""
        return self.root / "clustering.json"

    @property
    def graph_digests(self) -> Path:
        """The digest of each named graph in the store (store.StoredGraphs), which the next build
        compares its graphs with to write only those that changed."""
        return self.root / "graphs.json"

    @property
    def article_records(self) -> Path:
        """What each article's mapping and validation were made from and gave (article_records),
        which the next build reuses for the articles none of whose inputs changed."""
        return self.root / "articles.sqlite"


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
    """A fresh, empty release folder for a new build.

    A second build by this process within the same second gets "-1", and so on. A name it
    gave once is never given again, even when that release is gone (swept): this process may
    still hold its store open, and RocksDB will not open a path its process has locked."""
    name = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{os.getpid()}"
    (out / RELEASES).mkdir(parents=True, exist_ok=True)
    for attempt in count():
        root = out / RELEASES / (f"{name}-{attempt}" if attempt else name)
        if root.resolve() in _STAGED:
            continue
        try:
            root.mkdir()
        except FileExistsError:
            continue
        _STAGED.add(root.resolve())
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


@contextmanager
def sweeping(out: Path):
    """Remove every release of `out` but the current one while the block (a build) runs.

    The build keeps the current release as the previous one, for a server that opened it;
    the others are older, or were left half-written by a killed build, and would go when the
    build promotes its own. Removing a release unlinks every file of its site (some 340,000,
    half a minute, at 10,000 articles): so they are moved aside at once and removed by a child
    process while the build works, and the block ends when that is done. What it could not
    remove (or a killed sweep left) is tried again by the next."""
    link = out / CURRENT
    keep = link.resolve() if link.is_dir() else None
    swept = out / SWEPT
    for release in sorted((out / RELEASES).iterdir()) if (out / RELEASES).is_dir() else ():
        if release.resolve() != keep:
            swept.mkdir(exist_ok=True)
            os.replace(release, swept / release.name)
    if not swept.exists():
        yield
        return
    remover = subprocess.Popen([sys.executable, "-c", "import shutil, sys; shutil.rmtree(sys.argv[1], ignore_errors=True)",
                                str(swept)])
    try:
        yield
    finally:
        remover.wait()


class BuildInProgress(RuntimeError):
    pass


def discard(publication: Publication) -> None:
    shutil.rmtree(publication.root, ignore_errors=True)

"""The peak resident memory of the running process, as the benches report it."""

from __future__ import annotations

import resource
from pathlib import Path


def status_mib(field: str, pid: int | str = "self") -> float | None:
    """A figure of a process's /proc status in MiB (VmHWM: its peak RSS so far; VmRSS: its RSS
    now); None without /proc or once the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_mib() -> float:
    """This process's peak RSS. Linux's VmHWM, since ru_maxrss survives exec: a child started
    by a big parent would report the parent's size."""
    peak = status_mib("VmHWM")
    if peak is not None:
        return peak
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on most systems (bytes on macOS)

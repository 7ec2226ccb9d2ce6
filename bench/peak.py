"""The peak resident memory of the running process, as the benches report it."""

from __future__ import annotations

import resource
from pathlib import Path


def peak_mib() -> float:
    """This process's peak RSS. Linux's VmHWM, since ru_maxrss survives exec: a child started
    by a big parent would report the parent's size."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on most systems (bytes on macOS)

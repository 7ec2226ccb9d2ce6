"""CPU seconds per function in py-spy profiles of the same command by two checkouts, side by side.

A profile is py-spy's raw format (`py-spy record --subprocesses --rate R --format raw -o F
-- CMD`): one `frame;frame;... count` line per distinct stack, summed over all processes.
A sample counts for a function when the function is anywhere on its stack (so a caller
includes its callees), once however deep; seconds = samples / R.

    py-spy record --subprocesses --rate 40 --format raw -o this.raw -- newsgraph build ...
    python bench/profile_parts.py this.raw baseline.raw --rate 40 --function publish --function make_pieces
"""

from __future__ import annotations

import argparse
from pathlib import Path

from results import Record, results_option, save


def seconds_in(profile: Path, function: str, rate: float) -> float:
    """CPU seconds of the samples of `profile` with `function` on their stack: a frame's name as
    py-spy writes it (`Class.method (file:line)`), the method's name alone also matching."""
    samples = 0
    for line in profile.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        names = {frame.split(" (", 1)[0].strip() for frame in stack.split(";")}
        if function in names or any(name.endswith("." + function) for name in names):
            samples += int(count)
    return samples / rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("profile", type=Path, help="this code's profile")
    parser.add_argument("baseline", type=Path, help="the baseline's profile of the same command")
    parser.add_argument("--rate", type=float, default=40, help="py-spy's samples per second")
    parser.add_argument("--function", action="append", required=True, help="a function name (repeatable)")
    parser.add_argument("--label", default="", help="what was profiled, for the records' names")
    results_option(parser)
    arguments = parser.parse_args()
    save([Record(f"CPU in {function}{arguments.label}", seconds_in(arguments.profile, function, arguments.rate),
                 "CPU s", f"baseline {arguments.baseline.name}",
                 seconds_in(arguments.baseline, function, arguments.rate))
          for function in arguments.function], arguments.results)


if __name__ == "__main__":
    main()

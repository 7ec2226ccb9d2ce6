"""Calendar words shared by ingest (article dates) and extraction (event dates)."""

from __future__ import annotations

from datetime import date

MONTHS = {name: number for number, names in enumerate(
    [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
     ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
     ("october", "oct"), ("november", "nov"), ("december", "dec")], start=1) for name in names}
MONTH_PATTERN = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"


def nearest(month: int, day: int, anchor: date) -> date | None:
    """The day-month in the year (anchor's, or one either side) nearest to `anchor`.

    None when no such date exists in those years (e.g. 30 February).
    """
    options = []
    for year in (anchor.year - 1, anchor.year, anchor.year + 1):
        try:
            options.append(date(year, month, day))
        except ValueError:
            continue
    return min(options, key=lambda option: abs((option - anchor).days)) if options else None

"""Time expressions: absolute and relative dates resolved against the article's date.

A value is never more precise than its expression: "in 2016" is a year, "in
November" a month, "on Friday" a day. A day and month without a year take the year
that puts them nearest the article date, and are marked not stated (the year was
inferred). Without an article date a relative expression ("on Friday", "a week ago")
cannot be resolved and gives nothing rather than a guess.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from .dates import MONTH_PATTERN, MONTHS, nearest
from .model import Precision, TimeValue

WEEKDAYS = {name: i for i, name in enumerate(
    ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])}
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
            "several": None, "few": None}
_MONTH = MONTH_PATTERN
_DAY_MONTH = re.compile(rf"\b(?:{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?|(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH.replace('month', 'month2')})"
                        r"(?:,?\s+(?P<year>\d{4}))?\b", re.I)
_MONTH_YEAR = re.compile(rf"\b{_MONTH}(?:\s+(?P<year>\d{{4}}))?\b", re.I)
_YEAR = re.compile(r"\b(?P<year>(?:19|20)\d\d)\b")
_WEEKDAY = re.compile(r"\b(?P<weekday>" + "|".join(WEEKDAYS) + r")(?:'s)?\b", re.I)
_AGO = re.compile(r"\b(?P<n>\d+|a|an|one|two|three|four|five|six|seven)\s+(?P<unit>day|week)s?\s+ago\b", re.I)
_TODAY = re.compile(r"\b(?:today|tonight|this morning|this evening|earlier today)\b", re.I)
_YESTERDAY = re.compile(r"\byesterday\b", re.I)


def resolve(expression: str, article_date: date | None, date_is_inferred: bool = False) -> TimeValue | None:
    """The date an expression names, resolved against the article date when relative.

    A weekday is the last such day on or before a known article date; when the article
    date was itself inferred (from the latest date the text mentions), the text may
    speak of a day or two after it, so the weekday is the nearest such day.
    """
    text = expression.strip()
    if match := _DAY_MONTH.search(text):
        month = MONTHS[(match["month"] or match["month2"]).lower()]
        day = int(match["day"] or match["day2"])
        if match["year"]:
            return _day(int(match["year"]), month, day, stated=True)
        if article_date:
            return _day(_nearest_year(month, day, article_date), month, day, stated=False)
        return None
    if match := _AGO.search(text):
        if not article_date:
            return None
        count = int(match["n"]) if match["n"].isdigit() else _NUMBERS[match["n"].lower()]
        days = count * (7 if match["unit"].lower() == "week" else 1)
        return TimeValue((article_date - timedelta(days=days)).isoformat(), Precision.DAY, True)
    if match := _WEEKDAY.search(text):
        if not article_date:
            return None
        weekday = WEEKDAYS[match["weekday"].lower()]
        day = nearest_weekday(article_date, weekday) if date_is_inferred else weekday_before(article_date, weekday)
        return TimeValue(day.isoformat(), Precision.DAY, True)
    if _TODAY.search(text) and article_date:
        return TimeValue(article_date.isoformat(), Precision.DAY, True)
    if _YESTERDAY.search(text) and article_date:
        return TimeValue((article_date - timedelta(days=1)).isoformat(), Precision.DAY, True)
    if (match := _MONTH_YEAR.search(text)) and (match["year"] or article_date) and match["month"].lower() != "may":
        month = MONTHS[match["month"].lower()]
        year = int(match["year"]) if match["year"] else _nearest_year(month, 15, article_date)
        return TimeValue(f"{year:04d}-{month:02d}", Precision.MONTH, bool(match["year"]))
    if match := _YEAR.search(text):
        return TimeValue(match["year"], Precision.YEAR, True)
    return None


def weekday_before(anchor: date, weekday: int) -> date:
    """The latest day with that weekday on or before the anchor (news speaks of the past week)."""
    return anchor - timedelta(days=(anchor.weekday() - weekday) % 7)


def nearest_weekday(anchor: date, weekday: int) -> date:
    """The day with that weekday nearest the anchor (three days either side)."""
    ahead = (weekday - anchor.weekday()) % 7
    return anchor + timedelta(days=ahead if ahead <= 3 else ahead - 7)


def reference_date(expressions, article_date: date | None, date_is_inferred: bool) -> date | None:
    """The day the article speaks from: its date, or, when that was inferred, the latest day its
    weekdays and dates name near it ("on Saturday morning" in an article dated from a Friday)."""
    if not article_date or not date_is_inferred:
        return article_date
    days = [article_date]
    for text in expressions:
        value = resolve(text, article_date, date_is_inferred=True)
        if value and value.precision == Precision.DAY and 0 < (date.fromisoformat(value.value) - article_date).days <= 3:
            days.append(date.fromisoformat(value.value))
    return max(days)


def _nearest_year(month: int, day: int, anchor: date) -> int:
    found = nearest(month, day, anchor)
    return found.year if found else anchor.year


def _day(year: int, month: int, day: int, stated: bool) -> TimeValue | None:
    try:
        return TimeValue(date(year, month, day).isoformat(), Precision.DAY, stated)
    except ValueError:
        return None

"""Geometry for the pictures drawn at build time: a map of places and a timeline of events.

Both are plain SVG, laid out here and drawn by templates, so they work offline with no
tiles, scripts or CDNs. The map is an equirectangular plot of longitude and latitude
(scaled by the cosine of the middle latitude so distances look right near the region).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from .views import Link

FRAME_REACH = 8.0  # degrees from the centre of events that the map frames


@dataclass(frozen=True)
class MapPoint:
    x: float
    y: float
    r: float
    link: Link
    events: int


@dataclass(frozen=True)
class MapChart:
    width: int
    height: int
    points: tuple[MapPoint, ...]
    grid: tuple[tuple[str, float, float, float, float], ...]  # label, x1, y1, x2, y2
    outside: tuple[tuple[Link, int], ...] = ()  # places with events too far away to frame


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    count: int


@dataclass(frozen=True)
class TimelineChart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    ticks: tuple[tuple[float, str], ...]
    max_count: int
    unit: str


def map_chart(places: list[tuple[Link, float, float, int]], width: int = 760, pad: int = 40) -> MapChart | None:
    """Lay out places (link, latitude, longitude, event count) on a lon/lat plot."""
    places = [p for p in places if -90 <= p[1] <= 90 and -180 <= p[2] <= 180]
    if not places:
        return None
    places, outside = _frame(places)
    lats, lons = [p[1] for p in places], [p[2] for p in places]
    # At least a few degrees each way, so one city or a tight cluster still shows its region.
    mid_lat, mid_lon = (min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2
    half_lat, half_lon = max((max(lats) - min(lats)) / 2 + 0.3, 1), max((max(lons) - min(lons)) / 2 + 0.3, 1.2)
    south, north = mid_lat - half_lat, mid_lat + half_lat
    west, east = mid_lon - half_lon, mid_lon + half_lon
    squeeze = math.cos(math.radians(mid_lat))
    span_x, span_y = (east - west) * squeeze, north - south
    scale = min((width - 2 * pad) / span_x, (width * 0.7 - 2 * pad) / span_y)
    width = int(span_x * scale + 2 * pad)
    height = int(span_y * scale + 2 * pad)

    def project(lat: float, lon: float) -> tuple[float, float]:
        return round(pad + (lon - west) * squeeze * scale, 1), round(pad + (north - lat) * scale, 1)

    step = _grid_step(max(east - west, north - south))
    grid = []
    for lon in _multiples(west, east, step):
        x, _ = project(north, lon)
        grid.append((f"{lon:g}°E" if lon >= 0 else f"{-lon:g}°W", x, pad / 2, x, height - pad / 2))
    for lat in _multiples(south, north, step):
        _, y = project(lat, west)
        grid.append((f"{lat:g}°N" if lat >= 0 else f"{-lat:g}°S", pad / 2, y, width - pad / 2, y))
    points = tuple(
        MapPoint(*project(lat, lon), round(3 + 2 * math.sqrt(count), 1), link, count)
        for link, lat, lon, count in sorted(places, key=lambda p: -p[3]))
    return MapChart(width, height, points, tuple(grid),
                    tuple((link, count) for link, _, _, count in sorted(outside, key=lambda p: -p[3])))


def _frame(places: list, reach: float = FRAME_REACH) -> tuple[list, list]:
    """Split places into those near where most events are, and the far-off rest.

    The centre is the event-weighted median of latitude and longitude, which a few
    outliers (a London-based watchdog, an airport on another continent) cannot move;
    a place more than `reach` degrees from it is listed beside the map, not drawn.
    """
    def weighted_median(values: list[tuple[float, int]]) -> float:
        values = sorted(values)
        half, running = sum(w for _, w in values) / 2, 0
        for value, weight in values:
            running += weight
            if running >= half:
                return value
        return values[-1][0]

    lat = weighted_median([(p[1], max(p[3], 1)) for p in places])
    lon = weighted_median([(p[2], max(p[3], 1)) for p in places])
    squeeze = math.cos(math.radians(lat))
    near = [p for p in places if math.hypot(p[1] - lat, (p[2] - lon) * squeeze) <= reach]
    return near, [p for p in places if p not in near]


def _grid_step(extent: float) -> float:
    for step in (0.5, 1, 2, 5, 10, 20, 30):
        if extent / step <= 8:
            return step
    return 45


def _multiples(lo: float, hi: float, step: float) -> list[float]:
    return [k * step for k in range(math.ceil(lo / step), math.floor(hi / step) + 1)]


def timeline_chart(dates: Iterable[str], width: int = 760, height: int = 200, pad: int = 30) -> TimelineChart | None:
    """Count events per day (per month when the range is long) from their dates, streamed.

    Dates of month or year precision are left out: they cannot be placed on a day.
    """
    days = {date.fromisoformat(d): n for d, n in Counter(d for d in dates if len(d) == 10).items() if _is_date(d)}
    if not days:
        return None
    first, last = min(days), max(days)
    by_month = (last - first).days > 120
    key = (lambda d: d.strftime("%Y-%m")) if by_month else (lambda d: d.isoformat())
    counts: dict[str, int] = {}
    for d, n in days.items():
        counts[key(d)] = counts.get(key(d), 0) + n
    slots = _months(first, last) if by_month else [
        (first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]
    most = max(counts.values())
    slot_width = (width - 2 * pad) / len(slots)
    bars = []
    for i, slot in enumerate(slots):
        n = counts.get(slot, 0)
        h = (height - 2 * pad) * n / most
        bar_width = min(max(slot_width - 2, 1), 36)  # narrow bars when there are few days
        bars.append(Bar(round(pad + (i + 0.5) * slot_width - bar_width / 2, 1), round(height - pad - h, 1),
                        round(bar_width, 1), round(h, 1), slot, n))
    every = max(1, len(slots) // 6)
    ticks = tuple((round(pad + (i + 0.5) * slot_width, 1), slot) for i, slot in enumerate(slots)
                  if i % every == 0 or i == len(slots) - 1)
    return TimelineChart(width, height, tuple(bars), ticks, most, "month" if by_month else "day")


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _months(first: date, last: date) -> list[str]:
    months, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months

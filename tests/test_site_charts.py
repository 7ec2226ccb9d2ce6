"""The pictures drawn at build time: places where they are, and events counted by day."""

from pipeline.charts import map_chart, timeline_chart
from pipeline.views import Link


def test_map_keeps_north_up_east_right_and_sizes_by_events():
    homs, hama, damascus = Link("id/place/homs.html", "Homs"), Link("h", "Hama"), Link("d", "Damascus")
    chart = map_chart([(homs, 34.73, 36.72, 3), (hama, 35.13, 36.76, 1), (damascus, 33.51, 36.29, 1)])
    points = {p.link.label: p for p in chart.points}
    assert points["Hama"].y < points["Homs"].y < points["Damascus"].y  # north is up
    assert points["Damascus"].x < points["Homs"].x < points["Hama"].x  # east is right
    assert points["Homs"].r > points["Hama"].r == points["Damascus"].r
    for p in chart.points:
        assert 0 < p.x < chart.width and 0 < p.y < chart.height
    assert any(label.endswith("°N") for label, *_ in chart.grid)


def test_map_skips_impossible_coordinates_and_is_none_without_places():
    assert map_chart([]) is None
    assert map_chart([(Link("x", "X"), 95.0, 10.0, 1)]) is None


def test_timeline_counts_events_per_day_and_ignores_undated_or_coarse_dates():
    chart = timeline_chart(["2024-12-06", "2024-12-06", "2024-12-08", "2024-12", "", "not-a-date"])
    assert chart.unit == "day"
    assert [(b.label, b.count) for b in chart.bars] == [("2024-12-06", 2), ("2024-12-07", 0), ("2024-12-08", 1)]
    assert chart.max_count == 2
    tallest = max(chart.bars, key=lambda b: b.height)
    assert tallest.label == "2024-12-06" and chart.bars[1].height == 0


def test_timeline_counts_by_month_over_long_ranges():
    chart = timeline_chart(["2023-01-15", "2023-01-20", "2024-02-01"])
    assert chart.unit == "month"
    assert len(chart.bars) == 14 and chart.bars[0].count == 2 and chart.bars[-1].count == 1


def test_map_frames_where_the_events_are_and_lists_far_places_beside_it():
    near = [(Link(f"p{i}", f"P{i}"), 34.5 + i / 10, 36.5 + i / 10, 3) for i in range(5)]
    far = [(Link("london", "London"), 51.5, -0.13, 1), (Link("airport", "Airport"), 21.3, -157.9, 1)]
    chart = map_chart(near + far)
    assert {p.link.label for p in chart.points} == {f"P{i}" for i in range(5)}
    assert [link.label for link, _ in chart.outside] == ["London", "Airport"]
    xs = [p.x for p in chart.points]
    assert max(xs) - min(xs) > 60  # the near places spread out, not crowded in one corner

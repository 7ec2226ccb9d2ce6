"""Ingest: the shapes articles come in, their ids, checksums and dates."""

from __future__ import annotations

import json
from datetime import date

from pipeline.ingest import article_id, ingest, infer_missing_dates, parse_text_article
from pipeline.model import DateOrigin

from conftest import SEEDS


def parse(text: str, **metadata):
    return parse_text_article(text, path="x.txt", source_name="x.txt", article_id="x", metadata=metadata)


def blanked(article) -> list[str]:
    """The lines ingest kept out of the prose."""
    return [line for line, prose in zip(article.text.splitlines(), article.prose.splitlines()) if line != prose]


def test_seeds_are_read_with_stable_ids_checksums_and_same_length_prose():
    articles = ingest([SEEDS]).articles
    assert [a.source_name for a in articles] == sorted(p.name for p in SEEDS.glob("*.txt"))
    for article in articles:
        assert article.text == (SEEDS / article.source_name).read_text(encoding="utf-8")
        assert len(article.prose) == len(article.text)
        assert article.checksum.startswith("sha256:") and len(article.checksum) == 71
    assert articles[0].id == "000_dcf614000738ace4"
    assert ingest([SEEDS]).articles == articles  # stable across runs


def test_author_and_empty_date_blocks_are_header_not_prose():
    article = parse("Title of the piece\n\nAuthor:\nJane Roe\nDate:\n\nRebels entered Homs on December 6.\n")
    assert article.title == "Title of the piece"
    assert article.author == "Jane Roe"
    assert blanked(article) == ["Author:", "Jane Roe", "Date:"]
    assert "Rebels entered Homs" in article.prose


def test_leading_date_is_the_header_date_and_the_rest_of_the_line_is_prose():
    text = " date 2024-12-07 Syrian opposition forces entered the suburbs of Homs.\n\nMore text.\n"
    article = parse(text)
    assert (article.date, article.date_origin) == (date(2024, 12, 7), DateOrigin.HEADER)
    assert article.prose.lstrip().startswith("Syrian opposition forces")
    assert article.prose.index("Syrian") == article.text.index("Syrian")
    assert article.title is None


def test_scraper_header_block_gives_outlet_url_date_author():
    text = ("Rebels take Hama\nSource: Example Wire\nURL: https://example.org/a/1\n"
            "Date: December 5, 2024\nAuthor: A. Writer\n\nRebels took Hama on Thursday.\n")
    article = parse(text)
    assert article.title == "Rebels take Hama"
    assert article.outlet == "Example Wire"
    assert article.url == "https://example.org/a/1"
    assert article.author == "A. Writer"
    assert (article.date, article.date_origin) == (date(2024, 12, 5), DateOrigin.HEADER)
    assert "Source:" not in article.prose and "Rebels took Hama" in article.prose


def test_page_furniture_and_repeated_captions_are_not_prose():
    caption = "HOMS, SYRIA - DECEMBER 06: Fighters reach the city center. (Photo by Someone/Agency)"
    text = (f"Headline here\n\nThe rebels pushed 5 km from Homs. Share\n\n{caption}\n"
            f"{caption.replace(' - ', ' – ')}\n\nRelated Posts\n\nLeave a Reply\n")
    article = parse(text)
    assert "Share" not in article.prose and "The rebels pushed 5 km from Homs." in article.prose
    assert article.prose.count("Fighters reach the city center") == 1  # the near-duplicate is blanked
    assert "Related Posts" not in article.prose and "Leave a Reply" not in article.prose


def test_metadata_wins_over_header_and_inferred_dates_are_marked():
    with_metadata = parse("Date: 2024-12-01\n\nText on December 3, 2024.\n", date="2024-12-07")
    assert (with_metadata.date, with_metadata.date_origin) == (date(2024, 12, 7), DateOrigin.METADATA)
    inferred = parse("Headline\n\nOn December 6, 2024 the rebels entered; on Dec. 5, 2024 they took Hama.\n")
    assert (inferred.date, inferred.date_origin) == (date(2024, 12, 6), DateOrigin.INFERRED)
    undated = parse("Headline\n\nThe rebels advanced.\n")
    assert undated.date is None and undated.date_origin is None


def test_day_month_without_year_takes_the_year_of_the_dated_corpus():
    dated = parse("Date: 2024-12-07\n\nText.\n")
    undated = parse("Headline\n\nOn November 30 they attacked; on December 6 they entered Homs.\n")
    no_dates = parse("Headline\n\nNo dates here.\n")
    result = infer_missing_dates([dated, undated, no_dates])
    assert (result[1].date, result[1].date_origin) == (date(2024, 12, 6), DateOrigin.INFERRED)
    assert result[2].date is None


def test_json_lines_one_article_per_line_with_metadata(tmp_path):
    lines = [{"id": "wire/0001", "text": "Rebels entered Hama.", "title": "Hama", "source": "Wire",
              "date": "2024-12-05", "url": "https://example.org/1"},
             {"text": "Second article without id."}]
    path = tmp_path / "corpus.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    first, second = ingest([path]).articles
    assert (first.id, first.source_name, first.outlet, first.title) == ("wire-0001", "wire/0001", "Wire", "Hama")
    assert (first.date, first.date_origin) == (date(2024, 12, 5), DateOrigin.METADATA)
    assert first.prose == first.text
    assert second.id == "corpus-2"


def test_bad_json_lines_are_rejected_alone(tmp_path):
    path = tmp_path / "corpus.jsonl"
    path.write_text('{"text": "Good one."}\nnot json\n{"title": "no text"}\n[1, 2]\n', encoding="utf-8")
    result = ingest([path])
    assert len(result.articles) == 1
    problems = {r.path.rsplit(":", 1)[1]: r.problem for r in result.rejections}
    assert set(problems) == {"2", "3", "4"}
    assert "text" in problems["3"] and "object" in problems["4"]


def test_article_ids_are_iri_safe():
    assert article_id("000_dcf614000738ace4") == "000_dcf614000738ace4"
    assert article_id("Reuters / 2024 12 06!") == "reuters-2024-12-06"

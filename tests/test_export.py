"""The export streams in batches: same rows whatever the batch size, dates as isoformat()."""

from __future__ import annotations

import csv
import itertools
import json
import sqlite3
from datetime import UTC, datetime

import pytest

import catalogue.export as export
from catalogue.cards import tool_card
from catalogue.escaping import csv_cell
from catalogue.risk import QUESTIONS, answer_questions, question_statuses, review_answer, risk_card
from catalogue.store import (
    ClassificationRecord,
    FactRecord,
    LabelRecord,
    PageRecord,
    add_labels,
    record_classifications,
    record_page,
)


@pytest.fixture
def crawled(small_catalogue):
    padlet = tool_card(small_catalogue, "padlet").tool["id"]
    page = PageRecord(
        url="https://padlet.com/privacy",
        kind="privacy",
        text="We comply with GDPR.",
        fetched_at=datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC),  # a whole second: no micros
    )
    record_page(small_catalogue, padlet, page, [FactRecord("gdpr", "yes", "We comply.")])
    return small_catalogue


def exported(catalogue, path, fmt="jsonl"):
    export.export_catalogue(catalogue, path, fmt)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist()
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_batches_of_any_size_write_the_same_rows(crawled, tmp_path, monkeypatch):
    whole = exported(crawled, tmp_path / "whole.jsonl")
    monkeypatch.setattr(export, "EXPORT_BATCH", 2)
    assert exported(crawled, tmp_path / "pairs.jsonl") == whole
    rows = export.export_rows(crawled, export.ToolQuery(), export.stale_after_days(None))
    assert [json.loads(export.to_json(row)) for row in rows] == whole
    assert len(whole) == 6
    parquet = exported(crawled, tmp_path / "pairs.parquet", "parquet")
    assert [row["id"] for row in parquet] == [row["id"] for row in whole]
    assert parquet[0]["facts_json"] == whole[0]["facts_json"]


def test_fact_dates_and_staleness_read_as_the_card_shows_them(crawled, tmp_path):
    row = next(r for r in exported(crawled, tmp_path / "e.jsonl") if r["slug"] == "padlet")
    fact = next(f for f in json.loads(row["facts_json"]) if f["field"] == "gdpr")
    card = next(f for f in tool_card(crawled, "padlet").facts if f["field"] == "gdpr")
    # exports have always written the stored (UTC) time without an offset
    naive = card["observed_at"].replace(tzinfo=None)
    assert fact["observed_at"] == naive.isoformat() == "2020-01-02T03:04:05"
    assert fact["stale"] is card["stale"] is True
    assert row["stale_facts"] >= 1


EVIL = '=HYPERLINK("http://evil.example","x") | <b>\n"quoted"; @SUM(1)'


@pytest.fixture
def everything(crawled):
    """Facts from pages and lists, a gone page, predictions with evidence, labels, reviewed
    DPIA answers and hostile text in names, quotes, evidence and reviews."""
    ids = {slug: tool_card(crawled, slug).tool["id"] for slug in ("kahoot", "scratch")}
    fetched = datetime(2026, 11, 2, 3, 4, 5, 123456, tzinfo=UTC)
    page = PageRecord(url="https://kahoot.com/ai", kind="other", text="AI", fetched_at=fetched)
    facts = [FactRecord("ai_provider", "openai", EVIL), FactRecord("ai_generative", "yes", "é")]
    record_page(crawled, ids["kahoot"], page, facts)
    gone = PageRecord(url="https://scratch.mit.edu/gone", http_status=404, fetched_at=fetched)
    record_page(crawled, ids["scratch"], gone, [])
    evidence = [{"term": EVIL, "weight": 0.5}, {"term": 3}, {"weight": 1}]
    record_classifications(
        crawled,
        [
            ClassificationRecord(tool_id, "purpose", "teaching-learning", 0.75, "v1", False,
                                 {}, evidence)
            for tool_id in ids.values()
        ],
    )  # fmt: skip
    add_labels(crawled, [LabelRecord("pedagogy", "behaviourist", ids["kahoot"], annotator=EVIL)])
    review_answer(crawled, "kahoot", 2, EVIL, "https://a.example/", "dpo")
    review_answer(crawled, "scratch", 7, "Checked with the vendor", None, "dpo")
    with sqlite3.connect(crawled.path) as conn:
        conn.execute("UPDATE tools SET name = ?, description = ? WHERE id = ?",
                     (EVIL, "-1+2\t\x1b[31m", ids["scratch"]))  # fmt: skip
        # a source reviews now refuse, as a catalogue written before may hold it
        conn.execute("UPDATE reviews SET source_url = 'javascript:alert(1)' WHERE question = 2")
    return crawled


def _csv_text(value) -> str:
    """A JSON Lines value as the CSV export writes it: escaped, None as an empty cell."""
    return "" if value is None else str(csv_cell(value))


def test_every_format_writes_the_same_rows(everything, tmp_path):
    rows = exported(everything, tmp_path / "e.jsonl")
    statuses = {row[f"dpia_q{q.number}"] for row in rows for q in QUESTIONS}
    assert statuses == {"vendor-stated", "not stated", "not crawled", "reviewed"}
    assert any(row["pedagogy_label_annotator"] == EVIL for row in rows)
    assert any(EVIL in row["purpose_evidence"] for row in rows)
    assert [row["id"] for row in exported(everything, tmp_path / "e.parquet", "parquet")] == [
        row["id"] for row in rows
    ]
    assert exported(everything, tmp_path / "e.parquet", "parquet") == rows
    export.export_catalogue(everything, tmp_path / "e.csv", "csv")
    with (tmp_path / "e.csv").open(newline="", encoding="utf-8") as handle:
        csv_rows = list(csv.DictReader(handle))
    assert csv_rows == [{k: _csv_text(v) for k, v in row.items()} for row in rows]
    assert any(row["name"] == "'" + EVIL for row in csv_rows)


def test_export_statuses_are_the_risk_cards_statuses(everything, tmp_path):
    for row in exported(everything, tmp_path / "e.jsonl"):
        card = [a.status for a in risk_card(everything, row["id"]).answers]
        assert [row[f"dpia_q{q.number}"] for q in QUESTIONS] == card


def test_question_statuses_agree_with_the_answers():
    fields = ["gdpr", "retention", "minimum_age", "ai_provider", "price"]
    for count in range(len(fields) + 1):
        for chosen in itertools.combinations(fields, count):
            for reviewed, pages in itertools.product(({}, {2: {}, 4: {}}), (0, 3)):
                facts = [{"field": f, "value": "x", "origin": "crawl"} for f in chosen]
                facts.append({"field": "data_location", "value": "uk", "origin": "import"})
                expected = [a.status for a in answer_questions(facts, reviewed, pages)]
                assert list(question_statuses(set(chosen), reviewed, pages)) == expected


def test_sqlite_quotes_json_text_as_python_does():
    """facts_json is written by SQLite's json_quote (catalogue/export_batch.py): it must
    escape every character exactly as json.dumps(ensure_ascii=False) does."""
    texts = [chr(c) for c in range(0x250)] + ["\u2028\u2029", "\ufeff", "😀", "a\x00b", EVIL]
    with sqlite3.connect(":memory:") as conn:
        quoted = [conn.execute("SELECT json_quote(?)", (t,)).fetchone()[0] for t in texts]
    assert quoted == [json.dumps(t, ensure_ascii=False) for t in texts]

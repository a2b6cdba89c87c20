"""The export streams in batches: same rows whatever the batch size, dates as isoformat()."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

import catalogue.export as export
from catalogue.cards import tool_card
from catalogue.store import FactRecord, PageRecord, record_page


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

"""catalogue.changes: what a crawl changed, on histories written through catalogue.store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import TOOLS

from catalogue import import_tools
from catalogue.changes import changes_since
from catalogue.errors import CatalogueError
from catalogue.store import (
    FactRecord,
    PageRecord,
    finish_crawl_run,
    record_page,
    start_crawl_run,
)

T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(days=30)


@pytest.fixture
def crawled(catalogue):
    """Kahoot and Padlet crawled on T0; on T1 Kahoot's features page gains an AI tutor and
    its privacy page drops a fact, Padlet's GDPR fact moves to another page."""
    import_tools(catalogue, TOOLS / "small.csv")
    kahoot, padlet = _id(catalogue, "kahoot"), _id(catalogue, "padlet")
    run0 = start_crawl_run(catalogue, {})
    _page(catalogue, kahoot, "https://kahoot.com/features", "features", "Quizzes.", [], run0, T0)
    _page(
        catalogue,
        kahoot,
        "https://kahoot.com/privacy",
        "privacy",
        "GDPR. Kept 30 days.",
        [
            FactRecord("gdpr", "yes", "We comply with GDPR."),
            FactRecord("retention", "30-days", "Kept 30 days."),
        ],
        run0,
        T0,
    )
    _page(
        catalogue,
        padlet,
        "https://padlet.com/privacy",
        "privacy",
        "GDPR.",
        [FactRecord("gdpr", "yes", "GDPR compliant.")],
        run0,
        T0,
    )
    finish_crawl_run(catalogue, run0, "finished", {})
    return catalogue, kahoot, padlet


def _id(catalogue, slug: str) -> int:
    from catalogue.cards import find_tool

    return find_tool(catalogue, slug).id


def _page(catalogue, tool_id, url, kind, text, facts, run_id, when):
    record = PageRecord(url=url, kind=kind, title=kind, text=text, fetched_at=when)
    return record_page(catalogue, tool_id, record, facts, run_id)


def _second_crawl(catalogue, kahoot, padlet):
    run1 = start_crawl_run(catalogue, {})
    _page(
        catalogue,
        kahoot,
        "https://kahoot.com/features",
        "features",
        "Quizzes. Now with an AI tutor powered by OpenAI GPT-4o.",
        [
            FactRecord("ai_chatbot", "yes", "Now with an AI tutor powered by OpenAI GPT-4o."),
            FactRecord("ai_provider", "openai", "Now with an AI tutor powered by OpenAI GPT-4o."),
            FactRecord("ai_generative", "no", "We do not use generative AI in reports."),
        ],
        run1,
        T1,
    )
    _page(
        catalogue,
        kahoot,
        "https://kahoot.com/privacy",
        "privacy",
        "GDPR.",
        [FactRecord("gdpr", "yes", "We comply with GDPR.")],
        run1,
        T1,
    )
    _page(catalogue, kahoot, "https://kahoot.com/ai", "features", "AI.", [], run1, T1)
    _page(catalogue, padlet, "https://padlet.com/privacy", "privacy", "Privacy.", [], run1, T1)
    _page(
        catalogue,
        padlet,
        "https://padlet.com/security",
        "privacy",
        "GDPR.",
        [FactRecord("gdpr", "yes", "GDPR compliant.")],
        run1,
        T1,
    )
    finish_crawl_run(catalogue, run1, "finished", {})


def test_new_ai_features_pages_and_facts_since_a_date(crawled):
    catalogue, kahoot, padlet = crawled
    _second_crawl(catalogue, kahoot, padlet)
    report = changes_since(catalogue, T1.date())
    by_slug = {t.slug: t for t in report.tools}
    assert list(by_slug) == ["kahoot", "padlet"]  # AI appeared sorts first

    k = by_slug["kahoot"]
    assert {(p.url, p.change) for p in k.pages} == {
        ("https://kahoot.com/features", "changed"),
        ("https://kahoot.com/privacy", "changed"),
        ("https://kahoot.com/ai", "new"),
    }
    assert [(f.field, f.value) for f in k.ai_appeared] == [
        ("ai_chatbot", "yes"),
        ("ai_provider", "openai"),
    ]  # ai_generative=no is no AI feature
    assert k.ai_appeared[0].evidence.startswith("Now with an AI tutor")
    assert k.ai_appeared[0].source_url == "https://kahoot.com/features"
    assert [(f.field, f.value) for f in k.facts_removed] == [("retention", "30-days")]
    assert not k.first_crawl

    p = by_slug["padlet"]
    assert p.facts_added == [] and p.facts_removed == []  # gdpr moved page: no change
    assert {(x.url, x.change) for x in p.pages} == {
        ("https://padlet.com/privacy", "changed"),
        ("https://padlet.com/security", "new"),
    }


def test_default_since_is_the_last_crawl_start(catalogue):
    """Runs and pages at real times: the default compares the last crawl with before it."""
    import_tools(catalogue, TOOLS / "small.csv")
    kahoot = _id(catalogue, "kahoot")
    run0 = start_crawl_run(catalogue, {})
    _page(catalogue, kahoot, "https://kahoot.com/features", "features", "Quizzes.", [], run0, None)
    first = changes_since(catalogue)
    assert [(t.slug, t.first_crawl) for t in first.tools] == [("kahoot", True)]
    run1 = start_crawl_run(catalogue, {})
    _page(catalogue, kahoot, "https://kahoot.com/features", "features", "Quizzes.", [], run1, None)
    _page(
        catalogue,
        kahoot,
        "https://kahoot.com/ai",
        "features",
        "An AI chatbot.",
        [FactRecord("ai_chatbot", "yes", "An AI chatbot.")],
        run1,
        None,
    )
    report = changes_since(catalogue)
    assert report.since > first.since  # the second run's start, not the first
    (tool,) = report.tools
    assert not tool.first_crawl
    assert [(p.url, p.change) for p in tool.pages] == [("https://kahoot.com/ai", "new")]
    assert [(f.field, f.value) for f in tool.ai_appeared] == [("ai_chatbot", "yes")]


def test_an_unchanged_recrawl_reports_nothing(crawled):
    catalogue, kahoot, padlet = crawled
    run = start_crawl_run(catalogue, {})
    _page(
        catalogue,
        padlet,
        "https://padlet.com/privacy",
        "privacy",
        "GDPR.",
        [FactRecord("gdpr", "yes", "GDPR compliant.")],
        run,
        T1,
    )
    assert changes_since(catalogue, T1).tools == []
    assert changes_since(catalogue, T1 + timedelta(days=1)).tools == []


def test_no_crawl_yet_is_a_user_error(catalogue):
    with pytest.raises(CatalogueError, match="no crawl has run"):
        changes_since(catalogue)


def test_report_as_dict_has_ai_appeared(crawled):
    catalogue, kahoot, padlet = crawled
    _second_crawl(catalogue, kahoot, padlet)
    data = changes_since(catalogue, T1).as_dict()
    kahoot_row = data["tools"][0]
    assert kahoot_row["slug"] == "kahoot"
    assert [f["field"] for f in kahoot_row["ai_appeared"]] == ["ai_chatbot", "ai_provider"]


def test_a_page_that_now_404s_is_recorded_gone_and_its_facts_retracted(crawled):
    from catalogue.db import execute_sql
    from catalogue.store import record_page_gone

    catalogue, kahoot, _ = crawled
    run1 = start_crawl_run(catalogue, {})
    assert record_page_gone(
        catalogue, kahoot, "https://kahoot.com/privacy/", 404, run1
    )  # any spelling
    assert not record_page_gone(catalogue, kahoot, "https://kahoot.com/never-seen", 404, run1)
    finish_crawl_run(catalogue, run1, "finished", {})
    report = changes_since(catalogue, T0 + timedelta(days=1))  # after the first crawl
    kahoot_changes = next(t for t in report.tools if t.tool_id == kahoot)
    assert {(f.field, f.value) for f in kahoot_changes.facts_removed} == {
        ("gdpr", "yes"),
        ("retention", "30-days"),
    }
    rows = execute_sql(
        catalogue, "SELECT http_status FROM pages WHERE url LIKE '%kahoot.com/privacy'"
    )
    assert rows == [(404,)]
    history = execute_sql(
        catalogue,
        "SELECT page_versions.http_status, changed FROM page_versions "
        "JOIN pages ON pages.id = page_versions.page_id "
        "WHERE pages.url LIKE '%kahoot.com/privacy' ORDER BY page_versions.id",
    )
    assert history == [(200, 1), (404, 1)]

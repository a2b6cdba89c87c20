from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from catalogue import InvalidFilter, ToolQuery, count_tools, query_tools
from catalogue.cards import find_tool
from catalogue.store import (
    ClassificationRecord,
    FactRecord,
    LabelRecord,
    PageRecord,
    add_labels,
    record_classifications,
    record_page,
)


def names(catalogue, **filters) -> list[str]:
    return [row["name"] for row in query_tools(catalogue, ToolQuery(**filters))]


def tool_id(catalogue, name: str) -> int:
    return find_tool(catalogue, name).id


@pytest.fixture
def classified(small_catalogue):
    """Kahoot behaviourist (confident), Padlet social (confident), Arbor workflow/none,
    Scratch below threshold on pedagogy."""
    rows = [
        ("Kahoot!", "teaching-learning", 0.9, "behaviourist", 0.8, False),
        ("Padlet", "teaching-learning", 0.7, "social-constructivist", 0.75, False),
        ("Arbor MIS", "workflow-productivity", 0.95, "none", 0.9, False),
        ("Scratch", "teaching-learning", 0.85, "individual-constructivist", 0.4, True),
    ]
    records = []
    for name, purpose, p_conf, pedagogy, g_conf, uncertain in rows:
        tid = tool_id(small_catalogue, name)
        records.append(ClassificationRecord(tid, "purpose", purpose, p_conf, "m1"))
        records.append(
            ClassificationRecord(tid, "pedagogy", pedagogy, g_conf, "m1", uncertain=uncertain)
        )
    record_classifications(small_catalogue, records)
    return small_catalogue


def test_filters_combine(classified):
    assert names(classified, purpose=["teaching-learning"], audience=["students"]) == [
        "Kahoot!",
        "Padlet",
        "Scratch",
    ]
    assert names(
        classified, purpose=["teaching-learning"], audience=["students"], phase=["primary"]
    ) == ["Kahoot!", "Scratch"]
    assert names(classified, pedagogy=["behaviourist", "social-constructivist"]) == [
        "Kahoot!",
        "Padlet",
    ]
    assert names(classified, pricing=["free", "quote-only"]) == ["Arbor MIS", "Scratch"]


def test_uncertain_predictions_are_not_forced(classified):
    assert "Scratch" not in names(classified, pedagogy=["individual-constructivist"])
    assert names(classified, pedagogy=["uncertain"]) == ["Scratch"]
    assert names(classified, pedagogy=["unclassified"]) == ["Desmos", "Remind"]


def test_min_confidence_applies_to_filtered_dimension(classified):
    assert names(classified, purpose=["teaching-learning"], min_confidence=0.8) == [
        "Kahoot!",
        "Scratch",
    ]
    assert names(classified, min_confidence=0.8) == ["Arbor MIS", "Kahoot!"]


def test_a_label_overrides_the_model(classified):
    padlet = tool_id(classified, "Padlet")
    add_labels(
        classified,
        [LabelRecord("pedagogy", "individual-constructivist", tool_id=padlet, annotator="tester")],
    )
    [row] = query_tools(classified, ToolQuery(search="padlet"))
    assert (row["pedagogy"], row["pedagogy_source"], row["pedagogy_confidence"]) == (
        "individual-constructivist",
        "label",
        1.0,
    )
    assert row["purpose_source"] == "model"


def test_new_classification_replaces_current(classified):
    kahoot = tool_id(classified, "Kahoot!")
    record_classifications(
        classified, [ClassificationRecord(kahoot, "pedagogy", "social-constructivist", 0.6, "m2")]
    )
    assert "Kahoot!" in names(classified, pedagogy=["social-constructivist"])
    assert "Kahoot!" not in names(classified, pedagogy=["behaviourist"])


def test_fact_filters_use_current_facts_only(small_catalogue):
    desmos = tool_id(small_catalogue, "Desmos")
    page = PageRecord(
        "https://www.desmos.com/privacy",
        kind="privacy",
        title="Privacy",
        text="We comply with GDPR.",
    )
    record_page(small_catalogue, desmos, page, [FactRecord("gdpr", "yes", "We comply with GDPR.")])
    assert names(small_catalogue, facts=["gdpr=yes"]) == ["Desmos"]
    assert names(small_catalogue, facts=["gdpr=yes", "subject=maths"]) == ["Desmos"]
    # The next crawl no longer finds the statement: the fact is retracted, not matched.
    changed = PageRecord(
        "https://www.desmos.com/privacy", kind="privacy", title="Privacy", text="Privacy notice."
    )
    record_page(small_catalogue, desmos, changed, [])
    assert names(small_catalogue, facts=["gdpr=yes"]) == []


def test_search_ranks_by_relevance_and_includes_page_text(small_catalogue):
    assert names(small_catalogue, search="collaborates")[0] == "Padlet"
    assert names(small_catalogue, search="leaderboards points") == ["Kahoot!"]
    remind = tool_id(small_catalogue, "Remind")
    record_page(
        small_catalogue,
        remind,
        PageRecord(
            "https://www.remind.com/ai",
            kind="features",
            text="Translate messages into 90 languages.",
        ),
    )
    assert names(small_catalogue, search="translate languages") == ["Remind"]
    assert names(small_catalogue, search="transl") == ["Remind"]  # prefix on the last word


def test_changed_since_and_sort(small_catalogue):
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date()
    assert names(small_catalogue, changed_since=tomorrow) == []
    assert len(names(small_catalogue, changed_since=date(2020, 1, 1))) == 6
    assert names(small_catalogue, sort="name", limit=2) == ["Arbor MIS", "Desmos"]
    assert count_tools(small_catalogue, ToolQuery(limit=2)) == 6


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"purpose": ["teaching"]}, "valid values: workflow-productivity, teaching-learning"),
        ({"pedagogy": ["constructivist"]}, "valid values: behaviourist"),
        ({"audience": ["pupils"]}, "valid values: students, teachers"),
        ({"phase": ["ks2"]}, "valid values: early-years, primary"),
        ({"pricing": ["cheap"]}, "valid values: free, freemium, paid, quote-only"),
        ({"facts": ["colour=red"]}, "unknown fact field 'colour'; valid fields: pricing_model"),
        ({"facts": ["gdpr=maybe"]}, "valid values: yes, no"),
        ({"facts": ["gdpr"]}, "FIELD=VALUE"),
        ({"sort": "price"}, "valid values: name, updated"),
        ({"min_confidence": 2.0}, "between 0 and 1"),
        ({"search": "!!!"}, "at least one word"),
    ],
)
def test_unknown_filter_values_list_the_valid_ones(small_catalogue, filters, message):
    with pytest.raises(InvalidFilter, match=message):
        query_tools(small_catalogue, ToolQuery(**filters))


def test_a_changed_prediction_moves_updated_at_a_rerun_does_not(small_catalogue):
    kahoot = tool_id(small_catalogue, "Kahoot!")

    def updated():
        [row] = [r for r in query_tools(small_catalogue, ToolQuery()) if r["id"] == kahoot]
        return row["updated_at"]

    before = updated()
    record_classifications(
        small_catalogue, [ClassificationRecord(kahoot, "purpose", "teaching-learning", 0.9, "m1")]
    )
    first = updated()
    assert first > before
    record_classifications(
        small_catalogue, [ClassificationRecord(kahoot, "purpose", "teaching-learning", 0.8, "m2")]
    )
    assert updated() == first


def test_a_short_page_is_its_own_count_and_a_full_one_is_counted(small_catalogue, monkeypatch):
    import catalogue.query as query_module

    counted = []
    real = query_module.count_statement
    monkeypatch.setattr(query_module, "count_statement", lambda q: counted.append(q) or real(q))
    assert count_tools(small_catalogue, ToolQuery(limit=10), page_rows=6) == 6
    assert counted == []
    assert count_tools(small_catalogue, ToolQuery(limit=2), page_rows=2) == 6
    assert count_tools(small_catalogue, ToolQuery(limit=2, offset=10), page_rows=0) == 6
    assert len(counted) == 2


def test_one_statement_per_query_shape_whatever_the_values():
    from catalogue.query import count_statement, statement

    first = ToolQuery(purpose=["teaching-learning"], audience=["teachers"]).validated()
    second = ToolQuery(purpose=["workflow-productivity"], audience=["students"]).validated()
    other = ToolQuery(purpose=["teaching-learning"], phase=["primary"]).validated()
    assert statement(first) is statement(second)
    assert count_statement(first) is count_statement(second)
    assert statement(first) is not statement(other)


def test_the_count_skips_the_tag_joins_its_filters_do_not_need():
    from catalogue.query import count_statement

    sql = str(count_statement(ToolQuery(facts=["gdpr=yes"]).validated()))
    assert "labels" not in sql and "classifications" not in sql and "ORDER BY" not in sql
    tagged = str(count_statement(ToolQuery(purpose=["teaching-learning"]).validated()))
    assert "label_purpose" in tagged and "label_pedagogy" not in tagged


@pytest.mark.parametrize(
    "query",
    [
        ToolQuery(purpose=["teaching-learning"], pedagogy=["behaviourist", "none"]),
        ToolQuery(min_confidence=0.5),
        ToolQuery(pricing=["free", "freemium"]),
        ToolQuery(audience=["teachers"], facts=["gdpr=yes"]),
        ToolQuery(search="quiz"),
    ],
)
def test_count_agrees_with_the_rows(small_catalogue, query):
    rows = query_tools(small_catalogue, ToolQuery(**{**query.__dict__, "limit": None}))
    assert count_tools(small_catalogue, query) == len(rows)

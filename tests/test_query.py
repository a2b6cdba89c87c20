from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from catalogue import InvalidFilter, ToolQuery, count_tools, query_tools
from catalogue.cards import find_tool
from catalogue.query import MAX_FACT_FILTERS
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


def test_a_value_repeated_a_thousand_times_is_one_condition(small_catalogue):
    """SQLite refuses an expression tree past depth 1,000: a long URL must not reach it."""
    once = query_tools(small_catalogue, ToolQuery(audience=["students"], facts=["gdpr=yes"]))
    many = ToolQuery(audience=["students"] * 2000, facts=["gdpr=yes", "GDPR = yes"] * 1000)
    assert query_tools(small_catalogue, many) == once
    assert count_tools(small_catalogue, ToolQuery(audience=["students"] * 2000)) >= len(once)


def test_more_fact_filters_than_the_cap_are_refused(small_catalogue):
    prices = [f"price=gbp {n}" for n in range(MAX_FACT_FILTERS + 1)]
    with pytest.raises(InvalidFilter, match=f"at most {MAX_FACT_FILTERS} different fact filters"):
        count_tools(small_catalogue, ToolQuery(facts=prices))


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


# --- the plain-SQL path (what `edcat tools list` runs) against the SQLAlchemy one -------------

EQUIVALENT_QUERIES = [
    {},
    {"purpose": ["teaching-learning"], "audience": ["students"]},
    {"pedagogy": ["behaviourist", "uncertain", "unclassified"]},
    {"min_confidence": 0.8},
    {"purpose": ["teaching-learning"], "min_confidence": 0.75},
    {"pricing": ["free", "quote-only"], "phase": ["primary"]},
    {"facts": ["subject=maths"]},
    {"search": "collaborates"},
    {"search": "learn", "sort": "name"},
    {"changed_since": date(2020, 1, 1), "sort": "updated"},
    {"sort": "confidence", "limit": 3, "offset": 1},
    {"sort": "-name"},
    {"sort": "pedagogy-confidence", "descending": False},
    {"sort": "domain", "descending": True},
    {"sort": "first-seen"},
    {"sort": "crawled"},
    {"sort": "purpose"},
    {"sort": "id", "limit": 2},
    # Pages past the first, chosen before their tags are read (catalogue.query._page_first_sql)
    {"limit": 2, "offset": 3},
    {"sort": "-updated", "limit": 2, "offset": 1},
    {"search": "learn", "sort": "name", "limit": 1, "offset": 1},
    {"audience": ["students"], "sort": "domain", "limit": 1, "offset": 1},
    {"purpose": ["teaching-learning"], "limit": 1, "offset": 1},
    {"sort": "purpose", "limit": 2, "offset": 2},
]


@pytest.mark.parametrize("filters", EQUIVALENT_QUERIES, ids=str)
def test_plain_sql_returns_what_the_orm_query_returns(classified, filters):
    from catalogue.query_orm import build_select

    padlet = tool_id(classified, "Padlet")
    add_labels(classified, [LabelRecord("purpose", "workflow-productivity", tool_id=padlet)])
    with classified.engine.connect() as conn:
        expected = [
            dict(row._mapping)
            for row in conn.execute(build_select(ToolQuery(**filters).validated()))
        ]
    assert query_tools(classified, ToolQuery(**filters)) == expected
    assert query_tools(classified.path, ToolQuery(**filters)) == expected  # no SQLAlchemy
    assert count_tools(classified.path, ToolQuery(**filters)) == count_tools(
        classified, ToolQuery(**{**filters, "limit": None, "offset": 0})
    )


def test_the_plain_sql_is_written_for_the_current_schema():
    from catalogue.db import SCHEMA_VERSION
    from catalogue.query import QUERY_SCHEMA_VERSION

    # A new schema version: check the SQL in catalogue/query.py still matches, then bump it.
    assert QUERY_SCHEMA_VERSION == SCHEMA_VERSION


def test_a_path_that_is_not_a_current_catalogue_gets_the_catalogue_error(tmp_path):
    from catalogue import CatalogueNotFound, NotACatalogue

    with pytest.raises(CatalogueNotFound):
        query_tools(tmp_path / "missing.db", ToolQuery())
    (tmp_path / "junk.db").write_text("not a database")
    with pytest.raises(NotACatalogue):
        query_tools(tmp_path / "junk.db", ToolQuery())


def test_sort_descending_by_prefix_or_flag(classified):
    ascending = names(classified, sort="name")
    assert names(classified, sort="-name") == ascending[::-1]
    assert names(classified, sort="name", descending=True) == ascending[::-1]

    def updated(**order):
        return [
            r["updated_at"] for r in query_tools(classified, ToolQuery(sort="updated", **order))
        ]

    assert updated() == sorted(updated(), reverse=True)  # newest first unless told otherwise
    assert updated(descending=False) == sorted(updated())


@pytest.mark.parametrize(
    ("filters", "hint"),
    [
        ({"pedagogy": ["behaviorist"]}, "did you mean behaviourist?"),
        ({"subject": ["math"]}, "did you mean maths?"),
        ({"phase": ["math"]}, "maths is a subject value: use --subject maths"),
        ({"audience": ["pupils"]}, "did you mean students?"),
        ({"facts": ["gdpr=yess"]}, "did you mean yes?"),
        ({"facts": ["gpdr=yes"]}, "did you mean gdpr?"),
        ({"sort": "nmae"}, "did you mean name?"),
    ],
)
def test_misspelt_values_get_a_suggestion_on_one_line(small_catalogue, filters, hint):
    with pytest.raises(InvalidFilter) as error:
        query_tools(small_catalogue, ToolQuery(**filters))
    message = str(error.value)
    assert hint in message and "valid values" in message.replace("valid fields", "valid values")
    assert "\n" not in message


def test_close_tool_names_suggest_slugs(small_catalogue):
    from catalogue.query import close_tool_names

    assert close_tool_names(small_catalogue.path, "kahot")[0] == "kahoot"
    assert close_tool_names(small_catalogue.path, "zzzz") == []


def test_a_short_page_is_its_own_count_and_a_full_one_is_counted(small_catalogue, monkeypatch):
    import catalogue.query as query_module

    counted = []
    real = query_module.count_sql
    monkeypatch.setattr(query_module, "count_sql", lambda q: counted.append(q) or real(q))
    assert count_tools(small_catalogue, ToolQuery(limit=10), page_rows=6) == 6
    assert counted == []
    assert count_tools(small_catalogue, ToolQuery(limit=2), page_rows=2) == 6
    assert count_tools(small_catalogue, ToolQuery(limit=2, offset=10), page_rows=0) == 6
    assert len(counted) == 2


def test_the_count_skips_the_tag_joins_its_filters_do_not_need():
    from catalogue.query import count_sql

    sql, _ = count_sql(ToolQuery(facts=["gdpr=yes"]).validated())
    assert "labels" not in sql and "classifications" not in sql and "ORDER BY" not in sql
    tagged, _ = count_sql(ToolQuery(purpose=["teaching-learning"]).validated())
    assert "label_purpose" in tagged


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

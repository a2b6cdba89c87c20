"""Every query whose cost would grow with the catalogue, in one place, each served by an index.

A crawl stores thousands of pages into a catalogue of 100,000 tools; a list, a count or an
export reads it. Each lookup below is the statement the library really runs (built by the
function that runs it), and tests/test_hot_queries.py checks with `EXPLAIN QUERY PLAN` that
SQLite answers it from an index rather than by reading a whole table. A new lookup on a
large table belongs here too, with the index it needs (catalogue/models.py and a migration in
catalogue/db.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from catalogue.cards import card_tool_lookup, tool_lookup
from catalogue.changes import facts_touched_since, fetches_since
from catalogue.export_batch import batch_statements
from catalogue.importer import (
    active_facts_of_tools,
    import_facts_of_tools,
    numbered_slugs,
    stored_slugs,
    stored_tools_by_identity,
    stored_tools_by_match_name,
    tools_changed_at,
)
from catalogue.query import ToolQuery, build_sql, count_sql
from catalogue.store import active_facts_of_pages, pages_of_tools

_SINCE = datetime(2026, 1, 1, tzinfo=UTC)
_IDS = [1, 2, 3]

# Tables that hold a row per tool or more: reading one of them in full is what must not happen.
LARGE_TABLES = ("tools", "pages", "page_versions", "facts", "classifications", "labels")

_LIST_QUERIES = {
    "purpose + audience + phase": ToolQuery(
        purpose=["teaching-learning"], audience=["teachers"], phase=["primary"]
    ),
    "fact filters": ToolQuery(facts=["gdpr=yes", "ai_provider=openai"]),
    "pricing": ToolQuery(pricing=["free", "freemium"]),
    "search": ToolQuery(search="adaptive phonics"),
    "changed since": ToolQuery(changed_since=_SINCE),
}


def hot_queries() -> dict[str, Callable[[], object]]:
    """Name -> a function building the statement the library runs: a SQLAlchemy statement,
    or (SQL, parameters) for the plain-sqlite3 list and count queries."""
    queries: dict[str, Callable[[], object]] = {
        "store: pages of the tools in a batch": lambda: pages_of_tools(_IDS),
        "store: active facts of the pages in a batch": lambda: active_facts_of_pages(_IDS),
        "changes: fetches since a date": lambda: fetches_since(_SINCE),
        "cards: a tool by slug or name": lambda: tool_lookup("Desmos"),
        "cards: the card's tool by slug or name": lambda: card_tool_lookup("Desmos"),
        "changes: facts added or retracted since a date": lambda: facts_touched_since(_SINCE),
        "import: stored tools by identity": lambda: stored_tools_by_identity(["https://a.test/"]),
        "import: stored tools by normalised name": lambda: stored_tools_by_match_name(["quiz"]),
        "import: slugs taken": lambda: stored_slugs(["quiz", "quiz-a-test"]),
        "import: numbered slugs taken": lambda: numbered_slugs("quiz"),
        "import: active facts of a batch": lambda: active_facts_of_tools(_IDS),
        "import: import facts of a batch": lambda: import_facts_of_tools(_IDS, _SINCE),
        "import: tools it changed": lambda: tools_changed_at(_SINCE),
    }
    for name, build in batch_statements(_IDS).items():
        queries[f"export: {name}"] = lambda build=build: build
    for name, query in _LIST_QUERIES.items():
        queries[f"list: {name}"] = lambda q=query: build_sql(q.validated())
        queries[f"count: {name}"] = lambda q=query: count_sql(q.validated())
    return queries

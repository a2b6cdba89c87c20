"""`label import` never silently replaces a label a person set: it lists what it would
overwrite and writes nothing unless asked to (--replace); labels already there stay as they
are, so importing a file twice changes nothing."""

from __future__ import annotations

from catalogue.cards import find_tool
from catalogue.db import execute_sql
from catalogue.labels import current_labels
from classifier.labels import import_labels, set_label
from tests.conftest import FIXTURES

GOOD = FIXTURES / "labels" / "good.csv"


def labels(catalogue) -> dict[tuple[str, str], str]:
    return {(label.name, label.dimension): label.label for label in current_labels(catalogue)}


def test_reimporting_the_same_file_leaves_every_label_as_it_is(small_catalogue):
    first = import_labels(small_catalogue, GOOD)
    again = import_labels(small_catalogue, GOOD)
    assert (again.labels, again.unchanged, again.overwrites) == (0, first.labels, ())
    [(count,)] = execute_sql(small_catalogue, "SELECT count(*) FROM labels")
    assert count == first.labels  # no superseded copies piled up


def test_an_import_that_would_overwrite_a_persons_label_writes_nothing(small_catalogue):
    set_label(small_catalogue, "kahoot", purpose="workflow-productivity", annotator="dpo")
    before = labels(small_catalogue)
    result = import_labels(small_catalogue, GOOD)
    assert not result.written and result.labels == 0
    [overwrite] = result.overwrites
    kahoot = find_tool(small_catalogue, "kahoot").id
    assert (overwrite.row, overwrite.tool_id, overwrite.dimension) == (2, kahoot, "purpose")
    assert (overwrite.current, overwrite.current_annotator, overwrite.new) == (
        "workflow-productivity",
        "dpo",
        "teaching-learning",
    )
    assert labels(small_catalogue) == before  # not even the rows that overwrite nothing


def test_replace_writes_the_overwrites_and_the_rest(small_catalogue):
    set_label(small_catalogue, "kahoot", purpose="workflow-productivity", annotator="dpo")
    result = import_labels(small_catalogue, GOOD, replace=True)
    assert result.written and len(result.overwrites) == 1
    assert labels(small_catalogue)[("Kahoot!", "purpose")] == "teaching-learning"


def test_cli_lists_the_overwrites_and_exits_1_without_replace(small_catalogue, edcat):
    db = ["--db", str(small_catalogue.path)]
    edcat(*db, "label", "set", "kahoot", "--purpose", "workflow-productivity", "--annotator", "dpo")
    refused = edcat(*db, "label", "import", str(GOOD), check=False)
    assert refused.returncode == 1
    assert (
        "row 2: would replace Kahoot! (id 1) purpose workflow-productivity (by dpo) with "
        "teaching-learning" in refused.stdout
    )
    assert "nothing was imported" in refused.stderr and "--replace" in refused.stderr
    assert labels(small_catalogue)[("Kahoot!", "purpose")] == "workflow-productivity"
    done = edcat(*db, "label", "import", str(GOOD), "--replace")
    assert "row 2: replaced Kahoot!" in done.stdout
    assert labels(small_catalogue)[("Kahoot!", "purpose")] == "teaching-learning"

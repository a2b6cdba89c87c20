"""What a person sees at 80 columns, progress bars, and the everyday commands (--version,
--sort, did-you-mean, delete, unset, tools add)."""

from __future__ import annotations

import itertools
import json
import re
import sqlite3
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from catalogue.compare import compare_tools
from catalogue.store import (
    ClassificationRecord,
    FactRecord,
    LabelRecord,
    PageRecord,
    add_labels,
    record_classifications,
    record_page,
)
from catalogue.vocabulary import PEDAGOGIES, PURPOSES
from cli.main import app
from tests.conftest import TOOLS

sys.path.insert(0, str(Path(__file__).parent))  # crawl_sites, as test_crawl_e2e imports it

WIDTH = 80
LONG_URL = "https://www.desmos.com/legal/privacy-policy-for-schools-and-districts"
TAGS = {
    "Kahoot!": ("teaching-learning", 0.91, "behaviourist", 0.83),
    "Padlet": ("teaching-learning", 0.72, "social-constructivist", 0.77),
    "Arbor MIS": ("workflow-productivity", 0.96, "none", 0.9),
    "Scratch": ("teaching-learning", 0.88, "individual-constructivist", 0.8),
    "Desmos": ("teaching-learning", 0.9, "individual-constructivist", 0.86),
}


@pytest.fixture
def shown(small_catalogue):
    """The small catalogue classified, with a privacy page whose facts quote long sentences."""
    from catalogue.cards import find_tool

    ids = {name: find_tool(small_catalogue, name).id for name in [*TAGS, "Remind"]}
    records = []
    for name, (purpose, p_conf, pedagogy, g_conf) in TAGS.items():
        records.append(ClassificationRecord(ids[name], "purpose", purpose, p_conf, "m1"))
        records.append(ClassificationRecord(ids[name], "pedagogy", pedagogy, g_conf, "m1"))
    record_classifications(small_catalogue, records)
    quote = (
        "We are fully compliant with UK GDPR and will sign a data processing agreement with "
        "every school, and our servers are located in the United Kingdom."
    )
    page = PageRecord(LONG_URL, kind="privacy", title="Privacy", text=quote)
    facts = [
        FactRecord("gdpr", "yes", quote),
        FactRecord("dpa_offered", "yes", quote),
        FactRecord("data_location", "United Kingdom", quote),
    ]
    record_page(small_catalogue, ids["Desmos"], page, facts)
    add_labels(small_catalogue, [LabelRecord("pedagogy", "none", tool_id=ids["Remind"])])
    return small_catalogue


def run(db, *args: str, input: str | None = None, width: int = WIDTH):
    result = CliRunner().invoke(
        app, ["--db", str(db), *args], env={"COLUMNS": str(width)}, input=input
    )
    return result


def check_80_columns(out: str, tokens: set[str]) -> None:
    """No line wider than 80, no ellipsis, and every token (a label, slug, name word or date)
    printed whole somewhere: a token split across lines inside a cell is not."""
    too_wide = [line for line in out.splitlines() if len(line) > WIDTH]
    assert not too_wide, "\n".join(too_wide)
    assert "…" not in out and "..." not in out
    flat = out.replace("\n", " ")
    missing = sorted(
        t for t in tokens if not re.search(rf"(?<![\w-]){re.escape(t)}(?![\w-])", flat)
    )
    assert not missing, f"split or missing: {missing}\n{out}"


def list_tokens(catalogue) -> set[str]:
    from catalogue import ToolQuery, query_tools

    tokens = set()
    for row in query_tools(catalogue, ToolQuery()):
        tokens |= {*row["name"].split(), row["purpose"], row["pedagogy"]}
    return tokens


def test_tools_list_at_80_columns_splits_no_word(shown):
    result = run(shown.path, "tools", "list")
    assert result.exit_code == 0, result.output
    check_80_columns(result.output, list_tokens(shown) | {"0.91", "0.83"})


def test_tools_list_keeps_every_column_when_wide(shown):
    out = run(shown.path, "tools", "list", width=160).output
    assert "conf." in out and "kahoot.com" in out and "scratch.mit.edu" in out


def test_tools_show_stacks_facts_at_80_columns(shown):
    result = run(shown.path, "tools", "show", "desmos")
    assert result.exit_code == 0, result.output
    out = result.output
    check_80_columns(
        out,
        {
            "gdpr",
            "dpa_offered",
            "data_location",
            "United",
            "Kingdom",
            "desmos",
            "individual-constructivist",
            "teaching-learning",
            LONG_URL,
        },
    )
    assert "False" not in out and "True" not in out
    # a block per fact: the field line, then the quote, wrapped under its indent
    assert re.search(r"^  gdpr = yes", out, re.M)
    quote_lines = [line for line in out.splitlines() if "agreement with every school" in line]
    assert quote_lines and all(line.startswith("    ") for line in quote_lines), out


def test_stale_is_yes_or_no_never_python(shown):
    wide = run(shown.path, "tools", "show", "desmos", "--stale-days", "0", width=400).output
    assert "False" not in wide and "True" not in wide
    assert re.search(r"│ yes\s+│\s*$", wide, re.M)  # the stale column of the facts table


def test_compare_stacks_rather_than_truncating(shown):
    result = run(shown.path, "tools", "compare", "desmos", "kahoot", "padlet", "scratch")
    assert result.exit_code == 0, result.output
    comparison = compare_tools(shown, ["desmos", "kahoot", "padlet", "scratch"])
    tokens = {word for _, cells in comparison.rows for cell in cells for word in cell.split()}
    check_80_columns(result.output, tokens | set(comparison.tools))
    assert "   Kahoot!: teaching-learning (0.91," in result.output


def test_stats_headers_are_whole_at_80_columns(shown):
    result = run(shown.path, "stats")
    assert result.exit_code == 0, result.output
    check_80_columns(result.output, {*PURPOSES, *PEDAGOGIES, "unclassified", "quote-only"})
    wide = run(shown.path, "stats", width=200).output
    assert "social-constructivist" in wide.splitlines()[3]  # the grid's header row when room


def test_risk_card_wrapped_lines_keep_their_indent(shown):
    out = run(shown.path, "tools", "risk", "desmos").output
    check_80_columns(out, {"vendor-stated", LONG_URL})
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("   ask the supplier:"):
            following = lines[i + 1]
            assert following.startswith("   ") or not following.strip(), following


def _command_paths() -> list[list[str]]:
    """Every command and group, as the words that name it ([] is `edcat` itself)."""
    from typer.main import get_command

    def paths(command, path):
        yield path
        for name, sub in getattr(command, "commands", {}).items():
            yield from paths(sub, [*path, name])

    return list(paths(get_command(app), []))


def test_no_help_shows_bool_or_an_ellipsis():
    for path in _command_paths():
        out = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "80"}).output
        assert "<bool>" not in out and "…" not in out, " ".join(path) + "\n" + out
        assert max(len(line) for line in out.splitlines()) <= WIDTH


def test_help_paragraphs_are_not_ragged():
    """A paragraph wraps at the terminal, not where the docstring's source lines broke: no
    short line is followed by more of the same paragraph."""
    for path in _command_paths():
        out = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "80"}).output
        description = [line.strip() for line in out.split("╭")[0].splitlines()]
        for line, following in itertools.pairwise(description):
            ragged = following and 0 < len(line) < WIDTH // 2 and not line.startswith("Usage")
            assert not ragged, " ".join(path) + f": {line!r} then {following!r}"


def test_version():
    from importlib.metadata import version

    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"edcat {version('edcat')}"


# --- progress bars ----------------------------------------------------------------------------


def test_progress_only_on_a_terminal_and_not_with_quiet(monkeypatch, tmp_path):
    from cli.app import State

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert State(tmp_path).show_progress()
    assert not State(tmp_path, quiet=True).show_progress()
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    assert not State(tmp_path).show_progress()


def test_progress_bar_reports_and_a_disabled_one_is_silent(capsys):
    from cli.progress import progress_bar

    with progress_bar("working", enabled=False) as update:
        update(1, 2, "halfway")
    with progress_bar("working", enabled=True, unit="steps") as update:
        for done in range(3):
            update(done, 3)
    assert capsys.readouterr().out == ""  # bars go to stderr only


def test_training_reports_every_step(tmp_path):
    from classifier.training import load_labelled_set, train

    seen = []
    toy = Path(__file__).parent / "fixtures" / "labels" / "toy.csv"
    train(
        load_labelled_set([toy]),
        out=tmp_path,
        repeats=1,
        candidates=["word-lr", "word-char-lr"],
        progress=lambda *a: seen.append(a[:2]),
    )
    total = seen[0][1]
    assert total == 2 * (2 + 1) + 2 and seen[-1] == (total, total)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_classify_prints_no_progress_when_not_a_terminal(edcat):
    edcat("tools", "import", str(TOOLS / "small.csv"))
    result = edcat("classify")
    assert result.stderr == "" and "classified 4 tools" in result.stdout


# --- everyday commands ------------------------------------------------------------------------


def test_sort_descending(shown):
    names = [
        r["name"]
        for r in json.loads(
            run(shown.path, "tools", "list", "--format", "json", "--sort", "-name").output
        )
    ]
    assert names == sorted(names, key=str.lower, reverse=True)
    again = json.loads(
        run(shown.path, "tools", "list", "--format", "json", "--sort", "name", "--desc").output
    )
    assert [r["name"] for r in again] == names


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["tools", "list", "--pedagogy", "behaviorist"], "did you mean behaviourist?"),
        (["tools", "list", "--subject", "math"], "did you mean maths?"),
        (["tools", "list", "--phase", "math"], "maths is a subject value"),
        (["tools", "list", "--audience", "pupils"], "did you mean students?"),
        (["tools", "show", "kahot"], "did you mean kahoot?"),
        (["tools", "risk", "padlett"], "did you mean padlet?"),
    ],
)
def test_did_you_mean_is_one_clear_line(shown, args, hint):
    result = run(shown.path, *args)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and hint in lines[0], result.output


def orphans(db: Path) -> list[str]:
    """Rows whose foreign key points at nothing, and search rows without a tool."""
    with sqlite3.connect(db) as conn:
        broken = [str(row) for row in conn.execute("PRAGMA foreign_key_check")]
        broken += [
            f"fts {rowid}"
            for (rowid,) in conn.execute(
                "SELECT rowid FROM tools_fts WHERE rowid NOT IN (SELECT id FROM tools)"
            )
        ]
    return broken


def count(db: Path, sql: str, *params) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchone()[0]


def test_delete_tool_asks_then_cascades_without_orphans(shown):
    from catalogue.risk import review_answer
    from catalogue.shortlists import add_to_shortlist, create_shortlist

    create_shortlist(shown, "KS3")
    add_to_shortlist(shown, "KS3", ["desmos", "padlet"])
    review_answer(shown, "desmos", 4, "INSET in January")
    desmos = count(shown.path, "SELECT id FROM tools WHERE slug = 'desmos'")
    before = count(shown.path, "SELECT count(*) FROM tools")
    refused = run(shown.path, "tools", "delete", "desmos", input="n\n")
    assert refused.exit_code == 1 and count(shown.path, "SELECT count(*) FROM tools") == before
    assert "pages" in refused.output and "facts" in refused.output  # says what would go
    result = run(shown.path, "tools", "delete", "desmos", "--yes")
    assert result.exit_code == 0, result.output
    assert count(shown.path, "SELECT count(*) FROM tools") == before - 1
    for table in ("pages", "facts", "classifications", "labels", "reviews", "shortlist_tools"):
        assert count(shown.path, f"SELECT count(*) FROM {table} WHERE tool_id = ?", desmos) == 0
    assert count(shown.path, "SELECT count(*) FROM page_versions") == 0  # Desmos's only page
    assert orphans(shown.path) == []
    assert run(shown.path, "tools", "list", "--search", "graphing").output.count("Desmos") == 0
    assert count(shown.path, "SELECT count(*) FROM shortlist_tools") == 1  # Padlet stays


def test_delete_shortlist_keeps_its_tools(shown):
    from catalogue.shortlists import add_to_shortlist, create_shortlist

    create_shortlist(shown, "KS3")
    add_to_shortlist(shown, "KS3", ["padlet"])
    result = run(shown.path, "shortlist", "delete", "KS3", input="y\n")
    assert result.exit_code == 0, result.output
    assert count(shown.path, "SELECT count(*) FROM shortlists") == 0
    assert count(shown.path, "SELECT count(*) FROM shortlist_tools") == 0
    assert count(shown.path, "SELECT count(*) FROM tools WHERE slug = 'padlet'") == 1
    assert run(shown.path, "shortlist", "delete", "nope", "--yes").exit_code == 1


def test_delete_review_and_unset_label_fall_back(shown):
    from catalogue.risk import review_answer, risk_card

    review_answer(shown, "desmos", 4, "INSET in January")
    assert (
        run(shown.path, "tools", "delete-review", "desmos", "--question", "4", "--yes").exit_code
        == 0
    )
    assert risk_card(shown, "desmos").answers[3].status != "reviewed"
    assert (
        run(shown.path, "tools", "delete-review", "desmos", "--question", "4", "--yes").exit_code
        == 1
    )  # nothing left to withdraw

    def remind_pedagogy():
        rows = json.loads(
            run(shown.path, "tools", "list", "--search", "remind", "--format", "json").output
        )
        return rows[0]["pedagogy"], rows[0]["pedagogy_source"]

    assert remind_pedagogy() == ("none", "label")
    result = run(shown.path, "label", "unset", "remind", "--dimension", "pedagogy")
    assert result.exit_code == 0, result.output
    assert remind_pedagogy() == ("unclassified", None)
    assert count(shown.path, "SELECT count(*) FROM labels") == 1  # history kept
    assert run(shown.path, "label", "unset", "remind", "--dimension", "pedagogy").exit_code == 1


def test_tools_add_without_crawl_and_twice(tmp_path):
    db = tmp_path / "new.db"
    first = run(db, "tools", "add", "https://www.example-tool.org/", "--no-crawl")
    assert first.exit_code == 0, first.output
    assert "added example-tool.org" in first.output
    again = run(db, "tools", "add", "https://example-tool.org", "--no-crawl", "--name", "Other")
    assert "already in the catalogue" in again.output
    assert count(db, "SELECT count(*) FROM tools") == 1
    bad = run(db, "tools", "add", "ftp://example.org", "--no-crawl")
    assert bad.exit_code == 1 and "not an http(s) URL" in bad.output


@pytest.mark.slow
def test_tools_add_crawls_and_classifies_in_one_step(edcat, db_path):
    from crawl_sites import serve

    with serve("trusted-tutor") as [server]:
        result = edcat(
            "tools",
            "add",
            server.url(),
            "--name",
            "Trusted Tutor",
            "--allow-private",
            "--set",
            "DOWNLOAD_DELAY=0",
            "--set",
            "AUTOTHROTTLE_ENABLED=False",
        )
    assert "added Trusted Tutor" in result.stdout
    assert "1 of 1 tools visited" in result.stdout and "classified with model" in result.stdout
    assert count(db_path, "SELECT count(*) FROM pages") >= 2
    assert count(db_path, "SELECT count(DISTINCT dimension) FROM classifications") == 2
    assert count(db_path, "SELECT count(*) FROM facts WHERE field = 'gdpr'") >= 1


def test_crawl_progress_counts_sites_started_and_pages_stored():
    from cli.crawl import CrawlProgress
    from crawler.run import CrawlEvent

    updates = []
    progress = CrawlProgress(lambda *args: updates.append(args))
    progress(CrawlEvent("start", None, "", "3"))
    progress(CrawlEvent("page", 7, "https://a.example/", "home"))
    progress(CrawlEvent("page", 7, "https://a.example/pricing", "pricing"))
    progress(CrawlEvent("failure", 8, "https://b.example/", "http-404"))
    assert updates[0][:2] == (0, 3)
    assert updates[-1] == (2, 3, "crawling: 2 pages stored, 1 failed")


def test_an_empty_list_says_so(shown):
    out = run(shown.path, "tools", "list", "--fact", "gdpr=no").output
    assert out.startswith("no tools match")


def test_shortlist_show_sorts_and_fits_80_columns(shown):
    from catalogue.shortlists import add_to_shortlist, create_shortlist

    create_shortlist(shown, "KS3")
    add_to_shortlist(shown, "KS3", ["desmos", "padlet", "scratch"])
    out = run(shown.path, "shortlist", "show", "KS3", "--sort", "-name").output
    check_80_columns(out, {"individual-constructivist", "social-constructivist", "Scratch"})
    rows = [line for line in out.splitlines() if line.startswith("│ ") and line[2].isdigit()]
    assert [r.split("│")[2].strip() for r in rows] == ["Scratch", "Padlet", "Desmos"]


def test_label_suggest_splits_no_label_at_80_columns(small_catalogue):
    from classifier.labels import suggest

    _, suggestions = suggest(small_catalogue, 4, None)
    out = run(small_catalogue.path, "label", "suggest", "--n", "4").output
    tokens = {s.guesses[d][0] for s in suggestions for d in ("purpose", "pedagogy")}
    check_80_columns(out, tokens | {word for s in suggestions for word in s.name.split()})

"""`make demo`: the main job, offline, on bundled data, with a line saying what each step did.

Run as `python -m cli.demo [--db PATH] [--seed FILE] [--archive FILE]`. Every step runs the
same `edcat` command a user would type; a test runs this module on a small bundle so the demo
cannot silently rot.
"""

from __future__ import annotations

import argparse
import csv
import shlex
from dataclasses import dataclass
from pathlib import Path

from catalogue import open_catalogue
from catalogue.labels import match_tools
from cli.main import app
from cli.output import console

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "data" / "seed" / "tools.jsonl"
ARCHIVE = REPO / "data" / "archive" / "demo-sites.warc.gz"
ARCHIVE_TOOLS = REPO / "data" / "archive" / "tools.csv"
LABELS = REPO / "data" / "labels" / "starter.csv"
SHORTLIST = "Primary collaboration 2027"


@dataclass(frozen=True)
class Step:
    what: str
    args: tuple[str, ...]


def run(db: Path, step: Step) -> None:
    console.rule(f"[bold]{step.what}")
    console.print(f"$ edcat {shlex.join(step.args)}", style="dim")
    try:
        app(args=["--db", str(db), *step.args], prog_name="edcat", standalone_mode=False)
    except SystemExit as exit_:
        if exit_.code:
            raise


def import_steps(seed: Path, archive_tools: Path, labels: Path) -> list[Step]:
    return [
        Step(
            "1. Import the bundled catalogue of real education tools",
            ("tools", "import", str(seed)),
        ),
        Step(
            "2. Add the sites whose real pages are in the bundled archive",
            ("tools", "import", str(archive_tools)),
        ),
        Step(
            "2b. Import the shipped hand labels: a person's label beats the model's tag",
            ("label", "import", str(labels)),
        ),
    ]


def archived_tool_ids(db: Path, archive_tools: Path) -> list[str]:
    """The ids of the tools in the archive's tools.csv (names like "Kahoot!" are not unique)."""
    with archive_tools.open(encoding="utf-8") as handle:
        refs = [(row["url"], row["name"]) for row in csv.DictReader(handle)]
    catalogue = open_catalogue(db)
    try:
        return [str(match) for match in match_tools(catalogue, refs) if isinstance(match, int)]
    finally:
        catalogue.close()


def main_steps(archive: Path, crawled: list[str], out_dir: Path) -> list[Step]:
    """After the import: replay-crawl, classify, then each user's view."""
    pair = crawled[:2]
    return [
        Step(
            "3. Crawl them offline: every response is replayed from the WARC archive",
            ("crawl", "--replay", str(archive), *[a for t in crawled for a in ("--tool", t)]),
        ),
        Step(
            "4. Tag every tool with the shipped model (purpose, pedagogy, evidence)", ("classify",)
        ),
        Step("5. What the catalogue now holds", ("info",)),
        Step("5b. ...by purpose, pedagogy, pricing, phase and privacy facts", ("stats",)),
        Step(
            "6. Procurement lead: confident social-constructivist tools for students",
            (
                "tools",
                "list",
                "--purpose",
                "teaching-learning",
                "--pedagogy",
                "social-constructivist",
                "--audience",
                "students",
                "--min-confidence",
                "0.7",
                "--limit",
                "8",
            ),
        ),
        Step("7. ...shortlists two of the crawled tools", ("shortlist", "create", SHORTLIST)),
        Step("7b. (adding them)", ("shortlist", "add", SHORTLIST, *pair)),
        Step("8. ...reads a risk card, the starting point of a DPIA", ("tools", "risk", pair[0])),
        Step("9. ...and compares the two side by side", ("tools", "compare", *pair)),
        Step(
            "10. Researcher: the whole catalogue with provenance and a data dictionary",
            ("export", "--format", "parquet", "--out", str(out_dir / "edcat-export.parquet")),
        ),
        Step(
            "11. Maintainer: the unlabelled tools the model is least sure about",
            ("label", "suggest", "--n", "5"),
        ),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=REPO / "demo" / "edcat-demo.db")
    parser.add_argument("--seed", type=Path, default=SEED)
    parser.add_argument("--archive", type=Path, default=ARCHIVE)
    parser.add_argument("--archive-tools", type=Path, default=ARCHIVE_TOOLS)
    parser.add_argument("--labels", type=Path, default=LABELS)
    args = parser.parse_args(argv)
    args.db.parent.mkdir(parents=True, exist_ok=True)
    for stale in args.db.parent.glob(args.db.name + "*"):
        stale.unlink()  # the demo always starts from a fresh catalogue
    for step in import_steps(args.seed, args.archive_tools, args.labels):
        run(args.db, step)
    crawled = archived_tool_ids(args.db, args.archive_tools)
    for step in main_steps(args.archive, crawled, args.db.parent):
        run(args.db, step)
    console.rule("[bold]done")
    console.print(f"catalogue: {args.db}\ntry: .venv/bin/edcat --db {args.db} tools list --help")


if __name__ == "__main__":
    main()

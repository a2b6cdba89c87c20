"""`make demo`: the main job, offline, on bundled data, with a line saying what each step did.

Run as `python -m cli.demo [--db PATH]`. Each step calls the same `edcat` commands a user would.
"""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from cli.main import app
from cli.output import console

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "data" / "seed" / "tools.jsonl"


def run(db: Path, *args: str, what: str) -> None:
    console.rule(f"[bold]{what}")
    console.print(f"$ edcat {shlex.join(args)}", style="dim")
    try:
        app(args=["--db", str(db), *args], prog_name="edcat", standalone_mode=False)
    except SystemExit as exit_:
        if exit_.code:
            raise


def steps(db: Path, out_dir: Path) -> None:
    run(db, "tools", "import", str(SEED), what="1. Import the bundled catalogue of real tools")
    run(db, "stats", what="2. What the catalogue holds")
    run(
        db, "tools", "list", "--audience", "teachers", "--phase", "primary", "--pricing", "free",
        "--limit", "10", what="3. A procurement lead: free tools for primary teachers",
    )
    run(db, "tools", "list", "--search", "socratic tutor", "--limit", "5",
        what="4. Full-text search: who claims Socratic tutoring?")
    run(db, "tools", "show", "padlet", what="5. One tool's card")
    export = out_dir / "edcat-export.parquet"
    run(db, "export", "--format", "parquet", "--out", str(export),
        what="6. A researcher's export with provenance and a data dictionary")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=REPO / "demo" / "edcat-demo.db")
    args = parser.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    for stale in args.db.parent.glob(args.db.name + "*"):
        stale.unlink()  # the demo always starts from a fresh catalogue
    steps(args.db, args.db.parent)
    console.rule("[bold]done")
    console.print(f"catalogue: {args.db}  (try: edcat --db {args.db} tools list --help)")


if __name__ == "__main__":
    main()

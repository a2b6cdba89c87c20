"""The repository's documents cite only what a clone has: files in the repository, or public
sources by title and URL, never a path on the machine they were written on."""

from __future__ import annotations

import re

from tests.conftest import REPO

# ../shared/..., /work/..., or a bare shared/data, shared/seeds folder of the build machine
OUTSIDE = re.compile(r"(\.\./shared\b|/work/|(?<![\w-])shared/(data|seeds)\b)")
SKIP = {".venv", ".git", "node_modules", "edcat.egg-info"}


def documents() -> list:
    return [path for path in REPO.rglob("*.md") if not SKIP & set(path.relative_to(REPO).parts)]


def test_documents_cite_no_file_outside_the_repository():
    assert len(documents()) >= 5
    found = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in documents()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if OUTSIDE.search(line)
    ]
    assert found == []


def test_the_pattern_catches_what_it_is_for():
    for line in (
        "(`/work/shared/seeds/mat-ai-report-2024.txt`)",
        "from `../shared/data/html/`",
        "see shared/data/tools",
    ):
        assert OUTSIDE.search(line), line
    for line in ("a shared board", "`data/seed/tools.jsonl`", "<https://educateventures.com/x>"):
        assert not OUTSIDE.search(line), line

"""Shared fixtures: temporary catalogues, fixture files, and a runner for the real `edcat`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from catalogue import Catalogue, import_tools, open_catalogue

FIXTURES = Path(__file__).parent / "fixtures"
TOOLS = FIXTURES / "tools"
REPO = Path(__file__).parent.parent


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "catalogue.db"


@pytest.fixture
def catalogue(db_path: Path) -> Catalogue:
    opened = open_catalogue(db_path, create=True)
    yield opened
    opened.close()


@pytest.fixture
def small_catalogue(catalogue: Catalogue) -> Catalogue:
    """Four CSV tools and two JSON Lines tools, imported."""
    import_tools(catalogue, TOOLS / "small.csv")
    import_tools(catalogue, TOOLS / "small.jsonl")
    return catalogue


def edcat_command() -> list[str]:
    """The installed `edcat` script beside this Python, or the module as a fallback."""
    script = Path(sys.executable).with_name("edcat")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cli"]


@pytest.fixture
def edcat(db_path: Path):
    """Run the real `edcat` command in a subprocess against the temporary catalogue."""

    def run(*args: str, check: bool = True, env: dict | None = None, db: Path | None = None):
        full_env = {**os.environ, "EDCAT_DB": str(db or db_path), "COLUMNS": "200", **(env or {})}
        result = subprocess.run(
            [*edcat_command(), *args],
            capture_output=True,
            text=True,
            env=full_env,
            cwd=REPO,
            timeout=300,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"edcat {' '.join(args)} exited {result.returncode}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            )
        return result

    return run

"""Start-up cost: `edcat --help` and `edcat tools list` must not import the ORM or any heavy
library, and `tools show` not scrapy, sklearn or pandas. (Import checks, not timings: the
timings are in `python -m bench.bench_startup`.)"""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("scrapy", "sklearn", "pandas", "pyarrow", "twisted", "trafilatura")
ORM = ("sqlalchemy", "sqlmodel")  # (Typer 0.29 itself imports pydantic)

PROBE = """
import sys
from cli.main import app
try:
    app(args=sys.argv[1:], prog_name="edcat")
except SystemExit:
    pass
print("LOADED:" + ",".join(m for m in {heavy!r} if m in sys.modules))
"""


def loaded_modules(db, args: list[str], modules: tuple[str, ...]) -> tuple[str, str]:
    script = PROBE.format(heavy=modules)
    result = subprocess.run(
        [sys.executable, "-c", script, "--db", str(db), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.stdout.rsplit("LOADED:", 1)[-1].strip(), result.stdout + result.stderr


@pytest.mark.parametrize("args", [["tools", "list"], ["tools", "show", "kahoot"], ["--help"]])
def test_light_commands_do_not_import_heavy_libraries(small_catalogue, args):
    loaded, out = loaded_modules(small_catalogue.path, args, HEAVY)
    assert loaded == "", f"{' '.join(args)} imported {loaded}"
    assert "Kahoot" in out or args == ["--help"]


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["tools", "--help"],
        ["tools", "list", "--limit", "1"],
        ["tools", "list", "--search", "quiz", "--format", "json"],
        ["tools", "list", "--pedagogy", "behaviorist"],  # the error path too
    ],
)
def test_help_and_list_do_not_import_the_orm(small_catalogue, args):
    loaded, out = loaded_modules(small_catalogue.path, args, ORM + HEAVY)
    assert loaded == "", f"{' '.join(args)} imported {loaded}"
    assert out.replace("LOADED:", "").strip()  # it printed something


def test_importing_the_catalogue_package_does_not_import_the_orm():
    script = (
        "import sys, catalogue, catalogue.query\n"
        "from catalogue import ToolQuery, InvalidFilter\n"
        "print(','.join(m for m in ('sqlalchemy', 'sqlmodel') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_lazy_exports_still_resolve():
    import catalogue

    assert catalogue.open_catalogue.__module__ == "catalogue.db"
    assert catalogue.import_tools.__module__ == "catalogue.importer"
    with pytest.raises(AttributeError):
        catalogue.no_such_name  # noqa: B018


@pytest.mark.parametrize("columns", ["\u00b2", "eighty", ""])
def test_a_columns_variable_that_is_not_a_number_does_not_stop_start_up(columns):
    """rich reads $COLUMNS with str.isdigit(), which "²" passes and int() then fails on."""
    import os

    result = subprocess.run(
        [sys.executable, "-c", "from cli.main import app; app(args=['--help'], prog_name='edcat')"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": columns},
    )
    assert result.returncode == 0, result.stderr
    assert "Usage: edcat" in result.stdout

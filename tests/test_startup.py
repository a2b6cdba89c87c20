"""`edcat tools list` and `tools show` must not pay for scrapy, sklearn or pandas at start-up."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("scrapy", "sklearn", "pandas", "pyarrow", "twisted", "trafilatura")

PROBE = """
import sys
from cli.main import app
try:
    app(args=sys.argv[1:], prog_name="edcat")
except SystemExit:
    pass
print("LOADED:" + ",".join(m for m in {heavy!r} if m in sys.modules))
"""


@pytest.mark.parametrize("args", [["tools", "list"], ["tools", "show", "kahoot"], ["--help"]])
def test_light_commands_do_not_import_heavy_libraries(small_catalogue, args):
    script = PROBE.format(heavy=HEAVY)
    result = subprocess.run(
        [sys.executable, "-c", script, "--db", str(small_catalogue.path), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    loaded = result.stdout.rsplit("LOADED:", 1)[-1].strip()
    assert loaded == "", f"{' '.join(args)} imported {loaded}"
    assert "Kahoot" in result.stdout or args == ["--help"]

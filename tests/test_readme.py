"""The README's examples run: every `$ edcat ...` line of its ```console blocks is executed, in
order, by the real command on the catalogue `make demo` builds, and must exit 0 and print
something (or fill the file it redirects to).

A command whose line says `# needs the network` is skipped, and the test says which. So is
one that says `# takes minutes` (training a model: about three minutes on two cores), unless
EDCAT_README_ALL=1; `model train` itself is tested in test_classifier_cli.py on a toy set.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, edcat_command

pytestmark = pytest.mark.slow

README = REPO / "README.md"
NETWORK = "# needs the network"
MINUTES = "# takes minutes"


def readme_commands(text: str) -> list[str]:
    """The `$ edcat ...` commands of the ```console blocks, continuation lines joined."""
    commands = []
    for block in re.findall(r"^```console\n(.*?)^```", text, re.M | re.S):
        lines = block.splitlines()
        i = 0
        while i < len(lines):
            line = lines[i]
            if line.startswith("$ "):
                command = line[2:]
                while command.endswith("\\") and i + 1 < len(lines):
                    i += 1
                    command = command[:-1] + " " + lines[i].strip()
                commands.append(command)
            i += 1
    return commands


def test_readme_commands_are_found():
    commands = readme_commands(README.read_text(encoding="utf-8"))
    assert len(commands) >= 20 and all(c.startswith("edcat ") for c in commands)
    assert any(NETWORK in c for c in commands)
    assert not any("..." in c.split("#")[0] for c in commands)  # no placeholders


@pytest.fixture(scope="session")
def demo_catalogue(tmp_path_factory) -> Path:
    """The catalogue `make demo` builds (full seed, bundled archive, shipped model), once."""
    folder = tmp_path_factory.mktemp("readme-demo")
    db = folder / "edcat-demo.db"
    result = subprocess.run(
        [sys.executable, "-m", "cli.demo", "--db", str(db)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=900,
        env={**os.environ, "COLUMNS": "80", "HOME": str(folder)},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return db


def test_readme_examples_run_on_the_demo_catalogue(demo_catalogue, tmp_path):
    db = tmp_path / "catalogue.db"
    shutil.copy(demo_catalogue, db)
    (tmp_path / "data").symlink_to(REPO / "data")  # README paths are relative to the repo
    env = {
        **os.environ,
        "EDCAT_DB": str(db),
        "COLUMNS": "80",
        "HOME": str(tmp_path),
        "EDCAT_MODELS": str(tmp_path / "models"),
    }
    failures, skipped = [], []
    for command in readme_commands(README.read_text(encoding="utf-8")):
        if NETWORK in command or (MINUTES in command and not os.environ.get("EDCAT_README_ALL")):
            skipped.append(command)
            continue
        args = shlex.split(command, comments=True)[1:]
        target = None
        if ">" in args:
            at = args.index(">")
            args, target = args[:at], tmp_path / args[at + 1]
        result = subprocess.run(
            [*edcat_command(), *args],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            timeout=900,
        )
        output = (
            target.read_text(encoding="utf-8") if target and target.exists() else (result.stdout)
        )
        if result.returncode != 0 or not output.strip():
            failures.append(f"$ {command}\nexit {result.returncode}\n{result.stderr[-800:]}")
    print("skipped:", *skipped, sep="\n  ")
    assert not failures, "\n\n".join(failures)
    assert all(NETWORK in c or MINUTES in c for c in skipped)

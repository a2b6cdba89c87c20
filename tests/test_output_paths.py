"""`--out` replaces only a missing path or a regular file (catalogue/files.py)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from catalogue import CatalogueError
from catalogue.files import write_text_atomically


def test_a_regular_file_is_replaced_and_a_missing_one_created(tmp_path):
    existing = tmp_path / "old.md"
    existing.write_text("old")
    write_text_atomically(existing, "new")
    write_text_atomically(tmp_path / "fresh.md", "fresh")
    assert existing.read_text() == "new" and (tmp_path / "fresh.md").read_text() == "fresh"


def test_a_device_is_refused_and_left_a_device():
    with pytest.raises(CatalogueError, match="/dev/null is not a regular file"):
        write_text_atomically("/dev/null", "x")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_fifo_is_refused(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(CatalogueError, match="not a regular file"):
        write_text_atomically(fifo, "x")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


@pytest.mark.parametrize("target_exists", [True, False])
def test_a_symlink_is_refused_and_its_target_untouched(tmp_path, target_exists):
    target = tmp_path / "target.csv"
    if target_exists:
        target.write_text("keep")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    with pytest.raises(CatalogueError, match="is a symbolic link"):
        write_text_atomically(link, "x")
    assert link.is_symlink()
    assert (target.read_text() == "keep") if target_exists else not target.exists()


def test_a_directory_is_refused(tmp_path):
    with pytest.raises(CatalogueError, match="is a directory"):
        write_text_atomically(tmp_path, "x")


def test_cli_out_onto_a_device_or_symlink_is_one_line(small_catalogue, edcat, tmp_path):
    link = tmp_path / "export.csv"
    link.symlink_to(tmp_path / "elsewhere.csv")
    for out in ("/dev/null", str(link)):
        result = edcat("export", "--format", "csv", "--out", out, check=False)
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert not Path(tmp_path / "elsewhere.csv").exists()

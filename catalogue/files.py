"""Writing output files safely: checked paths, and never a half-written file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from catalogue.errors import CatalogueError


def check_output_path(path: Path) -> Path:
    """Raise a clear error for an output path that cannot be written; return it otherwise."""
    path = Path(path)
    if path.is_dir():
        raise CatalogueError(f"cannot write {path}: it is a directory")
    if not path.parent.exists():
        raise CatalogueError(f"cannot write {path}: folder {path.parent} does not exist")
    return path


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; move it into place only if the block succeeds."""
    path = check_output_path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomically(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")

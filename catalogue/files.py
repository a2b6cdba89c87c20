"""Output files: checked before any work is done, written atomically.

Every command that writes a file (export, shortlist export, label export, model predict) goes
through here: an output path must be in an existing folder (no folder is created) and must not
be a directory. The file is written to a temporary file in the same folder and moved
into place only when writing succeeded, so a failure never leaves a half-written file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from catalogue.errors import CatalogueError


def check_output_path(path: str | Path) -> Path:
    """Raise CatalogueError unless `path` can be written as a file; return it as a Path."""
    path = Path(path)
    if path.is_dir():
        raise CatalogueError(f"{path} is a directory")
    parent = path.parent
    if not parent.exists():
        raise CatalogueError(f"cannot write {path}: folder {parent} does not exist")
    if not parent.is_dir():
        raise CatalogueError(f"cannot write {path}: {parent} is not a folder")
    return path


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; move it onto `path` only if the block succeeds."""
    path = check_output_path(path)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise CatalogueError(f"cannot write {path}: {exc.strerror}") from None
    os.close(fd)
    tmp = Path(name)
    try:
        os.chmod(tmp, _file_mode(path))
        try:
            yield tmp
        except OSError as exc:  # disk full, quota...: while writing the temporary file
            if exc.filename not in (None, name, str(tmp)):
                raise
            raise CatalogueError(f"cannot write {path}: {exc.strerror or exc}") from None
        try:
            os.replace(tmp, path)
        except OSError as exc:
            raise CatalogueError(f"cannot write {path}: {exc.strerror}") from None
    finally:
        tmp.unlink(missing_ok=True)


def _file_mode(path: Path) -> int:
    """The mode a plain open() would give: the old file's, else 0o666 less the umask."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_text_atomically(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")

"""Files in and out: strict CSV and UTF-8 reading; output checked first, written atomically.

Every command that writes a file (export, shortlist export, label export, model predict) goes
through here: an output path must be in an existing folder (no folder is created) and must be
missing or a regular file (never a directory, device, FIFO or symbolic link). The file is
written to a temporary file in the same folder and moved into place only when writing
succeeded, so a failure never leaves a half-written file.
"""

from __future__ import annotations

import csv
import io
import os
import stat
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from catalogue.errors import CatalogueError, InvalidInput
from catalogue.escaping import csv_cell_read
from catalogue.settings import LIMITS

CsvRow = tuple[int, dict[str, str]]  # (row number as a spreadsheet shows it, record)


def read_utf8(path: Path) -> str:
    """A file's text; InvalidInput naming the file when it cannot be read or is not UTF-8."""
    try:
        size = Path(path).stat().st_size
        if size > LIMITS.max_file_bytes:
            limit = f"max_file_bytes={LIMITS.max_file_bytes:,}"
            raise InvalidInput(str(path), [f"{size:,} bytes, over the limit {limit}"])
        return Path(path).read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InvalidInput(str(path), [f"cannot read file: {exc.strerror}"]) from None
    except UnicodeDecodeError as exc:
        raise InvalidInput(str(path), [f"not UTF-8 text (byte {exc.start})"]) from None


def read_csv(path: Path, content: str) -> tuple[list[str], list[CsvRow], list[str]]:
    """Read CSV strictly: (header, rows, problems). Rows are numbered as a spreadsheet shows
    them (the header is row 1); a row with more fields than the header is a problem, and
    malformed CSV is a problem naming the row being read, after which reading stops."""
    problems: list[str] = []
    header, rows = stream_csv(path, io.StringIO(content, newline=""), problems)
    return header, list(rows), problems


def stream_csv(
    path: Path, handle: TextIO, problems: list[str]
) -> tuple[list[str], Iterator[CsvRow]]:
    """`read_csv` one row at a time from a text handle opened with newline="": the header,
    and the rows, appending each problem to `problems` as it is met."""
    # The importer checks field sizes itself, naming the limit, the same for CSV and JSON Lines;
    # csv's own (smaller, unnamed) limit would stop first.
    csv.field_size_limit(max(csv.field_size_limit(), LIMITS.max_file_bytes))
    reader = csv.DictReader(handle, strict=True)
    try:
        header = list(reader.fieldnames or [])
    except csv.Error as exc:
        raise InvalidInput(str(path), [f"row 1: malformed CSV ({exc})"]) from None
    return header, _csv_records(reader, problems)


def _csv_records(reader: csv.DictReader, problems: list[str]) -> Iterator[CsvRow]:
    number = 1
    try:
        for number, record in enumerate(reader, start=2):
            if None in record:
                problems.append(f"row {number}: more fields than the header has")
            else:
                yield number, {k: csv_cell_read(v) if v else v for k, v in record.items()}
    except csv.Error as exc:  # csv's line_num lags behind on an error within a line
        problems.append(f"row {number + 1}: malformed CSV ({exc})")


def require_columns(path: Path, header: list[str], required: Sequence[str]) -> None:
    missing = [c for c in required if c not in header]
    if missing:
        found = ", ".join(header) or "no header"
        raise InvalidInput(
            str(path), [f"header: missing column(s) {', '.join(missing)} (found: {found})"]
        )


def check_output_path(path: str | Path) -> Path:
    """Raise CatalogueError unless `path` can be written as a file; return it as a Path.

    Only a missing path or a regular file is replaced: the atomic rename would otherwise turn a
    device (`/dev/null`), a FIFO or a socket into a plain file, or replace a symbolic link
    instead of writing where it points."""
    path = Path(path)
    _require_replaceable(path)
    parent = path.parent
    if not parent.exists():
        raise CatalogueError(f"cannot write {path}: folder {parent} does not exist")
    if not parent.is_dir():
        raise CatalogueError(f"cannot write {path}: {parent} is not a folder")
    return path


def _require_replaceable(path: Path) -> None:
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise CatalogueError(f"cannot write {path}: {exc.strerror}") from None
    if stat.S_ISLNK(mode):
        raise CatalogueError(
            f"{path} is a symbolic link; edcat replaces only regular files (name the target)"
        )
    if stat.S_ISDIR(mode):
        raise CatalogueError(f"{path} is a directory")
    if not stat.S_ISREG(mode):
        raise CatalogueError(
            f"{path} is not a regular file (a device, FIFO or socket); edcat writes only "
            "regular files"
        )


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
        _require_replaceable(path)  # again: something may have appeared while writing
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

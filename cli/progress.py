"""Progress bars for the commands that can take more than a few seconds (classify, model train,
crawl, tools add).

The library functions take a plain callback; this module turns it into a rich bar on stderr,
shown only when stderr is a terminal and `--quiet` was not given, so pipes, files and tests see
nothing but the result. rich.progress is imported only when a bar is shown.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from cli.output import err_console

Update = Callable[..., None]  # update(done, total, description=None)


@contextmanager
def progress_bar(description: str, enabled: bool, unit: str = "") -> Iterator[Update]:
    """Yield `update(done, total, description=None)`; a no-op when not `enabled`.

    `total` may be None while it is not known yet (the bar then pulses)."""
    if not enabled:
        yield lambda *_args, **_kwargs: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn()]
    if unit:
        columns.append(TextColumn(unit))
    columns.append(TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True) as progress:
        task = progress.add_task(description, total=None)

        def update(done: int, total: int | None, text: str | None = None) -> None:
            progress.update(task, completed=done, total=total, description=text or description)

        yield update

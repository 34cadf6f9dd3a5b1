"""Rich progress bars on stderr for long commands (add, get, gc, verify)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

__all__ = ["Advance", "Bar", "progress_bar", "progress_option"]

#: Called with how much more work is done (bytes or items).
Advance = Callable[[int], None]


class Bar:
    """One bar: call it with how much more is done; :meth:`set_total` once that is known."""

    def __init__(self, progress: Any, task: Any) -> None:
        self._progress = progress
        self._task = task

    def __call__(self, amount: int) -> None:
        self._progress.advance(self._task, amount)

    def set_total(self, total: int) -> None:
        """The amount of work in all (until called, the bar shows no end)."""
        self._progress.update(self._task, total=total)


progress_option = click.option(
    "-p/-P",
    "--progress/--no-progress",
    default=None,
    help="Show a progress bar on stderr (default: when it is a terminal).",
)


@contextmanager
def progress_bar(
    show: bool | None, total: int | None, *, unit: str = "bytes", label: str = ""
) -> Iterator[Bar | None]:
    """A bar fed through the yielded callable, or ``None`` when not shown.

    ``show=None`` shows it when stderr is a terminal. ``unit`` is ``bytes`` (size,
    speed, time left) or anything else (a count: ``12/100 blocks``).
    """
    if show is None:
        show = sys.stderr.isatty()
    if not show:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    if unit == "bytes":
        columns: tuple[object, ...] = (DownloadColumn(), TransferSpeedColumn())
    else:
        columns = (MofNCompleteColumn(), TextColumn(unit))
    with Progress(
        TextColumn(label),
        BarColumn(),
        *columns,  # type: ignore[arg-type]
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        yield Bar(bar, bar.add_task(label, total=total))

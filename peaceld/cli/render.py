"""Shared output helpers for the CLI: rich tables on a terminal, plain text elsewhere."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text


def console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A table: boxed with rich on a terminal; tab-separated lines (a header line, then one
    line per row, nothing else) when piped, so the output loads as TSV."""
    out = console()
    if not out.is_terminal:
        lines = ["\t".join(columns), *("\t".join(str(c) for c in row) for row in rows)]
        out.file.write("".join(line + "\n" for line in lines))
        return
    table = Table(title=Text(title), title_justify="left")
    for i, col in enumerate(columns):
        table.add_column(Text(col), justify="right" if i and _numeric(rows, i) else "left")
    for row in rows:
        table.add_row(*(Text(str(c)) for c in row))  # data is text, never markup
    out.print(table)


def _numeric(rows: Sequence[Sequence[object]], i: int) -> bool:
    return bool(rows) and all(isinstance(r[i], int | float) for r in rows)


@contextlib.contextmanager
def progress_bar(what: str) -> Iterator[Callable[[int, int, str], None]]:
    """A progress bar on a terminal's stderr; silent when stderr is not a terminal.

    Yields ``advance(done, total, item)``."""
    err = console(stderr=True)
    if not err.is_terminal:
        yield lambda done, total, item: None
        return
    with Progress(TextColumn(what), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.description}", markup=False), console=err,
                  transient=True) as bar:
        task = bar.add_task("", total=None)

        def advance(done: int, total: int, item: str) -> None:
            bar.update(task, completed=done, total=total, description=item)

        yield advance

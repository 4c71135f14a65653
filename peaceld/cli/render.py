"""Shared output helpers for the CLI: rich tables on a terminal, plain text elsewhere.

Everything printed here that comes from data (labels, IRIs, file names, query results) is
made inert first: Rich markup is escaped, and terminal control characters (escape
sequences, carriage returns, bidirectional overrides) are shown as ``\\x1b``-style text, so
data can neither restyle nor clear the terminal, nor hide a link.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Sequence

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from ..errors import inert


def console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def safe(text: object) -> str:
    """``text`` ready to go inside Rich markup: control characters and markup escaped."""
    return escape(inert(str(text), keep=""))


def dim(message: object) -> str:
    """A progress line in dim markup, whatever the message holds."""
    return f"[dim]- {safe(message)}[/dim]"


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A table: boxed with rich on a terminal; tab-separated lines (a header line, then one
    line per row, nothing else) when piped, so the output loads as TSV."""
    out = console()
    if not out.is_terminal:
        lines = ["\t".join(inert(str(c), keep="") for c in columns),
                 *("\t".join(inert(str(c), keep="") for c in row) for row in rows)]
        out.file.write("".join(line + "\n" for line in lines))
        return
    table = Table(title=Text(inert(title, keep="")), title_justify="left")
    for i, col in enumerate(columns):
        table.add_column(Text(inert(str(col), keep="")),
                         justify="right" if i and _numeric(rows, i) else "left")
    for row in rows:
        table.add_row(*(Text(inert(str(c), keep="")) for c in row))
    out.print(table)


def write_data(payload: bytes) -> None:
    """Write a result (CSV, JSON, RDF...) to standard output as it is, unless standard
    output is a terminal: then control characters other than tab and newline are shown
    escaped instead of acting on the terminal."""
    if sys.stdout.isatty():
        text = payload.decode("utf-8", errors="replace")
        payload = inert(text, keep="\t\n").encode("utf-8")
    sys.stdout.flush()
    sys.stdout.buffer.write(payload)
    sys.stdout.buffer.flush()


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
            bar.update(task, completed=done, total=total, description=inert(item, keep=""))

        yield advance

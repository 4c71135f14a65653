"""Shared output helpers for the CLI: rich tables on a terminal, plain text elsewhere."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table


def console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A table: boxed with rich on a terminal, tab-separated lines when piped."""
    out = console()
    if not out.is_terminal:
        out.print(f"# {title}")
        out.print("\t".join(columns))
        for row in rows:
            out.print("\t".join(str(c) for c in row), markup=False)
        return
    table = Table(title=title, title_justify="left")
    for i, col in enumerate(columns):
        table.add_column(col, justify="right" if i and _numeric(rows, i) else "left")
    for row in rows:
        table.add_row(*(str(c) for c in row))
    out.print(table)


def _numeric(rows: Sequence[Sequence[object]], i: int) -> bool:
    return bool(rows) and all(isinstance(r[i], int | float) for r in rows)

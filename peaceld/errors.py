"""The one error type the CLI turns into a clean one-line message."""

from __future__ import annotations

import re
from pathlib import Path

#: Characters that act on a terminal: C0 and C1 controls, DEL, and the bidirectional
#: overrides that make text read differently from what it holds.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def inert(text: str, keep: str = "\n") -> str:
    """``text`` with every control character except those in ``keep`` shown as an escape
    (``\\x1b``, ``\\u202e``), so that printing it cannot act on a terminal."""

    def show(m: re.Match[str]) -> str:
        c = m.group()
        if c in keep:
            return c
        return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"

    return _CONTROL.sub(show, text)


class PeaceldError(Exception):
    """Bad input or an unusable resource: carries where (file, line, column) and what."""

    def __init__(
        self,
        message: str,
        file: str | Path | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.column = column

    @classmethod
    def syntax(cls, exc: SyntaxError, file: str | Path) -> PeaceldError:
        """An RDF parser's syntax error, at its line and column of ``file``."""
        what = str(exc.msg).replace("\r", "\\r").replace("\n", "\\n")  # one line
        return cls(f"syntax error: {what}", file=file, line=exc.lineno, column=exc.offset)

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        return inert(f"{where}{self.message}")

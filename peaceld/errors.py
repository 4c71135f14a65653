"""The one error type the CLI turns into a clean one-line message."""

from __future__ import annotations

from pathlib import Path


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
        return cls(f"syntax error: {exc.msg}", file=file, line=exc.lineno, column=exc.offset)

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        return f"{where}{self.message}"

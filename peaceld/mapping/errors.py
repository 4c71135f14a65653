"""The two errors of mapping: a value that cannot be mapped, and the list of input errors."""

from __future__ import annotations

import re

from ..errors import PeaceldError

#: Error lines shown before "and N more"; mapping stops after ERROR_STOP errors.
SHOW_ERRORS = 20
ERROR_STOP = 10000


class FieldError(Exception):
    """A value that cannot be mapped; the mapper adds file, line and column.

    ``empty`` marks a missing or empty value (a rule with ``skip_empty`` skips such rows);
    ``value`` is the offending text, used to find its column when ``field`` is unknown.
    """

    def __init__(self, message: str, field: str | None = None, empty: bool = False,
                 value: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.empty = empty
        self.value = value


_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")


def _shape(message: str) -> str:
    """A message with its quoted values blanked: errors of the same kind share a shape."""
    return _QUOTED.sub("…", message)


class MappingErrors(PeaceldError):
    """Input errors; ``str()`` gives the first few (distinct kinds first), then a count."""

    def __init__(self, errors: list[PeaceldError], stopped: bool = False) -> None:
        super().__init__(errors[0].message, errors[0].file, errors[0].line, errors[0].column)
        self.errors = errors
        self.stopped = stopped

    def __str__(self) -> str:
        shapes: dict[str, int] = {}
        for e in self.errors:
            key = _shape(e.message)
            shapes[key] = shapes.get(key, 0) + 1
        firsts, rest, seen = [], [], set()
        for e in self.errors:  # one of each kind first, so a flood of one hides nothing
            key = _shape(e.message)
            (rest if key in seen else firsts).append(e)
            seen.add(key)
        shown = (firsts + rest)[:SHOW_ERRORS]
        lines = [PeaceldError.__str__(e) for e in shown]
        more = len(self.errors) - len(shown)
        if more:
            lines.append(f"... and {more} more ({len(shapes)} distinct kinds of error"
                         f"{'; mapping stopped there' if self.stopped else ''})")
        return "\n".join(lines)

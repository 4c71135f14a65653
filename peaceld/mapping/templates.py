"""Templates: text with {field} placeholders, and the values of a record's fields as text."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import FieldError
from .terms import as_text

Values = dict[str, Any]


@dataclass
class Template:
    """A string with {field} placeholders; ``{{`` and ``}}`` are literal braces."""

    parts: list[tuple[bool, str]]  # (is_field, text)

    @classmethod
    def parse(cls, text: str) -> Template:
        parts: list[tuple[bool, str]] = []
        for m in re.finditer(r"\{\{|\}\}|\{([^{}]+)\}|[^{}]+|[{}]", text):
            tok = m.group(0)
            if tok in ("{{", "}}"):
                parts.append((False, tok[0]))
            elif m.group(1) is not None:
                parts.append((True, m.group(1).strip()))
            elif tok in ("{", "}"):
                raise ValueError(f"unbalanced brace in template {text!r}")
            else:
                parts.append((False, tok))
        return cls(parts)

    @property
    def fields(self) -> list[str]:
        return [t for is_field, t in self.parts if is_field]


def field_values(values: Values, name: str, required: bool) -> list[str] | None:
    """The value(s) of a field as strings; None if absent and optional."""
    v = values.get(name)
    if v is None or v == "" or v == []:
        if required:
            raise FieldError(f"missing required field {name!r}", name, empty=True)
        return None
    if isinstance(v, list):
        out = []
        for item in v:
            if isinstance(item, dict | list):
                raise FieldError(f"field {name!r} must be a value or a list of values", name)
            out.append(as_text(item))
        return out
    if isinstance(v, dict):
        raise FieldError(f"field {name!r} must be a value or a list of values, not a mapping",
                         name)
    return [as_text(v)]


def render(template: Template, values: Values, required: bool,
            piece: Callable[[str], str] | None) -> list[str] | None:
    """All strings a template yields (a list field multiplies them); None if a field is empty."""
    results = [""]
    for is_field, text in template.parts:
        if not is_field:
            results = [r + text for r in results]
            continue
        got = field_values(values, text, required)
        if got is None:
            return None
        if piece is not None:
            got = [piece(g) for g in got]
        results = [r + g for r in results for g in got]
    return results

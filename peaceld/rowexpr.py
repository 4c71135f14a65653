"""Small arithmetic and comparison expressions over the fields of a row.

Used by mappings for computed values (``expr: "Female + Male"``) and row checks
(``check: "Female + Male == Total"``). The language is a safe subset of Python expression
syntax: numbers, strings, field names, ``+ - * / %``, comparisons, ``and or not``, and the
functions ``abs``, ``min``, ``max``, ``round``. A field name that is not a Python identifier is
written in braces: ``{Staff Officers} + {Experts on Mission}``. Field values that read as
numbers are numbers (exact decimals); an empty field makes the whole expression empty.
"""

from __future__ import annotations

import ast
import re
from decimal import Decimal, InvalidOperation
from typing import Any

_ALLOWED = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Compare, ast.BoolOp, ast.Name,
            ast.Constant, ast.Load, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Mod, ast.USub,
            ast.UAdd, ast.Not, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.And,
            ast.Or, ast.Call)
_FUNCTIONS = {"abs": abs, "min": min, "max": max, "round": round}
_BRACED = re.compile(r"\{([^{}]+)\}")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


class Missing(Exception):
    """A field the expression needs is empty."""


class Expression:
    """A compiled expression; ``fields`` are the row fields it reads."""

    def __init__(self, text: str) -> None:
        self.text = str(text)
        names: dict[str, str] = {}

        def braced(m: re.Match[str]) -> str:
            name = m.group(1).strip()
            names.setdefault(f"_f{len(names)}", name)
            return next(k for k, v in names.items() if v == name)

        source = _BRACED.sub(braced, self.text)
        try:
            tree = ast.parse(source, mode="eval")
        except SyntaxError as exc:
            raise ValueError(f"expression {self.text!r}: {exc.msg}") from None
        for node in ast.walk(tree):
            if not isinstance(node, _ALLOWED):
                raise ValueError(f"expression {self.text!r}: {type(node).__name__} is not "
                                 "allowed (use fields, numbers, + - * / %, comparisons, "
                                 "and/or/not, abs/min/max/round)")
            if isinstance(node, ast.Call) and not (
                    isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS
                    and not node.keywords):
                raise ValueError(f"expression {self.text!r}: only abs, min, max and round "
                                 "can be called")
            if isinstance(node, ast.Constant) and not isinstance(node.value, int | float | str):
                raise ValueError(f"expression {self.text!r}: unsupported constant")
        called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call)
                  and isinstance(n.func, ast.Name)}
        self.names: dict[str, str] = {}  # Python name -> field, in reading order
        found = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id not in called]
        for node in sorted(found, key=lambda n: (n.lineno, n.col_offset)):
            self.names.setdefault(node.id, names.get(node.id, node.id))
        self.fields = list(dict.fromkeys(self.names.values()))
        self.code = compile(tree, f"<expression {self.text}>", "eval")

    def evaluate(self, values: dict[str, Any]) -> Any:
        """The value for a row; raises Missing if a field is empty, ValueError if it fails."""
        env: dict[str, Any] = dict(_FUNCTIONS)
        for name, field in self.names.items():
            env[name] = _value(values.get(field))
        try:
            return eval(self.code, {"__builtins__": {}}, env)  # noqa: S307 - vetted AST
        except (ArithmeticError, InvalidOperation):
            raise ValueError(f"{self.text!r} cannot be computed (division by zero?)") from None
        except TypeError:
            shown = ", ".join(f"{f}={values.get(f)!r}" for f in self.fields)
            raise ValueError(f"{self.text!r} mixes text and numbers ({shown})") from None

    def describe(self, values: dict[str, Any]) -> str:
        """The fields and their values, for an error message."""
        return ", ".join(f"{f}={values.get(f, '')}" for f in self.fields)


def _value(v: Any) -> Any:
    if v is None or v == "" or v == []:
        raise Missing
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float):
        return Decimal(str(v))
    text = str(v).strip()
    if _NUMBER.fullmatch(text):
        return Decimal(text)
    return text


def as_text(value: Any) -> str:
    """The text of a computed value: exact decimals without exponent or trailing zeros."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return str(value.quantize(Decimal(1)))
        return format(value.normalize(), "f")
    return str(value)

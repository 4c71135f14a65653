"""Logical constraints (SHACL 4.6): sh:not, sh:and, sh:or and sh:xone, as SPARQL expressions
over the conformance expressions of their shapes (which ``shape_based`` compiles)."""

from __future__ import annotations

from .model import Constraint


def negate(inner: str) -> str:
    """sh:not: the node does not conform to the shape of expression ``inner``."""
    return f"!({inner})"


def combine(kind: str, parts: list[str]) -> str:
    """sh:and, sh:or or sh:xone over the conformance expressions of the listed shapes."""
    if not parts:
        return {"and": "true", "or": "false", "xone": "false"}[kind]
    if kind == "xone":
        return "(" + " + ".join(f"IF({p}, 1, 0)" for p in parts) + ") = 1"
    return "(" + (" && " if kind == "and" else " || ").join(f"({p})" for p in parts) + ")"


def fails(c: Constraint) -> str:
    """The value node fails ``c``, whose argument is the expression it must satisfy."""
    return f"!({c.arg})"


KINDS = ("not", "and", "or", "xone")
VALUE_TESTS = dict.fromkeys(KINDS, fails)
COMPONENT = {"not": "NotConstraintComponent", "and": "AndConstraintComponent",
             "or": "OrConstraintComponent", "xone": "XoneConstraintComponent"}
MESSAGES = {"not": "value conforms to a shape it must not conform to",
            "and": "value does not conform to every listed shape",
            "or": "value conforms to none of the listed shapes",
            "xone": "value does not conform to exactly one of the listed shapes"}

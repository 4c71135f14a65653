"""Cardinality constraints (SHACL 4.2): sh:minCount and sh:maxCount."""

from __future__ import annotations

from .model import Constraint, integer


def min_count(focus: str, path: str | None, values: str, c: Constraint) -> tuple[str, bool]:
    return (f"SELECT ?this WHERE {{ {focus} OPTIONAL {{ ?this {path} ?v }} }} "
            f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) < {c.arg})", False)


def max_count(focus: str, path: str | None, values: str, c: Constraint) -> tuple[str, bool]:
    return (f"SELECT ?this WHERE {{ {focus} ?this {path} ?v }} "
            f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) > {c.arg})", False)


COMPILE = {"minCount": integer, "maxCount": integer}
QUERIES = {"minCount": min_count, "maxCount": max_count}
COMPONENT = {"minCount": "MinCountConstraintComponent", "maxCount": "MaxCountConstraintComponent"}
MESSAGES = {"minCount": "needs at least {arg} value(s)",
            "maxCount": "allows at most {arg} value(s)"}

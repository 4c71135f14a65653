"""Property pair constraints (SHACL 4.5): sh:equals, sh:disjoint, sh:lessThan and
sh:lessThanOrEquals."""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

from ..shapes import ShapesGraph
from .model import Constraint


def other_property(g: ShapesGraph, node: Any, kind: str, arg: Any) -> Constraint | str:
    return Constraint(kind, arg) if isinstance(arg, ox.NamedNode) else \
        f"sh:{kind} is not an IRI"


def equals_query(focus: str, path: str | None, values: str, c: Constraint
                 ) -> tuple[str, bool]:
    own = f"?this {path} ?value"
    return (f"SELECT DISTINCT ?this ?value WHERE {{ {focus} {{ {own} FILTER NOT EXISTS "
            f"{{ ?this {c.arg} ?value }} }} UNION {{ ?this {c.arg} ?value FILTER NOT EXISTS "
            f"{{ {own} }} }} }}", True)


def disjoint_query(focus: str, path: str | None, values: str, c: Constraint
                   ) -> tuple[str, bool]:
    return f"SELECT DISTINCT ?this ?value WHERE {{ {values} ?this {c.arg} ?value }}", True


def less_than_query(focus: str, path: str | None, values: str, c: Constraint
                    ) -> tuple[str, bool]:
    op = "<" if c.kind == "lessThan" else "<="
    return (f"SELECT DISTINCT ?this ?value ?other WHERE {{ {values} ?this {c.arg} ?other "
            f"FILTER (!COALESCE(?value {op} ?other, false)) }}", True)


KINDS = ("equals", "disjoint", "lessThan", "lessThanOrEquals")
COMPILE = dict.fromkeys(KINDS, other_property)
QUERIES = {"equals": equals_query, "disjoint": disjoint_query, "lessThan": less_than_query,
           "lessThanOrEquals": less_than_query}
COMPONENT = {"equals": "EqualsConstraintComponent", "disjoint": "DisjointConstraintComponent",
             "lessThan": "LessThanConstraintComponent",
             "lessThanOrEquals": "LessThanOrEqualsConstraintComponent"}
MESSAGES = {"equals": "values differ from those of {arg}", "disjoint": "value shared with {arg}",
            "lessThan": "value is not less than {arg}", "lessThanOrEquals": "value is above {arg}"}

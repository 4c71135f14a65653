"""Value range constraints (SHACL 4.3): sh:minInclusive, sh:maxInclusive, sh:minExclusive
and sh:maxExclusive."""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

from ..shapes import ShapesGraph
from .model import Constraint

OPERATORS = {"minInclusive": ">=", "maxInclusive": "<=", "minExclusive": ">",
             "maxExclusive": "<"}


def bound(g: ShapesGraph, node: Any, kind: str, arg: Any) -> Constraint | str:
    return Constraint(kind, arg) if isinstance(arg, ox.Literal) else \
        f"sh:{kind} is not a literal"


def range_test(c: Constraint) -> str:
    return f"!COALESCE(?value {OPERATORS[c.kind]} {c.arg}, false)"


COMPILE = dict.fromkeys(OPERATORS, bound)
VALUE_TESTS = dict.fromkeys(OPERATORS, range_test)
COMPONENT = {"minInclusive": "MinInclusiveConstraintComponent",
             "maxInclusive": "MaxInclusiveConstraintComponent",
             "minExclusive": "MinExclusiveConstraintComponent",
             "maxExclusive": "MaxExclusiveConstraintComponent"}
MESSAGES = {"minInclusive": "value is below {arg}", "maxInclusive": "value is above {arg}",
            "minExclusive": "value is not above {arg}",
            "maxExclusive": "value is not below {arg}"}

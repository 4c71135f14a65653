"""Other constraints (SHACL 4.8): sh:in, sh:hasValue, and sh:closed with
sh:ignoredProperties (read by ``compile_shapes``, checked by the query here)."""

from __future__ import annotations

from typing import Any

from ..report import short
from ..shapes import ShapesGraph
from .model import Constraint, NodeShape, any_term


def in_list(g: ShapesGraph, node: Any, kind: str, arg: Any) -> Constraint | str:
    members = g.items(arg)
    if members is None:
        return f"sh:{kind} is not a well-formed list"
    return Constraint(kind, members)


def in_test(c: Constraint) -> str:
    return "!(" + (" || ".join(f"sameTerm(?value, {a})" for a in c.arg) or "false") + ")"


def has_value_query(focus: str, path: str | None, values: str, c: Constraint
                    ) -> tuple[str, bool]:
    if path is None:
        return f"SELECT ?this WHERE {{ {focus} FILTER (!sameTerm(?this, {c.arg})) }}", False
    return (f"SELECT ?this WHERE {{ {focus} FILTER NOT EXISTS {{ ?this {path} {c.arg} }} }}",
            False)


def closed_query(focus: str, shape: NodeShape) -> str:
    """SPARQL returning ?this, ?p and ?value for each value of a property that the closed
    ``shape`` neither declares nor ignores."""
    allowed = {ps.path for ps in shape.properties if ps.path.startswith("<")} | \
        set(shape.ignored) | {str(ps.path) for ps in shape.properties}
    allowed_filter = " && ".join(f"?p != {a}" for a in sorted(allowed)
                                 if a.startswith("<")) or "true"
    return f"SELECT ?this ?p ?value WHERE {{ {focus} ?this ?p ?value FILTER ({allowed_filter}) }}"


def closed_message(predicate: str) -> str:
    return f"{short(predicate)} is not allowed here (closed shape)"


COMPILE = {"in": in_list, "hasValue": any_term}
VALUE_TESTS = {"in": in_test}
QUERIES = {"hasValue": has_value_query}
COMPONENT = {"in": "InConstraintComponent", "hasValue": "HasValueConstraintComponent",
             "closed": "ClosedConstraintComponent"}
MESSAGES = {"in": "value is not one of the allowed", "hasValue": "the value {arg} is missing"}

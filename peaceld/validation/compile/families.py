"""The constraint families that test values without nesting shapes, by parameter: how each
compiles, its FILTER test for a value node or its query, its SHACL component and its
default message. ``shape_based`` builds nested shapes out of these; ``compile`` adds the
shape-based and logical families to them."""

from __future__ import annotations

from typing import Any

from ..shapes import ShapesGraph
from . import cardinality, other, property_pair, string, value_range, value_type
from .model import Constraint

FAMILIES = (value_type, cardinality, value_range, string, property_pair, other)
COMPILE = {kind: fn for family in FAMILIES for kind, fn in family.COMPILE.items()}
VALUE_TESTS = {**value_type.VALUE_TESTS, **value_range.VALUE_TESTS, **string.VALUE_TESTS,
               **other.VALUE_TESTS}
QUERIES = {**cardinality.QUERIES, **string.QUERIES, **property_pair.QUERIES, **other.QUERIES}
COMPONENT = {kind: name for family in FAMILIES for kind, name in family.COMPONENT.items()}
MESSAGES = {kind: text for family in FAMILIES for kind, text in family.MESSAGES.items()}


def compile_constraint(g: ShapesGraph, node: Any, kind: str, arg: Any) -> Constraint | str:
    """A compiled constraint, or why it is delegated."""
    compile_one = COMPILE.get(kind)
    return compile_one(g, node, kind, arg) if compile_one else f"sh:{kind} is not compiled"


def value_test(c: Constraint) -> str | None:
    """A FILTER expression true for a value node ?value that violates ``c`` (constraints
    on single values), else None."""
    test = VALUE_TESTS.get(c.kind)
    return test(c) if test else None

"""Shape-based constraints (SHACL 4.7): sh:node, sh:property and qualified value shapes. A
nested shape compiles to one SPARQL expression true when a node conforms to it (built from
the value tests of ``families`` and the combinators of ``logical``), so that one query checks
every value node against the whole shape; sh:not, sh:and, sh:or and sh:xone compile here
for that reason."""

from __future__ import annotations

from typing import Any

from ..report import SH
from ..shapes import NON_CONSTRAINT, ShapesGraph, custom_component_used, is_true, sparql_path
from . import logical
from .families import compile_constraint, value_test
from .model import Constraint, int_arg

NESTING = ("node", "not", "and", "or", "xone")


def nested(g: ShapesGraph, node: Any, kind: str, arg: Any) -> Constraint | str:
    """sh:node, sh:not, sh:and, sh:or or sh:xone as one expression over ?value."""
    ctx = Nesting()
    expr = component_ok(g, node, kind, arg, "?value", ctx)
    if expr is None:
        return f"sh:{kind} with a nested shape the compiled engine does not evaluate"
    return Constraint(kind, expr, frozenset(ctx.predicates))


def qualified(g: ShapesGraph, ps: Any, key: str) -> Constraint | str:
    """sh:qualifiedMinCount / sh:qualifiedMaxCount (without sibling disjointness)."""
    counts, shapes = g.objects(ps, SH + key), g.objects(ps, SH + "qualifiedValueShape")
    if len(counts) != 1 or not int_arg(counts[0]) or len(shapes) != 1:
        return f"sh:{key} without one integer and one sh:qualifiedValueShape"
    if any(is_true(d) for d in g.objects(ps, SH + "qualifiedValueShapesDisjoint")):
        return "sh:qualifiedValueShapesDisjoint is not compiled"
    ctx = Nesting()
    expr = conforms(g, shapes[0], "?v", ctx)
    if expr is None:
        return "sh:qualifiedValueShape the compiled engine does not evaluate"
    return Constraint(key, (int(counts[0].value), expr), frozenset(ctx.predicates))


class Nesting:
    """State while compiling nested shapes: fresh variable names, the shapes on the way
    (recursion is refused), and the predicates read."""

    def __init__(self) -> None:
        self.n = 0
        self.stack: list[Any] = []
        self.predicates: set[str] = set()

    def var(self) -> str:
        self.n += 1
        return f"?nest{self.n}"


def component_ok(g: ShapesGraph, owner: Any, kind: str, arg: Any, var: str,
                  ctx: Nesting) -> str | None:
    """A SPARQL expression true when the node in ``var`` satisfies the node-level
    constraint ``kind arg`` (as a value node of a shape); None if not compilable."""
    if kind in ("node", "not"):
        inner = conforms(g, arg, var, ctx)
        return None if inner is None else inner if kind == "node" else logical.negate(inner)
    if kind in ("and", "or", "xone"):
        members = g.items(arg)
        if members is None:
            return None
        parts = [conforms(g, m, var, ctx) for m in members]
        if any(p is None for p in parts):
            return None
        return logical.combine(kind, parts)
    if kind == "hasValue":
        return f"sameTerm({var}, {arg})"
    if kind == "property":
        return conforms(g, arg, var, ctx)
    if kind in ("minCount", "maxCount", "uniqueLang", "equals", "disjoint", "lessThan",
                "lessThanOrEquals", "closed", "ignoredProperties", "sparql") or \
            kind.startswith("qualified"):
        return None
    c = compile_constraint(g, owner, kind, arg)
    if isinstance(c, str) or c.kind == "noop":
        return None if isinstance(c, str) else "true"
    test = value_test(c)
    return None if test is None else f"!({test.replace('?value', var)})"


def conforms(g: ShapesGraph, shape: Any, var: str, ctx: Nesting) -> str | None:
    """A SPARQL expression true when the node in ``var`` conforms to ``shape`` (node or
    property shape made of compilable constraints); None when it is not compilable."""
    if shape in ctx.stack or len(ctx.stack) > 8 or custom_component_used(g, shape):
        return None
    if is_true(g.one(shape, SH + "deactivated")):
        return "true"
    ctx.stack.append(shape)
    try:
        path_term = g.one(shape, SH + "path")
        path = None
        if path_term is not None:
            try:
                path = sparql_path(g, path_term, ctx.predicates)
            except ValueError:
                return None
        parts = []
        for key in sorted(g.shacl_keys(shape)):
            if key in NON_CONSTRAINT or key == "flags":
                continue
            for arg in g.objects(shape, SH + key):
                part = value_set_ok(g, shape, key, arg, var, path, ctx) if path else \
                    component_ok(g, shape, key, arg, var, ctx)
                if part is None:
                    return None
                parts.append(part)
        return "(" + " && ".join(f"({p})" for p in parts) + ")" if parts else "true"
    finally:
        ctx.stack.pop()


def value_set_ok(g: ShapesGraph, shape: Any, key: str, arg: Any, var: str, path: str,
                  ctx: Nesting) -> str | None:
    """The constraint ``key arg`` of a nested property shape, for the focus node in var."""
    v = ctx.var()
    if key in ("minCount", "maxCount"):
        if not int_arg(arg):
            return None
        n = int(arg.value)
        if key == "minCount":
            return "true" if n == 0 else f"EXISTS {{ {var} {path} {v} }}" if n == 1 else None
        if n == 0:
            return f"NOT EXISTS {{ {var} {path} {v} }}"
        w = ctx.var()
        return (f"NOT EXISTS {{ {var} {path} {v} . {var} {path} {w} "
                f"FILTER (!sameTerm({v}, {w})) }}") if n == 1 else None
    if key == "hasValue":
        return f"EXISTS {{ {var} {path} {arg} }}"
    ok = component_ok(g, shape, key, arg, v, ctx)
    if ok is None:
        return None
    return f"NOT EXISTS {{ {var} {path} {v} FILTER (!({ok})) }}"


def qualified_min_count(focus: str, path: str | None, values: str, c: Constraint
                        ) -> tuple[str, bool]:
    n, ok = c.arg
    return (f"SELECT ?this WHERE {{ {focus} OPTIONAL {{ ?this {path} ?v FILTER ({ok}) "
            f"}} }} GROUP BY ?this HAVING (COUNT(DISTINCT ?v) < {n})", False)


def qualified_max_count(focus: str, path: str | None, values: str, c: Constraint
                        ) -> tuple[str, bool]:
    n, ok = c.arg
    return (f"SELECT ?this WHERE {{ {focus} ?this {path} ?v FILTER ({ok}) }} "
            f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) > {n})", False)


COMPILE = dict.fromkeys(NESTING, nested)
VALUE_TESTS = {"node": logical.fails}
QUERIES = {"qualifiedMinCount": qualified_min_count, "qualifiedMaxCount": qualified_max_count}
COMPONENT = {"node": "NodeConstraintComponent",
             "qualifiedMinCount": "QualifiedMinCountConstraintComponent",
             "qualifiedMaxCount": "QualifiedMaxCountConstraintComponent"}
MESSAGES = {"node": "value does not conform to the nested shape",
            "qualifiedMinCount": "too few values conform to the qualified shape",
            "qualifiedMaxCount": "too many values conform to the qualified shape"}

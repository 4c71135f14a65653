"""Shapes compiled to SPARQL: which parameters compile where, and the registries of the
constraint families (one module each, as in SHACL section 4: ``value_type``, ``cardinality``,
``value_range``, ``string``, ``property_pair``, ``logical``, ``shape_based``, ``other``; and
``sparql`` for SHACL-SPARQL). To add a constraint: write its compiler and its value test (or
its query) in its family, add its component and default message there, and name it in
``NODE_COMPILED`` / ``PROPERTY_COMPILED`` (and ``BARE_KINDS`` or ``LEXICAL`` if it belongs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyoxigraph as ox

from ...errors import PeaceldError
from ..report import SH, short
from ..shapes import (
    NON_CONSTRAINT,
    ShapesGraph,
    is_true,
    message_of,
    severity_of,
    shapes_graph,
    sparql_path,
    target_patterns,
    top_level_shapes,
)
from . import families, logical, shape_based
from .model import Constraint, NodeShape, PropertyShape
from .shape_based import qualified
from .sparql import check_sparql_safety, compile_sparql

#: Constraint parameters the compiled engine evaluates, where they may appear.
NODE_COMPILED = {"class", "datatype", "nodeKind", "in", "pattern", "flags", "minInclusive",
                 "maxInclusive", "minExclusive", "maxExclusive", "minLength", "maxLength",
                 "hasValue", "languageIn", "closed", "ignoredProperties", "sparql", "node",
                 "not", "and", "or", "xone"}
PROPERTY_COMPILED = (NODE_COMPILED - {"closed", "ignoredProperties", "sparql"}) | {
    "minCount", "maxCount", "uniqueLang", "lessThan", "lessThanOrEquals", "equals", "disjoint",
    "qualifiedValueShape", "qualifiedMinCount", "qualifiedMaxCount",
    "qualifiedValueShapesDisjoint"}
#: Components whose nested shapes compile to one SPARQL expression (see conforms).
NESTED = {"node", "not", "and", "or", "xone", "qualifiedMinCount", "qualifiedMaxCount"}
#: Every SHACL Core and SPARQL constraint parameter; the ones the compiled engine does not
#: evaluate (sh:node, sh:and, qualified shapes, ...) are delegated to pySHACL.
CORE_PARAMETERS = PROPERTY_COMPILED | NODE_COMPILED | {
    "node", "property", "equals", "disjoint", "and", "or", "not", "xone", "qualifiedValueShape",
    "qualifiedMinCount", "qualifiedMaxCount", "qualifiedValueShapesDisjoint"}
#: Constraints whose result depends on the exact lexical form of a literal (Oxigraph stores
#: "01"^^xsd:integer as "1"): delegated when the data holds literals the store rewrites.
LEXICAL = {"in", "hasValue", "equals", "disjoint", "pattern", "minLength", "maxLength",
           "sparql"} | NESTED


BARE_SCAN_MIN = 5000
#: Constraints whose query needs the focus nodes only to filter its results (the callers keep
#: the results of focus nodes): with many focus nodes they scan the predicate instead.
BARE_KINDS = {"class", "datatype", "nodeKind", "in", "languageIn", "pattern", "minInclusive",
              "maxInclusive", "minExclusive", "maxExclusive", "minLength", "maxLength",
              "node", "not", "and", "or", "xone", "maxCount", "equals", "disjoint", "lessThan",
              "lessThanOrEquals", "uniqueLang", "qualifiedMaxCount"}


#: Per parameter: its query (for constraints without a value test), SHACL component (local
#: name in sh:) and default message, over every family.
QUERIES = {**families.QUERIES, **shape_based.QUERIES}
COMPONENT = {**families.COMPONENT, **logical.COMPONENT, **shape_based.COMPONENT}
DEFAULT_MESSAGES = {**families.MESSAGES, **logical.MESSAGES, **shape_based.MESSAGES}
NESTING_TESTS = {**logical.VALUE_TESTS, **shape_based.VALUE_TESTS}


def compile_constraint(g: ShapesGraph, node: Any, kind: str, arg: Any) -> Constraint | str:
    """A compiled constraint, or why it is delegated."""
    nesting = shape_based.COMPILE.get(kind)
    return nesting(g, node, kind, arg) if nesting else \
        families.compile_constraint(g, node, kind, arg)


def value_test(c: Constraint) -> str | None:
    """A FILTER expression true for a value node ?value that violates ``c`` (constraints
    on single values), else None."""
    nesting = NESTING_TESTS.get(c.kind)
    return nesting(c) if nesting else families.value_test(c)


def constraint_query(focus: str, path: str | None, c: Constraint) -> tuple[str, bool]:
    """SPARQL returning ?this (and ?value) for each violation; bool = has values. ``path``
    None: the constraint is on a node shape (the value node is the focus node). ``focus``
    "" (for BARE_KINDS on a one-step path): every subject, filtered by the caller."""
    values = f"{focus} ?this {path} ?value ." if path else f"{focus} BIND (?this AS ?value)"
    test = value_test(c)
    if test is not None:
        return f"SELECT DISTINCT ?this ?value WHERE {{ {values} FILTER ({test}) }}", True
    query = QUERIES.get(c.kind)
    if query is None:
        raise AssertionError(c.kind)
    return query(focus, path, values, c)


def read_shapes(files: list[Path], base: str | None = None) -> ShapesGraph:
    """The shapes graph of these files, its SPARQL checked before anything runs."""
    graph = shapes_graph(files, base)
    for f in files:
        check_sparql_safety(graph, str(f))
    return graph


def property_shape(g: ShapesGraph, ps: Any) -> PropertyShape | str:
    path_term = g.one(ps, SH + "path")
    if path_term is None or len(g.objects(ps, SH + "path")) != 1:
        return "a property shape needs one sh:path"
    predicates: set[str] = set()
    try:
        path = sparql_path(g, path_term, predicates)
    except ValueError as exc:
        return str(exc)
    constraints = []
    for key in sorted(g.shacl_keys(ps)):
        if key in NON_CONSTRAINT or key == "flags":
            continue
        if key not in PROPERTY_COMPILED:
            return f"sh:{key} is not compiled"
        if key.startswith("qualified"):
            if key in ("qualifiedMinCount", "qualifiedMaxCount"):
                c = qualified(g, ps, key)
                if isinstance(c, str):
                    return c
                constraints.append(c)
            continue
        for arg in g.objects(ps, SH + key):
            c = compile_constraint(g, ps, key, arg)
            if isinstance(c, str):
                return c
            if c.kind != "noop":
                constraints.append(c)
    return PropertyShape(g.name(ps), path, constraints, severity_of(g, ps), message_of(g, ps),
                         predicates, ps)


def load_shapes(files: list[Path], base: str | None = None) -> list[NodeShape]:
    """Parse shape files (hardened like data) into the structures the engine runs."""
    graph = read_shapes(files, base)
    return compile_shapes(graph)


def compile_shapes(g: ShapesGraph) -> list[NodeShape]:
    """Every targeted shape: what the compiled engine runs, and what it hands to pySHACL."""
    shapes = []
    custom = g.custom
    advanced = sorted({t.predicate.value[len(SH):] for t in g.triples
                       if t.predicate.value in (SH + "target", SH + "rule")})
    if advanced:  # SHACL Advanced Features: neither engine here evaluates them; say so
        raise PeaceldError(f"the shapes use sh:{advanced[0]} (SHACL Advanced Features), which "
                           "peaceld does not evaluate")
    for node in top_level_shapes(g):
        if is_true(g.one(node, SH + "deactivated")):
            continue
        targets, target_predicates = target_patterns(g, node)
        uses_custom = any(t.predicate.value in custom for n in [node, *g.objects(
            node, SH + "property")] for t in g.by_s.get(n, []))
        shape = NodeShape(g.name(node), targets, [], [], False, [], severity_of(g, node),
                          message_of(g, node), [], target_predicates, term=node)
        shapes.append(shape)
        if uses_custom:
            shape.whole_delegated = "uses a SPARQL-based constraint component"
            continue
        if g.one(node, SH + "path") is not None:  # a property shape with targets
            ps = property_shape(g, node)
            if isinstance(ps, str):
                shape.whole_delegated = ps
            else:
                shape.properties.append(ps)
            continue
        why = None
        for key in sorted(g.shacl_keys(node)):
            if key in NON_CONSTRAINT or key in ("flags", "property"):
                continue
            if key not in NODE_COMPILED:
                why = f"sh:{key} is not compiled"
                break
            if key in ("closed", "ignoredProperties"):
                continue
            for arg in g.objects(node, SH + key):
                if key == "sparql":
                    sc = compile_sparql(g, arg, shape.severity)
                    if isinstance(sc, str):
                        why = sc
                    elif sc is not None:
                        shape.sparql.append(sc)
                    continue
                c = compile_constraint(g, node, key, arg)
                if isinstance(c, str):
                    why = c
                elif c.kind != "noop":
                    shape.node_constraints.append(c)
        closed = g.objects(node, SH + "closed")
        shape.closed = any(is_true(c) for c in closed)
        ignored = g.one(node, SH + "ignoredProperties")
        if ignored is not None:
            members = g.items(ignored)
            if members is None:
                why = "sh:ignoredProperties is not a well-formed list"
            else:
                shape.ignored = [str(t) for t in members]
        if why:
            shape.whole_delegated = why
            continue
        for ps in g.objects(node, SH + "property"):
            if is_true(g.one(ps, SH + "deactivated")):
                if shape.closed:  # its path still counts for sh:closed
                    shape.properties.append(PropertyShape(
                        g.name(ps), str(g.one(ps, SH + "path")), [], "Violation", ""))
                continue
            compiled = property_shape(g, ps)
            if isinstance(compiled, str):
                if shape.closed:
                    shape.whole_delegated = compiled
                    break
                shape.delegated.append((ps, compiled))
                shape.delegated_names[ps] = g.name(ps)
            else:
                shape.properties.append(compiled)
    return shapes


def focus_pattern(shape: NodeShape) -> str:
    union = " UNION ".join(f"{{ {t} }}" for t in shape.targets) or "FILTER (false)"
    return f"{{ SELECT DISTINCT ?this WHERE {{ {union} }} }}"


def default_message(c: Constraint) -> str:
    arg = c.arg
    shown = short(str(arg)) if isinstance(arg, ox.NamedNode | ox.Literal) else \
        "" if c.kind in NESTED else str(arg)
    return DEFAULT_MESSAGES[c.kind].format(arg=shown)

"""The compiled forms the engine runs: a ``Constraint``, a ``PropertyShape`` and a
``NodeShape`` (with what it hands to pySHACL), and what every family's compiler shares."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from ..shapes import ShapesGraph
from .sparql import SparqlConstraint


@dataclass
class Constraint:
    """One compiled constraint of a shape: its parameter and argument (for sh:node, sh:not,
    sh:and, sh:or, sh:xone and qualified shapes: a SPARQL expression) and the predicates
    nested shapes read."""

    kind: str
    arg: Any
    touches: frozenset[str] = frozenset()


@dataclass
class PropertyShape:
    node: str  # N-Triples form of the shape node
    path: str  # SPARQL path expression (also how reports name the path)
    constraints: list[Constraint]
    severity: str
    message: str
    predicates: set[str] = field(default_factory=set)  # IRIs the path walks
    term: Any = None


@dataclass
class NodeShape:
    """A shape with targets, compiled; ``delegated`` lists what pySHACL must check."""

    node: str
    targets: list[str]  # SPARQL group patterns binding ?this
    properties: list[PropertyShape]
    sparql: list[SparqlConstraint]
    closed: bool
    ignored: list[str]
    severity: str
    message: str
    node_constraints: list[Constraint]
    target_predicates: set[str] = field(default_factory=set)
    whole_delegated: str | None = None  # why the whole shape goes to pySHACL
    delegated: list[tuple[Any, str]] = field(default_factory=list)  # (property shape, why)
    delegated_names: dict[Any, str] = field(default_factory=dict)
    term: Any = None


def int_arg(term: Any) -> bool:
    return isinstance(term, ox.Literal) and re.fullmatch(r"\+?[0-9]+", term.value) is not None


def integer(g: ShapesGraph, node: Any, kind: str, arg: Any) -> Constraint | str:
    """A constraint whose argument is a non-negative integer (counts, lengths)."""
    return Constraint(kind, int(arg.value)) if int_arg(arg) else f"sh:{kind} is not an integer"


def any_term(g: ShapesGraph, node: Any, kind: str, arg: Any) -> Constraint | str:
    """A constraint that takes its argument as it is (sh:class, sh:hasValue)."""
    return Constraint(kind, arg)

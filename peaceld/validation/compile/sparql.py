"""SHACL-SPARQL constraints (SHACL 5): compiled to one query when they allow it, run with
pre-bound variables ($this, $currentShape, $shapesGraph) otherwise, and refused before
anything runs when their text uses what pre-binding does not allow."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from ...errors import PeaceldError
from ...namespaces import PREFIXES
from ..report import SH
from ..shapes import ShapesGraph, is_true, message_of

XSD = PREFIXES["xsd"]
FORBIDDEN_SPARQL = re.compile(r"(?<![?$:\w])(MINUS|VALUES|SERVICE)\b|\bAS\s*[?$](this|"
                              r"shapesGraph|currentShape)\b", re.I)
FORBIDDEN_IN_ASK = re.compile(r"\bAS\s*[?$]value\b", re.I)


@dataclass
class SparqlConstraint:
    select: str
    message: str
    severity: str
    prebound: tuple[str, ...] = ()  # "shapesGraph" and/or "currentShape", when used
    per_focus: bool = False  # $this pre-bound, one query per focus node
    node: str = ""  # the sh:sparql node (N-Triples), the results' sh:sourceConstraint

    def predicates(self) -> set[str] | None:
        """The IRIs the query mentions; None when a triple pattern may have a variable
        predicate (then any predicate's values may reach it)."""
        code = _sparql_code(self.select)
        where = code[code.upper().find("WHERE"):] if "WHERE" in code.upper() else code
        if re.search(r"[?$]\w+\s+[?$]\w+|;\s*[?$]\w+", where):  # "?p ?o", "; ?p"
            return None
        prefixes = dict(re.findall(r"PREFIX\s+([\w-]*):\s*<([^>]*)>", self.select, re.I))
        iris = set(re.findall(r"<([^<>\s]*)>", self.select))
        for prefix, local in re.findall(r"(?<![\w?$<])([A-Za-z][\w-]*|):([\w-]+)", where):
            if prefix in prefixes:
                iris.add(prefixes[prefix] + local)
        return iris


def compile_sparql(g: ShapesGraph, sc: Any, severity: str) -> SparqlConstraint | str | None:
    """A SPARQL constraint the compiled engine can run as one query, or why not."""
    if is_true(g.one(sc, SH + "deactivated")):
        return None
    select = g.one(sc, SH + "select")
    if not isinstance(select, ox.Literal):
        return "SPARQL constraint without one sh:select"
    text = _sparql_code(select.value)
    if re.search(r"\$(?!(?:this|shapesGraph|currentShape)\b)\w+", text) or \
            text.upper().count("SELECT") != 1:
        return "SPARQL constraint uses pre-bound variables besides $this"
    prebound = tuple(sorted({m.group(1) for m in re.finditer(
        r"[?$](shapesGraph|currentShape)\b", text)}))
    body = text[text.find("{", text.upper().find("WHERE")) + 1:] if "WHERE" in text.upper() \
        else text[text.find("{") + 1:]
    groups: list[bool] = []  # per open brace: is it an EXISTS group?
    parens, top_level_this, why = 0, False, None
    for m in re.finditer(r"EXISTS\s*\{|[{}()]|[?$]this\b", body, re.I):
        token = m.group(0)
        if token.endswith("{"):
            groups.append(token != "{")
        elif token == "}":
            if groups:
                groups.pop()
        elif token == "(":
            parens += 1
        elif token == ")":
            parens -= 1
        elif not all(groups):
            why = "SPARQL constraint uses $this inside a nested group"
            break
        elif not groups and parens == 0:
            top_level_this = True
    why = None if top_level_this else \
        "SPARQL constraint binds $this only inside a filter or a nested group"
    if why is not None and not prebound:
        return why
    # $this bound only inside a group: pre-bound per focus node (with the shapes graph's
    # variables, which pySHACL does not support), instead of one query for all
    per_focus = why is not None
    prefixes = ""
    owners, todo = [], list(g.objects(sc, SH + "prefixes"))
    while todo:  # sh:prefixes, and what those ontologies import (in the shapes graph only)
        owner = todo.pop(0)
        if owner in owners or len(owners) > 1000:
            continue
        owners.append(owner)
        todo += g.objects(owner, "http://www.w3.org/2002/07/owl#imports")
    for owner in owners:
        for decl in g.objects(owner, SH + "declare"):
            prefix, namespace = g.one(decl, SH + "prefix"), g.one(decl, SH + "namespace")
            if prefix is None or namespace is None:
                return "malformed sh:declare"
            prefixes += f"PREFIX {prefix.value}: <{namespace.value}>\n"
    if "PREFIX xsd:" not in prefixes:  # as rdflib (and so pySHACL) binds it by default
        prefixes += f"PREFIX xsd: <{XSD}>\n"
    message = message_of(g, sc)
    names = (("this",) if per_focus else ()) + prebound
    query = _project(select.value, names) if names else select.value
    return SparqlConstraint(prefixes + query, message, severity, prebound, per_focus,
                            g.constraint_name(sc))


def _project(query: str, names: tuple[str, ...]) -> str:
    """The query with ``names`` added to its (outer) projection and GROUP BY, so that
    Oxigraph's ``substitutions=`` can pre-bind them (it only substitutes projected
    variables; constant extra columns change neither the rows nor their grouping)."""
    masked = _mask(query)
    select = re.search(r"\bSELECT\b(?:\s+(?:DISTINCT|REDUCED)\b)?", masked, re.I)
    if select is None:
        return query
    end = re.compile(r"\bWHERE\b|\{", re.I).search(masked, select.end())
    if end is None:
        return query
    projection = masked[select.end():end.start()]
    names = tuple(n for n in names if not re.search(rf"[?$]{n}\b", projection))
    if not names:
        return query
    extra = " ".join(f"?{n}" for n in names)
    if projection.strip() == "*":
        out = query
    else:
        out = query[:end.start()] + f" {extra} " + query[end.start():]
        masked = masked[:end.start()] + f" {extra} " + masked[end.start():]
    depth, last = 0, 0
    for i, ch in enumerate(masked):  # the outer GROUP BY comes after the last closing brace
        depth += ch == "{"
        depth -= ch == "}"
        if ch == "}" and depth == 0:
            last = i
    group = re.compile(r"\bGROUP\s+BY\b", re.I).search(masked, last)
    if group is not None:
        out = out[:group.end()] + f" {extra}" + out[group.end():]
    return out


#: What is not SPARQL code: strings (long and short), IRIs and comments.
_STRING = re.compile(r'"""(?:.|\n)*?"""|\'\'\'(?:.|\n)*?\'\'\'|"(?:[^"\\\n]|\\.)*"|'
                     r"'(?:[^'\\\n]|\\.)*'")
_IRI = re.compile(r"<[^<>\"{}|^`\\\s]*>")
_COMMENT = re.compile(r"#[^\n]*")
_NOT_CODE = re.compile("|".join(p.pattern for p in (_STRING, _IRI, _COMMENT)))


def _mask(query: str) -> str:
    """The query with its strings, IRIs and comments blanked to spaces (same length, so
    positions found in the mask are positions in the query)."""
    return _NOT_CODE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), query)


def _sparql_code(query: str) -> str:
    """The query without its strings, IRIs and comments (what keywords are searched in)."""
    return _COMMENT.sub("", _IRI.sub("<>", _STRING.sub('""', query)))


def check_sparql_safety(g: ShapesGraph, where: str) -> None:
    """Refuse SHACL-SPARQL that pre-binding does not allow (MINUS, VALUES, SERVICE,
    sub-queries, AS ?this, ...): for either engine, before anything runs (SERVICE would
    make a request)."""
    for key in ("select", "ask"):
        for q in g.triples:
            if q.predicate.value != SH + key or not isinstance(q.object, ox.Literal):
                continue
            code = _sparql_code(q.object.value)
            m = FORBIDDEN_SPARQL.search(code) or (
                FORBIDDEN_IN_ASK.search(code) if key == "ask" else None)
            projections = re.findall(r"\bSELECT\b(.*?)(?:\bWHERE\b|\{)", code, re.I | re.S)
            nested = projections[1:] if key == "select" else projections
            if m or any(not re.search(r"[?$]this\b", p) for p in nested):
                what = m.group(0).split()[0].upper() if m else \
                    "a sub-query that does not project $this"
                raise PeaceldError(f"the SPARQL of shape {_label(g, q.subject)} uses {what}, "
                                   "which SHACL-SPARQL does not allow", file=where)


def _label(g: ShapesGraph, node: Any) -> str:
    return str(node) if isinstance(node, ox.NamedNode) else "(a blank node)"


def fill_message(message: str, row: Any, variables: list[str]) -> str:
    def sub(m: re.Match) -> str:
        name = m.group(1)
        if name in variables and row[name] is not None:
            return row[name].value
        return m.group(0)

    return re.sub(r"\{[?$]([A-Za-z_][A-Za-z0-9_]*)\}", sub, message)


def prebound_query(store: ox.Store, select: str, shape: Any,
                    shapes_graph: Iterable[ox.Triple], focus: list[Any] | None = None
                    ) -> tuple[list[str], list[Any]]:
    """Run a SPARQL constraint with pre-bound variables (SHACL-SPARQL 5.3.1): once, or once
    per node of ``focus`` with ``$this`` bound to it; ``$currentShape`` is ``shape``, and for
    ``$shapesGraph`` the shapes graph is added to the store as a named graph while these
    queries run (the data stays the default graph, as the union of its own graphs).
    Returns the query's variables and every solution."""
    names = set(re.findall(r"\?(shapesGraph|currentShape)\b", select))
    bindings: dict[Any, Any] = {}
    if "currentShape" in names:
        bindings[ox.Variable("currentShape")] = shape
    options: dict[str, Any] = {"use_default_graph_as_union": True}
    name = None
    if "shapesGraph" in names:
        data_graphs = list(store.named_graphs())
        name = ox.NamedNode(f"urn:peaceld:shapes-graph:{uuid.uuid4()}")
        bindings[ox.Variable("shapesGraph")] = name
        options = {"default_graph": [ox.DefaultGraph(), *data_graphs],
                   "named_graphs": [*data_graphs, name]}
        store.extend([ox.Quad(t.subject, t.predicate, t.object, name) for t in shapes_graph])
    variables: list[str] = []
    rows: list[Any] = []
    try:
        for this in [None] if focus is None else focus:
            if this is not None:
                bindings[ox.Variable("this")] = this
            solutions = store.query(select, substitutions=bindings, **options)
            variables = [v.value for v in solutions.variables]
            rows += solutions
    finally:
        if name is not None:
            store.remove_graph(name)
    return variables, rows

"""Validate RDF against SHACL shapes and the ontology; returns a report object.

The default engine compiles the SHACL Core constraints our shapes use (targets, minCount,
maxCount, datatype, class, nodeKind, in, pattern, min/max inclusive/exclusive, min/max
length, hasValue, closed) and SHACL-SPARQL constraints into SPARQL queries, and runs them on
Oxigraph: one query per constraint over the whole graph instead of one check per focus
node. Findings are the same as pySHACL's on the same shapes and data (a test compares
them); ``engine="pyshacl"`` runs pySHACL itself for shapes that use other features.

Input is never trusted: files are parsed by Oxigraph, which fetches nothing (no remote
JSON-LD contexts, no RDF/XML external entities), ``owl:imports`` is never followed, and
inputs over the size limit are refused.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import re
import tempfile
import uuid
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from itertools import chain
from pathlib import Path
from typing import Any
from urllib.parse import urljoin
from xml.sax.saxutils import escape as xml_escape

import pyoxigraph as ox

from .errors import PeaceldError
from .mapper import FieldError, Mapper, map_files, open_mapping
from .namespaces import CONCEPT, PLD, PREFIXES, all_prefixes, curie
from .rdfio import load_ontology, open_input, parse_input
from .records import read_records

SH = PREFIXES["sh"]
PLS = "https://w3id.org/peaceld/shapes#"
RDF, RDFS, XSD = PREFIXES["rdf"], PREFIXES["rdfs"], PREFIXES["xsd"]
SEVERITIES = {SH + "Violation": "Violation", SH + "Warning": "Warning", SH + "Info": "Info"}
RANK = {"Violation": 3, "Warning": 2, "Info": 1}
MEMORY_STORE_MAX_BYTES = 256 << 20  # larger inputs are validated in an on-disk store
LOAD_BLOCK = 100_000  # quads per bulk load into the store


@dataclass(frozen=True)
class Finding:
    """One validation result, as in a SHACL validation report."""

    severity: str
    focus: str
    path: str | None
    value: str | None
    shape: str
    component: str
    message: str
    file: str | None = None
    line: int | None = None

    def key(self) -> tuple:
        """What two engines must agree on: shape blank-node labels differ between them, and
        a number may come back in canonical form ("134.0" and "134" are one xsd:decimal)."""
        return (self.severity, self.focus, self.path, _canonical(self.value), self.component)


def rank(severity: str) -> int:
    """Violation 3, Warning 2, Info 1; a custom severity (an IRI) ranks as a violation."""
    return RANK.get(severity, 3)


@dataclass
class ValidationReport:
    findings: list[Finding] = field(default_factory=list)
    focus_nodes: int = 0
    triples: int = 0
    engine: str = "peaceld"
    delegated: list[str] = field(default_factory=list)  # what pySHACL checked, and why

    @property
    def conforms(self) -> bool:
        """No finding of severity Violation (or a custom severity): what a curator needs."""
        return not any(rank(f.severity) == 3 for f in self.findings)

    @property
    def shacl_conforms(self) -> bool:
        """SHACL's sh:conforms: no validation result at all, whatever its severity."""
        return not self.findings

    def counts(self) -> Counter[str]:
        return Counter(f.severity for f in self.findings)

    def at_or_above(self, severity: str) -> list[Finding]:
        return [f for f in self.findings if rank(f.severity) >= RANK[severity]]

    def summary(self) -> str:
        c = self.counts()
        verdict = "conforms" if self.conforms else "does not conform"
        return (f"{verdict}: {c['Violation']} violation(s), {c['Warning']} warning(s), "
                f"{c['Info']} info; {self.focus_nodes} focus node(s), {self.triples} triples")

    def summary_lines(self, limit: int = 20) -> str:
        lines = [_one_line(f) for f in self.at_or_above("Violation")[:limit]]
        return "\n".join(lines + [self.summary()])

    # renderers ---------------------------------------------------------------------------

    def to_text(self) -> str:
        out: list[str] = []
        by_focus: dict[str, list[Finding]] = {}
        for f in self.findings:
            by_focus.setdefault(f.focus, []).append(f)
        for focus in sorted(by_focus):
            first = by_focus[focus][0]
            where = f"  ({first.file}:{first.line})" if first.file and first.line else ""
            out.append(f"{_short(focus)}{where}")
            for f in by_focus[focus]:
                path = f" {_short(f.path)}" if f.path else ""
                value = f" = {_short(f.value)}" if f.value else ""
                out.append(f"  {f.severity.upper():9} {_short(f.shape)}{path}{value}: "
                           f"{f.message}")
        out.append(self.summary())
        return "\n".join(out) + "\n"

    def to_json(self) -> str:
        return json.dumps({"conforms": self.conforms, "counts": dict(self.counts()),
                           "focus_nodes": self.focus_nodes, "triples": self.triples,
                           "engine": self.engine, "delegated": self.delegated,
                           "findings": [f.__dict__ for f in self.findings]}, indent=2) + "\n"

    def to_turtle(self) -> str:
        """The standard sh:ValidationReport."""
        report = ox.BlankNode("report")
        triples = [ox.Triple(report, ox.NamedNode(RDF + "type"),
                             ox.NamedNode(SH + "ValidationReport")),
                   ox.Triple(report, ox.NamedNode(SH + "conforms"),
                             ox.Literal("true" if self.shacl_conforms else "false",
                                        datatype=ox.NamedNode(XSD + "boolean")))]
        for i, f in enumerate(self.findings):
            r = ox.BlankNode(f"r{i}")
            triples += [
                ox.Triple(report, ox.NamedNode(SH + "result"), r),
                ox.Triple(r, ox.NamedNode(RDF + "type"), ox.NamedNode(SH + "ValidationResult")),
                ox.Triple(r, ox.NamedNode(SH + "resultSeverity"), _term(
                    SH + f.severity if f.severity in RANK else f.severity)),
                ox.Triple(r, ox.NamedNode(SH + "focusNode"), _term(f.focus)),
                ox.Triple(r, ox.NamedNode(SH + "sourceConstraintComponent"),
                          ox.NamedNode(f.component)),
                ox.Triple(r, ox.NamedNode(SH + "sourceShape"), _term(f.shape)),
                ox.Triple(r, ox.NamedNode(SH + "resultMessage"), ox.Literal(f.message)),
            ]
            if f.path:
                triples.append(ox.Triple(r, ox.NamedNode(SH + "resultPath"), _term(f.path)))
            if f.value:
                triples.append(ox.Triple(r, ox.NamedNode(SH + "value"), _term(f.value)))
        return ox.serialize(triples, format=ox.RdfFormat.TURTLE,
                            prefixes={"sh": SH, "pld": PLD, "xsd": XSD}).decode()

    def to_junit(self) -> str:
        cases = []
        for f in self.findings:
            name = xml_escape(f"{_short(f.focus)} {_short(f.path or '')}".strip(), {'"': "&quot;"})
            kind = "failure" if f.severity == "Violation" else "skipped"
            cases.append(f'  <testcase classname="{xml_escape(_short(f.shape))}" name="{name}">'
                         f'<{kind} message="{xml_escape(f.message, {chr(34): "&quot;"})}"/>'
                         "</testcase>")
        failures = sum(1 for f in self.findings if f.severity == "Violation")
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                f'<testsuite name="peaceld validate" tests="{max(len(cases), 1)}" '
                f'failures="{failures}" skipped="{len(cases) - failures}">\n'
                + ("\n".join(cases) or '  <testcase classname="peaceld" name="conforms"/>')
                + "\n</testsuite>\n")

    def render(self, fmt: str) -> str:
        return {"text": self.to_text, "json": self.to_json, "turtle": self.to_turtle,
                "junit": self.to_junit}[fmt]()


_DECIMAL = re.compile(r'^"([+-]?[0-9]*\.?[0-9]*)"\^\^<http://www\.w3\.org/2001/XMLSchema#'
                      r'(decimal|integer)>$')


def _canonical(value: str | None) -> str | None:
    m = _DECIMAL.match(value or "")
    if not m:
        return value
    try:
        number = Decimal(m.group(1))
    except InvalidOperation:
        return value
    return f"{number.normalize():f}^^{m.group(2)}"


def _one_line(f: Finding) -> str:
    where = f"{f.file}:{f.line}: " if f.file and f.line else ""
    path = f" {_short(f.path)}" if f.path else ""
    return f"{where}{f.severity}: {_short(f.focus)}{path}: {f.message}"


def _term(value: str) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if value.startswith("<") and value.endswith(">"):
        return ox.NamedNode(value[1:-1])
    if value.startswith("_:"):
        return ox.BlankNode(value[2:])
    if value.startswith('"'):
        return next(iter(ox.parse(f"<x:s> <x:p> {value} .".encode(),
                                  format=ox.RdfFormat.N_TRIPLES))).object
    if re.match(r"[a-z][a-z0-9+.-]*:\S*$", value):
        return ox.NamedNode(value)
    # a blank-node shape named by its owner and path: a blank node stable across runs
    return ox.BlankNode("s" + hashlib.sha256(value.encode()).hexdigest()[:16])


def _short(value: str) -> str:
    """A readable name for reports: prefix:local for known namespaces (shapes as pls:)."""
    return curie(value, {**all_prefixes(), "pls": PLS})


# --- shapes ------------------------------------------------------------------------------

TARGETS = ("targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf")
#: Constraint parameters the compiled engine evaluates, where they may appear.
NODE_COMPILED = {"class", "datatype", "nodeKind", "in", "pattern", "flags", "minInclusive",
                 "maxInclusive", "minExclusive", "maxExclusive", "minLength", "maxLength",
                 "hasValue", "languageIn", "closed", "ignoredProperties", "sparql", "node",
                 "not", "and", "or", "xone"}
PROPERTY_COMPILED = (NODE_COMPILED - {"closed", "ignoredProperties", "sparql"}) | {
    "minCount", "maxCount", "uniqueLang", "lessThan", "lessThanOrEquals", "equals", "disjoint",
    "qualifiedValueShape", "qualifiedMinCount", "qualifiedMaxCount",
    "qualifiedValueShapesDisjoint"}
#: Components whose nested shapes compile to one SPARQL expression (see _conforms).
NESTED = {"node", "not", "and", "or", "xone", "qualifiedMinCount", "qualifiedMaxCount"}
#: Every SHACL Core and SPARQL constraint parameter; the ones the compiled engine does not
#: evaluate (sh:node, sh:and, qualified shapes, ...) are delegated to pySHACL.
CORE_PARAMETERS = PROPERTY_COMPILED | NODE_COMPILED | {
    "node", "property", "equals", "disjoint", "and", "or", "not", "xone", "qualifiedValueShape",
    "qualifiedMinCount", "qualifiedMaxCount", "qualifiedValueShapesDisjoint"}
NON_CONSTRAINT = {"path", "severity", "message", "name", "description", "order", "group",
                  "deactivated", "defaultValue", "prefixes", "declare", "targetClass",
                  "targetNode", "targetSubjectsOf", "targetObjectsOf"}
#: Constraints whose result depends on the exact lexical form of a literal (Oxigraph stores
#: "01"^^xsd:integer as "1"): delegated when the data holds literals the store rewrites.
LEXICAL = {"in", "hasValue", "equals", "disjoint", "pattern", "minLength", "maxLength",
           "sparql"} | NESTED
#: XSD datatypes whose well-formedness the compiled engine checks by a cast in Oxigraph.
CASTABLE = {"integer", "decimal", "float", "double", "boolean", "dateTime", "date", "time",
            "gYear", "gYearMonth", "gMonthDay", "gDay", "gMonth", "duration",
            "yearMonthDuration", "dayTimeDuration"}
NODE_KINDS = {"IRI": "isIRI(?value)", "BlankNode": "isBlank(?value)",
              "Literal": "isLiteral(?value)", "BlankNodeOrIRI": "!isLiteral(?value)",
              "BlankNodeOrLiteral": "!isIRI(?value)", "IRIOrLiteral": "!isBlank(?value)"}
FORBIDDEN_SPARQL = re.compile(r"(?<![?$:\w])(MINUS|VALUES|SERVICE)\b|\bAS\s*[?$](this|"
                              r"shapesGraph|currentShape)\b", re.I)
FORBIDDEN_IN_ASK = re.compile(r"\bAS\s*[?$]value\b", re.I)


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
class SparqlConstraint:
    select: str
    message: str
    severity: str
    prebound: tuple[str, ...] = ()  # "shapesGraph" and/or "currentShape", when used
    per_focus: bool = False  # $this pre-bound, one query per focus node

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


class _ShapesGraph:
    """The shapes graph: terms exactly as written (read from the parsed triples, since the
    store rewrites "1"^^xsd:boolean as "true"), and a store for the few queries."""

    def __init__(self, quads: list[ox.Quad]) -> None:
        self.triples = list(dict.fromkeys(ox.Triple(q.subject, q.predicate, q.object)
                                          for q in quads))
        self.by_sp: dict[tuple[Any, str], list] = {}
        self.by_s: dict[Any, list[ox.Triple]] = {}
        for t in self.triples:
            self.by_sp.setdefault((t.subject, t.predicate.value), []).append(t.object)
            self.by_s.setdefault(t.subject, []).append(t)
        self.owner: dict[Any, Any] = {}
        for t in sorted(self.triples, key=str):
            if t.predicate.value == SH + "property":
                self.owner.setdefault(t.object, t.subject)
        self.store = ox.Store()
        self.store.extend([ox.Quad(t.subject, t.predicate, t.object) for t in self.triples])
        self.file_of: dict[Any, Path] = {}
        self.custom = {row["p"].value for row in self.store.query(
            f"SELECT DISTINCT ?p WHERE {{ ?c <{SH}parameter>/<{SH}path> ?p }}")
            if isinstance(row["p"], ox.NamedNode)}
        self.names: dict[Any, str] = {}

    def name(self, node: Any) -> str:
        """How a report names a shape: its IRI, or for a blank node the shape that owns it,
        its path and its line in the shapes file (never a blank-node label)."""
        if not isinstance(node, ox.BlankNode):
            return str(node)
        if node not in self.names:
            self.names[node] = self._describe(node)
        return self.names[node]

    def _describe(self, node: ox.BlankNode) -> str:
        owner, path_term = self.owner.get(node), self.one(node, SH + "path")
        try:
            path = path_text(self.one, self.items, path_term) if path_term is not None else None
        except ValueError:
            path = None
        if isinstance(owner, ox.BlankNode):
            owner_name = self.name(owner)
        else:
            owner_name = _short(str(owner)) if owner is not None else None
        parts = [owner_name, "property" if owner is not None else "shape",
                 _short(path) if path else None]
        text = " ".join(p for p in parts if p)
        file = self.file_of.get(node)
        order = list(self.file_of)
        siblings = sorted((n for n in self.objects(owner, SH + "property")
                           if n in self.file_of and self.one(n, SH + "path") == path_term),
                          key=order.index) if owner is not None else [node]
        nth = siblings.index(node) if node in siblings else 0
        line = _shape_line(file, owner, path, nth) if file is not None else None
        return f"{text} ({file}:{line})" if line else f"{text} ({file})" if file else text

    def objects(self, s: Any, p: str) -> list:
        return sorted(self.by_sp.get((s, p), []), key=str)

    def one(self, s: Any, p: str) -> Any:
        values = self.objects(s, p)
        return values[0] if values else None

    def items(self, head: Any) -> list | None:
        """An RDF list's members; None when it is not a well-formed list."""
        out: list = []
        seen = set()
        while head != ox.NamedNode(RDF + "nil"):
            first, rest = self.objects(head, RDF + "first"), self.objects(head, RDF + "rest")
            if len(first) != 1 or len(rest) != 1 or head in seen:
                return None
            seen.add(head)
            out.append(first[0])
            head = rest[0]
        return out

    def shacl_keys(self, s: Any) -> set[str]:
        return {t.predicate.value[len(SH):] for t in self.by_s.get(s, [])
                if t.predicate.value.startswith(SH)}


def path_text(one: Any, items: Any, term: Any, predicates: set[str] | None = None,
              depth: int = 0) -> str:
    """A SHACL property path as a SPARQL path (``<p>``, ``^<p>``, ``(<a>/<b>)``, ``<p>*``);
    ``one(node, iri)`` and ``items(node)`` read the graph the path lives in. Raises
    ValueError for a malformed path."""
    if depth > 50:
        raise ValueError("path nested too deeply")
    if not (hasattr(term, "n3") or isinstance(term, ox.BlankNode | ox.NamedNode)):
        raise ValueError("a path is an IRI or a blank node")
    text = term.n3() if hasattr(term, "n3") else str(term)
    if text.startswith("<"):
        if predicates is not None:
            predicates.add(text[1:-1])
        return text

    def sub(t: Any) -> str:
        return path_text(one, items, t, predicates, depth + 1)

    members = items(term) if one(term, RDF + "first") is not None else None
    if members is not None:
        if len(members) < 2:
            raise ValueError("a sequence path needs a list of two or more paths")
        return "(" + "/".join(sub(m) for m in members) + ")"
    for key, mod in (("zeroOrMorePath", "*"), ("oneOrMorePath", "+"), ("zeroOrOnePath", "?")):
        inner = one(term, SH + key)
        if inner is not None:
            return f"({sub(inner)}){mod}"
    inverse = one(term, SH + "inversePath")
    if inverse is not None:
        return f"^({sub(inverse)})" if not sub(inverse).startswith("<") else f"^{sub(inverse)}"
    alternative = one(term, SH + "alternativePath")
    if alternative is not None:
        members = items(alternative)
        if not members or len(members) < 2:
            raise ValueError("sh:alternativePath needs a list of two or more paths")
        return "(" + "|".join(sub(m) for m in members) + ")"
    raise ValueError("not a SHACL property path")


def _shape_line(file: Path, owner: Any, path: str | None, nth: int = 0) -> int | None:
    """The line of a blank-node shape: the ``nth`` ``sh:path`` naming ``path`` after the
    line where its owner is described (or the owner's line)."""
    owner_line = _subject_lines(file, {str(owner)}).get(str(owner)) if owner is not None \
        else None
    if path is None or not path.startswith("<"):
        return owner_line
    prefixes: dict[str, str] = {}
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return owner_line
    for number, line in enumerate(lines, 1):
        m = re.match(r"\s*@?prefix\s+([A-Za-z0-9_-]*):\s*<([^>]*)>", line, re.I)
        if m:
            prefixes[m.group(1)] = m.group(2)
        if owner_line and number < owner_line:
            continue
        for token in re.findall(r"sh:path\s+(\S+)", line):
            token = token.rstrip(";,.")
            p, _, local = token.partition(":")
            iri = token[1:-1] if token.startswith("<") else prefixes.get(p, "\0") + local
            if f"<{iri}>" == path:
                if nth == 0:
                    return number
                nth -= 1
    return owner_line


def _path(g: _ShapesGraph, term: Any, predicates: set[str]) -> str:
    return path_text(g.one, g.items, term, predicates)


def _true(term: Any) -> bool:
    return isinstance(term, ox.Literal) and term.value == "true" and \
        term.datatype.value == XSD + "boolean"


def _severity(g: _ShapesGraph, node: Any) -> str:
    term = g.one(node, SH + "severity")
    if term is None:
        return "Violation"
    return SEVERITIES.get(term.value, str(term))


def _message(g: _ShapesGraph, node: Any) -> str:
    messages = g.objects(node, SH + "message")
    plain = [m for m in messages if isinstance(m, ox.Literal) and m.language in (None, "en")]
    chosen = (plain or messages or [None])[0]
    return chosen.value if isinstance(chosen, ox.Literal) else ""


def _int_arg(term: Any) -> bool:
    return isinstance(term, ox.Literal) and re.fullmatch(r"\+?[0-9]+", term.value) is not None


def _compile_constraint(g: _ShapesGraph, node: Any, kind: str, arg: Any
                        ) -> Constraint | str:
    """A compiled constraint, or why it is delegated."""
    if kind in ("minCount", "maxCount", "minLength", "maxLength"):
        return Constraint(kind, int(arg.value)) if _int_arg(arg) else f"sh:{kind} is not an integer"
    if kind == "datatype":
        if not isinstance(arg, ox.NamedNode):
            return "sh:datatype is not an IRI"
        if arg.value.startswith(XSD) and arg.value != XSD + "string" and \
                arg.value[len(XSD):] not in CASTABLE:
            return f"well-formedness of xsd:{arg.value[len(XSD):]} is left to pySHACL"
        if arg.value.startswith(RDF) and arg.value != RDF + "langString":
            return f"rdf:{arg.value[len(RDF):]} literals are left to pySHACL"
        return Constraint(kind, arg)
    if kind == "nodeKind":
        if not isinstance(arg, ox.NamedNode) or arg.value[len(SH):] not in NODE_KINDS:
            return "unknown sh:nodeKind"
        return Constraint(kind, NODE_KINDS[arg.value[len(SH):]])
    if kind in ("in", "languageIn"):
        members = g.items(arg)
        if members is None or (kind == "languageIn" and not all(
                isinstance(m, ox.Literal) for m in members)):
            return f"sh:{kind} is not a well-formed list"
        return Constraint(kind, members)
    if kind == "pattern":
        flags = g.objects(node, SH + "flags")
        if not isinstance(arg, ox.Literal) or len(flags) > 1 or (
                flags and not re.fullmatch(r"[smix]*", flags[0].value)):
            return "sh:pattern or sh:flags not understood"
        return Constraint(kind, (arg.value, flags[0].value if flags else ""))
    if kind in ("minInclusive", "maxInclusive", "minExclusive", "maxExclusive"):
        return Constraint(kind, arg) if isinstance(arg, ox.Literal) else \
            f"sh:{kind} is not a literal"
    if kind in ("equals", "disjoint", "lessThan", "lessThanOrEquals"):
        return Constraint(kind, arg) if isinstance(arg, ox.NamedNode) else \
            f"sh:{kind} is not an IRI"
    if kind == "uniqueLang":
        return Constraint(kind, True) if _true(arg) else Constraint("noop", None)
    if kind in ("class", "hasValue"):
        return Constraint(kind, arg)
    if kind in ("node", "not", "and", "or", "xone"):
        ctx = _Nesting()
        expr = _component_ok(g, node, kind, arg, "?value", ctx)
        if expr is None:
            return f"sh:{kind} with a nested shape the compiled engine does not evaluate"
        return Constraint(kind, expr, frozenset(ctx.predicates))
    return f"sh:{kind} is not compiled"


def _qualified(g: _ShapesGraph, ps: Any, key: str) -> Constraint | str:
    """sh:qualifiedMinCount / sh:qualifiedMaxCount (without sibling disjointness)."""
    counts, shapes = g.objects(ps, SH + key), g.objects(ps, SH + "qualifiedValueShape")
    if len(counts) != 1 or not _int_arg(counts[0]) or len(shapes) != 1:
        return f"sh:{key} without one integer and one sh:qualifiedValueShape"
    if any(_true(d) for d in g.objects(ps, SH + "qualifiedValueShapesDisjoint")):
        return "sh:qualifiedValueShapesDisjoint is not compiled"
    ctx = _Nesting()
    expr = _conforms(g, shapes[0], "?v", ctx)
    if expr is None:
        return "sh:qualifiedValueShape the compiled engine does not evaluate"
    return Constraint(key, (int(counts[0].value), expr), frozenset(ctx.predicates))


class _Nesting:
    """State while compiling nested shapes: fresh variable names, the shapes on the way
    (recursion is refused), and the predicates read."""

    def __init__(self) -> None:
        self.n = 0
        self.stack: list[Any] = []
        self.predicates: set[str] = set()

    def var(self) -> str:
        self.n += 1
        return f"?nest{self.n}"


def _component_ok(g: _ShapesGraph, owner: Any, kind: str, arg: Any, var: str,
                  ctx: _Nesting) -> str | None:
    """A SPARQL expression true when the node in ``var`` satisfies the node-level
    constraint ``kind arg`` (as a value node of a shape); None if not compilable."""
    if kind in ("node", "not"):
        inner = _conforms(g, arg, var, ctx)
        return None if inner is None else inner if kind == "node" else f"!({inner})"
    if kind in ("and", "or", "xone"):
        members = g.items(arg)
        if not members:
            return None if members is None else {"and": "true", "or": "false",
                                                 "xone": "false"}[kind]
        parts = [_conforms(g, m, var, ctx) for m in members]
        if any(p is None for p in parts):
            return None
        if kind == "xone":
            return "(" + " + ".join(f"IF({p}, 1, 0)" for p in parts) + ") = 1"
        return "(" + (" && " if kind == "and" else " || ").join(f"({p})" for p in parts) + ")"
    if kind == "hasValue":
        return f"sameTerm({var}, {arg})"
    if kind == "property":
        return _conforms(g, arg, var, ctx)
    if kind in ("minCount", "maxCount", "uniqueLang", "equals", "disjoint", "lessThan",
                "lessThanOrEquals", "closed", "ignoredProperties", "sparql") or \
            kind.startswith("qualified"):
        return None
    c = _compile_constraint(g, owner, kind, arg)
    if isinstance(c, str) or c.kind == "noop":
        return None if isinstance(c, str) else "true"
    test = _value_test(c)
    return None if test is None else f"!({test.replace('?value', var)})"


def _conforms(g: _ShapesGraph, shape: Any, var: str, ctx: _Nesting) -> str | None:
    """A SPARQL expression true when the node in ``var`` conforms to ``shape`` (node or
    property shape made of compilable constraints); None when it is not compilable."""
    if shape in ctx.stack or len(ctx.stack) > 8 or custom_component_used(g, shape):
        return None
    if _true(g.one(shape, SH + "deactivated")):
        return "true"
    ctx.stack.append(shape)
    try:
        path_term = g.one(shape, SH + "path")
        path = None
        if path_term is not None:
            try:
                path = _path(g, path_term, ctx.predicates)
            except ValueError:
                return None
        parts = []
        for key in sorted(g.shacl_keys(shape)):
            if key in NON_CONSTRAINT or key == "flags":
                continue
            for arg in g.objects(shape, SH + key):
                part = _value_set_ok(g, shape, key, arg, var, path, ctx) if path else \
                    _component_ok(g, shape, key, arg, var, ctx)
                if part is None:
                    return None
                parts.append(part)
        return "(" + " && ".join(f"({p})" for p in parts) + ")" if parts else "true"
    finally:
        ctx.stack.pop()


def _value_set_ok(g: _ShapesGraph, shape: Any, key: str, arg: Any, var: str, path: str,
                  ctx: _Nesting) -> str | None:
    """The constraint ``key arg`` of a nested property shape, for the focus node in var."""
    v = ctx.var()
    if key in ("minCount", "maxCount"):
        if not _int_arg(arg):
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
    ok = _component_ok(g, shape, key, arg, v, ctx)
    if ok is None:
        return None
    return f"NOT EXISTS {{ {var} {path} {v} FILTER (!({ok})) }}"


def custom_component_used(g: _ShapesGraph, shape: Any) -> bool:
    """Does the shape use a parameter of a SPARQL-based constraint component?"""
    return any(t.predicate.value in g.custom for t in g.by_s.get(shape, []))


def _compile_sparql(g: _ShapesGraph, sc: Any, severity: str) -> SparqlConstraint | str | None:
    """A SPARQL constraint the compiled engine can run as one query, or why not."""
    if _true(g.one(sc, SH + "deactivated")):
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
    message = _message(g, sc)
    names = (("this",) if per_focus else ()) + prebound
    query = _project(select.value, names) if names else select.value
    return SparqlConstraint(prefixes + query, message, severity, prebound, per_focus)


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


def check_sparql_safety(g: _ShapesGraph, where: str) -> None:
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


def _label(g: _ShapesGraph, node: Any) -> str:
    return str(node) if isinstance(node, ox.NamedNode) else "(a blank node)"


def top_level_shapes(g: _ShapesGraph) -> list[Any]:
    """Shapes with a target (explicit, or implicit: a shape that is also an rdfs:Class)."""
    found = set()
    for t in TARGETS:
        found |= {q.subject for q in g.store.quads_for_pattern(None, ox.NamedNode(SH + t), None)}
    for row in g.store.query(
            f"SELECT ?s WHERE {{ ?s a ?type . VALUES ?type {{ <{SH}NodeShape> "
            f"<{SH}PropertyShape> }} ?s a/<{RDFS}subClassOf>* <{RDFS}Class> }}"):
        found.add(row["s"])
    return sorted(found, key=str)


def _targets(g: _ShapesGraph, node: Any) -> tuple[list[str], set[str]]:
    targets, predicates = [], set()
    for c in g.objects(node, SH + "targetClass"):
        targets.append(f"?this <{RDF}type>/<{RDFS}subClassOf>* {c} .")
    implicit = g.store.query(f"ASK {{ {node} a/<{RDFS}subClassOf>* <{RDFS}Class> }}")
    if implicit and node not in g.objects(node, SH + "targetClass"):
        targets.append(f"?this <{RDF}type>/<{RDFS}subClassOf>* {node} .")
    for n in g.objects(node, SH + "targetNode"):
        targets.append(f"VALUES ?this {{ {n} }}")
    for p in g.objects(node, SH + "targetSubjectsOf"):
        targets.append(f"?this {p} ?any_o .")
    for p in g.objects(node, SH + "targetObjectsOf"):
        targets.append(f"?any_s {p} ?this .")
        predicates.add(p.value)
    return targets, predicates


def _property_shape(g: _ShapesGraph, ps: Any) -> PropertyShape | str:
    path_term = g.one(ps, SH + "path")
    if path_term is None or len(g.objects(ps, SH + "path")) != 1:
        return "a property shape needs one sh:path"
    predicates: set[str] = set()
    try:
        path = _path(g, path_term, predicates)
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
                c = _qualified(g, ps, key)
                if isinstance(c, str):
                    return c
                constraints.append(c)
            continue
        for arg in g.objects(ps, SH + key):
            c = _compile_constraint(g, ps, key, arg)
            if isinstance(c, str):
                return c
            if c.kind != "noop":
                constraints.append(c)
    return PropertyShape(g.name(ps), path, constraints, _severity(g, ps), _message(g, ps),
                         predicates, ps)


def load_shapes(files: list[Path], base: str | None = None) -> list[NodeShape]:
    """Parse shape files (hardened like data) into the structures the engine runs."""
    graph = shapes_graph(files, base)
    return compile_shapes(graph)


def shapes_graph(files: list[Path], base: str | None = None) -> _ShapesGraph:
    parsed = {f: parse_input(f, base=base) for f in files}
    g = _ShapesGraph([q for quads in parsed.values() for q in quads])
    for f, quads in parsed.items():
        for q in quads:
            if isinstance(q.subject, ox.BlankNode):
                g.file_of.setdefault(q.subject, f)
    for f in files:
        check_sparql_safety(g, str(f))
    return g


def compile_shapes(g: _ShapesGraph) -> list[NodeShape]:
    """Every targeted shape: what the compiled engine runs, and what it hands to pySHACL."""
    shapes = []
    custom = g.custom
    advanced = sorted({t.predicate.value[len(SH):] for t in g.triples
                       if t.predicate.value in (SH + "target", SH + "rule")})
    if advanced:  # SHACL Advanced Features: neither engine here evaluates them; say so
        raise PeaceldError(f"the shapes use sh:{advanced[0]} (SHACL Advanced Features), which "
                           "peaceld does not evaluate")
    for node in top_level_shapes(g):
        if _true(g.one(node, SH + "deactivated")):
            continue
        targets, target_predicates = _targets(g, node)
        uses_custom = any(t.predicate.value in custom for n in [node, *g.objects(
            node, SH + "property")] for t in g.by_s.get(n, []))
        shape = NodeShape(g.name(node), targets, [], [], False, [], _severity(g, node),
                          _message(g, node), [], target_predicates, term=node)
        shapes.append(shape)
        if uses_custom:
            shape.whole_delegated = "uses a SPARQL-based constraint component"
            continue
        if g.one(node, SH + "path") is not None:  # a property shape with targets
            ps = _property_shape(g, node)
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
                    sc = _compile_sparql(g, arg, shape.severity)
                    if isinstance(sc, str):
                        why = sc
                    elif sc is not None:
                        shape.sparql.append(sc)
                    continue
                c = _compile_constraint(g, node, key, arg)
                if isinstance(c, str):
                    why = c
                elif c.kind != "noop":
                    shape.node_constraints.append(c)
        closed = g.objects(node, SH + "closed")
        shape.closed = any(_true(c) for c in closed)
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
            if _true(g.one(ps, SH + "deactivated")):
                if shape.closed:  # its path still counts for sh:closed
                    shape.properties.append(PropertyShape(
                        g.name(ps), str(g.one(ps, SH + "path")), [], "Violation", ""))
                continue
            compiled = _property_shape(g, ps)
            if isinstance(compiled, str):
                if shape.closed:
                    shape.whole_delegated = compiled
                    break
                shape.delegated.append((ps, compiled))
                shape.delegated_names[ps] = g.name(ps)
            else:
                shape.properties.append(compiled)
    return shapes


# --- the engine ----------------------------------------------------------------------------


def _focus_pattern(shape: NodeShape) -> str:
    union = " UNION ".join(f"{{ {t} }}" for t in shape.targets) or "FILTER (false)"
    return f"{{ SELECT DISTINCT ?this WHERE {{ {union} }} }}"


def _value_test(c: Constraint) -> str | None:
    """A FILTER expression true for a value node ?value that violates ``c`` (constraints
    on single values), else None."""
    kind, arg = c.kind, c.arg
    if kind == "datatype":
        dt = arg.value
        if dt == RDF + "langString":
            return "!isLiteral(?value) || LANG(?value) = \"\""
        cond = f"!isLiteral(?value) || DATATYPE(?value) != <{dt}>"
        if dt.startswith(XSD) and dt[len(XSD):] in CASTABLE:
            cond += f" || !COALESCE(sameTerm(<{dt}>(STR(?value)), ?value), false)"
        return cond
    if kind == "class":
        return (f"NOT EXISTS {{ ?value <{RDF}type>/<{RDFS}subClassOf>* {arg} }}")
    if kind == "nodeKind":
        return f"!({arg})"
    if kind == "in":
        return "!(" + (" || ".join(f"sameTerm(?value, {a})" for a in arg) or "false") + ")"
    if kind == "languageIn":
        tests = " || ".join(f'langMatches(LANG(?value), {json.dumps(a.value)})' for a in arg)
        return f"!(isLiteral(?value) && ({tests or 'false'}))"
    if kind == "pattern":
        pattern, flags = arg
        return (f"isBlank(?value) || !REGEX(STR(?value), {json.dumps(pattern)}, "
                f"{json.dumps(flags)})")
    if kind in ("minInclusive", "maxInclusive", "minExclusive", "maxExclusive"):
        op = {"minInclusive": ">=", "maxInclusive": "<=", "minExclusive": ">",
              "maxExclusive": "<"}[kind]
        return f"!COALESCE(?value {op} {arg}, false)"
    if kind in ("minLength", "maxLength"):
        op = ">=" if kind == "minLength" else "<="
        return f"isBlank(?value) || !(STRLEN(STR(?value)) {op} {arg})"
    if kind in ("node", "and", "or", "xone"):
        return f"!({arg})"
    if kind == "not":
        return f"!({arg})"
    return None


BARE_SCAN_MIN = 5000
#: Constraints whose query needs the focus nodes only to filter its results (the callers keep
#: the results of focus nodes): with many focus nodes they scan the predicate instead.
BARE_KINDS = {"class", "datatype", "nodeKind", "in", "languageIn", "pattern", "minInclusive",
              "maxInclusive", "minExclusive", "maxExclusive", "minLength", "maxLength",
              "node", "not", "and", "or", "xone", "maxCount", "equals", "disjoint", "lessThan",
              "lessThanOrEquals", "uniqueLang", "qualifiedMaxCount"}


def _constraint_query(focus: str, path: str | None, c: Constraint) -> tuple[str, bool]:
    """SPARQL returning ?this (and ?value) for each violation; bool = has values. ``path``
    None: the constraint is on a node shape (the value node is the focus node). ``focus``
    "" (for BARE_KINDS on a one-step path): every subject, filtered by the caller."""
    values = f"{focus} ?this {path} ?value ." if path else f"{focus} BIND (?this AS ?value)"
    test = _value_test(c)
    if test is not None:
        return f"SELECT DISTINCT ?this ?value WHERE {{ {values} FILTER ({test}) }}", True
    kind, arg = c.kind, c.arg
    if kind == "minCount":
        return (f"SELECT ?this WHERE {{ {focus} OPTIONAL {{ ?this {path} ?v }} }} "
                f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) < {arg})", False)
    if kind == "maxCount":
        return (f"SELECT ?this WHERE {{ {focus} ?this {path} ?v }} "
                f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) > {arg})", False)
    if kind in ("qualifiedMinCount", "qualifiedMaxCount"):
        n, ok = arg
        if kind == "qualifiedMinCount":
            return (f"SELECT ?this WHERE {{ {focus} OPTIONAL {{ ?this {path} ?v FILTER ({ok}) "
                    f"}} }} GROUP BY ?this HAVING (COUNT(DISTINCT ?v) < {n})", False)
        return (f"SELECT ?this WHERE {{ {focus} ?this {path} ?v FILTER ({ok}) }} "
                f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) > {n})", False)
    if kind == "hasValue":
        if path is None:
            return f"SELECT ?this WHERE {{ {focus} FILTER (!sameTerm(?this, {arg})) }}", False
        return (f"SELECT ?this WHERE {{ {focus} FILTER NOT EXISTS {{ ?this {path} {arg} }} }}",
                False)
    if kind == "equals":
        own = f"?this {path} ?value"
        return (f"SELECT DISTINCT ?this ?value WHERE {{ {focus} {{ {own} FILTER NOT EXISTS "
                f"{{ ?this {arg} ?value }} }} UNION {{ ?this {arg} ?value FILTER NOT EXISTS "
                f"{{ {own} }} }} }}", True)
    if kind == "disjoint":
        return f"SELECT DISTINCT ?this ?value WHERE {{ {values} ?this {arg} ?value }}", True
    if kind in ("lessThan", "lessThanOrEquals"):
        op = "<" if kind == "lessThan" else "<="
        return (f"SELECT DISTINCT ?this ?value ?other WHERE {{ {values} ?this {arg} ?other "
                f"FILTER (!COALESCE(?value {op} ?other, false)) }}", True)
    if kind == "uniqueLang":
        return (f"SELECT ?this (SAMPLE(?a) AS ?value) WHERE {{ {focus} ?this {path} ?a . "
                f"?this {path} ?b FILTER (!sameTerm(?a, ?b) && LANG(?a) != \"\" && "
                f"LANG(?a) = LANG(?b)) }} GROUP BY ?this (LANG(?a))", False)
    raise AssertionError(kind)


COMPONENT = {"minCount": "MinCountConstraintComponent", "maxCount": "MaxCountConstraintComponent",
             "datatype": "DatatypeConstraintComponent", "class": "ClassConstraintComponent",
             "nodeKind": "NodeKindConstraintComponent", "in": "InConstraintComponent",
             "pattern": "PatternConstraintComponent",
             "minInclusive": "MinInclusiveConstraintComponent",
             "maxInclusive": "MaxInclusiveConstraintComponent",
             "minExclusive": "MinExclusiveConstraintComponent",
             "maxExclusive": "MaxExclusiveConstraintComponent",
             "minLength": "MinLengthConstraintComponent",
             "maxLength": "MaxLengthConstraintComponent",
             "hasValue": "HasValueConstraintComponent",
             "languageIn": "LanguageInConstraintComponent",
             "uniqueLang": "UniqueLangConstraintComponent",
             "equals": "EqualsConstraintComponent", "disjoint": "DisjointConstraintComponent",
             "lessThan": "LessThanConstraintComponent",
             "lessThanOrEquals": "LessThanOrEqualsConstraintComponent",
             "node": "NodeConstraintComponent", "not": "NotConstraintComponent",
             "and": "AndConstraintComponent", "or": "OrConstraintComponent",
             "xone": "XoneConstraintComponent",
             "qualifiedMinCount": "QualifiedMinCountConstraintComponent",
             "qualifiedMaxCount": "QualifiedMaxCountConstraintComponent"}
DEFAULT_MESSAGES = {
    "minCount": "needs at least {arg} value(s)", "maxCount": "allows at most {arg} value(s)",
    "datatype": "value is not a well-formed literal of {arg}", "class": "value is not a {arg}",
    "nodeKind": "value is not of the expected node kind", "in": "value is not one of the allowed",
    "pattern": "value does not match the pattern", "minInclusive": "value is below {arg}",
    "maxInclusive": "value is above {arg}", "minExclusive": "value is not above {arg}",
    "maxExclusive": "value is not below {arg}", "minLength": "value is shorter than {arg}",
    "maxLength": "value is longer than {arg}", "hasValue": "the value {arg} is missing",
    "languageIn": "language tag not allowed", "uniqueLang": "language tag used twice",
    "equals": "values differ from those of {arg}", "disjoint": "value shared with {arg}",
    "lessThan": "value is not less than {arg}", "lessThanOrEquals": "value is above {arg}",
    "node": "value does not conform to the nested shape",
    "not": "value conforms to a shape it must not conform to",
    "and": "value does not conform to every listed shape",
    "or": "value conforms to none of the listed shapes",
    "xone": "value does not conform to exactly one of the listed shapes",
    "qualifiedMinCount": "too few values conform to the qualified shape",
    "qualifiedMaxCount": "too many values conform to the qualified shape"}


def _default_message(c: Constraint) -> str:
    arg = c.arg
    shown = _short(str(arg)) if isinstance(arg, ox.NamedNode | ox.Literal) else \
        "" if c.kind in NESTED else str(arg)
    return DEFAULT_MESSAGES[c.kind].format(arg=shown)


def _fill(message: str, row: Any, variables: list[str]) -> str:
    def sub(m: re.Match) -> str:
        name = m.group(1)
        if name in variables and row[name] is not None:
            return row[name].value
        return m.group(0)

    return re.sub(r"\{[?$]([A-Za-z_][A-Za-z0-9_]*)\}", sub, message)


@dataclass
class DataProfile:
    """Literals the store rewrites (Oxigraph keeps "01"^^xsd:integer as "1" and xsd:int as
    xsd:integer): per predicate, whether lexical forms changed, datatypes changed, or two
    values of one subject collapsed into one; and the original of each rewritten value."""

    lexical: set[str] = field(default_factory=set)
    datatype: set[str] = field(default_factory=set)
    collision: set[str] = field(default_factory=set)
    restore: dict[str, str] = field(default_factory=dict)

    used: dict[str, str] = field(default_factory=dict)  # pld: term -> first subject using it
    count: int = 0

    @classmethod
    def of(cls, quads: Callable[[], Iterable[ox.Quad]],
           sink: Callable[[list[ox.Quad]], None] | None = None) -> DataProfile:
        """One pass over the data (a second only when two spellings of one value exist);
        ``quads`` gives a fresh iteration each call, and ``sink`` receives the quads of the
        first pass in blocks (to load a store without holding them all). Also counts the
        quads and notes the pld: terms the data uses (outside the ontology graph)."""
        profile = cls()
        typed: dict[ox.Literal, set[str]] = {}
        used = profile.used
        rdf_type, count = RDF + "type", 0
        block: list[ox.Quad] = []
        for q in quads():
            count += 1
            if sink is not None:
                block.append(q)
                if len(block) >= LOAD_BLOCK:
                    sink(block)
                    block = []
            o, p = q.object, q.predicate.value
            if isinstance(o, ox.Literal):
                dt = o.datatype.value
                if dt.startswith(XSD) and dt != XSD + "string":
                    preds = typed.get(o)
                    if preds is None:
                        typed[o] = {p}
                    elif p not in preds:
                        preds.add(p)
            term = p if p.startswith(PLD) else o.value if p == rdf_type and isinstance(
                o, ox.NamedNode) and o.value.startswith(PLD) else None
            if term is not None and term not in used and not _in_ontology_graph(q):
                used[term] = str(q.subject)
        if block and sink is not None:
            sink(block)
        profile.count = count
        if not typed:
            return profile
        probe = ox.Store()
        literals = list(typed)
        probe.extend([ox.Quad(ox.NamedNode(f"urn:x:{i}"), ox.NamedNode("urn:x:p"), lit)
                      for i, lit in enumerate(literals)])
        stored = {int(q.subject.value[6:]): q.object for q in probe}
        rewritten = {lit: stored[i] for i, lit in enumerate(literals) if stored[i] != lit}
        if not rewritten:
            return profile
        spellings: dict[ox.Literal, set[ox.Literal]] = {}
        for lit, canon in rewritten.items():
            spellings.setdefault(canon, {canon} if canon in typed else set()).add(lit)
            profile.lexical |= typed[lit]
            if canon.datatype != lit.datatype:
                profile.datatype |= typed[lit]
        profile.restore = {str(c): str(next(iter(o))) for c, o in spellings.items()
                           if len(o) == 1}
        ambiguous = {lit for group in spellings.values() if len(group) > 1 for lit in group}
        if ambiguous:  # two spellings of one value: do they meet on one subject?
            seen: dict[tuple, ox.Literal] = {}
            for q in quads():
                o = q.object
                if o in ambiguous:
                    key = (q.subject, q.predicate, rewritten.get(o, o))
                    if seen.setdefault(key, o) != o:
                        profile.collision.add(q.predicate.value)
        return profile

    def unsafe(self, kinds: set[str], predicates: set[str], complex_path: bool) -> str | None:
        """Why constraints of these kinds on these predicates cannot run on the store."""
        if not self.lexical:
            return None
        preds = predicates  # every predicate a path walks (only its last step ends in literals)
        if kinds & LEXICAL and preds & self.lexical:
            return "the data has literals the store rewrites (non-canonical forms)"
        if "datatype" in kinds and preds & self.datatype:
            return "the data has literals of derived integer types"
        if kinds & {"minCount", "maxCount"} and preds & (self.collision if not complex_path
                                                           else self.lexical):
            return "the data has values that are equal but spelled differently"
        return None


def apply_profile(shapes: list[NodeShape], profile: DataProfile) -> None:
    """Hand to pySHACL what the store's literal rewriting would get wrong."""
    for shape in shapes:
        if shape.whole_delegated:
            continue
        kinds = {c.kind for c in shape.node_constraints} | ({"sparql"} if shape.sparql else set())
        touched: set[str] = set()
        for sc in shape.sparql:
            mentioned = sc.predicates()
            touched |= profile.lexical if mentioned is None else mentioned
        touched |= {p for c in shape.node_constraints for p in c.touches}
        why = profile.unsafe(kinds, shape.target_predicates | touched, False)
        if why is None and any(c.kind == "datatype" for c in shape.node_constraints) and \
                shape.target_predicates & profile.datatype:
            why = "the data has literals of derived integer types"
        if why:
            shape.whole_delegated = why
            continue
        kept = []
        for ps in shape.properties:
            kinds = {c.kind for c in ps.constraints}
            extra = {c.arg.value for c in ps.constraints
                     if c.kind in ("equals", "disjoint", "lessThan", "lessThanOrEquals")}
            extra |= {p for c in ps.constraints for p in c.touches}
            why = profile.unsafe(kinds, ps.predicates | extra, not ps.path.startswith("<"))
            if why and ps.term is not None and ps.term != shape.term:
                shape.delegated.append((ps.term, why))
                shape.delegated_names[ps.term] = ps.node
            elif why:
                shape.whole_delegated = why
            else:
                kept.append(ps)
        shape.properties = kept


def _prebound_query(store: ox.Store, select: str, shape: Any,
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


def run_shapes(store: ox.Store, shapes: list[NodeShape], focus: set[str] | None = None,
               classes: set[str] | None = None, profile: DataProfile | None = None,
               shapes_graph: list[ox.Triple] = ()) -> tuple[list[Finding], set[str]]:
    """Evaluate the compiled part of every shape on the store (default graph = union of all
    graphs); returns the findings and the focus nodes of every shape (compiled or not).
    ``shapes_graph``: the shapes' triples, for SPARQL constraints that query them."""
    findings: list[Finding] = []
    focus_nodes: set[str] = set()
    restore = profile.restore if profile else {}

    def query(text: str) -> Any:
        return store.query(text, use_default_graph_as_union=True)

    def value_of(term: Any) -> str:
        text = str(term)
        return restore.get(text, text)

    for shape in shapes:
        if not shape.targets:
            continue
        if classes is not None and not any(c in t for c in classes for t in shape.targets):
            continue
        terms = {str(r["this"]): r["this"] for r in query(
            f"SELECT ?this WHERE {_focus_pattern(shape)}")}
        targets = set(terms)
        if focus is not None:
            targets &= focus
        if not targets:
            continue
        focus_nodes |= targets
        if shape.whole_delegated:
            continue
        focus_query = _focus_pattern(shape)

        def keep(this: str) -> bool:
            return this in targets  # noqa: B023 - evaluated within this shape's loop

        parts = [(None, c, shape.severity, shape.message, shape.node)
                 for c in shape.node_constraints]
        parts += [(ps.path, c, ps.severity, ps.message, ps.node)
                  for ps in shape.properties for c in ps.constraints]
        for path, c, severity, message, source in parts:
            # Many focus nodes and a one-step path: scan the predicate instead of joining
            # the target query again (the results are kept for focus nodes only, below).
            bare = len(targets) > BARE_SCAN_MIN and path is not None and c.kind in BARE_KINDS \
                and re.fullmatch(r"\^?<[^<>\s]*>", path) is not None
            text, has_value = _constraint_query("" if bare else focus_query, path, c)
            for row in query(text):
                this = str(row["this"])
                if keep(this):
                    findings.append(Finding(
                        severity, this, path, value_of(row["value"]) if has_value else None,
                        source, SH + COMPONENT[c.kind], message or _default_message(c)))
        if shape.closed:
            allowed = {ps.path for ps in shape.properties if ps.path.startswith("<")} | \
                set(shape.ignored) | {str(ps.path) for ps in shape.properties}
            allowed_filter = " && ".join(f"?p != {a}" for a in sorted(allowed)
                                         if a.startswith("<")) or "true"
            for row in query(f"SELECT ?this ?p ?value WHERE {{ {focus_query} "
                             f"?this ?p ?value FILTER ({allowed_filter}) }}"):
                this = str(row["this"])
                if keep(this):
                    findings.append(Finding(
                        shape.severity, this, str(row["p"]), value_of(row["value"]),
                        shape.node, SH + "ClosedConstraintComponent",
                        shape.message or f"{_short(str(row['p']))} is not allowed here "
                        "(closed shape)"))
        for sc in shape.sparql:
            select = re.sub(r"\$(this|shapesGraph|currentShape)\b", r"?\1", sc.select)
            try:
                if sc.prebound or sc.per_focus:
                    variables, solutions = _prebound_query(
                        store, select, shape.term, shapes_graph,
                        [terms[t] for t in sorted(targets)] if sc.per_focus else None)
                else:
                    solutions = query(select)
                    variables = [v.value for v in solutions.variables]
            except SyntaxError as exc:
                raise PeaceldError(f"SPARQL constraint of {shape.node}: {exc}") from None
            for row in solutions:
                this = str(row["this"])
                if not keep(this):
                    continue
                value = row["value"] if "value" in variables else None
                path = row["path"] if "path" in variables else None
                findings.append(Finding(
                    sc.severity, this, str(path) if path is not None else None,
                    value_of(value) if value is not None else this, shape.node,
                    SH + "SPARQLConstraintComponent", _fill(sc.message, row, variables)))
    return findings, focus_nodes


def _sort(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (-rank(f.severity), f.focus, f.path or "",
                                                f.component, f.value or "", f.shape,
                                                f.message))


# --- inputs --------------------------------------------------------------------------------


def _subject_lines(path: Path, subjects: set[str], base: str | None = None) -> dict[str, int]:
    """Line where each subject first appears at the start of a statement (text formats)."""
    if path.suffix.lower() not in (".ttl", ".nt", ".nq", ".trig"):
        return {}
    prefixes: dict[str, str] = {}
    found: dict[str, int] = {}
    base = base or path.resolve().as_uri()
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                token = line.split(None, 1)[0] if line.strip() else ""
                if token[:1] == "<":  # the usual case, and every line of N-Triples/N-Quads
                    key = token if ":" in token else f"<{urljoin(base, token[1:-1])}>"
                    if key in subjects and key not in found:
                        found[key] = number
                    continue
                m = re.match(r"\s*@?prefix\s+([A-Za-z0-9_-]*):\s*<([^>]*)>", line, re.I)
                if m:
                    prefixes[m.group(1)] = urljoin(base, m.group(2))
                    continue
                if token.startswith("<") and token.endswith(">"):
                    iri = urljoin(base, token[1:-1])
                elif ":" in token and not token.startswith(("#", "_:")):
                    p, _, local = token.partition(":")
                    iri = prefixes.get(p, "\0") + local.replace("\\", "")
                else:
                    continue
                key = f"<{iri}>"
                if key in subjects and key not in found:
                    found[key] = number
    except (OSError, UnicodeDecodeError):
        return {}
    return found


def vocabulary_findings(used: dict[str, str], ontology: list[ox.Quad]) -> list[Finding]:
    """Our-namespace terms the data uses (term -> first subject using it) that the ontology
    does not define, with a "did you mean"."""
    if not ontology:
        return []
    defined = {q.subject.value for q in ontology if isinstance(q.subject, ox.NamedNode)}
    known = sorted(t for t in defined if t.startswith(PLD))
    out = []
    for term, subject in sorted(used.items()):
        if term in defined:
            continue
        close = difflib.get_close_matches(term, known, n=1, cutoff=0.75)
        hint = f"; did you mean pld:{close[0][len(PLD):]}?" if close else ""
        out.append(Finding("Violation", subject, None, f"<{term}>", "<https://w3id.org/"
                           "peaceld/shapes#VocabularyCheck>",
                           "https://w3id.org/peaceld/shapes#UndefinedTermComponent",
                           f"pld:{term[len(PLD):]} is not defined by the ontology{hint}"))
    return out


def validate_quads(quads: list[ox.Quad], shapes: list[Path],
                   ontology: list[ox.Quad] | None = None, focus: set[str] | None = None,
                   classes: set[str] | None = None, *, engine: str = "peaceld",
                   base: str | None = None) -> ValidationReport:
    """Validate quads (plus the ontology, for class hierarchies) against shape files.

    ``engine``: "peaceld" (the default hybrid: compiled SPARQL for what it compiles, pySHACL
    for each shape or property shape it does not), "compiled" (refuse what is not
    compiled) or "pyshacl" (the reference engine for everything)."""
    store = ox.Store()
    store.bulk_extend(quads)
    onto = ontology if ontology is not None else [q for q in quads if _in_ontology_graph(q)]
    return _validate_store(store, lambda: quads, DataProfile.of(lambda: quads), shapes, onto,
                           ontology is not None, focus, classes, engine, base)


def _validate_store(store: ox.Store, data: Callable[[], Iterable[ox.Quad]],
                    profile: DataProfile, shapes: list[Path], ontology: list[ox.Quad],
                    add_ontology: bool, focus: set[str] | None, classes: set[str] | None,
                    engine: str, base: str | None) -> ValidationReport:
    """Validate the data loaded in ``store``; ``data`` re-reads it (for pySHACL)."""
    if add_ontology and ontology:
        store.bulk_extend(ontology)
    graph = shapes_graph(shapes, base)
    compiled = compile_shapes(graph)
    if engine == "pyshacl":
        for shape in compiled:
            shape.whole_delegated = "--engine pyshacl"
    else:
        apply_profile(compiled, profile)
    if engine == "compiled":
        refused = [(s.node, s.whole_delegated) for s in compiled if s.whole_delegated] + [
            (s.delegated_names.get(ps, str(ps)), why) for s in compiled for ps, why in s.delegated]
        if refused:
            node, why = refused[0]
            raise PeaceldError(f"shape {_short(node)}: {why} (the compiled engine does not "
                               "evaluate it; use the default engine)")
    findings, focus_nodes = run_shapes(store, compiled, focus, classes,
                                       profile if engine != "pyshacl" else None, graph.triples)
    delegated = [s for s in compiled if s.whole_delegated or s.delegated]
    if delegated:
        triples = (q.triple for q in chain(data(), ontology if add_ontology else []))
        findings += _run_pyshacl(triples, graph, compiled, focus)
    findings = vocabulary_findings(profile.used, ontology) + findings
    name = "pyshacl" if engine == "pyshacl" else "peaceld+pyshacl" if delegated else "peaceld"
    report = ValidationReport(_sort(findings), len(focus_nodes), profile.count, name)
    report.delegated = sorted({f"{_short(s.node)}: {s.whole_delegated}" for s in compiled
                               if s.whole_delegated} |
                              {f"{_short(s.delegated_names.get(ps, str(ps)))}: {why}"
                               for s in compiled for ps, why in s.delegated})
    return report


def _in_ontology_graph(q: ox.Quad) -> bool:
    return isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value.endswith(
        "/graph/ontology")


def validate_files(paths: list[Path], *, shapes: list[Path], ontology: list[Path] = (),
                   fmt: str | None = None, mapping: Path | None = None,
                   focus: list[str] | None = None, classes: list[str] | None = None,
                   engine: str = "peaceld", base: str | None = None) -> ValidationReport:
    """Validate contributed files (RDF, or CSV/facts through a mapping) against ``shapes``;
    ``ontology`` files give class hierarchies and the defined vocabulary. ``base`` resolves
    relative IRIs (default: each file's own IRI)."""
    onto = load_ontology(list(ontology))
    focus_set = {f"<{_expand(f)}>" for f in focus} if focus else None
    class_set = {f"<{_expand(c)}>" for c in classes} if classes else None
    if mapping is not None:  # one mapping run: entities one file declares, others cite
        import io

        buffer = io.StringIO()
        map_files(mapping, list(paths), buffer, ontology=onto,
                  fmt=fmt if fmt in ("csv", "yaml") else None)
        quads = list(ox.parse(buffer.getvalue().encode(), format=ox.RdfFormat.N_QUADS))
        report = validate_quads(quads, list(shapes), onto, focus_set, class_set,
                                engine=engine, base=base)
    else:
        inputs = [open_input(path, fmt, base) for path in paths]
        size = sum(i.path.stat().st_size if i.path else len(i.data or b"") for i in inputs)
        with tempfile.TemporaryDirectory(prefix="peaceld-validate-") as tmp:
            # large inputs go to an on-disk store: memory stays bounded at any size
            store = ox.Store(tmp) if size > MEMORY_STORE_MAX_BYTES else ox.Store()
            def data() -> Iterator[ox.Quad]:
                return chain.from_iterable(i.quads() for i in inputs)

            profile = DataProfile.of(data, store.bulk_extend)
            report = _validate_store(store, data, profile, list(shapes), onto, True,
                                     focus_set, class_set, engine, base)
            del store
    if focus_set is not None:
        report.findings = [f for f in report.findings if f.focus in focus_set]
    wanted = {f.focus for f in report.findings}
    where: dict[str, tuple[str, int]] = {}
    for path in paths:
        if str(path) == "-" or not wanted - set(where):
            continue
        if mapping is not None:
            found = _record_lines(mapping, paths, path, onto, fmt)
        else:
            found = {s: (str(path), n) for s, n in _subject_lines(path, wanted, base).items()}
        for subject, place in found.items():
            where.setdefault(subject, place)
    report.findings = [Finding(**{**f.__dict__, "file": where[f.focus][0],
                                  "line": where[f.focus][1]}) if f.focus in where else f
                       for f in report.findings]
    return report


def _record_lines(mapping_path: Path, paths: list[Path], path: Path,
                  ontology: list[ox.Quad], fmt: str | None) -> dict[str, tuple[str, int]]:
    """Subject -> (file, line) of the first CSV row or facts entry that makes it."""
    mapping = open_mapping(mapping_path, ontology)
    mapper = Mapper(mapping)
    fmt = fmt if fmt in ("csv", "yaml") else None
    if any(r.declares for r in mapping.rules):
        for each in paths:
            mapper.declare(read_records(each, fmt))
    found: dict[str, tuple[str, int]] = {}
    for i, rec in enumerate(read_records(path, fmt)):
        try:
            values = mapper._prepare(rec, i)
            for rule in mapper._rules_for(rec):
                for subject in rule.subject.fn(values) or []:
                    found.setdefault(subject, (rec.file, rec.line))
        except FieldError:
            continue  # a bad record is reported by the mapping itself
    return found


def _expand(name: str) -> str:
    prefix, sep, local = name.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        return PREFIXES[prefix] + local
    if sep and prefix == "pldc":
        return CONCEPT + local
    return name


def _rdflib_graph(triples: list[ox.Triple], blank: dict | None = None) -> Any:
    """An rdflib graph of these triples; ``blank`` receives label -> rdflib blank node."""
    import rdflib

    graph = rdflib.Graph()
    normalize, rdflib.NORMALIZE_LITERALS = rdflib.NORMALIZE_LITERALS, False
    try:  # keep "01"^^xsd:integer as written: SHACL compares terms, not values
        with warnings.catch_warnings():  # an ill-formed literal is a finding, not a warning
            warnings.simplefilter("ignore")
            graph.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES),
                        format="nt", bnode_context=blank if blank is not None else {})
    finally:
        rdflib.NORMALIZE_LITERALS = normalize
    return graph


def _run_pyshacl(data: Iterable[ox.Triple], graph: _ShapesGraph, shapes: list[NodeShape],
                 focus: set[str] | None) -> list[Finding]:
    """pySHACL on what the compiled engine hands over, nothing else: targets of compiled
    shapes are removed from the shapes graph, and a delegated property shape of a compiled
    node shape runs under a fresh node shape with its targets (its own results keep it as
    their source shape)."""
    import pyshacl
    import rdflib

    drop: set[ox.Triple] = set()
    extra: list[ox.Triple] = []
    keep_types = (SH + "NodeShape", SH + "PropertyShape")
    for shape in shapes:
        node = shape.term
        if shape.whole_delegated:
            continue
        drop |= {t for t in graph.by_s.get(node, []) if t.predicate.value in
                 {SH + k for k in TARGETS} or (t.predicate.value == RDF + "type" and
                                               t.object.value not in keep_types)}
        for i, (ps, _) in enumerate(shape.delegated):
            wrapper = ox.BlankNode(f"peaceld_delegated_{len(extra)}_{i}")
            extra.append(ox.Triple(wrapper, ox.NamedNode(RDF + "type"),
                                   ox.NamedNode(SH + "NodeShape")))
            extra.append(ox.Triple(wrapper, ox.NamedNode(SH + "property"), ps))
            for t in TARGETS:
                extra += [ox.Triple(wrapper, ox.NamedNode(SH + t), o)
                          for o in graph.objects(node, SH + t)]
            if any(t.endswith(f"* {node} .") for t in shape.targets):
                extra.append(ox.Triple(wrapper, ox.NamedNode(SH + "targetClass"), node))
    triples = [t for t in graph.triples if t not in drop] + extra
    rdflib_logger = logging.getLogger("rdflib.term")
    level, rdflib_logger.level = rdflib_logger.level, logging.CRITICAL
    try:
        data_graph = _rdflib_graph(list(data))
    finally:
        rdflib_logger.setLevel(level)
    labels: dict[str, Any] = {}
    shacl = _rdflib_graph(triples, labels)
    ours = {node: ox.BlankNode(label) for label, node in labels.items()}
    loggers = [logging.getLogger(name) for name in ("rdflib", "rdflib.term", "pyshacl")]
    levels = [logger.level for logger in loggers]
    try:  # ill-formed literals and odd shapes are findings here, not log noise on stderr
        for logger in loggers:
            logger.setLevel(logging.CRITICAL)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _, report, _ = pyshacl.validate(data_graph, shacl_graph=shacl, inference="none",
                                            advanced=False, allow_warnings=True,
                                            allow_infos=True, do_owl_imports=False)
    except Exception as exc:  # noqa: BLE001 - the reference engine's refusal, as one line
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise PeaceldError(f"pySHACL cannot validate these shapes: {detail}") from None
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
    sh = rdflib.Namespace(SH)

    def nt(term: Any) -> str | None:
        return term.n3() if term is not None else None

    def path_of(term: Any) -> str | None:
        if term is None:
            return None
        try:
            return path_text(lambda s, p: report.value(s, rdflib.URIRef(p)),
                             lambda h: list(report.items(h)), term)
        except ValueError:
            return nt(term)

    def shape_name(term: Any) -> str:
        if term is None:
            return ""
        return graph.name(ours[term]) if term in ours else term.n3()

    findings = []
    for result in report.objects(None, sh.result):  # not the nested sh:detail ones
        def get(p: Any, result: Any = result) -> Any:
            return report.value(result, p)

        severity_iri = str(get(sh.resultSeverity))
        severity = SEVERITIES.get(severity_iri, f"<{severity_iri}>")
        focus_node = nt(get(sh.focusNode))
        if focus is not None and focus_node not in focus:
            continue
        findings.append(Finding(severity, focus_node, path_of(get(sh.resultPath)),
                                nt(get(sh.value)), shape_name(get(sh.sourceShape)),
                                str(get(sh.sourceConstraintComponent)),
                                str(get(sh.resultMessage) or "")))
    return findings

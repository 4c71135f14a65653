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
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import pyoxigraph as ox

from .errors import PeaceldError
from .mapper import map_files
from .namespaces import CONCEPT, PLD, PREFIXES
from .rdfio import load_ontology, parse_file

SH = PREFIXES["sh"]
RDF, RDFS, XSD = PREFIXES["rdf"], PREFIXES["rdfs"], PREFIXES["xsd"]
SEVERITIES = {SH + "Violation": "Violation", SH + "Warning": "Warning", SH + "Info": "Info"}
RANK = {"Violation": 3, "Warning": 2, "Info": 1}
MAX_INPUT_BYTES = 2 << 30
WELL_FORMED = {  # lexical forms checked with sh:datatype (as pySHACL does through rdflib)
    "integer": r"^[+-]?[0-9]+$",
    "nonNegativeInteger": r"^[+]?[0-9]+$|^-0+$",
    "positiveInteger": r"^[+]?0*[1-9][0-9]*$",
    "decimal": r"^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)$",
    "boolean": r"^(true|false|1|0)$",
    "date": r"^-?[0-9]{4,}-[0-9]{2}-[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})?$",
}
FORMATS_BY_SUFFIX = {".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES,
                     ".nq": ox.RdfFormat.N_QUADS, ".trig": ox.RdfFormat.TRIG,
                     ".jsonld": ox.RdfFormat.JSON_LD, ".json": ox.RdfFormat.JSON_LD,
                     ".rdf": ox.RdfFormat.RDF_XML, ".xml": ox.RdfFormat.RDF_XML,
                     ".owl": ox.RdfFormat.RDF_XML}
FORMAT_NAMES = {"ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES,
                "nq": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG,
                "jsonld": ox.RdfFormat.JSON_LD, "xml": ox.RdfFormat.RDF_XML}


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


@dataclass
class ValidationReport:
    findings: list[Finding] = field(default_factory=list)
    focus_nodes: int = 0
    triples: int = 0
    engine: str = "peaceld"

    @property
    def conforms(self) -> bool:
        return not any(f.severity == "Violation" for f in self.findings)

    def counts(self) -> Counter[str]:
        return Counter(f.severity for f in self.findings)

    def at_or_above(self, severity: str) -> list[Finding]:
        return [f for f in self.findings if RANK[f.severity] >= RANK[severity]]

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
                           "findings": [f.__dict__ for f in self.findings]}, indent=2) + "\n"

    def to_turtle(self) -> str:
        """The standard sh:ValidationReport."""
        report = ox.BlankNode("report")
        triples = [ox.Triple(report, ox.NamedNode(RDF + "type"),
                             ox.NamedNode(SH + "ValidationReport")),
                   ox.Triple(report, ox.NamedNode(SH + "conforms"),
                             ox.Literal("true" if self.conforms else "false",
                                        datatype=ox.NamedNode(XSD + "boolean")))]
        for i, f in enumerate(self.findings):
            r = ox.BlankNode(f"r{i}")
            triples += [
                ox.Triple(report, ox.NamedNode(SH + "result"), r),
                ox.Triple(r, ox.NamedNode(RDF + "type"), ox.NamedNode(SH + "ValidationResult")),
                ox.Triple(r, ox.NamedNode(SH + "resultSeverity"), ox.NamedNode(SH + f.severity)),
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
    return ox.NamedNode(value)


def _short(value: str) -> str:
    if value.startswith("<") and value.endswith(">"):
        iri = value[1:-1]
        for prefix, ns in (("pld", PLD), ("pldc", CONCEPT), *PREFIXES.items()):
            if iri.startswith(ns):
                return f"{prefix}:{iri[len(ns):]}"
        return value
    return value


# --- shapes ------------------------------------------------------------------------------


@dataclass
class PropertyShape:
    node: str  # N-Triples form of the shape node
    path: str  # SPARQL path expression
    path_term: str  # N-Triples form of the path (for reports)
    constraints: list[tuple[str, Any]]
    severity: str
    message: str


@dataclass
class SparqlConstraint:
    select: str
    message: str
    severity: str


@dataclass
class NodeShape:
    node: str
    targets: list[str]  # SPARQL group patterns binding ?this
    properties: list[PropertyShape]
    sparql: list[SparqlConstraint]
    closed: bool
    ignored: list[str]
    severity: str
    message: str
    node_constraints: list[tuple[str, Any]]


SUPPORTED = {"minCount", "maxCount", "datatype", "class", "nodeKind", "in", "pattern", "flags",
             "minInclusive", "maxInclusive", "minExclusive", "maxExclusive", "minLength",
             "maxLength", "hasValue"}
SHAPE_KEYS = SUPPORTED | {"path", "severity", "message", "name", "description", "order",
                          "group", "targetClass", "targetNode", "targetSubjectsOf",
                          "targetObjectsOf", "property", "sparql", "closed",
                          "ignoredProperties", "declare", "deactivated", "prefixes"}


class _ShapesGraph:
    def __init__(self, quads: list[ox.Quad]) -> None:
        self.store = ox.Store()
        self.store.extend([ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph())
                           for q in quads])

    def objects(self, s: Any, p: str) -> list:
        return [q.object for q in self.store.quads_for_pattern(s, ox.NamedNode(p), None)]

    def one(self, s: Any, p: str) -> Any:
        values = self.objects(s, p)
        return values[0] if values else None

    def items(self, head: Any) -> list:
        out = []
        while head is not None and head != ox.NamedNode(RDF + "nil"):
            first = self.one(head, RDF + "first")
            if first is None:
                break
            out.append(first)
            head = self.one(head, RDF + "rest")
        return out


def _nt(term: Any) -> str:
    return str(term)


def _path(g: _ShapesGraph, term: Any) -> str:
    if isinstance(term, ox.NamedNode):
        return str(term)
    inverse = g.one(term, SH + "inversePath")
    if inverse is not None:
        return f"^{_path(g, inverse)}"
    items = g.items(term)
    if items:
        return "/".join(_path(g, i) for i in items)
    raise PeaceldError(f"unsupported sh:path form at {term}: use --engine pyshacl")


def load_shapes(files: list[Path]) -> list[NodeShape]:
    """Parse shape files into the structures the engine compiles."""
    g = _ShapesGraph([q for f in files for q in parse_file(f)])
    shapes = []
    node_shapes = {q.subject for q in g.store.quads_for_pattern(
        None, ox.NamedNode(RDF + "type"), ox.NamedNode(SH + "NodeShape"))}
    for node in sorted(node_shapes, key=str):
        if str(g.one(node, SH + "deactivated")) == '"true"^^<http://www.w3.org/2001/XMLSchema#boolean>':
            continue
        for q in g.store.quads_for_pattern(node, None, None):
            local = q.predicate.value[len(SH):] if q.predicate.value.startswith(SH) else None
            if local and local not in SHAPE_KEYS:
                raise PeaceldError(f"shape {node} uses sh:{local}, which the fast engine does "
                                   "not compile: use --engine pyshacl")
        targets = []
        for c in g.objects(node, SH + "targetClass"):
            targets.append(f"?this <{RDF}type>/<{RDFS}subClassOf>* {c} .")
        for n in g.objects(node, SH + "targetNode"):
            targets.append(f"VALUES ?this {{ {n} }}")
        for p in g.objects(node, SH + "targetSubjectsOf"):
            targets.append(f"?this {p} ?any_o .")
        for p in g.objects(node, SH + "targetObjectsOf"):
            targets.append(f"?any_s {p} ?this .")
        severity = SEVERITIES.get(str(g.one(node, SH + "severity") or "")[1:-1], "Violation")
        message = str(g.one(node, SH + "message").value) if g.one(node, SH + "message") else ""
        props = []
        for ps in sorted(g.objects(node, SH + "property"), key=str):
            path_term = g.one(ps, SH + "path")
            constraints = []
            for q in sorted(g.store.quads_for_pattern(ps, None, None), key=str):
                local = q.predicate.value[len(SH):] if q.predicate.value.startswith(SH) else ""
                if local in SUPPORTED:
                    value = g.items(q.object) if local == "in" else q.object
                    constraints.append((local, value))
                elif local and local not in SHAPE_KEYS:
                    raise PeaceldError(f"property shape of {node} uses sh:{local}, which the "
                                       "fast engine does not compile: use --engine pyshacl")
            msg = g.one(ps, SH + "message")
            props.append(PropertyShape(
                _nt(ps), _path(g, path_term), _nt(path_term), constraints,
                SEVERITIES.get(str(g.one(ps, SH + "severity") or "")[1:-1], "Violation"),
                msg.value if msg is not None else ""))
        sparql = []
        for sc in g.objects(node, SH + "sparql"):
            prefixes = ""
            for owner in g.objects(sc, SH + "prefixes"):
                for decl in g.objects(owner, SH + "declare"):
                    prefixes += (f"PREFIX {g.one(decl, SH + 'prefix').value}: "
                                 f"<{g.one(decl, SH + 'namespace').value}>\n")
            prefixes += f"PREFIX xsd: <{XSD}>\n"
            msg = g.one(sc, SH + "message")
            sparql.append(SparqlConstraint(  # SHACL: the severity is the shape's
                prefixes + g.one(sc, SH + "select").value, msg.value if msg is not None else "",
                severity))
        closed = str(g.one(node, SH + "closed") or "").startswith('"true"')
        ignored = [str(t) for t in g.items(g.one(node, SH + "ignoredProperties"))]
        shapes.append(NodeShape(_nt(node), targets, props, sparql, closed, ignored, severity,
                                message, []))
    return shapes


# --- the engine ----------------------------------------------------------------------------


def _focus_pattern(shape: NodeShape) -> str:
    union = " UNION ".join(f"{{ {t} }}" for t in shape.targets)
    return f"{{ SELECT DISTINCT ?this WHERE {{ {union} }} }}"


def _lit(term: Any) -> str:
    return str(term)


def _constraint_query(shape: NodeShape, ps: PropertyShape, kind: str, arg: Any,
                      flags: str) -> tuple[str, bool]:
    """SPARQL returning ?this (and ?value) for each violation; bool = has values."""
    focus = _focus_pattern(shape)
    values = f"{focus} ?this {ps.path} ?value ."
    if kind == "minCount":
        return (f"SELECT ?this WHERE {{ {focus} OPTIONAL {{ ?this {ps.path} ?v }} }} "
                f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) < {arg.value})", False)
    if kind == "maxCount":
        return (f"SELECT ?this WHERE {{ {focus} ?this {ps.path} ?v }} "
                f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) > {arg.value})", False)
    if kind == "datatype":
        dt = arg.value
        if dt == RDF + "langString":
            cond = "!isLiteral(?value) || LANG(?value) = \"\""
        else:
            cond = f"!isLiteral(?value) || DATATYPE(?value) != <{dt}>"
            local = dt[len(XSD):] if dt.startswith(XSD) else None
            if local in WELL_FORMED:
                cond += f' || !REGEX(STR(?value), "{WELL_FORMED[local]}")'
        return f"SELECT ?this ?value WHERE {{ {values} FILTER ({cond}) }}", True
    if kind == "class":
        return (f"SELECT ?this ?value WHERE {{ {values} FILTER NOT EXISTS {{ ?value "
                f"<{RDF}type>/<{RDFS}subClassOf>* {arg} }} }}", True)
    if kind == "nodeKind":
        test = {"IRI": "isIRI(?value)", "BlankNode": "isBlank(?value)",
                "Literal": "isLiteral(?value)", "BlankNodeOrIRI": "!isLiteral(?value)",
                "BlankNodeOrLiteral": "!isIRI(?value)",
                "IRIOrLiteral": "!isBlank(?value)"}[arg.value[len(SH):]]
        return f"SELECT ?this ?value WHERE {{ {values} FILTER (!({test})) }}", True
    if kind == "in":
        allowed = " || ".join(f"sameTerm(?value, {_lit(a)})" for a in arg) or "false"
        return f"SELECT ?this ?value WHERE {{ {values} FILTER (!({allowed})) }}", True
    if kind == "pattern":
        pattern = arg.value.replace("\\", "\\\\").replace('"', '\\"')
        return (f'SELECT ?this ?value WHERE {{ {values} FILTER (isBlank(?value) || '
                f'!REGEX(STR(?value), "{pattern}", "{flags}")) }}', True)
    if kind in ("minInclusive", "maxInclusive", "minExclusive", "maxExclusive"):
        op = {"minInclusive": ">=", "maxInclusive": "<=", "minExclusive": ">",
              "maxExclusive": "<"}[kind]
        return (f"SELECT ?this ?value WHERE {{ {values} FILTER (!COALESCE(?value {op} "
                f"{_lit(arg)}, false)) }}", True)
    if kind in ("minLength", "maxLength"):
        op = ">=" if kind == "minLength" else "<="
        return (f"SELECT ?this ?value WHERE {{ {values} FILTER (isBlank(?value) || "
                f"!(STRLEN(STR(?value)) {op} {arg.value})) }}", True)
    if kind == "hasValue":
        return (f"SELECT ?this WHERE {{ {focus} FILTER NOT EXISTS {{ ?this {ps.path} {arg} }} }}",
                False)
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
             "hasValue": "HasValueConstraintComponent"}


def _fill(message: str, row: Any, variables: list[str]) -> str:
    def sub(m: re.Match) -> str:
        name = m.group(1)
        if name in variables and row[name] is not None:
            return row[name].value
        return m.group(0)

    return re.sub(r"\{[?$]([A-Za-z_][A-Za-z0-9_]*)\}", sub, message)


def run_shapes(store: ox.Store, shapes: list[NodeShape], focus: set[str] | None = None,
               classes: set[str] | None = None) -> tuple[list[Finding], int]:
    """Evaluate every shape on the store (default graph = union of all graphs)."""
    findings: list[Finding] = []
    focus_nodes: set[str] = set()

    def query(text: str) -> Any:
        return store.query(text, use_default_graph_as_union=True)

    for shape in shapes:
        if not shape.targets:
            continue
        if classes is not None and not any(c in t for c in classes for t in shape.targets):
            continue
        targets = {str(r["this"]) for r in query(
            f"SELECT ?this WHERE {_focus_pattern(shape)}")}
        if focus is not None:
            targets &= focus
        if not targets:
            continue
        focus_nodes |= targets

        def keep(this: str) -> bool:
            return this in targets  # noqa: B023 - evaluated within this shape's loop

        for ps in shape.properties:
            flags = next((a.value for k, a in ps.constraints if k == "flags"), "")
            for kind, arg in ps.constraints:
                if kind == "flags":
                    continue
                text, has_value = _constraint_query(shape, ps, kind, arg, flags)
                for row in query(text):
                    this = str(row["this"])
                    if not keep(this):
                        continue
                    findings.append(Finding(
                        ps.severity, this, ps.path_term,
                        str(row["value"]) if has_value else None, ps.node,
                        SH + COMPONENT[kind], ps.message or f"{kind} constraint"))
        if shape.closed:
            allowed = {ps.path_term for ps in shape.properties} | set(shape.ignored)
            allowed_filter = " && ".join(f"?p != {a}" for a in sorted(allowed)) or "true"
            for row in query(f"SELECT ?this ?p ?value WHERE {{ {_focus_pattern(shape)} "
                             f"?this ?p ?value FILTER ({allowed_filter}) }}"):
                this = str(row["this"])
                if keep(this):
                    findings.append(Finding(
                        shape.severity, this, str(row["p"]), str(row["value"]), shape.node,
                        SH + "ClosedConstraintComponent",
                        shape.message or f"{_short(str(row['p']))} is not allowed here "
                        "(closed shape)"))
        for sc in shape.sparql:
            select = re.sub(r"\$this\b", "?this", sc.select)
            try:
                solutions = query(select)
            except SyntaxError as exc:
                raise PeaceldError(f"SPARQL constraint of {shape.node}: {exc}") from None
            variables = [v.value for v in solutions.variables]
            for row in solutions:
                this = str(row["this"])
                if not keep(this):
                    continue
                value = row["value"] if "value" in variables else None
                path = row["path"] if "path" in variables else None
                findings.append(Finding(
                    sc.severity, this, str(path) if path is not None else None,
                    str(value) if value is not None else this, shape.node,
                    SH + "SPARQLConstraintComponent", _fill(sc.message, row, variables)))
    findings.sort(key=lambda f: (-RANK[f.severity], f.focus, f.path or "", f.component,
                                 f.value or ""))
    return findings, len(focus_nodes)


# --- inputs --------------------------------------------------------------------------------


def parse_input(path: Path, fmt: str | None = None) -> list[ox.Quad]:
    """Parse an untrusted RDF file: size limit, UTF-8, and nothing fetched or read besides it."""
    rdf_format = FORMAT_NAMES[fmt] if fmt else FORMATS_BY_SUFFIX.get(path.suffix.lower())
    if rdf_format is None:
        raise PeaceldError(f"unknown RDF format {path.suffix!r} (use --format, or --mapping "
                           "for CSV and facts files)", file=path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise PeaceldError(f"cannot read: {exc.strerror}", file=path) from None
    if size > MAX_INPUT_BYTES:
        raise PeaceldError(f"file too large ({size} bytes; the limit is {MAX_INPUT_BYTES})",
                           file=path)
    with path.open("rb") as handle:
        head = handle.read(8192)
    if b"\x00" in head:
        raise PeaceldError("binary file, not RDF text", file=path)
    if rdf_format == ox.RdfFormat.RDF_XML and re.search(rb"<!ENTITY|<!DOCTYPE[^>]*\[", head):
        raise PeaceldError("RDF/XML with a DOCTYPE or entity declarations is refused "
                           "(entities can read files or expand without bound)", file=path)
    try:
        return parse_file(path, rdf_format)
    except UnicodeDecodeError:
        raise PeaceldError("not valid UTF-8", file=path) from None
    except (ValueError, OSError) as exc:
        raise PeaceldError(f"cannot parse: {str(exc).splitlines()[0]}", file=path) from None


def _subject_lines(path: Path, subjects: set[str]) -> dict[str, int]:
    """Line where each subject first appears at the start of a statement (text formats)."""
    if path.suffix.lower() not in (".ttl", ".nt", ".nq", ".trig"):
        return {}
    prefixes: dict[str, str] = {}
    found: dict[str, int] = {}
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                m = re.match(r"\s*@?prefix\s+([A-Za-z0-9_-]*):\s*<([^>]*)>", line, re.I)
                if m:
                    prefixes[m.group(1)] = m.group(2)
                    continue
                token = line.split(None, 1)[0] if line.strip() else ""
                if token.startswith("<") and token.endswith(">"):
                    iri = token[1:-1]
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


def vocabulary_findings(data: list[ox.Quad], ontology: list[ox.Quad]) -> list[Finding]:
    """Our-namespace terms the ontology does not define, with a "did you mean"."""
    defined = {q.subject.value for q in ontology if isinstance(q.subject, ox.NamedNode)}
    known = sorted(t for t in defined if t.startswith(PLD))
    used: dict[str, str] = {}
    for q in data:
        if q.predicate.value.startswith(PLD):
            used.setdefault(q.predicate.value, str(q.subject))
        if q.predicate.value == RDF + "type" and isinstance(q.object, ox.NamedNode) and \
                q.object.value.startswith(PLD):
            used.setdefault(q.object.value, str(q.subject))
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
                   classes: set[str] | None = None) -> ValidationReport:
    """Validate quads (plus the ontology, for class hierarchies) against shape files."""
    store = ox.Store()
    store.bulk_extend(quads)
    if ontology:
        store.bulk_extend(ontology)
    findings, focus_count = run_shapes(store, load_shapes(shapes), focus, classes)
    data_only = [q for q in quads if not _in_ontology_graph(q)]
    onto = ontology if ontology is not None else [q for q in quads if _in_ontology_graph(q)]
    findings = vocabulary_findings(data_only, onto) + findings
    return ValidationReport(findings, focus_count, len(quads))


def _in_ontology_graph(q: ox.Quad) -> bool:
    return isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value.endswith(
        "/graph/ontology")


def validate_files(paths: list[Path], *, shapes: list[Path], ontology: list[Path],
                   fmt: str | None = None, mapping: Path | None = None,
                   focus: list[str] | None = None, classes: list[str] | None = None,
                   engine: str = "peaceld") -> ValidationReport:
    """Validate contributed files (RDF, or CSV/facts through a mapping) against shape
    files, with the ontology files for class hierarchies and vocabulary checks."""
    onto = load_ontology(ontology)
    quads: list[ox.Quad] = []
    for path in paths:
        if mapping is not None:
            import io

            buffer = io.StringIO()
            map_files(mapping, [path], buffer, ontology=onto,
                      fmt=fmt if fmt in ("csv", "yaml") else None)
            quads += list(ox.parse(buffer.getvalue().encode(), format=ox.RdfFormat.N_QUADS))
        else:
            quads += parse_input(path, fmt)
    focus_set = {f"<{_expand(f)}>" for f in focus} if focus else None
    class_set = {f"<{_expand(c)}>" for c in classes} if classes else None
    if engine == "pyshacl":
        report = validate_with_pyshacl(quads, onto, shapes)
    else:
        report = validate_quads(quads, shapes, onto, focus_set, class_set)
    if focus_set is not None:
        report.findings = [f for f in report.findings if f.focus in focus_set]
    if len(paths) == 1 and mapping is None:
        lines = _subject_lines(paths[0], {f.focus for f in report.findings})
        report.findings = [Finding(**{**f.__dict__, "file": str(paths[0]),
                                      "line": lines.get(f.focus)}) for f in report.findings]
    return report


def _expand(name: str) -> str:
    prefix, sep, local = name.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        return PREFIXES[prefix] + local
    if sep and prefix == "pldc":
        return CONCEPT + local
    return name


def validate_with_pyshacl(quads: list[ox.Quad], ontology: list[ox.Quad],
                          shapes: list[Path]) -> ValidationReport:
    """The same validation through pySHACL (the reference engine, slower)."""
    import pyshacl
    import rdflib

    data = rdflib.Graph()
    data.parse(data=ox.serialize([q.triple for q in quads + ontology],
                                 format=ox.RdfFormat.N_TRIPLES), format="nt")
    shapes_graph = rdflib.Graph()
    for path in shapes:
        shapes_graph.parse(path)
    _, graph, _ = pyshacl.validate(data, shacl_graph=shapes_graph, inference="none",
                                   advanced=True, allow_warnings=True)
    sh = rdflib.Namespace(SH)
    findings = []
    def nt(term: Any) -> str | None:
        return term.n3() if term is not None else None

    for result in graph.subjects(rdflib.RDF.type, sh.ValidationResult):
        def get(p: Any, result: Any = result) -> Any:
            return graph.value(result, p)

        severity = str(get(sh.resultSeverity)).rsplit("#", 1)[-1]
        findings.append(Finding(severity, nt(get(sh.focusNode)), nt(get(sh.resultPath)),
                                nt(get(sh.value)), nt(get(sh.sourceShape)) or "",
                                str(get(sh.sourceConstraintComponent)),
                                str(get(sh.resultMessage) or "")))
    data_only = [q for q in quads if not _in_ontology_graph(q)]
    findings = vocabulary_findings(data_only, ontology) + findings
    findings.sort(key=lambda f: (-RANK[f.severity], f.focus, f.path or "", f.component,
                                 f.value or ""))
    return ValidationReport(findings, 0, len(quads), "pyshacl")

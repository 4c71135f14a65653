"""Validation results: a ``Finding`` per SHACL validation result, the ``ValidationReport``
that holds them (verdicts, counts, order) and its renderers: text, JSON, the standard SHACL
report in Turtle, and JUnit XML."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import pyoxigraph as ox

from ..namespaces import PLD, PREFIXES, all_prefixes, curie

SH = PREFIXES["sh"]
PLS = "https://w3id.org/peaceld/shapes#"
RDF, XSD = PREFIXES["rdf"], PREFIXES["xsd"]
SEVERITIES = {SH + "Violation": "Violation", SH + "Warning": "Warning", SH + "Info": "Info"}
RANK = {"Violation": 3, "Warning": 2, "Info": 1}
SCHEMA_VERSION = 1  # of the JSON report (report.schema.json)
MODIFIERS = {"*": "zeroOrMorePath", "+": "oneOrMorePath", "?": "zeroOrOnePath"}


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
    constraint: str | None = None  # sh:sourceConstraint (SPARQL constraints), N-Triples

    def key(self) -> tuple:
        """What two engines must agree on: shape blank-node labels differ between them, and
        a number may come back in canonical form ("134.0" and "134" are one xsd:decimal)."""
        return (self.severity, self.focus, self.path, canonical(self.value), self.component)


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
    #: For the Turtle report: what the data and shapes graphs say about the blank nodes the
    #: results name (a focus node, value, shape or constraint's text -> its node, triples).
    descriptions: dict[str, tuple[Any, list[ox.Triple]]] = field(default_factory=dict)
    #: The language tag of a message taken from a tagged sh:message: (shape, message) -> tag.
    languages: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def conforms(self) -> bool:
        """SHACL's sh:conforms: no validation result at all, whatever its severity (a report
        of warnings only does not conform; what exits non-zero is ``fails``' business)."""
        return not self.findings

    @property
    def has_violations(self) -> bool:
        """A result of severity Violation (or a custom severity, which ranks as one)."""
        return any(rank(f.severity) == 3 for f in self.findings)

    def fails(self, fail_on: str = "violation") -> bool:
        """The exit policy of ``--fail-on``: a result at or above this severity exists."""
        return bool(self.at_or_above(fail_on.capitalize()))

    def counts(self) -> Counter[str]:
        """Results per severity; Violation, Warning and Info always present."""
        counts: Counter[str] = Counter({"Violation": 0, "Warning": 0, "Info": 0})
        counts.update(f.severity for f in self.findings)
        return counts

    def at_or_above(self, severity: str) -> list[Finding]:
        return [f for f in self.findings if rank(f.severity) >= RANK[severity]]

    def summary(self) -> str:
        c = self.counts()
        verdict = "conforms" if self.conforms else \
            "does not conform" if self.has_violations else "does not conform (no violation)"
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
            out.append(f"{short(focus)}{where}")
            for f in by_focus[focus]:
                path = f" {short(f.path)}" if f.path else ""
                value = f" = {short(f.value)}" if f.value else ""
                out.append(f"  {f.severity.upper():9} {short(f.shape)}{path}{value}: "
                           f"{f.message}")
        out.append(self.summary())
        return "\n".join(out) + "\n"

    def to_json(self) -> str:
        """The JSON report, as ``report.schema.json`` (schema_version 1) describes it."""
        return json.dumps({"schema_version": SCHEMA_VERSION, "conforms": self.conforms,
                           "counts": dict(self.counts()), "focus_nodes": self.focus_nodes,
                           "triples": self.triples, "engine": self.engine,
                           "delegated": self.delegated,
                           "results": [f.__dict__ for f in self.findings]}, indent=2) + "\n"

    def to_turtle(self) -> str:
        """The standard sh:ValidationReport, sh:resultPath as a SHACL path structure."""
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
                ox.Triple(r, ox.NamedNode(SH + "resultSeverity"), _term(
                    SH + f.severity if f.severity in RANK else f.severity)),
                ox.Triple(r, ox.NamedNode(SH + "focusNode"), _term(f.focus)),
                ox.Triple(r, ox.NamedNode(SH + "sourceConstraintComponent"),
                          ox.NamedNode(f.component)),
                ox.Triple(r, ox.NamedNode(SH + "sourceShape"), _term(f.shape)),
            ]
            if f.message:
                language = self.languages.get((f.shape, f.message))
                triples.append(ox.Triple(r, ox.NamedNode(SH + "resultMessage"),
                                         ox.Literal(f.message, language=language)))
            if f.path:
                try:
                    path, structure = path_triples(f.path, f"r{i}")
                except ValueError:  # not in path syntax (a malformed path pySHACL reported)
                    path, structure = _term(f.path), []
                triples.append(ox.Triple(r, ox.NamedNode(SH + "resultPath"), path))
                triples += structure
            if f.value:
                triples.append(ox.Triple(r, ox.NamedNode(SH + "value"), _term(f.value)))
            if f.constraint:
                triples.append(ox.Triple(r, ox.NamedNode(SH + "sourceConstraint"),
                                         _term(f.constraint)))
        triples += self._described()
        return ox.serialize(triples, format=ox.RdfFormat.TURTLE,
                            prefixes={"sh": SH, "pld": PLD, "xsd": XSD}).decode()

    def _described(self) -> list[ox.Triple]:
        """The descriptions of the blank nodes the results name, each node under the term
        the report gives it (so a reader can tell which node of the data a label stands
        for, as the W3C suite's comparison of blank nodes by their triples needs)."""
        out: dict[ox.Triple, None] = {}
        texts = dict.fromkeys(t for f in self.findings
                              for t in (f.focus, f.value, f.shape, f.constraint) if t)
        for text in texts:
            if text not in self.descriptions:
                continue
            node, triples = self.descriptions[text]
            named = _term(text)
            for t in triples:
                out[ox.Triple(named if t.subject == node else t.subject, t.predicate,
                              named if t.object == node else t.object)] = None
        return list(out)

    def to_junit(self) -> str:
        cases = []
        for f in self.findings:
            name = xml_escape(f"{short(f.focus)} {short(f.path or '')}".strip(), {'"': "&quot;"})
            kind = "failure" if f.severity == "Violation" else "skipped"
            cases.append(f'  <testcase classname="{xml_escape(short(f.shape))}" name="{name}">'
                         f'<{kind} message="{xml_escape(f.message, {chr(34): "&quot;"})}"/>'
                         "</testcase>")
        failures = sum(1 for f in self.findings if f.severity == "Violation")
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                f'<testsuite name="peaceld validate" tests="{max(len(cases), 1)}" '
                f'failures="{failures}" skipped="{len(cases) - failures}">\n'
                f'  <properties><property name="conforms" '
                f'value="{str(self.conforms).lower()}"/></properties>\n'
                + ("\n".join(cases) or '  <testcase classname="peaceld" name="conforms"/>')
                + "\n</testsuite>\n")

    def render(self, fmt: str) -> str:
        return {"text": self.to_text, "json": self.to_json, "turtle": self.to_turtle,
                "junit": self.to_junit}[fmt]()


_DECIMAL = re.compile(r'^"([+-]?[0-9]*\.?[0-9]*)"\^\^<http://www\.w3\.org/2001/XMLSchema#'
                      r'(decimal|integer)>$')


def canonical(value: str | None) -> str | None:
    """An xsd:decimal or xsd:integer value in canonical form ("134.0" -> "134"), for
    comparing engines; any other value as it is."""
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
    path = f" {short(f.path)}" if f.path else ""
    return f"{where}{f.severity}: {short(f.focus)}{path}: {f.message}"


def _term(value: str) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """The RDF term a finding's text names (N-Triples form, an IRI, or a shape's name)."""
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


def path_triples(text: str, label: str) -> tuple[Any, list[ox.Triple]]:
    """The SHACL path structure of a path in the report's SPARQL syntax (``shapes.path_text``):
    its node and the triples that describe it, blank nodes labelled ``label`` + a counter.
    Raises ValueError for text that is not such a path."""
    triples: list[ox.Triple] = []
    count = 0

    def blank() -> ox.BlankNode:
        nonlocal count
        count += 1
        return ox.BlankNode(f"{label}p{count}")

    def rdf_list(items: list[Any]) -> Any:
        head: Any = ox.NamedNode(RDF + "nil")
        for item in reversed(items):
            node = blank()
            triples.extend([ox.Triple(node, ox.NamedNode(RDF + "first"), item),
                            ox.Triple(node, ox.NamedNode(RDF + "rest"), head)])
            head = node
        return head

    def unit(i: int) -> tuple[Any, int]:
        if text.startswith("<", i):
            end = text.index(">", i)
            return ox.NamedNode(text[i + 1:end]), end + 1
        if text.startswith("^", i):
            inner, i = unit(i + 1)
            node = blank()
            triples.append(ox.Triple(node, ox.NamedNode(SH + "inversePath"), inner))
            return node, i
        if not text.startswith("(", i):
            raise ValueError(f"not a path: {text!r}")
        first, i = unit(i + 1)
        items, separator = [first], None
        while i < len(text) and text[i] in "/|" and separator in (None, text[i]):
            separator = text[i]
            item, i = unit(i + 1)
            items.append(item)
        if not text.startswith(")", i):
            raise ValueError(f"not a path: {text!r}")
        i += 1
        if separator == "/":
            node = rdf_list(items)
        elif separator == "|":
            node = blank()
            triples.append(ox.Triple(node, ox.NamedNode(SH + "alternativePath"),
                                     rdf_list(items)))
        else:
            node = first
        modifier = text[i] if i < len(text) else ""
        if modifier in MODIFIERS:
            wrapped = blank()
            triples.append(ox.Triple(wrapped, ox.NamedNode(SH + MODIFIERS[modifier]), node))
            return wrapped, i + 1
        return node, i

    node, end = unit(0)
    if end != len(text):
        raise ValueError(f"not a path: {text!r}")
    return node, triples


def short(value: str) -> str:
    """A readable name for reports: prefix:local for known namespaces (shapes as pls:)."""
    return curie(value, {**all_prefixes(), "pls": PLS})


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """The order of a report: most severe first, then by focus node, path, component."""
    return sorted(findings, key=lambda f: (-rank(f.severity), f.focus, f.path or "",
                                           f.component, f.value or "", f.shape, f.message))

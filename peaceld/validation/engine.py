"""The hybrid engine: the data in an Oxigraph store (on disk when large), the compiled
shapes run as SPARQL, pySHACL for what they hand over, the ontology's vocabulary checked,
and the report's findings placed at their lines (``validate_files``, ``validate_quads``)."""

from __future__ import annotations

import difflib
import io
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from ..errors import PeaceldError
from ..mapping import map_files
from ..namespaces import CONCEPT, PLD, PREFIXES
from ..rdfio import load_ontology, open_input
from .compile import (
    BARE_KINDS,
    BARE_SCAN_MIN,
    COMPONENT,
    compile_shapes,
    constraint_query,
    default_message,
    focus_pattern,
    read_shapes,
)
from .compile.model import NodeShape
from .compile.other import closed_message, closed_query
from .compile.sparql import fill_message, prebound_query
from .delegate import run_pyshacl
from .profile import DataProfile, apply_profile, in_ontology_graph
from .report import SH, Finding, ValidationReport, short, sort_findings
from .shapes import ShapesGraph
from .source_lines import record_lines, subject_lines

MEMORY_STORE_MAX_BYTES = 256 << 20  # larger inputs are validated in an on-disk store


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
            f"SELECT ?this WHERE {focus_pattern(shape)}")}
        targets = set(terms)
        if focus is not None:
            targets &= focus
        if not targets:
            continue
        focus_nodes |= targets
        if shape.whole_delegated:
            continue
        focus_query = focus_pattern(shape)

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
            text, has_value = constraint_query("" if bare else focus_query, path, c)
            for row in query(text):
                this = str(row["this"])
                if keep(this):
                    findings.append(Finding(
                        severity, value_of(this), path,
                        value_of(row["value"]) if has_value else None,
                        source, SH + COMPONENT[c.kind], message or default_message(c)))
        if shape.closed:
            for row in query(closed_query(focus_query, shape)):
                this = str(row["this"])
                if keep(this):
                    findings.append(Finding(
                        shape.severity, value_of(this), str(row["p"]), value_of(row["value"]),
                        shape.node, SH + COMPONENT["closed"],
                        shape.message or closed_message(str(row["p"]))))
        for sc in shape.sparql:
            select = re.sub(r"\$(this|shapesGraph|currentShape)\b", r"?\1", sc.select)
            try:
                if sc.prebound or sc.per_focus:
                    variables, solutions = prebound_query(
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
                    sc.severity, value_of(this), str(path) if path is not None else None,
                    value_of(value if value is not None else this), shape.node,
                    SH + "SPARQLConstraintComponent", fill_message(sc.message, row, variables),
                    constraint=sc.node or None))
    return findings, focus_nodes


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
    onto = ontology if ontology is not None else [q for q in quads if in_ontology_graph(q)]
    return _validate_store(store, lambda: quads, DataProfile.of(lambda: quads), shapes, onto,
                           ontology is not None, focus, classes, engine, base)


def _validate_store(store: ox.Store, data: Callable[[], Iterable[ox.Quad]],
                    profile: DataProfile, shapes: list[Path], ontology: list[ox.Quad],
                    add_ontology: bool, focus: set[str] | None, classes: set[str] | None,
                    engine: str, base: str | None) -> ValidationReport:
    """Validate the data loaded in ``store``; ``data`` re-reads it (for pySHACL)."""
    if add_ontology and ontology:
        store.bulk_extend(ontology)
    graph = read_shapes(shapes, base)
    compiled = compile_shapes(graph)
    if engine == "pyshacl":
        for shape in compiled:
            shape.whole_delegated = "--engine pyshacl"
    else:
        apply_profile(compiled, profile)
        profile.add_spellings((t.object for t in graph.triples
                               if t.predicate.value == SH + "targetNode"),
                              lambda lit: next(store.quads_for_pattern(None, None, lit),
                                               None) is not None)
    if engine == "compiled":
        refused = [(s.node, s.whole_delegated) for s in compiled if s.whole_delegated] + [
            (s.delegated_names.get(ps, str(ps)), why) for s in compiled for ps, why in s.delegated]
        if refused:
            node, why = refused[0]
            raise PeaceldError(f"shape {short(node)}: {why} (the compiled engine does not "
                               "evaluate it; use the default engine)")
    findings, focus_nodes = run_shapes(store, compiled, focus, classes,
                                       profile if engine != "pyshacl" else None, graph.triples)
    delegated = [s for s in compiled if s.whole_delegated or s.delegated]
    if delegated:
        triples = (q.triple for q in chain(data(), ontology if add_ontology else []))
        findings += run_pyshacl(triples, graph, compiled, focus)
    findings = vocabulary_findings(profile.used, ontology) + findings
    name = "pyshacl" if engine == "pyshacl" else "peaceld+pyshacl" if delegated else "peaceld"
    report = ValidationReport(sort_findings(findings), len(focus_nodes), profile.count, name)
    report.descriptions = describe(report.findings, store, graph)
    report.languages = message_languages(report.findings, graph)
    report.delegated = sorted({f"{short(s.node)}: {s.whole_delegated}" for s in compiled
                               if s.whole_delegated} |
                              {f"{short(s.delegated_names.get(ps, str(ps)))}: {why}"
                               for s in compiled for ps, why in s.delegated})
    return report


def describe(findings: list[Finding], store: ox.Store, graph: ShapesGraph
             ) -> dict[str, tuple[Any, list[ox.Triple]]]:
    """What the data (focus nodes, values) and the shapes graph (shapes, SPARQL
    constraints) say about the blank nodes the findings name: each one's concise bounded
    description, for the Turtle report. Nothing to do when no finding names a blank node."""
    shapes = _blank_names(findings, graph)
    out: dict[str, tuple[Any, list[ox.Triple]]] = {}

    def data_triples(node: Any) -> Iterator[ox.Triple]:
        for q in store.quads_for_pattern(node, None, None):
            yield q.triple

    for f in findings:
        for text, where in ((f.focus, data_triples), (f.value, data_triples),
                            (f.constraint, graph.by_s.get), (f.shape, graph.by_s.get)):
            if not text or text in out:
                continue
            node = shapes.get(text) if where is not data_triples or not text.startswith(
                "_:") else ox.BlankNode(text[2:])
            if node is not None:
                out[text] = (node, _bounded(node, where))
    return out


def message_languages(findings: list[Finding], graph: ShapesGraph
                      ) -> dict[tuple[str, str], str]:
    """(shape, message) -> language tag, for messages taken from a tagged sh:message of the
    shape (or of its SPARQL constraint)."""
    shapes = _blank_names(findings, graph)
    out: dict[tuple[str, str], str] = {}
    for f in findings:
        for text in (f.constraint, f.shape):
            node = shapes.get(text) if text else None
            if node is None and text and re.fullmatch(r"<[^<>\s]*>", text):
                node = ox.NamedNode(text[1:-1])
            for m in graph.objects(node, SH + "message") if node is not None else ():
                if isinstance(m, ox.Literal) and m.language and m.value == f.message:
                    out.setdefault((f.shape, f.message), m.language)
    return out


def _blank_names(findings: list[Finding], graph: ShapesGraph) -> dict[str, Any]:
    """The blank nodes of the shapes graph by the names reports give them (shapes, and
    SPARQL constraints when a finding names one)."""
    names = {name: node for node, name in graph.names.items()}
    if any(f.constraint for f in findings):
        names |= {graph.constraint_name(t.object): t.object for t in graph.triples
                  if t.predicate.value == SH + "sparql" and isinstance(t.object, ox.BlankNode)}
    return names


def _bounded(node: Any, triples_of: Callable[[Any], Iterable[ox.Triple] | None],
             limit: int = 10_000) -> list[ox.Triple]:
    """The concise bounded description of a blank node: its triples, and those of the blank
    nodes they reach (at most ``limit`` triples)."""
    out: dict[ox.Triple, None] = {}
    todo, seen = [node], {node}
    while todo and len(out) < limit:
        for t in triples_of(todo.pop()) or ():
            out[t] = None
            if isinstance(t.object, ox.BlankNode) and t.object not in seen:
                seen.add(t.object)
                todo.append(t.object)
    return list(out)


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
            found = record_lines(mapping, paths, path, onto, fmt)
        else:
            found = {s: (str(path), n) for s, n in subject_lines(path, wanted, base).items()}
        for subject, place in found.items():
            where.setdefault(subject, place)
    report.findings = [Finding(**{**f.__dict__, "file": where[f.focus][0],
                                  "line": where[f.focus][1]}) if f.focus in where else f
                       for f in report.findings]
    return report


def _expand(name: str) -> str:
    prefix, sep, local = name.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        return PREFIXES[prefix] + local
    if sep and prefix == "pldc":
        return CONCEPT + local
    return name

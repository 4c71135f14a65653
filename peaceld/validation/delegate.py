"""pySHACL, the reference engine, for what the compiled engine hands over (whole shapes, or
property shapes of compiled node shapes), its results read back as findings."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox

from ..errors import PeaceldError
from ..namespaces import PREFIXES
from .compile.model import NodeShape
from .report import SEVERITIES, SH, Finding
from .shapes import TARGETS, ShapesGraph, path_text

RDF = PREFIXES["rdf"]


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


def run_pyshacl(data: Iterable[ox.Triple], graph: ShapesGraph, shapes: list[NodeShape],
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
        data_labels: dict[str, Any] = {}
        data_graph = _rdflib_graph(list(data), data_labels)
    finally:
        rdflib_logger.setLevel(level)
    labels: dict[str, Any] = {}
    shacl = _rdflib_graph(triples, labels)
    ours = {node: ox.BlankNode(label) for label, node in labels.items()}
    data_blanks = {node: f"_:{label}" for label, node in data_labels.items()}
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
        """The term in N-Triples as Oxigraph writes it, a blank node with the data's label."""
        if term is None:
            return None
        if isinstance(term, rdflib.BNode):
            return data_blanks.get(term) or str(ours.get(term, f"_:{term}"))
        if isinstance(term, rdflib.Literal):
            return str(ox.Literal(str(term), language=term.language) if term.language else
                       ox.Literal(str(term), datatype=ox.NamedNode(
                           term.datatype or PREFIXES["xsd"] + "string")))
        return f"<{term}>"

    def path_of(term: Any) -> str | None:
        if term is None:
            return None
        try:
            return path_text(lambda s, p: report.value(s, rdflib.URIRef(p)),
                             lambda h: list(report.items(h)), term)
        except ValueError:
            return nt(term)

    def constraint_name(term: Any) -> str | None:
        return graph.constraint_name(ours[term]) if term in ours else nt(term)

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
                                str(get(sh.resultMessage) or ""),
                                constraint=constraint_name(get(sh.sourceConstraint))))
    return findings

"""The evidence of each fact published as W3C Web Annotations in its passage's graph: an
``oa:Annotation`` whose target is a ``oa:TextPositionSelector`` on the article (the spans
that ``peaceld facts check`` verifies, :mod:`peaceld.grounding`), and the curators' graph
described in the sources graph."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .grounding import CURATORS_GRAPH, OA, SOURCE_KINDS, SOURCES_GRAPH, GroundingReport
from .namespaces import CONCEPT, ID, PLD, PREFIXES
from .records import Record, read_records


def _lit_int(n: int) -> ox.Literal:
    return ox.Literal(str(n), datatype=ox.NamedNode(PREFIXES["xsd"] + "integer"))


def evidence_quads(report: GroundingReport, subjects: dict[tuple[str, int], str]
                   ) -> Iterator[ox.Quad]:
    """Web Annotation triples for every evidence span, in the graph of its passage.

    One ``oa:Annotation`` per fact and passage: its target is the article, narrowed by an
    ``oa:TextPositionSelector`` (``oa:start``/``oa:end``); its body is the fact's subject
    (``subjects`` maps (file, line) to its IRI); ``pld:basis`` says whether the passage
    states the claim or the curators read it from the passage (with the reason).
    """
    rdf_type = ox.NamedNode(PREFIXES["rdf"] + "type")
    comment = ox.NamedNode(PREFIXES["rdfs"] + "comment")
    label = ox.NamedNode(PREFIXES["rdfs"] + "label")
    for fact in report.facts:
        if fact.draft:  # not accepted: its evidence is not published either
            continue
        body = subjects.get((fact.file, fact.line))
        for ev in fact.evidence:
            graph = ox.NamedNode(f"{ID}passage/{ev.passage.article}/{ev.passage.id}")
            key = hashlib.sha256(json.dumps([body, fact.kind, ev.start, ev.end, fact.basis,
                                             sorted(ev.mentions)]).encode()).hexdigest()[:12]
            ann = ox.NamedNode(f"{ID}evidence/{ev.passage.article}/{ev.passage.id}/{key}")
            target = ox.NamedNode(ann.value + "#target")
            selector = ox.NamedNode(ann.value + "#selector")
            triples = [
                (ann, rdf_type, ox.NamedNode(OA + "Annotation")),
                (ann, ox.NamedNode(OA + "motivatedBy"),
                 ox.NamedNode(OA + ("describing" if fact.basis == "stated" else "assessing"))),
                (ann, ox.NamedNode(OA + "hasTarget"), target),
                (ann, ox.NamedNode(PLD + "basis"), ox.NamedNode(f"{CONCEPT}basis/{fact.basis}")),
                (ann, label, ox.Literal(f"evidence in {ev.passage.article} {ev.passage.id} "
                                        f"[{ev.start}, {ev.end}]", language="en")),
                (target, rdf_type, ox.NamedNode(OA + "SpecificResource")),
                (target, ox.NamedNode(OA + "hasSource"),
                 ox.NamedNode(f"{ID}source/{ev.passage.article}")),
                (target, ox.NamedNode(OA + "hasScope"), graph),
                (target, ox.NamedNode(OA + "hasSelector"), selector),
                (selector, rdf_type, ox.NamedNode(OA + "TextPositionSelector")),
                (selector, ox.NamedNode(OA + "start"), _lit_int(ev.start)),
                (selector, ox.NamedNode(OA + "end"), _lit_int(ev.end)),
            ]
            if body is not None:
                triples.append((ann, ox.NamedNode(OA + "hasBody"), ox.NamedNode(body)))
            if fact.basis == "inferred" and fact.reason:
                triples.append((ann, comment, ox.Literal(fact.reason, language="en")))
            for s, p, o in triples:
                yield ox.Quad(s, p, o, graph)
    if report.curators:
        graph = ox.NamedNode(CURATORS_GRAPH)
        yield ox.Quad(graph, label, ox.Literal("identifications made by the peaceld curators",
                                               language="en"), ox.NamedNode(SOURCES_GRAPH))
        yield ox.Quad(graph, comment, ox.Literal(
            "Names and acronyms that the curators attach to an entity where the cited article "
            "does not use them; not a claim of any article.", language="en"),
            ox.NamedNode(SOURCES_GRAPH))


def map_each_fact(mapper: Any, fact_files: list[Path], **options: Any
                  ) -> Iterator[tuple[Record, str]]:
    """Each fact (not the article and passage records) with the N-Quads it maps to alone,
    by a mapper that has declared every entity; ``options`` go to ``Mapper.emit``."""
    for path in fact_files:
        if path.name.endswith(".passages.yaml"):
            continue
        for rec in read_records(path):
            if str(rec.values.get("kind")) in SOURCE_KINDS:
                continue
            buffer = io.StringIO()
            before = len(mapper.errors)
            mapper.emit([rec], buffer, True, **options)
            del mapper.errors[before:]
            yield rec, buffer.getvalue()


def fact_subjects(mapper: Any, fact_files: list[Path]) -> dict[tuple[str, int], str]:
    """The subject IRI of each fact (file, line), by mapping it alone with a declared mapper."""
    out: dict[tuple[str, int], str] = {}
    for rec, nquads in map_each_fact(mapper, fact_files):
        first = nquads.split(" ", 1)[0]
        if first.startswith("<") and first.endswith(">"):
            out[(rec.file, rec.line)] = first[1:-1]
    return out

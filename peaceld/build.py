"""Build a project: map its facts, merge the ontology, validate, write ``dist/``.

Outputs (byte-identical for the same input):

* ``peaceld.ttl``  the default graph: ontology, data and source descriptions, one graph;
* ``peaceld.trig`` and ``peaceld.nq``  the same with named graphs: the ontology, the sources
  (articles and passages) and one graph per cited passage holding the triples it supports;
* ``summary.json``  counts: triples, entities per class, sources, facts.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .atomic import write_folder
from .errors import PeaceldError
from .mapper import (
    PARALLEL_MIN_BYTES,
    Mapper,
    Mapping,
    MappingErrors,
    MapStats,
    load_mapping,
    map_csv_parallel,
)
from .namespaces import ONTOLOGY_GRAPH, PREFIXES, SOURCES_GRAPH, serialization_prefixes
from .project import Project, find_project
from .records import read_records

SKOS = PREFIXES["skos"]
RDF_TYPE = ox.NamedNode(PREFIXES["rdf"] + "type")
OUTPUTS = ("peaceld.ttl", "peaceld.trig", "peaceld.nq", "summary.json")

Progress = Callable[[str], None]


def parse_rdf_file(path: Path, fmt: ox.RdfFormat | None = None) -> list[ox.Quad]:
    """Parse one RDF file with Oxigraph; a syntax error names the file, line and column."""
    fmt = fmt or ox.RdfFormat.from_extension(path.suffix.lstrip("."))
    if fmt is None:
        raise PeaceldError(f"unknown RDF format {path.suffix!r}", file=path)
    try:
        with path.open("rb") as handle:
            return list(ox.parse(handle, format=fmt, base_iri=None, without_named_graphs=False))
    except OSError as exc:
        raise PeaceldError(f"cannot read: {exc.strerror}", file=path) from None
    except SyntaxError as exc:
        raise PeaceldError.syntax(exc, path) from None


def load_ontology_quads(files: Iterable[Path]) -> list[ox.Quad]:
    """Every ontology file's triples, placed in the ontology graph, blank nodes labelled
    by their content so that two builds write the same bytes."""
    graph = ox.NamedNode(ONTOLOGY_GRAPH)
    quads = canonical_blank_nodes([q for path in files for q in parse_rdf_file(path)])
    return [ox.Quad(q.subject, q.predicate, q.object, graph) for q in quads]


def canonical_blank_nodes(quads: list[ox.Quad]) -> list[ox.Quad]:
    """Relabel blank nodes by a hash of what they describe (their outgoing triples, followed
    through nested blank nodes, and the first triple that points at them).

    Parsers label blank nodes at random; OWL axioms such as ``owl:AllDisjointClasses`` and
    RDF lists are made of them. Acyclic blank structures, the kind ontologies use, get a
    stable label; blank nodes that share a description are told apart by their incoming
    triple.
    """
    out_edges: dict[str, list[ox.Quad]] = {}
    in_edges: dict[str, list[ox.Quad]] = {}
    for q in quads:
        if isinstance(q.subject, ox.BlankNode):
            out_edges.setdefault(q.subject.value, []).append(q)
        if isinstance(q.object, ox.BlankNode):
            in_edges.setdefault(q.object.value, []).append(q)
    if not out_edges and not in_edges:
        return quads
    memo: dict[str, str] = {}

    def describe(node: str, seen: frozenset[str]) -> str:
        if node in memo:
            return memo[node]
        if node in seen:
            return "cycle"
        parts = []
        for q in out_edges.get(node, []):
            obj = (describe(q.object.value, seen | {node}) if isinstance(q.object, ox.BlankNode)
                   else str(q.object))
            parts.append(f"{q.predicate} {obj}")
        memo[node] = hashlib.sha256("\n".join(sorted(parts)).encode()).hexdigest()
        return memo[node]

    labels: dict[str, ox.BlankNode] = {}
    used: set[str] = set()
    nodes = sorted(set(out_edges) | set(in_edges),
                   key=lambda n: (describe(n, frozenset()), _incoming(in_edges.get(n, []))))
    for node in nodes:
        key = hashlib.sha256((describe(node, frozenset()) + _incoming(in_edges.get(node, [])))
                             .encode()).hexdigest()[:16]
        label, n = key, 1
        while label in used:
            label, n = f"{key}x{n}", n + 1
        used.add(label)
        labels[node] = ox.BlankNode("b" + label)

    def term(t):  # noqa: ANN001, ANN202 - any RDF term
        return labels[t.value] if isinstance(t, ox.BlankNode) else t

    return [ox.Quad(term(q.subject), q.predicate, term(q.object), q.graph_name) for q in quads]


def _incoming(edges: list[ox.Quad]) -> str:
    named = sorted(f"{q.subject} {q.predicate}" for q in edges
                   if not isinstance(q.subject, ox.BlankNode))
    return named[0] if named else ""


def register_concepts(mapping: Mapping, ontology: list[ox.Quad]) -> None:
    """Make the SKOS concepts of the ontology referable by notation and label."""
    if not mapping.concept_kinds:
        return
    store = ox.Store()
    store.extend(ontology)
    for kind, scheme in mapping.concept_kinds.items():
        rows = store.query(
            f"""SELECT ?c ?n ?l WHERE {{ GRAPH ?g {{ ?c <{SKOS}inScheme> <{scheme}> ;
                    <{SKOS}notation> ?n .
                OPTIONAL {{ ?c <{SKOS}prefLabel>|<{SKOS}altLabel> ?l }} }} }}
                ORDER BY ?c ?l""")
        for row in rows:
            aliases = [row["l"].value] if row["l"] is not None else []
            mapping.registry.add(kind, row["n"].value, row["c"].value, aliases)


def map_inputs(mapping: Mapping, files: list[Path], out: io.TextIOBase | Any,
               with_graphs: bool = True, fmt: str | None = None) -> MapStats:
    """Map files with one mapping (two passes when entities are declared)."""
    mapper = Mapper(mapping)
    workers = os.cpu_count() or 1
    try:
        declares = any(r.declares for r in mapping.rules)
        if declares:
            for path in files:
                mapper.declare(read_records(path, fmt))
        for path in files:
            big = (workers > 1 and not declares and (fmt or path.suffix.lower()) in ("csv", ".csv")
                   and path.stat().st_size >= PARALLEL_MIN_BYTES)
            if big:
                part = map_csv_parallel(mapping, path, out, with_graphs, workers)
                mapper.errors += part.errors
                mapper.stats.records += part.stats.records
                mapper.stats.quads += part.stats.quads
                for name, n in part.stats.by_kind.items():
                    mapper.stats.by_kind[name] = mapper.stats.by_kind.get(name, 0) + n
            else:
                mapper.emit(read_records(path, fmt), out, with_graphs)
    except MappingErrors:
        raise
    except PeaceldError as exc:  # an unreadable file stops everything at once
        mapper.errors.append(exc)
    mapper.finish()
    return mapper.stats


def open_mapping(path: Path, ontology: list[ox.Quad]) -> Mapping:
    mapping = load_mapping(path)
    register_concepts(mapping, ontology)
    return mapping


@dataclass
class BuildResult:
    """What a build made: the quads, where it wrote them, and the counts people look at."""

    project: Project
    out_dir: Path
    quads: list[ox.Quad]
    stats: dict[str, Any]
    files: list[Path] = field(default_factory=list)
    validation: Any = None


def _sorted_unique(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    unique = {str(q): q for q in quads}
    return [unique[k] for k in sorted(unique)]


def _default_graph(quads: list[ox.Quad]) -> list[ox.Triple]:
    unique = {}
    for q in quads:
        t = q.triple
        unique.setdefault(str(t), t)
    return [unique[k] for k in sorted(unique)]


def compute_stats(quads: list[ox.Quad], triples: list[ox.Triple], facts: int,
                  records: int) -> dict[str, Any]:
    typed: dict[str, set[str]] = {}
    for q in quads:
        if (q.predicate == RDF_TYPE and isinstance(q.object, ox.NamedNode)
                and q.graph_name != ox.NamedNode(ONTOLOGY_GRAPH)):
            typed.setdefault(q.object.value, set()).add(str(q.subject))
    graphs = {q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)}
    passages = sorted(g for g in graphs if "/id/passage/" in g)
    sources = sorted({q.subject.value for q in quads
                      if q.predicate == RDF_TYPE and q.object.value == PREFIXES["pld"] + "Article"})
    return {
        "triples": len(triples),
        "quads": len(quads),
        "ontology_triples": sum(1 for q in quads if q.graph_name.value == ONTOLOGY_GRAPH),
        "facts": facts,
        "records": records,
        "sources": len(sources),
        "passages_cited": len(passages),
        "entities_per_class": {_curie(c): len(s) for c, s in sorted(typed.items())},
    }


def _curie(iri: str) -> str:
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def serialize_outputs(quads: list[ox.Quad], triples: list[ox.Triple]) -> dict[str, bytes]:
    prefixes = serialization_prefixes()
    return {
        "peaceld.ttl": ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes),
        "peaceld.trig": ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=prefixes),
        "peaceld.nq": ox.serialize(quads, format=ox.RdfFormat.N_QUADS),
    }


def build(project_dir: Path | None = None, out_dir: Path | None = None, validate: bool = True,
          progress: Progress | None = None) -> BuildResult:
    """Build a project folder (or the bundled dataset) into ``out_dir`` (default ``dist/``).

    Nothing is written unless every input maps cleanly (and conforms, when validating).
    """
    say = progress or (lambda _msg: None)
    project = find_project(project_dir)
    if out_dir is None:
        base = project_dir if project_dir is not None else Path.cwd()
        out_dir = Path(base) / "dist"
    say(f"ontology: {len(project.files('ontology'))} file(s)")
    ontology = load_ontology_quads(project.files("ontology"))

    mapping = open_mapping(project.facts_mapping(), ontology)
    buffer = io.StringIO()
    fact_files = project.fact_files()
    say(f"facts: mapping {len(fact_files)} file(s)")
    stats = map_inputs(mapping, fact_files, buffer)
    records = stats.records
    fact_records = sum(n for kind, n in _kind_counts(fact_files).items()
                       if kind not in ("article", "article-text", "passage"))
    for extra in project.extra_inputs():
        say(f"inputs: mapping {len(extra.files)} file(s) with {extra.mapping.name}")
        stats = map_inputs(open_mapping(extra.mapping, ontology), extra.files, buffer)
        records += stats.records
    data = list(ox.parse(buffer.getvalue().encode("utf-8"), format=ox.RdfFormat.N_QUADS))
    quads = _sorted_unique(ontology + data)
    triples = _default_graph(quads)

    report = None
    if validate and project.files("shapes"):
        say(f"validate: {len(project.files('shapes'))} shape file(s)")
        from .validate import validate_quads

        report = validate_quads(quads, project.files("shapes"))
        if not report.conforms:
            raise PeaceldError("the knowledge graph does not conform to the shapes:\n"
                               + report.summary_lines(limit=20), file=project.root)

    summary = compute_stats(quads, triples, fact_records, records)
    summary["project"] = project.name
    outputs = serialize_outputs(quads, triples)
    outputs["summary.json"] = (json.dumps(summary, indent=2, sort_keys=True) + "\n").encode()
    written = write_folder(out_dir, {name: outputs[name] for name in OUTPUTS})
    say(f"wrote {len(written)} files to {out_dir}")
    return BuildResult(project, out_dir, quads, summary, written, report)


def _kind_counts(files: list[Path]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for path in files:
        for rec in read_records(path):
            counts[str(rec.values.get("kind"))] += 1
    return counts


def map_files(mapping_path: Path, inputs: list[Path], out: Any, ontology_files: list[Path],
              with_graphs: bool = True, fmt: str | None = None) -> MapStats:
    """Map any facts or CSV files with a mapping file; concepts come from the ontology."""
    ontology = load_ontology_quads(ontology_files)
    mapping = open_mapping(mapping_path, ontology)
    return map_inputs(mapping, inputs, out, with_graphs, fmt)


__all__ = ["OUTPUTS", "SOURCES_GRAPH", "BuildResult", "build", "map_files", "parse_rdf_file"]

"""Build a project: map its facts, merge the ontology, validate, write ``dist/``.

Outputs (byte-identical for the same input):

* ``peaceld.ttl``  the default graph: ontology, data and source descriptions, one graph;
* ``peaceld.trig`` and ``peaceld.nq``  the same with named graphs: the ontology, the sources
  (articles and passages) and one graph per cited passage holding the triples it supports;
* ``summary.json``  counts: triples, entities per class, sources, facts.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .atomic import write_folder
from .errors import PeaceldError
from .evidence import evidence_quads, fact_subjects
from .grounding import GroundingReport, article_dirs, check_files
from .mapping import Mapper, Mapping, open_mapping, run_mapping
from .namespaces import ONTOLOGY_GRAPH, PREFIXES, SOURCES_GRAPH, curie
from .project import ProjectFolder, find_project
from .rdfio import load_ontology, merged_triples, serialize, sorted_unique
from .records import is_draft, read_records
from .validation import ValidationReport, validate_quads

RDF_TYPE = ox.NamedNode(PREFIXES["rdf"] + "type")
OUTPUTS = ("peaceld.ttl", "peaceld.trig", "peaceld.nq", "summary.json")

Progress = Callable[[str], None]


@dataclass
class BuildResult:
    """What a build made: the quads, where it wrote them, the counts people look at, the
    validation report (None when not validated) and warnings worth a look."""

    project: ProjectFolder
    out_dir: Path
    quads: list[ox.Quad]
    stats: dict[str, Any]
    files: list[Path] = field(default_factory=list)
    validation: ValidationReport | None = None
    warnings: list[str] = field(default_factory=list)
    grounding: GroundingReport | None = None  # ``facts check`` (warnings), see peaceld.grounding


def compute_stats(quads: list[ox.Quad], triples: list[ox.Triple], facts: int,
                  records: int, drafts: int = 0) -> dict[str, Any]:
    """The counts of a build written to summary.json and shown by the CLI."""
    typed: dict[str, set[str]] = {}
    passages: set[str] = set()
    ontology = ox.NamedNode(ONTOLOGY_GRAPH)
    for q in quads:
        if (q.predicate == RDF_TYPE and isinstance(q.object, ox.NamedNode)
                and q.graph_name != ontology):
            typed.setdefault(q.object.value, set()).add(str(q.subject))
        if isinstance(q.graph_name, ox.NamedNode) and "/id/passage/" in q.graph_name.value:
            passages.add(q.graph_name.value)
    return {
        "triples": len(triples),
        "quads": len(quads),
        "ontology_triples": sum(1 for q in quads if q.graph_name == ontology),
        "facts": facts,
        "drafts_left_out": drafts,
        "records": records,
        "sources": len(typed.get(PREFIXES["pld"] + "Article", ())),
        "passages": len(typed.get(PREFIXES["pld"] + "Passage", ())),
        "passages_cited": len(passages),
        "entities_per_class": {curie(c): len(s) for c, s in sorted(typed.items())},
    }


def serialize_outputs(quads: list[ox.Quad], triples: list[ox.Triple]) -> dict[str, bytes]:
    """The bytes of the three RDF files of a build."""
    return {"peaceld.ttl": serialize(triples, "ttl"), "peaceld.trig": serialize(quads, "trig"),
            "peaceld.nq": serialize(quads, "nq")}


def default_out_dir(project: ProjectFolder) -> Path:
    """Where a build goes unless told: the project's ``dist/``; for the bundled dataset used
    from outside its folder (it may sit in a read-only installation), ``./dist``."""
    cwd = Path.cwd().resolve()
    if project.is_bundled and project.root not in (cwd, *cwd.parents):
        return Path("dist")
    return project.root / "dist"


def build(project: ProjectFolder | Path | None = None, *, out_dir: Path | None = None,
          validate: bool = True, progress: Progress | None = None) -> BuildResult:
    """Build a project folder (or the bundled dataset) into ``out_dir`` (default ``dist/``).

    Nothing is written unless every input maps cleanly (and, when validating, the graph has
    no violation; warnings are in ``validation``).
    """
    say = progress or (lambda _msg: None)
    if not isinstance(project, ProjectFolder):
        project = find_project(project)
    out_dir = out_dir if out_dir is not None else default_out_dir(project)
    warnings: list[str] = []
    say(f"ontology: {len(project.files('ontology'))} file(s)")
    ontology = load_ontology(project.files("ontology"))

    buffer = io.StringIO()
    fact_files = project.fact_files()
    say(f"facts: mapping {len(fact_files)} file(s)")
    mapping = open_mapping(project.facts_mapping(), ontology)
    stats = run_mapping(mapping, fact_files, buffer)
    fact_records = sum(n for kind, n in _kind_counts(fact_files).items()
                       if kind not in ("article", "article-text", "passage"))
    drafts = _draft_count(fact_files)
    if drafts:
        say(f"facts: {drafts} draft(s) left out (not accepted yet; see docs/facts.md, Drafts)")
    if not fact_records:
        warnings.append(f"no facts in {project.root / 'facts'}: the graph holds the ontology "
                        "only (see docs/facts.md to add some)")
    records = stats.records
    for extra in project.extra_inputs():
        say(f"inputs: mapping {len(extra.files)} file(s) with {extra.mapping.name}")
        if not extra.files:
            warnings.append(f"[[inputs]] with {extra.mapping.name}: no file matches")
        stats = run_mapping(open_mapping(extra.mapping, ontology), extra.files, buffer)
        records += stats.records
        if stats.skipped:
            warnings.append(f"[[inputs]] with {extra.mapping.name}: {stats.summary()}")
    data = list(ox.parse(buffer.getvalue().encode("utf-8"), format=ox.RdfFormat.N_QUADS))
    grounding, evidence = _check_grounding(project, mapping, fact_files, say)
    quads = sorted_unique(ontology + data + evidence)
    triples = merged_triples(quads)

    report = None
    if validate and project.files("shapes"):
        say(f"validate: {len(project.files('shapes'))} shape file(s)")
        report = validate_quads(quads, project.files("shapes"))
        if report.has_violations:
            raise PeaceldError("the knowledge graph violates the shapes:\n"
                               + report.summary_lines(limit=20), file=project.root)

    summary = compute_stats(quads, triples, fact_records, records, drafts)
    summary["project"] = project.name
    outputs = serialize_outputs(quads, triples)
    outputs["summary.json"] = (json.dumps(summary, indent=2, sort_keys=True) + "\n").encode()
    written = write_folder(out_dir, {name: outputs[name] for name in OUTPUTS})
    say(f"wrote {len(written)} files to {out_dir}")
    return BuildResult(project, out_dir, quads, summary, written, report, warnings, grounding)


def _check_grounding(project: ProjectFolder, mapping: Mapping, fact_files: list[Path],
                     say: Progress) -> tuple[GroundingReport, list[ox.Quad]]:
    """Run ``facts check`` (its findings are warnings) and publish the evidence spans."""
    report = check_files(fact_files, article_dirs(project.root))
    say(f"facts check: {report.summary()}")
    mapper = Mapper(mapping)  # the entities the facts declare are in mapping.registry already
    return report, list(evidence_quads(report, fact_subjects(mapper, fact_files)))


def _draft_count(files: list[Path]) -> int:
    """How many facts of these files are drafts (never built into the graph)."""
    return sum(1 for path in files for rec in read_records(path, drafts=True) if is_draft(rec))


def _kind_counts(files: list[Path]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for path in files:
        for rec in read_records(path):
            counts[str(rec.values.get("kind"))] += 1
    return counts


__all__ = ["OUTPUTS", "SOURCES_GRAPH", "BuildResult", "build"]

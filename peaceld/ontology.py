"""Check the ontology (reasoner and quality report) and generate its reference.

``check_ontology`` returns an ``OntologyReport``; the CLI only renders it. The reasoner is
HermiT through owlready2 (Java); without Java the report says so in one line and the
quality checks still run. Quality checks look at our own terms only (the pld namespace and
our concepts), never at the W3C vocabularies we align with.
"""

from __future__ import annotations

import difflib
import html
import io
import json
import shutil
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .errors import PeaceldError
from .namespaces import CONCEPT, ONTOLOGY, ONTOLOGY_GRAPH, PLD, PREFIXES, curie
from .rdfio import parse_input

RDF, RDFS, OWL, SKOS = (PREFIXES[p] for p in ("rdf", "rdfs", "owl", "skos"))
DCT, VANN = PREFIXES["dcterms"], PREFIXES["vann"]
LEVELS = {"error": 3, "warn": 2, "info": 1}
DECLARING_TYPES = {OWL + "Class", OWL + "ObjectProperty", OWL + "DatatypeProperty",
                   OWL + "AnnotationProperty", RDFS + "Datatype", SKOS + "ConceptScheme",
                   OWL + "NamedIndividual", OWL + "Ontology", SKOS + "Concept"}
HEADER = [  # (predicate, level, what)
    (DCT + "title", "error", "a title (dcterms:title)"),
    (DCT + "description", "error", "a description (dcterms:description)"),
    (DCT + "license", "error", "a licence (dcterms:license)"),
    (DCT + "creator", "error", "a creator (dcterms:creator)"),
    (DCT + "created", "warn", "a creation date (dcterms:created)"),
    (OWL + "versionIRI", "error", "a version IRI (owl:versionIRI)"),
    (OWL + "versionInfo", "warn", "version information (owl:versionInfo)"),
    (VANN + "preferredNamespacePrefix", "warn", "a preferred prefix (vann)"),
    (VANN + "preferredNamespaceUri", "warn", "a preferred namespace (vann)"),
]


@dataclass(frozen=True)
class Issue:
    level: str  # error | warn | info
    code: str
    term: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"level": self.level, "code": self.code, "term": self.term,
                "message": self.message}


@dataclass
class OntologyReport:
    """What the check found: reasoner verdict, quality findings, counts."""

    path: str
    findings: list[Issue] = field(default_factory=list)
    reasoner: str = "not run"  # consistent | inconsistent | skipped: ... | not run
    counts: dict[str, int] = field(default_factory=dict)

    def at_or_above(self, level: str) -> list[Issue]:
        return [f for f in self.findings if LEVELS[f.level] >= LEVELS[level]]

    def summary(self) -> str:
        by = Counter(f.level for f in self.findings)
        return (f"{self.path}: reasoner {self.reasoner}; {by['error']} error(s), "
                f"{by['warn']} warning(s), {by['info']} note(s); "
                + ", ".join(f"{n} {k}" for k, n in self.counts.items()))

    def to_json(self) -> str:
        return json.dumps({"path": self.path, "reasoner": self.reasoner, "counts": self.counts,
                           "findings": [f.as_dict() for f in self.findings]}, indent=2)


def _ours(iri: str) -> bool:
    return iri.startswith(PLD) or iri.startswith(CONCEPT)


class _Graph:
    """The ontology's triples indexed for the checks."""

    def __init__(self, quads: list[ox.Quad]) -> None:
        self.triples = [(q.subject, q.predicate.value, q.object) for q in quads]
        self.by_sp: dict[tuple[str, str], list[ox.NamedNode | ox.Literal | ox.BlankNode]] = {}
        for s, p, o in self.triples:
            if isinstance(s, ox.NamedNode):
                self.by_sp.setdefault((s.value, p), []).append(o)

    def objects(self, s: str, p: str) -> list:
        return self.by_sp.get((s, p), [])

    def types(self, s: str) -> set[str]:
        return {o.value for o in self.objects(s, RDF + "type")}


def quality_findings(quads: list[ox.Quad]) -> tuple[list[Issue], dict[str, int]]:
    """Quality report on our own terms: labels, definitions, declarations, hierarchy, header."""
    g = _Graph(quads)
    findings: list[Issue] = []
    declared = {s.value for s, p, o in g.triples
                if p == RDF + "type" and isinstance(s, ox.NamedNode) and o.value in DECLARING_TYPES}
    classes = sorted(s for s in declared if _ours(s) and OWL + "Class" in g.types(s))
    props = sorted(s for s in declared if _ours(s) and g.types(s) & {
        OWL + "ObjectProperty", OWL + "DatatypeProperty", OWL + "AnnotationProperty"})
    concepts = sorted(s for s in declared if s.startswith(CONCEPT))
    schemes = sorted(s for s in declared if _ours(s) and SKOS + "ConceptScheme" in g.types(s))

    # header
    onto = [s.value for s, p, o in g.triples if p == RDF + "type" and o.value == OWL + "Ontology"]
    if not onto:
        findings.append(Issue("error", "header", ONTOLOGY, "no owl:Ontology header"))
    for iri in onto:
        for pred, level, what in HEADER:
            if not g.objects(iri, pred):
                findings.append(Issue(level, "header", curie(iri), f"the header lacks {what}"))
        for version in g.objects(iri, OWL + "versionIRI"):
            if version.value == iri:
                findings.append(Issue("error", "header", curie(iri),
                                        "the version IRI equals the ontology IRI"))

    # labels and definitions
    for term in classes + props + schemes:
        if not g.objects(term, RDFS + "label"):
            findings.append(Issue("error", "no-label", curie(term), "no rdfs:label"))
        if not g.objects(term, SKOS + "definition"):
            findings.append(Issue("error", "no-definition", curie(term), "no skos:definition"))
    labels: dict[str, list[str]] = {}
    for term in classes + props:
        for label in g.objects(term, RDFS + "label"):
            labels.setdefault(label.value.casefold(), []).append(term)
    for label, terms in sorted(labels.items()):
        if len(terms) > 1:
            findings.append(Issue("warn", "duplicate-label", curie(terms[0]),
                                    f"label {label!r} is also used by "
                                    + ", ".join(curie(t) for t in terms[1:])))

    # concepts
    for c in concepts:
        for pred, what in ((SKOS + "notation", "skos:notation"), (SKOS + "prefLabel",
                           "skos:prefLabel"), (SKOS + "definition", "skos:definition"),
                           (SKOS + "inScheme", "skos:inScheme")):
            if not g.objects(c, pred):
                findings.append(Issue("error", "concept", curie(c), f"no {what}"))

    # domain and range
    for p in props:
        if OWL + "AnnotationProperty" in g.types(p):
            continue
        if not g.objects(p, RDFS + "domain"):
            findings.append(Issue("info", "no-domain", curie(p), "no rdfs:domain"))
        if not g.objects(p, RDFS + "range"):
            findings.append(Issue("warn", "no-range", curie(p), "no rdfs:range"))

    # undeclared terms of ours used anywhere
    used: set[str] = set()
    for s, p, o in g.triples:
        for t in (s, o):
            if isinstance(t, ox.NamedNode) and _ours(t.value):
                used.add(t.value)
        if _ours(p):
            used.add(p)
    known = sorted(declared)
    for term in sorted(used - declared):
        close = difflib.get_close_matches(term, known, n=1, cutoff=0.8)
        hint = f" (did you mean {curie(close[0])}?)" if close else ""
        findings.append(Issue("error", "undeclared", curie(term),
                                f"used but not declared{hint}"))

    # cycles in the class and property hierarchies
    for pred, what in ((RDFS + "subClassOf", "class"), (RDFS + "subPropertyOf", "property")):
        parents: dict[str, list[str]] = {}
        for s, p, o in g.triples:
            if p == pred and isinstance(s, ox.NamedNode) and isinstance(o, ox.NamedNode):
                parents.setdefault(s.value, []).append(o.value)
        for cycle in _cycles(parents):
            if any(_ours(t) for t in cycle):
                findings.append(Issue("error", "cycle", curie(cycle[0]), f"the {what} "
                                        "hierarchy has a cycle: "
                                        + " < ".join(curie(t) for t in [*cycle, cycle[0]])))

    counts = {"classes": len(classes), "properties": len(props), "concept schemes": len(schemes),
              "concepts": len(concepts)}
    return findings, counts


def _cycles(parents: dict[str, list[str]]) -> list[list[str]]:
    """Each cycle once, as the list of its nodes starting from the smallest IRI."""
    found: set[tuple[str, ...]] = set()
    for start in sorted(parents):
        stack = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for parent in parents.get(node, []):
                if parent == start:
                    i = path.index(min(path))
                    found.add(tuple(path[i:] + path[:i]))
                elif parent not in path and len(path) < 50:
                    stack.append((parent, [*path, parent]))
    return [list(c) for c in sorted(found)]


def run_reasoner(quads: list[ox.Quad]) -> tuple[str, list[Issue]]:
    """HermiT via owlready2: consistency and unsatisfiable classes."""
    if shutil.which("java") is None:
        return "skipped: Java not found (install a JRE to run HermiT)", []
    import owlready2

    # owl:imports are never followed: owlready2 and HermiT would fetch each IRI (http: or
    # file:), so the reasoner sees exactly the triples of the file it was given.
    imports = sorted({q.object.value for q in quads if q.predicate.value == OWL + "imports"})
    quads = [q for q in quads if q.predicate.value != OWL + "imports"]
    skipped = [Issue("info", "imports-not-followed", curie(iri), "owl:imports not followed: "
                       "the reasoner checks this file alone") for iri in imports]
    with tempfile.TemporaryDirectory(prefix="peaceld-owl-") as tmp:
        path = Path(tmp) / "ontology.nt"
        path.write_bytes(ox.serialize([q.triple for q in quads], format=ox.RdfFormat.N_TRIPLES))
        world = owlready2.World()
        onto = world.get_ontology(path.as_uri()).load(format="ntriples")
        try:
            with onto:
                owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError:
            return "inconsistent", [Issue("error", "inconsistent", ONTOLOGY,
                                          "the ontology is inconsistent (HermiT)"), *skipped]
        except owlready2.OwlReadyJavaError as exc:
            detail = str(exc).strip().splitlines()
            reason = next((line for line in detail if "Exception" in line or "error" in line),
                          detail[-1] if detail else "Java error")
            return "failed", [Issue("error", "reasoner", ONTOLOGY,
                                    f"HermiT could not load the ontology: {reason.strip()}"),
                              *skipped]
        unsat = sorted(c.iri for c in world.inconsistent_classes() if _ours(c.iri))
    return "consistent", [*(Issue("error", "unsatisfiable", curie(c),
                                  "unsatisfiable class (it can have no members)")
                            for c in unsat), *skipped]


def read_ontology(paths: Path | list[Path]) -> list[ox.Quad]:
    """The quads of one ontology file or of several (a project's ``ontology/`` folder)."""
    files = [paths] if isinstance(paths, Path) else list(paths)
    if not files:
        raise PeaceldError("no ontology files")
    for path in files:
        if not path.is_file():
            raise PeaceldError("no such file", file=path)
    return [q for path in files for q in parse_input(path)]  # may be someone else's file


def unused_findings(quads: list[ox.Quad], data: list[ox.Quad]) -> list[Issue]:
    """Own properties that no data triple uses, and own classes (not concept classes) that
    neither they nor any subclass of theirs has an instance of in the data."""
    g = _Graph(quads)
    used_p = {q.predicate.value for q in data}
    used_c = {q.object.value for q in data if q.predicate.value == RDF + "type"}
    sub: dict[str, set[str]] = {}
    for s, p, o in g.triples:
        if p == RDFS + "subClassOf" and isinstance(s, ox.NamedNode) and isinstance(o, ox.NamedNode):
            sub.setdefault(o.value, set()).add(s.value)

    def below(c: str, seen: frozenset[str] = frozenset()) -> set[str]:
        out = {c}
        for d in sub.get(c, ()):
            if d not in seen:
                out |= below(d, seen | {c})
        return out

    concepts = below(SKOS + "Concept")
    findings = []
    for s, p, o in g.triples:
        if p != RDF + "type" or not isinstance(s, ox.NamedNode) or not s.value.startswith(PLD):
            continue
        if o.value in (OWL + "ObjectProperty", OWL + "DatatypeProperty") and (
                s.value not in used_p):
            findings.append(Issue("info", "unused", curie(s.value),
                                    "declared, but no data uses this property"))
        elif (o.value == OWL + "Class" and s.value not in concepts
              and not below(s.value) & used_c):
            findings.append(Issue("info", "unused", curie(s.value),
                                    "declared, but the data has no instance of this class"))
    return findings


def mapped_quads(mapped: Sequence[tuple[Path, Sequence[Path]]],
                 ontology: list[ox.Quad]) -> list[ox.Quad]:
    """The quads that each mapping makes of its input files (CSV or facts YAML), mapped in
    memory; ``ontology`` holds the SKOS concepts the mappings may reference."""
    from .mapping import map_files
    from .rdfio import in_graph

    concepts = list(in_graph(ontology, ONTOLOGY_GRAPH))
    out: list[ox.Quad] = []
    for mapping, files in mapped:
        for path in (mapping, *files):
            if not path.is_file():
                raise PeaceldError("no such file", file=path)
        buffer = io.StringIO()
        map_files(mapping, list(files), buffer, ontology=concepts)
        out += ox.parse(buffer.getvalue().encode("utf-8"), format=ox.RdfFormat.N_QUADS)
    return out


def check_ontology(paths: Path | list[Path], *, reasoner: bool = True,
                   data: Sequence[Path] | None = None,
                   mapped: Sequence[tuple[Path, Sequence[Path]]] | None = None
                   ) -> OntologyReport:
    """Load, reason over and review an ontology (one file, or all files of a project).

    With ``data`` (RDF files, e.g. a build's ``peaceld.nq``) and/or ``mapped`` (pairs of a
    mapping file and the tables it maps, e.g. ``(mappings/un-missions.yaml,
    [samples/un-missions.csv])``), also report our own terms that none of that data uses:
    the union of all of it counts, the ontology graph itself does not."""
    quads = read_ontology(paths)
    names = [paths] if isinstance(paths, Path) else paths
    report = OntologyReport(", ".join(str(p) for p in names))
    report.findings, report.counts = quality_findings(quads)
    if data or mapped:
        facts = [q for f in data or () for q in parse_input(f)]
        facts += mapped_quads(mapped or (), quads)
        facts = [q for q in facts if not (isinstance(q.graph_name, ox.NamedNode)
                                          and q.graph_name.value == ONTOLOGY_GRAPH)]
        report.findings += unused_findings(quads, facts)
    if reasoner:
        report.reasoner, found = run_reasoner(quads)
        report.findings = found + report.findings
    order = {"error": 0, "warn": 1, "info": 2}
    report.findings.sort(key=lambda f: (order[f.level], f.code, f.term))
    return report


# --- reference ---------------------------------------------------------------------------


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def generate_reference(paths: Path | list[Path]) -> str:
    """A Markdown reference of every class, property and concept scheme, sorted by name."""
    quads = read_ontology(paths)
    g = _Graph(quads)

    def one(s: str, p: str) -> str:
        values = sorted(o.value for o in g.objects(s, p))
        return values[0] if values else ""

    def names(s: str, p: str) -> str:
        return ", ".join(sorted(curie(o.value) for o in g.objects(s, p)
                                if isinstance(o, ox.NamedNode))) or "—"

    terms = sorted({s.value for s, p, o in g.triples if p == RDF + "type"
                    and isinstance(s, ox.NamedNode) and s.value.startswith(PLD)})
    classes = [t for t in terms if OWL + "Class" in g.types(t)]
    obj = [t for t in terms if OWL + "ObjectProperty" in g.types(t)]
    dat = [t for t in terms if OWL + "DatatypeProperty" in g.types(t)]
    schemes = [t for t in terms if SKOS + "ConceptScheme" in g.types(t)]
    title = one(ONTOLOGY, DCT + "title")
    lines = [
        f"# {title}",
        "",
        "Generated by `peaceld ontology docs` from `ontology/peaceld.ttl`; do not edit by hand.",
        "",
        f"- Ontology IRI: `{ONTOLOGY}`",
        f"- Version: {one(ONTOLOGY, OWL + 'versionInfo')} "
        f"(`{one(ONTOLOGY, OWL + 'versionIRI')}`)",
        f"- Namespace: `{PLD}` (prefix `pld:`); concepts: `{CONCEPT}<scheme>/<notation>`",
        f"- Licence: {one(ONTOLOGY, DCT + 'license')}",
        "",
        _md(one(ONTOLOGY, DCT + "description")),
        "",
        f"{len(classes)} classes, {len(obj)} object properties, {len(dat)} datatype properties, "
        f"{len(schemes)} concept schemes.",
        "",
        "## Classes",
        "",
        "| class | label | definition | subclass of |",
        "|---|---|---|---|",
    ]
    for c in classes:
        lines.append(f"| `{curie(c)}` | {_md(one(c, RDFS + 'label'))} | "
                     f"{_md(one(c, SKOS + 'definition'))} | {names(c, RDFS + 'subClassOf')} |")
    for title_, group in (("Object properties", obj), ("Datatype properties", dat)):
        lines += ["", f"## {title_}", "",
                  "| property | label | definition | domain | range | subproperty of |",
                  "|---|---|---|---|---|---|"]
        for p in group:
            lines.append(f"| `{curie(p)}` | {_md(one(p, RDFS + 'label'))} | "
                         f"{_md(one(p, SKOS + 'definition'))} | {names(p, RDFS + 'domain')} | "
                         f"{names(p, RDFS + 'range')} | {names(p, RDFS + 'subPropertyOf')} |")
    lines += ["", "## Concept schemes", ""]
    for s in schemes:
        members = sorted({sub.value for sub, p, o in g.triples
                          if p == SKOS + "inScheme" and o.value == s})
        lines += [f"### `{curie(s)}`: {_md(one(s, RDFS + 'label'))}", "",
                  _md(one(s, SKOS + "definition")), "",
                  "| notation | label | also | definition |", "|---|---|---|---|"]
        for c in sorted(members, key=lambda m: one(m, SKOS + "notation")):
            alts = ", ".join(sorted(o.value for o in g.objects(c, SKOS + "altLabel")))
            lines.append(f"| `{one(c, SKOS + 'notation')}` | {_md(one(c, SKOS + 'prefLabel'))} | "
                         f"{_md(alts)} | {_md(one(c, SKOS + 'definition'))} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def markdown_to_html(markdown: str, title: str) -> str:
    """The reference as one HTML page (CommonMark with tables, by markdown-it-py)."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
            f"<title>{html.escape(title)}</title>\n"
            "<style>body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;"
            "padding:0 1rem;line-height:1.45}table{border-collapse:collapse;width:100%;"
            "margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .5rem;vertical-align:top;"
            "text-align:left}th{background:#f3f3f3}code{background:#f6f6f6;padding:0 .2rem}"
            "</style></head><body>\n" + body + "</body></html>\n")

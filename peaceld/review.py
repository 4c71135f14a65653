"""A random sample of a build's claims, as a sheet for a person to read against the sources:
the core of ``peaceld facts sample``.

A **claim** is one triple asserted in a passage graph (a named graph that the sources graph
describes as a ``pld:Passage`` of an article), except the bookkeeping the build adds there:

* the Web Annotation of each fact's evidence (``oa:Annotation``, its target and selector);
* ``rdf:type`` and ``rdfs:label`` of the entities the passage speaks of (the curators'
  classification and the name the article uses, which every passage graph repeats);
* ``pld:citesPassage`` and ``pld:assessedIn`` of an outcome assessment (they restate which
  passage and article the graph belongs to).

Everything else is a claim: relations, values, acronyms and aliases, and the notes
(``rdfs:comment``) in which the curators say in their own words what the passage says.

The sample is drawn uniformly at random, without replacement, from the claims sorted in a
fixed order, with Python's ``random.Random(seed)``: the same seed and the same build give
the same sample and a byte-identical sheet. For each claim the sheet shows its labels, its
article and passage, the passage's text (read from the article file at review time, found
as ``peaceld facts check`` finds it), the fact(s) of ``facts/`` that make it, with their
evidence span and basis, and an empty verdict line. The sheet quotes the articles, so it is
never written into the project (only outside it or into its build folder).
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .atomic import write_atomic
from .build import default_out_dir
from .errors import PeaceldError, inert
from .evidence import map_each_fact
from .grounding import FactResult, article_dirs, check_files, read_articles
from .mapping import Mapper, open_mapping
from .namespaces import ONTOLOGY_GRAPH, PLD, PREFIXES, SOURCES_GRAPH
from .passages import digest
from .project import ProjectFolder, find_project
from .rdfio import load_dataset, load_ontology
from .records import read_records

RDF_TYPE = PREFIXES["rdf"] + "type"
RDFS_LABEL = PREFIXES["rdfs"] + "label"
SKOS_PREFLABEL = PREFIXES["skos"] + "prefLabel"
SKOS_DEFINITION = PREFIXES["skos"] + "definition"
DCTERMS = PREFIXES["dcterms"]
OA = PREFIXES["oa"]

#: Predicates of a passage graph that are bookkeeping, not claims (see the module doc).
NOT_CLAIMS = frozenset({RDF_TYPE, RDFS_LABEL, PLD + "citesPassage", PLD + "assessedIn"})
#: The links from an evidence annotation to the nodes that belong to it.
ANNOTATION_PARTS = (OA + "hasTarget", OA + "hasSelector")
DEFAULT_SIZE = 40
VERDICTS = "supported / partly / unsupported"


@dataclass(frozen=True)
class Claim:
    """One triple of a passage graph."""

    graph: str
    subject: ox.NamedNode | ox.BlankNode
    predicate: ox.NamedNode
    object: ox.Term

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.graph, str(self.subject), str(self.predicate), str(self.object))


@dataclass(frozen=True)
class Span:
    """An evidence span of a fact in the claim's passage, with its text."""

    start: int
    end: int
    text: str


@dataclass
class FactRef:
    """A fact of ``facts/`` that makes a claim: where it is, its basis and its evidence."""

    where: str
    kind: str
    subject: str
    basis: str
    reason: str | None
    spans: list[Span] = field(default_factory=list)


@dataclass
class PassageInfo:
    """What the sources graph says about a passage and its article."""

    iri: str
    id: str
    article: str
    title: str
    ai_disclosure: str
    section: int | None
    section_title: str
    paragraph: int | None
    start: int
    end: int
    sha256: str


@dataclass
class ReviewItem:
    """One sampled claim with everything a reviewer needs to judge it."""

    number: int
    claim: Claim
    subject_label: str
    predicate_label: str
    object_label: str
    object_definition: str | None
    passage: PassageInfo
    text: str
    facts: list[FactRef]


@dataclass
class Sample:
    """A drawn sample: the seed, how many of how many claims, the build it came from."""

    seed: int
    size: int
    total: int
    build: str
    items: list[ReviewItem]

    def markdown(self) -> str:
        """The review sheet (Markdown)."""
        return render_sheet(self)


# --- the claims of a build -------------------------------------------------------------------


def passage_graphs(quads: Iterable[ox.Quad]) -> set[str]:
    """The IRIs of the named graphs the sources graph describes as passages."""
    sources = ox.NamedNode(SOURCES_GRAPH)
    return {q.subject.value for q in quads
            if q.graph_name == sources and q.predicate.value == RDF_TYPE
            and q.object == ox.NamedNode(PLD + "Passage") and isinstance(q.subject, ox.NamedNode)}


def claims(quads: list[ox.Quad]) -> list[Claim]:
    """Every claim of a build (see the module doc), in a fixed order."""
    graphs = passage_graphs(quads)
    by_graph: dict[str, list[ox.Quad]] = defaultdict(list)
    for q in quads:
        if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value in graphs:
            by_graph[q.graph_name.value].append(q)
    out: list[Claim] = []
    for graph, items in by_graph.items():
        bookkeeping = {q.subject for q in items if q.predicate.value == RDF_TYPE
                       and q.object == ox.NamedNode(OA + "Annotation")}
        grew = True
        while grew:  # the annotations' targets and selectors, however deep
            more = {q.object for q in items if q.subject in bookkeeping
                    and q.predicate.value in ANNOTATION_PARTS} - bookkeeping
            grew = bool(more)
            bookkeeping |= more
        out += [Claim(graph, q.subject, q.predicate, q.object) for q in items
                if q.subject not in bookkeeping and q.predicate.value not in NOT_CLAIMS]
    return sorted(out, key=lambda c: c.key)


def draw_claims(all_claims: list[Claim], size: int, seed: int) -> list[Claim]:
    """``size`` claims (all of them if there are fewer) uniformly at random, without
    replacement, in the order drawn."""
    picks = random.Random(seed).sample(range(len(all_claims)), min(size, len(all_claims)))
    return [all_claims[i] for i in picks]


# --- what the reviewer is shown --------------------------------------------------------------


class _Labels:
    """Labels and definitions from a build: a claim's own passage graph first (the words of
    its article), then the ontology, then any graph; English first, then by value."""

    def __init__(self, quads: list[ox.Quad]) -> None:
        self.labels: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
        self.definitions: dict[str, list[str]] = defaultdict(list)
        for q in quads:
            if not isinstance(q.object, ox.Literal):
                continue
            p = q.predicate.value
            graph = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else ""
            if p in (RDFS_LABEL, SKOS_PREFLABEL):
                self.labels[str(q.subject)].append((graph, q.object.language or "", q.object.value))
            elif p == SKOS_DEFINITION:
                self.definitions[str(q.subject)].append(q.object.value)

    def label(self, term: ox.Term, graph: str) -> str:
        if isinstance(term, ox.Literal):
            return term.value
        found = self.labels.get(str(term))
        if not found:
            value = getattr(term, "value", str(term))
            return value.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]

        def rank(item: tuple[str, str, str]) -> tuple[int, int, str]:
            where = 0 if item[0] == graph else 1 if item[0] == ONTOLOGY_GRAPH else 2
            return (where, 0 if item[1] in ("en", "") else 1, item[2])

        return min(found, key=rank)[2]

    def definition(self, term: ox.Term) -> str | None:
        found = self.definitions.get(str(term))
        return min(found) if found else None


def _passages(quads: list[ox.Quad]) -> dict[str, PassageInfo]:
    sources = ox.NamedNode(SOURCES_GRAPH)
    props: dict[str, dict[str, ox.Term]] = defaultdict(dict)
    for q in quads:
        if q.graph_name == sources and isinstance(q.subject, ox.NamedNode):
            props[q.subject.value].setdefault(q.predicate.value, q.object)

    def text(iri: str, predicate: str) -> str:
        term = props.get(iri, {}).get(predicate)
        return getattr(term, "value", "") if term is not None else ""

    def number(iri: str, predicate: str) -> int | None:
        value = text(iri, predicate)
        return int(value) if value.lstrip("-").isdigit() else None

    out = {}
    for iri in passage_graphs(quads):
        article = text(iri, DCTERMS + "isPartOf")
        disclosure = text(article, PLD + "aiDisclosure")
        out[iri] = PassageInfo(
            iri, text(iri, DCTERMS + "identifier"), text(article, DCTERMS + "identifier"),
            text(article, DCTERMS + "title"),
            disclosure.rstrip("/").rsplit("/", 1)[-1] if disclosure else "not stated",
            number(iri, PLD + "sectionNumber"), text(iri, PLD + "sectionTitle"),
            number(iri, PLD + "paragraphNumber"), number(iri, PLD + "startOffset") or 0,
            number(iri, PLD + "endOffset") or 0, text(iri, PLD + "contentHash"))
    return out


def _fact_index(project: ProjectFolder) -> dict[tuple[str, str, str, str], list[tuple[str, int]]]:
    """Which fact (file, line) makes each triple of a passage graph: each fact mapped alone
    with the project's facts mapping, as the build maps it."""
    mapping = open_mapping(project.facts_mapping(), load_ontology(project.files("ontology")))
    mapper = Mapper(mapping)
    fact_files = project.fact_files()
    for path in fact_files:
        mapper.declare(read_records(path))
    out: dict[tuple[str, str, str, str], list[tuple[str, int]]] = defaultdict(list)
    for rec, nquads in map_each_fact(mapper, fact_files, constants=False):
        for q in ox.parse(nquads.encode("utf-8"), format=ox.RdfFormat.N_QUADS):
            if isinstance(q.graph_name, ox.NamedNode):
                key = (q.graph_name.value, str(q.subject), str(q.predicate), str(q.object))
                if (rec.file, rec.line) not in out[key]:
                    out[key].append((rec.file, rec.line))
    return out


def _relative(path: str, root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(root.resolve()))
    except ValueError:
        return path


def _fact_ref(result: FactResult, passage: PassageInfo, text: str, root: Path) -> FactRef:
    spans = [Span(e.start, e.end, text[e.start:e.end]) for e in result.evidence
             if e.passage.id == passage.id]
    return FactRef(f"{_relative(result.file, root)}:{result.line}", result.kind, result.subject,
                   result.basis, result.reason, spans)


def sample(project_dir: Path | None = None, *, size: int = DEFAULT_SIZE, seed: int,
           dist: Path | None = None, articles: Iterable[Path] = ()) -> Sample:
    """Draw ``size`` claims of the project's last build at random with ``seed``, each with
    its passage's text read from the article file (looked up as ``facts check`` does: the
    folders in ``articles``, ``PROJECT/articles``, ``$PEACELD_ARTICLES``, ``../shared/seeds``).

    Raises PeaceldError when there is no build, or an article of a sampled claim is missing
    or differs from its passage table.
    """
    project, quads, build_hash = load_build(project_dir, dist, size)
    every = claims(quads)
    drawn = draw_claims(every, size, seed)

    passages = _passages(quads)
    dirs = article_dirs(project.root, articles)
    texts = passage_texts([passages[c.graph] for c in drawn], dirs)

    index = _fact_index(project)
    report = check_files(project.fact_files(), dirs)
    results = {(f.file, f.line): f for f in report.facts}
    labels = _Labels(quads)
    items = []
    for number, c in enumerate(drawn, 1):
        p = passages[c.graph]
        text = texts[p.article]
        facts = [_fact_ref(results[where], p, text, project.root)
                 for where in index.get(c.key, []) if where in results]
        items.append(ReviewItem(number, c, labels.label(c.subject, c.graph),
                                labels.label(c.predicate, c.graph),
                                labels.label(c.object, c.graph), labels.definition(c.object),
                                p, text[p.start:p.end], facts))
    return Sample(seed, len(drawn), len(every), build_hash, items)


def load_build(project_dir: Path | None, dist: Path | None, size: int
               ) -> tuple[ProjectFolder, list[ox.Quad], str]:
    """The project, the quads of its last build and the build's hash (of its N-Quads), for a
    sample of ``size``; PeaceldError when the size is below 1 or there is no build."""
    if size < 1:
        raise PeaceldError(f"the sample size is at least 1, not {size}")
    project = find_project(project_dir)
    dist = Path(dist) if dist is not None else default_out_dir(project)
    dump = dist / "peaceld.nq"
    if not dump.is_file():
        raise PeaceldError("no build here: run 'peaceld build' first", file=dist)
    return (project, load_dataset(dump),
            hashlib.sha256(dump.read_bytes()).hexdigest()[:16])


def passage_texts(drawn: Iterable[PassageInfo], dirs: list[Path]) -> dict[str, str]:
    """The text of each article of the drawn passages, looked up in ``dirs``; PeaceldError
    when one is missing or differs from the build's passage table."""
    drawn = list(drawn)
    needed = {p.article for p in drawn}
    texts = read_articles(needed, dirs)
    missing = sorted(needed - set(texts))
    if missing:
        looked = ", ".join(str(d) for d in dirs) or "no article folder exists"
        raise PeaceldError(f"article text not found: {', '.join(m + '.txt' for m in missing)} "
                           f"(looked in: {looked}; give the folder with -a DIR)")
    for p in drawn:
        if p.sha256 and digest(texts[p.article][p.start:p.end]) != p.sha256:
            raise PeaceldError(f"the article text differs from the build's passage {p.id} "
                               f"[{p.start}, {p.end}]", file=_article_file(p.article, dirs))
    return texts


def _article_file(article: str, dirs: list[Path]) -> Path | None:
    return next((d / f"{article}.txt" for d in dirs if (d / f"{article}.txt").is_file()), None)


# --- the sheet --------------------------------------------------------------------------------


def _quote(text: str) -> str:
    return "\n".join("> " + line if line.strip() else ">" for line in text.strip().splitlines())


def _term(term: ox.Term) -> str:
    return str(term).replace("`", "'")


def render_sheet(s: Sample) -> str:
    """The review sheet of a sample, in Markdown."""
    out = [f"# Review sheet: {s.size} of {s.total} claims, seed {s.seed}", "",
           f"Drawn from the build with N-Quads sha256 `{s.build}` by "
           f"`peaceld facts sample -n {s.size} --seed {s.seed}`.",
           "A claim is one triple of a passage graph (not the evidence annotations, nor the "
           "rdf:type, rdfs:label, pld:citesPassage and pld:assessedIn bookkeeping).",
           "For each claim write a verdict: **supported** (the passage states it, paraphrase "
           "allowed), **partly** (the passage says something narrower, wider or in another "
           "role), **unsupported** (the passage does not say it), and a one-line reason in "
           "your own words.", "",
           "This sheet quotes the source articles: do not commit it.", ""]
    for item in s.items:
        c, p = item.claim, item.passage
        out += [f"## {item.number}. {item.subject_label} | {item.predicate_label} | "
                f"{item.object_label}", "",
                f"<small>{_term(c.subject)} {_term(c.predicate)} {_term(c.object)}</small>", ""]
        if item.object_definition:
            out += [f"- object means: {item.object_definition}"]
        section = "" if p.section is None else f"section {p.section} "
        paragraph = "" if p.paragraph is None else f", paragraph {p.paragraph}"
        out += [f"- article: {p.article}, \u201c{p.title}\u201d (AI-written: {p.ai_disclosure})",
                f"- passage: {p.id}, {section}\u201c{p.section_title}\u201d{paragraph} "
                f"[{p.start}, {p.end}]"]
        if not item.facts:
            out.append("- fact: none of the current facts makes this claim "
                       "(is the build older than facts/?)")
        for f in item.facts:
            out.append(f"- fact: {f.where} ({f.kind} {f.subject}), basis: {f.basis}"
                       + (f" \u2014 {f.reason}" if f.basis == "inferred" and f.reason else ""))
            for span in f.spans:
                if (span.start, span.end) == (p.start, p.end):
                    out.append(f"  - evidence [{span.start}, {span.end}]: the whole passage")
                else:
                    out.append(f"  - evidence [{span.start}, {span.end}]: \u201c"
                               f"{' '.join(span.text.split())}\u201d")
            if not f.spans:
                out.append("  - evidence: no span recorded in this passage")
        out += ["", "Passage text:", "", _quote(item.text), "",
                f"**Verdict** ({VERDICTS}): ", "", "**Reason**: ", ""]
    return inert("\n".join(out).rstrip("\n") + "\n")


def check_output(path: Path, project: ProjectFolder, dist: Path | None = None) -> None:
    """Refuse to write a sheet (it quotes the articles) inside the project folder, except
    into its build folder, which is never committed."""
    target = path.resolve()
    root = project.root.resolve()
    build_dir = dist if dist is not None else default_out_dir(project)
    if (target == root or root in target.parents) and build_dir.resolve() not in target.parents:
        raise PeaceldError("the review sheet quotes the articles, which never enter the project:"
                           " write it outside the project folder or into its build folder "
                           f"({build_dir})", file=path)


def write_sheet(s: Sample, path: Path, project_dir: Path | None = None,
                dist: Path | None = None) -> None:
    """Write the sheet of a sample to ``path`` (atomically), never inside the project."""
    check_output(path, find_project(project_dir), dist)
    write_atomic(path, s.markdown().encode("utf-8"))


__all__ = ["Claim", "ReviewItem", "Sample", "claims", "draw_claims", "render_sheet", "sample",
           "write_sheet"]

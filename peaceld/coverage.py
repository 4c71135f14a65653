"""A random sample of a build's passages, with the claims the graph holds for each, as a
sheet on which a reader lists what the passage says and marks what the graph holds: the core
of ``peaceld facts sample --passages`` (how complete the facts are, where ``facts sample``
asks how precise they are).

Passages are drawn uniformly at random, without replacement, among the passages of more than
``min_chars`` characters of every article the build cites, in a fixed order (article, start
offset), with Python's ``random.Random(seed)``: the same seed and build give a byte-identical
sheet. For each passage the sheet shows its text (read from the article file, checked against
the passage table), every claim of its passage graph (as ``peaceld facts sample`` counts them)
in labels, marked ``(note)`` when it is one of our free-text comments, and the reason when the
curators list the passage as making no claim; then empty lines for the reader's count.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .atomic import write_atomic
from .errors import inert
from .grounding import CLAIM_PASSAGE_CHARS, article_dirs
from .namespaces import PREFIXES
from .project import find_project
from .records import read_unclaimed
from .review import (
    PassageInfo,
    _Labels,
    _passages,
    _quote,
    check_output,
    claims,
    load_build,
    passage_texts,
)

DEFAULT_PASSAGES = 15
RDFS_COMMENT = PREFIXES["rdfs"] + "comment"


@dataclass(frozen=True)
class HeldClaim:
    """One claim of a passage graph, in labels."""

    subject: str
    predicate: str
    object: str
    note: bool  # an rdfs:comment: our own words for what the passage says

    def line(self) -> str:
        return (f"{self.subject} | {self.predicate} | {self.object}"
                + ("  (note)" if self.note else ""))


@dataclass
class PassageItem:
    """One drawn passage, its text and what the graph holds for it."""

    number: int
    passage: PassageInfo
    text: str
    held: list[HeldClaim]
    without_claims: str | None  # the curators' reason, when listed as making no claim


@dataclass
class PassageSample:
    """A drawn sample of passages: the seed, how many of how many, the build it came from."""

    seed: int
    size: int
    total: int
    min_chars: int
    build: str
    items: list[PassageItem]

    def markdown(self) -> str:
        """The coverage sheet (Markdown)."""
        return render_passage_sheet(self)


def sample_passages(project_dir: Path | None = None, *, size: int = DEFAULT_PASSAGES, seed: int,
                    dist: Path | None = None, articles: Iterable[Path] = (),
                    min_chars: int = CLAIM_PASSAGE_CHARS) -> PassageSample:
    """Draw ``size`` passages longer than ``min_chars`` of the project's last build at random
    with ``seed``, each with its text and the claims its graph holds.

    Raises PeaceldError when there is no build, or an article of a drawn passage is missing
    or differs from its passage table.
    """
    project, quads, build_hash = load_build(project_dir, dist, size)
    passages = _passages(quads)
    candidates = sorted((p for p in passages.values() if p.end - p.start > min_chars),
                        key=lambda p: (p.article, p.start))
    picks = random.Random(seed).sample(range(len(candidates)), min(size, len(candidates)))
    drawn = [candidates[i] for i in picks]

    texts = passage_texts(drawn, article_dirs(project.root, articles))

    reasons: dict[tuple[str, str], str] = {}
    for path in project.fact_files():
        if not path.name.endswith(".passages.yaml"):
            for u in read_unclaimed(path):
                reasons[(path.stem, u.at)] = u.reason
    wanted = {p.iri for p in drawn}
    by_graph: dict[str, list] = defaultdict(list)
    for c in claims(quads):
        if c.graph in wanted:
            by_graph[c.graph].append(c)
    labels = _Labels(quads)
    items = []
    for number, p in enumerate(drawn, 1):
        held = sorted({HeldClaim(labels.label(c.subject, c.graph),
                                 labels.label(c.predicate, c.graph),
                                 " ".join(labels.label(c.object, c.graph).split()),
                                 c.predicate.value == RDFS_COMMENT)
                       for c in by_graph[p.iri]},
                      key=lambda h: (h.note, h.subject, h.predicate, h.object))
        items.append(PassageItem(number, p, texts[p.article][p.start:p.end], held,
                                 reasons.get((p.article, p.id))))
    return PassageSample(seed, len(drawn), len(candidates), min_chars, build_hash, items)


def render_passage_sheet(s: PassageSample) -> str:
    """The coverage sheet of a passage sample, in Markdown."""
    out = [f"# Coverage sheet: {s.size} of {s.total} passages over {s.min_chars} characters, "
           f"seed {s.seed}", "",
           f"Drawn from the build with N-Quads sha256 `{s.build}` by "
           f"`peaceld facts sample --passages -n {s.size} --seed {s.seed}`.",
           "For each passage, list every distinct claim it makes about actors, mandates, "
           "principles, operations, places, dates, objectives, effects, activities, outcomes "
           "and challenges (rhetoric is not a claim), and mark each **held** (a claim below says "
           "it, paraphrase allowed), **note** (only in a free-text note), **name** (only in an "
           "entity's name) or **missing**. Then give the counts.", "",
           "This sheet quotes the source articles: do not commit it.", ""]
    for item in s.items:
        p = item.passage
        section = "" if p.section is None else f"section {p.section} "
        paragraph = "" if p.paragraph is None else f", paragraph {p.paragraph}"
        out += [f"## {item.number}. {p.article} {p.id} ({p.end - p.start} characters)", "",
                f"- article: \u201c{p.title}\u201d (AI-written: {p.ai_disclosure})",
                f"- passage: {section}\u201c{p.section_title}\u201d{paragraph} "
                f"[{p.start}, {p.end}]"]
        if item.without_claims:
            out.append(f"- listed as making no claim: {item.without_claims}")
        out += ["", "Passage text:", "", _quote(item.text), "",
                f"The graph holds {len(item.held)} claim(s) for this passage:", ""]
        out += [f"{i}. {h.line()}" for i, h in enumerate(item.held, 1)] or ["(none)"]
        out += ["", "**Claims the passage makes** (one per line: claim \u2014 held / note / "
                "name / missing):", "", "1. ", "",
                "**Counts**: made: , held: , note only: , name only: , missing: ", ""]
    return inert("\n".join(out).rstrip("\n") + "\n")


def write_passage_sheet(s: PassageSample, path: Path, project_dir: Path | None = None,
                        dist: Path | None = None) -> None:
    """Write the sheet to ``path`` (atomically), never inside the project."""
    check_output(path, find_project(project_dir), dist)
    write_atomic(path, s.markdown().encode("utf-8"))


__all__ = ["PassageSample", "render_passage_sheet", "sample_passages", "write_passage_sheet"]

"""Is every fact grounded in the passage it cites? The core of ``peaceld facts check``.

A fact records, for each passage it cites, its **evidence**: the span of the passage that
supports it (character offsets into the article, inside the passage) and the **mentions**,
the few words that span uses for the subject and for each value the fact claims::

    - kind: practice
      at: s1p2
      id: military-diplomacy
      objectives: [trust-building]
      evidence: {span: [678, 927], subject: military diplomacy,
                 mentions: {trust-building: builds trust}}

A fact is *grounded* when every mention occurs in its evidence span and every alias or
acronym it claims (``aka``, ``acronym``) occurs in a passage it cites. A reading that the
passage implies but does not state is marked ``basis: inferred`` with a one-line ``reason``
and counted apart. Identifications the curators make themselves (``kind: identification``)
are not claims of the article; they go to the curators' graph and are not checked here.

The article texts are not part of a project (they are cited, not copied); the check looks
for ``<article-id>.txt`` in the folders it is given. Without the text, offsets are still
checked against the passage table, but mentions cannot be, and the fact is *unverified*.

The same evidence is published by the build with the W3C Web Annotation vocabulary
(:mod:`peaceld.evidence`).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import PeaceldError
from .namespaces import GRAPH
from .passages import digest
from .records import DRAFT_FIELD, Record, read_records, read_unclaimed

OA = "http://www.w3.org/ns/oa#"
CURATORS_GRAPH = GRAPH + "curators"
SOURCES_GRAPH = GRAPH + "sources"

#: Kinds that describe sources, not claims.
SOURCE_KINDS = frozenset({"article", "article-text", "passage"})
#: Kinds of the curators' own statements (not claims of an article).
CURATOR_KINDS = frozenset({"identification"})
#: Fields that are bookkeeping, names or our own classification, not a value to ground.
NOT_CLAIMED = frozenset({"kind", "at", "id", "name", "note", "evidence", "basis", "reason",
                         "category", "position", DRAFT_FIELD})
#: The fields of a draft mark (docs/facts.md, "Drafts").
DRAFT_KEYS = ("by", "confidence", "rule")
ALIAS_FIELDS = ("acronym", "aka")
#: The field that names the subject, for kinds whose subject is not the fact's own entity.
SUBJECT_FIELD = {"challenge": "faced_by", "objective": "of", "effect": "of",
                 "undermining": "of", "principle": "principle", "assessment": "operation"}
#: Fields that place a fact in a structure the curators made (a step's transition and
#: position), not values the passage is asked to name.
STRUCTURE = {"step": ("transition", "position")}
#: A mention is a few words, never a sentence.
MAX_MENTION_WORDS = 8
#: A passage longer than this either has a claim or is listed, with the reason, under
#: ``passages_without_claims`` in its article's facts file (``facts check --strict``).
CLAIM_PASSAGE_CHARS = 150
MAX_MENTION_CHARS = 70
BASES = ("stated", "inferred")


def normalise(text: str) -> str:
    """Compare text ignoring case, curly quotes, dashes and runs of white space."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u2010", "-")
    text = text.replace("\u2013", "-").replace("\u2014", "-")
    return re.sub(r"\s+", " ", text).strip().casefold()


@dataclass(frozen=True)
class PassageRef:
    article: str
    id: str
    start: int
    end: int
    sha256: str


@dataclass
class Evidence:
    """One cited passage's support for a fact."""

    passage: PassageRef
    start: int
    end: int
    subject: str | None
    mentions: dict[str, str]


@dataclass
class FactResult:
    """The verdict on one fact: grounded, inferred, unverified or ungrounded, and why."""

    file: str
    line: int
    kind: str
    subject: str
    status: str
    problems: list[str] = field(default_factory=list)
    basis: str = "stated"
    reason: str | None = None
    evidence: list[Evidence] = field(default_factory=list)
    draft: bool = False  # drafted by ``facts draft``, not accepted yet: never published

    @property
    def where(self) -> str:
        """``file:line``, the file relative to the current folder where it is below it."""
        return f"{_where(self.file)}:{self.line}"


@dataclass
class PassageCoverage:
    """Whether a passage of more than ``CLAIM_PASSAGE_CHARS`` characters has a claim."""

    file: str
    article: str
    id: str
    chars: int
    status: str  # "cited" | "listed" (without claims, with a reason) | "neither"
    reason: str | None = None


@dataclass
class GroundingReport:
    """What ``facts check`` found, fact by fact, and which long passages have no claim."""

    facts: list[FactResult]
    errors: list[PeaceldError] = field(default_factory=list)
    missing_articles: list[str] = field(default_factory=list)
    curators: int = 0
    passages: list[PassageCoverage] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for f in self.facts if f.status == status)

    @property
    def drafts(self) -> int:
        """How many of the facts are drafts (checked like the others, never published)."""
        return sum(1 for f in self.facts if f.draft)

    @property
    def total(self) -> int:
        return len(self.facts)

    @property
    def share_grounded(self) -> float:
        """Grounded or marked inferred, out of all facts (1.0 when there are none)."""
        ok = self.count("grounded") + self.count("inferred")
        return ok / self.total if self.total else 1.0

    @property
    def failures(self) -> list[FactResult]:
        return [f for f in self.facts if f.status not in ("grounded", "inferred")]

    @property
    def passages_without_claim(self) -> list[PassageCoverage]:
        """Long passages that neither have a claim nor are listed with a reason."""
        return [p for p in self.passages if p.status == "neither"]

    def ok(self, strict: bool = False, complete: bool = False) -> bool:
        """No broken evidence; with ``strict``, also nothing ungrounded or unverified; with
        ``complete``, every long passage has a claim or is listed with the reason it makes
        none."""
        return not self.errors and not (strict and self.failures) and not (
            complete and self.passages_without_claim)

    def passage_summary(self) -> str:
        c = {s: sum(1 for p in self.passages if p.status == s)
             for s in ("cited", "listed", "neither")}
        return (f"passages over {CLAIM_PASSAGE_CHARS} characters: {c['cited']} with claims, "
                f"{c['listed']} listed without claims (with the reason), {c['neither']} neither")

    def summary(self) -> str:
        return (f"{self.count('grounded')} grounded, {self.count('inferred')} inferred, "
                f"{self.count('ungrounded')} ungrounded, {self.count('unverified')} unverified "
                f"of {self.total} facts ({self.share_grounded:.1%} grounded or inferred); "
                f"{self.curators} curators' identification(s)" + self._drafts_note())

    def _drafts_note(self) -> str:
        if not self.drafts:
            return ""
        ok = sum(1 for f in self.facts if f.draft and f.status in ("grounded", "inferred"))
        return (f"; {self.drafts} of the facts are drafts ({ok} grounded or inferred), "
                "not published until accepted")

    def warnings(self, limit: int | None = None) -> list[str]:
        """What a build warns about: broken evidence and ungrounded facts; facts that could
        not be verified (no article text) are one line, not one each."""
        out = [str(e) for e in self.errors]
        out += [f"{f.where}: {f.kind} {f.subject}: {'; '.join(f.problems)}"
                for f in self.facts if f.status == "ungrounded"]
        out = out if limit is None else out[:limit]
        if self.count("unverified"):
            out.append(f"{self.count('unverified')} fact(s) not verified: article text not found "
                       f"({', '.join(self.missing_articles)}); see peaceld facts check -a DIR")
        return out

    def lines(self, limit: int | None = None, complete: bool = False) -> list[str]:
        """``file:line: what is wrong`` for every fact that is not grounded; with
        ``complete``, then every long passage without a claim."""
        out = [str(e) for e in self.errors]
        for f in self.failures:
            out.append(f"{f.where}: {f.kind} {f.subject}: {'; '.join(f.problems)}")
        for p in self.passages_without_claim if complete else ():
            out.append(f"{_where(p.file)}:1: passage {p.id} ({p.chars} characters) has no claim "
                       "and is not listed under passages_without_claims with a reason")
        return out if limit is None else out[:limit]


def _where(file: str) -> str:
    path = Path(file)
    with contextlib.suppress(ValueError):
        path = path.resolve().relative_to(Path.cwd().resolve())
    return str(path)


def article_dirs(project_root: Path, extra: Iterable[Path] = ()) -> list[Path]:
    """Where to look for article texts: given folders, ``PROJECT/articles``,
    ``$PEACELD_ARTICLES`` (``:``-separated), then ``../shared/seeds`` beside the project."""
    dirs = [Path(d) for d in extra]
    dirs.append(project_root / "articles")
    env = os.environ.get("PEACELD_ARTICLES")
    if env:
        dirs += [Path(d) for d in env.split(os.pathsep) if d]
    dirs.append(project_root.parent / "shared" / "seeds")
    return [d for d in dirs if d.is_dir()]


def _passages(files: list[Path]) -> dict[tuple[str, str], PassageRef]:
    out: dict[tuple[str, str], PassageRef] = {}
    for path in files:
        if not path.name.endswith(".passages.yaml"):
            continue
        for rec in read_records(path):
            v = rec.values
            if v.get("kind") == "passage":
                source = (rec.meta or {}).get("source", "")
                out[(source, str(v["id"]))] = PassageRef(source, str(v["id"]), int(v["start"]),
                                                         int(v["end"]), str(v["sha256"]))
    return out


def read_articles(articles: set[str], dirs: list[Path]) -> dict[str, str]:
    """The text of each article found in ``dirs`` (by id; missing ones left out)."""
    texts = {}
    for article in sorted(articles):
        for d in dirs:
            path = d / f"{article}.txt"
            if path.is_file():
                try:
                    texts[article] = path.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as exc:
                    raise PeaceldError(f"cannot read article: {exc}", file=path) from None
                break
    return texts


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def claimed_values(rec: Record) -> list[str]:
    """The values a fact claims that need a mention (references, concepts, years...)."""
    kind = str(rec.values.get("kind"))
    skip = set(NOT_CLAIMED) | set(ALIAS_FIELDS)
    if kind in SUBJECT_FIELD:
        skip.add(SUBJECT_FIELD[kind])
    skip.update(STRUCTURE.get(kind, ()))
    values: list[str] = []
    for name, value in rec.values.items():
        if name in skip:
            continue
        for v in _as_list(value):
            s = str(v)
            if s not in values:
                values.append(s)
    return values


def subject_key(rec: Record) -> str:
    kind = str(rec.values.get("kind"))
    return str(rec.values.get(SUBJECT_FIELD.get(kind, "id"), rec.values.get("name", "?")))


def _parse_evidence(rec: Record, cited: list[str], source: str,
                    passages: dict[tuple[str, str], PassageRef],
                    problems: list[str]) -> list[Evidence]:
    raw = rec.values.get("evidence")
    items = _as_list(raw)
    out: list[Evidence] = []
    for item in items:
        if not isinstance(item, dict):
            problems.append("each evidence item is a mapping with span, subject and mentions")
            continue
        unknown = sorted(set(item) - {"at", "span", "subject", "mentions"})
        if unknown:
            problems.append(f"unknown evidence field {unknown[0]!r}")
        at = item.get("at")
        if at is None:
            if len(cited) != 1:
                problems.append("evidence for a fact citing several passages names its 'at'")
                continue
            at = cited[0]
        at = str(at)
        if at not in cited:
            problems.append(f"evidence from {at}, which the fact does not cite")
            continue
        passage = passages.get((source, at))
        if passage is None:
            problems.append(f"unknown passage {at}")
            continue
        span = item.get("span")
        if (not isinstance(span, list) or len(span) != 2
                or not all(isinstance(x, int) and not isinstance(x, bool) for x in span)):
            problems.append(f"evidence span of {at} is two offsets [start, end]")
            continue
        start, end = span
        if not passage.start <= start < end <= passage.end:
            problems.append(f"span [{start}, {end}] is not inside passage {at} "
                            f"[{passage.start}, {passage.end}]")
            continue
        mentions = item.get("mentions") or {}
        if not isinstance(mentions, dict):
            problems.append("mentions is a mapping from a value to the words used for it")
            mentions = {}
        subject = item.get("subject")
        out.append(Evidence(passage, start, end, None if subject is None else str(subject),
                            {str(k): str(v) for k, v in mentions.items()}))
    return out


def draft_mark_problems(mark: Any) -> list[str]:
    """What is wrong with a draft mark ``{by: ..., confidence: 0.0-1.0, rule: ...}``."""
    if not isinstance(mark, dict):
        return ["the draft mark is a mapping {by, confidence, rule}"]
    problems = [f"unknown draft field {k!r}" for k in sorted(set(mark) - set(DRAFT_KEYS))]
    for name in ("by", "rule"):
        if not isinstance(mark.get(name), str) or not mark[name].strip():
            problems.append(f"the draft mark names its {name!r}")
    confidence = mark.get("confidence")
    if (not isinstance(confidence, int | float) or isinstance(confidence, bool)
            or not 0 <= confidence <= 1):
        problems.append("the draft confidence is a number from 0 to 1")
    return problems


def check_fact(rec: Record, passages: dict[tuple[str, str], PassageRef],
               texts: dict[str, str]) -> FactResult:
    """Check one fact against its passages (and the article text, where it is known)."""
    v = rec.values
    kind = str(v.get("kind"))
    source = str((rec.meta or {}).get("source", ""))
    result = FactResult(rec.file, rec.line, kind, subject_key(rec), "grounded",
                        draft=DRAFT_FIELD in v)
    problems = result.problems
    if result.draft:
        problems += draft_mark_problems(v[DRAFT_FIELD])
    basis = v.get("basis", "stated")
    if basis not in BASES:
        problems.append(f"basis is 'stated' or 'inferred', not {basis!r}")
        basis = "stated"
    result.basis = str(basis)
    reason = v.get("reason")
    result.reason = None if reason is None else str(reason).strip()
    if basis == "inferred" and not result.reason:
        problems.append("an inferred fact gives a one-line reason")
    elif reason is not None and basis != "inferred":
        problems.append("'reason' goes with 'basis: inferred'")
    cited = [str(a) for a in _as_list(v.get("at"))]
    evidence = _parse_evidence(rec, cited, source, passages, problems)
    result.evidence = evidence
    text = texts.get(source)
    unverified = text is None
    if text is not None and any(digest(text[e.passage.start:e.passage.end]) != e.passage.sha256
                                for e in evidence):
        problems.append("the article text differs from its passage table")
        unverified = True

    for ev in evidence:
        for words in ([ev.subject] if ev.subject else []) + list(ev.mentions.values()):
            if len(words.split()) > MAX_MENTION_WORDS or len(words) > MAX_MENTION_CHARS:
                problems.append(f"mention {words[:30]!r}... is longer than a few words")
    if basis == "stated":
        if not evidence:
            problems.append("no evidence span (evidence: {span: [start, end], ...})")
        else:
            cited_with = {e.passage.id for e in evidence}
            missing_passages = [a for a in cited if a not in cited_with]
            if missing_passages:
                problems.append(f"no evidence from {', '.join(missing_passages)}")
            if any(e.subject is None for e in evidence):
                problems.append("no mention of the subject")
            mentioned = {k for e in evidence for k in e.mentions}
            claimed = claimed_values(rec)
            missing = [x for x in claimed if x not in mentioned]
            if missing:
                problems.append(f"no mention for {', '.join(missing)}")
            extra = sorted(mentioned - set(claimed))
            if extra:
                problems.append(f"a mention for {', '.join(extra)}, which the fact does not claim")
    if not unverified:
        for ev in evidence:
            span = normalise(text[ev.start:ev.end])  # type: ignore[index]
            for key, words in ([("subject", ev.subject)] if ev.subject else []) + sorted(
                    ev.mentions.items()):
                if normalise(words) not in span:
                    problems.append(f"{ev.passage.id} [{ev.start}, {ev.end}] does not say "
                                    f"{words!r} (for {key})")
        cited_text = " ".join(normalise(text[p.start:p.end])  # type: ignore[index]
                              for a in cited if (p := passages.get((source, a))))
        for name in ALIAS_FIELDS:
            for alias in _as_list(v.get(name)):
                if normalise(str(alias)) not in cited_text:
                    problems.append(f"{name} {alias!r} is not used by {', '.join(cited)} "
                                    "(a curators' identification goes in kind: identification)")
    if problems:
        result.status = "ungrounded"
    elif unverified:
        result.status = "unverified"
        problems.append("article text not found, mentions not verified")
    elif basis == "inferred":
        result.status = "inferred"
    return result


def check_files(fact_files: list[Path], dirs: list[Path]) -> GroundingReport:
    """Check every fact of these files; article texts are looked up in ``dirs``."""
    passages = _passages(fact_files)
    report = GroundingReport([])
    records: list[Record] = []
    for path in fact_files:
        if path.name.endswith(".passages.yaml"):
            continue
        try:
            records += [r for r in read_records(path, drafts=True)
                        if str(r.values.get("kind")) not in SOURCE_KINDS]
        except PeaceldError as exc:
            report.errors.append(exc)
    articles = {str((r.meta or {}).get("source", "")) for r in records}
    texts = read_articles(articles, dirs)
    report.missing_articles = sorted(articles - set(texts))
    for rec in records:
        if str(rec.values.get("kind")) in CURATOR_KINDS:
            report.curators += 1
            continue
        report.facts.append(check_fact(rec, passages, texts))
    _check_coverage(report, fact_files, records, passages)
    return report


def _check_coverage(report: GroundingReport, fact_files: list[Path], records: list[Record],
                    passages: dict[tuple[str, str], PassageRef]) -> None:
    """Every passage over ``CLAIM_PASSAGE_CHARS`` of an article with a facts file is cited by
    a fact or listed under ``passages_without_claims`` (not both)."""
    cited: dict[tuple[str, str], int] = {}
    for rec in records:
        if DRAFT_FIELD in rec.values:  # a draft is no claim until a person accepts it
            continue
        source = str((rec.meta or {}).get("source", ""))
        for at in _as_list(rec.values.get("at")):
            cited.setdefault((source, str(at)), rec.line)
    for path in fact_files:
        if path.name.endswith(".passages.yaml"):
            continue
        source = next((str((r.meta or {}).get("source", "")) for r in records
                       if str(r.file) == str(path)), None)
        try:
            listed = read_unclaimed(path)
            if source is None:
                source = next((str((r.meta or {}).get("source")) for r in read_records(path)
                               if (r.meta or {}).get("source")), None)
        except PeaceldError as exc:
            report.errors.append(exc)
            continue
        if source is None:
            continue
        reasons: dict[str, str] = {}
        for u in listed:
            if (source, u.at) not in passages:
                report.errors.append(PeaceldError(
                    f"passages_without_claims: {u.at!r} is not a passage of {source}",
                    file=path, line=u.line))
            elif (source, u.at) in cited:
                report.errors.append(PeaceldError(
                    f"passages_without_claims: {u.at} is cited by the fact at line "
                    f"{cited[(source, u.at)]}; remove it from the list", file=path, line=u.line))
            else:
                reasons[u.at] = u.reason
        for (article, pid), ref in sorted(passages.items(), key=lambda kv: kv[1].start):
            chars = ref.end - ref.start
            if article != source or chars <= CLAIM_PASSAGE_CHARS:
                continue
            status = ("cited" if (article, pid) in cited
                      else "listed" if pid in reasons else "neither")
            report.passages.append(PassageCoverage(str(path), article, pid, chars, status,
                                                   reasons.get(pid)))


def check_project(project_dir: Path | None = None,
                  articles: Iterable[Path] = ()) -> GroundingReport:
    """Check the facts of a project folder (or the bundled dataset)."""
    from .project import find_project

    project = find_project(project_dir)
    return check_files(project.fact_files(), article_dirs(project.root, articles))

"""Reviewing drafted facts: the core of ``peaceld facts review``.

A draft is a fact with a ``draft: {...}`` mark (docs/facts.md, "Drafts"). A curator accepts a
draft (its mark is removed, so the next build publishes it), edits it (the fact's text is
replaced, and the mark removed unless the new text keeps it), or drops it (the fact is removed).
Edits are made on the file's lines, so comments and the layout of everything else are kept;
the result is checked as a facts file before it replaces the original, atomically.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .atomic import write_atomic
from .errors import PeaceldError
from .grounding import article_dirs, read_articles
from .records import load_yaml, read_facts, strip_lines

#: What a curator may decide for a draft.
DECISIONS = ("accept", "drop", "edit", "keep")
_DRAFT_LINE = re.compile(r"^(\s+)draft:\s*(\{.*\})?\s*(#.*)?$")
_ITEM_START = re.compile(r"^(\s*)- ")


@dataclass
class Draft:
    """One drafted fact of a file: where its lines are, what it says, its passage."""

    number: int
    line: int  # first line of the fact (1-based)
    end: int  # one past its last line
    kind: str
    subject: str
    mark: dict[str, Any]
    values: dict[str, Any]
    text: str  # the fact's lines as written
    passages: list[tuple[str, int, int, str]] = field(default_factory=list)  # id, start, end, text
    spans: list[tuple[int, int]] = field(default_factory=list)

    @property
    def confidence(self) -> float:
        value = self.mark.get("confidence")
        return float(value) if isinstance(value, int | float) else 0.0


@dataclass
class Decision:
    """A curator's decision on the draft that starts at ``line``; ``text`` for an edit."""

    line: int
    action: str
    text: str | None = None


@dataclass
class ReviewResult:
    accepted: int = 0
    edited: int = 0
    dropped: int = 0
    left: int = 0

    def summary(self) -> str:
        return (f"{self.accepted} accepted, {self.edited} edited, {self.dropped} dropped, "
                f"{self.left} draft(s) left")


def _subject(values: dict[str, Any]) -> str:
    for key in ("id", "of", "faced_by", "principle", "operation", "entity", "transition"):
        if key in values:
            return str(values[key])
    return "?"


def _blocks(lines: list[str], starts: list[int]) -> dict[int, int]:
    """For each item start line, one past its last line: up to the next item (or the end of
    the list), leaving out the blank and comment lines just before the next item."""
    out = {}
    ordered = sorted(starts)
    for i, start in enumerate(ordered):
        limit = ordered[i + 1] if i + 1 < len(ordered) else len(lines) + 1
        indent = len(_ITEM_START.match(lines[start - 1]).group(1)) if _ITEM_START.match(
            lines[start - 1]) else 0
        end = start + 1
        for n in range(start + 1, limit):
            text = lines[n - 1]
            stripped = text.strip()
            if stripped and not stripped.startswith("#"):
                if len(text) - len(text.lstrip()) <= indent:
                    break  # a top-level key after the list
                end = n + 1
        out[start] = end
    return out


def _spans(values: dict[str, Any]) -> list[tuple[int, int]]:
    evidence = values.get("evidence")
    items = evidence if isinstance(evidence, list) else [evidence] if evidence else []
    out = []
    for item in items:
        span = item.get("span") if isinstance(item, dict) else None
        if isinstance(span, list) and len(span) == 2 and all(isinstance(x, int) for x in span):
            out.append((span[0], span[1]))
    return out


@dataclass
class DraftFile:
    """A facts file with drafts: its article (id, title, text when found) and its drafts."""

    path: Path
    article: str
    title: str
    text: str | None  # the article's text, None when it was not found
    facts: int  # how many facts the file holds, drafts included
    drafts: list[Draft]


def read_draft_file(path: Path, articles: list[Path] | None = None) -> DraftFile:
    """A facts file and its drafts, in file order, each with its cited passages' text when the
    article and its passage table are found (beside the file, or as ``facts check`` looks)."""
    doc = load_yaml(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("facts"), list):
        raise PeaceldError("not a facts file (no 'facts' list)", file=path, line=1)
    lines = path.read_text(encoding="utf-8").splitlines()
    items = [item for item in doc["facts"] if isinstance(item, dict)]
    ends = _blocks(lines, [item["__line__"] for item in items])
    head = doc.get("article") if isinstance(doc.get("article"), dict) else {}
    article = str(head.get("id", ""))
    passages = _passage_table(path, article)
    text = _article_text(path, article, articles or [])
    drafts = []
    for item in items:
        if "draft" not in item:
            continue
        values = strip_lines(item)
        mark = values["draft"] if isinstance(values["draft"], dict) else {}
        start = item["__line__"]
        ats = values.get("at")
        cited = [ats] if isinstance(ats, str) else [a for a in ats or [] if isinstance(a, str)]
        shown = [(p, *passages[p], text[passages[p][0]:passages[p][1]] if text else "")
                 for p in cited if p in passages]
        drafts.append(Draft(len(drafts) + 1, start, ends[start], str(values.get("kind", "?")),
                            _subject(values), mark, values,
                            "\n".join(lines[start - 1:ends[start] - 1]), shown,
                            _spans(values)))
    return DraftFile(path, article, str(head.get("title", "")), text, len(items), drafts)


def read_drafts(path: Path, articles: list[Path] | None = None) -> list[Draft]:
    """The drafts of a facts file, in file order (see ``read_draft_file``)."""
    return read_draft_file(path, articles).drafts


def _passage_table(path: Path, article: str) -> dict[str, tuple[int, int]]:
    table = path.with_name(f"{article}.passages.yaml")
    if not article or not table.is_file():
        table = path.with_name(path.name.removesuffix(".yaml") + ".passages.yaml")
    if not table.is_file():
        return {}
    out = {}
    for rec in read_facts(table):
        v = rec.values
        if v.get("kind") == "passage":
            out[str(v["id"])] = (int(v["start"]), int(v["end"]))
    return out


def _article_text(path: Path, article: str, extra: list[Path]) -> str | None:
    if not article:
        return None
    dirs = [path.parent, *extra, *article_dirs(path.parent.parent)]
    return read_articles({article}, [d for d in dirs if d.is_dir()]).get(article)


def _without_mark(block: list[str]) -> list[str]:
    """The fact's lines without its ``draft`` field (one flow line, or a block mapping)."""
    out: list[str] = []
    skip_deeper: int | None = None
    for text in block:
        indent = len(text) - len(text.lstrip())
        if skip_deeper is not None:
            if text.strip() and indent > skip_deeper:
                continue
            skip_deeper = None
        m = _DRAFT_LINE.match(text)
        if m:
            if m.group(2) is None:
                skip_deeper = len(m.group(1))
            continue
        out.append(text)
    return out


def _indent_as(new: str, old_first: str) -> list[str]:
    """An edited fact's text placed at the indentation of the original item."""
    body = new.strip("\n").splitlines()
    if not body:
        return []
    want = len(old_first) - len(old_first.lstrip())
    have = len(body[0]) - len(body[0].lstrip())
    shift = want - have
    return [(" " * shift + t if shift > 0 else t[min(-shift, len(t) - len(t.lstrip())):])
            if t.strip() else t for t in body]


def apply_decisions(path: Path, decisions: list[Decision],
                    drafts: list[Draft] | None = None) -> ReviewResult:
    """Apply the decisions to the file and replace it atomically; the new text must still be
    a facts file (checked before anything is written)."""
    drafts = read_drafts(path) if drafts is None else drafts
    by_line = {d.line: d for d in drafts}
    lines = path.read_text(encoding="utf-8").splitlines()
    result = ReviewResult()
    chosen: dict[int, Decision] = {}
    for decision in decisions:
        if decision.action not in DECISIONS:
            raise PeaceldError(f"unknown decision {decision.action!r} (one of "
                               f"{', '.join(DECISIONS)})")
        if decision.line not in by_line:
            raise PeaceldError(f"no draft starts at line {decision.line}", file=path,
                               line=decision.line)
        chosen[decision.line] = decision
    for line in sorted(chosen, reverse=True):  # from the end, so earlier lines keep their numbers
        d, decision = by_line[line], chosen[line]
        block = lines[d.line - 1:d.end - 1]
        if decision.action == "accept":
            new, result.accepted = _without_mark(block), result.accepted + 1
        elif decision.action == "drop":
            new, result.dropped = [], result.dropped + 1
        elif decision.action == "edit":
            new, result.edited = _indent_as(decision.text or "", block[0]), result.edited + 1
            if any(_DRAFT_LINE.match(t) for t in new):
                result.left += 1
        else:
            continue
        lines[d.line - 1:d.end - 1] = new
    result.left += len(drafts) - sum(1 for d in chosen.values() if d.action != "keep")
    text = "\n".join(lines) + "\n"
    _check_text(path, text)
    write_atomic(path, text.encode("utf-8"))
    return result


def _check_text(path: Path, text: str) -> None:
    """The edited file must still read as a facts file; errors name the original file."""
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / path.name
        probe.write_text(text, encoding="utf-8")
        try:
            for _ in read_facts(probe, drafts=True):
                pass
        except PeaceldError as exc:
            exc.file = str(path)
            raise PeaceldError(f"the edited file would not be a facts file: {exc.message}",
                               file=path, line=exc.line) from None


__all__ = ["DECISIONS", "Decision", "Draft", "DraftFile", "ReviewResult", "apply_decisions",
           "read_draft_file", "read_drafts"]

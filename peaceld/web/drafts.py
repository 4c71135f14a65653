"""The drafts pages of ``peaceld serve --drafts``: a drafted facts file beside its article.

``DraftSources`` holds the files given on the command line (each checked at start: a file
that is not a facts file stops the server before it serves anything) and re-reads a file on
each request, so a page shows the file as it is now (after ``peaceld facts review``, say).
``article_view`` cuts the article into its passages, in order under their section headings,
with each draft's evidence span as a highlight; the pieces are plain data (text, open, close)
that the template escapes. Nothing here writes a file.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..curation import Draft, DraftFile, read_draft_file
from ..errors import PeaceldError
from ..passages import INTRODUCTION, split_article
from ..records import read_facts

#: Fields a draft's card shows apart from its values.
NOT_VALUES = ("kind", "at", "evidence", "draft")


@dataclass
class Piece:
    """A piece of a passage: text, the start of a highlight (``open``) or its end."""

    kind: str  # "text", "open" or "close"
    text: str = ""
    draft: int = 0  # the draft's number (open)
    mark_id: str = ""  # the highlight's id: on the first piece of each span only


@dataclass
class ShownPassage:
    id: str
    heading: str | None  # set on the first passage of a section
    pieces: list[Piece]


@dataclass
class DraftCard:
    """What the list shows of one draft."""

    draft: Draft
    values: list[tuple[str, str]]
    marks: list[str]  # ids of its highlights, one per span found in the text
    missing: list[tuple[int, int]]  # spans that lie in no passage of the text
    at: str  # the passages it cites
    review: str  # the review command of its file
    accept: str  # the commands that accept or drop it
    drop: str


@dataclass
class DraftPage:
    name: str
    file: DraftFile
    shown_path: str
    passages: list[ShownPassage] = field(default_factory=list)
    cards: list[DraftCard] = field(default_factory=list)


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def mark_id(draft: int, span: int) -> str:
    """The id of a draft's ``span``-th highlight (both count from 1)."""
    return f"d{draft}s{span}"


def highlight(text: str, start: int, spans: list[tuple[int, int, int, str]]) -> list[Piece]:
    """``text`` (which starts at offset ``start`` of the article) cut into pieces, with each
    span (start, end, draft, id) as a highlight, clipped to the text. Highlights nest; a span
    that crosses another's end is closed there and reopened as a continuation (no id)."""
    end = start + len(text)
    inside = sorted(((max(s, start), min(e, end), d, i) for s, e, d, i in spans
                     if s < end and e > start and s < e), key=lambda x: (x[0], -x[1], x[2]))
    cuts = sorted({start, end, *(s for s, *_ in inside), *(e for _, e, *_ in inside)})
    pieces: list[Piece] = []
    stack: list[tuple[int, int, str]] = []  # (end, draft, id) of the open highlights
    pending = list(inside)
    for here, following in zip(cuts, cuts[1:] + [end], strict=True):
        # close what ends here; what was opened inside it and goes on is reopened after
        if any(e == here for e, *_ in stack):
            reopen = []
            while stack and any(e == here for e, *_ in stack):
                e, d, i = stack.pop()
                pieces.append(Piece("close"))
                if e != here:
                    reopen.append((e, d, i))
            for e, d, _ in reversed(reopen):
                stack.append((e, d, ""))
                pieces.append(Piece("open", draft=d))
        while pending and pending[0][0] == here:
            s, e, d, i = pending.pop(0)
            stack.append((e, d, i))
            pieces.append(Piece("open", draft=d, mark_id=i))
        if following > here:
            pieces.append(Piece("text", text[here - start:following - start]))
    pieces += [Piece("close") for _ in stack]
    return pieces


def article_view(file: DraftFile) -> tuple[list[ShownPassage], dict[int, list[str]],
                                           dict[int, list[tuple[int, int]]]]:
    """The article's passages with the drafts' highlights, the highlight ids of each draft,
    and the spans of each draft that lie in no passage."""
    spans = [(s, e, d.number, mark_id(d.number, k))
             for d in file.drafts for k, (s, e) in enumerate(d.spans, 1)]
    if file.text is None:
        return [], {}, {}
    passages = split_article(file.text)
    shown, section = [], -1
    marks: dict[int, list[str]] = {}
    for p in passages:
        pieces = highlight(file.text[p.start:p.end], p.start, spans)
        for piece in pieces:
            if piece.kind == "open" and piece.mark_id:
                if piece.mark_id in marks.get(piece.draft, []):  # a span over two passages
                    piece.mark_id = ""
                else:
                    marks.setdefault(piece.draft, []).append(piece.mark_id)
        heading = None
        if p.section != section:
            section, heading = p.section, p.heading or INTRODUCTION
        shown.append(ShownPassage(p.id, heading, pieces))
    found = {i for ids in marks.values() for i in ids}
    missing: dict[int, list[tuple[int, int]]] = {}
    for s, e, d, i in spans:
        if i not in found:
            missing.setdefault(d, []).append((s, e))
    return shown, marks, missing


class DraftSources:
    """The drafted facts files served under ``/drafts/``, by name (the file's stem)."""

    def __init__(self, paths: list[Path], articles: list[Path] | None = None) -> None:
        self.articles = list(articles or [])
        self.files: dict[str, Path] = {}
        for given in paths:
            found = sorted(p for p in given.glob("*.yaml")
                           if not p.name.endswith(".passages.yaml")) if given.is_dir() else [given]
            if given.is_dir() and not found:
                raise PeaceldError("no facts files (*.yaml) in this folder", file=given)
            for path in found:
                check_facts_file(path)
                name, n = path.stem, 1
                while name in self.files and self.files[name] != path:
                    n += 1
                    name = f"{path.stem}-{n}"
                self.files[name] = path

    def read(self, name: str) -> DraftFile | None:
        path = self.files.get(name)
        return None if path is None else read_draft_file(path, self.articles)

    def page(self, name: str) -> DraftPage | None:
        """One file's page: its article with the highlights, and a card for each draft."""
        file = self.read(name)
        if file is None:
            return None
        shown_path = str(self.files[name])
        passages, marks, missing = article_view(file)
        cards = []
        for d in file.drafts:
            values = [(k, _shown(v)) for k, v in d.values.items() if k not in NOT_VALUES]
            at = d.values.get("at")
            cited = ", ".join(map(_shown, at if isinstance(at, list) else [at])) if at else "?"
            review = f"peaceld facts review {shlex.quote(shown_path)}"
            cards.append(DraftCard(d, values, marks.get(d.number, []), missing.get(d.number, []),
                                   cited, review, f"{review} --accept {d.line}",
                                   f"{review} --drop {d.line}"))
        return DraftPage(name, file, shown_path, passages, cards)

    def index(self) -> list[tuple[str, str, DraftFile]]:
        """Each file: its name, its path as given, and what it holds."""
        return [(name, str(path), read_draft_file(path, self.articles))
                for name, path in self.files.items()]


def check_facts_file(path: Path) -> None:
    """Stop with ``file:line: ...`` unless ``path`` reads as a facts file with a facts list."""
    if not path.is_file():
        raise PeaceldError("no such file", file=path)
    for _ in read_facts(path, drafts=True):
        pass
    read_draft_file(path)


__all__ = ["DraftCard", "DraftPage", "DraftSources", "Piece", "ShownPassage", "article_view",
           "check_facts_file", "highlight", "mark_id"]

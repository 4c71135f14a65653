"""A drafted fact (``Draft``) and ``FactWriter``, the drafter's state and how it writes a fact:
an entity's identity, its evidence span and mentions, the draft mark ``{by, confidence, rule}``."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..mapping import slug
from ..version import __version__
from .cues import CONFIDENCE, DEFAULT_CONFIDENCE
from .lexicon import EntityInfo, Entry, Lexicon, phrase_key
from .phrases import Mention, PassageView

Progress = Callable[[str], None]


@dataclass
class Draft:
    """One drafted fact (its fields, in output order) and where its claim comes from."""

    fields: dict[str, Any]
    rule: str
    order: tuple

    def claim_key(self) -> tuple:
        v = self.fields
        return tuple((k, _freeze(v[k])) for k in v if k not in ("evidence", "draft", "name",
                                                                 "category", "basis", "reason"))


def _freeze(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    return value


def few_words(text: str) -> str:
    """A mention short enough for ``facts check`` (8 words, 70 characters): its first words."""
    from ..grounding import MAX_MENTION_CHARS, MAX_MENTION_WORDS

    words = text.split()[:MAX_MENTION_WORDS]
    while len(words) > 1 and len(" ".join(words)) > MAX_MENTION_CHARS:
        words.pop()
    return text[:text.index(words[-1]) + len(words[-1])] if words else text


def _category_guess(kind: str, name: str) -> str | None:
    if kind == "organisation":
        if re.search(r"\b(Council|Assembly|Secretariat|Department)\b", name):
            return "un-organ" if re.search(r"\b(UN|United Nations)\b", name) else "regional-body"
        if re.search(r"\b(African|European|American|Asian|Arab|Caribbean|Pacific)\b", name):
            return "regional"
        if re.search(r"\b(Treaty|Alliance|Pact)\b", name):
            return "alliance"
        return "intergovernmental"
    if kind == "place":
        return "country"
    if kind == "instrument":
        for word, category in (("Charter", "charter"), ("Treaty", "treaty"),
                               ("Protocol", "protocol"), ("Resolution", "resolution"),
                               ("Memorandum", "memorandum")):
            if word in name:
                return category
        return "peace-agreement" if re.search(r"Agreement|Accord", name) else "treaty"
    return None


class FactWriter:
    """The drafter's state (lexicon, pipeline, mode, new entities) and the writing of a fact,
    shared by the rule families (:mod:`.concepts`, :mod:`.relations`) and the ``Drafter``."""

    text: str  # the article, set by ``Drafter.draft``
    topic: Entry | None  # the article's topic, likewise

    def __init__(self, lexicon: Lexicon, nlp: Any, mode: str,
                 progress: Progress | None = None) -> None:
        self.lexicon = lexicon
        self.nlp = nlp
        self.mode = mode
        self.say = progress or (lambda _m: None)
        self.extra: dict[tuple[str, ...], Entry] = {}
        self.new: dict[tuple[str, str], EntityInfo] = {}
        self.first_mentions: dict[tuple[str, str], tuple[PassageView, Mention]] = {}

    @property
    def by(self) -> str:
        return f"peaceld-drafter {__version__} ({self.mode})"

    # -- entities -----------------------------------------------------------------------------

    def info(self, entry: Entry) -> EntityInfo:
        return self.new.get((entry.kind, entry.key)) or self.lexicon.entities[
            (entry.kind, entry.key)]

    def _add_new(self, kind: str, name: str, acronym: str | None = None,
                 phrases: tuple[str, ...] = ()) -> Entry:
        key = slug(acronym) if acronym else slug(name)
        for phrase in (acronym, name, key):
            known = self.lexicon.lookup(phrase_key(phrase)) if phrase else None
            if known is not None and not known.is_concept:
                if acronym:  # "African Union (AU)": the acronym names the known entity
                    self.extra.setdefault(phrase_key(acronym), known)
                return known
        entry = Entry(kind, key)
        if (kind, key) not in self.new and (kind, key) not in self.lexicon.entities:
            self.new[(kind, key)] = EntityInfo(kind, key, name, acronym,
                                               _category_guess(kind, name))
        for phrase in (name, acronym, *phrases):
            if phrase:
                self.extra.setdefault(phrase_key(phrase), entry)
        return entry

    def _identity(self, entry: Entry) -> dict[str, Any]:
        info = self.info(entry)
        out: dict[str, Any] = {"id": info.key, "name": info.name}
        if entry.kind in ("organisation", "place", "instrument"):
            out["category"] = info.category or _category_guess(entry.kind, info.name) or "country"
        return out

    def _finish(self, view: PassageView, v: dict[str, Any], rule: str, spans: list[Mention],
                subject: Mention | None, value: Mention | None, reason: str | None,
                extra_mentions: dict[str, str] | None = None) -> Draft:
        kind = v["kind"]
        for m in spans:  # entities found inside a name are first seen here
            if not m.entry.is_concept:
                self.first_mentions.setdefault((m.entry.kind, m.entry.key), (view, m))
        sentences = {m.sentence for m in spans}
        first, last = min(sentences), max(sentences)
        span = [view.sentences[first].start, view.sentences[last].end]
        subject_mention = None
        if kind in ("challenge", "objective", "assessment", "effect"):
            subject_mention = subject
        elif kind == "principle":
            subject_mention = value
        else:
            subject_mention = subject
        mentions: dict[str, str] = {}
        for m in spans:
            if m is not subject_mention:
                mentions[m.entry.key] = few_words(m.text)
        mentions.update(extra_mentions or {})
        if kind == "principle" and subject is None:
            mentions.pop(v["applies_to"][0], None)
        evidence: dict[str, Any] = {"span": span}
        if subject_mention is not None:
            evidence["subject"] = few_words(subject_mention.text)
        if mentions:
            evidence["mentions"] = mentions
        if reason is not None:
            v["basis"] = "inferred"
            v["reason"] = reason
        v["evidence"] = evidence
        v["draft"] = {"by": self.by, "confidence": CONFIDENCE.get(rule, DEFAULT_CONFIDENCE),
                      "rule": rule}
        return Draft(v, rule, (view.start, span[0], kind))

    def _relation(self, view: PassageView, subject: Mention, field_name: str, value: Mention,
                  rule: str) -> Draft:
        v: dict[str, Any] = {"kind": subject.entry.kind, "at": view.id}
        v.update(self._identity(subject.entry))
        single = field_name in ("host", "practice") and subject.entry.kind == "operation"
        v[field_name] = value.entry.key if single else [value.entry.key]
        return self._finish(view, v, rule, [subject, value], subject, value, None)

"""Draft candidate facts from the text of an article: the core of ``peaceld facts draft``.

For each passage (``peaceld.passages``) the drafter finds the phrases its lexicon knows
(longest match over spaCy tokens, words compared in a crude singular, British-spelling normal
form), the new entities it can name (``Full Name (ACRONYM)``, and in the ``parse`` mode the
model's organisations and places), and then proposes facts with a few general rules:

* a **concept** (activity, component, objective, success factor, challenge, principle,
  operation type, outcome) is credited to the *subject* of its sentence: the operation,
  practice or organisation that is the sentence's grammatical subject (``parse``) or its
  first such mention (``rules``); failing that the subject of an earlier sentence of the same
  passage; failing that the topic of the section (its heading) or of the article (its
  title), then marked ``basis: inferred`` with the reason;
* an **objective** concept is an aim with words of aim earlier in its sentence ("aims to",
  "seeks"), else an **effect** with words of bringing about before it ("helps create",
  "fosters", ", reducing ..."): ``effects`` of its subject, ``supports`` of a principle or a
  fact of kind ``effect`` of an activity that is the sentence's subject;
* an **operation** gets its host (a place in its sentence after "in"/"to", or the place the
  reference data gives for it), its lead and authorising body (an organisation the sentence
  names with "led by"/"authorised by", in the operation's name, or the one the reference data
  gives), and its start and end years ("in 2004", "from 1999 to 2005", "(2003-2018)");
* an organisation that is the subject of a sentence about a practice **supports** it, and two
  practices joined by "and" are **related**.

Every fact carries its passage, an evidence span (the sentences that hold its subject and
values), the words the passage uses for each value, and the draft mark
``{by, confidence, rule}``; entities the project does not declare are declared by a fact of
their own. The output is deterministic: the same article and lexicon give the same facts.
"""

from __future__ import annotations

import re
from typing import Any

from .concepts import ConceptRules
from .cues import (
    ACRONYM_PATTERN,
    BACK_REFERENCES,
    CONCEPT_FIELDS,
    INSTRUMENT_WORDS,
    OPERATION_WORDS,
    PLACE_KINDS,
    PLACE_NAMED,
    SUBJECT_KINDS,
    TITLE_PREFIX,
)
from .drafts import Draft
from .lexicon import ENTITY_KINDS, FUNCTION_WORDS, GENERIC, Entry, phrase_key, stem
from .phrases import Mention, PassageView, Sentence, find_phrases, subject_score
from .relations import RelationRules


def title_topic(title: str) -> str:
    """The practice an article is about, from its title: "The Role of X in Y Efforts" gives
    "X in Y"."""
    name = re.sub(r"^the\s+", "", TITLE_PREFIX.sub("", title.strip()), flags=re.IGNORECASE)
    words = name.split()
    while len(words) > 1 and stem(words[-1]) in GENERIC | {"effort", "mission", "operation"}:
        words.pop()
    return " ".join(words)


class Drafter(ConceptRules, RelationRules):
    """Drafts the facts of one article with one lexicon and language pipeline: finds its new
    entities and mentions, runs the rule families on each passage, declares new entities."""

    def discover(self, text: str, docs: list[tuple[Any, int]], title: str | None) -> Entry | None:
        """New entities of the article (before matching), and its topic practice."""
        for match in ACRONYM_PATTERN.finditer(text):
            name, acronym = re.sub(r"^(?:the|The)\s+", "", match.group(1)), match.group(2)
            if len(name.split()) < 2 or self.lexicon.lookup(phrase_key(acronym)):
                continue
            kind = "operation" if OPERATION_WORDS.search(name) else "organisation"
            self._add_new(kind, name, acronym)
        if self.mode == "parse":
            for doc, _offset in docs:
                for ent in doc.ents:
                    words = ent.text.strip()
                    words = re.sub(r"^(?:the|The)\s+", "", words)
                    key = phrase_key(words)
                    if not key or self.lexicon.lookup(key) or key in self.extra:
                        continue
                    if ent.label_ == "GPE" and words[:1].isupper() and not words.isupper():
                        self._add_new("place", words)
                    elif ent.label_ in ("ORG", "LAW") and INSTRUMENT_WORDS.search(words):
                        self._add_new("instrument", words)
                    elif (ent.label_ == "ORG" and len(key) >= 2 and key[-1] not in FUNCTION_WORDS
                          and not any(
                            c.isdigit() for c in words) and all(
                            w[:1].isupper() for w in words.split()
                            if w.lower() not in ("of", "for", "in", "the", "and", "on"))):
                        kind = "operation" if OPERATION_WORDS.search(words) else "organisation"
                        if any(e.kind == "practice" for _s, _e, e, _t in find_phrases(
                                self.nlp.make_doc(words), 0, self.lexicon, self.extra)):
                            continue  # "UN Peacekeeping Missions": a practice's missions
                        if kind == "operation" and len(key) < 3:
                            continue  # "United Nations Mission": a kind of thing, not one
                        self._add_new(kind, words)
        if not title:
            return None
        topic = title_topic(title)
        named = [(start, entry) for start, _e, entry, _t in find_phrases(
            self.nlp.make_doc(topic), 0, self.lexicon, self.extra)
            if entry.kind in ("practice", "operation")]
        for _start, entry in named:
            if entry.kind == "operation" or phrase_key(topic) == phrase_key(
                    self.info(entry).name):
                return entry  # the title names an operation, or a practice by its name
        if named and named[0][0] == 0:
            return named[0][1]  # "Peacekeeping and Collective Security": its first practice
        short = re.split(r"\s+(?:in|for|of|and)\s+", topic, maxsplit=1)[0]
        phrases = [short]
        if len(short.split()) > 2:  # "Multinational Peace Enforcement" is "peace enforcement"
            phrases.append(short.split(None, 1)[1])
        entry = self._add_new("practice", topic.lower() if topic.isupper() else topic,
                              phrases=tuple(phrases))
        for phrase in phrases:  # the topic's own words name the topic, not a concept
            self.extra[phrase_key(phrase)] = entry
        return entry

    # -- passages -----------------------------------------------------------------------------

    def view(self, p: dict, doc: Any) -> PassageView:
        sentences = []
        for sent in doc.sents:
            text = sent.text
            lead = len(text) - len(text.lstrip())
            start = p["start"] + sent.start_char + lead
            end = p["start"] + sent.start_char + len(text.rstrip())
            if end > start:
                sentences.append(Sentence(start, end))
        mentions: list[Mention] = []
        view_id = PassageView(p["id"], p["start"], p["end"], p["section"], p.get("heading"),
                              sentences, mentions)
        found = self._named_by_place(doc, p["start"],
                                     find_phrases(doc, p["start"], self.lexicon, self.extra))
        for start, end, entry, tokens in found:
            index = next((i for i, s in enumerate(sentences) if s.start <= start < s.end),
                         len(sentences) - 1)
            m = Mention(start, end, self.text[start:end], entry, index,
                        subject_score(tokens, self.mode))
            mentions.append(m)
            sentences[index].mentions.append(m)
            if not entry.is_concept:
                self.first_mentions.setdefault((entry.kind, entry.key), (view_id, m))
        return view_id

    def _named_by_place(self, doc: Any, offset: int,
                        found: list[tuple[int, int, Entry, Any]]
                        ) -> list[tuple[int, int, Entry, Any]]:
        """"The UN mission in Rwanda": the operation that the reference data places there,
        when it places exactly one there."""
        text = doc.text
        for match in PLACE_NAMED.finditer(text):
            place = self.lexicon.lookup(phrase_key(match.group(2)))
            if place is None or place.kind not in PLACE_KINDS:
                continue
            ops = sorted(k for k, ref in self.lexicon.operations.items()
                         if ref.get("host") == place.key)
            if len(ops) != 1:
                continue
            start, end = offset + match.start(1), offset + match.end()
            span = doc.char_span(match.start(1), match.end(), alignment_mode="expand")
            found = [f for f in found if f[1] <= start or f[0] >= end]
            found.append((start, end, Entry("operation", ops[0]), list(span) if span else []))
        return sorted(found, key=lambda f: f[0])

    # -- facts --------------------------------------------------------------------------------

    def draft(self, text: str, passages: list[dict], disclosure: str | None,
              title: str | None = None) -> list[Draft]:
        """Every drafted fact of an article, in passage order."""
        self.text = text
        chosen = [p for p in passages if p["id"] != disclosure]
        self.say(f"draft: parsing {len(chosen)} passages ({self.mode} mode)")
        docs = list(zip(self.nlp.pipe(text[p["start"]:p["end"]] for p in chosen),
                        [p["start"] for p in chosen], strict=True))
        self.topic = self.discover(text, docs, title)
        self._topic_words()
        headings: dict[int, Entry | None] = {}
        drafts: list[Draft] = []
        for n, (p, (doc, _offset)) in enumerate(zip(chosen, docs, strict=True)):
            if n and n % 20 == 0:
                self.say(f"draft: {n} of {len(chosen)} passages")
            if p["section"] not in headings:
                headings[p["section"]] = self._heading_topic(p.get("heading"))
            view = self.view(p, doc)
            drafts += self._passage(view, headings[p["section"]])
        return self._declare(drafts)

    def _topic_words(self) -> None:
        """In an article about a practice, a shorter name of another practice that ends its
        name means the topic ("peacekeeping" in an article about UN peacekeeping); in an
        article about an operation, "the force" or "the mission" is that operation."""
        if self.topic is not None and self.topic.kind == "operation":
            for phrase in BACK_REFERENCES:
                self.extra.setdefault(phrase_key(phrase), self.topic)
        if self.topic is None or self.topic.kind != "practice":
            return
        names = [phrase_key(self.info(self.topic).name)]
        names += [k for k, e in self.extra.items() if e == self.topic]
        for key in self.lexicon.phrases():
            entry = self.lexicon.lookup(key)
            if entry is None or entry.kind != "practice" or entry == self.topic:
                continue
            core = key
            while len(core) > 1 and core[-1] in GENERIC:  # "peacekeeping missions"
                core = core[:-1]
            if any(len(name) > len(core) and name[-len(core):] == core for name in names):
                self.extra[key] = self.topic

    def _heading_topic(self, heading: str | None) -> Entry | None:
        if not heading:
            return None
        found = [e for _s, _e, e, _t in find_phrases(self.nlp.make_doc(heading), 0,
                                                      self.lexicon, self.extra)
                 if e.kind in SUBJECT_KINDS]
        return found[0] if found else None

    def _passage(self, view: PassageView, section_topic: Entry | None) -> list[Draft]:
        out: list[Draft] = []
        for index, sentence in enumerate(view.sentences):
            for m in sentence.mentions:
                if m.entry.is_concept:
                    d = self._concept(view, index, m, section_topic)
                    if d is not None:
                        out.append(d)
            out += self._relations(view, index)
        out += self._outcomes(view)
        out += self._principles(view)
        out += self._instances(view)
        seen: set[tuple] = set()
        unique = []
        for d in out:
            key = (view.id, d.claim_key())
            if key not in seen:
                seen.add(key)
                unique.append(d)
        return unique
    # -- declarations ---------------------------------------------------------------------------

    def _declare(self, drafts: list[Draft]) -> list[Draft]:
        """A fact declaring each entity the drafts reference that the lexicon's facts do not
        declare (new ones, and those known only from the reference data)."""
        declared = self.lexicon.declared
        needed: dict[tuple[str, str], None] = {}
        for d in drafts:
            v = d.fields
            refs = [v["id"]] if v["kind"] in ENTITY_KINDS else []
            for name in ("faced_by", "of", "operation", "applies_to", "host", "lead",
                         "authorised_by", "supports", "related"):
                refs += v[name] if isinstance(v.get(name), list) else (
                    [v[name]] if name in v else [])
            for key in refs:
                kind = self._kind_of(str(key))
                if kind is not None and (kind, key) not in declared:
                    needed.setdefault((kind, str(key)), None)
        out = list(drafts)
        have = {(d.fields["kind"], d.fields.get("id")) for d in drafts}
        for kind, key in needed:
            if (kind, key) in have:
                continue
            first = self._first_mention(kind, key)
            if first is None:
                continue
            view, m = first
            v: dict[str, Any] = {"kind": kind, "at": view.id}
            v.update(self._identity(Entry(kind, key)))
            info = self.info(Entry(kind, key))
            if info.acronym and re.search(rf"\b{re.escape(info.acronym)}\b",
                                          self.text[view.start:view.end]):
                v["acronym"] = info.acronym
            out.append(self._finish(view, v, f"{kind}: first mention of an entity the project "
                                    "does not declare", [m], m, None, None))
        return sorted(out, key=lambda d: d.order)

    def _kind_of(self, key: str) -> str | None:
        for kind in ENTITY_KINDS:
            if (kind, key) in self.new or (kind, key) in self.lexicon.entities:
                return kind
        return None

    def _first_mention(self, kind: str, key: str) -> tuple[PassageView, Mention] | None:
        return self.first_mentions.get((kind, key))


__all__ = ["CONCEPT_FIELDS", "Draft", "Drafter", "title_topic"]

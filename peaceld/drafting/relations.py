"""The relation rules of the drafter: an operation's host, lead, authorising body and years,
acronyms, an organisation supporting a practice, and related practices, sentence by sentence."""

from __future__ import annotations

import re
from typing import Any

from .cues import PLACE_KINDS, YEAR
from .drafts import Draft, FactWriter
from .lexicon import phrase_key
from .phrases import Mention, PassageView


class RelationRules(FactWriter):
    """Drafts relations between the entities a sentence names (mixed into ``Drafter``)."""

    def _relations(self, view: PassageView, index: int) -> list[Draft]:
        sentence = view.sentences[index]
        ms = [m for m in sentence.mentions if not m.entry.is_concept]
        text = self.text[sentence.start:sentence.end]
        out: list[Draft] = []
        for m in ms:
            acronym = re.match(r"[ \t]*\(([A-Z][A-Za-z]*[A-Z])\)", self.text[m.end:m.end + 14])
            if acronym and len(m.text.split()) > 1 and m.entry.kind in (
                    "operation", "organisation", "instrument", "conflict"):
                out.append(self._alias(view, m, acronym.group(1)))
        for op in (m for m in ms if m.entry.kind == "operation"):
            ref = self.lexicon.operations.get(op.entry.key, {})
            inner = self._inner(op)
            for org in (m for m in inner if m.entry.kind == "organisation"):
                out.append(self._relation(view, op, "lead", org, "lead: ORG in the operation's "
                                          "name"))
            for place in (m for m in inner if m.entry.kind in PLACE_KINDS):
                out.append(self._relation(view, op, "host", place, "host: PLACE in the "
                                          "operation's name"))
            led = re.search(r"\b([A-Z][\w.]*(?:\s+[A-Z][\w.]*)?)-led\s+(?:\w+\s+){0,3}$",
                            self.text[max(sentence.start, op.start - 40):op.start])
            if led:
                org = self.lexicon.lookup(phrase_key(led.group(1)))
                if org is not None and org.kind == "organisation":
                    at = op.start - len(self.text[max(sentence.start, op.start - 40):op.start]) \
                        + led.start(1)
                    out.append(self._relation(view, op, "lead", Mention(
                        at, at + len(led.group(1)), led.group(1), org, op.sentence),
                        "lead: ORG-led operation"))
            for place in (m for m in ms if m.entry.kind in PLACE_KINDS):
                before = self.text[max(sentence.start, place.start - 4):place.start].lower()
                if ref.get("host") == place.entry.key:
                    rule = "host: the reference host named in the operation's sentence"
                elif re.search(r"\b(in|to)\s+$", before) and (
                        op.start <= place.start <= op.end + 60 or place.end <= op.end):
                    rule = "host: operation in PLACE"
                else:
                    continue
                out.append(self._relation(view, op, "host", place, rule))
            for org in (m for m in ms if m.entry.kind == "organisation"):
                gap = self.text[org.end:op.start] if org.end <= op.start else ""
                lead_word = re.search(r"\b(led|commanded|run|deployed)\s+by\s+(the\s+)?$",
                                      self.text[max(sentence.start, org.start - 25):org.start])
                auth_word = re.search(r"\b(authori[sz]ed|mandated|approved|established)\s+by\s+"
                                      r"(the\s+)?$",
                                      self.text[max(sentence.start, org.start - 25):org.start])
                if not auth_word and org.end <= op.start and re.fullmatch(
                        r"\s*(?:\w+\s+)?(?:establish|authori[sz]|creat|mandat|set up)\w*\s+"
                        r"(?:the\s+|a\s+|an\s+)?(?:new\s+)?", gap):
                    auth_word = re.match(".", gap)  # "the Security Council established UNFICYP"
                if auth_word or ref.get("authorised_by") == org.entry.key and (
                        "authori" in text or "mandate" in text or "resolution" in text):
                    out.append(self._relation(view, op, "authorised_by", org,
                                              "authorised_by: authorised by ORG"
                                              if auth_word else
                                              "authorised_by: the reference body, with "
                                              "'authorise' in the sentence"))
                elif lead_word or (org.start >= op.start and org.end <= op.end + 1) or (
                        org.end <= op.start and re.fullmatch(r"\s*(?:'s|\u2019s)?\s*", gap)):
                    out.append(self._relation(view, op, "lead", org,
                                              "lead: ORG's operation or led by ORG"))
                elif ref.get("lead") == org.entry.key and op.start < org.start:
                    out.append(self._relation(view, op, "lead", org,
                                              "lead: the reference lead named in the sentence"))
            years = YEAR.findall(text)
            span_years = re.search(r"\b(19\d\d|20[0-4]\d)\s*(?:-|\u2013|to|until)\s*"
                                   r"(19\d\d|20[0-4]\d)\b", text)
            if span_years:
                out.append(self._year(view, op, "start_year", span_years.group(1),
                                      "years: YEAR-YEAR in the operation's sentence"))
                out.append(self._year(view, op, "end_year", span_years.group(2),
                                      "years: YEAR-YEAR in the operation's sentence"))
            elif len(set(years)) == 1 and re.search(
                    r"\b(establish|deploy|launch|creat|set up|began|begun|start|since)\w*\b"
                    r"[^.;]{0,40}?\b(?:in|since)?\s*(?:[A-Z][a-z]+\s+)?" + years[0], text):
                out.append(self._year(view, op, "start_year", years[0],
                                      "start_year: established/deployed in YEAR"))
        subjects = [m for m in ms if m.entry.kind == "organisation" and m.subject_score == 2]
        practices = [m for m in ms if m.entry.kind == "practice"]
        for org in subjects[:1]:
            for pr in practices:
                if pr.start > org.end:
                    out.append(self._relation(view, org, "supports", pr,
                                              "supports: organisation as subject, practice in "
                                              "its sentence"))
        for a, b in zip(practices, practices[1:], strict=False):
            between = self.text[a.end:b.start]
            if a.entry != b.entry and re.fullmatch(r"\s*(,|and|or|, and)\s*", between):
                out.append(self._relation(view, a, "related", b, "related: PRACTICE and "
                                          "PRACTICE"))
        return out

    def _inner(self, m: Mention) -> list[Mention]:
        """The organisations and places named inside a mention ("United Nations Mission in
        Liberia" names the UN and Liberia)."""
        words = list(re.finditer(r"[A-Z][\w'-]*", m.text))
        out: list[Mention] = []
        taken: set[int] = set()
        for n in range(min(5, len(words)), 0, -1):
            for i in range(len(words) - n + 1):
                if taken & set(range(i, i + n)):
                    continue
                start, end = words[i].start(), words[i + n - 1].end()
                text = m.text[start:end]
                if text == m.text or not re.fullmatch(r"[\w'-]+(?:\s+[\w'-]+)*", text):
                    continue
                key = phrase_key(text)
                entry = self.extra.get(key) or self.lexicon.lookup(key)
                if entry is not None and entry.kind in ("organisation", *PLACE_KINDS):
                    taken |= set(range(i, i + n))
                    out.append(Mention(m.start + start, m.start + end, text, entry, m.sentence))
        place = re.search(r"\b(?:in|for)\s+([A-Z][\w-]+(?:\s+[A-Z][\w-]+)?)$", m.text)
        if (m.entry.kind == "operation" and place and len(m.text.split()) > 2
                and not any(x.entry.kind in PLACE_KINDS for x in out)):
            # "Peacekeeping Force in Cyprus": the place an operation is named after
            entry = self._add_new("place", place.group(1))
            if entry.kind in PLACE_KINDS:
                out.append(Mention(m.start + place.start(1), m.start + place.end(1),
                                   place.group(1), entry, m.sentence))
        return sorted(out, key=lambda x: x.start)

    def _alias(self, view: PassageView, m: Mention, acronym: str) -> Draft:
        """The entity's fact with the acronym the passage gives it: "Full Name (ACR)"."""
        v: dict[str, Any] = {"kind": m.entry.kind, "at": view.id}
        v.update(self._identity(m.entry))
        v["acronym"] = acronym
        return self._finish(view, v, "acronym: NAME (ACRONYM)", [m], m, None, None)

    def _year(self, view: PassageView, op: Mention, field_name: str, year: str,
              rule: str) -> Draft:
        v: dict[str, Any] = {"kind": "operation", "at": view.id}
        v.update(self._identity(op.entry))
        v[field_name] = int(year)
        return self._finish(view, v, rule, [op], op, None, None, {year: year})

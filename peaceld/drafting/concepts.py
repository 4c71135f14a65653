"""The concept rules of the drafter: a concept credited to the subject of its sentence or
passage (or the section's or article's topic), aims and effects, outcomes, principles, cases."""

from __future__ import annotations

import re
from typing import Any

from .cues import (
    AGENT_KINDS,
    CONCEPT_FIELDS,
    CUES,
    EFFECT_CUE,
    EFFECT_FIELDS,
    EFFECT_WINDOW,
    SAME_SENTENCE_ONLY,
    SUBJECT_KINDS,
)
from .drafts import Draft, FactWriter
from .lexicon import ENTITY_KINDS, Entry
from .phrases import Mention, PassageView


class ConceptRules(FactWriter):
    """Drafts from the concepts a passage mentions (mixed into ``Drafter``)."""

    def _subject_of(self, view: PassageView, index: int) -> Mention | None:
        """The subject mention for concepts of sentence ``index``: its best subject, else the
        nearest earlier sentence's of the same passage."""
        for i in range(index, -1, -1):
            cands = [m for m in view.sentences[i].mentions if m.entry.kind in SUBJECT_KINDS]
            if cands:
                return sorted(cands, key=lambda m: (-m.subject_score, m.start))[0]
        return None

    def _concept(self, view: PassageView, index: int, m: Mention,
                 section_topic: Entry | None) -> Draft | None:
        subject = self._subject_of(view, index)
        if subject is not None and subject.entry == m.entry:
            return None
        role = m.entry.kind
        if role == "objective" and not self._cued(view, index, m, section_topic):
            role = "effect" if self._effect_cued(view, index, m) else ""
        if not role or role != "effect" and not self._cued(view, index, m, section_topic):
            return None
        if role == "effect":
            agent = self._effect_agent(view, index, m, subject)
            if agent is not None:
                return self._agent_effect(view, agent, m)
        if m.entry.kind == "outcome":  # judged per operation: see _outcomes
            return None
        if role == "effect" and subject is not None and subject.sentence == index and (
                subject.start > m.start):
            return None  # "enhancing the effectiveness of peacekeeping": what is affected
        if (role == "effect" and self.mode == "parse" and subject is not None
                and subject.subject_score < 2):
            return None  # "relations with X enhance legitimacy": measured 14 right in 67
        if role == "effect" and subject is None and section_topic is not None:
            return None  # measured: 2 right in 22
        if role in SAME_SENTENCE_ONLY and (subject is None or subject.sentence != index):
            return None  # measured: too often wrong when read from further away
        entry = subject.entry if subject is not None else (section_topic or self.topic)
        if entry is None:
            return None
        target = (EFFECT_FIELDS.get(entry.kind) if role == "effect"
                  else CONCEPT_FIELDS.get((m.entry.kind, entry.kind)))
        if target is None:
            return None
        if subject is None:
            where = "section's heading" if section_topic is not None else "article's title"
            reason = (f"The passage does not name what it speaks of; the drafter read it as the "
                      f"topic of the {where}, {self.info(entry).name}.")
            rule = f"{role}: concept credited to the {where.split(chr(39))[0]} topic"
            return self._fact(view, target, entry, m, None, rule, reason)
        same = subject.sentence == index
        rule = (f"{role}: concept in the {'sentence' if same else 'passage'} of "
                f"its {'grammatical ' if subject.subject_score == 2 else ''}subject")
        return self._fact(view, target, entry, m, subject, rule, None)

    def _outcomes(self, view: PassageView) -> list[Draft]:
        """An outcome word judges the operation nearest to it in its sentence; one in a
        sentence that names no operation judges every operation the passage names (the
        passage is a set of cases)."""
        ops = [m for m in view.mentions if m.entry.kind == "operation"]
        outcomes = [m for m in view.mentions if m.entry.kind == "outcome"]
        out = []
        for op in ops:
            same = [o for o in outcomes if o.sentence == op.sentence]
            if same:
                nearest = min(same, key=lambda o: (abs(o.start - op.start), o.start))
                rivals = [x for x in ops if x.sentence == op.sentence and x.entry != op.entry
                          and abs(nearest.start - x.start) < abs(nearest.start - op.start)]
                if rivals:
                    continue
                rule = "outcome: the outcome word nearest the operation in its sentence"
            else:
                free = [o for o in outcomes
                        if not any(x.sentence == o.sentence for x in ops)]
                if not free:
                    continue
                nearest, rule = free[0], "outcome: a passage of cases judged together"
            v = {"kind": "assessment", "at": view.id, "operation": op.entry.key,
                 "outcome": nearest.entry.key}
            out.append(self._finish(view, v, rule, [op, nearest], op, nearest, None))
            factors = [m for m in view.mentions if m.sentence == nearest.sentence
                       and m.entry.kind in ("success-factor", "challenge")]
            for factor in factors:  # "successes ... underscored a clear mandate"
                v = {"kind": "assessment", "at": view.id, "operation": op.entry.key,
                     "outcome": nearest.entry.key, "factors": [factor.entry.key]}
                out.append(self._finish(view, v, "outcome factor: a success factor or "
                                        "challenge in the outcome's sentence",
                                        [op, nearest, factor], op, nearest, None))
        return out

    def _principles(self, view: PassageView) -> list[Draft]:
        """ "X except (in) Y" makes principle Y an exception to principle X; "ORG may
        authorise TYPE" lets an organisation authorise a type of operation. (A principle's
        sentence naming an objective was measured too: 1 right in 9, so it is not drafted.)"""
        out = []
        for sentence in view.sentences:
            principles = [m for m in sentence.mentions if m.entry.kind == "principle"]
            for p in principles:
                for q in principles:
                    between = self.text[p.end:q.start]
                    if q.start > p.end and q.entry != p.entry and re.fullmatch(
                            r"[^.;]{0,40}\b(except|exception|unless|other than|save)\b[^.;]{0,25}",
                            between):
                        v = {"kind": "principle", "at": view.id, "principle": p.entry.key,
                             "exceptions": [q.entry.key]}
                        out.append(self._finish(view, v, "principle exceptions: X except Y",
                                                [p, q], p, p, None))
            for org in (m for m in sentence.mentions if m.entry.kind == "organisation"):
                for t in (m for m in sentence.mentions if m.entry.kind == "operation-type"
                          and m.start > org.end):
                    if re.search(r"\b(authori[sz]|mandat|sanction|approv)\w*",
                                 self.text[org.end:t.start]):
                        v: dict[str, Any] = {"kind": "organisation", "at": view.id}
                        v.update(self._identity(org.entry))
                        v["can_authorise"] = [t.entry.key]
                        out.append(self._finish(view, v, "can_authorise: ORG authorises TYPE",
                                                [org, t], org, t, None))
        return out

    def _instances(self, view: PassageView) -> list[Draft]:
        """An operation named in a passage that also names the article's topic practice is
        a case of that practice."""
        if self.topic is None or self.topic.kind != "practice":
            return []
        topic = [m for m in view.mentions if m.entry == self.topic]
        out = []
        for op in (m for m in view.mentions if m.entry.kind == "operation"):
            if topic:
                out.append(self._relation(view, op, "practice", topic[0],
                                          "practice: operation in a passage about the topic"))
        return out

    def _effect_agent(self, view: PassageView, index: int, m: Mention,
                      subject: Mention | None) -> Mention | None:
        """The principle or activity that brings an effect about, when one is the subject of the
        effect's sentence ahead of the operation, practice or organisation ("Impartiality
        fosters dialogue", "DDR reduces the risk of relapse"); "this principle" at the start
        of a sentence is the passage's last principle before it."""
        sentence = view.sentences[index]
        kinds = (*SUBJECT_KINDS, *AGENT_KINDS)
        before = [x for x in sentence.mentions if x.end <= m.start and x.entry.kind in kinds]
        if before:
            best = sorted(before, key=lambda x: (-x.subject_score, x.start))[0]
            if best.entry.kind in AGENT_KINDS and (self.mode != "parse" or best.subject_score == 2
                                                   ) and best.entry != m.entry:
                return best
            return None
        if re.match(r"(?:this|the|such|these)\s+principles?\b",
                    self.text[sentence.start:m.start], re.IGNORECASE):
            earlier = [x for x in view.mentions if x.entry.kind == "principle"
                       and x.sentence < index]
            if earlier:
                return earlier[-1]
        return None

    def _agent_effect(self, view: PassageView, agent: Mention, m: Mention) -> Draft:
        if agent.entry.kind == "principle":
            v: dict[str, Any] = {"kind": "principle", "at": view.id,
                                 "principle": agent.entry.key, "supports": [m.entry.key]}
            rule = "supports: principle as subject, effect in its sentence"
        else:
            v = {"kind": "effect", "at": view.id, "of": agent.entry.key,
                 "effect": m.entry.key}
            rule = "effect: activity as subject, effect in its sentence"
        value = agent if agent.entry.kind == "principle" else m  # a principle is its subject
        return self._finish(view, v, rule, [agent, m], agent, value, None)

    def _effect_cued(self, view: PassageView, index: int, m: Mention) -> bool:
        """Words of bringing about just before an objective concept or opening its phrase, or
        an -ing participle after a comma ("..., reducing the risk of relapse")."""
        sentence = view.sentences[index]
        before = self.text[max(sentence.start, m.start - EFFECT_WINDOW):m.start]
        return bool(EFFECT_CUE.search(before + " " + m.text)
                    or re.search(r",\s+\w+ing\b[^,;]*$", before))

    def _cued(self, view: PassageView, index: int, m: Mention, section_topic: Entry | None
              ) -> bool:
        cue = CUES.get(m.entry.kind)
        if cue is None:
            return True
        pattern, where = cue
        sentence = view.sentences[index]
        if where == "before":
            return bool(pattern.search(self.text[max(sentence.start, m.start - 60):m.start]))
        if where == "earlier":
            return bool(pattern.search(self.text[sentence.start:m.start]))
        text = self.text[sentence.start:m.start] + " " + self.text[m.end:sentence.end]
        return bool(pattern.search(text) or pattern.search(view.heading or ""))

    def _fact(self, view: PassageView, target: tuple[str, str], entry: Entry, value: Mention,
              subject: Mention | None, rule: str, reason: str | None) -> Draft:
        kind, field_name = target
        v: dict[str, Any] = {"kind": kind, "at": view.id}
        if kind in ENTITY_KINDS:
            v.update(self._identity(entry))
            v[field_name] = [value.entry.key] if field_name != "type" else [value.entry.key]
        elif kind == "challenge":
            v.update({"faced_by": entry.key, "challenge": value.entry.key})
        elif kind == "objective":
            v.update({"of": entry.key, "objective": value.entry.key})
        elif kind == "principle":
            v.update({"principle": value.entry.key, "applies_to": [entry.key]})
        elif kind == "assessment":
            v.update({"operation": entry.key, "outcome": value.entry.key})
        mentions = [value] + ([subject] if subject is not None else [])
        return self._finish(view, v, rule, mentions, subject, value, reason)

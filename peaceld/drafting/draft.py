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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import __version__
from ..mapper import slug
from .lexicon import (
    ENTITY_KINDS,
    FUNCTION_WORDS,
    GENERIC,
    EntityInfo,
    Entry,
    Lexicon,
    phrase_key,
    root,
    stem,
)

MAX_PHRASE = 8
SUBJECT_KINDS = ("operation", "practice", "organisation")
PLACE_KINDS = ("place", "state")
#: Concepts drafted only when their subject is named in their own sentence.
SAME_SENTENCE_ONLY = frozenset({"success-factor", "operation-type", "component"})
#: How an article about one operation refers back to it ("the force", "this mission").
BACK_REFERENCES = ("the force", "this force", "the operation", "this operation", "the mission",
                   "this mission", "the peacekeepers")
#: Where a concept goes, by the kind of its subject: (fact kind, field). Kinds ``challenge``,
#: ``objective``, ``principle`` and ``assessment`` are facts of their own.
CONCEPT_FIELDS: dict[tuple[str, str], tuple[str, str]] = {
    ("activity", "operation"): ("operation", "activities"),
    ("activity", "practice"): ("practice", "activities"),
    ("component", "operation"): ("operation", "components"),
    ("component", "practice"): ("practice", "components"),
    ("operation-type", "operation"): ("operation", "type"),
    ("operation-type", "practice"): ("practice", "type"),
    ("success-factor", "practice"): ("practice", "success_factors"),
    ("objective", "operation"): ("objective", "objective"),
    ("objective", "practice"): ("objective", "objective"),
    ("objective", "organisation"): ("objective", "objective"),
    ("challenge", "operation"): ("challenge", "challenge"),
    ("challenge", "practice"): ("challenge", "challenge"),
    ("challenge", "organisation"): ("challenge", "challenge"),
    ("principle", "practice"): ("principle", "applies_to"),
    ("outcome", "operation"): ("assessment", "outcome"),
    ("outcome", "practice"): ("assessment", "outcome"),
}
#: How often a rule's drafts were right when scored leave-one-out on the five bundled
#: articles (python -m bench.draft_bench; BENCHMARKS.md, "Drafting facts"), rounded.
CONFIDENCE: dict[str, float] = {
    'acronym: NAME (ACRONYM)': 0.90,
    'activity: concept credited to the article topic': 0.61,
    'activity: concept credited to the section topic': 0.64,
    'activity: concept in the passage of its grammatical subject': 0.50,
    'activity: concept in the passage of its subject': 0.45,
    'activity: concept in the sentence of its grammatical subject': 0.71,
    'activity: concept in the sentence of its subject': 0.33,
    'can_authorise: ORG authorises TYPE': 0.80,
    'challenge: concept credited to the article topic': 0.86,
    'challenge: concept credited to the section topic': 0.88,
    'challenge: concept in the passage of its grammatical subject': 0.89,
    'challenge: concept in the passage of its subject': 0.75,
    'challenge: concept in the sentence of its grammatical subject': 0.67,
    'challenge: concept in the sentence of its subject': 0.57,
    'component: concept in the sentence of its grammatical subject': 0.67,
    'component: concept in the sentence of its subject': 0.25,
    'effect: concept credited to the article topic': 0.40,
    'effect: concept in the passage of its grammatical subject': 0.38,
    'effect: concept in the sentence of its grammatical subject': 0.39,
    "host: PLACE in the operation's name": 0.88,
    "host: the reference host named in the operation's sentence": 0.67,
    "lead: ORG in the operation's name": 0.86,
    'lead: ORG-led operation': 0.67,
    'objective: concept credited to the article topic': 0.25,
    'objective: concept credited to the section topic': 0.36,
    'objective: concept in the passage of its grammatical subject': 0.57,
    'objective: concept in the passage of its subject': 0.57,
    'objective: concept in the sentence of its grammatical subject': 0.27,
    'objective: concept in the sentence of its subject': 0.53,
    'operation-type: concept in the sentence of its subject': 0.50,
    "outcome factor: a success factor or challenge in the outcome's sentence": 0.57,
    'outcome: a passage of cases judged together': 0.83,
    'outcome: the outcome word nearest the operation in its sentence': 0.83,
    'practice: operation in a passage about the topic': 0.71,
    'principle: concept credited to the article topic': 0.70,
    'principle: concept credited to the section topic': 0.43,
    'principle: concept in the passage of its grammatical subject': 0.67,
    'principle: concept in the passage of its subject': 0.75,
    'principle: concept in the sentence of its grammatical subject': 0.20,
    'principle: concept in the sentence of its subject': 0.32,
    'related: PRACTICE and PRACTICE': 0.33,
    'start_year: established/deployed in YEAR': 0.67,
    'success-factor: concept in the sentence of its grammatical subject': 0.67,
    'success-factor: concept in the sentence of its subject': 0.42,
    'supports: organisation as subject, practice in its sentence': 0.58,
    'supports: principle as subject, effect in its sentence': 0.62,
    "years: YEAR-YEAR in the operation's sentence": 0.75,
}
DEFAULT_CONFIDENCE = 0.5
YEAR = re.compile(r"\b(19[0-9]{2}|20[0-4][0-9])\b")
ACRONYM_PATTERN = re.compile(
    r"((?:(?:[A-Z][\w'\u2019-]*|of|for|in|the|and|on|de|du|des|pour|en)[ \t]+){1,9}"
    r"[A-Z][\w'\u2019-]*)[ \t]*\(([A-Z][A-Za-z]*[A-Z][A-Za-z]*)\)")
INSTRUMENT_WORDS = re.compile(r"\b(Charter|Treaty|Convention|Protocol|Agreement|Accords?|"
                              r"Resolution|Declaration|Memorandum)\b")
OPERATION_WORDS = re.compile(r"\b(Mission|Force|Operation|Group|Assistance|Office|"
                             r"Observer|Stabili[sz]ation|Administration)\b")
PLACE_NAMED = re.compile(r"\b((?:UN|United Nations)(?:\s+peacekeeping)?\s+(?:mission|operation|"
                         r"force)\s+(?:in|to)\s+)([A-Z][\w-]+(?:\s+[A-Z][\w-]+)?)")
TITLE_PREFIX = re.compile(r"^(?:understanding\s+)?(?:the\s+)?(?:(?:role|impact|importance|"
                          r"future|evolution|history|significance)(?:\s+and\s+)?)+\s+of\s+",
                          re.IGNORECASE)
#: What makes a mentioned concept a claim: words of aim earlier in an objective's sentence
#: (else words of bringing about make it an effect: ``EFFECT_CUE``), of guidance around a
#: principle, of difficulty around a challenge, of what works around a success factor, of
#: verdict before an outcome. Without them a concept is only mentioned.
#: (pattern, where): "before" is the 60 characters before the concept in its sentence,
#: "earlier" the sentence up to the concept ("aim to restore order, rebuild institutions and
#: create ..."), "sentence" the whole sentence (or the section heading).
CUES: dict[str, tuple[re.Pattern[str], str]] = {
    "objective": (re.compile(
        r"\b(aim|goal|purpose|objective|seek|sought|strive|striv|intend|in order|so as|"
        r"dedicated|pursu|toward|mandated to|tasked|design|mission to|commit)\w*\b",
        re.IGNORECASE), "earlier"),
    "principle": (re.compile(r"\b(principl|guid|adher|uphold|respect|based on|grounded|comply|"
                             r"complian|abid|observ|accordance|fundamental|cornerstone|norm|"
                             r"legitima|legal)\w*", re.IGNORECASE), "sentence"),
    "challenge": (re.compile(r"\b(challeng|obstacle|hinder|hamper|difficult|problem|risk|"
                             r"threat|complicat|undermin|struggl|fac(e|es|ed|ing)\b|limit|"
                             r"lack|insufficient|barrier|constrain|impede|strain|hurdle|"
                             r"shortfall|shortage|inadequa|weak|tension)\w*", re.IGNORECASE),
                  "sentence"),
    "success-factor": (re.compile(r"\b(success|effective|key|essential|crucial|vital|critical|"
                                  r"depend|requir|need|important|instrumental|lesson)\w*",
                                  re.IGNORECASE), "sentence"),
    "component": (re.compile(r"\b(component|deploy|compris|consist|compos|personnel|staff|"
                             r"troop|contingent|officer)\w*", re.IGNORECASE), "sentence"),
    "outcome": (re.compile(r"\b(was|were|is|has been|have been|proved|prove|judged|deemed|"
                           r"considered|seen as|regarded as|ended|end|met with)\b",
                           re.IGNORECASE), "before"),
}
#: What makes an objective concept an *effect* (``effects``, pld:hasEffect): words of bringing
#: about just before it or opening its own phrase ("helps create a secure environment",
#: "fostering trust", ", reducing the risk"). Aim words (``CUES["objective"]``) win over them.
EFFECT_CUE = re.compile(
    r"\b(help|creat|foster|reduc|enhanc|promot|contribut\w* to|ensur|facilitat|strengthen|"
    r"lead to|leads to|led to|leading to|result\w* in|restor|maintain|build|built|establish|"
    r"achiev|advanc|preserv|rebuild|improv|enabl|bolster|mitigat|prevent|secur|sustain|"
    r"consolidat|legitimi[sz]|alleviat|stabili[sz]|boost|bring|brought|pav\w* the way|"
    r"allow|support|provid|deliver|protect|encourag|increas|lower|curb|end|ending|ended|"
    r"produc|yield|generat|instil|reinforc|underpin|cultivat|nurtur|deepen|spur|driv|"
    r"lay|laid|open|rais|reviv|revitali[sz])\w*\b", re.IGNORECASE)
EFFECT_WINDOW = 60
#: Concepts that can bring an effect about as the subject of its sentence.
AGENT_KINDS = ("principle", "activity")
#: Where an effect goes, by the kind of its subject.
EFFECT_FIELDS = {"operation": ("operation", "effects"), "practice": ("practice", "effects"),
                 "organisation": ("organisation", "effects")}
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Mention:
    """A phrase of the article that names an entity or concept."""

    start: int
    end: int
    text: str
    entry: Entry
    sentence: int  # index into the passage's sentences
    subject_score: int = 0  # 2: grammatical subject of its sentence, 1: not in a clause below


@dataclass
class Sentence:
    start: int
    end: int
    mentions: list[Mention] = field(default_factory=list)


@dataclass
class PassageView:
    id: str
    start: int
    end: int
    section: int
    heading: str | None
    sentences: list[Sentence]
    mentions: list[Mention]


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


# --- recognising phrases ---------------------------------------------------------------------


def _words(doc: Any, offset: int) -> list[tuple[str, int, int, Any]]:
    """(stem, start, end, token) of a doc's word tokens; hyphens and possessives skipped."""
    out = []
    for tok in doc:
        if tok.text in ("-", "\u2010", "\u2013", "'s", "\u2019s") or tok.is_space:
            continue
        for part in tok.text.replace("-", " ").split() if "-" in tok.text else [tok.text]:
            out.append((stem(part), offset + tok.idx, offset + tok.idx + len(tok.text), tok))
    return out


def find_phrases(doc: Any, offset: int, lexicon: Lexicon, extra: dict[tuple[str, ...], Entry]
                 ) -> list[tuple[int, int, Entry, Any]]:
    """Longest known phrases, left to right, without overlaps: (start, end, entry, tokens)."""
    words = _words(doc, offset)

    def longest(i: int) -> tuple[int, Entry | None]:
        for n in range(min(MAX_PHRASE, len(words) - i), 0, -1):
            key = tuple(w[0] for w in words[i:i + n])
            entry = extra.get(key) or lexicon.lookup(key)
            if entry is not None:
                return n, entry
        return 0, None

    out = []
    i = 0
    while i < len(words):
        n, entry = longest(i)
        if entry is not None and words[i][0] in ARTICLES and i + 1 < len(words):
            # "the United Nations" is known, but so is "United Nations Mission in Liberia"
            n2, entry2 = longest(i + 1)
            if entry2 is not None and i + 1 + n2 > i + n:
                i, n, entry = i + 1, n2, entry2
        if entry is None:
            i += 1
            continue
        tokens = [w[3] for w in words[i:i + n]]
        out.append((words[i][1], words[i + n - 1][2], entry, tokens))
        i += n
    return out + _loose_phrases(words, out, lexicon)


#: Words a known name may start with ("the United Nations") that a longer name right after
#: them does not take.
ARTICLES = frozenset({"the", "a", "an"})


def _same_sentence(a: Any, b: Any) -> bool:
    if not a.doc.has_annotation("SENT_START"):
        return True  # a heading or title: one sentence
    return a.sent == b.sent


#: How many more words than its own a loosely matched phrase may spread over.
LOOSE_SLACK = 2


def _loose_phrases(words: list[tuple[str, int, int, Any]], found: list, lexicon: Lexicon
                   ) -> list[tuple[int, int, Entry, Any]]:
    """Concept phrases whose meaningful words occur in any order within a few words of each
    other in one sentence, among the words no exact phrase took."""
    taken = {i for i, w in enumerate(words) if any(f[0] <= w[1] < f[1] for f in found)}
    positions: dict[str, list[int]] = {}
    for i, w in enumerate(words):
        if i not in taken and w[0] not in FUNCTION_WORDS:
            positions.setdefault(root(w[0]), []).append(i)
    out = []
    for roots, entry in lexicon.loose():
        if not all(r in positions for r in roots):
            continue
        best = None
        for i in positions[roots[0]]:
            chosen = [i]
            for r in roots[1:]:
                free = [j for j in positions[r] if j not in taken]
                if not free:
                    break
                chosen.append(min(free, key=lambda j: (abs(j - i), j)))
            else:
                lo, hi = min(chosen), max(chosen)
                if (hi - lo + 1 <= len(roots) + LOOSE_SLACK and len(set(chosen)) == len(roots)
                        and not taken & set(range(lo, hi + 1))
                        and _same_sentence(words[lo][3], words[hi][3])
                        and (best is None or hi - lo < best[1] - best[0])):
                    best = (lo, hi)
        if best is not None:
            lo, hi = best
            taken |= set(range(lo, hi + 1))
            out.append((words[lo][1], words[hi][2], entry, [w[3] for w in words[lo:hi + 1]]))
    return sorted(out, key=lambda f: f[0])


def _subject_score(tokens: list[Any], mode: str) -> int:
    """2 when the phrase is the grammatical subject of its clause, 1 when it is not inside a
    prepositional phrase or object, 0 otherwise (always 1 without a parse)."""
    if mode != "parse":
        return 1
    inside = {t.i for t in tokens}
    root = next((t for t in tokens if t.head.i not in inside or t.head.i == t.i), tokens[0])
    node, steps = root, 0
    while steps < 3:
        if node.dep_ in ("nsubj", "nsubjpass", "csubj"):
            return 2
        if node.dep_ in ("conj", "appos", "compound", "amod") and node.head.i != node.i:
            node, steps = node.head, steps + 1
            continue
        break
    return 0 if root.dep_ in ("pobj", "dobj", "attr", "agent") else 1


# --- new entities ----------------------------------------------------------------------------


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


def title_topic(title: str) -> str:
    """The practice an article is about, from its title: "The Role of X in Y Efforts" gives
    "X in Y"."""
    name = re.sub(r"^the\s+", "", TITLE_PREFIX.sub("", title.strip()), flags=re.IGNORECASE)
    words = name.split()
    while len(words) > 1 and stem(words[-1]) in GENERIC | {"effort", "mission", "operation"}:
        words.pop()
    return " ".join(words)


class Drafter:
    """Drafts the facts of one article with one lexicon and language pipeline."""

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
                        _subject_score(tokens, self.mode))
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

    def _subject_of(self, view: PassageView, index: int) -> Mention | None:
        """The subject mention for concepts of sentence ``index``: its best subject, else the
        nearest earlier sentence's of the same passage."""
        for i in range(index, -1, -1):
            cands = [m for m in view.sentences[i].mentions if m.entry.kind in SUBJECT_KINDS]
            if cands:
                return sorted(cands, key=lambda m: (-m.subject_score, m.start))[0]
        return None

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

    # -- relations between entities -------------------------------------------------------------

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

    def _relation(self, view: PassageView, subject: Mention, field_name: str, value: Mention,
                  rule: str) -> Draft:
        v: dict[str, Any] = {"kind": subject.entry.kind, "at": view.id}
        v.update(self._identity(subject.entry))
        single = field_name in ("host", "practice") and subject.entry.kind == "operation"
        v[field_name] = value.entry.key if single else [value.entry.key]
        return self._finish(view, v, rule, [subject, value], subject, value, None)

    def _year(self, view: PassageView, op: Mention, field_name: str, year: str,
              rule: str) -> Draft:
        v: dict[str, Any] = {"kind": "operation", "at": view.id}
        v.update(self._identity(op.entry))
        v[field_name] = int(year)
        return self._finish(view, v, rule, [op], op, None, None, {year: year})

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

"""What the drafter sees of a passage (``PassageView``: its sentences and ``Mention``s) and how
it finds them: the lexicon's longest phrases over spaCy tokens, loose matches, subject scores."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .lexicon import FUNCTION_WORDS, Entry, Lexicon, root, stem

MAX_PHRASE = 8


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


def subject_score(tokens: list[Any], mode: str) -> int:
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


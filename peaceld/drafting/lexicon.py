"""What the drafter recognises: every name it knows for the entities and concepts of the domain.

A lexicon is built from three sources, each allowed to say what a phrase means:

* the ontology's SKOS concept schemes that facts may reference (activities, challenges,
  objectives, principles, ...): each concept's ``skos:notation``, ``skos:prefLabel`` and
  ``skos:altLabel``;
* the reference data (``reference/*.csv``): countries, regions and continents, states,
  organisations and operations with their names, ISO names and acronyms;
* the project's facts: each entity's key, ``name``, ``acronym`` and ``aka``, its kind and
  category, and the words the curators recorded as each value's **mention** (the evidence
  ``mentions``), which are the article's own words for a concept or entity.

The facts of some articles can be left out (``exclude``): the leave-one-out benchmark drafts
each article with a lexicon that never saw its facts.
"""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from ..namespaces import PREFIXES
from ..records import read_records, strip_lines

SKOS = PREFIXES["skos"]
#: The kinds of entity a fact declares with an ``id`` (its subject is ``<kind>/<id>``).
ENTITY_KINDS = ("organisation", "state", "place", "conflict", "operation", "practice",
                "instrument", "mandate", "provision", "funding", "transition", "arrangement",
                "trend", "lesson")
#: How much each source counts when a phrase names several things (the most votes wins).
WEIGHT_NAME, WEIGHT_LABEL, WEIGHT_MENTION = 4, 3, 1
#: Phrases too general to name one thing by themselves.
_GENERIC_WORDS = """mission missions operation operations force forces effort efforts state
states nation nations country countries organisation organisations organization
organizations peace security conflict conflicts support role roles party parties member
members region regions body bodies action actions approach system framework frameworks
process processes international global local community communities government governments
personnel people task tasks council union assembly group groups cooperation it they these
this that its their such"""
GENERIC = frozenset(_GENERIC_WORDS.split())


def stem(word: str) -> str:
    """A crude, deterministic normal form of a word: lower case, British spelling, singular."""
    w = word.lower().replace("\u2019", "'")
    if w.endswith("'s"):
        w = w[:-2]
    w = re.sub(r"iz(e|es|ed|ing|ation|ations)$", r"is\1", w)
    w = {"defense": "defence", "program": "programme", "programs": "programmes"}.get(w, w)
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def phrase_key(text: str) -> tuple[str, ...]:
    """The stemmed words of a phrase (letters, digits, inner hyphens and apostrophes)."""
    return tuple(stem(w) for w in re.findall(r"[\w][\w'\u2019-]*", text.replace("-", " ")))


#: Words that carry no meaning of their own in a phrase (left out of loose matching).
_FUNCTION_WORDS = ("a an the of in on for to and or with by from at as its their his her this "
                   "that these those be is are was were into among between within")
FUNCTION_WORDS = frozenset(_FUNCTION_WORDS.split())
SUFFIXES = ("isations", "isation", "ations", "ation", "acy", "ences", "ence", "ances", "ance",
            "ments", "ment", "ities", "ity", "ings", "ing", "ives", "ive", "ents", "ent",
            "ants", "ant", "ional", "ions", "ion", "ies", "ied", "ed", "es", "al", "ly", "s", "e")


def root(word: str) -> str:
    """A rough root shared by a word's derived forms ("diverging", "divergent" and
    "divergence" give "diverg"): for loose matching only."""
    w = stem(word)
    for suffix in SUFFIXES:
        if w.endswith(suffix) and len(w) - len(suffix) >= 4:
            w = w[:-len(suffix)]
            break
    # "reduction"/"reducing", "escalation"/"escalate", "stabilising"/"stability"
    if w.endswith("ct"):
        w = w[:-1]
    elif w.endswith(("at", "is")) and len(w) >= 7:
        w = w[:-2]
    return w


def content_roots(key: tuple[str, ...]) -> tuple[str, ...]:
    """The roots of a phrase's meaningful words, in order."""
    return tuple(root(w) for w in key if w not in FUNCTION_WORDS)


@dataclass(frozen=True)
class Entry:
    """What a phrase names: a concept (kind of the scheme, notation) or an entity (kind, key)."""

    kind: str
    key: str

    @property
    def is_concept(self) -> bool:
        return self.kind not in ENTITY_KINDS


@dataclass
class EntityInfo:
    """An entity the lexicon knows: its kind, key, name, acronym and category."""

    kind: str
    key: str
    name: str
    acronym: str | None = None
    category: str | None = None
    aka: list[str] = field(default_factory=list)


@dataclass
class Lexicon:
    """Phrases (stemmed word tuples) and the entry each names; entities and their names."""

    votes: dict[tuple[str, ...], Counter[Entry]] = field(default_factory=lambda: defaultdict(
        Counter))
    entities: dict[tuple[str, str], EntityInfo] = field(default_factory=dict)
    concepts: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    #: What the reference data says of each operation key (host, lead, authorised_by).
    operations: dict[str, dict[str, str]] = field(default_factory=dict)
    surfaces: dict[tuple[str, ...], str] = field(default_factory=dict)
    #: The entities some fact of the project declares (others need a fact of their own).
    declared: set[tuple[str, str]] = field(default_factory=set)
    _loose: list[tuple[tuple[str, ...], Entry]] | None = None

    def add(self, phrase: str, entry: Entry, weight: int) -> None:
        key = phrase_key(phrase)
        if not key or (len(key) == 1 and (key[0] in GENERIC or len(key[0]) < 3)):
            return
        if weight == WEIGHT_MENTION and all(w in GENERIC for w in key):
            return
        self.votes[key][entry] += weight
        self._loose = None
        self.surfaces.setdefault(key, phrase)

    def add_entity(self, info: EntityInfo, weight: int = WEIGHT_NAME) -> None:
        known = self.entities.get((info.kind, info.key))
        if known is None:
            self.entities[(info.kind, info.key)] = known = info
        else:
            known.acronym = known.acronym or info.acronym
            known.category = known.category or info.category
            known.aka += [a for a in info.aka if a not in known.aka]
        entry = Entry(info.kind, info.key)
        for name in (info.name, *info.aka):
            self.add(name, entry, weight)
        if info.acronym:
            self.add(info.acronym, entry, weight + 1)

    def loose(self) -> list[tuple[tuple[str, ...], Entry]]:
        """(roots, concept) of every concept phrase of two to five meaningful words, longest
        first: matched in any order, a few words apart ("limited resources" for "resource
        limitations")."""
        if self._loose is None:
            seen: dict[frozenset[str], tuple[tuple[str, ...], Entry] | None] = {}
            for key in self.phrases():
                entry = self.lookup(key)
                roots = content_roots(key)
                if entry is None or not entry.is_concept or not 2 <= len(set(roots)) <= 5:
                    continue
                bag = frozenset(roots)
                known = seen.get(bag)
                if bag in seen and (known is None or known[1] != entry):
                    seen[bag] = None  # two concepts share the words: neither
                    continue
                seen[bag] = (tuple(sorted(bag)), entry)
            self._loose = sorted((v for v in seen.values() if v is not None),
                                 key=lambda v: (-len(v[0]), v[0]))
        return self._loose

    def lookup(self, key: tuple[str, ...]) -> Entry | None:
        """The entry a phrase names: the most votes, then the first in sorted order."""
        votes = self.votes.get(key)
        if not votes:
            return None
        return sorted(votes.items(), key=lambda kv: (-kv[1], kv[0].kind, kv[0].key))[0][0]

    def phrases(self) -> list[tuple[str, ...]]:
        return sorted(self.votes)

    def kind_of(self, key: str, kinds: Iterable[str]) -> str | None:
        """The first of ``kinds`` that has an entity or concept with this key."""
        for kind in kinds:
            if (kind, key) in self.entities or key in self.concepts.get(kind, ()):
                return kind
        return None


def concept_schemes(mapping_path: Path) -> dict[str, str]:
    """kind -> scheme IRI of the concept schemes that the facts mapping lets facts reference."""
    from ..records import load_yaml

    doc = strip_lines(load_yaml(mapping_path))
    prefixes = {**PREFIXES, **(doc.get("prefixes") or {})}
    out = {}
    for kind, spec in (doc.get("entities") or {}).items():
        scheme = str(spec.get("scheme", ""))
        prefix, _, local = scheme.partition(":")
        out[kind] = prefixes.get(prefix, prefix + ":") + local
    return out


def add_concepts(lexicon: Lexicon, ontology: list[ox.Quad], schemes: dict[str, str]) -> None:
    """Each concept of the schemes under its notation, preferred and alternative labels."""
    kind_of_scheme = {iri: kind for kind, iri in schemes.items()}
    in_scheme: dict[str, str] = {}
    notation: dict[str, str] = {}
    labels: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for q in ontology:
        s, p, o = q.subject.value if isinstance(q.subject, ox.NamedNode) else None, \
            q.predicate.value, q.object
        if s is None:
            continue
        if p == SKOS + "inScheme" and isinstance(o, ox.NamedNode) and o.value in kind_of_scheme:
            in_scheme[s] = kind_of_scheme[o.value]
        elif p == SKOS + "notation" and isinstance(o, ox.Literal):
            notation[s] = o.value
        elif p in (SKOS + "prefLabel", SKOS + "altLabel") and isinstance(o, ox.Literal) and (
                o.language in (None, "en")):
            labels[s].append((o.value, WEIGHT_LABEL))
    for concept, kind in sorted(in_scheme.items()):
        if concept not in notation or kind == "ai-disclosure":
            continue
        key = notation[concept]
        lexicon.concepts[kind].add(key)
        entry = Entry(kind, key)
        lexicon.add(key.replace("-", " "), entry, WEIGHT_LABEL)
        for text, weight in sorted(labels[concept]):
            lexicon.add(text, entry, weight)


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def add_reference(lexicon: Lexicon, folder: Path) -> None:
    """Countries, regions, states, organisations and operations of ``reference/``."""
    for row in _rows(folder / "places.csv"):
        kind = row.get("path") or "place"
        aka = [row["iso_name"]] if row.get("iso_name") and row["iso_name"] != row["name"] else []
        lexicon.add_entity(EntityInfo(kind, row["id"], row["name"], None,
                                      row.get("category") if kind == "place" else None, aka))
    for row in _rows(folder / "organisations.csv"):
        lexicon.add_entity(EntityInfo("organisation", row["id"], row["name"]))
    for row in _rows(folder / "operations.csv"):
        lexicon.add_entity(EntityInfo("operation", row["id"], row["name"],
                                      row.get("acronym") or None))
        lexicon.operations[row["id"]] = {
            f: row[f].rsplit("/", 1)[-1] for f in ("host", "lead", "authorised_by")
            if row.get(f)}


def add_facts(lexicon: Lexicon, files: Iterable[Path], exclude: Iterable[str] = ()) -> None:
    """Entities and mentions of the facts files, except those of the ``exclude`` articles."""
    skip = set(exclude)
    records = []
    for path in files:
        if path.name.endswith(".passages.yaml"):
            continue
        records += [r for r in read_records(path)
                    if str((r.meta or {}).get("source")) not in skip]
    for rec in records:  # entities first, so that mentions know every key's kind
        v = rec.values
        kind = str(v.get("kind"))
        if kind in ENTITY_KINDS and "id" in v and "name" in v:
            aka = [str(a) for a in _as_list(v.get("aka"))]
            lexicon.add_entity(EntityInfo(kind, str(v["id"]), str(v["name"]),
                                          str(v["acronym"]) if v.get("acronym") else None,
                                          str(v["category"]) if v.get("category") else None,
                                          aka))
            lexicon.declared.add((kind, str(v["id"])))
    keys: dict[str, Entry] = {}
    for (kind, key) in sorted(lexicon.entities):
        keys.setdefault(key, Entry(kind, key))
    for kind, notations in sorted(lexicon.concepts.items()):
        for key in sorted(notations):
            keys.setdefault(key, Entry(kind, key))
    for rec in records:
        for item in _as_list(rec.values.get("evidence")):
            if not isinstance(item, dict):
                continue
            for key, words in sorted((item.get("mentions") or {}).items()):
                entry = keys.get(str(key))
                # one word alone ("mandate", "forces") names too many things to learn from
                if entry is not None and 2 <= len(phrase_key(str(words))) <= 5:
                    lexicon.add(str(words), entry, WEIGHT_MENTION)


def _as_list(value: object) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def build_lexicon(project_root: Path, ontology: list[ox.Quad], mapping_path: Path,
                  fact_files: Iterable[Path], exclude: Iterable[str] = ()) -> Lexicon:
    """The lexicon of a project: ontology concepts, reference data, facts (less ``exclude``)."""
    lexicon = Lexicon()
    add_concepts(lexicon, ontology, concept_schemes(mapping_path))
    reference = project_root / "reference"
    if not reference.is_dir():
        from ..project import bundled_root

        reference = bundled_root() / "reference"
    add_reference(lexicon, reference)
    add_facts(lexicon, fact_files, exclude)
    return lexicon

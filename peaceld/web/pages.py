"""Pages about the knowledge graph: what a reader sees of each resource, and its RDF documents.

``GraphView`` reads an Oxigraph store of a build (the default graph holds the union of the
passage graphs, see ``store.load_store``) and gathers what a page shows: labels instead of raw
IRIs, statements grouped by property, incoming links, and for each statement the source
passages that claim it (article title, section, paragraph, the article's AI-disclosure flag).
``document`` writes a resource's RDF documents in every export format; ``render.Renderer``
turns the view into HTML. The server (``serve``) and the static site (``site``) share both;
they differ only in how a resource's IRI becomes a link (``render.Links``).
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from ..export import serialize
from ..namespaces import (
    GRAPH,
    ID,
    ONTOLOGY,
    ONTOLOGY_GRAPH,
    PLD,
    PREFIXES,
    SOURCES_GRAPH,
    curie,
)

BASE_IRI = "https://w3id.org/peaceld/"
#: Graphs that state things without a source passage, as a page names them.
OTHER_GRAPHS = {ONTOLOGY_GRAPH: "the ontology", SOURCES_GRAPH: "the list of sources",
                GRAPH + "reference": "reference records (official sources, cited in the "
                                     "dataset's reference graph)",
                GRAPH + "curators": "the curators' identification (not the articles')"}
WEB = Path(__file__).resolve().parent

RDF, RDFS, OWL, SKOS = (PREFIXES[k] for k in ("rdf", "rdfs", "owl", "skos"))
DCT = PREFIXES["dcterms"]
TYPE = ox.NamedNode(RDF + "type")
LABELS = (RDFS + "label", SKOS + "prefLabel", DCT + "title")
SEARCHED = (RDFS + "label", SKOS + "prefLabel", SKOS + "altLabel", PLD + "acronym")
DEFINITIONS = (SKOS + "definition", RDFS + "comment", DCT + "description")
PASSAGE = ID + "passage/"
FALLBACK_LABELS = {RDF + "type": "type", RDFS + "label": "label", RDFS + "comment": "comment",
                   RDFS + "subClassOf": "subclass of", OWL + "sameAs": "same as"}
DEFAULT = ox.DefaultGraph()

#: Document formats of a resource: suffix -> (media type, peaceld.export format, with graphs).
DOCUMENTS: dict[str, tuple[str, str, bool]] = {
    "html": ("text/html", "", False),
    "ttl": ("text/turtle", "ttl", False),
    "nt": ("application/n-triples", "nt", False),
    "jsonld": ("application/ld+json", "jsonld", False),
    "rdf": ("application/rdf+xml", "xml", False),
    "trig": ("application/trig", "trig", True),
    "nq": ("application/n-quads", "nq", True),
}
FORMAT_NAMES = {"html": "HTML", "ttl": "Turtle", "nt": "N-Triples", "jsonld": "JSON-LD",
                "rdf": "RDF/XML", "trig": "TriG (with provenance)",
                "nq": "N-Quads (with provenance)"}

#: How many incoming links and class members a page lists at most.
PAGE_ROWS = 200
#: Incoming links: how many are counted at most, and how many per property a page shows.
INCOMING_SCAN = 10_000
INCOMING_SHOWN = 30
#: How many statements about one resource a page shows at most (the RDF documents have all).
MAX_STATEMENTS = 2000


@dataclass
class Source:
    """A source passage that claims a statement."""

    passage: str
    article: str
    title: str
    identifier: str
    section: int | None
    section_title: str
    paragraph: int | None
    ai: str
    ai_label: str


@dataclass
class Value:
    """One object of a statement, as a reader sees it."""

    term: Any
    text: str
    iri: str | None = None
    note: str = ""
    sources: list[Source] = field(default_factory=list)
    stated_by: str = ""
    nested: list[tuple[str, str, list[Value]]] = field(default_factory=list)


@dataclass
class Group:
    """The statements of one property, with its label."""

    prop: str
    label: str
    values: list[Value]
    total: int = 0


@dataclass
class Entity:
    """Everything a resource page shows."""

    iri: str
    label: str
    types: list[tuple[str, str]]
    definition: str
    groups: list[Group]
    incoming: list[Group]
    incoming_more: bool
    sources: list[Source]
    kind: str


def _lexical(term: Any) -> str:
    return term.value if hasattr(term, "value") else str(term)


def _fold(text: str) -> str:
    """Lower case without accents, for search."""
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


class GraphView:
    """Read access to a build's store for pages: labels, descriptions, provenance, search."""

    def __init__(self, store: ox.Store, base_iri: str = BASE_IRI) -> None:
        self.store = store
        self.base = base_iri
        self._labels: dict[str, str] = {}
        self._sources: dict[str, Source | None] = {}
        self._class_counts: list[tuple[str, str, int]] | None = None

    # --- terms -------------------------------------------------------------------------

    def objects(self, subject: str, predicate: str) -> list[Any]:
        return [q.object for q in self.store.quads_for_pattern(
            ox.NamedNode(subject), ox.NamedNode(predicate), None, DEFAULT)]

    def literal(self, subject: str, predicates: Iterable[str]) -> str:
        """The best literal of the first predicate that has one: English, plain, any."""
        for p in predicates:
            values = [o for o in self.objects(subject, p) if isinstance(o, ox.Literal)]
            if values:
                values.sort(key=lambda o: (o.language not in ("en", None), o.value))
                return values[0].value
        return ""

    def label(self, iri: str) -> str:
        """A label for people: rdfs:label, skos:prefLabel or dcterms:title, else a short IRI."""
        found = self._labels.get(iri)
        if found is None:
            found = self.literal(iri, LABELS) or FALLBACK_LABELS.get(iri) or compact(iri)
            if len(self._labels) < 100_000:
                self._labels[iri] = found
        return found

    def exists(self, iri: str) -> bool:
        node = ox.NamedNode(iri)
        return (next(self.store.quads_for_pattern(node, None, None, DEFAULT), None) is not None
                or next(self.store.quads_for_pattern(None, None, node, DEFAULT), None)
                is not None)

    def types(self, iri: str) -> list[str]:
        return sorted(o.value for o in self.objects(iri, TYPE.value)
                      if isinstance(o, ox.NamedNode))

    # --- provenance --------------------------------------------------------------------

    def source(self, passage: str) -> Source | None:
        """The passage's article, section and paragraph, or None if it is not a passage."""
        if passage in self._sources:
            return self._sources[passage]
        found = None
        if passage.startswith(PASSAGE):
            article = next((o.value for o in self.objects(passage, DCT + "isPartOf")
                            if isinstance(o, ox.NamedNode)), "")

            def number(p: str) -> int | None:
                vals = self.objects(passage, PLD + p)
                return int(vals[0].value) if vals and vals[0].value.isdigit() else None

            ai = next((o.value for o in self.objects(article, PLD + "aiDisclosure")), "")
            found = Source(passage, article, self.label(article) if article else "",
                           self.literal(passage, [DCT + "identifier"]) or passage.rsplit("/")[-1],
                           number("sectionNumber"), self.literal(passage, [PLD + "sectionTitle"]),
                           number("paragraphNumber"), ai, self.label(ai) if ai else "")
        if len(self._sources) < 100_000:
            self._sources[passage] = found
        return found

    def claims(self, s: Any, p: Any, o: Any) -> tuple[list[Source], str]:
        """The passages that claim one statement, and which other graphs state it, if any
        (the ontology, the list of sources, reference records, the curators)."""
        sources, others = [], set()
        for q in self.store.quads_for_pattern(s, p, o, None):
            g = q.graph_name
            if isinstance(g, ox.NamedNode):
                if g.value.startswith(PASSAGE):
                    found = self.source(g.value)
                    if found:
                        sources.append(found)
                elif g.value in OTHER_GRAPHS:
                    others.add(OTHER_GRAPHS[g.value])
        sources.sort(key=lambda x: (x.article, x.section or 0, x.paragraph or 0))
        return sources, "; ".join(sorted(others))

    # --- descriptions ------------------------------------------------------------------

    def value(self, term: Any, with_nested: bool = True) -> Value:
        if isinstance(term, ox.NamedNode):
            return Value(term, self.label(term.value), iri=term.value)
        if isinstance(term, ox.Literal):
            note = ""
            if term.language:
                note = term.language
            elif term.datatype.value not in (PREFIXES["xsd"] + "string",):
                note = compact(term.datatype.value)
            return Value(term, term.value, note=note)
        out = Value(term, "(anonymous)")
        if with_nested:
            by_prop: dict[str, list[Value]] = {}
            for q in self.store.quads_for_pattern(term, None, None, None):
                by_prop.setdefault(q.predicate.value, []).append(self.value(q.object, False))
            out.nested = [(p, self.label(p), v) for p, v in sorted(by_prop.items())]
        return out

    def describe(self, iri: str) -> Entity | None:
        """What the page of ``iri`` shows, or None if the store knows nothing of it."""
        node = ox.NamedNode(iri)
        by_prop: dict[str, list[Value]] = {}
        everyone: dict[str, Source] = {}
        for i, q in enumerate(self.store.quads_for_pattern(node, None, None, DEFAULT)):
            if i >= MAX_STATEMENTS:
                break
            v = self.value(q.object)
            v.sources, v.stated_by = self.claims(node, q.predicate, q.object)
            for s in v.sources:
                everyone[s.passage] = s
            by_prop.setdefault(q.predicate.value, []).append(v)
        # incoming links: counted (up to INCOMING_SCAN), the first few per property shown
        # counted by Oxigraph (a hub at 10M triples has thousands: reading them one by one
        # in Python took most of its page's time), then the first few read per property
        counts = {r["p"].value: int(r["n"].value) for r in self.store.query(
            f"SELECT ?p (COUNT(*) AS ?n) WHERE {{ {{ SELECT ?p WHERE {{ ?s ?p {node} }} "
            f"LIMIT {INCOMING_SCAN + 1} }} }} GROUP BY ?p")}
        more = sum(counts.values()) > INCOMING_SCAN
        incoming: dict[str, list[Value]] = {}
        for p in counts:
            for i, q in enumerate(self.store.quads_for_pattern(None, ox.NamedNode(p), node,
                                                               DEFAULT)):
                if i >= INCOMING_SHOWN:
                    break
                incoming.setdefault(p, []).append(self.value(q.subject, False))
        if not by_prop and not incoming:
            return None
        types = self.types(iri)
        groups = [Group(p, self.label(p), sorted(v, key=lambda x: (x.text.casefold(),
                                                                    str(x.term))))
                  for p, v in by_prop.items()]
        groups.sort(key=lambda g: (g.prop != TYPE.value, g.label.casefold(), g.prop))
        ins = [Group(p, self.label(p), sorted(v, key=lambda x: x.text.casefold()),
                     counts[p]) for p, v in incoming.items()]
        ins.sort(key=lambda g: (g.label.casefold(), g.prop))
        kind = "resource"
        if OWL + "Ontology" in types:
            kind = "ontology"
        elif SKOS + "ConceptScheme" in types:
            kind = "scheme"
        elif OWL + "Class" in types or RDFS + "Class" in types:
            kind = "class"
        return Entity(iri, self.label(iri), [(t, self.label(t)) for t in types],
                      self.literal(iri, DEFINITIONS), groups, ins, more,
                      sorted(everyone.values(), key=lambda x: (x.title, x.section or 0,
                                                                x.paragraph or 0)), kind)

    def instances(self, cls: str, limit: int = PAGE_ROWS) -> tuple[int, list[tuple[str, str]]]:
        """How many instances a class has (directly), and the first ones by label."""
        members = [q.subject for q in self.store.quads_for_pattern(
            None, TYPE, ox.NamedNode(cls), DEFAULT) if isinstance(q.subject, ox.NamedNode)]
        shown = sorted(((self.label(m.value), m.value) for m in members[:max(limit * 10, 2000)]),
                       key=lambda x: (x[0].casefold(), x[1]))[:limit]
        return len(members), [(iri, label) for label, iri in shown]

    def class_counts(self) -> list[tuple[str, str, int]]:
        """Every class with instances in the data: IRI, label, number of instances.

        Counted once: the store is read-only."""
        if self._class_counts is None:
            self._class_counts = self._count_classes()
        return self._class_counts

    def _count_classes(self) -> list[tuple[str, str, int]]:
        found = self.store.query(
            "SELECT ?c (COUNT(?s) AS ?n) WHERE { ?s a ?c FILTER(isIRI(?c)) } GROUP BY ?c")
        rows = [(r["c"].value, self.label(r["c"].value), int(r["n"].value)) for r in found]
        return sorted(rows, key=lambda x: (-x[2], x[1].casefold()))

    def ontology_terms(self) -> dict[str, Any]:
        """Classes as a tree, properties with domain and range, and concept schemes."""
        classes = sorted(q.subject.value for q in self.store.quads_for_pattern(
            None, TYPE, ox.NamedNode(OWL + "Class"), DEFAULT)
            if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(PLD))
        parents = {c: sorted(o.value for o in self.objects(c, RDFS + "subClassOf")
                             if isinstance(o, ox.NamedNode) and o.value.startswith(PLD))
                   for c in classes}
        children: dict[str, list[str]] = {}
        for c, ps in parents.items():
            for p in ps:
                children.setdefault(p, []).append(c)

        def node(c: str, seen: frozenset[str]) -> dict[str, Any]:
            kids = [] if c in seen else sorted(children.get(c, []), key=self.label)
            return {"iri": c, "label": self.label(c), "definition":
                    self.literal(c, DEFINITIONS),
                    "children": [node(k, seen | {c}) for k in kids]}

        roots = sorted((c for c in classes if not parents[c]), key=self.label)
        props = []
        for kind in ("ObjectProperty", "DatatypeProperty", "AnnotationProperty"):
            for q in self.store.quads_for_pattern(None, TYPE, ox.NamedNode(OWL + kind), DEFAULT):
                p = q.subject.value
                if not p.startswith(PLD):
                    continue
                props.append({"iri": p, "label": self.label(p), "kind": kind,
                              "definition": self.literal(p, DEFINITIONS),
                              "domain": [(o.value, self.label(o.value))
                                         for o in self.objects(p, RDFS + "domain")
                                         if isinstance(o, ox.NamedNode)],
                              "range": [(o.value, self.label(o.value))
                                        for o in self.objects(p, RDFS + "range")
                                        if isinstance(o, ox.NamedNode)]})
        props.sort(key=lambda x: (x["label"].casefold(), x["iri"]))
        schemes = [(q.subject.value, self.label(q.subject.value)) for q in
                   self.store.quads_for_pattern(None, TYPE,
                                                ox.NamedNode(SKOS + "ConceptScheme"), DEFAULT)
                   if isinstance(q.subject, ox.NamedNode)]
        return {"roots": [node(r, frozenset()) for r in roots], "properties": props,
                "schemes": sorted(schemes, key=lambda x: x[1].casefold()),
                "title": self.literal(ONTOLOGY, LABELS),
                "description": self.literal(ONTOLOGY, DEFINITIONS)}

    def scheme(self, iri: str) -> dict[str, Any]:
        """A concept scheme: its concepts as a tree by skos:broader."""
        concepts = sorted(q.subject.value for q in self.store.quads_for_pattern(
            None, ox.NamedNode(SKOS + "inScheme"), ox.NamedNode(iri), DEFAULT)
            if isinstance(q.subject, ox.NamedNode))
        broader = {c: [o.value for o in self.objects(c, SKOS + "broader")] for c in concepts}
        children: dict[str, list[str]] = {}
        for c, bs in broader.items():
            for b in bs:
                children.setdefault(b, []).append(c)

        def node(c: str, depth: int) -> dict[str, Any]:
            kids = sorted(children.get(c, []), key=self.label) if depth < 8 else []
            return {"iri": c, "label": self.label(c), "definition":
                    self.literal(c, DEFINITIONS), "notation": self.literal(c, [SKOS + "notation"]),
                    "used": self.usage(c), "children": [node(k, depth + 1) for k in kids]}

        tops = sorted((c for c in concepts if not set(broader[c]) & set(concepts)),
                      key=self.label)
        return {"iri": iri, "label": self.label(iri), "definition": self.literal(iri, DEFINITIONS),
                "concepts": [node(c, 0) for c in tops], "count": len(concepts)}

    def usage(self, iri: str, cap: int = 10_000) -> int:
        """How many statements point at ``iri`` (up to ``cap``)."""
        n = 0
        for _ in self.store.quads_for_pattern(None, None, ox.NamedNode(iri), DEFAULT):
            n += 1
            if n >= cap:
                break
        return n

    def resource_quads(self, iri: str, provenance: bool) -> list[ox.Quad]:
        """The RDF document of a resource: its triples (a hash namespace: every term in it).

        With ``provenance`` the statements stay in the passage graphs that claim them, and the
        sources graph's description of those passages and their articles comes along.
        """
        subjects = [ox.NamedNode(iri)]
        if iri == ONTOLOGY:
            subjects = None  # the whole ontology graph
        out: list[ox.Quad] = []
        if subjects is None:
            graph = ox.NamedNode(ONTOLOGY_GRAPH)
            out = [q if provenance else ox.Quad(q.subject, q.predicate, q.object, DEFAULT)
                   for q in self.store.quads_for_pattern(None, None, None, graph)]
            return out
        node = subjects[0]
        if not provenance:
            return list(self.store.quads_for_pattern(node, None, None, DEFAULT))
        passages: set[str] = set()
        for q in self.store.quads_for_pattern(node, None, None, None):
            if isinstance(q.graph_name, ox.NamedNode):
                out.append(q)
                if q.graph_name.value.startswith(PASSAGE):
                    passages.add(q.graph_name.value)
            elif isinstance(q.object, ox.BlankNode):
                out.append(q)
        articles = set()
        for p in sorted(passages):
            for q in self.store.quads_for_pattern(ox.NamedNode(p), None, None, None):
                if isinstance(q.graph_name, ox.NamedNode):
                    out.append(q)
                    if q.predicate.value == DCT + "isPartOf":
                        articles.add(q.object)
        for a in articles:
            out += [q for q in self.store.quads_for_pattern(a, None, None, None)
                    if isinstance(q.graph_name, ox.NamedNode)]
        return out

    # --- search ------------------------------------------------------------------------

    @functools.cached_property
    def _index(self) -> list[tuple[str, str, str, str]]:
        """(folded text, text, kind of label, IRI) for every label, alt label and acronym."""
        rows = []
        for p in SEARCHED:
            for q in self.store.quads_for_pattern(None, ox.NamedNode(p), None, DEFAULT):
                if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.Literal):
                    rows.append((_fold(q.object.value), q.object.value, compact(p),
                                 q.subject.value))
        rows.sort()
        return rows

    def labels_for_search(self) -> list[tuple[str, str, str]]:
        """(text, kind of label, IRI) of every label, alternative label and acronym."""
        return [(shown, kind, iri) for _, shown, kind, iri in self._index]

    def search(self, text: str, limit: int = 50) -> list[dict[str, Any]]:
        """Resources whose label, alternative label or acronym contains ``text``.

        Exact matches first, then prefixes, then other matches; one row per resource."""
        needle = _fold(text.strip())
        if not needle:
            return []
        hits: dict[str, tuple[int, str, str]] = {}
        for folded, shown, kind, iri in self._index:
            if needle in folded:
                rank = 0 if folded == needle else 1 if folded.startswith(needle) else 2
                if iri not in hits or rank < hits[iri][0]:
                    hits[iri] = (rank, shown, kind)
        ordered = sorted(hits.items(), key=lambda x: (x[1][0], self.label(x[0]).casefold()))
        return [{"iri": iri, "label": self.label(iri), "matched": shown, "via": kind,
                 "types": [self.label(t) for t in self.types(iri)]}
                for iri, (_, shown, kind) in ordered[:limit]]


def compact(iri: str) -> str:
    """prefix:local for known namespaces (peaceld kinds included), else the IRI itself."""
    return curie(iri)


def to_jsonld(quads: list[ox.Quad]) -> str:
    """JSON-LD of some triples, safe to put inside an HTML ``<script>`` element."""
    text = serialize([ox.Quad(q.subject, q.predicate, q.object, DEFAULT) for q in quads],
                     "jsonld", "data").decode("utf-8")
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def document(view: GraphView, iri: str, suffix: str) -> bytes:
    """The RDF document of a resource in the format of a suffix (``ttl``, ``trig``...)."""
    _, fmt, with_graphs = DOCUMENTS[suffix]
    quads = view.resource_quads(iri, with_graphs)
    return serialize(quads, fmt, "all" if with_graphs else "data")

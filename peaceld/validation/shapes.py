"""The shapes graph: reading shape files, discovering the shapes that have targets and the
SPARQL patterns of those targets (SHACL 2.1), reading parameters (severity, message,
booleans, RDF lists), property paths as SPARQL paths, and how reports name a shape."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from ..namespaces import PREFIXES
from ..rdfio import parse_input
from .report import SEVERITIES, SH, short
from .source_lines import shape_line

RDF, RDFS, XSD = PREFIXES["rdf"], PREFIXES["rdfs"], PREFIXES["xsd"]
TARGETS = ("targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf")
#: Shape parameters that are not constraints.
NON_CONSTRAINT = {"path", "severity", "message", "name", "description", "order", "group",
                  "deactivated", "defaultValue", "prefixes", "declare", "targetClass",
                  "targetNode", "targetSubjectsOf", "targetObjectsOf"}


class ShapesGraph:
    """The shapes graph: terms exactly as written (read from the parsed triples, since the
    store rewrites "1"^^xsd:boolean as "true"), and a store for the few queries."""

    def __init__(self, quads: list[ox.Quad]) -> None:
        self.triples = list(dict.fromkeys(ox.Triple(q.subject, q.predicate, q.object)
                                          for q in quads))
        self.by_sp: dict[tuple[Any, str], list] = {}
        self.by_s: dict[Any, list[ox.Triple]] = {}
        for t in self.triples:
            self.by_sp.setdefault((t.subject, t.predicate.value), []).append(t.object)
            self.by_s.setdefault(t.subject, []).append(t)
        self.owner: dict[Any, Any] = {}
        for t in sorted(self.triples, key=str):
            if t.predicate.value == SH + "property":
                self.owner.setdefault(t.object, t.subject)
        self.store = ox.Store()
        self.store.extend([ox.Quad(t.subject, t.predicate, t.object) for t in self.triples])
        self.file_of: dict[Any, Path] = {}
        self.custom = {row["p"].value for row in self.store.query(
            f"SELECT DISTINCT ?p WHERE {{ ?c <{SH}parameter>/<{SH}path> ?p }}")
            if isinstance(row["p"], ox.NamedNode)}
        self.names: dict[Any, str] = {}

    def name(self, node: Any) -> str:
        """How a report names a shape: its IRI, or for a blank node the shape that owns it,
        its path and its line in the shapes file (never a blank-node label)."""
        if not isinstance(node, ox.BlankNode):
            return str(node)
        if node not in self.names:
            self.names[node] = self._describe(node)
        return self.names[node]

    def _describe(self, node: ox.BlankNode) -> str:
        owner, path_term = self.owner.get(node), self.one(node, SH + "path")
        try:
            path = path_text(self.one, self.items, path_term) if path_term is not None else None
        except ValueError:
            path = None
        if isinstance(owner, ox.BlankNode):
            owner_name = self.name(owner)
        else:
            owner_name = short(str(owner)) if owner is not None else None
        parts = [owner_name, "property" if owner is not None else "shape",
                 short(path) if path else None]
        text = " ".join(p for p in parts if p)
        file = self.file_of.get(node)
        order = list(self.file_of)
        siblings = sorted((n for n in self.objects(owner, SH + "property")
                           if n in self.file_of and self.one(n, SH + "path") == path_term),
                          key=order.index) if owner is not None else [node]
        nth = siblings.index(node) if node in siblings else 0
        line = shape_line(file, owner, path, nth) if file is not None else None
        return f"{text} ({file}:{line})" if line else f"{text} ({file})" if file else text

    def constraint_name(self, node: Any) -> str:
        """How a report names a SPARQL constraint (sh:sourceConstraint): its IRI, or for a
        blank node a label made from its owner shape and its own triples, the same on
        every run (the parser's blank-node labels are not)."""
        if not isinstance(node, ox.BlankNode):
            return str(node)
        owners = sorted(self.name(t.subject) for t in self.triples
                        if t.predicate.value == SH + "sparql" and t.object == node)
        own = sorted(f"{t.predicate} {'_:' if isinstance(t.object, ox.BlankNode) else t.object}"
                     for t in self.by_s.get(node, []))
        digest = hashlib.sha256("\n".join(owners + own).encode()).hexdigest()[:16]
        return f"_:c{digest}"

    def objects(self, s: Any, p: str) -> list:
        return sorted(self.by_sp.get((s, p), []), key=str)

    def one(self, s: Any, p: str) -> Any:
        values = self.objects(s, p)
        return values[0] if values else None

    def items(self, head: Any) -> list | None:
        """An RDF list's members; None when it is not a well-formed list."""
        out: list = []
        seen = set()
        while head != ox.NamedNode(RDF + "nil"):
            first, rest = self.objects(head, RDF + "first"), self.objects(head, RDF + "rest")
            if len(first) != 1 or len(rest) != 1 or head in seen:
                return None
            seen.add(head)
            out.append(first[0])
            head = rest[0]
        return out

    def shacl_keys(self, s: Any) -> set[str]:
        return {t.predicate.value[len(SH):] for t in self.by_s.get(s, [])
                if t.predicate.value.startswith(SH)}


def path_text(one: Any, items: Any, term: Any, predicates: set[str] | None = None,
              depth: int = 0) -> str:
    """A SHACL property path as a SPARQL path (``<p>``, ``^<p>``, ``(<a>/<b>)``, ``<p>*``);
    ``one(node, iri)`` and ``items(node)`` read the graph the path lives in. Raises
    ValueError for a malformed path."""
    if depth > 50:
        raise ValueError("path nested too deeply")
    if not (hasattr(term, "n3") or isinstance(term, ox.BlankNode | ox.NamedNode)):
        raise ValueError("a path is an IRI or a blank node")
    text = term.n3() if hasattr(term, "n3") else str(term)
    if text.startswith("<"):
        if predicates is not None:
            predicates.add(text[1:-1])
        return text

    def sub(t: Any) -> str:
        return path_text(one, items, t, predicates, depth + 1)

    members = items(term) if one(term, RDF + "first") is not None else None
    if members is not None:
        if len(members) < 2:
            raise ValueError("a sequence path needs a list of two or more paths")
        return "(" + "/".join(sub(m) for m in members) + ")"
    for key, mod in (("zeroOrMorePath", "*"), ("oneOrMorePath", "+"), ("zeroOrOnePath", "?")):
        inner = one(term, SH + key)
        if inner is not None:
            return f"({sub(inner)}){mod}"
    inverse = one(term, SH + "inversePath")
    if inverse is not None:
        return f"^({sub(inverse)})" if not sub(inverse).startswith("<") else f"^{sub(inverse)}"
    alternative = one(term, SH + "alternativePath")
    if alternative is not None:
        members = items(alternative)
        if not members or len(members) < 2:
            raise ValueError("sh:alternativePath needs a list of two or more paths")
        return "(" + "|".join(sub(m) for m in members) + ")"
    raise ValueError("not a SHACL property path")


def sparql_path(g: ShapesGraph, term: Any, predicates: set[str]) -> str:
    return path_text(g.one, g.items, term, predicates)


def is_true(term: Any) -> bool:
    return isinstance(term, ox.Literal) and term.value == "true" and \
        term.datatype.value == XSD + "boolean"


def severity_of(g: ShapesGraph, node: Any) -> str:
    term = g.one(node, SH + "severity")
    if term is None:
        return "Violation"
    return SEVERITIES.get(term.value, str(term))


def message_of(g: ShapesGraph, node: Any) -> str:
    messages = g.objects(node, SH + "message")
    plain = [m for m in messages if isinstance(m, ox.Literal) and m.language in (None, "en")]
    chosen = (plain or messages or [None])[0]
    return chosen.value if isinstance(chosen, ox.Literal) else ""


def custom_component_used(g: ShapesGraph, shape: Any) -> bool:
    """Does the shape use a parameter of a SPARQL-based constraint component?"""
    return any(t.predicate.value in g.custom for t in g.by_s.get(shape, []))


def top_level_shapes(g: ShapesGraph) -> list[Any]:
    """Shapes with a target (explicit, or implicit: a shape that is also an rdfs:Class)."""
    found = set()
    for t in TARGETS:
        found |= {q.subject for q in g.store.quads_for_pattern(None, ox.NamedNode(SH + t), None)}
    for row in g.store.query(
            f"SELECT ?s WHERE {{ ?s a ?type . VALUES ?type {{ <{SH}NodeShape> "
            f"<{SH}PropertyShape> }} ?s a/<{RDFS}subClassOf>* <{RDFS}Class> }}"):
        found.add(row["s"])
    return sorted(found, key=str)


def target_patterns(g: ShapesGraph, node: Any) -> tuple[list[str], set[str]]:
    targets, predicates = [], set()
    for c in g.objects(node, SH + "targetClass"):
        targets.append(f"?this <{RDF}type>/<{RDFS}subClassOf>* {c} .")
    implicit = g.store.query(f"ASK {{ {node} a/<{RDFS}subClassOf>* <{RDFS}Class> }}")
    if implicit and node not in g.objects(node, SH + "targetClass"):
        targets.append(f"?this <{RDF}type>/<{RDFS}subClassOf>* {node} .")
    for n in g.objects(node, SH + "targetNode"):
        targets.append(f"VALUES ?this {{ {n} }}")
    for p in g.objects(node, SH + "targetSubjectsOf"):
        targets.append(f"?this {p} ?any_o .")
    for p in g.objects(node, SH + "targetObjectsOf"):
        targets.append(f"?any_s {p} ?this .")
        predicates.add(p.value)
    return targets, predicates


def shapes_graph(files: list[Path], base: str | None = None) -> ShapesGraph:
    """Parse shape files (hardened like data) into one shapes graph, noting the file of each
    blank node (for the lines reports give). Its SPARQL is checked by
    ``compile.read_shapes``."""
    parsed = {f: parse_input(f, base=base) for f in files}
    g = ShapesGraph([q for quads in parsed.values() for q in quads])
    for f, quads in parsed.items():
        for q in quads:
            if isinstance(q.subject, ox.BlankNode):
                g.file_of.setdefault(q.subject, f)
    return g

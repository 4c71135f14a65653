"""What the store's rewriting of literals would get wrong: a ``DataProfile`` made in one pass
over the data (which also counts it and notes the pld: terms it uses), and
``apply_profile``, which hands the constraints it affects to pySHACL."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from ..namespaces import PLD, PREFIXES
from .compile import LEXICAL
from .compile.model import NodeShape

RDF, XSD = PREFIXES["rdf"], PREFIXES["xsd"]
LOAD_BLOCK = 100_000  # quads per bulk load into the store


@dataclass
class DataProfile:
    """Literals the store rewrites (Oxigraph keeps "01"^^xsd:integer as "1" and xsd:int as
    xsd:integer): per predicate, whether lexical forms changed, datatypes changed, or two
    values of one subject collapsed into one; and the original of each rewritten value."""

    lexical: set[str] = field(default_factory=set)
    datatype: set[str] = field(default_factory=set)
    collision: set[str] = field(default_factory=set)
    restore: dict[str, str] = field(default_factory=dict)

    used: dict[str, str] = field(default_factory=dict)  # pld: term -> first subject using it
    count: int = 0

    @classmethod
    def of(cls, quads: Callable[[], Iterable[ox.Quad]],
           sink: Callable[[list[ox.Quad]], None] | None = None) -> DataProfile:
        """One pass over the data (a second only when two spellings of one value exist);
        ``quads`` gives a fresh iteration each call, and ``sink`` receives the quads of the
        first pass in blocks (to load a store without holding them all). Also counts the
        quads and notes the pld: terms the data uses (outside the ontology graph)."""
        profile = cls()
        typed: dict[ox.Literal, set[str]] = {}
        used = profile.used
        rdf_type, count = RDF + "type", 0
        block: list[ox.Quad] = []
        for q in quads():
            count += 1
            if sink is not None:
                block.append(q)
                if len(block) >= LOAD_BLOCK:
                    sink(block)
                    block = []
            o, p = q.object, q.predicate.value
            if isinstance(o, ox.Literal):
                dt = o.datatype.value
                if dt.startswith(XSD) and dt != XSD + "string":
                    preds = typed.get(o)
                    if preds is None:
                        typed[o] = {p}
                    elif p not in preds:
                        preds.add(p)
            term = p if p.startswith(PLD) else o.value if p == rdf_type and isinstance(
                o, ox.NamedNode) and o.value.startswith(PLD) else None
            if term is not None and term not in used and not in_ontology_graph(q):
                used[term] = str(q.subject)
        if block and sink is not None:
            sink(block)
        profile.count = count
        if not typed:
            return profile
        literals = list(typed)
        stored = stored_forms(literals)
        rewritten = {lit: stored[i] for i, lit in enumerate(literals) if stored[i] != lit}
        if not rewritten:
            return profile
        spellings: dict[ox.Literal, set[ox.Literal]] = {}
        for lit, canon in rewritten.items():
            spellings.setdefault(canon, {canon} if canon in typed else set()).add(lit)
            profile.lexical |= typed[lit]
            if canon.datatype != lit.datatype:
                profile.datatype |= typed[lit]
        profile.restore = {str(c): str(next(iter(o))) for c, o in spellings.items()
                           if len(o) == 1}
        ambiguous = {lit for group in spellings.values() if len(group) > 1 for lit in group}
        if ambiguous:  # two spellings of one value: do they meet on one subject?
            seen: dict[tuple, ox.Literal] = {}
            for q in quads():
                o = q.object
                if o in ambiguous:
                    key = (q.subject, q.predicate, rewritten.get(o, o))
                    if seen.setdefault(key, o) != o:
                        profile.collision.add(q.predicate.value)
        return profile

    def add_spellings(self, literals: Iterable[ox.Literal],
                      stored_in_data: Callable[[ox.Literal], bool]) -> None:
        """Also restore these literals (sh:targetNode values of the shapes graph: the store's
        queries rewrite them as they rewrite the data) to their own spelling, unless two
        spellings of one value are in play (``stored_in_data``: is this stored literal one
        the data holds?)."""
        literals = [lit for lit in dict.fromkeys(literals) if isinstance(lit, ox.Literal)]
        if not literals:
            return
        stored = stored_forms(literals)
        spellings: dict[str, set[str]] = {}
        for i, lit in enumerate(literals):
            canon = stored[i]
            if canon != lit:
                spellings.setdefault(str(canon), {str(canon)} if stored_in_data(canon) and
                                     str(canon) not in self.restore else set()).add(str(lit))
        for canon, written in spellings.items():
            if len(written) == 1 and self.restore.setdefault(canon, next(iter(written))) \
                    not in written:
                del self.restore[canon]  # the data spells this value another way

    def unsafe(self, kinds: set[str], predicates: set[str], complex_path: bool) -> str | None:
        """Why constraints of these kinds on these predicates cannot run on the store."""
        if not self.lexical:
            return None
        preds = predicates  # every predicate a path walks (only its last step ends in literals)
        if kinds & LEXICAL and preds & self.lexical:
            return "the data has literals the store rewrites (non-canonical forms)"
        if "datatype" in kinds and preds & self.datatype:
            return "the data has literals of derived integer types"
        if kinds & {"minCount", "maxCount"} and preds & (self.collision if not complex_path
                                                           else self.lexical):
            return "the data has values that are equal but spelled differently"
        return None


def stored_forms(literals: list[ox.Literal]) -> list[Any]:
    """Each literal as the store keeps it (a probe store: "01"^^xsd:integer -> "1")."""
    probe = ox.Store()
    probe.extend([ox.Quad(ox.NamedNode(f"urn:x:{i}"), ox.NamedNode("urn:x:p"), lit)
                  for i, lit in enumerate(literals)])
    stored = {int(q.subject.value[6:]): q.object for q in probe}
    return [stored[i] for i in range(len(literals))]


def apply_profile(shapes: list[NodeShape], profile: DataProfile) -> None:
    """Hand to pySHACL what the store's literal rewriting would get wrong."""
    for shape in shapes:
        if shape.whole_delegated:
            continue
        kinds = {c.kind for c in shape.node_constraints} | ({"sparql"} if shape.sparql else set())
        touched: set[str] = set()
        for sc in shape.sparql:
            mentioned = sc.predicates()
            touched |= profile.lexical if mentioned is None else mentioned
        touched |= {p for c in shape.node_constraints for p in c.touches}
        why = profile.unsafe(kinds, shape.target_predicates | touched, False)
        if why is None and any(c.kind == "datatype" for c in shape.node_constraints) and \
                shape.target_predicates & profile.datatype:
            why = "the data has literals of derived integer types"
        if why:
            shape.whole_delegated = why
            continue
        kept = []
        for ps in shape.properties:
            kinds = {c.kind for c in ps.constraints}
            extra = {c.arg.value for c in ps.constraints
                     if c.kind in ("equals", "disjoint", "lessThan", "lessThanOrEquals")}
            extra |= {p for c in ps.constraints for p in c.touches}
            why = profile.unsafe(kinds, ps.predicates | extra, not ps.path.startswith("<"))
            if why and ps.term is not None and ps.term != shape.term:
                shape.delegated.append((ps.term, why))
                shape.delegated_names[ps.term] = ps.node
            elif why:
                shape.whole_delegated = why
            else:
                kept.append(ps)
        shape.properties = kept


def in_ontology_graph(q: ox.Quad) -> bool:
    return isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value.endswith(
        "/graph/ontology")

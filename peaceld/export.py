"""Export the knowledge graph in any RDF format, deterministically.

Formats are small plugins behind one interface (``FORMATS``): each knows its file suffix,
whether it keeps named graphs, and how to write sorted quads. Parts of the graph:

* ``ontology``: the ontology graph;
* ``data``: the facts as plain triples (the union of the passage graphs);
* ``provenance``: the sources graph and every passage graph, as quads;
* ``all``: everything, as quads (or as one merged graph in triple-only formats).

Output is sorted, uses fixed prefixes and content-derived blank node labels, so the same
build always exports the same bytes. A VoID + DCAT description of the dataset comes with
every export written to a file.
"""

from __future__ import annotations

import functools
import gzip
import json
import multiprocessing
import os
import re
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .atomic import atomic_open, write_atomic
from .errors import PeaceldError
from .namespaces import ID, ONTOLOGY_GRAPH, PREFIXES, SOURCES_GRAPH, serialization_prefixes

PARTS = ("ontology", "data", "provenance", "all")
CONTEXT_FILE = Path(__file__).resolve().parent / "context.jsonld"
CONTEXT_URL = "https://w3id.org/peaceld/context.jsonld"
RDF_TYPE = PREFIXES["rdf"] + "type"


@dataclass(frozen=True)
class Format:
    """One RDF format: its name, suffix, whether it keeps graphs, and its writer."""

    name: str
    suffix: str
    media_type: str
    quads: bool
    write: Callable[[list, dict[str, str]], bytes]


def _oxigraph_writer(fmt: ox.RdfFormat, prefixes: bool) -> Callable[[list, dict], bytes]:
    def write(items: list, prefix_map: dict[str, str]) -> bytes:
        return ox.serialize(items, format=fmt, prefixes=prefix_map if prefixes else None)

    return write


def _jsonld_writer(items: list, prefix_map: dict[str, str]) -> bytes:
    """Compact JSON-LD with our published context: one node object per subject, sorted."""
    context = json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))["@context"]
    reverse = {iri: term for term, iri in _context_terms(context).items()}
    graphs: dict[str, dict[str, dict[str, list]]] = {}
    for item in items:
        graph = item.graph_name.value if isinstance(item, ox.Quad) and isinstance(
            item.graph_name, ox.NamedNode) else "@default"
        node = graphs.setdefault(graph, {}).setdefault(_node_id(item.subject), {})
        p = item.predicate.value
        if p == RDF_TYPE:
            node.setdefault("@type", []).append(_compact(item.object.value, reverse, context))
        else:
            key = reverse.get(p) or _compact(p, reverse, context)
            node.setdefault(key, []).append(_value(item.object, reverse, context))

    def nodes(table: dict[str, dict[str, list]]) -> list[dict[str, Any]]:
        out = []
        for node_id in sorted(table):
            obj: dict[str, Any] = {"@id": _compact(node_id, reverse, context)}
            for key in sorted(table[node_id]):
                values = sorted(table[node_id][key], key=lambda v: json.dumps(v, sort_keys=True))
                obj[key] = values[0] if len(values) == 1 else values
            out.append(obj)
        return out

    # The context is embedded, so the file parses offline; it is the same as the published
    # peaceld/context.jsonld (CONTEXT_URL once the w3id redirect exists).
    doc: dict[str, Any] = {"@context": context}
    default = nodes(graphs.pop("@default", {}))
    if graphs:
        doc["@graph"] = default + [{"@id": g, "@graph": nodes(graphs[g])} for g in sorted(graphs)]
    else:
        doc["@graph"] = default
    return (json.dumps(doc, indent=1, ensure_ascii=False, sort_keys=False) + "\n").encode()


def _context_terms(context: dict[str, Any]) -> dict[str, str]:
    prefixes = {k: v for k, v in context.items() if isinstance(v, str) and v.endswith(("#", "/"))}
    terms = {}
    for term, value in context.items():
        iri = value if isinstance(value, str) else value.get("@id") if isinstance(value, dict) \
            else None
        if iri is None or term in prefixes or term.startswith("@"):
            continue
        prefix, _, local = iri.partition(":")
        terms[term] = prefixes[prefix] + local if prefix in prefixes else iri
    return terms


def _compact(iri: str, reverse: dict[str, str], context: dict[str, Any]) -> str:
    """A compact IRI (prefix:local) for @id and @type values; terms are only for keys."""
    best = ""
    for prefix, ns in context.items():
        if isinstance(ns, str) and ns.endswith(("#", "/")) and iri.startswith(ns):
            local = iri[len(ns):]
            if local and "/" not in local and len(ns) > len(best):
                best = ns
                result = f"{prefix}:{local}"
    return result if best else iri


def _node_id(term: ox.NamedNode | ox.BlankNode) -> str:
    return term.value if isinstance(term, ox.NamedNode) else "_:" + term.value


def _value(term: Any, reverse: dict[str, str], context: dict[str, Any]) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"@id": _compact(term.value, reverse, context)}
    if isinstance(term, ox.BlankNode):
        return {"@id": "_:" + term.value}
    if term.language:
        return {"@value": term.value, "@language": term.language}
    datatype = term.datatype.value
    if datatype == PREFIXES["xsd"] + "string":
        return {"@value": term.value}
    return {"@value": term.value, "@type": _compact(datatype, reverse, context)}


FORMATS: dict[str, Format] = {
    "ttl": Format("ttl", ".ttl", "text/turtle", False,
                  _oxigraph_writer(ox.RdfFormat.TURTLE, True)),
    "nt": Format("nt", ".nt", "application/n-triples", False,
                 _oxigraph_writer(ox.RdfFormat.N_TRIPLES, False)),
    "nq": Format("nq", ".nq", "application/n-quads", True,
                 _oxigraph_writer(ox.RdfFormat.N_QUADS, False)),
    "trig": Format("trig", ".trig", "application/trig", True,
                   _oxigraph_writer(ox.RdfFormat.TRIG, True)),
    "xml": Format("xml", ".rdf", "application/rdf+xml", False,
                  _oxigraph_writer(ox.RdfFormat.RDF_XML, True)),
    "jsonld": Format("jsonld", ".jsonld", "application/ld+json", True, _jsonld_writer),
}


def select(quads: list[ox.Quad], part: str) -> list[ox.Quad]:
    """The quads of one part of the graph (see the module docstring)."""
    if part not in PARTS:
        raise PeaceldError(f"unknown graph part {part!r} (one of {', '.join(PARTS)})")
    if part == "all":
        return quads
    names = [q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else ""
             for q in quads]
    if part == "ontology":
        return [q for q, g in zip(quads, names, strict=True) if g == ONTOLOGY_GRAPH]
    passage = ID + "passage/"
    if part == "provenance":
        return [q for q, g in zip(quads, names, strict=True)
                if g == SOURCES_GRAPH or g.startswith(passage)]
    # data: the passage graphs, and triples in the default graph (e.g. a mapped table)
    return [q for q, g in zip(quads, names, strict=True) if g == "" or g.startswith(passage)]


def serialize(quads: list[ox.Quad], fmt: str, part: str = "all") -> bytes:
    """Serialize one part in one format, sorted and with stable prefixes."""
    if fmt not in FORMATS:
        raise PeaceldError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    chosen = FORMATS[fmt]
    items = select(quads, part)
    keep_graphs = chosen.quads and part in ("provenance", "all")
    if keep_graphs:
        unique = {str(q): q for q in items}
        ordered: list = [unique[k] for k in sorted(unique)]
    else:
        triples = {}
        for q in items:
            triples.setdefault(str(q.triple), q.triple)
        ordered = [triples[k] for k in sorted(triples)]
        if chosen.quads:  # a quad format asked for a triple part: the default graph
            ordered = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph())
                       for t in ordered]
    return chosen.write(ordered, serialization_prefixes())


OX_FORMATS = {"ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES,
              "nq": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG,
              "xml": ox.RdfFormat.RDF_XML}


def serialize_dump(dump: Path, fmt: str, part: str = "all") -> bytes:
    """Serialize one part of a built N-Quads dump without Python objects in between.

    The dump is bulk-loaded into an in-memory Oxigraph store and written by Oxigraph itself,
    so a million triples take seconds. The order is Oxigraph's index order: stable for the
    same data (a new triple does not move the others), but not alphabetical.
    """
    if fmt not in FORMATS:
        raise PeaceldError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    if part not in PARTS:
        raise PeaceldError(f"unknown graph part {part!r} (one of {', '.join(PARTS)})")
    raw = dump.read_bytes()
    if fmt in ("nt", "ttl"):
        lines = canonical_triples(raw, part)
        if lines is not None:
            if fmt == "nt":
                return b" .\n".join(lines) + b" .\n" if lines else b""
            return turtle_from_triples(lines)
    blank = b"_:" in raw
    if fmt == "jsonld" or (blank and fmt == "xml"):
        return serialize(load_dataset(dump), fmt, part)
    if blank:  # the bulk loader relabels blank nodes at random: keep ours as skolem IRIs
        raw = _BLANK.sub(rb"\1<" + SKOLEM + rb"\2>", raw)
    store = ox.Store()
    try:
        store.bulk_load(raw, format=ox.RdfFormat.N_QUADS)
    except SyntaxError as exc:
        raise PeaceldError.syntax(exc, dump) from None
    out = _dump_part(store, fmt, part)
    return _SKOLEMIZED.sub(rb"_:\1", out) if blank else out


_TERM = rb'(?:<[^>\n]*>|_:[A-Za-z0-9_.-]+|"(?:[^"\\\n]|\\.)*"(?:\^\^<[^>\n]*>|@[A-Za-z0-9-]+)?)'
_QUAD = re.compile(
    rb"^((?:<[^>\n]*>|_:[A-Za-z0-9_.-]+) <[^>\n]*> " + _TERM + rb")(?: (<[^>\n]*>))? \.\n",
    re.MULTILINE)


def _keeps(part: str) -> Callable[[bytes], bool]:
    """Whether a statement of graph ``g`` (bytes, b"" for the default graph) is in ``part``."""
    passage = b"<" + (ID + "passage/").encode()
    if part == "all":
        return lambda g: True
    if part == "ontology":
        wanted = b"<" + ONTOLOGY_GRAPH.encode() + b">"
        return lambda g: g == wanted
    if part == "data":
        return lambda g: not g or g.startswith(passage)
    sources = b"<" + SOURCES_GRAPH.encode() + b">"
    return lambda g: g == sources or g.startswith(passage)


def canonical_triples(raw: bytes, part: str) -> list[bytes] | None:
    """Unique triples (N-Triples without " .") of one part of a canonical N-Quads dump.

    Works on the bytes with one C-level regex: the dumps peaceld writes have one statement
    per line with single spaces. A file that does not match line for line gets None, and
    the caller takes the general path.
    """
    found = _QUAD.findall(raw)
    if len(found) != raw.count(b"\n"):
        return None
    keep = _keeps(part)
    # the dump's own order (sorted for a build), duplicates across graphs dropped
    return list(dict.fromkeys(t for t, g in found if keep(g)))


class NotStreamable(Exception):
    """The dump is not sorted with one statement per line: take the in-memory path."""


def _blocks(dump: Path, part: str, chunk: int) -> Iterator[tuple[bytes, bytes, bytes | None]]:
    """Blocks of whole lines of a dump, each with what precedes it: its previous line, and
    the last triple of ``part`` before it (None at the start)."""
    keep = _keeps(part)
    last_line, last = b"", None
    with dump.open("rb") as handle:
        rest = b""
        while True:
            block = handle.read(chunk)
            data = rest + block
            if block:
                cut = data.rfind(b"\n") + 1
                data, rest = data[:cut], data[cut:]
            elif data and not data.endswith(b"\n"):
                data += b"\n"
            if data:
                yield data, last_line, last
                end = len(data) - 1
                last_line = data[data.rfind(b"\n", 0, end) + 1:end]
                while end > 0:  # the last line of the part, looking back from the end
                    start = data.rfind(b"\n", 0, end) + 1
                    found = _QUAD.match(data, start)
                    if found is None or keep(found.group(2) or b""):
                        last = found.group(1) if found else last
                        break
                    end = start - 1
            if not block:
                return


def _block_triples(data: bytes, part: str, last_line: bytes, last: bytes | None,
                   source: Path) -> list[bytes]:
    """The unique triples of ``part`` in one block of a sorted canonical dump.

    In a sorted dump the statements of one triple in several graphs are adjacent, so repeats
    are dropped by looking back one triple (``last``, carried over from the block before).
    Raises ``NotStreamable`` if a line is out of order or not canonical.
    """
    lines = data.split(b"\n")
    lines.pop()
    if lines[0] < last_line or lines != sorted(lines):
        raise NotStreamable(f"{source}: not sorted")
    found = _QUAD.findall(data)
    if len(found) != len(lines):
        raise NotStreamable(f"{source}: not one canonical statement per line")
    keep = _keeps(part)
    batch = []
    for t, g in found:
        if t != last and keep(g):
            batch.append(t)
            last = t
    return batch


@dataclass
class TripleCounts:
    """What a VoID description says of a set of unique triples sorted by subject."""

    triples: int = 0
    entities: int = 0
    classes: Counter[bytes] = field(default_factory=Counter)
    properties: Counter[bytes] = field(default_factory=Counter)
    _subject: bytes = b""

    def count(self, lines: list[bytes]) -> None:
        """Count triples in N-Triples form (without the final " .") that follow."""
        classes, properties = self.classes, self.properties
        for line in lines:
            s_, p_, o_ = line.split(b" ", 2)
            if s_ != self._subject:
                self.entities += 1
                self._subject = s_
            properties[p_] += 1
            if p_ == RDF_TYPE_NT and o_[0] == 60:
                classes[o_] += 1
        self.triples += len(lines)

    def add(self, other: TripleCounts) -> None:
        """Add the counts of the triples that follow (their first subject is not new)."""
        self.triples += other.triples
        self.entities += other.entities
        self.classes.update(other.classes)
        self.properties.update(other.properties)

    def as_void(self) -> dict[str, Any]:
        def name(term: bytes) -> str:
            return term[1:-1].decode("utf-8")
        return {"triples": self.triples, "entities": self.entities,
                "classes": {name(c): n for c, n in self.classes.items()},
                "properties": {name(p): n for p, n in self.properties.items()}}


_SAFE_LOCAL = re.compile(rb"^[A-Za-z0-9_][A-Za-z0-9_-]*$")
RDF_TYPE_NT = b"<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"


def turtle_from_triples(lines: list[bytes]) -> bytes:
    """Turtle from triples in N-Triples form: prefixes, and a subject's consecutive triples
    grouped (a build's dump is sorted, so each subject is written once)."""
    return (_turtle_header() + _turtle_body().write(lines, None)
            + (TURTLE_END if lines else b""))


def _turtle_header() -> bytes:
    return b"".join(b"@prefix " + n.encode() + b": <" + ns.encode() + b"> .\n"
                    for n, ns in sorted(serialization_prefixes().items()))


class _TurtleBody:
    """Turtle statements from triples in N-Triples form (without the final " ."), a subject's
    consecutive triples grouped; it carries on from the triple before the first one given.
    Each statement is closed by the next one, the last by ``TURTLE_END``."""

    def __init__(self) -> None:
        names = serialization_prefixes()
        self.encoded = [(n.encode(), ns.encode())
                        for n, ns in sorted(names.items(), key=lambda kv: -len(kv[1]))]
        self.cache: dict[bytes, bytes] = {RDF_TYPE_NT: b"a"}

    def iri(self, t: bytes) -> bytes:
        inner = t[1:-1]
        for name, ns in self.encoded:
            if inner.startswith(ns) and _SAFE_LOCAL.match(inner[len(ns):]):
                return name + b":" + inner[len(ns):]
        return t

    def obj(self, t: bytes) -> bytes:
        if t[0] == 60:  # '<'
            return self.iri(t)
        if t[-1] == 62:  # a typed literal: compact its datatype
            value, _, datatype = t.rpartition(b"^^")
            hit = self.cache.get(datatype)
            if hit is None:
                hit = self.cache[datatype] = self.iri(datatype)
            return value + b"^^" + hit
        return t

    def write(self, lines: list[bytes], before: bytes | None) -> bytes:
        cache, iri = self.cache, self.iri
        get = cache.get
        out: list[bytes] = []
        append = out.append
        subject, predicate = before.split(b" ", 2)[:2] if before else (None, None)
        for line in lines:
            s_, p_, o_ = line.split(b" ", 2)
            o_short = get(o_)
            if o_short is None:
                o_short = self.obj(o_)
                if o_[0] == 60 and len(cache) < 1_000_000:
                    cache[o_] = o_short
            if s_ == subject:
                if p_ == predicate:
                    append(b" ,\n\t\t" + o_short)
                    continue
                p_short = get(p_)
                if p_short is None:
                    p_short = cache[p_] = iri(p_)
                append(b" ;\n\t" + p_short + b" " + o_short)
                predicate = p_
                continue
            if subject is not None:
                append(b" .\n")
            s_short = get(s_)
            if s_short is None:
                s_short = iri(s_) if s_[0] == 60 else s_
                if len(cache) < 1_000_000:
                    cache[s_] = s_short
            p_short = get(p_)
            if p_short is None:
                p_short = cache[p_] = iri(p_)
            append(b"\n" + s_short + b" " + p_short + b" " + o_short)
            subject, predicate = s_, p_
        return b"".join(out)


TURTLE_END = b" .\n"


@functools.cache
def _turtle_body() -> _TurtleBody:
    """One writer per process, so its cache of prefixed names serves every block."""
    return _TurtleBody()


SKOLEM = b"urn:peaceld:blank:"
_BLANK = re.compile(rb"(^|[ \t])_:([A-Za-z0-9]+)(?=[ \t])", re.MULTILINE)
_SKOLEMIZED = re.compile(rb"<" + re.escape(SKOLEM) + rb"([A-Za-z0-9]+)>")


def _dump_part(store: ox.Store, fmt: str, part: str) -> bytes:
    prefixes = serialization_prefixes()
    keep_graphs = FORMATS[fmt].quads and part in ("provenance", "all")
    if keep_graphs:
        if part == "provenance":
            store.remove_graph(ox.NamedNode(ONTOLOGY_GRAPH))
            store.clear_graph(ox.DefaultGraph())
        return store.dump(format=OX_FORMATS[fmt], prefixes=prefixes)
    graph_filter = {
        "all": "",
        "ontology": f"FILTER (?g = <{ONTOLOGY_GRAPH}>)",
        "data": f'FILTER (STRSTARTS(STR(?g), "{ID}passage/"))',
        "provenance": f'FILTER (?g = <{SOURCES_GRAPH}> || STRSTARTS(STR(?g), "{ID}passage/"))',
    }[part]
    if part in ("ontology", "provenance"):
        store.clear_graph(ox.DefaultGraph())
    store.update(f"INSERT {{ ?s ?p ?o }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {graph_filter} }}")
    for graph in list(store.named_graphs()):
        store.remove_graph(graph)
    if FORMATS[fmt].quads:
        return store.dump(format=OX_FORMATS[fmt], prefixes=prefixes)
    return store.dump(format=OX_FORMATS[fmt], from_graph=ox.DefaultGraph(), prefixes=prefixes)


def load_dataset(path: Path) -> list[ox.Quad]:
    """Read a built dataset (N-Quads or TriG) back as quads."""
    from .build import parse_rdf_file

    return parse_rdf_file(path)


def void_counts(quads: list[ox.Quad]) -> dict[str, Any]:
    """Triples, entities, entities per class and triples per property of unique triples."""
    triples = {str(q.triple): q.triple for q in quads}.values()
    classes: dict[str, set[str]] = {}
    properties: Counter[str] = Counter()
    for t in triples:
        properties[t.predicate.value] += 1
        if t.predicate.value == RDF_TYPE and isinstance(t.object, ox.NamedNode):
            classes.setdefault(t.object.value, set()).add(str(t.subject))
    return {"triples": len(triples), "entities": len({str(t.subject) for t in triples}),
            "classes": {c: len(members) for c, members in classes.items()},
            "properties": dict(properties)}


def describe(quads: list[ox.Quad] | dict[str, Any], meta: dict[str, Any],
             dumps: dict[str, str]) -> bytes:
    """VoID + DCAT description of the dataset and its dumps, as Turtle.

    ``quads`` are the quads of the part, or their ``void_counts`` already made."""
    counts = quads if isinstance(quads, dict) else void_counts(quads)
    base = "https://w3id.org/peaceld/id/dataset/" + str(meta.get("name", "peaceld"))
    v, dcat, dct, xsd = (PREFIXES[k] for k in ("void", "dcat", "dcterms", "xsd"))
    node = ox.NamedNode(base)
    lit = ox.Literal

    def integer(n: int) -> ox.Literal:
        return lit(str(n), datatype=ox.NamedNode(xsd + "integer"))

    out = [
        ox.Triple(node, ox.NamedNode(RDF_TYPE), ox.NamedNode(v + "Dataset")),
        ox.Triple(node, ox.NamedNode(RDF_TYPE), ox.NamedNode(dcat + "Dataset")),
        ox.Triple(node, ox.NamedNode(dct + "title"), lit(str(meta.get("title", "peaceld")),
                                                         language="en")),
        ox.Triple(node, ox.NamedNode(dct + "description"),
                  lit(str(meta.get("description", "")), language="en")),
        ox.Triple(node, ox.NamedNode(dct + "license"),
                  ox.NamedNode(str(meta.get("license",
                                            "https://creativecommons.org/licenses/by/4.0/")))),
        ox.Triple(node, ox.NamedNode(PREFIXES["owl"] + "versionInfo"),
                  lit(str(meta.get("version", "0.1.0")))),
        ox.Triple(node, ox.NamedNode(v + "triples"), integer(counts["triples"])),
        ox.Triple(node, ox.NamedNode(v + "entities"), integer(counts["entities"])),
        ox.Triple(node, ox.NamedNode(v + "uriSpace"), lit(ID)),
        ox.Triple(node, ox.NamedNode(v + "vocabulary"),
                  ox.NamedNode("https://w3id.org/peaceld/ontology")),
    ]
    for cls, n in sorted(counts["classes"].items()):
        part = ox.NamedNode(f"{base}/class/{_local(cls)}")
        out += [ox.Triple(node, ox.NamedNode(v + "classPartition"), part),
                ox.Triple(part, ox.NamedNode(v + "class"), ox.NamedNode(cls)),
                ox.Triple(part, ox.NamedNode(v + "entities"), integer(n))]
    for prop, n in sorted(counts["properties"].items()):
        part = ox.NamedNode(f"{base}/property/{_local(prop)}")
        out += [ox.Triple(node, ox.NamedNode(v + "propertyPartition"), part),
                ox.Triple(part, ox.NamedNode(v + "property"), ox.NamedNode(prop)),
                ox.Triple(part, ox.NamedNode(v + "triples"), integer(n))]
    for name, media in sorted(dumps.items()):
        dist = ox.NamedNode(f"{base}/dump/{name}")
        out += [ox.Triple(node, ox.NamedNode(v + "dataDump"), ox.NamedNode(dist.value)),
                ox.Triple(node, ox.NamedNode(dcat + "distribution"), dist),
                ox.Triple(dist, ox.NamedNode(RDF_TYPE), ox.NamedNode(dcat + "Distribution")),
                ox.Triple(dist, ox.NamedNode(dcat + "downloadURL"), ox.NamedNode(dist.value)),
                ox.Triple(dist, ox.NamedNode(dct + "title"), lit(name)),
                ox.Triple(dist, ox.NamedNode(dcat + "mediaType"), lit(media))]
    ordered = sorted({str(t): t for t in out}.items())
    return ox.serialize([t for _, t in ordered], format=ox.RdfFormat.TURTLE,
                        prefixes={k: PREFIXES[k] for k in ("void", "dcat", "dcterms", "xsd",
                                                            "owl", "pld")})


def _local(iri: str) -> str:
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns):
            return f"{prefix}-{iri[len(ns):]}".replace("/", "-")
    return iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _export_block(job: tuple[bytes, bytes, bytes | None, str, str, Path]
                  ) -> tuple[bytes, TripleCounts]:
    """N-Triples or Turtle of one block of a dump, and its VoID counts (in any process)."""
    data, last_line, last, part, fmt, source = job
    batch = _block_triples(data, part, last_line, last, source)
    counts = TripleCounts(_subject=last.split(b" ", 1)[0] if last else b"")
    counts.count(batch)
    if not batch:
        return b"", counts
    if fmt == "nt":
        return b" .\n".join(batch) + b" .\n", counts
    return _turtle_body().write(batch, last), counts


def _in_order(fn: Callable[[Any], Any], jobs: Iterable[Any], workers: int) -> Iterator[Any]:
    """``map(fn, jobs)`` on ``workers`` processes, in order, a few jobs ahead at most."""
    if workers <= 1:
        yield from map(fn, jobs)
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    pool = ProcessPoolExecutor(workers, mp_context=context)
    pending: deque = deque()
    try:
        for job in jobs:
            pending.append(pool.submit(fn, job))
            if len(pending) > 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(cancel_futures=True)


#: Dumps above this size are exported on every core, in blocks of ``BLOCK`` bytes.
PARALLEL_FROM = 64 << 20
BLOCK = 8 << 20


def stream_export(dump: Path, fmt: str, part: str, out: Path, compress: bool = False,
                  workers: int | None = None) -> dict[str, Any]:
    """Write one part of a sorted build dump to ``out`` as N-Triples or Turtle, a block at a
    time (memory stays flat whatever the size; big dumps use every core); returns its
    ``void_counts``. Raises ``NotStreamable`` (and writes nothing) when the dump is not
    sorted and canonical."""
    if workers is None:
        workers = (os.cpu_count() or 1) if dump.stat().st_size > PARALLEL_FROM else 1
    jobs = ((data, last_line, last, part, fmt, dump)
            for data, last_line, last in _blocks(dump, part, BLOCK))
    counts = TripleCounts()
    with atomic_open(out, "wb", encoding=None) as handle:
        sink = (gzip.GzipFile(filename="", fileobj=handle, mode="wb", mtime=0) if compress
                else handle)
        if fmt == "ttl":
            sink.write(_turtle_header())
        for piece, block_counts in _in_order(_export_block, jobs, min(workers, 8)):
            sink.write(piece)
            counts.add(block_counts)
        if fmt == "ttl" and counts.triples:
            sink.write(TURTLE_END)
        if compress:
            sink.close()
    return counts.as_void()


def export(quads: list[ox.Quad] | Path, fmt: str, part: str, out: Path | None,
           compress: bool = False, meta: dict[str, Any] | None = None) -> bytes | list[Path]:
    """Export to a file (atomically, with a VoID/DCAT description beside it) or return bytes.

    ``quads`` is a list (written sorted) or the path of a built N-Quads dump (written from
    its bytes, or by Oxigraph directly, for speed; N-Triples and Turtle files of a sorted
    dump are streamed).
    """
    if part not in PARTS:
        raise PeaceldError(f"unknown graph part {part!r} (one of {', '.join(PARTS)})")
    dump = quads if isinstance(quads, Path) else None
    description = out.with_name(out.name.split(".")[0] + ".void.ttl") if out else None
    dumps = {out.name: FORMATS[fmt].media_type} if out else {}
    if dump and out and fmt in ("nt", "ttl"):
        try:
            counts = stream_export(dump, fmt, part, out, compress)
        except NotStreamable:
            pass
        else:
            write_atomic(description, describe(counts, meta or {}, dumps))
            return [out, description]
    data = serialize_dump(dump, fmt, part) if dump else serialize(quads, fmt, part)
    if compress:
        data = gzip.compress(data, mtime=0)  # mtime 0: the same bytes every time
    if out is None:
        return data
    write_atomic(out, data)
    source = load_dataset(dump) if dump else quads
    write_atomic(description, describe(select(source, part), meta or {}, dumps))
    return [out, description]

"""Export the knowledge graph in any RDF format, deterministically.

Formats are small plugins behind one interface (``FORMATS``): each knows its file suffix,
whether it keeps named graphs, and how to write sorted quads. Parts of the graph:

* ``ontology``: the ontology graph;
* ``data``: the claims as plain triples: every graph but the ontology and the sources (the
  passage graphs, reference data, curators' identifications, mapped tables);
* ``provenance``: the claims with the graph that says where each comes from, and the sources
  graph describing articles and passages: every named graph but the ontology, as quads;
* ``all``: everything, as quads (or as one merged graph in triple-only formats).

Output is sorted, uses fixed prefixes and content-derived blank node labels, so the same
build always exports the same bytes. A VoID + DCAT description of the dataset comes with
every export written to a file.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import secrets
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

from .atomic import atomic_open, write_atomic
from .errors import PeaceldError
from .namespaces import ID, ONTOLOGY_GRAPH, PREFIXES, SOURCES_GRAPH, serialization_prefixes
from .rdfio import FORMATS as RDF_FORMATS
from .rdfio import load_dataset, merged_triples, sorted_unique

GRAPH_PARTS = ("ontology", "data", "provenance", "all")
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
        if p == RDF_TYPE and isinstance(item.object, ox.NamedNode):
            node.setdefault("@type", []).append(_compact(item.object.value, reverse, context))
        elif p == RDF_TYPE:  # a blank node or literal as type: @type cannot hold it
            node.setdefault(RDF_TYPE, []).append(_value(item.object, reverse, context))
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


def in_part(graph: str, part: str) -> bool:
    """Whether the statements of ``graph`` (an IRI, "" for the default graph) belong to
    ``part`` (see the module docstring): the one definition every export path uses."""
    if part == "all":
        return True
    if part == "ontology":
        return graph == ONTOLOGY_GRAPH
    if part == "data":
        return graph not in (ONTOLOGY_GRAPH, SOURCES_GRAPH)
    return graph not in (ONTOLOGY_GRAPH, "")


def _graph_of(quad: ox.Quad) -> str:
    return quad.graph_name.value if isinstance(quad.graph_name, ox.NamedNode) else ""


def select(quads: list[ox.Quad], part: str) -> list[ox.Quad]:
    """The quads of one part of the graph (see the module docstring)."""
    _check("nq", part)
    return quads if part == "all" else [q for q in quads if in_part(_graph_of(q), part)]


def serialize(quads: list[ox.Quad], fmt: str, part: str = "all") -> bytes:
    """Serialize one part in one format, sorted and with stable prefixes."""
    if fmt not in FORMATS:
        raise PeaceldError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    chosen = FORMATS[fmt]
    items = select(quads, part)
    keep_graphs = chosen.quads and part in ("provenance", "all")
    if keep_graphs:
        ordered: list = sorted_unique(items)
    else:
        ordered = merged_triples(items)
        if chosen.quads:  # a quad format asked for a triple part: the default graph
            ordered = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph())
                       for t in ordered]
    return chosen.write(ordered, serialization_prefixes())


def serialize_dump(dump: Path, fmt: str, part: str = "all") -> bytes:
    """Serialize one part of a built N-Quads dump without Python objects in between.

    N-Triples and Turtle of a sorted dump are streamed by Oxigraph (``write_stream``); the
    other formats bulk-load the dump into an in-memory Oxigraph store, which writes them in
    its index order: stable for the same data, but not alphabetical. JSON-LD, and any dump
    that is not sorted, take the in-memory path of ``serialize``.
    """
    _check(fmt, part)
    if fmt in ("nt", "ttl"):
        buffer = io.BytesIO()
        try:
            write_stream(dump, fmt, part, buffer)
        except NotStreamable:
            return serialize(load_dataset(dump), fmt, part)
        return buffer.getvalue()
    raw = dump.read_bytes()
    blank = b"_:" in raw
    if fmt == "jsonld" or (blank and fmt == "xml"):
        return serialize(load_dataset(dump), fmt, part)
    skolem = _skolem_prefix(raw) if blank else b""
    if blank:  # the bulk loader relabels blank nodes at random: keep ours as skolem IRIs
        raw = _skolemize(raw, skolem)
    store = ox.Store()
    try:
        store.bulk_load(raw, format=ox.RdfFormat.N_QUADS)
    except SyntaxError as exc:
        raise PeaceldError.syntax(exc, dump) from None
    out = _dump_part(store, fmt, part)
    if not blank:
        return out
    return re.sub(rb"<" + re.escape(skolem) + rb"([A-Za-z0-9_.-]+)>", rb"_:\1", out)


def _check(fmt: str, part: str) -> None:
    if fmt not in FORMATS:
        raise PeaceldError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    if part not in GRAPH_PARTS:
        raise PeaceldError(f"unknown graph part {part!r} (one of {', '.join(GRAPH_PARTS)})")


#: A literal (left as it is) or a blank node label in subject or object position.
_LITERAL_OR_BLANK = re.compile(
    rb'"(?:[^"\\\n]|\\.)*"|(?<![^ \t\n])_:([A-Za-z0-9_.-]*[A-Za-z0-9_-])')


def _skolem_prefix(raw: bytes) -> bytes:
    """An IRI prefix for blank nodes that occurs nowhere in ``raw``, so that turning the
    skolem IRIs back into blank nodes cannot touch anything else."""
    while True:
        prefix = b"urn:peaceld:blank:" + secrets.token_hex(8).encode() + b":"
        if prefix not in raw:
            return prefix


def _skolemize(raw: bytes, prefix: bytes) -> bytes:
    """Blank nodes of an N-Quads text as IRIs under ``prefix``; literals untouched."""
    return _LITERAL_OR_BLANK.sub(
        lambda m: m.group(0) if m.group(1) is None else b"<" + prefix + m.group(1) + b">", raw)


class NotStreamable(Exception):
    """The dump is not sorted: repeats cannot be dropped on the way (take the in-memory path)."""


class _SortedLines(io.RawIOBase):
    """A dump read as it is, checking on the way that its lines are in sorted order."""

    def __init__(self, path: Path) -> None:
        self.handle = path.open("rb")
        self.path = path
        self.last = b""
        self.rest = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.handle.read(len(buffer))
        if data:
            lines = (self.rest + data).split(b"\n")
            self.rest = lines.pop()
            if lines:
                if lines[0] < self.last or lines != sorted(lines):
                    raise NotStreamable(f"{self.path}: not sorted")
                self.last = lines[-1]
        elif self.rest:  # a last statement without a final newline
            if self.rest < self.last:
                raise NotStreamable(f"{self.path}: not sorted")
            self.rest = b""
        buffer[:len(data)] = data
        return len(data)

    def close(self) -> None:
        self.handle.close()
        super().close()


def write_stream(dump: Path, fmt: str, part: str, sink: IO[bytes]) -> dict[str, Any]:
    """Write one part of a sorted build dump to ``sink`` as N-Triples or Turtle, parsed and
    written by Oxigraph as a stream: memory stays flat whatever the size. Repeats across
    graphs are dropped by looking one triple back. Returns the part's ``void_counts``;
    raises ``NotStreamable`` when the dump is not sorted."""
    rdf_type = ox.NamedNode(RDF_TYPE)
    classes: Counter[str] = Counter()
    properties: Counter[str] = Counter()
    totals = [0, 0]  # triples, entities

    def triples(reader: _SortedLines) -> Iterator[ox.Triple]:
        last = subject = None
        for quad in ox.parse(reader, format=ox.RdfFormat.N_QUADS):
            if not in_part(_graph_of(quad), part):
                continue
            triple = quad.triple
            if triple == last:
                continue
            last = triple
            totals[0] += 1
            if triple.subject != subject:
                subject = triple.subject
                totals[1] += 1
            properties[triple.predicate.value] += 1
            if triple.predicate == rdf_type and isinstance(triple.object, ox.NamedNode):
                classes[triple.object.value] += 1
            yield triple

    with _SortedLines(dump) as reader:
        try:
            ox.serialize(triples(reader), sink, format=RDF_FORMATS[fmt],
                         prefixes=serialization_prefixes() if fmt == "ttl" else None)
        except SyntaxError as exc:
            raise PeaceldError.syntax(exc, dump) from None
    return {"triples": totals[0], "entities": totals[1], "classes": dict(classes),
            "properties": dict(properties)}


def _dump_part(store: ox.Store, fmt: str, part: str) -> bytes:
    """One part of the store's dataset written by Oxigraph (the store is changed)."""
    prefixes = serialization_prefixes()
    for graph in list(store.named_graphs()):
        if not isinstance(graph, ox.NamedNode) or not in_part(graph.value, part):
            store.remove_graph(graph)
    if not in_part("", part):
        store.clear_graph(ox.DefaultGraph())
    if FORMATS[fmt].quads and part in ("provenance", "all"):
        return store.dump(format=RDF_FORMATS[fmt], prefixes=prefixes)
    store.update("INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")
    for graph in list(store.named_graphs()):
        store.remove_graph(graph)
    if FORMATS[fmt].quads:
        return store.dump(format=RDF_FORMATS[fmt], prefixes=prefixes)
    return store.dump(format=RDF_FORMATS[fmt], from_graph=ox.DefaultGraph(), prefixes=prefixes)


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


def stream_export(dump: Path, fmt: str, part: str, out: Path,
                  compress: bool = False) -> dict[str, Any]:
    """``write_stream`` into a file (atomically, gzip-compressed if asked)."""
    with atomic_open(out, "wb", encoding=None) as handle:
        if not compress:
            return write_stream(dump, fmt, part, handle)
        with gzip.GzipFile(filename="", fileobj=handle, mode="wb", mtime=0) as sink:
            return write_stream(dump, fmt, part, sink)


def void_file(out: Path) -> Path:
    """Where the VoID/DCAT description of an export goes: ``kg.nt`` -> ``kg.nt.void.ttl``
    (one per export file, so two exports in one folder keep their own)."""
    return out.with_name(out.name + ".void.ttl")


def export(quads: list[ox.Quad] | Path, fmt: str, part: str, out: Path | None,
           compress: bool = False, meta: dict[str, Any] | None = None) -> bytes | list[Path]:
    """Export to a file (atomically, with a VoID/DCAT description beside it) or return bytes.

    ``quads`` is a list (written sorted) or the path of a built N-Quads dump (N-Triples and
    Turtle of a sorted dump are streamed by Oxigraph, the other formats written by an
    Oxigraph store).
    """
    _check(fmt, part)
    dump = quads if isinstance(quads, Path) else None
    dumps = {out.name: FORMATS[fmt].media_type} if out else {}
    if dump and out and fmt in ("nt", "ttl"):
        try:
            counts = stream_export(dump, fmt, part, out, compress)
        except NotStreamable:
            pass
        else:
            write_atomic(void_file(out), describe(counts, meta or {}, dumps))
            return [out, void_file(out)]
    data = serialize_dump(dump, fmt, part) if dump else serialize(quads, fmt, part)
    if compress:
        data = gzip.compress(data, mtime=0)  # mtime 0: the same bytes every time
    if out is None:
        return data
    write_atomic(out, data)
    source = load_dataset(dump) if dump else quads
    write_atomic(void_file(out), describe(select(source, part), meta or {}, dumps))
    return [out, void_file(out)]

"""RDF in and out: parse files, canonicalise blank nodes, sort, serialise.

Every other module reads and writes RDF through this one, so parsing rules (formats by
suffix, one-line syntax errors, nothing fetched) and output rules (sorted, stable prefixes,
RDFC-1.0 blank node labels) are decided in one place. It imports nothing of peaceld but
errors and namespaces.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from .errors import PeaceldError
from .namespaces import ONTOLOGY_GRAPH, serialization_prefixes

#: Format names used on the command line and in the API, with their Oxigraph format.
FORMATS: dict[str, ox.RdfFormat] = {
    "ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "nq": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG, "jsonld": ox.RdfFormat.JSON_LD, "xml": ox.RdfFormat.RDF_XML,
}
#: File suffixes RDF files come with.
SUFFIXES: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES, ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG, ".jsonld": ox.RdfFormat.JSON_LD, ".json": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML, ".xml": ox.RdfFormat.RDF_XML, ".owl": ox.RdfFormat.RDF_XML,
}


def format_of(path: Path, name: str | None = None) -> ox.RdfFormat:
    """The RDF format named ``name``, else the one of the file's suffix."""
    if name is not None:
        if name not in FORMATS:
            raise PeaceldError(f"unknown RDF format {name!r} (one of {', '.join(FORMATS)})",
                               file=path)
        return FORMATS[name]
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    fmt = SUFFIXES.get(suffixes[-1]) if suffixes else None
    if fmt is None:
        raise PeaceldError(f"unknown RDF format {path.suffix!r}: name it with a known suffix "
                           f"({', '.join(sorted(SUFFIXES))})", file=path)
    return fmt


def file_iri(path: Path) -> str:
    """The IRI relative IRIs in a file resolve against: the file's own ``file:`` URI."""
    return path.resolve().as_uri()


def parse_file(path: Path, fmt: ox.RdfFormat | None = None,
               base_iri: str | None = None) -> list[ox.Quad]:
    """Parse one trusted RDF file (ours: ontology, shapes, builds) with Oxigraph.

    Relative IRIs resolve against ``base_iri`` (default: the file's own IRI). A syntax
    error names the file, line and column.
    """
    fmt = fmt or format_of(path)
    try:
        with path.open("rb") as handle:
            return list(ox.parse(handle, format=fmt, base_iri=base_iri or file_iri(path),
                                 without_named_graphs=False))
    except OSError as exc:
        raise PeaceldError(f"cannot read: {exc.strerror}", file=path) from None
    except SyntaxError as exc:
        raise PeaceldError.syntax(exc, path) from None
    except ValueError as exc:  # e.g. an IRI that cannot be resolved against the base
        raise PeaceldError(f"cannot parse: {exc}", file=path) from None


def in_graph(quads: Iterable[ox.Quad], graph: str) -> list[ox.Quad]:
    """The quads moved into one named graph."""
    name = ox.NamedNode(graph)
    return [ox.Quad(q.subject, q.predicate, q.object, name) for q in quads]


def canonicalize(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """The quads with blank nodes labelled by W3C RDFC-1.0, sorted: the same graph gives
    the same labels and order whatever labels the parser chose."""
    dataset = ox.Dataset(quads)
    if not any(isinstance(t, ox.BlankNode) for q in dataset
               for t in (q.subject, q.object, q.graph_name)):
        return sorted_unique(dataset)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted_unique(dataset)


def load_ontology(files: Iterable[Path]) -> list[ox.Quad]:
    """Every ontology file's triples in the ontology graph, blank nodes labelled by RDFC-1.0
    so that two builds write the same bytes."""
    return canonicalize(in_graph((q for path in files for q in parse_file(path)),
                                 ONTOLOGY_GRAPH))


def sorted_unique(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """Each quad once, in N-Quads order."""
    unique = {str(q): q for q in quads}
    return [unique[k] for k in sorted(unique)]


def merged_triples(quads: Iterable[ox.Quad]) -> list[ox.Triple]:
    """The union of all graphs as triples, each once, in N-Triples order."""
    unique: dict[str, ox.Triple] = {}
    for q in quads:
        t = q.triple
        unique.setdefault(str(t), t)
    return [unique[k] for k in sorted(unique)]


def serialize(items: Iterable[ox.Quad] | Iterable[ox.Triple], fmt: str,
              prefixes: dict[str, str] | None = None) -> bytes:
    """Items written by Oxigraph in a format named as in ``FORMATS``; Turtle, TriG and
    RDF/XML get peaceld's prefixes unless others are given."""
    if fmt not in FORMATS:
        raise PeaceldError(f"unknown RDF format {fmt!r} (one of {', '.join(FORMATS)})")
    wants_prefixes = fmt in ("ttl", "trig", "xml")
    chosen = (prefixes if prefixes is not None else serialization_prefixes()) \
        if wants_prefixes else None
    return ox.serialize(items, format=FORMATS[fmt], prefixes=chosen)


def load_dataset(path: Path) -> list[ox.Quad]:
    """A built dataset (N-Quads or TriG) read back as quads."""
    return parse_file(path)

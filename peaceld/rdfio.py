"""RDF in and out: parse files, canonicalise blank nodes, sort, serialise.

Every other module reads and writes RDF through this one, so parsing rules (formats by
suffix, one-line syntax errors, nothing fetched) and output rules (sorted, stable prefixes,
RDFC-1.0 blank node labels) are decided in one place. Our own files go through
``parse_file``; untrusted input (contributions, other people's shapes, standard input)
through ``open_input``/``parse_input``, which add a size cap, binary and DOCTYPE checks and a
JSON-LD depth limit before Oxigraph parses anything. It imports nothing of peaceld but
errors and namespaces.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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


# --- untrusted input (contributions, shapes from elsewhere) -------------------------------

#: Largest input read (files and standard input).
MAX_INPUT_BYTES = 2 << 30
#: Deepest JSON-LD nesting accepted (deeper documents exhaust parsers).
MAX_JSON_DEPTH = 512


def _read_limited(path: Path, limit: int | None = None) -> bytes:
    """The bytes of ``path`` (``-`` = standard input), refused beyond MAX_INPUT_BYTES; only
    the first ``limit`` bytes when given."""
    name = "<stdin>" if str(path) == "-" else str(path)
    try:
        if str(path) == "-":
            data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        else:
            with path.open("rb") as handle:
                data = handle.read(limit if limit is not None else MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise PeaceldError(f"cannot read: {exc.strerror}", file=name) from None
    if len(data) > MAX_INPUT_BYTES:
        raise PeaceldError(f"input too large (over the limit of {MAX_INPUT_BYTES} bytes)",
                           file=name)
    return data


def _json_depth(data: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text (strings skipped)."""
    structural = re.sub(rb'"(?:[^"\\]|\\.)*"', b"", data)
    structural = structural.translate(None, bytes(set(range(256)) - set(b"[]{}")))
    depth = deepest = 0
    for chunk in re.finditer(rb"[\[{]+|[\]}]+", structural):
        run = len(chunk.group(0))
        if chunk.group(0)[:1] in b"[{":
            depth += run
            deepest = max(deepest, depth)
        else:
            depth -= run
    return deepest


@dataclass
class RdfInput:
    """An untrusted RDF input that passed the checks of ``open_input``: parse it as often as
    needed (``quads``); errors become one clean line."""

    name: str
    format: ox.RdfFormat
    base: str | None
    path: Path | None  # None: ``data`` holds the bytes (standard input)
    data: bytes | None = None

    def _source(self) -> dict:
        return {"input": self.data} if self.path is None else {"path": str(self.path)}

    def quads(self) -> Iterator[ox.Quad]:
        with self._errors():
            yield from ox.parse(**self._source(), format=self.format, base_iri=self.base,
                                without_named_graphs=False)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        name = self.name
        try:
            yield
        except SyntaxError as exc:
            if "utf-8" in str(exc.msg).lower() or "utf8" in str(exc.msg).lower():
                raise PeaceldError("not valid UTF-8", file=name) from None
            raise PeaceldError.syntax(exc, name) from None
        except UnicodeDecodeError:
            raise PeaceldError("not valid UTF-8", file=name) from None
        except MemoryError:
            raise PeaceldError("a term is too large for the parser (a literal or IRI over "
                               "its 16 MiB buffer)", file=name) from None
        except (ValueError, OSError) as exc:
            raise PeaceldError(f"cannot parse: {str(exc).splitlines()[0]}",
                               file=name) from None


def open_input(path: Path, fmt: str | None = None, base: str | None = None) -> RdfInput:
    """Check one untrusted RDF file (``-`` = standard input, which needs ``fmt``).

    Relative IRIs resolve against ``base`` (default: the file's own ``file://`` IRI).
    Refused, with one line naming the file: over MAX_INPUT_BYTES, binary, RDF/XML with a
    DOCTYPE or entity declaration anywhere (entities read files or expand without bound),
    JSON-LD nested deeper than MAX_JSON_DEPTH; parsing later refuses text that is not UTF-8,
    a term too large for the parser and syntax errors (with line and column). Nothing is
    fetched: no remote JSON-LD context, no external entity. Files are scanned in blocks,
    never held whole (JSON-LD excepted); standard input is read whole, up to the limit.
    """
    stdin = str(path) == "-"
    name = "<stdin>" if stdin else str(path)
    rdf_format = FORMATS.get(fmt or "") if fmt else (
        None if stdin else SUFFIXES.get(path.suffix.lower()))
    if rdf_format is None:
        raise PeaceldError("unknown RDF format" + ("" if stdin else f" {path.suffix!r}") +
                           " (use --input-format, or --mapping for CSV and facts files)",
                           file=name)
    if stdin:
        data = _read_limited(path)
        head, blocks = data[:8192], [data]
    else:
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise PeaceldError(f"cannot read: {exc.strerror}", file=name) from None
        if size > MAX_INPUT_BYTES:
            raise PeaceldError(f"file too large ({size} bytes; the limit is "
                               f"{MAX_INPUT_BYTES})", file=name)
        data = None
        head = _read_limited(path, 8192)
        blocks = _blocks(path) if rdf_format == ox.RdfFormat.RDF_XML else []
    if b"\x00" in head:
        raise PeaceldError("binary file, not RDF text", file=name)
    if any(re.search(rb"<!DOCTYPE|<!ENTITY", block) for block in blocks):
        raise PeaceldError("RDF/XML with a DOCTYPE or entity declarations is refused "
                           "(entities can read files or expand without bound)", file=name)
    if rdf_format == ox.RdfFormat.JSON_LD and _json_depth(
            data if data is not None else _read_limited(path)) > MAX_JSON_DEPTH:
        raise PeaceldError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels is refused",
                           file=name)
    if base is None and not stdin:
        base = path.resolve().as_uri()
    return RdfInput(name, rdf_format, base, None if stdin else path, data)


def _blocks(path: Path, size: int = 1 << 20) -> Iterator[bytes]:
    """A file in overlapping blocks (a marker split by a block boundary is still seen)."""
    tail = b""
    with path.open("rb") as handle:
        while block := handle.read(size):
            yield tail + block
            tail = block[-16:]


def parse_input(path: Path, fmt: str | None = None, base: str | None = None
                ) -> list[ox.Quad]:
    """Parse one untrusted RDF file (see ``open_input``) into a list of quads."""
    return list(open_input(path, fmt, base).quads())


def load_dataset(path: Path) -> list[ox.Quad]:
    """A built dataset (N-Quads or TriG) read back as quads."""
    return parse_file(path)

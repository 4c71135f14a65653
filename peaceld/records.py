"""Readers that turn input files into records (dicts) that remember their file and line.

Two formats are built in, as small plugins behind one interface (``read_records``):

* ``yaml``: a facts file. An ``article:`` block becomes one record of kind ``article``;
  each item of ``facts:`` becomes a record; every item of ``passages:`` becomes a record of
  kind ``passage``. Each record carries ``@source`` (the article id).
* ``csv``: one record per row, keyed by the header.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import PeaceldError

try:  # the C loader is several times faster where libyaml is present
    _BaseLoader = yaml.CSafeLoader  # type: ignore[attr-defined]
except AttributeError:  # pragma: no cover
    _BaseLoader = yaml.SafeLoader


@dataclass
class Record:
    """One row or fact: its values, where it came from, and the line of each field."""

    values: dict[str, Any]
    file: str
    line: int
    field_lines: dict[str, int] | None = None
    meta: dict[str, Any] | None = None

    def line_of(self, name: str) -> int:
        return (self.field_lines or {}).get(name, self.line)


#: Limits on a YAML document: its size in bytes, how deep it nests, and how many nodes it
#: holds once aliases are expanded (a "billion laughs" document is 1 KB of aliases).
MAX_YAML_BYTES = 32 << 20
MAX_YAML_DEPTH = 100
MAX_YAML_NODES = 2_000_000

#: The only tags a document may use, explicitly or implicitly: plain data. ``!!set``,
#: ``!!omap``, ``!!binary``, ``!!python/...`` and local tags are refused (a set has no stable
#: order, so builds would stop being reproducible).
PLAIN_TAGS = {"tag:yaml.org,2002:" + t for t in
              ("str", "int", "float", "bool", "null", "seq", "map", "timestamp", "merge")}


class _LineLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """A safe YAML loader whose mappings remember the line of each key."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """A value, or one line naming the node when its text is not a valid value."""
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as exc:
            what = " ".join(str(exc).split(":")[0].split())[:120]
            text = str(node.value)
            shown = repr(text) if len(text) <= 40 else f"{text[:20]!r}... ({len(text)} chars)"
            raise PeaceldError(f"invalid {node.tag.rsplit(':', 1)[-1]} value {shown}: {what}",
                               line=node.start_mark.line + 1,
                               column=node.start_mark.column + 1) from None


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    loader.flatten_mapping(node)
    result: dict[Any, Any] = {}
    lines: dict[Any, int] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise PeaceldError(f"key {key_node.value} is read as a {type(key).__name__}: "
                               f"quote it ('{key_node.value}') if it is a name"
                               if isinstance(key_node, yaml.ScalarNode)
                               else "mapping keys must be plain text",
                               line=key_node.start_mark.line + 1,
                               column=key_node.start_mark.column + 1)
        if key in result:
            raise PeaceldError(f"duplicate key {key!r}", line=key_node.start_mark.line + 1)
        result[key] = loader.construct_object(value_node, deep=True)
        lines[key] = key_node.start_mark.line + 1
    result["__line__"] = node.start_mark.line + 1
    result["__lines__"] = lines
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _check_nodes(root: yaml.Node) -> None:
    """Refuse non-plain tags, deep nesting and documents whose aliases expand too far.

    Walks the node graph once (iteratively, each node once): a node's expanded size is
    one plus the sizes of its children, so a chain of aliases is measured without being
    expanded.
    """
    size: dict[int, int] = {}
    depth_of: dict[int, int] = {id(root): 1}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            children = _children(node)
            total = 1 + sum(size[id(c)] for c in children)
            if total > MAX_YAML_NODES:
                raise PeaceldError(f"the document expands to more than {MAX_YAML_NODES} "
                                   "values (aliases repeated too often)",
                                   line=node.start_mark.line + 1)
            size[key] = total
            continue
        if key in size:
            continue
        if node.tag not in PLAIN_TAGS:
            raise PeaceldError(f"tag {node.tag.replace('tag:yaml.org,2002:', '!!')!r} is not "
                               "allowed: use plain strings, numbers, lists and mappings",
                               line=node.start_mark.line + 1,
                               column=node.start_mark.column + 1)
        depth = depth_of[key]
        if depth > MAX_YAML_DEPTH:
            raise PeaceldError(f"nested more than {MAX_YAML_DEPTH} levels deep",
                               line=node.start_mark.line + 1)
        stack.append((node, True))
        for child in _children(node):
            if id(child) not in size:
                if (id(child) in depth_of and depth_of[id(child)] <= depth
                        and _on_path(stack, child)):
                    raise PeaceldError("recursive alias", line=child.start_mark.line + 1)
                depth_of[id(child)] = depth + 1
                stack.append((child, False))


def _on_path(stack: list[tuple[yaml.Node, bool]], node: yaml.Node) -> bool:
    """Whether ``node`` is an ancestor still being walked (a recursive structure)."""
    return any(n is node for n, done in stack if done)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def read_text(path: Path, limit: int | None = None) -> str:
    """A text file read as UTF-8 (at most ``limit`` bytes), or one line saying why not."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(limit + 1 if limit is not None else -1)
    except OSError as exc:
        raise PeaceldError(f"cannot read: {exc.strerror}", file=path) from None
    if limit is not None and len(raw) > limit:
        size = f"{limit >> 20} MB" if limit >= 1 << 20 else f"{limit} bytes"
        raise PeaceldError(f"larger than {size}", file=path)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PeaceldError(f"not valid UTF-8 (byte {exc.start})", file=path,
                           line=raw[:exc.start].count(b"\n") + 1) from None


def load_yaml(path: Path) -> Any:
    """Parse a YAML file; mappings carry ``__line__`` and ``__lines__``. Errors name file:line.

    Only plain data is accepted (strings, numbers, booleans, null, dates, lists, mappings
    with text keys), within the limits above.
    """
    loader = _LineLoader(read_text(path, MAX_YAML_BYTES))
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_nodes(node)
        return loader.construct_document(node)
    except PeaceldError as exc:
        exc.file = str(path)
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        problem = exc.problem or exc.context or "syntax error"
        raise PeaceldError(f"YAML syntax error: {problem}", file=path, line=line,
                           column=column) from None
    except yaml.YAMLError as exc:
        raise PeaceldError(f"YAML error: {' '.join(str(exc).split())[:200]}",
                           file=path) from None
    except RecursionError:
        raise PeaceldError(f"nested more than {MAX_YAML_DEPTH} levels deep", file=path) from None
    finally:
        loader.dispose()


def strip_lines(value: Any) -> Any:
    """Return a plain copy of a loaded YAML value without the line bookkeeping."""
    if isinstance(value, dict):
        return {k: strip_lines(v) for k, v in value.items() if k not in ("__line__", "__lines__")}
    if isinstance(value, list):
        return [strip_lines(v) for v in value]
    return value


def _record(item: dict, path: Path, **meta: Any) -> Record:
    values = {k: strip_lines(v) for k, v in item.items() if k not in ("__line__", "__lines__")}
    return Record(values, str(path), item.get("__line__", 1), dict(item.get("__lines__", {})),
                  meta)


#: Top-level keys of a facts file. ``passages_without_claims`` lists passages that make no
#: claim, each with the reason (read by :func:`read_unclaimed`, never mapped).
TOP_LEVEL_KEYS = ("article", "passages", "facts", "passages_without_claims")


@dataclass(frozen=True)
class Unclaimed:
    """A passage the curators list as making no claim, and why."""

    at: str
    reason: str
    line: int


def read_unclaimed(path: Path) -> list[Unclaimed]:
    """The ``passages_without_claims`` of a facts file: ``[{at: s3p1, reason: ...}]``."""
    doc = load_yaml(path)
    if not isinstance(doc, dict) or doc.get("passages_without_claims") is None:
        return []
    items = doc["passages_without_claims"]
    if not isinstance(items, list):
        raise PeaceldError("'passages_without_claims' must be a list of {at, reason}", file=path,
                           line=doc["__lines__"]["passages_without_claims"])
    out = []
    for item in items:
        line = item.get("__line__", 1) if isinstance(item, dict) else \
            doc["__lines__"]["passages_without_claims"]
        if not isinstance(item, dict) or set(strip_lines(item)) != {"at", "reason"}:
            raise PeaceldError("each item of 'passages_without_claims' has exactly 'at' (a "
                               "passage id) and 'reason'", file=path, line=line)
        at, reason = item["at"], item["reason"]
        if not isinstance(at, str) or not isinstance(reason, str) or not reason.strip():
            raise PeaceldError("'at' is one passage id and 'reason' a non-empty sentence",
                               file=path, line=line)
        out.append(Unclaimed(at, reason.strip(), line))
    return out



#: The field that marks a fact as a draft (``peaceld facts draft``): not yet accepted by a
#: person, so never published (docs/facts.md, "Drafts").
DRAFT_FIELD = "draft"


def is_draft(rec: Record) -> bool:
    """Whether a record is a drafted fact that no person has accepted yet."""
    return DRAFT_FIELD in rec.values


def read_facts(path: Path, drafts: bool = False) -> Iterator[Record]:
    """Records of a facts (or passages) file: article, passages, then facts in file order.

    Drafts (facts with a ``draft`` mark) are left out unless ``drafts`` is true: everything
    that publishes reads facts without them, ``facts check`` reads them too.
    """
    doc = load_yaml(path)
    if doc is None:
        return
    if not isinstance(doc, dict):
        raise PeaceldError("a facts file is a mapping with 'article', 'passages' and/or 'facts'",
                           file=path, line=1)
    unknown = [k for k in doc if k not in (*TOP_LEVEL_KEYS, "__line__", "__lines__")]
    if unknown:
        raise PeaceldError(f"unknown top-level key {unknown[0]!r} (expected article, passages, "
                           "facts, passages_without_claims)", file=path,
                           line=doc["__lines__"][unknown[0]])
    article = doc.get("article")
    source = None
    if article is not None:
        if not isinstance(article, dict) or "id" not in article:
            raise PeaceldError("'article' needs an 'id'", file=path,
                               line=doc["__lines__"]["article"])
        source = str(article["id"])
        if "kind" not in article:
            yield _record({**article, "kind": "article"}, path, source=source)
        else:
            yield _record(article, path, source=source)
    for block in ("passages", "facts"):
        items = doc.get(block)
        if items is None:
            continue
        if not isinstance(items, list):
            raise PeaceldError(f"'{block}' must be a list", file=path,
                               line=doc["__lines__"][block])
        if source is None:
            raise PeaceldError(f"'{block}' needs an 'article' block naming the source",
                               file=path, line=doc["__lines__"][block])
        for item in items:
            if not isinstance(item, dict):
                raise PeaceldError(f"each item of '{block}' must be a mapping", file=path,
                                   line=doc["__lines__"][block])
            if not isinstance(item.get("kind", ""), str):
                raise PeaceldError("'kind' must be one word (a string), not a "
                                   f"{type(item['kind']).__name__}", file=path,
                                   line=item["__lines__"]["kind"])
            if block == "passages" and "kind" not in item:
                item = {**item, "kind": "passage"}
            if block == "facts" and DRAFT_FIELD in item and not drafts:
                continue
            yield _record(item, path, source=source)


@dataclass(frozen=True)
class CsvLayout:
    """What every part of a CSV file shares: its delimiter, header and where data starts."""

    delimiter: str
    header: list[str]
    data_start: int  # byte offset of the first data row
    header_lines: int  # physical lines the header takes


def csv_layout(path: Path, delimiter: str | None = None) -> CsvLayout | None:
    """Sniff the delimiter (';' or ',') and read the header; None for an empty file."""
    try:
        with path.open("rb") as handle:
            sample = handle.read(4096)
            handle.seek(0)
            text = sample.decode("utf-8", errors="ignore")
            if delimiter is None:
                delimiter = ";" if text.count(";") > text.count(",") else ","
            lines = []
            while True:  # the header may hold quoted newlines
                raw = handle.readline()
                if not raw:
                    break
                lines.append(raw)
                if b"".join(lines).count(b'"') % 2 == 0:
                    break
    except OSError as exc:
        raise PeaceldError(f"cannot read: {exc.strerror}", file=path) from None
    if not lines:
        return None
    try:
        header_text = b"".join(lines).decode("utf-8")
    except UnicodeDecodeError:
        raise PeaceldError("not valid UTF-8", file=path, line=1) from None
    try:
        header = next(csv.reader([header_text], delimiter=delimiter), [])
    except csv.Error as exc:  # e.g. a bare CR (old Mac line endings) in the header line
        raise PeaceldError(f"CSV error: {exc}", file=path, line=1) from None
    header = [h.strip().lstrip("\ufeff") for h in header]
    return CsvLayout(delimiter, header, sum(len(x) for x in lines), len(lines))


def _text_lines(path: Path, start: int, end: int | None, first_line: int,
                position: list[int]) -> Iterator[str]:
    """Decoded lines of a byte range; ``position[0]`` tracks the physical line number."""
    with path.open("rb") as handle:
        handle.seek(start)
        offset = start
        for raw in handle:
            if end is not None and offset >= end:
                return
            offset += len(raw)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise PeaceldError("not valid UTF-8", file=path, line=position[0]) from None
            position[0] += 1
            yield text


def read_csv(path: Path, delimiter: str | None = None, start: int | None = None,
             end: int | None = None, first_line: int | None = None,
             layout: CsvLayout | None = None) -> Iterator[Record]:
    """Records of a CSV file, streamed; the header gives field names; lines count from 1.

    ``start``/``end`` (byte offsets at record boundaries) and ``first_line`` read one part
    of a large file, for mapping it in parallel.
    """
    layout = layout or csv_layout(path, delimiter)
    if layout is None:
        return
    header, width, name = layout.header, len(layout.header), str(path)
    line0 = first_line if first_line is not None else layout.header_lines + 1
    position = [line0]
    lines = _text_lines(path, layout.data_start if start is None else start, end, line0,
                        position)
    reader = csv.reader(lines, delimiter=layout.delimiter)
    try:
        row_line = position[0]
        for row in reader:
            line, row_line = row_line, position[0]
            if not row:
                continue
            if len(row) != width:
                raise PeaceldError(f"row has {len(row)} fields, the header has {width}",
                                   file=path, line=line)
            yield Record(dict(zip(header, row, strict=True)), name, line)
    except csv.Error as exc:
        raise PeaceldError(f"CSV error: {exc}", file=path, line=position[0] - 1) from None


def split_csv(path: Path, parts: int, layout: CsvLayout) -> list[tuple[int, int, int]]:
    """Cut a CSV into (start, end, first line) ranges at record boundaries.

    A cut goes after a newline where the count of quote characters so far is even, so a
    quoted field with a newline in it is never split.
    """
    size = path.stat().st_size
    cuts = [layout.data_start]
    with path.open("rb") as handle:
        handle.seek(layout.data_start)
        quotes, lines, pos = 0, layout.header_lines, layout.data_start
        line_at = [layout.header_lines + 1]
        for k in range(1, parts):
            target = layout.data_start + (size - layout.data_start) * k // parts
            while pos < target:
                block = handle.read(min(1 << 20, target - pos))
                if not block:
                    break
                quotes += block.count(b'"')
                lines += block.count(b"\n")
                pos += len(block)
            while True:  # finish the line, and keep going while inside quotes
                raw = handle.readline()
                if not raw:
                    break
                quotes += raw.count(b'"')
                lines += raw.count(b"\n")
                pos += len(raw)
                if quotes % 2 == 0:
                    break
            if pos >= size or pos <= cuts[-1]:
                break
            cuts.append(pos)
            line_at.append(lines + 1)
    cuts.append(size)
    return [(cuts[i], cuts[i + 1], line_at[i]) for i in range(len(cuts) - 1)]


READERS: dict[str, Callable[[Path], Iterator[Record]]] = {
    "yaml": read_facts,
    "csv": read_csv,
}

FORMAT_BY_SUFFIX = {".yaml": "yaml", ".yml": "yaml", ".csv": "csv", ".tsv": "csv"}


def read_records(path: Path, fmt: str | None = None, drafts: bool = False) -> Iterator[Record]:
    """Read any supported input file as records, choosing the reader by ``fmt`` or suffix;
    ``drafts`` keeps the drafted facts of a facts file (see :func:`read_facts`)."""
    fmt = fmt or FORMAT_BY_SUFFIX.get(path.suffix.lower())
    if fmt is None:
        raise PeaceldError(f"unknown input format {path.suffix!r} (use .yaml or .csv)", file=path)
    if path.suffix.lower() == ".tsv":
        return read_csv(path, delimiter="\t")
    if fmt == "yaml":
        return read_facts(path, drafts=drafts)
    return READERS[fmt](path)

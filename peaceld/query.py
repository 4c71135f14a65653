"""SPARQL over the knowledge graph: the named query library, local and remote runs.

Queries get every peaceld and W3C prefix predeclared. SELECT and ASK results come out in the
W3C SPARQL 1.1 result formats (csv, tsv, json, xml) or as rows for a table; CONSTRUCT and
DESCRIBE give RDF in any export format. A query runs in a worker process so that
``timeout`` can stop it for real; syntax errors point at the line and column of the query
as the user wrote it.
"""

from __future__ import annotations

import json
import multiprocessing
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .errors import PeaceldError
from .namespaces import all_prefixes, curie, sparql_prologue
from .rdfio import FORMATS as RDF_FORMATS
from .rdfio import serialize

RESULT_FORMATS = {
    "csv": (ox.QueryResultsFormat.CSV, "text/csv"),
    "tsv": (ox.QueryResultsFormat.TSV, "text/tab-separated-values"),
    "json": (ox.QueryResultsFormat.JSON, "application/sparql-results+json"),
    "xml": (ox.QueryResultsFormat.XML, "application/sparql-results+xml"),
}
SERVICE = re.compile(r"\bSERVICE\b", re.IGNORECASE)


@dataclass(frozen=True)
class QueryResult:
    """What a query gave: ``kind`` is "select", "ask" or "graph"; ``data`` holds the bytes in
    ``fmt`` (a W3C results format for select and ask, an RDF format for graph)."""

    kind: str
    fmt: str
    data: bytes

    @property
    def boolean(self) -> bool:
        """The answer of an ASK query."""
        if self.kind != "ask":
            raise ValueError("not an ASK result")
        return bool(ox.parse_query_results(self.data, format=RESULT_FORMATS[self.fmt][0]))

    def table(self) -> tuple[list[str], list[list[str]]]:
        """Header and rows of SELECT results in JSON, IRIs shortened for people."""
        if self.kind != "select" or self.fmt != "json":
            raise ValueError("a table needs SELECT results in JSON")
        return table_rows(self.data)


@dataclass(frozen=True)
class NamedQuery:
    name: str
    title: str
    description: str
    text: str
    path: Path


def load_library(files: list[Path]) -> dict[str, NamedQuery]:
    """Named queries from ``*.rq`` files with ``# title:`` and ``# description:`` headers."""
    out = {}
    for path in files:
        text = path.read_text(encoding="utf-8")
        meta = dict(re.findall(r"^#\s*(title|description):\s*(.+)$", text, re.MULTILINE))
        out[path.stem] = NamedQuery(path.stem, meta.get("title", path.stem),
                                    meta.get("description", ""), text, path)
    return out


def prologue() -> str:
    """PREFIX lines for every prefix peaceld knows (for endpoints, which know none)."""
    return sparql_prologue(all_prefixes())


def prepare(text: str, source: str = "query", allow_service: bool = False) -> str:
    """The query checked: SERVICE is refused unless allowed."""
    stripped = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|#[^\n]*', "", text)
    if SERVICE.search(stripped) and not allow_service:
        line = text[:SERVICE.search(text).start()].count("\n") + 1 if SERVICE.search(text) else None
        raise PeaceldError("SERVICE calls are refused: they make the tool fetch from the "
                           "network (use --allow-service if you trust this query)",
                           file=source, line=line)
    return text


def _syntax_error(exc: SyntaxError, source: str) -> PeaceldError:
    message = str(exc)
    m = re.match(r"error at (\d+):(\d+): (.*)", message, re.DOTALL)
    if m:
        line, column, what = int(m.group(1)), int(m.group(2)), m.group(3)
        what = " ".join(what.split())
        if len(what) > 160:
            what = what[:157] + "..."
        return PeaceldError(f"SPARQL syntax error: {what}", file=source, line=max(line, 1),
                            column=column)
    return PeaceldError(f"SPARQL syntax error: {message.splitlines()[0]}", file=source)


def _execute(location: str | None, quads_nq: bytes | None, query: str, fmt: str) -> tuple:
    """Run one query (in the worker). Returns ("select"|"ask"|"graph", bytes in ``fmt``)."""
    if location is not None:
        store = ox.Store.read_only(location)
    else:
        store = ox.Store()
        if quads_nq:
            store.load(quads_nq, format=ox.RdfFormat.N_QUADS)
    try:
        # the embedded store holds the union in its default graph (store.load_store)
        result = store.query(query, prefixes=all_prefixes(),
                             use_default_graph_as_union=location is None)
        if isinstance(result, ox.QueryBoolean | ox.QuerySolutions):
            kind = "ask" if isinstance(result, ox.QueryBoolean) else "select"
            return (kind, result.serialize(format=RESULT_FORMATS[fmt][0]))
        triples = sorted(result, key=str)
    except SyntaxError as exc:
        return ("syntax", str(exc))
    except (OSError, ValueError, RuntimeError) as exc:
        return ("error", str(exc))
    return ("graph", serialize(triples, fmt))


def _worker(conn: Any, *args: Any) -> None:
    try:
        conn.send(_execute(*args))
    except Exception as exc:  # noqa: BLE001 - reported to the parent as one line
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _output_format(text: str, fmt: str | None) -> str:
    """The format a result comes in: JSON results by default, Turtle for graphs."""
    graph = _query_form(text) in ("CONSTRUCT", "DESCRIBE")
    if fmt is None:
        return "ttl" if graph else "json"
    if graph and fmt not in RDF_FORMATS:
        raise PeaceldError(f"a {_query_form(text)} query gives RDF: choose one of "
                           f"{', '.join(RDF_FORMATS)}, not {fmt!r}")
    if not graph and fmt not in RESULT_FORMATS:
        raise PeaceldError(f"a {_query_form(text)} query gives results: choose one of "
                           f"{', '.join(RESULT_FORMATS)}, not {fmt!r}")
    return fmt


def run_local(text: str, *, location: Path | None = None, quads_nq: bytes | None = None,
              fmt: str | None = None, timeout: float | None = None, source: str = "query",
              allow_service: bool = False) -> QueryResult:
    """Run a query on an embedded store folder (or on quads given as N-Quads)."""
    query = prepare(text, source, allow_service)
    fmt = _output_format(text, fmt)
    args = (str(location) if location else None, quads_nq, query, fmt)
    if timeout is None:
        kind, payload = _execute(*args)
    else:
        ctx = multiprocessing.get_context("fork")
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_worker, args=(child, *args), daemon=True)
        proc.start()
        child.close()
        if not parent.poll(timeout):
            proc.kill()
            proc.join()
            raise PeaceldError(f"query stopped after {timeout:g} s (--timeout); narrow it "
                               "with LIMIT or more specific patterns", file=source)
        kind, payload = parent.recv()
        proc.join()
    if kind == "syntax":
        raise _syntax_error(SyntaxError(payload), source)
    if kind == "error":
        raise PeaceldError(f"query failed: {payload}", file=source)
    return QueryResult(kind, fmt, payload)


def run_remote(endpoint: str, text: str, *, fmt: str | None = None,
               timeout: float | None = None, source: str = "query",
               allow_service: bool = False) -> QueryResult:
    """Run a query against a SPARQL endpoint; results as from ``run_local``."""
    from .store import remote_query

    query = prologue() + prepare(text, source, allow_service)
    form = _query_form(text)
    fmt = _output_format(text, fmt)
    if form in ("CONSTRUCT", "DESCRIBE"):
        body = remote_query(endpoint, query, "application/n-triples", timeout or 60)
        try:
            triples = sorted(ox.parse(body, format=ox.RdfFormat.N_TRIPLES), key=str)
        except SyntaxError as exc:
            raise PeaceldError(f"the endpoint sent RDF that is not N-Triples: {exc}",
                               file=endpoint) from None
        return QueryResult("graph", fmt, serialize(triples, fmt))
    # JSON results from every store, rewritten here: the output matches the embedded store's
    # whatever the server's own CSV or XML habits are.
    body = remote_query(endpoint, query, RESULT_FORMATS["json"][1], timeout or 60)
    try:
        results = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
    except SyntaxError as exc:
        raise PeaceldError(f"the endpoint sent results that are not SPARQL JSON: {exc}",
                           file=endpoint) from None
    kind = "ask" if isinstance(results, ox.QueryBoolean) else "select"
    return QueryResult(kind, fmt, results.serialize(format=RESULT_FORMATS[fmt][0]))


def _query_form(text: str) -> str:
    cleaned = re.sub(r"#[^\n]*|<[^>]*>|\"[^\"]*\"", " ", text)
    m = re.search(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", cleaned, re.IGNORECASE)
    return m.group(1).upper() if m else "SELECT"


def table_rows(json_results: bytes) -> tuple[list[str], list[list[str]]]:
    """Header and rows of SPARQL JSON results, with IRIs compacted for people."""
    doc = json.loads(json_results)
    head = doc["head"].get("vars", [])
    rows = []
    for binding in doc["results"]["bindings"]:
        row = []
        for var in head:
            cell = binding.get(var)
            if cell is None:
                row.append("")
            elif cell["type"] == "uri":
                row.append(curie(cell["value"]))
            else:
                row.append(cell["value"])
        rows.append(row)
    return head, rows

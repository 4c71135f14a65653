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
from .namespaces import CONCEPT, PREFIXES, serialization_prefixes, sparql_prologue

RESULT_FORMATS = {
    "csv": (ox.QueryResultsFormat.CSV, "text/csv"),
    "tsv": (ox.QueryResultsFormat.TSV, "text/tab-separated-values"),
    "json": (ox.QueryResultsFormat.JSON, "application/sparql-results+json"),
    "xml": (ox.QueryResultsFormat.XML, "application/sparql-results+xml"),
}
SERVICE = re.compile(r"\bSERVICE\b", re.IGNORECASE)


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
    # every prefix the table output uses, so a value copied from a table works in a query
    prefixes = {**serialization_prefixes(), **PREFIXES}
    prefixes["pldc"] = CONCEPT
    return sparql_prologue(prefixes)


def prepare(text: str, source: str = "query", allow_service: bool = False) -> str:
    """The query with prefixes predeclared; SERVICE is refused unless allowed."""
    stripped = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|#[^\n]*', "", text)
    if SERVICE.search(stripped) and not allow_service:
        line = text[:SERVICE.search(text).start()].count("\n") + 1 if SERVICE.search(text) else None
        raise PeaceldError("SERVICE calls are refused: they make the tool fetch from the "
                           "network (use --allow-service if you trust this query)",
                           file=source, line=line)
    return prologue() + text


def _syntax_error(exc: SyntaxError, source: str) -> PeaceldError:
    offset = prologue().count("\n")
    message = str(exc)
    m = re.match(r"error at (\d+):(\d+): (.*)", message, re.DOTALL)
    if m:
        line, column, what = int(m.group(1)) - offset, int(m.group(2)), m.group(3)
        what = " ".join(what.split())
        if len(what) > 160:
            what = what[:157] + "..."
        return PeaceldError(f"SPARQL syntax error: {what}", file=source, line=max(line, 1),
                            column=column)
    return PeaceldError(f"SPARQL syntax error: {message.splitlines()[0]}", file=source)


def _execute(location: str | None, quads_nq: bytes | None, query: str, fmt: str) -> tuple:
    """Run one query (in the worker). Returns ("select"|"ask"|"graph", payload)."""
    if location is not None:
        store = ox.Store.read_only(location)
    else:
        store = ox.Store()
        if quads_nq:
            store.load(quads_nq, format=ox.RdfFormat.N_QUADS)
    try:
        # the embedded store holds the union in its default graph (store.load_store)
        result = store.query(query, use_default_graph_as_union=location is None)
    except SyntaxError as exc:
        return ("syntax", str(exc))
    except (OSError, ValueError, RuntimeError) as exc:
        return ("error", str(exc))
    if isinstance(result, ox.QueryBoolean):
        return ("ask", bool(result))
    if isinstance(result, ox.QuerySolutions):
        wanted = RESULT_FORMATS.get(fmt, RESULT_FORMATS["json"])[0]
        return ("select", result.serialize(format=wanted))
    triples = sorted(result, key=str)
    return ("graph", ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES))


def _worker(conn: Any, *args: Any) -> None:
    try:
        conn.send(_execute(*args))
    except Exception as exc:  # noqa: BLE001 - reported to the parent as one line
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def run_local(text: str, location: Path | None = None, quads_nq: bytes | None = None,
              fmt: str = "table", timeout: float | None = None, source: str = "query",
              allow_service: bool = False) -> tuple[str, Any]:
    """Run a query on the embedded store (or on quads given as N-Quads)."""
    query = prepare(text, source, allow_service)
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
    return kind, payload


def run_remote(endpoint: str, text: str, fmt: str = "table", timeout: float | None = None,
               source: str = "query", allow_service: bool = False) -> tuple[str, Any]:
    """Run a query against a SPARQL endpoint; same result kinds as ``run_local``."""
    from .store import remote_query

    query = prepare(text, source, allow_service)
    form = _query_form(text)
    if form in ("CONSTRUCT", "DESCRIBE"):
        body = remote_query(endpoint, query, "application/n-triples", timeout or 60)
        triples = sorted(ox.parse(body, format=ox.RdfFormat.N_TRIPLES), key=str)
        return "graph", ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    # JSON results from every store, rewritten here: the output matches the embedded store's
    # whatever the server's own CSV or XML habits are.
    body = remote_query(endpoint, query, RESULT_FORMATS["json"][1], timeout or 60)
    if form == "ASK" and fmt in ("table", "json"):
        return "ask", bool(json.loads(body)["boolean"])
    if fmt in ("table", "json"):
        return "select", body
    try:
        results = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
    except SyntaxError as exc:
        raise PeaceldError(f"the endpoint sent results that are not SPARQL JSON: {exc}",
                           file=endpoint) from None
    return ("ask" if form == "ASK" else "select",
            results.serialize(format=RESULT_FORMATS[fmt][0]))


def _query_form(text: str) -> str:
    cleaned = re.sub(r"#[^\n]*|<[^>]*>|\"[^\"]*\"", " ", text)
    m = re.search(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", cleaned, re.IGNORECASE)
    return m.group(1).upper() if m else "SELECT"


def compact(value: str) -> str:
    """A readable short form of an IRI for tables (prefix:rest, slashes allowed)."""
    prefixes = serialization_prefixes()
    prefixes["pldc"] = CONCEPT
    best = max((ns for ns in prefixes.values() if value.startswith(ns)), key=len, default=None)
    if best is None:
        return value
    name = next(k for k, v in prefixes.items() if v == best)
    return f"{name}:{value[len(best):]}"


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
                row.append(compact(cell["value"]))
            else:
                row.append(cell["value"])
        rows.append(row)
    return head, rows

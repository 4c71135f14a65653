"""SPARQL over the knowledge graph: the named query library, local and remote runs.

Queries get every peaceld and W3C prefix predeclared. SELECT and ASK results come out in the
W3C SPARQL 1.1 result formats (csv, tsv, json, xml) or as rows for a table; CONSTRUCT and
DESCRIBE give RDF in any export format. A query runs in a worker process so that
``timeout`` can stop it for real; syntax errors point at the line and column of the query
as the user wrote it.
"""

from __future__ import annotations

import contextlib
import faulthandler
import json
import math
import multiprocessing
import os
import re
import resource
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .errors import PeaceldError
from .namespaces import all_prefixes, curie, sparql_prologue
from .rdfio import FORMATS as RDF_FORMATS
from .rdfio import serialize
from .records import read_text

RESULT_FORMATS = {
    "csv": (ox.QueryResultsFormat.CSV, "text/csv"),
    "tsv": (ox.QueryResultsFormat.TSV, "text/tab-separated-values"),
    "json": (ox.QueryResultsFormat.JSON, "application/sparql-results+json"),
    "xml": (ox.QueryResultsFormat.XML, "application/sparql-results+xml"),
}
#: Limits of a local query unless the caller gives others (``--timeout``, ``--max-memory``).
DEFAULT_TIMEOUT = 120.0
DEFAULT_MEMORY_MB = 4096
#: Largest query file read.
MAX_QUERY_BYTES = 1 << 20

#: SPARQL's lexical tokens, enough to tell keywords from IRIs, strings, variables, prefixed
#: names and comments (SPARQL 1.1 grammar, section 19.8). A piece of text that fits no rule
#: is taken one character at a time, so a malformed string never hides what follows it.
_TOKEN = re.compile("|".join([
    r"(?P<space>\s+)",
    r"(?P<comment>#[^\n\r]*)",
    r"(?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'(?:[^'\\\n\r]|\\.)*'"
    r'|"(?:[^"\\\n\r]|\\.)*")',
    r'(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)',
    r"(?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)",
    r"(?P<name>(?:[^\W\d][\w.\-]*)?:(?:[\w:%\\\-]|\.(?=[\w:%\\\-]))*|_:[\w.\-]*|[^\W\d][\w\-]*)",
    r"(?P<other>.)",
]), re.DOTALL)


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
        try:
            text = read_query(path)
        except PeaceldError as exc:  # one bad file does not take the library down
            print(f"warning: {exc} (skipped)", file=sys.stderr)
            continue
        meta = dict(re.findall(r"^#\s*(title|description):\s*(.+)$", text, re.MULTILINE))
        out[path.stem] = NamedQuery(path.stem, meta.get("title", path.stem),
                                    meta.get("description", ""), text, path)
    return out


def read_query(path: Path) -> str:
    """The text of a query file, or one line saying why it cannot be read."""
    return read_text(path, MAX_QUERY_BYTES)


def prologue() -> str:
    """PREFIX lines for every prefix peaceld knows (for endpoints, which know none)."""
    return sparql_prologue(all_prefixes())


def tokens(text: str) -> list[tuple[str, str, int]]:
    """The query's tokens as (kind, text, offset), without spaces and comments."""
    return [(m.lastgroup or "other", m.group(), m.start()) for m in _TOKEN.finditer(text)
            if m.lastgroup not in ("space", "comment")]


#: What a SERVICE keyword needs in the text: the word itself, or a \u escape to spell it.
_MAY_CALL = re.compile(r"service|\\[uU]", re.IGNORECASE)


def service_calls(text: str) -> list[int]:
    """Offsets of every SERVICE keyword of a query (not inside IRIs, strings or comments).

    A quote that opens no string counts too: whatever the parser would make of it, refusing
    is the safe side."""
    if _MAY_CALL.search(text) is None:  # no such word, not even behind an escape: no lexing
        return []
    return [at for kind, word, at in tokens(text)
            if (kind == "name" and word.upper() == "SERVICE")
            or (kind == "other" and word in "'\"")]


def prepare(text: str, source: str = "query", allow_service: bool = False) -> str:
    """The query, checked: SERVICE is refused unless allowed (prefixes are predeclared by
    the caller: ``prefixes=all_prefixes()`` locally, ``prologue()`` for an endpoint).

    The guard reads the query as SPARQL's lexer does (IRIs, strings, comments, names), so
    no IRI, string or comment can hide a SERVICE keyword from it.
    """
    found = service_calls(text)
    if found and not allow_service:
        before = text[:found[0]]
        raise PeaceldError("SERVICE calls are refused: they make the tool fetch from the "
                           "network (use --allow-service if you trust this query)",
                           file=source, line=before.count("\n") + 1,
                           column=len(before) - (before.rfind("\n") + 1) + 1)
    return text


def check_limit(value: float | None, what: str, source: str = "query") -> None:
    """Refuse a timeout or size that is not a positive, finite number."""
    if value is not None and (not math.isfinite(value) or value <= 0):
        raise PeaceldError(f"{what} must be a positive number of seconds, not {value!r}"
                           if "timeout" in what else f"{what} must be a positive number, "
                           f"not {value!r}", file=source)


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


def _worker(conn: Any, memory_mb: int | None, *args: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and kills us
    devnull = os.open(os.devnull, os.O_WRONLY)  # an allocation failure aborts with a note on
    os.dup2(devnull, 2)  # stderr; the parent reports it in one line instead
    faulthandler.disable()
    if memory_mb:
        # RLIMIT_DATA counts the heap and private anonymous maps, not the mapped store files
        with contextlib.suppress(ValueError, OSError):  # a lower hard limit is in force
            resource.setrlimit(resource.RLIMIT_DATA, (memory_mb << 20,
                                                      resource.getrlimit(resource.RLIMIT_DATA)[1]))
    try:
        conn.send(_execute(*args))
    except MemoryError:
        conn.send(("memory", ""))
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
              allow_service: bool = False, max_memory_mb: int | None = None) -> QueryResult:
    """Run a query on an embedded store folder (or on quads given as N-Quads).

    The query runs in a worker process with a deadline (``timeout``, default
    ``DEFAULT_TIMEOUT`` seconds) and a memory cap (``max_memory_mb``, default
    ``DEFAULT_MEMORY_MB``); Ctrl-C stops it at once. While it runs, the store is held with a
    shared lock, so a rebuild of the store waits for it.
    """
    check_limit(timeout, "--timeout", source)
    check_limit(max_memory_mb, "--max-memory", source)
    timeout = DEFAULT_TIMEOUT if timeout is None else timeout
    memory = DEFAULT_MEMORY_MB if max_memory_mb is None else int(max_memory_mb)
    query = prepare(text, source, allow_service)
    fmt = _output_format(text, fmt)
    args = (str(location) if location else None, quads_nq, query, fmt)
    if location is not None:
        from .store import store_lock

        with store_lock(Path(location).parent, shared=True):
            kind, payload = _run_worker(args, timeout, memory, source)
    else:
        kind, payload = _run_worker(args, timeout, memory, source)
    if kind == "syntax":
        raise _syntax_error(SyntaxError(payload), source)
    if kind == "error":
        raise PeaceldError(f"query failed: {payload}", file=source)
    return QueryResult(kind, fmt, payload)


def _run_worker(args: tuple, timeout: float, memory_mb: int, source: str) -> tuple[str, Any]:
    """Run ``_execute(*args)`` in a child process; kill it on timeout, Ctrl-C or error."""
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_worker, args=(child, memory_mb, *args), daemon=True)
    proc.start()
    child.close()
    deadline = time.monotonic() + timeout
    try:
        while not parent.poll(min(0.25, max(0.0, deadline - time.monotonic()))):
            if time.monotonic() >= deadline:
                raise PeaceldError(f"query stopped after {timeout:g} s (--timeout); narrow it "
                                   "with LIMIT or more specific patterns", file=source)
        try:
            kind, payload = parent.recv()
        except (EOFError, OSError):
            kind, payload = "memory", ""
        if kind == "memory":
            proc.join(5)
            raise PeaceldError(f"query stopped: it needed more than {memory_mb} MB of memory "
                               "(--max-memory); narrow it with LIMIT or more specific patterns"
                               + (f" (worker exit code {proc.exitcode})"
                                  if proc.exitcode not in (0, None) else ""), file=source)
        return kind, payload
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        parent.close()


def run_remote(endpoint: str, text: str, *, fmt: str | None = None,
               timeout: float | None = None, source: str = "query", allow_service: bool = False,
               max_bytes: int | None = None, allow_insecure: bool = False) -> QueryResult:
    """Run a query against a SPARQL endpoint; results as from ``run_local``.

    Only http(s) endpoints; ``timeout`` (default 60 s) bounds the whole exchange and
    ``max_bytes`` the answer; whatever the endpoint sends back is checked before use.
    """
    from .store import MAX_ANSWER_BYTES, check_endpoint, remote_query

    check_limit(timeout, "--timeout", source)
    check_endpoint(endpoint)
    query = prologue() + prepare(text, source, allow_service)
    form = _query_form(text)
    fmt = _output_format(text, fmt)
    limit = max_bytes or MAX_ANSWER_BYTES
    if form in ("CONSTRUCT", "DESCRIBE"):
        body = remote_query(endpoint, query, "application/n-triples", timeout or 60, limit,
                            allow_insecure)
        try:
            triples = sorted(ox.parse(body, format=ox.RdfFormat.N_TRIPLES), key=str)
        except SyntaxError as exc:
            raise PeaceldError(f"the endpoint sent RDF that is not N-Triples: {exc}",
                               file=endpoint) from None
        return QueryResult("graph", fmt, serialize(triples, fmt))
    # JSON results from every store, rewritten here by Oxigraph: the output matches the
    # embedded store's whatever the server's own habits are, and is well-formed.
    body = remote_query(endpoint, query, RESULT_FORMATS["json"][1], timeout or 60, limit,
                        allow_insecure)
    try:  # Oxigraph parses as it goes: serializing reads the whole answer
        results = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        kind = "ask" if isinstance(results, ox.QueryBoolean) else "select"
        return QueryResult(kind, fmt, results.serialize(format=RESULT_FORMATS[fmt][0]))
    except (SyntaxError, ValueError, UnicodeDecodeError) as exc:
        what = " ".join(str(exc).split())[:160]
        raise PeaceldError(f"the endpoint sent an answer that is not SPARQL JSON results: "
                           f"{what}", file=endpoint) from None


def _query_form(text: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the query's first form keyword (by its tokens)."""
    forms = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
    return next((word.upper() for kind, word, _ in tokens(text)
                 if kind == "name" and word.upper() in forms), "SELECT")


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

"""The SPARQL side of ``peaceld serve``: result formats chosen by ``Accept``, queries run with a
timeout in worker processes on the read-only store, and results capped in rows and bytes.

A worker is a fresh interpreter that imports only this module, so a timeout stops a query by
stopping its process and nothing of the server is shared with it.
"""

from __future__ import annotations

import os
import pickle
import queue
import re
import select
import signal
import subprocess
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from ..namespaces import all_prefixes

#: Defaults of the endpoint's limits (each configurable).
TIMEOUT = 10.0
MAX_RESULTS = 10_000
MAX_REQUEST = 64 * 1024
#: Results are written into memory up to this size, whatever the row cap.
MAX_RESULT_BYTES = 256 << 20

SELECT_TYPES = {
    "application/sparql-results+json": "json", "application/json": "json",
    "application/sparql-results+xml": "xml", "application/xml": "xml",
    "text/csv": "csv", "text/tab-separated-values": "tsv",
}
ASK_TYPES = {k: v for k, v in SELECT_TYPES.items() if v in ("json", "xml")}
GRAPH_TYPES = {
    "text/turtle": "ttl", "application/n-triples": "nt", "application/ld+json": "jsonld",
    "application/rdf+xml": "rdf", "application/n-quads": "nq", "application/trig": "trig",
    "text/plain": "nt",
}
MEDIA = {"json": "application/sparql-results+json", "xml": "application/sparql-results+xml",
         "csv": "text/csv; charset=utf-8", "tsv": "text/tab-separated-values; charset=utf-8",
         "ttl": "text/turtle", "nt": "application/n-triples", "jsonld": "application/ld+json",
         "rdf": "application/rdf+xml", "nq": "application/n-quads", "trig": "application/trig"}
OX_RDF = {"ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES,
          "jsonld": ox.RdfFormat.JSON_LD, "rdf": ox.RdfFormat.RDF_XML,
          "nq": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG}


# --- content negotiation ---------------------------------------------------------------------


def negotiate(accept: str | None, offered: Iterable[str]) -> str | None:
    """The offered media type the ``Accept`` header prefers (the first offered if no header).

    q-values count, then specificity (``text/turtle`` over ``text/*`` over ``*/*``), then the
    order of ``offered``. None when nothing offered is acceptable.
    """
    offered = list(offered)
    if not accept or not accept.strip():
        return offered[0] if offered else None
    ranges = []
    for part in accept.split(","):
        pieces = [p.strip() for p in part.split(";")]
        kind = pieces[0].lower()
        if not kind:
            continue
        q = 1.0
        for p in pieces[1:]:
            if p.lower().startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        ranges.append((kind, q))
    best, best_key = None, None
    for i, media in enumerate(offered):
        major = media.split("/")[0]
        found = None
        for kind, q in ranges:
            spec = 3 if kind == media else 2 if kind == f"{major}/*" else 1 if kind == "*/*" else 0
            if spec and (found is None or spec > found[1]):
                found = (q, spec)
        if found is None or found[0] <= 0:
            continue
        key = (found[0], found[1], -i)
        if best_key is None or key > best_key:
            best, best_key = media, key
    return best


# --- query workers ---------------------------------------------------------------------------


class QueryFailed(Exception):
    """A query that cannot be answered: carries the HTTP status and one line for the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


OX_RESULTS = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
              "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_CSV_QUOTED = re.compile(rb'"(?:[^"]|"")*"')


class ResultTooLarge(Exception):
    """Raised by ``_Capped`` past its byte budget; stops Oxigraph's serializer."""


class _Capped:
    """A binary writer that keeps what Oxigraph writes, up to a byte budget."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.size = 0
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > self.budget:
            raise ResultTooLarge
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass


def within_cap(data: bytes, fmt: str, cap: int) -> bool:
    """Whether serialized SELECT results hold at most ``cap`` solutions. A cheap upper bound
    first (every JSON solution opens a brace, every CSV/TSV one ends a line), the exact
    count only when the bound is over the cap."""
    bound = {"json": b"{", "xml": b"<result>", "tsv": b"\n", "csv": b"\r\n"}[fmt]
    if data.count(bound) <= cap:
        return True
    return count_solutions(data, fmt) <= cap


def count_solutions(data: bytes, fmt: str) -> int:
    """How many solutions Oxigraph's serialization of SELECT results holds, exactly.

    JSON: objects that open the bindings array or follow a comma, once strings are blanked
    (terms are objects after a colon); XML: ``<result>`` tags (text escapes '<'); TSV:
    lines after the header (newlines in terms are escaped); CSV: CRLF line ends outside
    quoted fields. ``test_serve`` checks each against a known number of rows."""
    if fmt == "json":
        bare = _JSON_STRING.sub(b'""', data)
        return bare.count(b"[{") + bare.count(b",{")
    if fmt == "xml":
        return data.count(b"<result>")
    if fmt == "tsv":
        return data.count(b"\n") - 1
    return _CSV_QUOTED.sub(b"", data).count(b"\r\n") - 1


def _choose(accept: str | None, override: str | None, types: dict[str, str]) -> str:
    """The format for a result kind: ``format=`` first, then ``Accept``, else the first."""
    if override and override in types.values():
        return override
    chosen = negotiate(accept, list(types))
    return types[chosen] if chosen else next(iter(types.values()))


def execute(store: ox.Store, query: str, accept: str | None, override: str | None,
            max_results: int, default_graphs: list[str] | None = None,
            named_graphs: list[str] | None = None) -> tuple[str, bytes]:
    """Run one prepared query on a store; (media type, body). Raises QueryFailed."""
    options: dict[str, Any] = {}
    for name, graphs in (("default_graph", default_graphs), ("named_graphs", named_graphs)):
        if graphs is not None:
            missing = [g for g in graphs if not store.contains_named_graph(ox.NamedNode(g))]
            if missing:
                raise QueryFailed(400, f"graph <{missing[0]}> is not in this store (nothing is "
                                       "fetched on a request's behalf)")
            options[name] = [ox.NamedNode(g) for g in graphs]
    try:
        result = store.query(query, prefixes=all_prefixes(), **options)
    except SyntaxError as exc:
        raise QueryFailed(400, "SPARQL syntax error: " + " ".join(str(exc).split())) from None
    except (OSError, ValueError, RuntimeError) as exc:
        raise QueryFailed(400, f"query failed: {exc}") from None
    if isinstance(result, ox.QueryBoolean):
        fmt = _choose(accept, override, ASK_TYPES)
        return MEDIA[fmt], result.serialize(format=OX_RESULTS[fmt])
    if isinstance(result, ox.QuerySolutions):
        # Oxigraph writes the results (in Rust, far faster than Python would), into a
        # bounded buffer; then the solutions are counted exactly against the cap.
        fmt = _choose(accept, override, SELECT_TYPES)
        out = _Capped(MAX_RESULT_BYTES)
        try:
            result.serialize(out, format=OX_RESULTS[fmt])
        except ResultTooLarge:
            raise QueryFailed(400, f"results over {MAX_RESULT_BYTES >> 20} MB (the endpoint's "
                                   "cap): narrow the query or add LIMIT") from None
        data = b"".join(out.parts)
        if not within_cap(data, fmt, max_results):
            raise QueryFailed(400, f"more than {max_results} results (the endpoint's cap): "
                                   "narrow the query or add LIMIT")
        return MEDIA[fmt], data
    fmt = _choose(accept, override, GRAPH_TYPES)
    triples = []
    for triple in result:
        if len(triples) >= max_results:
            raise QueryFailed(400, f"more than {max_results} triples (the endpoint's cap): "
                                   "narrow the query or add LIMIT")
        triples.append(triple)
    triples.sort(key=str)
    if fmt in ("nq", "trig"):
        triples = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples]
    from ..namespaces import serialization_prefixes

    prefixes = serialization_prefixes() if fmt in ("ttl", "trig", "rdf") else None
    return MEDIA[fmt], ox.serialize(triples, format=OX_RDF[fmt], prefixes=prefixes)


def worker_loop(location: str) -> None:
    """A query worker process: answers length-prefixed pickled requests on stdin/stdout."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    out = os.dup(1)
    os.dup2(2, 1)  # nothing printed by accident can corrupt the answers
    store = ox.Store.read_only(location)
    while True:
        head = _read_exact(0, 4)
        if not head:
            return
        request = pickle.loads(_read_exact(0, int.from_bytes(head, "big")))
        try:
            answer: tuple = ("ok", *execute(store, *request))
        except QueryFailed as exc:
            answer = ("failed", exc.status, exc.message)
        except Exception as exc:  # noqa: BLE001 - reported to the client as one line
            answer = ("failed", 500, f"{type(exc).__name__}: {exc}")
        _write_message(out, answer)


def _read_exact(fd: int, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = os.read(fd, n - len(data))
        if not chunk:
            return b""
        data += chunk
    return data


def _write_message(fd: int, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(len(data).to_bytes(4, "big") + data)
    while view:
        view = view[os.write(fd, view):]


class _Worker:
    """One worker process (a fresh interpreter: nothing of the server is forked)."""

    def __init__(self, location: str) -> None:
        code = "import sys; from peaceld.web.sparql import worker_loop; worker_loop(sys.argv[1])"
        self.proc = subprocess.Popen([sys.executable, "-c", code, location],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def call(self, request: tuple, timeout: float) -> tuple:
        """Send a request and wait for the answer; TimeoutError after ``timeout`` seconds."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        _write_message(self.proc.stdin.fileno(), request)
        fd = self.proc.stdout.fileno()
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            raise TimeoutError
        head = _read_exact(fd, 4)
        if not head:
            raise EOFError
        return pickle.loads(_read_exact(fd, int.from_bytes(head, "big")))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(5)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()


class QueryPool:
    """Worker processes on a read-only store; a query past its timeout kills its worker."""

    def __init__(self, location: Path, size: int) -> None:
        self.location = str(location)
        self.size = max(1, size)
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._started = 0
        self._lock = threading.Lock()
        self._all: list[_Worker] = []

    def _take(self) -> _Worker:
        while True:
            with self._lock:
                if self._idle.empty() and self._started < self.size:
                    self._started += 1
                    worker = _Worker(self.location)
                    self._all.append(worker)
                    return worker
            try:
                return self._idle.get(timeout=0.5)
            except queue.Empty:
                continue

    def run(self, request: tuple, timeout: float) -> tuple[str, bytes]:
        """Run ``execute(store, *request)`` in a worker; QueryFailed(503) after ``timeout``."""
        worker = self._take()
        try:
            answer = worker.call(request, timeout)
        except (TimeoutError, EOFError, OSError):
            worker.stop()
            with self._lock:
                self._all.remove(worker)
                self._started -= 1
            raise QueryFailed(503, f"query stopped after {timeout:g} s (the endpoint's "
                                   "timeout): narrow it or add LIMIT") from None
        self._idle.put(worker)
        if answer[0] == "failed":
            raise QueryFailed(answer[1], answer[2])
        return answer[1], answer[2]

    def start(self, n: int | None = None) -> None:
        """Start ``n`` workers now (all by default), so that the first queries do not wait
        for them; the others start when concurrent queries need them."""
        with self._lock:
            while self._started < min(self.size, n or self.size):
                self._started += 1
                worker = _Worker(self.location)
                self._all.append(worker)
                self._idle.put(worker)

    def close(self) -> None:
        with self._lock:
            for worker in self._all:
                worker.stop()
            self._all.clear()
            self._started = 0
            self._idle = queue.Queue()

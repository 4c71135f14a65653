"""``peaceld serve``: the knowledge graph as linked data over HTTP, read-only.

* Every IRI under the base IRI is served at the same path: ``<base>id/operation/unmil`` at
  ``/id/operation/unmil``. By the Cool URIs conventions, a request for the resource gets
  ``303 See Other`` to a document chosen by ``Accept`` (``unmil.html``, ``unmil.ttl``,
  ``unmil.jsonld``, ``unmil.rdf``, ``unmil.nt``, and ``unmil.trig``/``unmil.nq`` with the
  provenance graphs), with ``Vary: Accept`` and ``Link: rel=alternate`` headers; HTML pages
  carry the resource's JSON-LD in their head.
* ``/sparql`` speaks the SPARQL 1.1 Protocol (GET, POST form, POST direct), in every W3C
  result format, with CORS and a service description. Queries run in a pool of worker
  processes on the read-only store, so a timeout really stops them; results are capped,
  requests are size-limited, updates and ``SERVICE`` are refused, and a dataset named by
  ``default-graph-uri``/``named-graph-uri`` must be a graph of the store: nothing is fetched
  on a request's behalf.
"""

from __future__ import annotations

import functools
import json
import os
import pickle
import queue
import re
import select
import signal
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import PeaceldError
from ..export import CONTEXT_FILE, describe
from ..namespaces import ONTOLOGY, PLD, all_prefixes
from ..query import NamedQuery, prepare, service_calls
from .pages import BASE_IRI, DOCUMENTS, WEB, GraphView, Links, Renderer, document

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
CORS = {"Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type, Accept",
        "Access-Control-Max-Age": "86400"}


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
        code = "import sys; from peaceld.web.serve import worker_loop; worker_loop(sys.argv[1])"
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


# --- the application -------------------------------------------------------------------------


@dataclass
class Settings:
    """What ``create_app`` serves and how."""

    store: Path
    base_iri: str = BASE_IRI
    dist: Path | None = None
    queries: dict[str, NamedQuery] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    timeout: float = TIMEOUT
    max_results: int = MAX_RESULTS
    max_request: int = MAX_REQUEST
    workers: int = 2


DUMPS = {"peaceld.ttl": "text/turtle", "peaceld.trig": "application/trig",
         "peaceld.nq": "application/n-quads"}


def _links_header(path: str, skip: str = "") -> str:
    """``Link`` header value: every document of the resource at ``path`` but ``skip``."""
    parts = [f'<{path}.{s}>; rel="alternate"; type="{DOCUMENTS[s][0]}"'
             for s in DOCUMENTS if s != skip]
    return ", ".join(parts)


class App:
    """The state behind the routes: store, view, renderer, query pool, limits."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = ox.Store.read_only(str(settings.store))
        self.view = GraphView(self.store, settings.base_iri)
        self.base = settings.base_iri
        self.dataset = str(settings.meta.get("name", "peaceld"))
        dumps = []
        if settings.dist is not None:
            dumps = [(name, f"/id/dataset/{self.dataset}/dump/{name}") for name in DUMPS
                     if (settings.dist / name).is_file()]
        self.renderer = Renderer(self.view, Links(self.base), str(settings.meta.get(
            "title", "peaceld")), settings.queries, dumps)
        self.pool = QueryPool(settings.store, settings.workers)
        # what every page needs once (the classes and their counts, the search index) is
        # computed now, beside the first requests, not inside the first visitor's request
        threading.Thread(target=self._warm, name="peaceld-warm", daemon=True).start()

    def _warm(self) -> None:
        self.renderer.class_kinds()
        self.view.labels_for_search()

    def html(self, text: str, status: int = 200, **headers: str) -> HTMLResponse:
        return HTMLResponse(text, status, headers=headers or None)

    def not_found(self, what: str) -> HTMLResponse:
        return self.html(self.renderer.error(404, f"Nothing is known here about {what}."), 404)

    # pages

    def home(self, request: Request) -> Response:
        return self.html(self.renderer.home())

    def search(self, request: Request) -> Response:
        text = request.query_params.get("q", "")[:200]
        if "json" in (negotiate(request.headers.get("accept"),
                                ["text/html", "application/json"]) or ""):
            return Response(json.dumps(self.view.search(text)), media_type="application/json",
                            headers=CORS)
        return self.html(self.renderer.search(text))

    def query_page(self, request: Request) -> Response:
        return self.html(self.renderer.query_page())

    def klass(self, request: Request) -> Response:
        name = request.path_params["name"]
        found = self.renderer.klass(PLD + name, f"/class/{name}")
        return self.html(found) if found else self.not_found(f"a class {name}")

    def scheme(self, request: Request) -> Response:
        name = request.path_params["name"]
        found = self.renderer.scheme(PLD + name, f"/scheme/{name}")
        return self.html(found) if found else self.not_found(f"a concept scheme {name}")

    @functools.cached_property
    def void(self) -> bytes:
        return void_description(self.store, self.settings.meta, self.settings.dist)

    def void_doc(self, request: Request) -> Response:
        return Response(self.void, media_type="text/turtle", headers=CORS)

    def context(self, request: Request) -> Response:
        """peaceld's JSON-LD context, at the path of its IRI (CONTEXT_URL)."""
        return FileResponse(CONTEXT_FILE, media_type="application/ld+json", headers=CORS)

    def dump(self, request: Request) -> Response:
        name = request.path_params["name"]
        if (request.path_params["dataset"] != self.dataset or name not in DUMPS
                or self.settings.dist is None or not (self.settings.dist / name).is_file()):
            return self.not_found(f"a dump {name}")
        return FileResponse(self.settings.dist / name, media_type=DUMPS[name],
                            headers={**CORS, "Content-Disposition":
                                     f'attachment; filename="{name}"'})

    def resource(self, request: Request) -> Response:
        """A resource IRI (303 to a document by Accept) or one of its documents."""
        path = "/" + request.path_params["path"]
        stem, dot, suffix = path.rpartition(".")
        if dot and suffix in DOCUMENTS and "/" not in suffix and stem:
            iri = self.base + stem[1:]
            if self.view.exists(iri) or iri == ONTOLOGY:
                return self.document(iri, stem, suffix)
        iri = self.base + path[1:]
        if not (self.view.exists(iri) or iri == ONTOLOGY):
            if path == f"/id/dataset/{self.dataset}":
                return RedirectResponse("/.well-known/void", 303, headers={"Vary": "Accept"})
            return self.not_found(path)
        offered = [DOCUMENTS[s][0] for s in DOCUMENTS]
        offered += ["application/xhtml+xml", "application/xml", "text/plain"]
        chosen = negotiate(request.headers.get("accept"), offered) or "text/html"
        chosen = {"application/xhtml+xml": "text/html", "application/xml": "application/rdf+xml",
                  "text/plain": "application/n-triples"}.get(chosen, chosen)
        suffix = next(s for s in DOCUMENTS if DOCUMENTS[s][0] == chosen)
        quoted = urllib.parse.quote(path, safe="/:@!$&'()*+,;=-._~")
        return RedirectResponse(f"{quoted}.{suffix}", 303, headers={
            "Vary": "Accept", "Link": _links_header(quoted), **CORS})

    def document(self, iri: str, stem: str, suffix: str) -> Response:
        quoted = urllib.parse.quote(stem, safe="/:@!$&'()*+,;=-._~")
        headers = {"Link": _links_header(quoted, suffix)
                   + f', <{quoted}>; rel="describes"', "Vary": "Accept", **CORS}
        if suffix == "html":
            page = (self.renderer.ontology() if iri == ONTOLOGY
                    else self.renderer.entity(iri, stem))
            if page is None:
                return self.not_found(stem)
            return HTMLResponse(page, headers=headers)
        media = DOCUMENTS[suffix][0]
        return Response(document(self.view, iri, suffix), media_type=media, headers=headers)

    # SPARQL

    def service_description(self, request: Request) -> Response:
        endpoint = str(request.url.replace(query=""))
        sd = "http://www.w3.org/ns/sparql-service-description#"
        formats = "http://www.w3.org/ns/formats/"
        lines = [f"@prefix sd: <{sd}> .", "",
                 "[] a sd:Service ;",
                 f"  sd:endpoint <{endpoint}> ;",
                 "  sd:supportedLanguage sd:SPARQL11Query ;",
                 "  sd:feature sd:UnionDefaultGraph ;",
                 "  sd:resultFormat " + ", ".join(
                     f"<{formats}{f}>" for f in ("SPARQL_Results_JSON", "SPARQL_Results_XML",
                                                 "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                                                 "Turtle", "N-Triples", "JSON-LD", "RDF_XML",
                                                 "N-Quads", "TriG")) + " ;",
                 "  sd:defaultDataset [ a sd:Dataset ; sd:defaultGraph [ a sd:Graph ] ] ."]
        return Response("\n".join(lines) + "\n", media_type="text/turtle",
                        headers={**CORS, "Vary": "Accept"})

    async def sparql(self, request: Request) -> Response:
        try:
            return await self._sparql(request)
        except QueryFailed as exc:
            return Response(exc.message + "\n", exc.status, media_type="text/plain",
                            headers=CORS)

    async def _sparql(self, request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool

        if request.method == "OPTIONS":
            return Response(status_code=204, headers=CORS)
        params = urllib.parse.parse_qs(request.url.query, keep_blank_values=True)
        query: list[str] = params.get("query", [])
        if request.method == "GET":
            if "update" in params:
                raise QueryFailed(405, "this endpoint is read-only: updates are refused")
            if not query:
                if negotiate(request.headers.get("accept"),
                             ["text/turtle", "text/html"]) == "text/html":
                    return RedirectResponse("/query", 303)
                return self.service_description(request)
        elif request.method == "POST":
            size = request.headers.get("content-length")
            if size is not None and size.isdigit() and int(size) > self.settings.max_request:
                raise QueryFailed(413, f"request larger than {self.settings.max_request} bytes")
            body = b""
            async for chunk in request.stream():
                body += chunk
                if len(body) > self.settings.max_request:
                    raise QueryFailed(413, f"request larger than {self.settings.max_request} "
                                           "bytes")
            kind, _, extra = request.headers.get("content-type", "").partition(";")
            kind = kind.strip().lower()
            charset = re.search(r"charset\s*=\s*\"?([\w-]+)", extra, re.IGNORECASE)
            if charset and charset.group(1).lower() not in ("utf-8", "utf8"):
                raise QueryFailed(415, "send the query in UTF-8")
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                raise QueryFailed(400, "the request body is not UTF-8") from None
            if kind == "application/x-www-form-urlencoded":
                form = urllib.parse.parse_qs(text, keep_blank_values=True)
                if "update" in form:
                    raise QueryFailed(403, "this endpoint is read-only: updates are refused")
                query = query + form.get("query", [])
                for key in ("default-graph-uri", "named-graph-uri"):
                    params.setdefault(key, []).extend(form.get(key, []))
            elif kind == "application/sparql-query":
                if query:
                    raise QueryFailed(400, "a query in both the URL and the body")
                query = [text]
            elif kind == "application/sparql-update":
                raise QueryFailed(403, "this endpoint is read-only: updates are refused")
            else:
                raise QueryFailed(415, "POST a query as application/x-www-form-urlencoded or "
                                       "application/sparql-query")
        else:
            raise QueryFailed(405, "use GET or POST")
        if len(query) != 1:
            raise QueryFailed(400, "give exactly one query" if query else "no query given")
        text = query[0]
        if len(text.encode("utf-8")) > self.settings.max_request:
            raise QueryFailed(413, f"query larger than {self.settings.max_request} bytes")
        if service_calls(text):
            raise QueryFailed(400, "SERVICE calls are refused: this endpoint fetches nothing "
                                   "from the network on a request's behalf")
        try:
            prepared = prepare(text, "query")
        except PeaceldError as exc:
            raise QueryFailed(400, exc.message.replace(
                " (use --allow-service if you trust this query)", "")) from None
        defaults = params.get("default-graph-uri") or None
        named = params.get("named-graph-uri") or None
        override = (params.get("format") or [None])[0]
        job = (prepared, request.headers.get("accept"), override, self.settings.max_results,
               defaults, named)
        media, payload = await run_in_threadpool(self.pool.run, job, self.settings.timeout)
        headers = {**CORS, "Vary": "Accept"}
        if override in ("csv", "json"):
            headers["Content-Disposition"] = f'inline; filename="results.{override}"'
        return Response(payload, media_type=media, headers=headers)


def void_description(store: ox.Store, meta: dict[str, Any], dist: Path | None) -> bytes:
    """VoID + DCAT of the served dataset (Turtle), counted in the store."""
    def count(q: str) -> int:
        return int(next(iter(store.query(q)))["n"].value)

    counts = {
        "triples": count("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"),
        "entities": count("SELECT (COUNT(DISTINCT ?s) AS ?n) { ?s ?p ?o }"),
        "classes": {r["c"].value: int(r["n"].value) for r in store.query(
            "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) { ?s a ?c FILTER isIRI(?c) } GROUP BY ?c")},
        "properties": {r["p"].value: int(r["n"].value) for r in store.query(
            "SELECT ?p (COUNT(*) AS ?n) { ?s ?p ?o } GROUP BY ?p")},
    }
    dumps = {name: media for name, media in DUMPS.items()
             if dist is not None and (dist / name).is_file()}
    return describe(counts, meta, dumps)


def create_app(settings: Settings) -> Starlette:
    """The Starlette application of ``peaceld serve`` over a built store."""
    app_state = App(settings)
    routes = [
        Route("/", app_state.home),
        Route("/search", app_state.search),
        Route("/query", app_state.query_page),
        Route("/sparql", app_state.sparql, methods=["GET", "POST", "OPTIONS"]),
        Route("/sparql/", app_state.sparql, methods=["GET", "POST", "OPTIONS"]),
        Route("/class/{name:str}", app_state.klass),
        Route("/scheme/{name:str}", app_state.scheme),
        Route("/.well-known/void", app_state.void_doc),
        Route("/context.jsonld", app_state.context),
        Route("/id/dataset/{dataset:str}/dump/{name:str}", app_state.dump),
        Mount("/static", StaticFiles(directory=str(WEB / "static")), name="static"),
        Route("/{path:path}", app_state.resource),
    ]
    app = Starlette(routes=routes)
    app.state.peaceld = app_state
    return app


def settings_for(dist: Path, base_iri: str = BASE_IRI, project_dir: Path | None = None,
                 **limits: Any) -> Settings:
    """Settings for serving a build folder (its store is (re)loaded first if needed)."""
    from ..project import find_project
    from ..query import load_library
    from ..store import ensure_store

    location = ensure_store(dist)
    project = find_project(project_dir)
    return Settings(location, base_iri, dist, load_library(project.files("queries")),
                    project.meta, **limits)


SAFE_HOSTS = re.compile(r"^(127\.\d+\.\d+\.\d+|localhost|::1)$")


def default_workers() -> int:
    """Most query workers: one per concurrent query up to 8, as a threaded server would run
    them (a worker process holds about 60 MB; they start as concurrent queries need them)."""
    return min(8, max(2, 4 * (os.cpu_count() or 1)))

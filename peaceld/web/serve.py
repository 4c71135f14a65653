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
import re
import threading
import urllib.parse
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
from ..namespaces import ONTOLOGY, PLD
from ..query import NamedQuery, prepare, service_calls
from .drafts import DraftSources
from .pages import BASE_IRI, DOCUMENTS, WEB, GraphView, document
from .render import Links, Renderer
from .sparql import MAX_REQUEST, MAX_RESULTS, TIMEOUT, QueryFailed, QueryPool, negotiate

CORS = {"Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type, Accept",
        "Access-Control-Max-Age": "86400"}


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
    #: ``--drafts``: drafted facts files shown under /drafts/ (None: no such pages).
    drafts: DraftSources | None = None


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
            "title", "peaceld")), settings.queries, dumps, drafts=settings.drafts)
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

    def drafts_index(self, request: Request) -> Response:
        return self.html(self.renderer.drafts_index())

    def draft_file(self, request: Request) -> Response:
        name = request.path_params["name"]
        try:
            found = self.renderer.draft_file(name, f"/drafts/{name}")
        except PeaceldError as exc:  # the file changed since the server started
            return self.html(self.renderer.error(500, str(exc)), 500)
        return self.html(found) if found else self.not_found(f"a drafts file {name}")

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
        *([Route("/drafts", lambda request: RedirectResponse("/drafts/", 308)),
           Route("/drafts/", app_state.drafts_index),
           Route("/drafts/{name:str}", app_state.draft_file)] if settings.drafts else []),
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

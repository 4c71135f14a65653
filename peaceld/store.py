"""Triple stores: the embedded on-disk Oxigraph store, and remote stores over HTTP.

* ``ensure_store(dist)`` gives ``dist/store``, rebuilding it from ``dist/peaceld.nq``
  whenever the build changed (a hash of the dump is kept beside the store). Every graph of
  the dump is there as a named graph, and the default graph holds their union, written once
  at load time: queries need no union flag, and each lookup reads one index instead of two.
* ``push(endpoint, quads)`` loads the graphs into any store that speaks the SPARQL 1.1 Graph
  Store HTTP Protocol, replacing each graph with one PUT: the ontology, the data (the union
  of the passage graphs), the sources, and every passage graph.
* ``remote_query(endpoint, query, accept)`` runs a query against a SPARQL endpoint.

Credentials come from ``PEACELD_TOKEN`` (bearer), ``PEACELD_USER``/``PEACELD_PASSWORD``
(basic), or ``~/.netrc`` for the endpoint's host; never from the command line.
"""

from __future__ import annotations

import base64
import hashlib
import netrc
import os
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from .errors import PeaceldError
from .namespaces import GRAPH, ID, ONTOLOGY_GRAPH, SOURCES_GRAPH

DATA_GRAPH = GRAPH + "data"
TRANSIENT = {408, 429, 500, 502, 503, 504}


def _hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


#: Bumped whenever what ``load_store`` writes changes, so older stores get rebuilt.
STORE_LAYOUT = "2"


def ensure_store(dist: Path) -> Path:
    """The folder of the build's on-disk store, reloaded first if the build changed."""
    dump = dist / "peaceld.nq"
    if not dump.is_file():
        raise PeaceldError("no build here: run 'peaceld build' first", file=dist)
    location = dist / "store"
    stamp = dist / "store.sha256"
    wanted = f"{_hash(dump)} layout {STORE_LAYOUT}"
    if not (location.is_dir() and stamp.is_file() and stamp.read_text().strip() == wanted):
        tmp = dist / f".store-{os.getpid()}"
        try:
            load_store(dump, tmp)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        shutil.rmtree(location, ignore_errors=True)
        os.replace(tmp, location)
        stamp.write_text(wanted + "\n")
    return location


def load_store(dump: Path, location: Path) -> int:
    """Bulk-load an N-Quads dump into a new on-disk store; return its number of quads.

    The named graphs are loaded as they are, then the union of their triples goes into the
    default graph, and the files are compacted. Graphs are copied as N-Triples written and
    read by Oxigraph; those with blank nodes go quad by quad instead, because a parser would
    give their blank nodes new labels.
    """
    shutil.rmtree(location, ignore_errors=True)
    store = ox.Store(str(location))
    try:
        store.bulk_load(path=str(dump), format=ox.RdfFormat.N_QUADS)
    except SyntaxError as exc:
        raise PeaceldError.syntax(exc, dump) from None
    union = location.with_name(location.name + ".union.nt")
    default = ox.DefaultGraph()
    try:
        with union.open("wb") as out:
            for graph in list(store.named_graphs()):
                triples = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph)
                if b"_:" in triples:
                    store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, default)
                                      for q in store.quads_for_pattern(None, None, None, graph))
                else:
                    out.write(triples)
        store.bulk_load(path=str(union), format=ox.RdfFormat.N_TRIPLES)
    finally:
        union.unlink(missing_ok=True)
    store.flush()
    store.optimize()  # compact the bulk-loaded files: lookups get about 4x faster
    n = len(store)
    del store
    return n


# --- remote --------------------------------------------------------------------------------


def _credentials(url: str) -> tuple[str, str] | None:
    """User and password for ``url``: from the environment, else from ``~/.netrc``."""
    user, password = os.environ.get("PEACELD_USER"), os.environ.get("PEACELD_PASSWORD")
    if user is None:
        host = urllib.parse.urlsplit(url).hostname or ""
        try:
            found = netrc.netrc().authenticators(host)
        except (FileNotFoundError, netrc.NetrcParseError):
            found = None
        if found:
            user, _, password = found
    return None if user is None else (user, password or "")


#: How each host asked to be authenticated (per credentials): "basic", or a digest handler
#: and its challenge.
_AUTH: dict[tuple[str, str, str],
            str | tuple[urllib.request.HTTPDigestAuthHandler, dict[str, str]]] = {}


def _authorization(request: urllib.request.Request, challenge: str | None = None
                   ) -> str | None:
    """The ``Authorization`` value for ``request``, or None to send none.

    A bearer token goes up front. User and password go only once the host has asked for
    them (Basic or Digest, as Virtuoso's graph CRUD endpoint wants); the host's answer is
    remembered, so later requests carry the credentials without another round trip.
    """
    url = request.full_url
    token = os.environ.get("PEACELD_TOKEN")
    if token:
        return f"Bearer {token}"
    found = _credentials(url)
    if found is None:
        return None
    host = (urllib.parse.urlsplit(url).netloc, *found)
    if challenge is not None:
        scheme, _, params = challenge.partition(" ")
        if scheme.lower() == "digest":
            handler = urllib.request.HTTPDigestAuthHandler(
                urllib.request.HTTPPasswordMgrWithDefaultRealm())
            handler.add_password(None, url, *found)
            _AUTH[host] = (handler, urllib.request.parse_keqv_list(
                filter(None, urllib.request.parse_http_list(params))))
        else:
            _AUTH[host] = "basic"
    how = _AUTH.get(host)
    if how is None:
        return None
    if how == "basic":
        return "Basic " + base64.b64encode(f"{found[0]}:{found[1]}".encode()).decode()
    handler, chal = how
    answer = handler.get_authorization(request, chal)
    return f"Digest {answer}" if answer else None


def _request(method: str, url: str, body: bytes | None, headers: dict[str, str],
             retries: int = 3, timeout: float = 60,
             sleep: Callable[[float], None] = time.sleep) -> bytes:
    """One HTTP request with retries on transient failures and one-line errors otherwise."""
    headers = {"User-Agent": "peaceld", **headers}
    challenged = False
    attempt = 0
    while True:
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        auth = _authorization(request)
        if auth:
            request.add_header("Authorization", auth)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode("utf-8", "replace").strip().replace("\n", " ")
            offered = exc.headers.get("WWW-Authenticate")
            if exc.code == 401 and offered and not challenged:
                challenged = True
                if _authorization(request, offered):
                    continue
            if exc.code in TRANSIENT and attempt < retries:
                sleep(0.5 * 2 ** attempt)
                attempt += 1
                continue
            meaning = {401: "authentication required or refused (set PEACELD_USER and "
                            "PEACELD_PASSWORD, PEACELD_TOKEN, or a ~/.netrc entry)",
                       403: "forbidden: the credentials may not write here",
                       404: "not found: check the endpoint URL"}.get(exc.code, exc.reason)
            raise PeaceldError(f"{method} {url}: HTTP {exc.code}, {meaning}"
                               + (f" ({detail})" if detail and exc.code >= 500 else "")) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            if attempt < retries:
                sleep(0.5 * 2 ** attempt)
                attempt += 1
                continue
            reason = getattr(exc, "reason", exc)
            raise PeaceldError(f"{method} {url}: cannot connect ({reason})") from None


def graphs_to_push(quads: list[ox.Quad]) -> dict[str, list[ox.Triple]]:
    """Graph IRI -> triples (each once, in input order), for every graph a push replaces."""
    out: dict[str, dict[ox.Triple, None]] = {}
    for q in quads:
        g = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else DATA_GRAPH
        out.setdefault(g, {})[q.triple] = None
        if g.startswith(ID + "passage/"):
            out.setdefault(DATA_GRAPH, {})[q.triple] = None
    return {g: list(out[g]) for g in sorted(out)}


def push(endpoint: str, quads: list[ox.Quad], *,
         progress: Callable[[int, int, str], None] | None = None,
         retries: int = 3, timeout: float = 600) -> dict[str, int]:
    """Replace each graph on a Graph Store Protocol endpoint; returns triples per graph.

    ``timeout`` is per request: a store may take minutes to replace a graph of a million
    triples in one transaction (Oxigraph's server does).
    """
    graphs = graphs_to_push(quads)
    order = [g for g in (ONTOLOGY_GRAPH, SOURCES_GRAPH, DATA_GRAPH) if g in graphs]
    order += [g for g in graphs if g not in order]
    sent = {}
    for i, graph in enumerate(order, 1):
        body = ox.serialize(graphs[graph], format=ox.RdfFormat.N_TRIPLES)
        sep = "&" if "?" in endpoint else "?"
        url = f"{endpoint}{sep}graph={urllib.parse.quote(graph, safe='')}"
        _request("PUT", url, body, {"Content-Type": "application/n-triples"}, retries, timeout)
        sent[graph] = len(graphs[graph])
        if progress:
            progress(i, len(order), graph)
    return sent


def remote_query(endpoint: str, query: str, accept: str, timeout: float = 60) -> bytes:
    """POST a query to a SPARQL endpoint and return the raw response body.

    The query goes URL-encoded (the protocol's form), which every store accepts; Virtuoso
    7.2 never answers a body sent as ``application/sparql-query``.
    """
    body = urllib.parse.urlencode({"query": query}).encode("ascii")
    return _request("POST", endpoint, body,
                    {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept},
                    retries=2, timeout=timeout)

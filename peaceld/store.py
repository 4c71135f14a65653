"""Triple stores: the embedded on-disk Oxigraph store, and remote stores over HTTP.

* ``embedded_store(dist)`` opens ``dist/store``, rebuilding it from ``dist/peaceld.nq``
  whenever the build changed (a hash of the dump is kept beside the store). Queries see the
  union of all graphs as their default graph.
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


def embedded_store(dist: Path, read_only: bool = True) -> ox.Store:
    """The on-disk store of a build, (re)loaded from ``peaceld.nq`` when that changed."""
    location = ensure_store(dist)
    return ox.Store.read_only(str(location)) if read_only else ox.Store(str(location))


def ensure_store(dist: Path) -> Path:
    """The folder of the build's on-disk store, reloaded first if the build changed."""
    dump = dist / "peaceld.nq"
    if not dump.is_file():
        raise PeaceldError("no build here: run 'peaceld build' first", file=dist)
    location = dist / "store"
    stamp = dist / "store.sha256"
    wanted = _hash(dump)
    if not (location.is_dir() and stamp.is_file() and stamp.read_text().strip() == wanted):
        tmp = dist / f".store-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        store = ox.Store(str(tmp))
        store.bulk_load(path=str(dump), format=ox.RdfFormat.N_QUADS)
        store.flush()
        del store
        shutil.rmtree(location, ignore_errors=True)
        os.replace(tmp, location)
        stamp.write_text(wanted + "\n")
    return location


# --- remote --------------------------------------------------------------------------------


def _auth_header(url: str) -> dict[str, str]:
    token = os.environ.get("PEACELD_TOKEN")
    if token:
        return {"Authorization": f"Bearer {token}"}
    user, password = os.environ.get("PEACELD_USER"), os.environ.get("PEACELD_PASSWORD")
    if user is None:
        host = urllib.parse.urlsplit(url).hostname or ""
        try:
            found = netrc.netrc().authenticators(host)
        except (FileNotFoundError, netrc.NetrcParseError):
            found = None
        if found:
            user, _, password = found
    if user is None:
        return {}
    pair = base64.b64encode(f"{user}:{password or ''}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


def _request(method: str, url: str, body: bytes | None, headers: dict[str, str],
             retries: int = 3, timeout: float = 60,
             sleep: Callable[[float], None] = time.sleep) -> bytes:
    """One HTTP request with retries on transient failures and one-line errors otherwise."""
    headers = {"User-Agent": "peaceld", **headers, **_auth_header(url)}
    for attempt in range(retries + 1):
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode("utf-8", "replace").strip().replace("\n", " ")
            if exc.code in TRANSIENT and attempt < retries:
                sleep(0.5 * 2 ** attempt)
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
                continue
            reason = getattr(exc, "reason", exc)
            raise PeaceldError(f"{method} {url}: cannot connect ({reason})") from None
    raise AssertionError("unreachable")


def graphs_to_push(quads: list[ox.Quad]) -> dict[str, list[ox.Triple]]:
    """Graph IRI -> triples, for every graph a push replaces."""
    out: dict[str, dict[str, ox.Triple]] = {}
    for q in quads:
        g = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else DATA_GRAPH
        out.setdefault(g, {})[str(q.triple)] = q.triple
        if g.startswith(ID + "passage/"):
            out.setdefault(DATA_GRAPH, {})[str(q.triple)] = q.triple
    return {g: [t[k] for k in sorted(t)] for g, t in sorted(out.items())}


def push(endpoint: str, quads: list[ox.Quad], progress: Callable[[str], None] | None = None,
         retries: int = 3) -> dict[str, int]:
    """Replace each graph on a Graph Store Protocol endpoint; returns triples per graph."""
    graphs = graphs_to_push(quads)
    order = [g for g in (ONTOLOGY_GRAPH, SOURCES_GRAPH, DATA_GRAPH) if g in graphs]
    order += [g for g in graphs if g not in order]
    sent = {}
    for i, graph in enumerate(order, 1):
        body = ox.serialize(graphs[graph], format=ox.RdfFormat.N_TRIPLES)
        sep = "&" if "?" in endpoint else "?"
        url = f"{endpoint}{sep}graph={urllib.parse.quote(graph, safe='')}"
        _request("PUT", url, body, {"Content-Type": "application/n-triples"}, retries)
        sent[graph] = len(graphs[graph])
        if progress:
            progress(f"[{i}/{len(order)}] {graph} ({len(graphs[graph])} triples)")
    return sent


def remote_query(endpoint: str, query: str, accept: str, timeout: float = 60) -> bytes:
    """POST a query to a SPARQL endpoint and return the raw response body."""
    return _request("POST", endpoint, query.encode("utf-8"),
                    {"Content-Type": "application/sparql-query", "Accept": accept},
                    retries=2, timeout=timeout)

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
import contextlib
import fcntl
import hashlib
import http.client
import ipaddress
import json
import netrc
import os
import shutil
import socket
import ssl
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
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


def build_id(dist: Path) -> str:
    """What identifies a build: the hash of its N-Quads dump."""
    return _hash(Path(dist) / "peaceld.nq")


#: Bumped whenever what ``load_store`` writes changes, so older stores get rebuilt.
STORE_LAYOUT = "2"


LOCK = ".store.lock"


@contextlib.contextmanager
def store_lock(folder: Path, shared: bool = False) -> Iterator[None]:
    """Hold the lock of a build folder's store: shared to read it, exclusive to (re)build it.

    Queries hold it shared while they run, so a rebuild never swaps the store under them;
    two processes that both find the store missing build it once. In a folder nobody can
    write to, nothing can change the store, and no lock is taken.
    """
    path = Path(folder) / LOCK
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            yield
            return
    try:
        fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def ensure_store(dist: Path) -> Path:
    """The folder of the build's on-disk store, reloaded first if the build changed.

    Runs under the store's exclusive lock: concurrent callers wait for one rebuild, and the
    temporary folders of a rebuild that was killed are removed by the next caller.
    """
    dist = Path(dist).resolve()  # one build, even if dist/ is switched meanwhile
    dump = dist / "peaceld.nq"
    if not dump.is_file():
        raise PeaceldError("no build here: run 'peaceld build' first", file=dist)
    location = dist / "store"
    stamp = dist / "store.sha256"
    wanted = f"{_hash(dump)} layout {STORE_LAYOUT}"
    with store_lock(dist):
        if location.is_dir() and stamp.is_file() and stamp.read_text().strip() == wanted:
            return location
        for stale in dist.glob(".store-*"):
            shutil.rmtree(stale, ignore_errors=True)
        tmp = dist / f".store-{os.getpid()}"
        try:
            load_store(dump, tmp)
            stamp.unlink(missing_ok=True)
            shutil.rmtree(location, ignore_errors=True)
            os.replace(tmp, location)
            stamp.write_text(wanted + "\n")
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise PeaceldError(f"cannot write the query store: {exc.strerror or exc}",
                               file=dist) from None
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
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


#: The most an endpoint's answer may hold unless the caller says otherwise (bytes).
MAX_ANSWER_BYTES = 512 << 20
_WARNED: set[str] = set()


def check_endpoint(url: str) -> urllib.parse.SplitResult:
    """An endpoint URL, or one line saying why it is refused: http(s) only, with a host."""
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise PeaceldError(f"not a valid endpoint URL: {exc}", file=url) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise PeaceldError(f"endpoint scheme {parts.scheme + ':' if parts.scheme else '(none)'} "
                           "refused: only http:// and https:// endpoints are queried",
                           file=url)
    if not parts.hostname:
        raise PeaceldError("the endpoint URL has no host", file=url)
    if parts.username is not None or parts.password is not None:
        raise PeaceldError("credentials in the URL are refused: set PEACELD_USER and "
                           "PEACELD_PASSWORD (or PEACELD_TOKEN, or ~/.netrc) instead", file=url)
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise PeaceldError("the endpoint URL holds spaces or control characters", file=url)
    return parts


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine (localhost, 127.0.0.0/8, ::1)."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _http(method: str, url: str, body: bytes | None, headers: dict[str, str],
          timeout: float, max_bytes: int) -> tuple[int, str, http.client.HTTPMessage, bytes]:
    """One HTTP exchange, never following redirects, bounded in total time and in size.

    ``timeout`` is a deadline for the whole exchange (connect, headers and body), so a
    server that drips one byte at a time cannot hold us past it; a body larger than
    ``max_bytes`` is refused while it is read, not after.
    """
    parts = check_endpoint(url)
    host, port = parts.hostname or "", parts.port
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if parts.scheme.lower() == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
    expired = threading.Event()
    opened: list[socket.socket] = []

    def stop() -> None:
        expired.set()
        for sock in opened:  # the response keeps reading this socket after conn lets go
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(timeout, stop)
    timer.daemon = True
    timer.start()
    try:
        conn.connect()
        if conn.sock is not None:
            opened.append(conn.sock)
        if expired.is_set():
            raise TimeoutError
        conn.request(method, target, body=body, headers=headers)
        response = conn.getresponse()
        length = response.getheader("Content-Length")
        if length and length.isdigit() and int(length) > max_bytes:
            raise PeaceldError(f"{method} {url}: the answer is {int(length)} bytes, more than "
                               f"the {max_bytes} allowed")
        chunks, size = [], 0
        while True:
            chunk = response.read(1 << 16)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                raise PeaceldError(f"{method} {url}: the answer is larger than the "
                                   f"{max_bytes} bytes allowed")
            chunks.append(chunk)
        if expired.is_set():
            raise TimeoutError
        return response.status, response.reason, response.headers, b"".join(chunks)
    except (OSError, http.client.HTTPException) as exc:
        if expired.is_set():
            raise TimeoutError(f"no complete answer within {timeout:g} s") from None
        raise exc
    finally:
        timer.cancel()
        conn.close()


def _request(method: str, url: str, body: bytes | None, headers: dict[str, str],
             retries: int = 3, timeout: float = 60,
             sleep: Callable[[float], None] = time.sleep, allow_insecure: bool = False,
             max_bytes: int = MAX_ANSWER_BYTES) -> bytes:
    """One HTTP request with retries on transient failures and one-line errors otherwise.

    Credentials go only to ``url`` itself (redirects are never followed), and over plain
    http only to this machine unless ``allow_insecure``.
    """
    parts = check_endpoint(url)
    headers = {"User-Agent": "peaceld", **headers}
    challenged = False
    attempt = 0
    while True:
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        auth = _authorization(request)
        sent = dict(headers)
        if auth:
            _check_secure(parts, allow_insecure)
            sent["Authorization"] = auth
        try:
            status, reason, answer_headers, data = _http(method, url, body, sent, timeout,
                                                         max_bytes)
        except (TimeoutError, ConnectionError, socket.gaierror, OSError) as exc:
            # a deadline is a deadline: no retry after a timeout, nor after a TLS failure
            if attempt < retries and not isinstance(exc, TimeoutError | ssl.SSLError):
                sleep(0.5 * 2 ** attempt)
                attempt += 1
                continue
            if isinstance(exc, TimeoutError):
                raise PeaceldError(f"{method} {url}: no complete answer within {timeout:g} s "
                                   "(--timeout)") from None
            what = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            raise PeaceldError(f"{method} {url}: cannot connect ({what})") from None
        except http.client.HTTPException as exc:
            raise PeaceldError(f"{method} {url}: the server sent a malformed HTTP answer "
                               f"({type(exc).__name__}: {str(exc)[:80]!r})") from None
        if 200 <= status < 300:
            return data
        if 300 <= status < 400:
            where = answer_headers.get("Location", "?")
            raise PeaceldError(f"{method} {url}: HTTP {status} redirect to {where!r}, not "
                               "followed (credentials go only to the URL given; give the "
                               "final URL instead)")
        detail = data[:300].decode("utf-8", "replace").strip().replace("\n", " ")
        offered = answer_headers.get("WWW-Authenticate")
        if status == 401 and offered and not challenged:
            challenged = True
            if _authorization(request, offered):
                continue
        if status in TRANSIENT and attempt < retries:
            sleep(0.5 * 2 ** attempt)
            attempt += 1
            continue
        meaning = {401: "authentication required or refused (set PEACELD_USER and "
                        "PEACELD_PASSWORD, PEACELD_TOKEN, or a ~/.netrc entry)",
                   403: "forbidden: the credentials may not write here",
                   404: "not found: check the endpoint URL"}.get(status, reason)
        raise PeaceldError(f"{method} {url}: HTTP {status}, {meaning}"
                           + (f" ({detail})" if detail and status >= 500 else ""))


def _check_secure(parts: urllib.parse.SplitResult, allow_insecure: bool) -> None:
    """Refuse to send credentials over plain http to another machine (unless allowed)."""
    if parts.scheme.lower() == "https" or is_loopback(parts.hostname or ""):
        return
    if not allow_insecure:
        raise PeaceldError(f"refusing to send credentials over plain http to {parts.hostname}: "
                           "anyone on the way could read them; use https:// or, if you "
                           "must, --allow-insecure")
    if parts.netloc not in _WARNED:
        _WARNED.add(parts.netloc)
        print(f"warning: sending credentials to {parts.netloc} over plain http "
              "(--allow-insecure)", file=sys.stderr)


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
         retries: int = 3, timeout: float = 600, allow_insecure: bool = False,
         state: Path | None = None, build_id: str = "", resume: bool = False) -> dict[str, int]:
    """Replace each graph on a Graph Store Protocol endpoint; returns triples per graph.

    ``timeout`` is per request: a store may take minutes to replace a graph of a million
    triples in one transaction (Oxigraph's server does). When a request fails, the error
    says which graphs were already replaced and, with a ``state`` file, records them so
    that ``resume=True`` pushes only the rest (for the same ``build_id`` and endpoint).
    """
    check_endpoint(endpoint)
    graphs = graphs_to_push(quads)
    order = [g for g in (ONTOLOGY_GRAPH, SOURCES_GRAPH, DATA_GRAPH) if g in graphs]
    order += [g for g in graphs if g not in order]
    done: list[str] = []
    if resume:
        done = _resumable(state, endpoint, build_id, set(order))
    skip = set(done)
    sent = {}
    for i, graph in enumerate(order, 1):
        if graph in skip:
            continue
        body = ox.serialize(graphs[graph], format=ox.RdfFormat.N_TRIPLES)
        sep = "&" if "?" in endpoint else "?"
        url = f"{endpoint}{sep}graph={urllib.parse.quote(graph, safe='')}"
        try:
            _request("PUT", url, body, {"Content-Type": "application/n-triples"}, retries,
                     timeout, allow_insecure=allow_insecure)
        except (PeaceldError, KeyboardInterrupt) as exc:
            raise _partial(exc, graph, i, order, done, endpoint, state, build_id) from None
        done.append(graph)
        sent[graph] = len(graphs[graph])
        if progress:
            progress(i, len(order), graph)
    if state is not None:
        state.unlink(missing_ok=True)
    return sent


def _resumable(state: Path | None, endpoint: str, build_id: str, graphs: set[str]) -> list[str]:
    """The graphs a failed push of this build to this endpoint already replaced."""
    if state is None or not state.is_file():
        raise PeaceldError("nothing to resume: no failed push of this build is recorded",
                           file=state)
    try:
        doc = json.loads(state.read_text(encoding="utf-8"))
        done = [g for g in doc["replaced"] if isinstance(g, str)]
    except (OSError, ValueError, KeyError, TypeError):
        raise PeaceldError("the record of the failed push is unreadable; push again "
                           "without --resume", file=state) from None
    if doc.get("endpoint") != endpoint or doc.get("build") != build_id:
        raise PeaceldError(f"the failed push recorded here went to {doc.get('endpoint')!r} "
                           "with another build; push again without --resume", file=state)
    return [g for g in done if g in graphs]


def _partial(exc: BaseException, graph: str, i: int, order: list[str], done: list[str],
             endpoint: str, state: Path | None, build_id: str) -> PeaceldError:
    """The error of a push stopped half-way: what was replaced, and how to finish."""
    why = str(exc) if isinstance(exc, PeaceldError) else "interrupted"
    left = len(order) - len(done)
    if state is not None:
        from .atomic import write_atomic

        with contextlib.suppress(OSError):
            write_atomic(state, json.dumps({"endpoint": endpoint, "build": build_id,
                                            "replaced": done}, indent=1).encode())
    if not done:
        return PeaceldError(f"push stopped at graph {i} of {len(order)} ({graph}): {why}; no "
                            "graph was replaced, the store is as it was")
    shown = ", ".join(done[:4]) + (f" and {len(done) - 4} more" if len(done) > 4 else "")
    where = f" (all listed in {state})" if state is not None else ""
    how = ("run the same command with --resume to push them" if state is not None
           else "push again to replace them")
    return PeaceldError(f"push stopped at graph {i} of {len(order)} ({graph}): {why}; "
                        f"{len(done)} graph(s) were already replaced with this build: "
                        f"{shown}{where}; the other {left} still hold what the store had "
                        f"before: {how}")


def remote_query(endpoint: str, query: str, accept: str, timeout: float = 60,
                 max_bytes: int = MAX_ANSWER_BYTES, allow_insecure: bool = False) -> bytes:
    """POST a query to a SPARQL endpoint and return the raw response body.

    The query goes URL-encoded (the protocol's form), which every store accepts; Virtuoso
    7.2 never answers a body sent as ``application/sparql-query``. ``timeout`` bounds the
    whole exchange and ``max_bytes`` the answer.
    """
    body = urllib.parse.urlencode({"query": query}).encode("ascii")
    return _request("POST", endpoint, body,
                    {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept},
                    retries=2, timeout=timeout, allow_insecure=allow_insecure,
                    max_bytes=max_bytes)

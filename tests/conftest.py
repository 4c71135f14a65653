"""Real servers for the tests: an Oxigraph server and, where Debian's package is installed,
Virtuoso. Under CI (``PEACELD_CI=1``) a missing server fails the test instead of skipping it,
so a broken install step cannot hide."""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require(present: bool, message: str) -> None:
    """Skip the test when something it needs is missing; under CI (PEACELD_CI) fail it, so
    that a broken install step cannot hide behind a skip."""
    if present:
        return
    if os.environ.get("PEACELD_CI"):
        pytest.fail(message + " (required under CI)")
    pytest.skip(message)


def need(binary: str, package: str) -> str:
    """The path of ``binary``; skip (fail under CI) when it is not installed."""
    path = shutil.which(binary)
    require(path is not None, f"{binary} is not installed ({package})")
    assert path is not None
    return path


#: The project's shared folder beside the checkout: source articles and W3C test suites.
SHARED = Path(__file__).resolve().parents[2] / "shared"


def shared(name: str) -> Path:
    """A folder of ``../shared``; skip (fail under CI) when it is not there."""
    folder = SHARED / name
    require(folder.is_dir(), f"{folder} is missing (../shared/{name} beside the checkout)")
    return folder


def wait_for_http(url: str, proc: subprocess.Popen, seconds: float, log: Path | None = None
                  ) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            detail = log.read_text(errors="replace")[-800:] if log and log.exists() else ""
            pytest.fail(f"server exited early ({proc.returncode}): {detail}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own server
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"no answer from {url} after {seconds:.0f} s")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture()
def oxigraph_server(tmp_path: Path) -> Iterator[str]:
    """An Oxigraph server on 127.0.0.1 (PyPI package 'oxigraph'); yields its base URL."""
    binary = need("oxigraph", "PyPI package 'oxigraph'")
    port = free_port()
    proc = subprocess.Popen([binary, "serve", "--location", str(tmp_path / "db"), "--bind",
                             f"127.0.0.1:{port}", "--union-default-graph"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_for_http(f"{base}/query?query=ASK%7B%7D", proc, 30)
    yield base
    stop(proc)


VIRTUOSO_INI = """\
[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql}
DisableUnixSocket = 1
DirsAllowed = ., {d}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = {d}/www
ServerThreads = 4
MaxClientConnections = 4
[SPARQL]
ResultSetMaxRows = 100000
MaxQueryExecutionTime = 60
"""


@pytest.fixture(scope="module")
def virtuoso_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Virtuoso (Debian's 'virtuoso-opensource') on 127.0.0.1 with a fresh database; yields
    its base URL. The database administrator is dba/dba, Virtuoso's default."""
    binary = need("virtuoso-t", "Debian package 'virtuoso-opensource'")
    where = tmp_path_factory.mktemp("virtuoso")
    (where / "www").mkdir()
    port = free_port()
    ini = where / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(d=where, sql=free_port(), http=port))
    proc = subprocess.Popen([binary, "+foreground", "+configfile", str(ini)], cwd=where,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_for_http(f"{base}/sparql?query=ASK%7B%7D", proc, 120, where / "virtuoso.log")
    yield base
    stop(proc)


class Listener(http.server.BaseHTTPRequestHandler):
    """A canary on 127.0.0.1: a test that must fetch nothing asserts ``Listener.hits == []``
    (it answers like a JSON-LD context server, so a fetch would succeed if it happened)."""

    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        Listener.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/ld+json")
        self.end_headers()
        self.wfile.write(b'{"@context": {"sh": "http://www.w3.org/ns/shacl#", '
                         b'"name": "http://schema.org/name"}}')

    do_POST = do_GET  # noqa: N815 - a SPARQL SERVICE call would POST

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def listener() -> Iterator[str]:
    """The URL of a fresh canary listener (its hits start empty)."""
    Listener.hits = []
    server = http.server.HTTPServer(("127.0.0.1", 0), Listener)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()

"""Hostile input and unlucky users: one regression test per class of issue 14.

Leaks (files outside the project, SERVICE, file: endpoints, owl:imports, credentials),
tracebacks (each bad input is one line, exit 2), hangs and memory (timeouts, caps, Ctrl-C,
slow and huge endpoint answers), and escaping of what data prints.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hostile import answer, drip, flood, non_loopback_address, raw, serving, wait_until

import peaceld.cli.render as render
import peaceld.query as query_module
from peaceld.build import build
from peaceld.cli import main
from peaceld.errors import PeaceldError
from peaceld.ontology import check_ontology
from peaceld.project import ProjectFolder, bundled_root
from peaceld.query import run_local, run_remote, service_calls
from peaceld.rdfio import load_dataset
from peaceld.records import load_yaml
from peaceld.store import _request, ensure_store, push, remote_query

ROOT = bundled_root()
WT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(WT)}
ARTICLE = "article:\n  id: a1\n  title: T\n  ai_written: not-declared\n"
ORG = "facts:\n  - kind: organisation\n    at: s0p1\n    id: o1\n    name: N\n"
CROSS = "SELECT * { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?a ?i ?f"


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("kg") / "dist"
    build(ROOT, out_dir=out, validate=False)
    ensure_store(out)
    return out


def new_project(where: Path, toml: str = "", files: dict[str, bytes | str] | None = None
                ) -> Path:
    result = CliRunner().invoke(main, ["init", str(where)])
    assert result.exit_code == 0, result.output
    with (where / "peaceld.toml").open("a", encoding="utf-8") as handle:
        handle.write(toml)
    for name, data in (files or {}).items():
        path = where / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
    return where


def one_line_error(result, *where: str) -> str:  # noqa: ANN001 - a click Result
    """The single error line of a CLI run that must fail cleanly (exit 2, no traceback)."""
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"traceback: {result.exception!r}")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, result.stderr
    for part in where:
        assert part in lines[0], lines[0]
    return lines[0]


# --- leaks -----------------------------------------------------------------------------------


@pytest.mark.parametrize("pattern", ["../secret/*.csv", "/SECRET/secret.csv",
                                     "data/../../secret/secret.csv", "link/*.csv"])
def test_leak_inputs_outside_the_project(tmp_path: Path, pattern: str) -> None:
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "secret.csv").write_text("operation;country;iso3;month;troops\nx;Secret;SEC;"
                                       "01/2020;1\n")
    project = new_project(tmp_path / "p", "[[inputs]]\nfiles = [\"" +
                          pattern.replace("/SECRET", str(secret)) +
                          "\"]\nmapping = \"mappings/c.yaml\"\n",
                          {"mappings/c.yaml": (ROOT / "mappings/contributions.yaml").read_text()})
    (project / "link").symlink_to(secret)
    result = CliRunner().invoke(main, ["build", "-q", str(project)])
    line = one_line_error(result, "peaceld.toml")
    assert "outside" in line or "inside" in line
    assert not (project / "dist").exists()


def test_leak_inputs_outside_the_project_mapping(tmp_path: Path) -> None:
    (tmp_path / "evil.yaml").write_text("rules: []\n")
    project = new_project(tmp_path / "p", '[[inputs]]\nfiles = []\nmapping = "../evil.yaml"\n')
    with pytest.raises(PeaceldError, match="inside"):
        ProjectFolder.open(project).extra_inputs()


@pytest.mark.parametrize("text", [
    "SELECT * WHERE { BIND(<http://x/#> AS ?z) SERVICE <{url}/s> { ?s ?p ?o } }",
    "SELECT * WHERE { BIND('it\\'s' AS ?z) SERVICE <{url}/s> { ?s ?p ?o } }",
    "SELECT * WHERE { BIND(\"#\" AS ?z) service <{url}/s> { ?s ?p ?o } }",
    "SELECT * WHERE { BIND('''a'' # ''' AS ?z)\n SeRvIcE SILENT <{url}/s> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o FILTER(?s<?o) SERVICE<{url}/s>{ ?s ?p ?o } }",
])
@pytest.mark.slow
def test_leak_service_guard_bypass(dist: Path, text: str) -> None:
    with serving(answer("200 OK", b"{}")) as canary:
        query = text.replace("{url}", canary.url)
        assert service_calls(query)
        with pytest.raises(PeaceldError, match="SERVICE calls are refused"):
            run_local(query, location=dist / "store", fmt="json", timeout=10)
        result = CliRunner().invoke(main, ["query", "--dist", str(dist), "-e", query])
        one_line_error(result, "-e:", "SERVICE")
        time.sleep(0.2)
        assert canary.connections == 0


def test_leak_service_guard_reads_sparql_not_words() -> None:
    """What only looks like SERVICE (an IRI, a string, a comment, a variable, a prefixed
    name) is not refused."""
    assert service_calls('SELECT ?service { ?s <http://x/SERVICE> "SERVICE" . ?s pld:x '
                         "'SERVICE' # SERVICE\n }") == []
    assert service_calls("SELECT * { ?s service:x ?o }") == []


@pytest.mark.parametrize("endpoint", ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://x/",
                                      "/etc/passwd", "http://user:pw@127.0.0.1:9/q",
                                      "http:///nohost"])
def test_leak_endpoint_scheme(endpoint: str) -> None:
    result = CliRunner().invoke(main, ["query", "--endpoint", endpoint, "-e",
                                       "SELECT * {?s ?p ?o}"])
    one_line_error(result)
    assert "root:" not in result.output
    with pytest.raises(PeaceldError):
        push(endpoint, [])


def test_leak_ontology_imports_not_followed(tmp_path: Path) -> None:
    """``ontology check`` reasons over the file alone: an imported URL is never requested
    and an imported file (which would make the ontology inconsistent) is never read."""
    if shutil.which("java") is None:
        pytest.skip("Java is not installed")
    poison = tmp_path / "poison.ttl"
    poison.write_text("@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
                      "<http://x/A> owl:disjointWith <http://x/B> .\n"
                      "<http://x/i> a <http://x/A>, <http://x/B> .\n")
    with serving(answer("200 OK", poison.read_bytes())) as canary:
        onto = tmp_path / "o.ttl"
        onto.write_text("@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
                        f"<http://x/o> a owl:Ontology ; owl:imports <{canary.url}/o.ttl>, "
                        f"<{poison.as_uri()}> .\n<http://x/A> a owl:Class .\n")
        report = check_ontology(onto)
        time.sleep(0.2)
        assert canary.connections == 0
    assert report.reasoner == "consistent"
    assert sum(f.code == "imports-not-followed" for f in report.findings) == 2


def redirect_to(url: str):  # noqa: ANN201 - a handler
    return answer("302 Found", b"", {"Location": url})


@pytest.mark.parametrize("status", ["301 Moved Permanently", "302 Found",
                                    "307 Temporary Redirect", "308 Permanent Redirect"])
def test_leak_credentials_on_redirect(monkeypatch: pytest.MonkeyPatch, status: str) -> None:
    monkeypatch.setenv("PEACELD_TOKEN", "s3cret-token")
    with serving(answer("200 OK", b"{}")) as other:
        other_url = other.url.replace("127.0.0.1", "localhost")
        with serving(answer(status, b"", {"Location": f"{other_url}/steal"})) as endpoint:
            with pytest.raises(PeaceldError, match="redirect .* not followed"):
                remote_query(f"{endpoint.url}/query", "ASK {}", "application/json", 5)
            time.sleep(0.2)
            assert other.connections == 0
            assert b"s3cret-token" in endpoint.requests[0]  # the endpoint itself may have it


def test_leak_credentials_over_plain_http(monkeypatch: pytest.MonkeyPatch) -> None:
    """A token is never sent over plain http to another machine; Basic credentials are
    sent only after a challenge, and then only with --allow-insecure (with a warning)."""
    monkeypatch.setenv("PEACELD_TOKEN", "s3cret-token")
    with pytest.raises(PeaceldError, match="plain http"):
        _request("PUT", "http://192.0.2.1:9/store", b"", {}, retries=0, timeout=2)
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no address other than loopback")
    monkeypatch.delenv("PEACELD_TOKEN")
    monkeypatch.setenv("PEACELD_USER", "admin")
    monkeypatch.setenv("PEACELD_PASSWORD", "pw-not-for-the-wire")
    challenge = answer("401 Unauthorized", b"", {"WWW-Authenticate": 'Basic realm="x"'})
    with serving(challenge, host=address) as server:
        with pytest.raises(PeaceldError, match="plain http"):
            _request("PUT", f"{server.url}/store?graph=g", b"x", {}, retries=0, timeout=5)
        assert len(server.requests) == 1
        assert b"Authorization" not in server.requests[0]
        with pytest.raises(PeaceldError, match="HTTP 401"):
            _request("PUT", f"{server.url}/store?graph=g", b"x", {}, retries=0, timeout=5,
                     allow_insecure=True)
        assert b"Authorization: Basic" in server.requests[-1]


# --- tracebacks ------------------------------------------------------------------------------

FACTS = {
    "bad date": ("    founded: 2024-13-45\n", ":10:"),
    "5000-digit integer": ("    founded: " + "9" * 5000 + "\n", ":10:"),
    "integer key": ("    123: x\n", ":10:"),
    "boolean key": ("    yes: x\n", ":10:"),
    "deep nesting": ("    note: " + "[" * 20000 + "]" * 20000 + "\n", ":10"),
    "set tag": ("    aka: !!set {a, b}\n", ":10:"),
    "python tag": ("    note: !!python/object/apply:os.system [echo hi]\n", ":10:"),
    "local tag": ("    note: !mine x\n", ":10:"),
    "binary tag": ("    note: !!binary aGk=\n", ":10:"),
}


@pytest.mark.parametrize("case", sorted(FACTS))
def test_traceback_facts(tmp_path: Path, case: str) -> None:
    body, where = FACTS[case]
    project = new_project(tmp_path / "p", files={"facts/a1.yaml": ARTICLE + ORG + body})
    result = CliRunner().invoke(main, ["build", "-q", str(project)])
    one_line_error(result, "a1.yaml" + where)


def test_traceback_facts_kind_not_a_word(tmp_path: Path) -> None:
    project = new_project(tmp_path / "p", files={
        "facts/a1.yaml": ARTICLE + "facts:\n  - kind: [organisation]\n    at: s0p1\n    id: o\n"})
    one_line_error(CliRunner().invoke(main, ["build", "-q", str(project)]), "a1.yaml:6:", "kind")


def test_traceback_yaml_alias_bomb(tmp_path: Path) -> None:
    """A 1 KB "billion laughs" document is refused at once, not expanded."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(9):
        x, y = chr(97 + i), chr(98 + i)
        lines.append(f"{y}: &{y} [" + ",".join([f"*{x}"] * 9) + "]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    assert path.stat().st_size < 1024
    start = time.monotonic()
    with pytest.raises(PeaceldError, match="expands to more than"):
        load_yaml(path)
    assert time.monotonic() - start < 2
    recursive = tmp_path / "loop.yaml"
    recursive.write_text("a: &a [1, *a]\n")
    with pytest.raises(PeaceldError, match="recursive"):
        load_yaml(recursive)


def test_traceback_yaml_document_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import peaceld.records as records

    monkeypatch.setattr(records, "MAX_YAML_BYTES", 1000)
    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * 2000 + "\n")
    with pytest.raises(PeaceldError, match="larger than"):
        load_yaml(path)


def test_traceback_yaml_set_makes_no_unreproducible_build(tmp_path: Path) -> None:
    """``!!set`` (unordered) is refused; plain lists keep builds byte-identical."""
    path = tmp_path / "f.yaml"
    path.write_text("a: !!set {x, y, z}\n")
    with pytest.raises(PeaceldError, match="!!set"):
        load_yaml(path)
    path.write_text("a: &x {p: 1}\nb:\n  <<: *x\n  q: [2024-01-02, 1.5, yes, ~]\n")
    doc = load_yaml(path)
    assert doc["b"]["p"] == 1 and doc["b"]["q"][2] is True


TOMLS = {
    "inputs without mapping": ('[[inputs]]\nfiles = ["x.csv"]\n', ":19:"),
    "inputs as a string": ('inputs = "abc"\n', ":"),
    "files as a number": ('[[inputs]]\nfiles = 5\nmapping = "m.yaml"\n', ":20:"),
    "mapping as a number": ('[[inputs]]\nfiles = []\nmapping = 3\n', ":21:"),
    "reuse as a string": ('', ""),
    "unknown table": ('[buld]\nreuse = true\n', ":19:"),
    "absolute path": ('[[inputs]]\nfiles = ["/etc/*"]\nmapping = "m.yaml"\n', ":20:"),
    "syntax": ('[[inputs]\n', ":19:"),
}


@pytest.mark.parametrize("case", sorted(TOMLS))
def test_traceback_peaceld_toml(tmp_path: Path, case: str) -> None:
    toml, where = TOMLS[case]
    project = new_project(tmp_path / "p")
    cfg = project / "peaceld.toml"
    if case == "inputs as a string":
        cfg.write_text('inputs = "abc"\n' + cfg.read_text())
    elif case == "reuse as a string":
        cfg.write_text(cfg.read_text().replace("reuse = true", 'reuse = "yes"'))
    else:
        cfg.write_text(cfg.read_text() + toml)
    one_line_error(CliRunner().invoke(main, ["build", "-q", str(project)]),
                   "peaceld.toml" + where)


def test_traceback_peaceld_toml_not_utf8(tmp_path: Path) -> None:
    project = new_project(tmp_path / "p")
    with (project / "peaceld.toml").open("ab") as handle:
        handle.write(b"# caf\xe9\n")
    one_line_error(CliRunner().invoke(main, ["build", "-q", str(project)]),
                   "peaceld.toml:19:", "UTF-8")


def test_traceback_queries(dist: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    for bad in ("nan", "inf", "-1", "0"):
        one_line_error(runner.invoke(main, ["query", "--dist", str(dist), "--timeout", bad,
                                            "-e", "ASK {}"]), "--timeout")
    project = new_project(tmp_path / "p")
    (project / "queries" / "bad.rq").write_bytes(b"# title: x\xff\nASK {}\n")
    monkeypatch.chdir(project)
    listed = runner.invoke(main, ["query", "--list"])
    assert listed.exit_code == 0 and "operations-by-lead" in listed.output
    assert "bad.rq:1: not valid UTF-8" in listed.stderr
    one_line_error(runner.invoke(main, ["query", "--dist", str(dist),
                                        str(project / "queries" / "bad.rq")]), "bad.rq:1:")
    one_line_error(runner.invoke(main, ["query", "--dist", str(dist), "-n", "[/x]"]), "[/x]")


ANSWERS = {
    "not JSON": answer("200 OK", b"<html>hello</html>"),
    "not UTF-8": answer("200 OK", b'{"head": {"vars": ["x\xff"]}, "results": {"bindings": []}}'),
    "cut short": raw(b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{\"head\": {"),
    "garbage status line": raw(b"HTTP/9 \xff\xfe nonsense\r\n\r\n"),
    "no status line": raw(b"\x00\x01\x02"),
    "wrong JSON shape": answer("200 OK", b'{"head": 5}'),
    "server error": answer("500 Oops", b"\x1b[2Jboom"),
}


@pytest.mark.parametrize("case", sorted(ANSWERS))
def test_traceback_endpoint_answers(case: str) -> None:
    with serving(ANSWERS[case]) as server:
        result = CliRunner().invoke(main, ["query", "--endpoint", f"{server.url}/q",
                                           "--timeout", "5", "-e", "SELECT * {?s ?p ?o}"])
    line = one_line_error(result)
    assert "\x1b" not in line


def test_traceback_read_only_dist(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes to read-only folders")
    out = tmp_path / "dist"
    build(ROOT, out_dir=out, validate=False)
    out.resolve().chmod(0o555)
    try:
        one_line_error(CliRunner().invoke(main, ["query", "--dist", str(out), "-e", "ASK {}"]))
    finally:
        out.resolve().chmod(0o755)


@pytest.mark.slow
def test_traceback_read_only_dist_as_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    """Where permissions do not stop us (root), a store that cannot be written is one line."""
    out = tmp_path / "dist"
    build(ROOT, out_dir=out, validate=False)

    def refuse(*_args: object) -> None:
        raise PermissionError(13, "Permission denied")

    import peaceld.store as store

    monkeypatch.setattr(store, "load_store", refuse)
    one_line_error(CliRunner().invoke(main, ["query", "--dist", str(out), "-e", "ASK {}"]),
                   "Permission denied")
    assert not list(out.resolve().glob(".store-*"))


def test_traceback_terminal_escapes_in_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """Data never acts on the terminal: escape sequences are shown, markup is text."""
    buffer = io.StringIO()

    def fake_console(stderr: bool = False):  # noqa: ANN202
        from rich.console import Console

        return Console(file=buffer, force_terminal=True, width=200, highlight=False)

    monkeypatch.setattr(render, "console", fake_console)
    hostile = ["\x1b]0;PWN\x07\x1b[2J", "[link=http://evil.example]click[/link]", "[/x]",
               "a\u202eb", "\x9b31m"]
    render.print_table("t [/x]", ["name"], [[h] for h in hostile])
    out = buffer.getvalue()
    assert "PWN\x07" not in out and "\x1b]0;" not in out and "\x1b[2J" not in out
    assert "\\x1b]0;PWN\\x07\\x1b[2J" in out
    assert "[link=http://evil.example]click[/link]" in out and "\x1b]8;" not in out
    assert "\u202e" not in out and "\\u202e" in out and "\x9b" not in out
    assert str(PeaceldError("bad \x1b[2J", file="x\x1b.yaml")) == "x\\x1b.yaml: bad \\x1b[2J"


def test_traceback_terminal_escapes_from_a_query(dist: Path) -> None:
    result = CliRunner().invoke(main, ["query", "--dist", str(dist), "-e",
                                       'SELECT ?x { BIND("\\u001b]0;PWN\\u0007[/x]" AS ?x) }'])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout and "\\x1b]0;PWN\\x07[/x]" in result.stdout


# --- hangs and memory ------------------------------------------------------------------------


def test_hang_default_query_timeout(dist: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A query without --timeout still stops (at the default, made short here)."""
    monkeypatch.setattr(query_module, "DEFAULT_TIMEOUT", 1.0)
    start = time.monotonic()
    with pytest.raises(PeaceldError, match="stopped after 1 s"):
        run_local(CROSS, location=dist / "store", fmt="json")
    assert time.monotonic() - start < 4


def test_hang_query_memory_cap(dist: Path) -> None:
    start = time.monotonic()
    result = CliRunner().invoke(main, ["query", "--dist", str(dist), "--max-memory", "200",
                                       "-e", CROSS])
    one_line_error(result, "200 MB", "--max-memory")
    assert time.monotonic() - start < 30


@pytest.mark.slow
def test_hang_ctrl_c_stops_a_query_within_a_second(dist: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "peaceld", "query", "--dist", str(dist),
                             "-e", "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"],
                            env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.5)  # started and inside the query
    assert proc.poll() is None
    start = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=10)
    assert time.monotonic() - start < 1.0
    assert proc.returncode == 130 and err.strip() == "interrupted", err


@pytest.mark.slow
def test_hang_endpoint_slow_drip() -> None:
    stop = threading.Event()
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n\r\n{"
    try:
        with serving(drip(head, 0.3, stop)) as server:
            start = time.monotonic()
            with pytest.raises(PeaceldError, match="no complete answer within 2 s"):
                run_remote(f"{server.url}/q", "SELECT * {?s ?p ?o}", fmt="json", timeout=2)
            assert time.monotonic() - start < 3.5
            stop.set()
        stop.clear()
        with serving(drip(b"HTTP/1.1 2", 0.3, stop)) as server:  # the status line drips too
            start = time.monotonic()
            with pytest.raises(PeaceldError, match="no complete answer"):
                run_remote(f"{server.url}/q", "ASK {}", fmt="json", timeout=1.5)
            assert time.monotonic() - start < 3
    finally:
        stop.set()


@pytest.mark.parametrize("with_length", [True, False])
def test_hang_endpoint_huge_answer(with_length: bool) -> None:
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with serving(flood(1 << 30, with_length)) as server:
        result = CliRunner().invoke(main, ["query", "--endpoint", f"{server.url}/q",
                                           "--max-memory", "8", "-e", "SELECT * {?s ?p ?o}"])
    one_line_error(result, "larger than" if not with_length else "more than")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # KB


def test_hang_endpoint_deadline_covers_a_dead_server() -> None:
    """A server that accepts and never answers is given up after the deadline, once."""
    with serving(lambda conn, _r: time.sleep(10)) as server:
        start = time.monotonic()
        with pytest.raises(PeaceldError, match="no complete answer"):
            remote_query(f"{server.url}/q", "ASK {}", "application/json", timeout=1)
        assert time.monotonic() - start < 2.5
        assert wait_until(lambda: server.connections == 1, 1)


# --- push tells the truth --------------------------------------------------------------------


@pytest.mark.slow
def test_push_partial_failure_then_resume(oxigraph_server: str, dist: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A push that fails on the 11th graph names the 10 it replaced and how to finish;
    ``--resume`` pushes only the rest, and the store then answers like the embedded one."""
    import peaceld.store as store

    real, calls = store._http, [0]

    def eleventh_fails(method: str, url: str, *args: object, **kwargs: object):  # noqa: ANN202
        calls[0] += 1
        if calls[0] == 11:
            return 500, "Internal Server Error", {}, b"disk full"
        return real(method, url, *args, **kwargs)

    monkeypatch.setattr(store, "_http", eleventh_fails)
    monkeypatch.setenv("PEACELD_TOKEN", "t0ken")  # loopback over http: allowed, no flag
    endpoint = f"{oxigraph_server}/store"
    runner = CliRunner()
    line = one_line_error(runner.invoke(main, ["push", "--endpoint", endpoint, "--dist",
                                               str(dist), "--retries", "0"]))
    assert "stopped at graph 11 of" in line and "10 graph(s) were already replaced" in line
    assert "--resume" in line and "HTTP 500" in line
    state = json.loads((dist / ".push-state.json").read_text())
    assert len(state["replaced"]) == 10 and state["endpoint"] == endpoint
    monkeypatch.setattr(store, "_http", real)
    result = runner.invoke(main, ["push", "--endpoint", endpoint, "--dist", str(dist),
                                  "--resume"])
    assert result.exit_code == 0, result.output
    assert not (dist / ".push-state.json").exists()
    graphs = store.graphs_to_push(load_dataset(dist / "peaceld.nq"))
    assert f"Pushed {len(graphs) - 10} graphs" in result.stdout
    count = "SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    body = run_remote(f"{oxigraph_server}/query", count, fmt="csv").data
    rows = body.decode().split("\r\n")[1:-1]
    assert {g: int(n) for g, n in (row.split(",") for row in rows)} == {
        g: len(t) for g, t in graphs.items()}
    again = runner.invoke(main, ["push", "--endpoint", endpoint, "--dist", str(dist),
                                 "--resume"])
    one_line_error(again, "nothing to resume")


def test_push_insecure_http_refused_before_anything_is_sent(dist: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    monkeypatch.setenv("PEACELD_TOKEN", "t0ken")
    result = CliRunner().invoke(main, ["push", "--endpoint", "http://192.0.2.1:9/store",
                                       "--dist", str(dist), "--retries", "0"])
    line = one_line_error(result, "plain http", "--allow-insecure")
    assert "no graph was replaced" in line

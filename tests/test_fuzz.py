"""Seeded mutation fuzzing of every input peaceld reads: facts, mappings, peaceld.toml, CSV,
RDF, SPARQL and endpoint answers (4,200 cases, about 30 s).

Every case must end in a result or in one ``PeaceldError`` line: never another exception.
Meanwhile a canary listener on 127.0.0.1 (whose URL the mutations plant everywhere: in
SERVICE calls, owl:imports, JSON-LD contexts, paths) must receive no connection, and an
audit hook checks that no file outside the project, the package and Python is opened.
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest
from hostile import RawServer, serving

from peaceld.errors import PeaceldError
from peaceld.project import ProjectFolder, bundled_root
from peaceld.query import run_local, run_remote
from peaceld.rdfio import parse_file
from peaceld.records import load_yaml, read_csv, read_facts

ROOT = bundled_root()
SEED = int(os.environ.get("PEACELD_FUZZ_SEED", "14"))
CSV = ("operation;country;iso3;month;troops;police;female_share;verified\n"
       'unmil;Ghana;GHA;03/2004;1.034;12;"4,5";No\n'
       'minusma;"Chad; Republic of";TCD;2019-07;1.390;;"2,1";yes\n')
RDF_TTL = (ROOT / "ontology" / "peaceld.ttl").read_text(encoding="utf-8")[:6000]
RDF_JSONLD = ('{"@context": {"pld": "https://w3id.org/peaceld/ontology#"}, "@id": "pld:x", '
              '"pld:label": "x", "@type": "pld:Thing"}')
ANSWER = (b'{"head": {"vars": ["s", "n"]}, "results": {"bindings": [{"s": {"type": "uri", '
          b'"value": "http://x/a"}, "n": {"type": "literal", "value": "1", "datatype": '
          b'"http://www.w3.org/2001/XMLSchema#integer"}}]}}')
QUERIES = [q.read_text(encoding="utf-8") for q in sorted((ROOT / "queries").glob("*.rq"))]

# --- the watchers ----------------------------------------------------------------------------

_WATCH: dict[str, object] = {"on": False, "allowed": (), "outside": []}


def _audit(event: str, args: tuple) -> None:
    if not _WATCH["on"] or event != "open" or not args or not isinstance(args[0], str | bytes):
        return
    path = os.fsdecode(args[0])
    if not os.path.isabs(path):
        path = os.path.join(os.getcwd(), path)
    path = os.path.normpath(path)
    if not path.startswith(_WATCH["allowed"]):  # type: ignore[arg-type]
        _WATCH["outside"].append(path)  # type: ignore[union-attr]


sys.addaudithook(_audit)


def allowed_roots(project: Path) -> tuple[str, ...]:
    roots = {str(project), str(ROOT), str(Path(__file__).parent), sys.prefix, sys.base_prefix,
             "/dev/null", "/dev/urandom", "/proc/self", "/sys/fs/cgroup", "/proc/meminfo",
             "/proc/cpuinfo", "/sys/devices/system/cpu"}
    roots |= {p for p in sys.path if p and os.path.isdir(p) and p not in ("/", "/tmp")}
    return tuple(sorted(r.rstrip("/") for r in roots if r))


# --- mutation --------------------------------------------------------------------------------


def hostile_tokens(canary: str) -> list[str]:
    return ["../../../../etc/passwd", "/etc/passwd", "file:///etc/passwd", f"{canary}/x",
            f"<{canary}/s>", f" SERVICE <{canary}/s> {{ ?s ?p ?o }} ", f"SERVICE<{canary}>{{}}",
            f"owl:imports <{canary}/o.ttl> ;", f'"@context": "{canary}/ctx",',
            "!!set {a, b}", "!!python/object/apply:os.system [id]", "&a [*a, *a]", "*a", "&a",
            "\x1b]0;PWN\x07", "[/x]", "[link=http://x]y[/link]", "9" * 5000, "2024-13-45",
            "\x00", "\r", "\n", "\t", "'", '"', "#", "{", "}", "[", "]", ":", ";", ",", "<",
            ">", "\\", "\\u0000", "yes", "~", "- ", "  ", "\ufeff", "\u202e", "é", "nan", "-1",
            "1e999", '"""', "'''", "@prefix x: <", "_:b", "GRAPH", "FILTER(", "ORDER BY ?s",
            "LIMIT 0", "[[inputs]]", "files = [", 'mapping = "', "reuse = ", "[project]"]


def mutate(data: str, rng: random.Random, tokens: list[str]) -> str:
    """A few random edits: insert a hostile token, delete, duplicate or swap lines, flip a
    character, truncate."""
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(7)
        at = rng.randrange(len(data) + 1)
        if op <= 1:
            data = data[:at] + rng.choice(tokens) + data[at:]
        elif op == 2:
            data = data[:at] + data[at + rng.randint(1, 40):]
        elif op == 3:
            lines = data.split("\n")
            i = rng.randrange(len(lines))
            lines.insert(rng.randrange(len(lines) + 1), lines[i])
            data = "\n".join(lines)
        elif op == 4:
            lines = data.split("\n")
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
            data = "\n".join(lines)
        elif op == 5 and data:
            i = rng.randrange(len(data))
            data = data[:i] + chr(rng.choice([0, 9, 10, 13, 27, 34, 39, 58, 91, 93, 123, 125,
                                               rng.randrange(32, 0x2FF)])) + data[i + 1:]
        else:
            data = data[:at]
    return data


def to_bytes(text: str, rng: random.Random) -> bytes:
    """Mostly UTF-8; sometimes a stray byte that is not."""
    raw_bytes = text.encode("utf-8", errors="surrogatepass")
    if rng.random() < 0.1:
        at = rng.randrange(len(raw_bytes) + 1)
        raw_bytes = raw_bytes[:at] + rng.choice([b"\xff", b"\xc3", b"\xfe\xff"]) + raw_bytes[at:]
    return raw_bytes


# --- the targets -----------------------------------------------------------------------------


def _facts(path: Path) -> object:
    return list(read_facts(path))


def _yaml(path: Path) -> object:
    return load_yaml(path)


def _toml(path: Path) -> object:
    return ProjectFolder.open(path.parent).extra_inputs()


def _csv(path: Path) -> object:
    return list(read_csv(path))


def _rdf(path: Path) -> object:
    return parse_file(path)


CASES: list[tuple[str, int, Callable[[Path], object], str, list[str]]] = [
    # (name, cases, target, file name, seeds)
    ("facts", 900, _facts, "facts/f.yaml",
     [p.read_text(encoding="utf-8")[:5000] for p in sorted((ROOT / "facts").glob("*.yaml"))]),
    ("mapping", 500, _yaml, "mappings/m.yaml",
     [p.read_text(encoding="utf-8") for p in sorted((ROOT / "mappings").glob("*.yaml"))]),
    ("toml", 600, _toml, "peaceld.toml",
     [(ROOT / "peaceld.toml").read_text(encoding="utf-8")
      + '\n[[inputs]]\nfiles = ["data/*.csv"]\nmapping = "mappings/m.yaml"\n']),
    ("csv", 500, _csv, "data/d.csv", [CSV]),
    ("turtle", 400, _rdf, "data/o.ttl", [RDF_TTL]),
    ("jsonld", 200, _rdf, "data/o.jsonld", [RDF_JSONLD]),
]


@pytest.fixture(scope="module")
def canary() -> RawServer:
    with serving(None) as server:
        yield server


def check(outcome: list[str], name: str, n: int, run: Callable[[], object]) -> None:
    try:
        run()
    except PeaceldError as exc:
        if "\n" in str(exc):
            outcome.append(f"{name} #{n}: a message of several lines: {str(exc)[:200]!r}")
    except RecursionError:
        outcome.append(f"{name} #{n}: RecursionError")
    except Exception as exc:  # noqa: BLE001 - this is what the fuzzer looks for
        outcome.append(f"{name} #{n}: {type(exc).__name__}: {str(exc)[:200]}")


def watch(project: Path) -> None:
    _WATCH.update(on=True, allowed=allowed_roots(project), outside=[])


@pytest.mark.slow
def test_fuzz_files(tmp_path: Path, canary: RawServer) -> None:
    """Facts, mappings, peaceld.toml, CSV and RDF: 3,100 mutated files."""
    rng = random.Random(SEED)
    tokens = hostile_tokens(canary.url)
    project = tmp_path / "p"
    for part in ("facts", "mappings", "data"):
        (project / part).mkdir(parents=True)
    (project / "mappings" / "m.yaml").write_text("rules: []\n")
    (project / "data" / "d.csv").write_text(CSV)
    failures: list[str] = []
    total = 0
    watch(project)
    with open(os.devnull.replace("null", "zero"), "rb"):  # the hook does see reads elsewhere
        pass
    assert _WATCH["outside"] == ["/dev/zero"]
    _WATCH["outside"] = []
    try:
        for name, count, target, file, seeds in CASES:
            path = project / file
            for n in range(count):
                path.write_bytes(to_bytes(mutate(rng.choice(seeds), rng, tokens), rng))
                check(failures, name, n, lambda t=target, p=path: t(p))
                total += 1
            if file == "peaceld.toml":
                path.write_text('[project]\nname = "p"\n')
    finally:
        _WATCH["on"] = False
    assert total == sum(c[1] for c in CASES) >= 3000
    assert failures == [], f"{len(failures)} of {total} cases failed:\n" + "\n".join(failures[:20])
    assert _WATCH["outside"] == [], sorted(set(_WATCH["outside"]))[:10]
    assert canary.connections == 0


@pytest.mark.slow
def test_fuzz_sparql(tmp_path: Path, canary: RawServer) -> None:
    """600 mutated library queries on a small store: no SERVICE call ever leaves."""
    rng = random.Random(SEED + 1)
    tokens = hostile_tokens(canary.url)
    quads = ox.serialize(parse_file(ROOT / "ontology" / "peaceld.ttl")[:300],
                         format=ox.RdfFormat.N_QUADS)
    failures: list[str] = []
    watch(tmp_path)
    try:
        for n in range(600):
            text = mutate(rng.choice(QUERIES), rng, tokens)
            check(failures, "sparql", n, lambda t=text: run_local(t, quads_nq=quads,
                                                                  timeout=5))
    finally:
        _WATCH["on"] = False
    assert failures == [], "\n".join(failures[:20])
    assert _WATCH["outside"] == [], sorted(set(_WATCH["outside"]))[:10]
    assert canary.connections == 0


def test_fuzz_endpoint_answers(canary: RawServer) -> None:
    """500 mutated endpoint answers (status line, headers, body) give a result or one line."""
    rng = random.Random(SEED + 2)
    tokens = hostile_tokens(canary.url)
    head = "HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
    failures: list[str] = []
    start = time.monotonic()
    message = [b""]
    with serving(lambda conn, _request: conn.sendall(message[0])) as server:
        for n in range(500):
            body = to_bytes(mutate(ANSWER.decode(), rng, tokens), rng)
            top = head if rng.random() < 0.7 else mutate(head, rng, tokens)
            length = f"Content-Length: {len(body) + rng.choice([0, 0, 0, 5, -3])}\r\n"
            message[0] = to_bytes(top + length + "Connection: close\r\n\r\n", rng) + body
            fmt = rng.choice(["json", "csv", "tsv", "xml"])
            form = rng.choice(["SELECT * { ?s ?p ?o }", "ASK { ?s ?p ?o }"])
            check(failures, "answer", n, lambda f=fmt, q=form: run_remote(
                f"{server.url}/q", q, fmt=f, timeout=2))
    assert failures == [], "\n".join(failures[:20])
    assert canary.connections == 0
    assert time.monotonic() - start < 60

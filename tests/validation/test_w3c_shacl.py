"""The W3C SHACL test suite (Core and SHACL-SPARQL, github w3c/data-shapes), read from
``../shared/w3c/shacl`` (not copied into the project). Under CI (``PEACELD_CI``) a missing
suite fails instead of skipping.

Per manifest entry: sh:conforms and the multiset of results (focus node, path, value,
severity, source shape, constraint component) must equal the expected report, as the suite's
comparison by graph isomorphism over those properties does: a blank node standing for a
focus node, value or source shape matches any blank node (the report graph holds nothing
else about it); a blank-node path is compared by its structure. An entry whose result is
sht:Failure must be refused with a clean error.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from conftest import SHARED

from peaceld.errors import PeaceldError
from peaceld.validation import canonical, path_text, validate_files

SUITE = SHARED / "w3c" / "shacl"
MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
SHT = "http://www.w3.org/ns/shacl-test#"
SH = "http://www.w3.org/ns/shacl#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


class Graph:
    """A parsed test file, with the two accessors path_text needs."""

    def __init__(self, path: Path) -> None:
        self.triples: dict[tuple[Any, str], list] = {}
        for t in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=path.as_uri()):
            self.triples.setdefault((t.subject, t.predicate.value), []).append(t.object)

    def objects(self, s: Any, p: str) -> list:
        return self.triples.get((s, p), [])

    def one(self, s: Any, p: str) -> Any:
        values = self.objects(s, p)
        return values[0] if values else None

    def items(self, head: Any) -> list:
        out = []
        while head is not None and head != ox.NamedNode(RDF + "nil"):
            out.append(self.one(head, RDF + "first"))
            head = self.one(head, RDF + "rest")
        return out


def entries() -> list[tuple[str, Path, Any]]:
    """Every sht:Validate entry reachable from the two top manifests."""
    found = []
    todo = [SUITE / "core" / "manifest.ttl", SUITE / "sparql" / "manifest.ttl"]
    seen: set[Path] = set()
    while todo:
        path = todo.pop(0)
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        g = Graph(path)
        for (_, p), objects in g.triples.items():
            if p == MF + "include":
                todo += [Path(o.value.removeprefix("file://")) for o in objects]
        for (_, p), objects in list(g.triples.items()):
            for entry in g.items(objects[0]) if p == MF + "entries" else []:
                name = f"{path.parent.relative_to(SUITE)}/{entry.value.rsplit('/', 1)[-1]}"
                found.append((name, path, entry))
    return sorted(found, key=lambda e: e[0])


ENTRIES = entries() if SUITE.is_dir() else []
#: Entries no engine here passes, and why (docs/validation.md).
KNOWN: dict[str, str] = {}


def test_the_suite_is_there() -> None:
    if not SUITE.is_dir():
        message = f"the W3C SHACL suite is not at {SUITE}"
        if os.environ.get("PEACELD_CI"):
            pytest.fail(message)
        pytest.skip(message)
    core = [e for e in ENTRIES if e[0].startswith("core/")]
    assert len(core) >= 98 and len(ENTRIES) - len(core) >= 20


def _term(g: Graph | None, term: Any) -> str | None:
    if term is None:
        return None
    if isinstance(term, ox.BlankNode):
        return "_:"
    return canonical(str(term))


def expected(path: Path, entry: Any) -> tuple[bool, Counter] | None:
    """The expected sh:conforms and results; None when the entry expects a failure."""
    g = Graph(path)
    result = g.one(entry, MF + "result")
    if result == ox.NamedNode(SHT + "Failure"):
        return None
    conforms = g.one(result, SH + "conforms").value == "true"
    rows: Counter = Counter()
    for r in g.objects(result, SH + "result"):
        path_term = g.one(r, SH + "resultPath")
        rows[(_term(g, g.one(r, SH + "focusNode")),
              path_text(g.one, g.items, path_term) if path_term is not None else None,
              _term(g, g.one(r, SH + "value")),
              str(g.one(r, SH + "resultSeverity")),
              _term(g, g.one(r, SH + "sourceShape")),
              str(g.one(r, SH + "sourceConstraintComponent")))] += 1
    return conforms, rows


def _reported(value: str | None) -> str | None:
    if value is None:
        return None
    return "_:" if value.startswith("_:") else canonical(value)


def actual(path: Path, entry: Any, engine: str) -> tuple[bool, Counter]:
    g = Graph(path)
    action = g.one(entry, MF + "action")
    data = Path(g.one(action, SHT + "dataGraph").value.removeprefix("file://"))
    shapes = Path(g.one(action, SHT + "shapesGraph").value.removeprefix("file://"))
    report = validate_files([data], shapes=[shapes], engine=engine)
    rows: Counter = Counter()
    for f in report.findings:
        severity = f"<{SH}{f.severity}>" if not f.severity.startswith("<") else f.severity
        rows[(_reported(f.focus), f.path if f.path and not f.path.startswith("_:") else
              f.path and "_:", _reported(f.value), severity,
              f.shape if re.fullmatch(r"<[^<> ]*>", f.shape) else "_:",
              f"<{f.component}>")] += 1
    return report.conforms, rows


def check(name: str, path: Path, entry: Any, engine: str) -> None:
    want = expected(path, entry)
    if want is None:
        with pytest.raises(PeaceldError):
            actual(path, entry, engine)
        return
    got = actual(path, entry, engine)
    assert got[0] == want[0], f"{name}: conforms {got[0]}, expected {want[0]}"
    missing, extra = want[1] - got[1], got[1] - want[1]
    assert not missing and not extra, f"{name}: missing {dict(missing)}; extra {dict(extra)}"


#: Entries that take more than a few seconds (SHACL for SHACL: a large shapes graph).
SLOW = {"core/complex/shacl-shacl"}


def marks(name: str) -> list[Any]:
    known = [pytest.mark.xfail(strict=True, reason=KNOWN[name])] if name in KNOWN else []
    return known + ([pytest.mark.slow] if name in SLOW else [])


@pytest.mark.parametrize(("name", "path", "entry"), [
    pytest.param(*e, marks=marks(e[0])) for e in ENTRIES], ids=[e[0] for e in ENTRIES])
def test_default_engine(name: str, path: Path, entry: Any) -> None:
    check(name, path, entry, "peaceld")

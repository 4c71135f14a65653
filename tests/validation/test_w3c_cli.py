"""Every W3C SHACL Core and SHACL-SPARQL entry run through the command line, as a user calls
it: ``peaceld validate DATA --shapes SHAPES -f json`` and ``-f turtle``.

Per entry and format: ``conforms`` (SHACL's meaning: no result of any severity) and the
multiset of results (focus node, path, value, severity, source shape, constraint component)
must equal the expected report, terms compared exactly as N-Triples (``4.0`` stays
``"4.0"^^xsd:decimal``); a blank node standing for a focus node, value or source shape
matches any blank node (the report graph holds nothing else about it) and a path is compared
by its structure, as the suite's isomorphism does. The exit code follows ``--fail-on
violation``: 1 when a Violation is expected, else 0. Every JSON report must validate against
the shipped JSON Schema; every Turtle report must load in rdflib, be one sh:ValidationReport,
and pass pySHACL's own reader of W3C results (``check_sht_result``). An ``sht:Failure`` entry
must exit 2 with one line ``error: FILE: reason``.
"""

from __future__ import annotations

import json
import logging
import re
import warnings
from collections import Counter
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner
from test_w3c_shacl import ENTRIES, MF, SH, SHT, Graph

from peaceld.cli import main
from peaceld.validation import path_text

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
SEVERITY = {"Violation": f"<{SH}Violation>", "Warning": f"<{SH}Warning>",
            "Info": f"<{SH}Info>"}


@cache
def schema_validator() -> Any:
    import jsonschema

    text = resources.files("peaceld.validation").joinpath("report.schema.json").read_text()
    schema = json.loads(text)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _blank(text: str | None) -> str | None:
    """An N-Triples term with every blank node made anonymous (they match any blank node)."""
    return "_:" if text is not None and text.startswith("_:") else text


def action(path: Path, entry: Any) -> tuple[Path, Path]:
    g = Graph(path)
    act = g.one(entry, MF + "action")
    return (Path(g.one(act, SHT + "dataGraph").value.removeprefix("file://")),
            Path(g.one(act, SHT + "shapesGraph").value.removeprefix("file://")))


def expected(path: Path, entry: Any) -> tuple[bool, Counter] | None:
    """The expected sh:conforms and results (exact N-Triples terms); None for sht:Failure."""
    g = Graph(path)
    result = g.one(entry, MF + "result")
    if result == ox.NamedNode(SHT + "Failure"):
        return None
    rows: Counter = Counter()
    for r in g.objects(result, SH + "result"):
        path_term = g.one(r, SH + "resultPath")
        value = g.one(r, SH + "value")
        rows[(_blank(str(g.one(r, SH + "focusNode"))),
              path_text(g.one, g.items, path_term) if path_term is not None else None,
              _blank(str(value)) if value is not None else None,
              str(g.one(r, SH + "resultSeverity")),
              _blank(str(g.one(r, SH + "sourceShape"))),
              str(g.one(r, SH + "sourceConstraintComponent")))] += 1
    return g.one(result, SH + "conforms").value == "true", rows


def run(path: Path, entry: Any, fmt: str) -> Any:
    data, shapes = action(path, entry)
    return CliRunner().invoke(main, ["validate", str(data), "--shapes", str(shapes),
                                     "-f", fmt])


def from_json(output: str) -> tuple[bool, Counter]:
    report = json.loads(output)
    errors = sorted(schema_validator().iter_errors(report), key=str)
    assert not errors, f"the JSON report breaks its schema: {errors[0].message}"
    rows: Counter = Counter()
    for r in report["results"]:
        shape = r["shape"] if re.fullmatch(r"<[^<>\s]*>", r["shape"]) else "_:"
        rows[(_blank(r["focus"]), r["path"], _blank(r["value"]),
              SEVERITY.get(r["severity"], r["severity"]), shape, f"<{r['component']}>")] += 1
    severities = Counter(r["severity"] for r in report["results"])
    assert report["counts"] == {"Violation": 0, "Warning": 0, "Info": 0, **severities}
    return report["conforms"], rows


def _nt(term: Any) -> str | None:
    if term is None:
        return None
    return "_:" if isinstance(term, rdflib.BNode) else term.n3()


def _read(**source: Any) -> rdflib.Graph:
    """A Turtle graph read by rdflib with terms as written (by default rdflib rewrites
    "none"^^xsd:boolean as "false" and "2011-01-01"^^xsd:dateTime as a full dateTime)."""
    normalize, rdflib.NORMALIZE_LITERALS = rdflib.NORMALIZE_LITERALS, False
    try:
        with warnings.catch_warnings():  # "Parsing weird boolean": ill-formed on purpose
            warnings.simplefilter("ignore")
            return rdflib.Graph().parse(format="turtle", **source)
    finally:
        rdflib.NORMALIZE_LITERALS = normalize


def from_turtle(output: str) -> tuple[bool, Counter, rdflib.Graph]:
    g = _read(data=output)
    sh = rdflib.Namespace(SH)
    [report] = list(g.subjects(rdflib.RDF.type, sh.ValidationReport))
    [conforms] = list(g.objects(report, sh.conforms))
    assert conforms.datatype == rdflib.XSD.boolean
    rows: Counter = Counter()
    for r in g.objects(report, sh.result):
        assert (r, rdflib.RDF.type, sh.ValidationResult) in g
        for p in (sh.focusNode, sh.resultSeverity, sh.sourceConstraintComponent,
                  sh.sourceShape):
            assert len(list(g.objects(r, p))) == 1, f"a result needs one {p}"
        assert len(list(g.objects(r, sh.resultPath))) <= 1
        path_term = g.value(r, sh.resultPath)
        rows[(_nt(g.value(r, sh.focusNode)),
              path_text(lambda s, p: g.value(s, rdflib.URIRef(p)),
                        lambda h: list(g.items(h)), path_term)
              if path_term is not None else None,
              _nt(g.value(r, sh.value)), _nt(g.value(r, sh.resultSeverity)),
              _nt(g.value(r, sh.sourceShape)), _nt(g.value(r, sh.sourceConstraintComponent)))
             ] += 1
    return conforms.toPython(), rows, g


def _compare(name: str, got: tuple[bool, Counter], want: tuple[bool, Counter]) -> None:
    assert got[0] is want[0], f"{name}: conforms {got[0]}, expected {want[0]}"
    missing, extra = want[1] - got[1], got[1] - want[1]
    assert not missing and not extra, f"{name}: missing {dict(missing)}; extra {dict(extra)}"


def _exit_code(want: tuple[bool, Counter]) -> int:
    """--fail-on violation: 1 with a Violation or a custom severity (ranked as one)."""
    return 1 if any(row[3] not in (f"<{SH}Warning>", f"<{SH}Info>") for row in want[1]) else 0


def _failure(name: str, result: Any) -> None:
    assert result.exit_code == 2, f"{name}: exit {result.exit_code}, expected 2"
    assert result.stdout == "", f"{name}: a failure writes no report"
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and ": " in lines[0][7:], \
        f"{name}: {result.stderr!r}"
    assert "Traceback" not in result.stderr


def unlisted() -> list[tuple[str, Path, Any]]:
    """Entries of suite files that no manifest includes (upstream's
    sparql/component/nodeValidator-001): run too, so every entry of the suite is."""
    if not ENTRIES:
        return []
    suite = ENTRIES[0][1].parents[len(Path(ENTRIES[0][0]).parts) - 1]
    listed = {p for _, p, _ in ENTRIES}
    found = []
    for path in sorted(suite.glob("*/**/*.ttl")):
        if path in listed or "sht:Validate" not in path.read_text():
            continue
        g = Graph(path)
        for (_, p), objects in g.triples.items():
            for entry in g.items(objects[0]) if p == MF + "entries" else []:
                found.append((f"{path.parent.relative_to(suite)}/{entry.value.rsplit('/', 1)[-1]}",
                              path, entry))
    return found


ALL = sorted(ENTRIES + unlisted(), key=lambda e: e[0])
PARAMS = [pytest.param(*e, id=e[0]) for e in ALL]


def test_entries_counted() -> None:
    if not ENTRIES:
        pytest.skip("the W3C SHACL suite is not there (test_w3c_shacl says why)")
    assert len(ENTRIES) == 120 and [e[0] for e in unlisted()] == [
        "sparql/component/nodeValidator-001"]
    assert len(ALL) == 121 and sum(expected(p, e) is None for _, p, e in ALL) == 7


def report_of(name: str, path: Path, entry: Any, fmt: str
              ) -> tuple[str, tuple[bool, Counter]] | None:
    """The entry's report in ``fmt`` and its expected verdict, the exit code checked; None
    for an sht:Failure entry (its one-line refusal checked)."""
    want = expected(path, entry)
    result = run(path, entry, fmt)
    if want is None:
        _failure(name, result)
        return None
    assert result.exit_code == _exit_code(want), f"{name}: {result.stderr or result.stdout}"
    return result.stdout, want


@pytest.mark.slow
@pytest.mark.parametrize(("name", "path", "entry"), PARAMS)
def test_json(name: str, path: Path, entry: Any) -> None:
    if (got := report_of(name, path, entry, "json")) is not None:
        _compare(name, from_json(got[0]), got[1])


@pytest.mark.slow
@pytest.mark.parametrize(("name", "path", "entry"), PARAMS)
def test_turtle(name: str, path: Path, entry: Any) -> None:
    from pyshacl.validator_conformance import check_sht_result

    if (got := report_of(name, path, entry, "turtle")) is None:
        return
    output, want = got
    conforms, rows, graph = from_turtle(output)
    _compare(name, (conforms, rows), want)
    manifest = _read(source=path, publicID=path.as_uri())
    for prefix, namespace in manifest.namespaces():  # pySHACL names terms by prefix
        graph.bind(prefix, namespace, override=True, replace=True)
    entry_node = rdflib.URIRef(entry.value)
    log = logging.getLogger("test_w3c_cli")
    assert check_sht_result(graph, manifest, manifest.value(entry_node, rdflib.URIRef(
        MF + "result")), log), f"{name}: pySHACL's reader of W3C results disagrees"

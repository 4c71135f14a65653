"""Hostile input to `peaceld validate`: each gives one line naming the input and what is wrong,
exit 2, no traceback, no network request, bounded time and memory."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import Listener

from peaceld import rdfio
from peaceld.cli import main
from peaceld.project import bundled_root

SHAPES = bundled_root() / "shapes" / "peaceld-shapes.ttl"




def invoke(args: list[str], stdin: bytes | None = None) -> tuple[int, str, float]:
    start = time.monotonic()
    result = CliRunner().invoke(main, ["validate", *args], input=stdin)
    assert "Traceback" not in result.output
    return result.exit_code, result.output, time.monotonic() - start


def test_jsonld_nested_100000_levels(tmp_path: Path) -> None:
    doc = tmp_path / "deep.jsonld"
    doc.write_text('{"@id": "https://example.org/a", "https://example.org/p": '
                   + "[" * 100_000 + "1" + "]" * 100_000 + "}")
    code, output, seconds = invoke([str(doc)])
    assert code == 2 and seconds < 10
    assert output.strip() == f"error: {doc}: JSON nested deeper than 512 levels is refused"


def test_a_30_mb_literal_is_refused_cleanly(tmp_path: Path) -> None:
    huge = tmp_path / "huge.nt"
    huge.write_text('<https://example.org/s> <https://example.org/p> "' + "x" * 30_000_000
                    + '" .\n')
    code, output, _ = invoke([str(huge)])
    assert code == 2 and output.startswith(f"error: {huge}: a term is too large")
    assert len(output.strip().splitlines()) == 1


def test_stdin_is_read_whole(tmp_path: Path) -> None:
    """More than 8 KiB of conforming data, then a flaw at the very end: it is found."""
    head = "".join(f"<https://example.org/x{i}> <http://www.w3.org/2000/01/rdf-schema#label> "
                   f'"padding {i}" .\n' for i in range(400))
    flaw = ("<https://example.org/op> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
            "<https://w3id.org/peaceld/ontology#PeaceOperation> .\n")
    assert len(head) > 8192
    code, output, _ = invoke(["-", "--input-format", "nt", "--shapes", str(SHAPES)],
                             (head + flaw).encode())
    assert code == 1 and "<https://example.org/op>" in output
    assert "402 triples" not in output and "401 triples" in output


def test_stdin_size_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rdfio, "MAX_INPUT_BYTES", 1000)
    code, output, _ = invoke(["-", "--input-format", "nt"], b"# comment\n" * 200)
    assert code == 2 and output.startswith("error: <stdin>: input too large")


def test_stdin_needs_a_format() -> None:
    code, output, _ = invoke(["-"], b"<a:b> <a:c> <a:d> .\n")
    assert code == 2 and "unknown RDF format" in output and "--input-format" in output


def test_rdfxml_doctype_after_8_kib_of_comments(tmp_path: Path) -> None:
    entities = "".join(f'<!ENTITY l{i} "&l{i - 1};&l{i - 1};&l{i - 1};&l{i - 1};">'
                       for i in range(1, 12))
    doc = tmp_path / "late.rdf"
    doc.write_text('<?xml version="1.0"?>\n<!-- ' + "padding " * 1200 + "-->\n"
                   f'<!DOCTYPE r [<!ENTITY l0 "lol">{entities}]>\n'
                   '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
                   'xmlns:ex="https://example.org/"><rdf:Description rdf:about='
                   '"https://example.org/x"><ex:p>&l11;</ex:p></rdf:Description></rdf:RDF>\n')
    assert doc.read_text().index("<!DOCTYPE") > 8192
    code, output, seconds = invoke([str(doc)])
    assert code == 2 and "DOCTYPE" in output and seconds < 10


@pytest.mark.parametrize("engine", ["peaceld", "pyshacl"])
def test_service_in_a_shapes_file_makes_no_request(tmp_path: Path, listener: str,
                                                   engine: str) -> None:
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "<https://example.org/S> a sh:NodeShape ; sh:targetNode <https://example.org/a> ;\n"
        f'  sh:sparql [ sh:select """SELECT $this WHERE {{ SERVICE <{listener}/sparql> '
        '{ $this ?p ?o } }""" ] .\n')
    data = tmp_path / "data.ttl"
    data.write_text("<https://example.org/a> <https://example.org/p> 1 .\n")
    code, output, _ = invoke([str(data), "--shapes", str(shapes), "--engine", engine])
    assert Listener.hits == []
    assert code == 2 and output.startswith(f"error: {shapes}: ") and "SERVICE" in output


def test_jsonld_shapes_with_remote_context_under_pyshacl(tmp_path: Path,
                                                         listener: str) -> None:
    shapes = tmp_path / "shapes.jsonld"
    shapes.write_text(json.dumps({
        "@context": f"{listener}/context.jsonld", "@id": "https://example.org/S",
        "@type": "sh:NodeShape", "sh:targetNode": {"@id": "https://example.org/a"}}))
    data = tmp_path / "data.ttl"
    data.write_text("<https://example.org/a> <https://example.org/p> 1 .\n")
    code, output, _ = invoke([str(data), "--shapes", str(shapes), "--engine", "pyshacl"])
    assert Listener.hits == []
    assert code == 2 and output.startswith(f"error: {shapes}")


def test_relative_iris_resolve_against_the_file_or_base(tmp_path: Path) -> None:
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
                      "<#S> a sh:NodeShape ; sh:targetNode <a> ; sh:property [ "
                      "sh:path <p> ; sh:minCount 2 ] .\n")
    data = tmp_path / "data.ttl"
    data.write_text("<a> <p> 1 .\n")
    code, output, _ = invoke([str(data), "--shapes", str(shapes), "-f", "json"])
    report = json.loads(output)
    assert code == 1 and report["results"][0]["focus"] == f"<{(tmp_path / 'a').as_uri()}>"
    assert report["results"][0]["line"] == 1
    code, output, _ = invoke([str(data), "--shapes", str(shapes), "-f", "json", "--base",
                              "https://example.org/d/"])
    assert code == 1 and json.loads(output)["results"][0]["focus"] == \
        "<https://example.org/d/a>"


def test_engine_compiled_refuses_what_it_does_not_compile(tmp_path: Path) -> None:
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
                      "<https://example.org/S> a sh:NodeShape ; sh:targetNode "
                      "<https://example.org/a> ; sh:equals <https://example.org/p> .\n")
    data = tmp_path / "data.ttl"
    data.write_text("<https://example.org/a> <https://example.org/p> 1 .\n")
    code, output, _ = invoke([str(data), "--shapes", str(shapes), "--engine", "compiled"])
    assert code == 2 and "sh:equals is not compiled" in output
    code, output, _ = invoke([str(data), "--shapes", str(shapes), "-f", "json"])
    report = json.loads(output)
    assert code == 1 and report["engine"] == "peaceld+pyshacl"
    assert report["delegated"] == ["<https://example.org/S>: sh:equals is not compiled"]
    assert report["results"][0]["component"].endswith("#EqualsConstraintComponent")


def test_shacl_advanced_features_are_refused_not_ignored(tmp_path: Path) -> None:
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
                      "<https://example.org/S> a sh:NodeShape ; sh:target [ a sh:SPARQLTarget ; "
                      'sh:select "SELECT ?this WHERE { ?this ?p ?o }" ] ; '
                      "sh:nodeKind sh:Literal .\n")
    data = tmp_path / "data.ttl"
    data.write_text("<https://example.org/a> <https://example.org/p> 1 .\n")
    code, output, _ = invoke([str(data), "--shapes", str(shapes)])
    assert code == 2 and "sh:target (SHACL Advanced Features)" in output

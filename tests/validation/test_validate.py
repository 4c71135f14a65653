"""`peaceld validate`: the contribution corpus, equivalence with pySHACL, reports, hostile input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import Listener

from bench.synthetic import MAPPINGS, generate
from peaceld.api import Project
from peaceld.build import build
from peaceld.cli import main
from peaceld.errors import PeaceldError
from peaceld.project import bundled_root
from peaceld.validation import ValidationReport, canonical

ROOT = bundled_root()


def validate_files(files: list[Path], **options: object) -> ValidationReport:
    """Validate with the bundled project's shapes and ontology, as `peaceld validate` does."""
    return Project(ROOT).validate(files, **options)  # type: ignore[arg-type]
REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "data" / "contributions"
EXPECTED = json.loads((CORPUS / "expected.json").read_text())
SH = "http://www.w3.org/ns/shacl#"
PEACELD_SHAPES = "https://w3id.org/peaceld/shapes#"


def component_iri(name: str) -> str:
    return PEACELD_SHAPES + "UndefinedTermComponent" if name == "UndefinedTerm" else \
        f"{SH}{name}ConstraintComponent"


def test_every_corpus_file_has_an_expectation() -> None:
    """A file added to the corpus without its expected finding would test nothing."""
    files = {p.name for p in CORPUS.iterdir() if p.name != "expected.json"}
    valid = {name for name in files if name.startswith("valid-")}
    assert files - valid == set(EXPECTED)
    assert len(EXPECTED) >= 25 and valid


@pytest.mark.parametrize("name", ["valid-full.ttl", "valid-minimal.ttl"])
def test_valid_contributions_pass(name: str) -> None:
    report = validate_files([CORPUS / name])
    assert report.findings == [] and report.conforms


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_flawed_contribution_gives_its_finding(name: str) -> None:
    want = EXPECTED[name]
    report = validate_files([CORPUS / name])
    found = [f for f in report.findings
             if f.component == component_iri(want["component"])
             and f.focus == f"<{want['focus']}>"
             and f.path == (f"<{want['path']}>" if want["path"] else None)
             and canonical(f.value) == canonical(want["value"])
             and f.severity == want["severity"]]
    assert len(found) == 1, (want, report.findings)
    assert found[0].file == str(CORPUS / name) and found[0].line  # points at the source line
    assert not report.conforms  # SHACL: any result, whatever its severity
    assert report.has_violations == (want["severity"] == "Violation" or any(
        f.severity == "Violation" for f in report.findings))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED)[::3] + ["valid-full.ttl"])
def test_same_findings_as_pyshacl_on_the_corpus(name: str) -> None:
    ours = {f.key() for f in validate_files([CORPUS / name]).findings}
    theirs = {f.key() for f in validate_files([CORPUS / name], engine="pyshacl").findings}
    assert ours == theirs


@pytest.mark.slow
def test_same_findings_as_pyshacl_on_synthetic_data(tmp_path: Path) -> None:
    """A few thousand triples with a 5% defect rate: both engines report the same results."""
    from peaceld.mapping import map_files
    from peaceld.rdfio import load_ontology

    tables = generate(8000, tmp_path / "syn", seed=3, defect_rate=0.05)
    out = tmp_path / "syn.nq"
    with out.open("w") as handle:
        for table in tables:
            map_files(REPO / MAPPINGS[table], [tmp_path / "syn" / f"{table}.csv"], handle,
                      ontology=load_ontology(sorted((ROOT / "ontology").glob("*.ttl"))))
    ours = validate_files([out])
    theirs = validate_files([out], engine="pyshacl")
    assert len(ours.findings) > 20
    assert {f.key() for f in ours.findings} == {f.key() for f in theirs.findings}


@pytest.mark.slow
def test_the_built_graph_has_no_violation(tmp_path: Path) -> None:
    """The bundled graph has warnings (claims that disagree), no violation: the build
    writes it, and its summary does not claim that it conforms."""
    result = build(ROOT, out_dir=tmp_path, validate=True)
    assert result.validation is not None and not result.validation.has_violations
    report = validate_files([tmp_path / "peaceld.nq"])
    assert not report.has_violations and report.focus_nodes > 300
    assert report.conforms == (not report.findings)
    if report.findings:
        assert report.summary().startswith("does not conform (no violation): 0 violation(s)")


def test_build_refuses_a_graph_that_does_not_conform(tmp_path: Path) -> None:
    runner = CliRunner()
    project = tmp_path / "proj"
    assert runner.invoke(main, ["init", str(project)]).exit_code == 0
    article = "003_9aeec1d430f0789f"
    (project / "facts" / f"{article}.passages.yaml").write_text(
        (ROOT / "facts" / f"{article}.passages.yaml").read_text())
    (project / "facts" / f"{article}.yaml").write_text(
        f"article:\n  id: {article}\n  title: T\n  ai_written: declared\nfacts:\n"
        "  - kind: operation\n    at: s18p2\n    id: amisom\n    name: AU Mission in Somalia\n"
        "    start_year: 2007\n    end_year: 1999\n")
    result = runner.invoke(main, ["build", str(project), "-q"])
    assert result.exit_code == 2
    assert "does not conform" in result.output and "ends (1999) before it starts" in result.output
    assert not (project / "dist").exists()


# --- the command ---------------------------------------------------------------------------


def test_cli_formats_and_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = CORPUS / "op-end-before-start.ttl"
    text = runner.invoke(main, ["validate", str(bad)])
    assert text.exit_code == 1
    assert f"({bad}:" in text.output and "ends (1999) before it starts (2003)" in text.output
    assert text.output.rstrip().splitlines()[-1].startswith("does not conform: 1 violation")
    ok = runner.invoke(main, ["validate", str(CORPUS / "valid-full.ttl")])
    assert ok.exit_code == 0 and "conforms: 0 violation" in ok.output
    warning = CORPUS / "contrib-share-over-100.ttl"
    assert runner.invoke(main, ["validate", str(warning)]).exit_code == 0
    assert runner.invoke(main, ["validate", str(warning), "--fail-on", "warning"]).exit_code == 1
    as_json = json.loads(runner.invoke(main, ["validate", str(bad), "-f", "json"]).output)
    assert as_json["conforms"] is False
    assert as_json["counts"] == {"Violation": 1, "Warning": 0, "Info": 0}
    turtle = runner.invoke(main, ["validate", str(bad), "-f", "turtle"]).output
    assert "sh:ValidationReport" in turtle and "sh:conforms false" in turtle
    junit = runner.invoke(main, ["validate", str(bad), "-f", "junit"]).output
    assert junit.startswith("<?xml") and 'failures="1"' in junit


def test_warnings_only_do_not_conform_yet_exit_0_by_default() -> None:
    """SHACL's conforms is false on any result; the exit code is the --fail-on policy."""
    runner = CliRunner()
    warning = str(CORPUS / "contrib-share-over-100.ttl")
    as_json = runner.invoke(main, ["validate", warning, "-f", "json"])
    report = json.loads(as_json.output)
    assert as_json.exit_code == 0 and report["conforms"] is False
    assert report["counts"] == {"Violation": 0, "Warning": 1, "Info": 0}
    assert report["schema_version"] == 1 and report["results"][0]["severity"] == "Warning"
    turtle = runner.invoke(main, ["validate", warning, "-f", "turtle"])
    assert turtle.exit_code == 0 and "sh:conforms false" in turtle.output
    junit = runner.invoke(main, ["validate", warning, "-f", "junit"])
    assert junit.exit_code == 0 and '<property name="conforms" value="false"/>' in junit.output
    text = runner.invoke(main, ["validate", warning])
    assert text.output.rstrip().splitlines()[-1].startswith(
        "does not conform (no violation): 0 violation(s), 1 warning(s)")
    assert runner.invoke(main, ["validate", warning, "--fail-on", "warning", "-f", "json"]
                         ).exit_code == 1
    assert runner.invoke(main, ["validate", warning, "--fail-on", "info"]).exit_code == 1
    assert "false on any result" in runner.invoke(main, ["validate", "--help"]).output
    valid = json.loads(runner.invoke(main, ["validate", str(CORPUS / "valid-full.ttl"), "-f",
                                            "json"]).output)
    assert valid["conforms"] is True and valid["results"] == []


def test_focus_and_class_subsets() -> None:
    runner = CliRunner()
    bad = str(CORPUS / "claim-two-outcomes.ttl")
    assert runner.invoke(main, ["validate", bad, "--class", "pld:PeaceOperation"]).exit_code == 0
    assert runner.invoke(main, ["validate", bad, "--class", "pld:OutcomeAssessment"]
                         ).exit_code == 1
    assert runner.invoke(main, ["validate", bad, "--focus",
                                "https://example.org/contrib/op"]).exit_code == 0
    assert runner.invoke(main, ["validate", bad, "--focus",
                                "https://example.org/contrib/a1"]).exit_code == 1


def test_csv_through_a_mapping(tmp_path: Path) -> None:
    data = tmp_path / "troops.csv"
    data.write_text("operation;country;iso3;month;troops;police;female_share;verified\n"
                    "unmil;Ghana;GHA;03/2004;1.034;12;4,5;No\n"
                    "unmil;Ghana;GHA;04/2004;900;12;145,0;No\n")
    result = CliRunner().invoke(main, ["validate", str(data), "-m",
                                       str(ROOT / "mappings" / "contributions.yaml"),
                                       "--fail-on", "warning"])
    assert result.exit_code == 1 and "percentage between 0 and 100" in result.output
    as_json = json.loads(CliRunner().invoke(main, [
        "validate", str(data), "-m", str(ROOT / "mappings" / "contributions.yaml"), "-f",
        "json"]).output)
    [finding] = as_json["results"]
    assert (finding["file"], finding["line"]) == (str(data), 3)  # the row with 145,0
    assert finding["value"] == '"145.0"^^<http://www.w3.org/2001/XMLSchema#decimal>'
    assert finding["shape"].startswith("pls:ContributionShape property pld:femaleShare (")


def test_facts_through_a_mapping_carry_their_line(tmp_path: Path) -> None:
    article = "003_9aeec1d430f0789f"
    facts = tmp_path / f"{article}.yaml"
    (tmp_path / f"{article}.passages.yaml").write_text(
        (ROOT / "facts" / f"{article}.passages.yaml").read_text())
    facts.write_text(
        f"article:\n  id: {article}\n  title: T\n  ai_written: declared\nfacts:\n"
        "  - kind: operation\n    at: s18p2\n    id: amisom\n    name: AU Mission in Somalia\n"
        "    start_year: 2007\n    end_year: 1999\n")
    report = validate_files([tmp_path / f"{article}.passages.yaml", facts],
                            mapping=ROOT / "mappings" / "facts.yaml")
    [finding] = [f for f in report.findings if "ends (1999)" in f.message]
    assert finding.file == str(facts) and finding.line == 6


# --- hostile input ---------------------------------------------------------------------------




def run_validate(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_jsonld_remote_context_is_not_fetched(tmp_path: Path, listener: str) -> None:
    doc = tmp_path / "remote.jsonld"
    doc.write_text(json.dumps({"@context": f"{listener}/context.jsonld",
                               "@id": "https://example.org/x", "name": "X"}))
    code, output = run_validate(doc)
    assert Listener.hits == []
    assert code == 2 and output.startswith(f"error: {doc}")


def test_owl_imports_are_not_followed(tmp_path: Path, listener: str) -> None:
    doc = tmp_path / "imports.ttl"
    doc.write_text(f"<https://example.org/o> a <http://www.w3.org/2002/07/owl#Ontology> ;\n"
                   f"  <http://www.w3.org/2002/07/owl#imports> <{listener}/other.ttl> .\n")
    code, _ = run_validate(doc)
    assert Listener.hits == [] and code == 0


def test_rdfxml_external_entity_and_billion_laughs(tmp_path: Path, listener: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read me")
    xxe = tmp_path / "xxe.rdf"
    xxe.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE r [ <!ENTITY s SYSTEM "file://{secret}"> '
                   f'<!ENTITY h SYSTEM "{listener}/x"> ]>\n'
                   '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
                   'xmlns:ex="https://example.org/"><rdf:Description rdf:about='
                   '"https://example.org/x"><ex:p>&s;&h;</ex:p></rdf:Description></rdf:RDF>\n')
    code, output = run_validate(xxe)
    assert code == 2 and "DOCTYPE" in output and "do not read me" not in output
    assert Listener.hits == []
    laughs = tmp_path / "lol.rdf"
    entities = "".join(f'<!ENTITY l{i} "&l{i - 1};&l{i - 1};&l{i - 1};&l{i - 1};">'
                       for i in range(1, 10))
    laughs.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY l0 "lol">{entities}]>\n'
                      '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>\n')
    code, _ = run_validate(laughs)
    assert code == 2


def test_base_iri_tricks_fetch_nothing(tmp_path: Path, listener: str) -> None:
    doc = tmp_path / "base.ttl"
    doc.write_text(f"@base <{listener}/> .\n<x> <p> <../../etc/passwd> .\n")
    code, _ = run_validate(doc)
    assert Listener.hits == [] and code == 0


@pytest.mark.parametrize(("content", "message"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
    (b'<https://example.org/s> <https://example.org/p> "caf\xe9" .\n', "error: "),
    (b"<https://example.org/s> <https://example.org/p> .\n", ":1:"),
])
def test_broken_files_give_one_clean_line(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.nt"
    path.write_bytes(content)
    code, output = run_validate(path)
    assert code == 2 and message in output and len(output.strip().splitlines()) == 1


def test_huge_literal_and_deep_nesting(tmp_path: Path) -> None:
    huge = tmp_path / "huge.nt"
    huge.write_text(f'<https://example.org/s> <http://www.w3.org/2000/01/rdf-schema#label> '
                    f'"{"x" * 5_000_000}" .\n')
    code, _ = run_validate(huge)
    assert code == 0
    deep = tmp_path / "deep.ttl"
    deep.write_text("<https://example.org/s> <https://example.org/p> " + "[ <p> " * 20000
                    + "1" + " ]" * 20000 + " .\n")
    code, output = run_validate(deep)  # relative <p> resolves against the file's IRI
    assert code == 0 and "20001 triples" in output


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "data.xlsx"
    path.write_text("a,b")
    with pytest.raises(PeaceldError, match="unknown RDF format"):
        validate_files([path])


@pytest.mark.slow
def test_an_on_disk_store_gives_the_same_report(monkeypatch: pytest.MonkeyPatch) -> None:
    """Large inputs are validated in a temporary on-disk store (bounded memory): same
    findings, same focus nodes, and the store is gone afterwards."""
    import tempfile

    from peaceld.validation import engine

    def leftovers() -> set[str]:
        return {p.name for p in Path(tempfile.gettempdir()).glob("peaceld-validate-*")}

    before = leftovers()
    for name in ["op-end-before-start.ttl", "contrib-share-over-100.ttl", "valid-full.ttl"]:
        in_memory = validate_files([CORPUS / name])
        monkeypatch.setattr(engine, "MEMORY_STORE_MAX_BYTES", 0)
        on_disk = validate_files([CORPUS / name])
        monkeypatch.undo()
        assert on_disk.findings == in_memory.findings
        assert (on_disk.focus_nodes, on_disk.triples) == (in_memory.focus_nodes,
                                                          in_memory.triples)
    assert leftovers() == before


@pytest.mark.parametrize("engine", ["peaceld", "pyshacl"])
def test_focus_nodes_and_values_as_written(tmp_path: Path, engine: str) -> None:
    """The store keeps 4.0 as "4"; reports name the terms the data and shapes wrote, and
    a blank node by the data's own label, whichever engine checks."""
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
                      "<http://e/S> a sh:NodeShape ; sh:targetNode 4.0, 04 ; "
                      "sh:maxExclusive 4 .\n"
                      "<http://e/T> a sh:NodeShape ; sh:targetSubjectsOf <http://e/p> ; "
                      "sh:nodeKind sh:IRI .\n"
                      "<http://e/U> a sh:NodeShape ; sh:targetObjectsOf <http://e/q> ; "
                      "sh:datatype <http://www.w3.org/2001/XMLSchema#string> .\n")
    data = tmp_path / "data.ttl"
    data.write_text("_:x <http://e/p> 1 . <http://e/a> <http://e/q> 7.50 .\n")
    result = CliRunner().invoke(main, ["validate", str(data), "--shapes", str(shapes),
                                       "--engine", engine, "-f", "json"])
    rows = {(r["focus"], r["value"]) for r in json.loads(result.output)["results"]}
    xsd = "http://www.w3.org/2001/XMLSchema#"
    assert rows == {(f'"4.0"^^<{xsd}decimal>', f'"4.0"^^<{xsd}decimal>'),
                    (f'"04"^^<{xsd}integer>', f'"04"^^<{xsd}integer>'),
                    ("_:x", "_:x"), (f'"7.50"^^<{xsd}decimal>', f'"7.50"^^<{xsd}decimal>')}

"""The shipped ontology passes its check; broken copies fail with the specific finding."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import need

from peaceld.cli import main
from peaceld.ontology import check_ontology, generate_reference
from peaceld.project import bundled_root

ROOT = bundled_root()
ONTOLOGY = ROOT / "ontology" / "peaceld.ttl"


@pytest.fixture()
def java() -> str:
    """HermiT runs on Java: skip without it (fail under CI)."""
    return need("java", "Debian package default-jre-headless")


def broken(tmp_path: Path, extra: str = "", replace: tuple[str, str] | None = None) -> Path:
    text = ONTOLOGY.read_text(encoding="utf-8")
    if replace:
        assert replace[0] in text
        text = text.replace(*replace)
    path = tmp_path / "broken.ttl"
    path.write_text(text + "\n" + extra, encoding="utf-8")
    return path


def test_shipped_ontology_is_consistent_and_clean(java: str) -> None:
    report = check_ontology(ONTOLOGY)
    assert report.reasoner == "consistent"
    assert report.at_or_above("warn") == [], report.findings
    assert report.counts["classes"] >= 50
    assert report.counts["concepts"] >= 100


def test_subclass_cycle_is_found(tmp_path: Path) -> None:
    path = broken(tmp_path, "pld:Organisation rdfs:subClassOf pld:RegionalOrganisation .\n")
    codes = {(f.code, f.term) for f in check_ontology(path, reasoner=False).findings}
    assert ("cycle", "pld:IntergovernmentalOrganisation") in codes


def test_undeclared_term_is_found_with_a_suggestion(tmp_path: Path) -> None:
    path = broken(tmp_path, "pld:PeaceOperation rdfs:subClassOf pld:PeaceEfort .\n")
    found = [f for f in check_ontology(path, reasoner=False).findings if f.code == "undeclared"]
    assert len(found) == 1
    assert found[0].term == "pld:PeaceEfort"
    assert "did you mean pld:PeaceEffort?" in found[0].message


def test_missing_label_and_definition(tmp_path: Path) -> None:
    path = broken(tmp_path, 'pld:Ceasefire a owl:Class ; rdfs:subClassOf prov:Activity .\n')
    found = {(f.level, f.code, f.term) for f in check_ontology(path, reasoner=False).findings}
    assert ("error", "no-label", "pld:Ceasefire") in found
    assert ("error", "no-definition", "pld:Ceasefire") in found


def test_header_gaps(tmp_path: Path) -> None:
    path = broken(tmp_path, replace=(
        "    owl:versionIRI <https://w3id.org/peaceld/ontology/0.1.0> ;",
        "    owl:versionIRI <https://w3id.org/peaceld/ontology> ;"))
    messages = {f.message for f in check_ontology(path, reasoner=False).findings}
    assert "the version IRI equals the ontology IRI" in messages


def test_disjointness_makes_a_class_unsatisfiable(java: str, tmp_path: Path) -> None:
    path = broken(tmp_path, """
pld:MissionBody a owl:Class ; rdfs:subClassOf pld:PeaceOperation, pld:Organisation ;
    rdfs:label "mission body"@en ; skos:definition "Deliberately contradictory."@en .
""")
    report = check_ontology(path)
    assert ("unsatisfiable", "pld:MissionBody") in {(f.code, f.term) for f in report.findings}


def test_inconsistent_individual(java: str, tmp_path: Path) -> None:
    path = broken(tmp_path, "<https://w3id.org/peaceld/id/x> a pld:PeaceOperation, pld:State .\n")
    report = check_ontology(path)
    assert report.reasoner == "inconsistent"


def test_cli_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(main, ["ontology", "check", "--no-reasoner"])
    assert ok.exit_code == 0, ok.output
    assert "0 error(s)" in ok.output
    bad = broken(tmp_path, "pld:Organisation rdfs:subClassOf pld:RegionalOrganisation .\n")
    result = runner.invoke(main, ["ontology", "check", "--no-reasoner", str(bad)])
    assert result.exit_code == 1 and "cycle" in result.output
    notes = runner.invoke(main, ["ontology", "check", "--no-reasoner", "--fail-on", "info"])
    assert notes.exit_code == 1  # the shipped ontology has informational notes
    syntax = tmp_path / "syntax.ttl"
    syntax.write_text("@prefix pld: <https://w3id.org/peaceld/ontology#> .\npld:A a pld:B\n"
                      "pld:C a pld:D .\n", encoding="utf-8")
    result = runner.invoke(main, ["ontology", "check", str(syntax)])
    assert result.exit_code == 2
    assert result.output.startswith(f"error: {syntax}:3:")
    assert "Traceback" not in result.output
    missing = runner.invoke(main, ["ontology", "check", str(tmp_path / "nope.ttl")])
    assert missing.exit_code == 2 and "no such file" in missing.output


def test_reference_docs_are_up_to_date(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["ontology", "docs", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    docs = Path(__file__).resolve().parents[1] / "docs"
    for name in ("ontology.md", "ontology.html"):
        assert (tmp_path / name).read_text() == (docs / name).read_text(), (
            f"docs/{name} is stale: run `peaceld ontology docs`")


def test_reference_lists_every_term() -> None:
    text = generate_reference(ONTOLOGY)
    declared = set(re.findall(r"^pld:([A-Za-z]+) a ", ONTOLOGY.read_text(), re.M))
    for term in declared:
        assert f"`pld:{term}`" in text, term


def test_every_mapped_term_is_declared() -> None:
    declared = set(re.findall(r"^pld:([A-Za-z]+) a ", ONTOLOGY.read_text(), re.M))
    for mapping in sorted((ROOT / "mappings").glob("*.yaml")):
        used = set(re.findall(r"\bpld:([A-Za-z]+)", mapping.read_text()))
        assert used <= declared, (mapping.name, sorted(used - declared))


def test_every_documented_concept_exists() -> None:
    notations = set(re.findall(r'skos:notation "([^"]+)"', ONTOLOGY.read_text()))
    guide = (Path(__file__).resolve().parents[1] / "docs" / "facts.md").read_text()
    section = guide.split("## Concepts")[1].split("\n## ")[0]  # up to the next section
    listed = set()
    for item in re.split(r"\n- ", section):
        if "**:" in item:
            listed |= set(re.findall(r"[a-z][a-z0-9-]*[a-z0-9]", item.split("**:", 1)[1]))
    assert listed and listed <= notations, sorted(listed - notations)

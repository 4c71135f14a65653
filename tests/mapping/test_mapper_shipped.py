"""The shipped mappings for public peacekeeping tables, end to end from a fresh project.

Each maps, builds and validates its sample (samples/*.csv) following docs/mapping.md; the
defect samples (tests/data/mapper/) show that the shapes report what real tables get wrong.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from peaceld.cli import main
from peaceld.project import bundled_root
from peaceld.validation import validate_quads

#: Each test builds a project from scratch (about 10 s each).
pytestmark = pytest.mark.slow

ROOT = bundled_root()
SAMPLES = Path(__file__).resolve().parents[2] / "samples"
DEFECTS = Path(__file__).resolve().parents[1] / "data" / "mapper"
PLD = "https://w3id.org/peaceld/ontology#"
ID = "https://w3id.org/peaceld/id/"

SHIPPED = {
    "un-missions": ("pld:PeaceOperation", 7),
    "un-contributions-monthly": ("pld:PersonnelCount", 23),
    "un-contributions-gender": ("pld:PersonnelCount", 7),
    "geopko-locations": ("pld:Deployment", 6),
}


def _project(tmp_path: Path, inputs: dict[str, Path]) -> Path:
    project = tmp_path / "p"
    assert CliRunner().invoke(main, ["init", str(project)]).exit_code == 0
    (project / "data").mkdir()
    config = project / "peaceld.toml"
    text = config.read_text(encoding="utf-8")
    for mapping, csv in inputs.items():
        shutil.copy(csv, project / "data" / csv.name)
        text += f'\n[[inputs]]\nfiles = ["data/{csv.name}"]\nmapping = "mappings/{mapping}.yaml"\n'
    config.write_text(text, encoding="utf-8")
    return project


def _build(project: Path) -> list[ox.Quad]:
    result = CliRunner().invoke(main, ["build", str(project), "-q"])
    assert result.exit_code == 0, result.output
    return list(ox.parse((project / "dist" / "peaceld.nq").read_bytes(),
                         format=ox.RdfFormat.N_QUADS))


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_each_shipped_mapping_builds_its_sample(tmp_path: Path, name: str) -> None:
    inputs = {name: SAMPLES / f"{name}.csv"}
    if name != "un-missions":  # counts and deployments refer to the missions of the list
        inputs["un-missions"] = SAMPLES / "un-missions.csv"
    quads = _build(_project(tmp_path, inputs))
    cls, count = SHIPPED[name]
    typed = {q.subject for q in quads if q.predicate.value.endswith("#type")
             and q.object.value == PLD + cls.split(":")[1]}
    assert len(typed) == count


def test_the_samples_together_conform_with_only_the_known_warning(tmp_path: Path) -> None:
    project = _project(tmp_path, {n: SAMPLES / f"{n}.csv" for n in SHIPPED})
    quads = _build(project)
    report = validate_quads(quads, sorted((ROOT / "shapes").glob("*.ttl")))
    assert not report.has_violations and not report.conforms  # one warning
    messages = [f.message for f in report.findings]
    assert messages == ["Women (31) and men (700) do not add up to the total (730)."]
    store = ox.Store()
    store.extend(quads)
    rows = list(store.query(f"""
        PREFIX pld: <{PLD}>
        SELECT ?acronym ?category (SUM(?n) AS ?total) WHERE {{
            ?c pld:servesIn ?op ; pld:personnelCount ?n ; pld:personnelCategory ?k ;
               pld:month "2024-01"^^<http://www.w3.org/2001/XMLSchema#gYearMonth> .
            ?op pld:acronym ?acronym . BIND (STRAFTER(STR(?k), "personnel/") AS ?category)
        }} GROUP BY ?acronym ?category ORDER BY ?acronym ?category""",
        use_default_graph_as_union=True))
    got = {(r["acronym"].value, r["category"].value): int(r["total"].value) for r in rows}
    assert got[("UNIFIL", "troops")] == 860 and got[("UNMISS", "staff-officers")] == 17
    unosom = ox.NamedNode(ID + "operation/unosom-ii")
    assert any(q.subject == unosom for q in quads)  # an acronym with a space is fine


def test_the_shapes_report_the_defects_of_real_tables(tmp_path: Path) -> None:
    project = _project(tmp_path, {"un-missions": DEFECTS / "defects-missions.csv",
                                  "un-contributions-gender": DEFECTS / "defects-gender.csv",
                                  "states": DEFECTS / "defects-states.csv"})
    (project / "mappings" / "states.yaml").write_text(  # no null tokens: 'NA' is an entity
        "rules:\n  - subject: state/{iso}\n    class: pld:State\n"
        "    properties: {rdfs:label: {field: name, lang: en}}\n", encoding="utf-8")
    quads = _build(project)
    report = validate_quads(quads, sorted((ROOT / "shapes").glob("*.ttl")))
    found = {(f.focus.rsplit("/", 2)[-1].rstrip(">"), f.message) for f in report.findings
             if f.severity == "Warning"}
    expected = {
        ("mogadishu", "Latitude 45.32 and longitude 2.05 look swapped: swapped, they fall in "
                      f"{ID}state/som."),
        ("bangui", f"The point 14.0, 18.56 lies outside {ID}state/caf, the country the row "
                   "names."),
        ("troops", "Women (31) and men (700) do not add up to the total (730)."),
        ("troops", f"The count is for {ID}operation/minustah, an operation the graph does "
                   "not describe: check the mission name or add the mission list."),
        ("unef", "The operation ends (2005-01-01) before it starts (2010-01-01)."),
        ("unef", "United Nations Emergency Force (I and II) looks like several operations in "
                 "one record: give each its own row."),
        ("minusca", "Mission de l'ONU en RÃ©publique centrafricaine looks like UTF-8 text read "
                    "as Latin-1 or Windows-1252 (mojibake): re-read the source as UTF-8."),
        ("na", "The IRI ends in a placeholder (na): a missing value became an entity; list the "
               "placeholder under 'nulls' in the mapping."),
    }
    assert expected <= found, sorted(found - expected)

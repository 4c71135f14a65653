"""`peaceld facts check`: every fact grounded in the words of its passage, and the evidence
spans published as Web Annotations."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from peaceld.build import build
from peaceld.cli import main
from peaceld.grounding import check_project
from peaceld.project import bundled_root

ROOT = bundled_root()
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
ARTICLE = "001_dc7105e24f5d1192"
OA = "http://www.w3.org/ns/oa#"

# s11p1 of article 001 spans [11341, 12070]; its second sentence names UNMIL and Liberia.
HEADER = (f"article:\n  id: {ARTICLE}\n  title: Test article\n  ai_written: declared\nfacts:\n"
          "  - kind: organisation\n    at: s11p1\n    id: united-nations\n"
          "    name: United Nations\n    category: intergovernmental\n"
          "    evidence: {span: [11495, 11666], subject: United Nations}\n")


def project_with(tmp_path: Path, facts: str) -> Path:
    if not SEEDS.is_dir():
        pytest.skip(f"the source articles are not at {SEEDS}")
    project = tmp_path / "proj"
    assert CliRunner().invoke(main, ["init", str(project)]).exit_code == 0
    shutil.copy(ROOT / "facts" / f"{ARTICLE}.passages.yaml", project / "facts")
    (project / "facts" / f"{ARTICLE}.yaml").write_text(HEADER + facts, encoding="utf-8")
    (project / "articles").mkdir()
    shutil.copy(SEEDS / f"{ARTICLE}.txt", project / "articles")
    return project


GOOD = ("  - kind: operation\n    at: s11p1\n    id: unmil\n"
        "    name: United Nations Mission in Liberia\n    acronym: UNMIL\n"
        "    lead: united-nations\n    host: liberia\n"
        "    evidence: {span: [11495, 11666], subject: United Nations Mission in Liberia,\n"
        "               mentions: {united-nations: United Nations, liberia: Liberia}}\n"
        "  - kind: place\n    at: s11p1\n    id: liberia\n    name: Liberia\n"
        "    category: country\n"
        "    evidence: {span: [11495, 11666], subject: Liberia}\n")


def test_a_grounded_project_passes_strict(tmp_path: Path) -> None:
    project = project_with(tmp_path, GOOD)
    report = check_project(project)
    assert [f.status for f in report.facts] == ["grounded"] * 3
    result = CliRunner().invoke(main, ["facts", "check", str(project), "--strict"])
    assert result.exit_code == 0, result.output
    assert "3 grounded" in result.output and "100.0%" in result.output


@pytest.mark.parametrize(("edit", "message"), [
    (("Liberia}}", "Namibia}}"), "does not say 'Namibia' (for liberia)"),
    (("acronym: UNMIL", "acronym: UNOMIL"), "acronym 'UNOMIL' is not used by s11p1"),
    (("[11495, 11666], subject: United Nations Mission", "[11495, 13000], subject: United "
      "Nations Mission"), "is not inside passage s11p1"),
    ((", liberia: Liberia}}", "}}"), "no mention for liberia"),
])
def test_an_ungrounded_fact_is_listed_with_file_and_line(tmp_path: Path, edit: tuple[str, str],
                                                         message: str) -> None:
    project = project_with(tmp_path, GOOD.replace(*edit))
    result = CliRunner().invoke(main, ["facts", "check", str(project)])
    assert result.exit_code == 0, result.output  # warnings only without --strict
    assert f"{ARTICLE}.yaml:12: operation unmil:" in result.output
    assert message in result.output
    strict = CliRunner().invoke(main, ["facts", "check", str(project), "--strict"])
    assert strict.exit_code == 1


def test_an_inferred_fact_needs_a_reason_and_is_counted_apart(tmp_path: Path) -> None:
    inferred = ("  - kind: challenge\n    at: s11p1\n    faced_by: unmil\n"
                "    challenge: political-will\n    basis: inferred\n")
    project = project_with(tmp_path, GOOD + inferred)
    assert "an inferred fact gives a one-line reason" in "\n".join(check_project(project).lines())
    project = project_with(tmp_path / "2", GOOD + inferred + "    reason: our reading\n")
    report = check_project(project)
    assert report.count("inferred") == 1 and report.ok(strict=True)


def test_build_publishes_spans_as_web_annotations(tmp_path: Path) -> None:
    project = project_with(tmp_path, GOOD)
    result = build(project, tmp_path / "dist")
    assert result.grounding.ok(strict=True)
    store = ox.Store()
    store.extend(result.quads)
    rows = list(store.query(f"""
        PREFIX oa: <{OA}>
        SELECT ?g ?body ?start ?end WHERE {{ GRAPH ?g {{
            ?a a oa:Annotation ; oa:hasBody ?body ; oa:hasTarget/oa:hasSelector ?s .
            ?s a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end }} }}
        ORDER BY ?body"""))
    got = sorted((r["g"].value.rsplit("/", 1)[-1], r["body"].value.rsplit("/", 1)[-1],
                  int(r["start"].value), int(r["end"].value)) for r in rows)
    assert got == [("s11p1", "liberia", 11495, 11666), ("s11p1", "united-nations", 11495, 11666),
                   ("s11p1", "unmil", 11495, 11666)]


def test_every_bundled_fact_is_grounded_or_marked_inferred() -> None:
    """The audit holds: `peaceld facts check --strict` passes on the bundled project."""
    if not SEEDS.is_dir():
        pytest.skip(f"the source articles are not at {SEEDS}")
    report = check_project(ROOT, [SEEDS])
    assert report.missing_articles == []
    assert report.lines() == []
    assert report.ok(strict=True)
    assert report.count("grounded") > 3 * report.count("inferred")
    result = CliRunner().invoke(main, ["facts", "check", str(ROOT), "-a", str(SEEDS), "--strict"])
    assert result.exit_code == 0, result.output
    assert "100.0% grounded or inferred" in result.output


def test_every_claim_has_a_section_and_passages_have_labels(tmp_path: Path) -> None:
    """The README's provenance pattern finds every passage graph, the introduction's too."""
    store = ox.Store()
    store.extend(build(ROOT, tmp_path / "dist", validate=False).quads)
    prologue = ("PREFIX pld: <https://w3id.org/peaceld/ontology#>\n"
                "PREFIX dcterms: <http://purl.org/dc/terms/>\n"
                "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n")
    graphs = {r["g"].value for r in store.query(
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
        "FILTER STRSTARTS(STR(?g), 'https://w3id.org/peaceld/id/passage/') }")}
    covered = {r["g"].value for r in store.query(prologue + """
        SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o }
          ?g dcterms:isPartOf ?article ; pld:sectionTitle ?section ;
             pld:paragraphNumber ?paragraph ; rdfs:label ?label }""",
        use_default_graph_as_union=True)}
    assert graphs and graphs == covered
    intro = list(store.query(prologue + """
        SELECT ?t WHERE { <https://w3id.org/peaceld/id/passage/002_8669f93456044061/s0p1>
                          pld:sectionTitle ?t }""", use_default_graph_as_union=True))
    assert [r["t"].value for r in intro] == ["Introduction"]

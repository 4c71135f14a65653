"""The Python API (peaceld.Project), RDF I/O, and what a newcomer meets on the command line."""

from __future__ import annotations

import csv
import io
import os
import random
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

import peaceld
from peaceld.cli import main
from peaceld.project import bundled_root
from peaceld.rdfio import canonicalize, load_ontology, parse_file, serialize

ROOT = bundled_root()


@pytest.fixture(scope="module")
def kg(tmp_path_factory: pytest.TempPathFactory) -> peaceld.Project:
    project = peaceld.Project(ROOT, dist=tmp_path_factory.mktemp("dist"))
    project.build()
    return project


@pytest.fixture()
def in_folder(tmp_path: Path) -> Path:
    """Run the test from an empty folder that is not a project."""
    before = Path.cwd()
    os.chdir(tmp_path)
    yield tmp_path
    os.chdir(before)


# --- the API ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_build_result_is_typed_and_complete(kg: peaceld.Project) -> None:
    result = kg.build(validate=True)
    assert isinstance(result, peaceld.BuildResult)
    assert isinstance(result.validation, peaceld.ValidationReport)
    assert not result.validation.has_violations and result.validation.focus_nodes > 100
    assert [p.name for p in result.files] == ["peaceld.ttl", "peaceld.trig", "peaceld.nq",
                                              "summary.json"]
    assert result.stats["passages"] >= result.stats["passages_cited"] > 100
    assert result.warnings == []


def test_query_by_name_and_by_text_give_rows(kg: peaceld.Project) -> None:
    head, rows = kg.query(name="operations-by-lead").table()
    assert head and len(rows) >= 5
    text = kg.queries()["operations-by-lead"].text
    assert kg.query(text).table() == (head, rows)
    # every prefix a table shows can be pasted back into a query
    unmil = next(r for r in rows if any("unmil" in c for c in r))
    name = next(c for c in unmil if c.startswith("operation:"))
    ask = kg.query(f"ASK {{ {name} a pld:PeaceOperation }}")
    assert ask.kind == "ask" and ask.boolean is True
    as_csv = kg.query(name="operations-by-lead", fmt="csv").data.decode()
    assert len(list(csv.reader(io.StringIO(as_csv)))) == len(rows) + 1


def test_construct_comes_back_as_rdf(kg: peaceld.Project) -> None:
    result = kg.query("CONSTRUCT { ?s a pld:PeaceOperation } WHERE { ?s a pld:PeaceOperation }",
                      fmt="nt")
    triples = list(ox.parse(result.data, format=ox.RdfFormat.N_TRIPLES))
    assert result.kind == "graph" and len(triples) >= 5
    with pytest.raises(peaceld.PeaceldError, match="gives RDF"):
        kg.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", fmt="csv")


def test_unknown_query_name_suggests_one(kg: peaceld.Project) -> None:
    with pytest.raises(peaceld.PeaceldError, match="did you mean 'operations-by-lead'"):
        kg.query(name="operations-by-leed")


def test_validate_and_export(kg: peaceld.Project, tmp_path: Path) -> None:
    corpus = Path(__file__).parent / "data" / "contributions"
    assert kg.validate([corpus / "valid-full.ttl"]).conforms
    report = kg.validate([corpus / "op-end-before-start.ttl"])
    assert not report.conforms and report.has_violations and report.fails("violation")
    data = kg.export("nt", part="data")
    assert isinstance(data, bytes)
    assert data.count(b"\n") == len(ox.Dataset(ox.parse(data, format=ox.RdfFormat.N_TRIPLES))) > 500
    files = kg.export("ttl", part="ontology", out=tmp_path / "onto.ttl")
    assert files == [tmp_path / "onto.ttl", tmp_path / "onto.ttl.void.ttl"]


def test_a_project_without_a_build_says_how_to_make_one(tmp_path: Path) -> None:
    project = peaceld.Project(ROOT, dist=tmp_path / "nothing")
    with pytest.raises(peaceld.PeaceldError, match="run 'peaceld build' first"):
        project.query("ASK { ?s ?p ?o }")
    assert not (tmp_path / "nothing").exists()


def test_core_imports_without_click() -> None:
    import subprocess
    import sys

    code = ("import sys; import peaceld; peaceld.Project; "
            "assert 'click' not in sys.modules, sorted(m for m in sys.modules if 'click' in m)")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])


# --- RDF I/O ---------------------------------------------------------------------------------

TWO_RESTRICTIONS = """
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<http://x/A> rdfs:subClassOf [ a owl:Restriction ; owl:onProperty <http://x/p> ;
                               owl:someValuesFrom <http://x/B> ] .
<http://x/C> rdfs:subClassOf [ a owl:Restriction ; owl:onProperty <http://x/p> ;
                               owl:someValuesFrom <http://x/B> ] .
<http://x/D> <http://x/q> ( [ <http://x/r> 1 ] [ <http://x/r> 1 ] ) .
"""


def test_canonical_blank_nodes_do_not_depend_on_parsing(tmp_path: Path) -> None:
    """RDFC-1.0: the same graph gives the same bytes whatever labels and order a parse gave."""
    outputs = set()
    rng = random.Random(5)
    for i in range(20):
        path = tmp_path / f"o{i}.ttl"
        path.write_text(TWO_RESTRICTIONS)
        quads = parse_file(path)
        rng.shuffle(quads)
        outputs.add(serialize(canonicalize(quads), "nq"))
    assert len(outputs) == 1
    assert len(list(ox.parse(outputs.pop(), format=ox.RdfFormat.N_QUADS))) == len(quads)


def test_relative_iris_resolve_against_the_file(tmp_path: Path) -> None:
    path = tmp_path / "rel.ttl"
    path.write_text("<> <http://x/p> <thing> .\n")
    quad = parse_file(path)[0]
    assert quad.subject.value == path.resolve().as_uri()
    assert quad.object.value == (tmp_path / "thing").resolve().as_uri()


def test_ontology_loads_into_its_graph_with_stable_labels() -> None:
    files = sorted((ROOT / "ontology").glob("*.ttl"))
    a, b = load_ontology(files), load_ontology(files)
    assert a == b and {q.graph_name.value for q in a} == {
        "https://w3id.org/peaceld/graph/ontology"}


# --- what a newcomer meets ---------------------------------------------------------------------


def test_piped_table_is_plain_tsv(kg: peaceld.Project) -> None:
    result = CliRunner().invoke(main, ["query", "--name", "operations-by-lead",
                                       "--dist", str(kg.dist)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    head, rows = kg.query(name="operations-by-lead").table()
    assert lines[0].split("\t") == head and len(lines) == len(rows) + 1


def test_query_outside_a_project_without_a_build_builds_nothing(in_folder: Path) -> None:
    result = CliRunner().invoke(main, ["query", "-e", "ASK { ?s ?p ?o }"])
    assert result.exit_code == 2
    assert "run 'peaceld build' first" in result.output
    assert list(in_folder.iterdir()) == []


def test_build_in_a_project_subfolder_builds_that_project(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["init", str(tmp_path / "p")]).exit_code == 0
    for path in (ROOT / "facts").glob("*.yaml"):
        shutil.copy(path, tmp_path / "p" / "facts")
    before = Path.cwd()
    os.chdir(tmp_path / "p" / "facts")
    try:
        result = runner.invoke(main, ["build", "-q"])
    finally:
        os.chdir(before)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "p" / "dist" / "peaceld.nq").is_file()
    assert not (tmp_path / "p" / "facts" / "dist").exists()


def test_an_empty_project_warns_and_init_says_what_next(tmp_path: Path) -> None:
    runner = CliRunner()
    init = runner.invoke(main, ["init", str(tmp_path / "p")])
    assert "Next:" in init.output and "peaceld build" in init.output
    result = runner.invoke(main, ["build", str(tmp_path / "p")])
    assert result.exit_code == 0, result.output
    assert "warning: no facts in" in result.output
    assert "validation: conforms" in result.output


def test_build_summary_explains_passages(kg: peaceld.Project, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["build", str(ROOT), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "passages cited by facts" in result.output
    # the bundled graph has a warning: built, yet not said to conform (SHACL's meaning)
    assert "validation: does not conform (no violation): 0 violation(s), 1 warning(s)" in \
        result.output


@pytest.mark.parametrize(("suffix", "fmt"), [(".nt", ox.RdfFormat.N_TRIPLES),
                                             (".nq", ox.RdfFormat.N_QUADS),
                                             (".ttl", ox.RdfFormat.TURTLE)])
def test_map_writes_the_format_its_output_file_names(tmp_path: Path, suffix: str,
                                                     fmt: ox.RdfFormat) -> None:
    out = tmp_path / f"facts{suffix}"
    facts = sorted((ROOT / "facts").glob("*.yaml"), key=lambda p: "passages" not in p.name)
    result = CliRunner().invoke(main, ["map", "-m", str(ROOT / "mappings" / "facts.yaml"),
                                       *map(str, facts), "-o", str(out)])
    assert result.exit_code == 0, result.output
    parsed = list(ox.parse(out.read_bytes(), format=fmt))
    assert len(parsed) > 100
    named = {isinstance(q.graph_name, ox.NamedNode) for q in parsed}
    assert named == ({True} if suffix == ".nq" else {False})


def test_ontology_check_reads_the_projects_own_ontology(tmp_path: Path) -> None:
    runner = CliRunner()
    runner.invoke(main, ["init", str(tmp_path / "p")])
    (tmp_path / "p" / "ontology" / "extra.ttl").write_text(
        "<https://w3id.org/peaceld/ontology#Unlabelled> a "
        "<http://www.w3.org/2002/07/owl#Class> .\n")
    before = Path.cwd()
    os.chdir(tmp_path / "p")
    try:
        result = runner.invoke(main, ["ontology", "check", "--no-reasoner"])
    finally:
        os.chdir(before)
    assert result.exit_code == 1
    assert "pld:Unlabelled" in result.output and "no-label" in result.output

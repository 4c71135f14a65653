"""`peaceld build`, `map`, `init` and `passages` on the bundled data, through the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from conftest import shared

from peaceld.build import OUTPUTS, build
from peaceld.cli import main
from peaceld.passages import check_article, passages_document, split_article
from peaceld.project import bundled_root
from peaceld.records import load_yaml, strip_lines

ROOT = bundled_root()
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
ID = "https://w3id.org/peaceld/id/"
PLD = "https://w3id.org/peaceld/ontology#"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("dist")
    return build(ROOT, out_dir=out, validate=True)


def store_of(result) -> ox.Store:
    store = ox.Store()
    store.extend(result.quads)
    return store


def ask(store: ox.Store, query: str) -> list[tuple[str, ...]]:
    prologue = f"PREFIX pld: <{PLD}>\nPREFIX pldid: <{ID}>\n"
    prologue += "PREFIX dcterms: <http://purl.org/dc/terms/>\n"
    return [tuple(t.value for t in row)
            for row in store.query(prologue + query, use_default_graph_as_union=True)]


def test_build_writes_every_output_and_a_summary(built) -> None:
    assert [p.name for p in built.files] == list(OUTPUTS)
    summary = json.loads((built.out_dir / "summary.json").read_text())
    assert summary["sources"] == 5
    assert summary["facts"] >= 300
    assert summary["entities_per_class"]["pld:PeaceOperation"] >= 8
    assert summary["passages_cited"] >= 100


def test_every_article_is_described_with_its_ai_disclosure(built) -> None:
    rows = ask(store_of(built), """
        SELECT ?id ?disclosure WHERE { ?a a pld:Article ; dcterms:identifier ?id ;
                                         pld:aiDisclosure ?disclosure } ORDER BY ?id""")
    disclosure = {i: d.rsplit("/", 1)[-1] for i, d in rows}
    assert disclosure == {
        "000_23a1984864b60070": "not-declared",
        "001_dc7105e24f5d1192": "declared",
        "002_8669f93456044061": "not-declared",
        "003_9aeec1d430f0789f": "declared",
        "004_648312329135cd7a": "partly-declared",
    }


def test_every_data_triple_comes_from_a_cited_passage(built) -> None:
    """Provenance: every triple outside the ontology and sources graphs sits in a passage graph
    that is described as a part of a known article."""
    store = store_of(built)
    graphs = {g.value for g in store.named_graphs()}
    passages = {g for g in graphs if g.startswith(ID + "passage/")}
    assert graphs - passages == {"https://w3id.org/peaceld/graph/ontology",
                                 "https://w3id.org/peaceld/graph/sources",
                                 "https://w3id.org/peaceld/graph/curators",
                                 "https://w3id.org/peaceld/graph/reference"}
    described = {r[0] for r in ask(store, """
        SELECT ?p WHERE { GRAPH <https://w3id.org/peaceld/graph/sources> {
            ?p a pld:Passage ; dcterms:isPartOf ?a . ?a a pld:Article } }""")}
    assert passages <= described


def test_the_same_entity_from_several_articles_is_one_node(built) -> None:
    rows = ask(store_of(built), """
        SELECT DISTINCT ?article WHERE {
          GRAPH ?g { <https://w3id.org/peaceld/id/organisation/nato> ?p ?o }
          ?g dcterms:isPartOf ?article }""")
    assert len(rows) >= 3  # NATO is named in at least three of the articles


def test_outcomes_as_judged_by_each_source(built) -> None:
    rows = set(ask(store_of(built), """
        SELECT ?op ?outcome ?article WHERE {
          ?a a pld:OutcomeAssessment ; pld:assesses ?op ; pld:outcome ?outcome ;
             pld:assessedIn ?article }"""))
    judged = {(op.rsplit("/", 1)[-1], o.rsplit("/", 1)[-1], a.rsplit("/", 1)[-1])
              for op, o, a in rows}
    assert ("untag", "success", "002_8669f93456044061") in judged
    assert ("unamir", "failure", "002_8669f93456044061") in judged
    assert ("unmil", "success", "001_dc7105e24f5d1192") in judged
    assert ("kfor", "success", "001_dc7105e24f5d1192") in judged


def test_two_builds_are_byte_identical(built, tmp_path: Path) -> None:
    build(ROOT, out_dir=tmp_path, validate=False)
    for name in OUTPUTS:
        assert (tmp_path / name).read_bytes() == (built.out_dir / name).read_bytes(), name


def test_passage_tables_match_the_articles() -> None:
    shared("seeds")
    for article in sorted(SEEDS.glob("*.txt")):
        table = strip_lines(load_yaml(ROOT / "facts" / f"{article.stem}.passages.yaml"))
        assert check_article(table, article) == []
        text = article.read_text(encoding="utf-8")
        for p in split_article(text):  # a passage is a whole paragraph, no surrounding space
            assert text[p.start:p.end] == text[p.start:p.end].strip()


def test_split_article_sections_and_list_items() -> None:
    text = ("Intro paragraph one.\nMain Heading\nFirst para.\n- item a\n  1. item b\n"
            "See also Something Else\nSecond Heading\nAnother para.\n")
    got = [(p.id, p.heading, p.list_item, text[p.start:p.end]) for p in split_article(text)]
    assert got == [
        ("s0p1", None, False, "Intro paragraph one."),
        ("s1p1", "Main Heading", False, "First para."),
        ("s1p2", "Main Heading", True, "- item a"),
        ("s1p3", "Main Heading", True, "1. item b"),
        ("s2p1", "Second Heading", False, "Another para."),
    ]


# --- bad input: one line, exit 2, dist/ untouched -------------------------------------------


def make_project(tmp_path: Path) -> Path:
    project = tmp_path / "proj"
    result = CliRunner().invoke(main, ["init", str(project)])
    assert result.exit_code == 0, result.output
    article = "001_dc7105e24f5d1192"
    shutil.copy(ROOT / "facts" / f"{article}.passages.yaml", project / "facts")
    (project / "facts" / f"{article}.yaml").write_text(
        f"article:\n  id: {article}\n  title: Test article\n  ai_written: declared\n"
        "facts:\n"
        "  - kind: organisation\n    at: s11p1\n    id: united-nations\n"
        "    name: United Nations\n    acronym: UN\n    category: intergovernmental\n"
        "  - kind: operation\n    at: s11p1\n    id: unmil\n"
        "    name: United Nations Mission in Liberia\n    acronym: UNMIL\n    lead: UN\n"
        "    end_year: 2003\n", encoding="utf-8")
    return project


def test_init_then_build_a_project_of_ones_own(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    result = CliRunner().invoke(main, ["build", str(project), "-q"])
    assert result.exit_code == 0, result.output
    ttl = (project / "dist" / "peaceld.ttl").read_text()
    assert "operation:unmil a pld:PeaceOperation" in ttl
    again = CliRunner().invoke(main, ["init", str(project)])
    assert again.exit_code == 2 and "already a peaceld project" in again.output


@pytest.mark.parametrize(("edit", "message"), [
    (("lead: UN", "lead: UNO"), ":17: unknown organisation 'UNO'"),
    (("end_year: 2003", "end_year: 20x3"), ":18: '20x3' is not a year (YYYY)"),
    (("    acronym: UNMIL", "    acronim: UNMIL"),
     ":16: unknown field 'acronim' for kind 'operation' (did you mean 'acronym'?)"),
    (("kind: operation", "kind: operashun"),
     ":12: unknown kind 'operashun' (did you mean 'operation'?)"),
    (("at: s11p1\n    id: unmil", "at: s99p1\n    id: unmil"),
     ":13: unknown passage '001_dc7105e24f5d1192/s99p1' (did you mean"),
    (("  - kind: operation", "  - kind: operation\n bad: [indent"), ":13:2: YAML syntax error"),
])
def test_bad_facts_fail_cleanly_and_leave_dist_alone(tmp_path: Path, edit: tuple[str, str],
                                                     message: str) -> None:
    project = make_project(tmp_path)
    runner = CliRunner()
    assert runner.invoke(main, ["build", str(project), "-q"]).exit_code == 0
    before = {p.name: p.read_bytes() for p in (project / "dist").iterdir()}
    facts = project / "facts" / "001_dc7105e24f5d1192.yaml"
    facts.write_text(facts.read_text().replace(*edit), encoding="utf-8")
    result = runner.invoke(main, ["build", str(project), "-q"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    first = result.output.splitlines()[0]
    assert first.startswith("error: ") and str(facts) in first and message in first, first
    after = {p.name: p.read_bytes() for p in (project / "dist").iterdir()}
    assert after == before


def test_map_command_writes_nothing_on_error(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    facts = project / "facts" / "001_dc7105e24f5d1192.yaml"
    facts.write_text(facts.read_text().replace("lead: UN", "lead: UNO"), encoding="utf-8")
    out = tmp_path / "out.nq"
    result = CliRunner().invoke(main, [
        "map", "-m", str(ROOT / "mappings" / "facts.yaml"),
        str(project / "facts" / "001_dc7105e24f5d1192.passages.yaml"), str(facts), "-o", str(out)])
    assert result.exit_code == 2
    assert not out.exists() and not list(tmp_path.glob(".out.nq*"))


def test_passages_command(tmp_path: Path) -> None:
    shared("seeds")
    article = SEEDS / "003_9aeec1d430f0789f.txt"
    out = tmp_path / "p.yaml"
    result = CliRunner().invoke(main, ["passages", str(article), "-o", str(out)])
    assert result.exit_code == 0, result.output
    doc = strip_lines(load_yaml(out))
    assert doc["passages"] == passages_document(article)["passages"]
    assert (ROOT / "facts" / "003_9aeec1d430f0789f.passages.yaml").read_text() == out.read_text()


def test_help_and_version() -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["--version"]).output.startswith("peaceld, version ")
    commands = []
    for name, command in main.commands.items():
        subcommands = getattr(command, "commands", None)
        commands += [[name, sub] for sub in subcommands] if subcommands else [[name]]
    assert len(commands) >= 10
    for command in commands:
        result = runner.invoke(main, [*command, "--help"])
        assert result.exit_code == 0 and "Example" in result.output, command

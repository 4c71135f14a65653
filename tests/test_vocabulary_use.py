"""Every term the ontology declares is used by data the project ships.

The data is the bundled build (facts and reference tables) plus the shipped samples mapped by
the shipped table mappings; `peaceld ontology check --data ... --map ...` must report no
unused own term, so declaring a term that nobody uses fails CI.
"""

from __future__ import annotations

import csv
import json
import re
import tomllib
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from peaceld.build import build
from peaceld.cli import main
from peaceld.ontology import check_ontology
from peaceld.project import bundled_root

ROOT = bundled_root()
SAMPLES = Path(__file__).resolve().parents[1] / "samples"
ONTOLOGY = ROOT / "ontology" / "peaceld.ttl"
PLD = "https://w3id.org/peaceld/ontology#"
REFERENCE = "https://w3id.org/peaceld/graph/reference"

EXTRA = """@prefix pld: <https://w3id.org/peaceld/ontology#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
pld:neverUsed a owl:DatatypeProperty ;
    rdfs:domain pld:PeaceOperation ; rdfs:range rdfs:Literal ;
    rdfs:label "never used"@en ; skos:definition "A property no data uses."@en .
"""


def shipped_tables() -> list[tuple[Path, Path]]:
    """(mapping, sample) for every shipped table mapping: samples/NAME.csv and its mapping."""
    return [(ROOT / "mappings" / f"{csv.stem}.yaml", csv) for csv in sorted(SAMPLES.glob("*.csv"))]


def map_args() -> list[str]:
    return [a for mapping, csv in shipped_tables() for a in ("--map", str(mapping), str(csv))]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    build(ROOT, out_dir=out, validate=False)
    return out / "peaceld.nq"


def unused(output: str) -> list[str]:
    return [f["term"] for f in json.loads(output)["findings"] if f["code"] == "unused"]


def test_every_mapping_is_built_or_has_a_sample() -> None:
    """A mapping whose terms no shipped data exercises cannot hide from the check below."""
    config = tomllib.loads((ROOT / "peaceld.toml").read_text(encoding="utf-8"))
    in_build = {Path(i["mapping"]).stem for i in config.get("inputs", [])} | {"facts"}
    sampled = {mapping.stem for mapping, _ in shipped_tables()}
    assert all(mapping.is_file() for mapping, _ in shipped_tables())
    assert {p.stem for p in (ROOT / "mappings").glob("*.yaml")} == in_build | sampled


def test_no_own_term_is_unused_by_the_build_and_the_samples(built: Path) -> None:
    result = CliRunner().invoke(main, ["ontology", "check", str(ONTOLOGY), "--no-reasoner",
                                       "--format", "json", "--fail-unused", "--data", str(built),
                                       *map_args()])
    assert result.exit_code == 0, unused(result.output)
    assert unused(result.output) == []


def test_data_files_count_together(tmp_path: Path, built: Path) -> None:
    """--data is repeatable: the samples mapped to files beforehand count like --map."""
    data = ["--data", str(built)]
    for mapping, sample in shipped_tables():
        out = tmp_path / f"{sample.stem}.nq"
        result = CliRunner().invoke(main, ["map", "-m", str(mapping), str(sample), "-o", str(out)])
        assert result.exit_code == 0, result.output
        data += ["--data", str(out)]
    result = CliRunner().invoke(main, ["ontology", "check", str(ONTOLOGY), "--no-reasoner",
                                       "--format", "json", "--fail-unused", *data])
    assert result.exit_code == 0 and unused(result.output) == []


def test_the_build_alone_leaves_the_table_vocabulary_unused(built: Path) -> None:
    """--map is what makes the table vocabulary count: without it the check does report."""
    result = CliRunner().invoke(main, ["ontology", "check", str(ONTOLOGY), "--no-reasoner",
                                       "--format", "json", "--fail-unused", "--data", str(built)])
    assert result.exit_code == 1
    missing = set(unused(result.output))
    assert {"pld:PersonnelCount", "pld:Deployment", "pld:latitude", "pld:femaleShare"} <= missing
    assert "pld:PeaceOperation" not in missing and "pld:hasMember" not in missing


def test_a_new_term_nobody_uses_fails(tmp_path: Path, built: Path) -> None:
    extended = tmp_path / "extended.ttl"
    extended.write_text(ONTOLOGY.read_text(encoding="utf-8") + EXTRA, encoding="utf-8")
    result = CliRunner().invoke(main, ["ontology", "check", str(extended), "--no-reasoner",
                                       "--format", "json", "--fail-unused", "--data", str(built),
                                       *map_args()])
    assert result.exit_code == 1
    assert unused(result.output) == ["pld:neverUsed"]
    # the same through the API, with the extension as a second ontology file
    extra = tmp_path / "extra.ttl"
    extra.write_text(EXTRA, encoding="utf-8")
    report = check_ontology([ONTOLOGY, extra], reasoner=False, data=[built],
                            mapped=[(m, [c]) for m, c in shipped_tables()])
    assert [f.term for f in report.findings if f.code == "unused"] == ["pld:neverUsed"]


def test_bad_inputs_exit_2_with_one_line(tmp_path: Path) -> None:
    mapping = tmp_path / "broken.yaml"
    mapping.write_text("rules: [\n", encoding="utf-8")
    csv = SAMPLES / "un-missions.csv"
    result = CliRunner().invoke(main, ["ontology", "check", str(ONTOLOGY), "--no-reasoner",
                                       "--map", str(mapping), str(csv)])
    assert result.exit_code == 2
    assert "broken.yaml:2:1" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(main, ["ontology", "check", str(ONTOLOGY), "--fail-unused"])
    assert result.exit_code == 2 and "--fail-unused needs --data or --map" in result.output


def test_has_member_mirrors_the_reference_memberships(built: Path) -> None:
    store = ox.Store()
    store.load(built.read_bytes(), format=ox.RdfFormat.N_QUADS)
    pairs = {(r["o"].value, r["s"].value) for r in store.query(
        f"SELECT ?s ?o WHERE {{ GRAPH <{REFERENCE}> {{ ?s <{PLD}hasMember> ?o }} }}")}
    members = {(r["s"].value, r["o"].value) for r in store.query(
        f"SELECT ?s ?o WHERE {{ GRAPH <{REFERENCE}> {{ ?s <{PLD}memberOf> ?o }} }}")}
    assert len(pairs) == 5 and pairs == members


WIKIDATA = "http://www.wikidata.org/entity/"


def wikidata_column() -> dict[str, str]:
    """Every identifier of the reference tables' ``wikidata`` columns, by entity IRI."""
    links: dict[str, str] = {}
    for name in ("places", "operations", "organisations"):
        with (ROOT / "reference" / f"{name}.csv").open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter=";"):
                if row["wikidata"]:
                    path = row.get("path") or {"operations": "operation"}.get(
                        name, "organisation")
                    links[f"https://w3id.org/peaceld/id/{path}/{row['id']}"] = row["wikidata"]
    return links


def test_every_wikidata_link_is_cited_and_only_in_the_reference_graph(built: Path) -> None:
    links = wikidata_column()
    assert len(links) == 18
    readme = (ROOT / "reference" / "README.md").read_text(encoding="utf-8")
    for entity, item in links.items():
        qid = item.removeprefix(WIKIDATA)
        assert re.fullmatch(r"Q[1-9][0-9]*", qid), item
        short = entity.removeprefix("https://w3id.org/peaceld/id/")
        assert re.search(rf"\| `{re.escape(short)}` \| {qid} \| \[", readme), (short, qid)
    published = [(q.subject.value, q.object.value, q.graph_name.value)
                 for q in ox.parse(built.read_bytes(), format=ox.RdfFormat.N_QUADS)
                 if q.predicate.value == "https://schema.org/sameAs"]
    assert {g for _, _, g in published} == {REFERENCE}
    assert {s: o for s, o, _ in published} == links


def test_files_of_one_mapping_are_mapped_together() -> None:
    """Facts files refer to entities other files declare: --map pairs with the same mapping
    are one input, as in a build."""
    facts = sorted((ROOT / "facts").glob("*.yaml"))
    args = [a for f in facts for a in ("--map", str(ROOT / "mappings" / "facts.yaml"), str(f))]
    result = CliRunner().invoke(main, ["ontology", "check", str(ONTOLOGY), "--no-reasoner",
                                       "--format", "json", *args])
    assert result.exit_code == 0, result.output
    missing = set(unused(result.output))
    assert "pld:PeaceOperation" not in missing and "pld:guidedBy" not in missing
    assert {"pld:PersonnelCount", "pld:statisticalAreaCode"} <= missing  # samples, reference

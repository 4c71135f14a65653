"""`peaceld facts sample`: a seeded random sample of the build's claims as a review sheet,
each claim with its passage read from the article file, its fact, evidence and basis."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from conftest import shared

from peaceld.build import build
from peaceld.cli import main
from peaceld.project import bundled_root
from peaceld.rdfio import load_dataset
from peaceld.review import NOT_CLAIMS, Sample, claims, sample

ROOT = bundled_root()
ARTICLE = "001_dc7105e24f5d1192"


@pytest.fixture(scope="module")
def seeds() -> Path:
    return shared("seeds")


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One build of the bundled dataset for the whole module."""
    out = tmp_path_factory.mktemp("review") / "dist"
    build(ROOT, out_dir=out, validate=False)
    return out


@pytest.fixture(scope="module")
def everything(dist: Path, seeds: Path) -> Sample:
    """Every claim of the bundled build, as a sample as large as the build."""
    return sample(ROOT, size=100_000, seed=1, dist=dist)


def sample_cli(*args: str) -> list[str]:
    return ["facts", "sample", *args]


CLAIMS_QUERY = """
PREFIX pld: <https://w3id.org/peaceld/ontology#>
PREFIX oa: <http://www.w3.org/ns/oa#>
SELECT (COUNT(*) AS ?n) WHERE {
  GRAPH <https://w3id.org/peaceld/graph/sources> { ?g a pld:Passage }
  GRAPH ?g { ?s ?p ?o }
  FILTER NOT EXISTS { GRAPH ?g { ?a a oa:Annotation ; (oa:hasTarget|oa:hasSelector)* ?s } }
  FILTER (?p NOT IN (%s))
}"""


def test_a_claim_is_a_passage_triple_without_the_bookkeeping(dist: Path) -> None:
    quads = load_dataset(dist / "peaceld.nq")
    found = claims(quads)
    store = ox.Store()
    store.extend(quads)
    excluded = ", ".join(f"<{p}>" for p in sorted(NOT_CLAIMS))
    [row] = list(store.query(CLAIMS_QUERY % excluded))
    assert len(found) == int(row["n"].value) > 300
    assert not any(c.predicate.value.startswith("http://www.w3.org/ns/oa#") for c in found)
    assert not any("/id/evidence/" in c.subject.value for c in found)
    assert not any(c.predicate.value in NOT_CLAIMS for c in found)
    assert all("/id/passage/" in c.graph for c in found)
    keys = [c.key for c in found]
    assert keys == sorted(set(keys))  # a fixed order, each claim once
    unmil = ("https://w3id.org/peaceld/id/passage/001_dc7105e24f5d1192/s11p1",
             "<https://w3id.org/peaceld/id/operation/unmil>",
             "<https://w3id.org/peaceld/ontology#ledBy>",
             "<https://w3id.org/peaceld/id/organisation/united-nations>")
    assert unmil in keys


def test_every_claim_comes_with_its_fact_passage_and_evidence(everything: Sample,
                                                              seeds: Path) -> None:
    assert everything.size == everything.total == len(everything.items)
    texts: dict[str, str] = {}
    for item in everything.items:
        p = item.passage
        text = texts.setdefault(p.article, (seeds / f"{p.article}.txt").read_text("utf-8"))
        assert item.text == text[p.start:p.end] and item.text.strip()
        assert p.section is not None and p.section_title and p.title
        assert p.ai_disclosure in ("declared", "partly-declared", "not-declared")
        # the build is fresh: every claim is made by a fact (by several when, say, a stated
        # and an inferred fact of one assessment both give its outcome)
        assert item.facts, item.claim.key
        for fact in item.facts:
            path, line = fact.where.rsplit(":", 1)
            assert path == f"facts/{p.article}.yaml"
            assert (ROOT / path).read_text("utf-8").splitlines()[int(line) - 1].lstrip(
                ).startswith("- kind:")
            for span in fact.spans:
                assert p.start <= span.start < span.end <= p.end
                assert span.text == text[span.start:span.end]
            if fact.basis == "stated":
                assert fact.spans


def test_the_sheet_shows_labels_basis_and_an_empty_verdict(everything: Sample) -> None:
    sheet = everything.markdown()
    assert sheet.count("**Verdict** (supported / partly / unsupported): \n") == everything.size
    assert "## " in sheet and "## 1. " in sheet
    assert "United Nations Mission in Liberia | led by | United Nations" in sheet
    assert "<https://w3id.org/peaceld/ontology#ledBy>" in sheet
    inferred = [f for i in everything.items for f in i.facts if f.basis == "inferred"]
    assert inferred and all(f.reason for f in inferred)
    assert f"basis: inferred \u2014 {inferred[0].reason}" in sheet
    assert "basis: stated" in sheet


@pytest.mark.slow
def test_same_seed_same_bytes_other_seed_other_sample(dist: Path, seeds: Path,
                                                      tmp_path: Path) -> None:
    runner = CliRunner()
    outs = []
    for seed, name in (("42", "a.md"), ("42", "b.md"), ("43", "c.md")):
        result = runner.invoke(main, sample_cli(str(ROOT), "--dist", str(dist), "--seed", seed,
                                                "-n", "5", "-o", str(tmp_path / name)))
        assert result.exit_code == 0, result.output
        assert "wrote 5 of" in result.stderr
        outs.append((tmp_path / name).read_bytes())
    assert outs[0] == outs[1]
    assert outs[0] != outs[2]
    numbers = re.findall(r"^## (\d+)\. ", outs[0].decode(), re.M)
    assert numbers == ["1", "2", "3", "4", "5"]
    assert b"seed 42" in outs[0]
    stdout = runner.invoke(main, sample_cli(str(ROOT), "--dist", str(dist), "--seed", "42",
                                            "-n", "5"))
    assert stdout.exit_code == 0 and stdout.stdout.encode() == outs[0]
    unseeded = runner.invoke(main, sample_cli(str(ROOT), "--dist", str(dist), "-n", "1"))
    assert unseeded.exit_code == 0
    seed = re.search(r"^seed (\d+)$", unseeded.stderr, re.M)
    assert seed and f"seed {seed.group(1)}" in unseeded.stdout


def test_the_sheet_is_never_written_into_the_project(dist: Path, seeds: Path) -> None:
    target = ROOT / "review-sheet.md"
    result = CliRunner().invoke(main, sample_cli(str(ROOT), "--dist", str(dist), "--seed", "1",
                                                 "-n", "2", "-o", str(target)))
    assert result.exit_code == 2
    assert "quotes the articles" in result.stderr and len(result.stderr.splitlines()) == 1
    assert not target.exists()


def test_without_a_build_one_line_and_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, sample_cli(str(ROOT), "--dist", str(tmp_path / "none")))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and "no build here" in result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.output


FACTS = (f"article:\n  id: {ARTICLE}\n  title: Test article\n  ai_written: declared\nfacts:\n"
         "  - kind: operation\n    at: s11p1\n    id: unmil\n"
         "    name: United Nations Mission in Liberia\n    acronym: UNMIL\n"
         "    lead: united-nations\n"
         "    evidence: {span: [11495, 11666], subject: United Nations Mission in Liberia,\n"
         "               mentions: {united-nations: United Nations}}\n"
         "  - kind: organisation\n    at: s11p1\n    id: united-nations\n"
         "    name: United Nations\n    category: intergovernmental\n"
         "    evidence: {span: [11495, 11666], subject: United Nations}\n")


@pytest.fixture()
def small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with two facts of article 001 and no article text beside it, built."""
    monkeypatch.delenv("PEACELD_ARTICLES", raising=False)
    project = tmp_path / "proj"
    assert CliRunner().invoke(main, ["init", str(project)]).exit_code == 0
    shutil.copy(ROOT / "facts" / f"{ARTICLE}.passages.yaml", project / "facts")
    (project / "facts" / f"{ARTICLE}.yaml").write_text(FACTS, encoding="utf-8")
    build(project, validate=False)
    return project


def test_a_missing_article_fails_in_one_line_and_a_given_folder_works(small: Path,
                                                                      seeds: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, sample_cli(str(small), "--seed", "3"))
    assert result.exit_code == 2
    assert f"article text not found: {ARTICLE}.txt" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    result = runner.invoke(main, sample_cli(str(small), "--seed", "3", "-a", str(seeds),
                                            "-o", str(small / "dist" / "sheet.md")))
    assert result.exit_code == 0, result.output
    sheet = (small / "dist" / "sheet.md").read_text("utf-8")
    assert sheet.startswith("# Review sheet: 2 of 2 claims, seed 3\n")  # all there are
    assert "United Nations Mission in Liberia | acronym | UNMIL" in sheet
    assert f"fact: facts/{ARTICLE}.yaml:6 (operation unmil), basis: stated" in sheet
    assert "evidence [11495, 11666]: \u201cThe United Nations Mission in Liberia" in sheet


def test_an_article_that_differs_from_its_passages_is_refused(small: Path, seeds: Path,
                                                             tmp_path: Path) -> None:
    edited = tmp_path / "edited"
    edited.mkdir()
    text = (seeds / f"{ARTICLE}.txt").read_text("utf-8")
    (edited / f"{ARTICLE}.txt").write_text(text[:11500] + "X" + text[11501:], encoding="utf-8")
    result = CliRunner().invoke(main, sample_cli(str(small), "--seed", "3", "-a", str(edited)))
    assert result.exit_code == 2
    assert "differs from the build's passage s11p1" in result.stderr
    assert len(result.stderr.splitlines()) == 1


# --- the coverage sheet: passages, with the claims the graph holds -----------------------------


def test_a_passage_sample_shows_every_claim_of_each_drawn_passage(dist: Path, seeds: Path,
                                                                  tmp_path: Path) -> None:
    from peaceld.coverage import sample_passages
    drawn = sample_passages(ROOT, size=15, seed=11, dist=dist, articles=[seeds])
    assert drawn.size == 15 and drawn.total > 200
    assert len({i.passage.iri for i in drawn.items}) == 15
    assert all(i.passage.end - i.passage.start > 150 for i in drawn.items)
    every = claims(load_dataset(dist / "peaceld.nq"))
    for item in drawn.items:
        graph_claims = {(c.subject, c.predicate, c.object) for c in every
                        if c.graph == item.passage.iri}
        # one line per distinct claim (a claim two facts make is one line)
        assert len(item.held) <= len(graph_claims) and (not graph_claims or item.held)
        text = (seeds / f"{item.passage.article}.txt").read_text(encoding="utf-8")
        assert item.text == text[item.passage.start:item.passage.end]
    sheet = drawn.markdown()
    assert sheet.count("**Counts**: made: ") == 15 and "seed 11" in sheet
    runner = CliRunner()
    outs = []
    for name in ("a.md", "b.md"):
        result = runner.invoke(main, sample_cli(str(ROOT), "--passages", "--dist", str(dist),
                                                "--seed", "11", "-o", str(tmp_path / name)))
        assert result.exit_code == 0, result.output
        assert "wrote 15 of" in result.stderr and "passages" in result.stderr
        outs.append((tmp_path / name).read_bytes())
    assert outs[0] == outs[1] == sheet.encode("utf-8")
    other = runner.invoke(main, sample_cli(str(ROOT), "--passages", "-n", "3", "--dist",
                                           str(dist), "--seed", "12"))
    assert other.exit_code == 0 and other.stdout.count("\n## ") == 3
    inside = runner.invoke(main, sample_cli(str(ROOT), "--passages", "--dist", str(dist),
                                            "--seed", "1", "-o", str(ROOT / "coverage.md")))
    assert inside.exit_code == 2 and not (ROOT / "coverage.md").exists()

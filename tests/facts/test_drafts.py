"""Drafted facts (a ``draft:`` mark) are checked but never built until a person accepts them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from peaceld.build import build
from peaceld.cli import main
from peaceld.grounding import check_project
from peaceld.project import bundled_root
from peaceld.records import read_facts

ROOT = bundled_root()
ARTICLE = "004_648312329135cd7a"
# s1p2 of article 004: "International cooperation also enhances legitimacy and political
# backing for peacekeeping efforts." The bundled facts do not claim legitimacy there.
DRAFT = """\
  - kind: practice
    at: s1p2
    id: international-cooperation
    name: international cooperation in peacekeeping
    objectives: [legitimacy]
    evidence: {span: [1074, 1172], subject: International cooperation,
               mentions: {legitimacy: enhances legitimacy}}
    draft: {by: "peaceld-drafter test (rules)", confidence: 0.6, rule: "test"}
"""
CLAIM = ("https://w3id.org/peaceld/id/practice/international-cooperation",
         "https://w3id.org/peaceld/ontology#hasObjective",
         "https://w3id.org/peaceld/concept/objective/legitimacy")


def _project(tmp_path: Path, extra: str) -> Path:
    """A copy of the bundled project whose article-004 facts list ends with ``extra``."""
    root = tmp_path / "project"
    root.mkdir(parents=True)
    shutil.copy(ROOT / "peaceld.toml", root / "peaceld.toml")
    shutil.copytree(ROOT / "facts", root / "facts")
    (root / "articles").symlink_to(ROOT.parent / "shared" / "seeds")
    facts = root / "facts" / f"{ARTICLE}.yaml"
    text = facts.read_text(encoding="utf-8")
    head, sep, tail = text.partition("\npassages_without_claims:")
    facts.write_text(head.rstrip("\n") + "\n" + extra + sep + tail if sep else text + extra,
                     encoding="utf-8")
    return root


def _graph(root: Path) -> set[tuple[str, str, str, str]]:
    result = build(root, out_dir=root / "dist", validate=False)
    return {(str(q.graph_name), str(q.subject), str(q.predicate), str(q.object))
            for q in result.quads}


def _has_claim(quads: set[tuple[str, str, str, str]]) -> bool:
    return any((s.strip("<>"), p.strip("<>"), o.strip("<>")) == CLAIM for _g, s, p, o in quads)


def test_drafts_are_read_only_when_asked(tmp_path: Path) -> None:
    facts = _project(tmp_path, DRAFT) / "facts" / f"{ARTICLE}.yaml"
    published = list(read_facts(facts))
    everything = list(read_facts(facts, drafts=True))
    assert len(everything) == len(published) + 1
    assert everything[-1].values["draft"]["rule"] == "test"


@pytest.mark.slow
def test_a_draft_builds_to_exactly_the_graph_without_it(tmp_path: Path) -> None:
    if not (ROOT.parent / "shared" / "seeds").is_dir():
        pytest.skip("the article texts are not beside the checkout")
    plain = _graph(_project(tmp_path / "a", ""))
    drafted_root = _project(tmp_path / "b", DRAFT)
    drafted = _graph(drafted_root)
    assert drafted == plain
    assert not _has_claim(drafted)
    summary = (drafted_root / "dist" / "summary.json").read_text()
    assert '"drafts_left_out": 1' in summary

    accepted = DRAFT.replace('    draft: {by: "peaceld-drafter test (rules)", confidence: 0.6, '
                             'rule: "test"}\n', "")
    assert accepted != DRAFT
    graph = _graph(_project(tmp_path / "c", accepted))
    assert _has_claim(graph)
    assert graph > plain


def test_facts_check_grounds_drafts_and_counts_them(tmp_path: Path) -> None:
    root = _project(tmp_path, DRAFT)
    report = check_project(root)
    drafts = [f for f in report.facts if f.draft]
    assert [f.status for f in drafts] == ["grounded"]
    assert "1 of the facts are drafts (1 grounded or inferred)" in report.summary()

    wrong = DRAFT.replace("enhances legitimacy", "builds legitimacy")
    report = check_project(_project(tmp_path / "wrong", wrong))
    (bad,) = [f for f in report.facts if f.draft]
    assert bad.status == "ungrounded"
    assert "does not say 'builds legitimacy'" in "; ".join(bad.problems)


def test_a_malformed_draft_mark_is_reported(tmp_path: Path) -> None:
    root = _project(tmp_path, DRAFT.replace("confidence: 0.6", "confidence: 7"))
    result = CliRunner().invoke(main, ["facts", "check", str(root)])
    assert "the draft confidence is a number from 0 to 1" in result.output
    assert "0.6" not in result.output

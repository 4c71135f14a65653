"""`peaceld facts review`: a curator accepts, edits or drops drafted facts; the file is
rewritten once, atomically, with its comments, and only accepted facts reach the graph."""

from __future__ import annotations

import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from conftest import shared

from peaceld.build import build
from peaceld.cli import main
from peaceld.curation import read_drafts
from peaceld.project import bundled_root

ROOT = bundled_root()
ARTICLE = "001_dc7105e24f5d1192"
MARK = '    draft: {by: "peaceld-drafter test", confidence: 0.7, rule: "test rule"}\n'
# s11p1 of article 001 spans [11341, 12070]; [11495, 11666] names UNMIL, the UN and Liberia.
FACTS = (f"# a drafted file (test)\narticle:\n  id: {ARTICLE}\n  title: Test article\n"
         "  ai_written: declared\nfacts:\n"
         "  # --- people's facts ---\n"
         "  - kind: place\n    at: s11p1\n    id: liberia\n    name: Liberia\n"
         "    category: country\n    evidence: {span: [11495, 11666], subject: Liberia}\n"
         "  # --- drafts ---\n"
         "  - kind: organisation\n    at: s11p1\n    id: united-nations\n"
         "    name: United Nations\n    category: intergovernmental\n"
         "    evidence: {span: [11495, 11666], subject: United Nations}\n" + MARK +
         "  - kind: operation\n    at: s11p1\n    id: unmil\n"
         "    name: United Nations Mission in Liberia   # the article's name\n"
         "    acronym: UNMIL\n    host: liberia\n"
         "    evidence: {span: [11495, 11666], subject: United Nations Mission in Liberia,\n"
         "               mentions: {liberia: Liberia}}\n" + MARK +
         "  # trailing comment of the list\n")


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    seeds = shared("seeds")
    root = tmp_path / "proj"
    assert CliRunner().invoke(main, ["init", str(root)]).exit_code == 0
    shutil.copy(ROOT / "facts" / f"{ARTICLE}.passages.yaml", root / "facts")
    (root / "facts" / f"{ARTICLE}.yaml").write_text(FACTS, encoding="utf-8")
    (root / "articles").mkdir()
    shutil.copy(seeds / f"{ARTICLE}.txt", root / "articles")
    return root


def facts_file(project: Path) -> Path:
    return project / "facts" / f"{ARTICLE}.yaml"


def review(*args: str, input: str | None = None):  # noqa: A002 - click's name
    return CliRunner().invoke(main, ["facts", "review", *args], input=input)


def test_drafts_are_listed_with_their_passage_and_span(project: Path) -> None:
    drafts = read_drafts(facts_file(project))
    assert [(d.number, d.line, d.kind, d.subject) for d in drafts] == [
        (1, 15, "organisation", "united-nations"), (2, 22, "operation", "unmil")]
    assert drafts[1].confidence == 0.7 and drafts[1].mark["rule"] == "test rule"
    result = review(str(facts_file(project)), "--list")
    assert result.exit_code == 0, result.output
    assert f"{ARTICLE}.yaml:22: operation unmil (confidence 0.7, rule: test rule)" in result.output
    assert "passage s11p1 [11341, " in result.output
    assert "\u00abThe United Nations Mission in Liberia (UNMIL)" in result.output
    assert result.output.rstrip().endswith("2 draft(s)")
    assert facts_file(project).read_text(encoding="utf-8") == FACTS


def test_accept_removes_only_the_mark_and_the_fact_reaches_the_graph(project: Path,
                                                                      tmp_path: Path) -> None:
    before = build(project, out_dir=tmp_path / "before", validate=False)
    unmil = "<https://w3id.org/peaceld/id/operation/unmil>"
    assert not any(str(q.subject) == unmil for q in before.quads)
    result = review(str(facts_file(project)), "--accept", "22")
    assert result.exit_code == 0, result.output
    assert "1 accepted, 0 edited, 0 dropped, 1 draft(s) left" in result.output
    lines = FACTS.splitlines(keepends=True)
    del lines[29]  # the second mark (line 30)
    assert facts_file(project).read_text(encoding="utf-8") == "".join(lines)
    after = build(project, out_dir=tmp_path / "after", validate=False)
    assert any(str(q.subject) == unmil for q in after.quads)
    assert not any(str(q.subject).endswith("/united-nations>") and "organisation" in str(q.subject)
                   for q in after.quads)  # still a draft


def test_interactive_accept_drop_and_quit(project: Path) -> None:
    result = review(str(facts_file(project)), input="d\nq\n")
    assert result.exit_code == 0, result.output
    assert "0 accepted, 0 edited, 1 dropped, 1 draft(s) left" in result.output
    text = facts_file(project).read_text(encoding="utf-8")
    assert "id: united-nations" not in text
    assert "  # --- drafts ---\n  - kind: operation\n" in text  # comments kept
    assert text.endswith("  # trailing comment of the list\n")
    unchanged = review(str(facts_file(project)), input="k\nq\n")
    assert unchanged.exit_code == 0 and "nothing decided" in unchanged.output
    assert facts_file(project).read_text(encoding="utf-8") == text


def test_edit_replaces_the_fact_and_a_broken_edit_writes_nothing(project: Path,
                                                                 monkeypatch) -> None:
    def fix_name(text: str, **_: object) -> str:
        return text.replace("name: United Nations\n", "name: the United Nations\n").replace(
            MARK.rstrip("\n") + "\n", "")

    monkeypatch.setattr(click, "edit", fix_name)
    result = review(str(facts_file(project)), input="e\nk\n")
    assert result.exit_code == 0, result.output
    assert "0 accepted, 1 edited, 0 dropped, 1 draft(s) left" in result.output
    text = facts_file(project).read_text(encoding="utf-8")
    assert "    name: the United Nations\n    category: intergovernmental\n" in text
    assert text.count("draft:") == 1
    monkeypatch.setattr(click, "edit", lambda text, **_: "  - kind: [unclosed\n")
    broken = review(str(facts_file(project)), input="e\n")
    assert broken.exit_code == 2
    assert "would not be a facts file" in broken.output and "Traceback" not in broken.output
    assert facts_file(project).read_text(encoding="utf-8") == text


def test_a_line_without_a_draft_is_refused(project: Path) -> None:
    result = review(str(facts_file(project)), "--accept", "8")
    assert result.exit_code == 2
    assert f"{ARTICLE}.yaml:8: no draft starts at line 8" in result.output
    assert facts_file(project).read_text(encoding="utf-8") == FACTS
    above = review(str(facts_file(project)), "--accept-above", "0.5")
    assert above.exit_code == 0 and "2 accepted" in above.output
    assert "draft:" not in facts_file(project).read_text(encoding="utf-8")

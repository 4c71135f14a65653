"""``peaceld serve --drafts``: drafted facts beside their article, evidence spans highlighted.

A small drafted file cites passage s11p1 of article 001 (../shared/seeds); one draft carries
HTML in its values, two drafts share a span and one crosses another. The app runs through
Starlette's TestClient over an empty store (the drafts pages do not read the graph).
"""

from __future__ import annotations

import html
import html.parser
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from conftest import shared
from starlette.testclient import TestClient

from peaceld.cli import main
from peaceld.project import bundled_root
from peaceld.records import load_yaml
from peaceld.web.drafts import DraftSources, highlight
from peaceld.web.serve import Settings, create_app

ARTICLE = "001_dc7105e24f5d1192"
EVIL = "<script>alert('x')</script>"
MARK = '    draft: {by: "peaceld-drafter test", confidence: 0.7, rule: "%s"}\n'


def spans_of(text: str) -> dict[str, tuple[int, int]]:
    """Evidence spans in passage s11p1 of article 001, found in its text."""
    unmil = text.index("The United Nations Mission in Liberia (UNMIL)")
    kfor = text.index("the NATO-led Kosovo Force (KFOR)")
    return {"unmil": (unmil, text.index("elections.", unmil) + len("elections.")),
            "kfor": (kfor, kfor + len("the NATO-led Kosovo Force (KFOR)")),
            # starts inside the UNMIL sentence and ends after it: crosses its end
            "cross": (text.index("facilitating", unmil), text.index("This mission", unmil) + 12)}


def facts_text(spans: dict[str, tuple[int, int]]) -> str:
    def ev(name: str, subject: str) -> str:
        return f"    evidence: {{span: [{spans[name][0]}, {spans[name][1]}], subject: {subject}}}\n"
    return (f"article:\n  id: {ARTICLE}\n  title: Test <b>article</b>\n  ai_written: declared\n"
            "facts:\n"
            "  - kind: place\n    at: s11p1\n    id: liberia\n    name: Liberia\n"
            "    category: country\n" + ev("unmil", "Liberia") +
            "  - kind: organisation\n    at: s11p1\n    id: united-nations\n"
            "    name: United Nations\n    category: intergovernmental\n"
            + ev("unmil", "United Nations") + MARK % "org rule" +
            "  - kind: operation\n    at: s11p1\n    id: kfor\n"
            f"    name: \"{EVIL}\"\n    acronym: KFOR\n"
            + ev("kfor", "Kosovo Force") + MARK % "<b>bold rule</b>" +
            "  - kind: operation\n    at: s11p1\n    id: unmil\n    name: UNMIL\n"
            + ev("cross", "UNMIL") + MARK % "crossing rule")


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    """A drafted file of article 001 (text in ../shared/seeds), and one whose text is nowhere."""
    seeds = shared("seeds")
    text = (seeds / f"{ARTICLE}.txt").read_text(encoding="utf-8")
    folder = tmp_path / "facts"
    folder.mkdir()
    shutil.copy(bundled_root() / "facts" / f"{ARTICLE}.passages.yaml", folder)
    drafted = folder / f"{ARTICLE}.yaml"
    drafted.write_text(facts_text(spans_of(text)), encoding="utf-8")
    lonely = tmp_path / "other" / "999_nowhere.yaml"
    lonely.parent.mkdir()
    lonely.write_text("article:\n  id: 999_nowhere\n  title: Lost\n  ai_written: declared\n"
                      "facts:\n  - kind: place\n    at: s1p1\n    id: atlantis\n"
                      "    name: Atlantis\n    category: country\n"
                      "    evidence: {span: [10, 20], subject: Atlantis}\n" + MARK % "r",
                      encoding="utf-8")
    return {"folder": folder, "drafted": drafted, "lonely": lonely, "seeds": seeds}


def app_for(tmp_path: Path, drafts: DraftSources | None) -> Iterator[TestClient]:
    store = tmp_path / "store"
    ox.Store(str(store)).flush()
    app = create_app(Settings(store, workers=1, drafts=drafts))
    with TestClient(app) as client:
        yield client
    app.state.peaceld.pool.close()


@pytest.fixture()
def client(tmp_path: Path, files: dict[str, Path]) -> Iterator[TestClient]:
    sources = DraftSources([files["folder"], files["lonely"]], [files["seeds"]])
    yield from app_for(tmp_path, sources)


class Marks(html.parser.HTMLParser):
    """The text inside each highlight: by id, and all highlights of each draft joined."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, str]] = []  # (draft, id) of the open marks
        self.by_id: dict[str, str] = {}
        self.by_draft: dict[str, str] = {}
        self.first: dict[str, str] = {}  # the id of each draft's first highlight

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "mark":
            a = dict(attrs)
            draft, ident = a.get("data-draft") or "", a.get("id") or ""
            self.open.append((draft, ident))
            self.by_draft.setdefault(draft, "")
            if ident:
                assert ident not in self.by_id, f"id {ident} twice"
                self.by_id[ident] = ""
                self.first.setdefault(draft, ident)

    def handle_endtag(self, tag: str) -> None:
        if tag == "mark":
            self.open.pop()

    def handle_data(self, data: str) -> None:
        for draft, ident in self.open:
            self.by_draft[draft] += data
            if ident:
                self.by_id[ident] += data


def test_index_lists_each_file_with_its_drafts(client: TestClient, files: dict[str, Path]
                                               ) -> None:
    page = client.get("/drafts/")
    assert page.status_code == 200
    rows = page.text.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    assert len(rows) == 2  # the passages file of the folder is not a drafts file
    assert f'href="/drafts/{ARTICLE}"' in rows[0] and str(files["drafted"]) in rows[0]
    assert '<td class="num">3</td><td class="num">4</td>' in rows[0] and "shown" in rows[0]
    assert "Test &lt;b&gt;article&lt;/b&gt;" in rows[0]
    assert '<td class="num">1</td><td class="num">1</td>' in rows[1] and "not found" in rows[1]
    assert "never writes" in page.text
    assert client.get("/drafts", follow_redirects=False).headers["location"] == "/drafts/"
    assert 'href="/drafts/">Drafts</a>' in client.get("/").text


def test_highlights_sit_exactly_on_the_evidence_spans(client: TestClient,
                                                      files: dict[str, Path]) -> None:
    text = (files["seeds"] / f"{ARTICLE}.txt").read_text(encoding="utf-8")
    spans = spans_of(text)
    page = client.get(f"/drafts/{ARTICLE}")
    assert page.status_code == 200
    marks = Marks()
    marks.feed(page.text)
    # drafts 1, 2, 3 (the place fact is not a draft: it has no highlight)
    assert marks.first == {"1": "d1s1", "2": "d2s1", "3": "d3s1"}
    assert marks.by_id["d1s1"] == text[slice(*spans["unmil"])]
    assert marks.by_id["d2s1"] == text[slice(*spans["kfor"])]
    # the crossing span is cut where the UNMIL sentence ends, and goes on without an id
    s, e = spans["cross"]
    assert marks.by_draft["3"] == text[s:e]
    assert marks.by_id["d3s1"] == text[s:spans["unmil"][1]]
    # the whole passage is there, in order, under its section heading (as the passages
    # file of the article records them)
    table = {p["id"]: p for p in load_yaml(files["folder"] / f"{ARTICLE}.passages.yaml")[
        "passages"]}
    s11p1 = table["s11p1"]
    shown = page.text.split('<p class="passage" id="passage-s11p1">')[1].split("</p>")[0]
    assert html.unescape(re.sub(r"<[^>]+>", "", shown)) == \
        "s11p1 " + text[s11p1["start"]:s11p1["end"]]
    assert page.text.index(f"<h2>{html.escape(s11p1['heading'])}</h2>") < \
        page.text.index('id="passage-s11p1"') < page.text.index('id="passage-s12p1"')
    # each draft's card: kind, subject, values, confidence, rule, file:line, the commands
    card = page.text.split('id="draft-2"')[1].split("</li>")[0]
    assert '<span class="type">operation</span> <strong>kfor</strong>' in card
    assert "<dt>acronym</dt><dd>KFOR</dd>" in card and "confidence 0.7" in card
    assert f"<code>{files['drafted']}:19</code>" in card
    commands = re.sub(r"<[^>]+>", "", card.split('<pre class="command">')[1])
    assert f"peaceld facts review {files['drafted']} --accept 19\n" in commands
    assert f"peaceld facts review {files['drafted']} --drop 19" in commands
    assert 'href="#d2s1"' in card


def test_html_in_the_data_is_escaped(client: TestClient) -> None:
    page = client.get(f"/drafts/{ARTICLE}").text
    assert EVIL not in page and "<b>bold rule</b>" not in page and "<b>article" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "rule: &lt;b&gt;bold rule&lt;/b&gt;" in page
    assert page.count("<script") == 1  # drafts.js only


def test_a_missing_article_text_is_said_with_how_to_give_it(client: TestClient,
                                                              files: dict[str, Path]) -> None:
    page = client.get("/drafts/999_nowhere")
    assert page.status_code == 200
    assert "<mark" not in page.text and 'id="no-text"' in page.text
    assert f"peaceld serve --drafts {files['lonely']} -a DIR" in page.text
    assert "<strong>atlantis</strong>" in page.text
    assert client.get("/drafts/nothing").status_code == 404


def test_the_pages_change_nothing_and_follow_the_file(client: TestClient,
                                                      files: dict[str, Path]) -> None:
    before = files["drafted"].read_bytes()
    client.get("/drafts/")
    client.get(f"/drafts/{ARTICLE}")
    assert files["drafted"].read_bytes() == before
    result = CliRunner().invoke(main, ["facts", "review", str(files["drafted"]), "--drop", "19"])
    assert result.exit_code == 0, result.output
    page = client.get(f"/drafts/{ARTICLE}").text  # read again: the dropped draft is gone
    assert "<strong>kfor</strong>" not in page and 'id="d3s1"' not in page
    assert 'id="d2s1"' in page and "--accept 19<" in page  # the crossing one, renumbered


def test_without_drafts_there_are_no_drafts_pages(tmp_path: Path) -> None:
    for client in app_for(tmp_path, None):
        assert client.get("/drafts/").status_code == 404
        assert 'href="/drafts/"' not in client.get("/").text


def test_serve_refuses_a_file_that_is_not_a_facts_file(files: dict[str, Path]) -> None:
    passages = files["folder"] / f"{ARTICLE}.passages.yaml"
    for bad, where in ((passages, f"{passages}:1: not a facts file"),):
        result = CliRunner().invoke(main, ["serve", "--drafts", str(bad)])
        assert result.exit_code == 2
        assert result.output.strip().splitlines() == [result.output.strip()]
        assert where in result.output and "Traceback" not in result.output
    broken = files["folder"] / "broken.yaml"
    broken.write_text("article:\n  id: x\nfacts:\n  - kind: place\n   bad: [\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["serve", "--drafts", str(files["folder"])])
    assert result.exit_code == 2 and f"{broken}:5" in result.output, result.output
    result = CliRunner().invoke(main, ["serve", "-a", str(files["seeds"])])
    assert result.exit_code == 2 and "only used with --drafts" in result.output


def test_highlight_nests_and_reopens_crossing_spans() -> None:
    text = "abcdefghij"
    pieces = highlight(text, 100, [(102, 106, 1, "a"), (104, 109, 2, "b"), (102, 106, 3, "c"),
                                   (90, 101, 4, "d")])
    out = "".join(p.text if p.kind == "text" else f"<{p.draft}{p.mark_id}>" if p.kind == "open"
                  else "</>" for p in pieces)
    assert out == "<4d>a</>b<1a><3c>cd<2b>ef</></></><2>ghi</>j"

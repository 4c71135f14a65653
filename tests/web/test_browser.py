"""The served pages in a real browser: Debian's Chromium driven by Playwright.

Nothing is downloaded at run time: Playwright drives the system Chromium
(``/usr/bin/chromium``, Debian package ``chromium``), and every request the pages make to a
host other than the test server is recorded and fails the test. Skipped when Playwright or
Chromium is missing, failed instead under CI (``PEACELD_CI=1``).

``PEACELD_SCREENSHOTS=DIR`` saves screenshots of the entity page and of the drafts page
there (docs/ uses them).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import free_port, stop, wait_for_http

from peaceld.build import build
from peaceld.project import bundled_root

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def _missing(message: str) -> None:
    if os.environ.get("PEACELD_CI"):
        pytest.fail(message)
    pytest.skip(message)


#: A real browser against a real server and a built site, each started once per module.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``peaceld serve`` on a free loopback port over a fresh build; yields its base URL."""
    dist = tmp_path_factory.mktemp("kg")
    build(bundled_root(), out_dir=dist, validate=False)
    yield from serving(dist, ["--dist", str(dist)], "/")


def serving(folder: Path, args: list[str], ready: str) -> Iterator[str]:
    """``peaceld serve ARGS`` run in ``folder`` on a free loopback port, until the caller is
    done; yields its base URL once ``ready`` answers."""
    port = free_port()
    log = folder / "serve.log"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "peaceld", "serve", *args,
                                 "--port", str(port), "--workers", "1"],
                                stdout=out, stderr=subprocess.STDOUT, env=env, cwd=folder)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base + ready, proc, 60, log)
        yield base
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (PyPI package 'playwright')")
    if not Path(CHROMIUM).is_file():
        _missing(f"{CHROMIUM} is missing (Debian package 'chromium')")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    """A fresh page that may only reach loopback servers and must raise no script error."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside: list[str] = []

    def guard(route: Any) -> None:
        if route.request.url.startswith("http://127.0.0.1:"):  # our servers, loopback only
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.set_default_timeout(15_000)
    yield pg
    context.close()
    assert outside == [], f"pages asked for other sites: {outside}"
    assert errors == [], f"script errors: {errors}"


def test_search_open_the_operation_and_see_its_provenance(page: Any, server: str) -> None:
    page.goto(server + "/")
    assert "Peace operation" in page.inner_text("main") or "peace operation" in \
        page.inner_text("main")
    page.fill("main form.search input[name=q]", "UNMIL")
    page.press("main form.search input[name=q]", "Enter")
    page.wait_for_url("**/search?q=UNMIL")
    first = page.locator("ol.hits li a").first
    assert first.inner_text() == "United Nations Mission in Liberia"
    first.click()
    page.wait_for_url("**/id/operation/unmil.html")
    assert page.inner_text("h1") == "United Nations Mission in Liberia"
    row = page.locator("tr.statement", has_text="led by").filter(has_text="United Nations").first
    led_by = row.locator("td.claims")
    text = led_by.inner_text()
    assert "Understanding the Role and Impact of Multinational Peace Enforcement Missions" in text
    assert "section 11" in text and "paragraph 1" in text
    assert "AI: declared" in text
    shots = os.environ.get("PEACELD_SCREENSHOTS")
    if shots:
        page.screenshot(path=str(Path(shots) / "entity-page.png"))
    # the source article's own page lists what it claims
    led_by.locator("a").first.click()
    page.wait_for_url("**/id/source/001_dc7105e24f5d1192.html")
    assert "Understanding the Role" in page.inner_text("h1")


def test_run_a_library_query_and_read_the_sorted_table(page: Any, server: str) -> None:
    page.goto(server + "/query")
    page.wait_for_selector(".CodeMirror")  # the bundled editor took over the textarea
    page.click("#library a[data-name=operations-by-lead]")
    page.wait_for_selector("table.results tbody tr")
    headers = page.locator("table.results thead th").all_text_contents()
    assert headers == ["organisation", "orgLabel", "operation", "opLabel"]
    rows = [r.locator("td").all_inner_texts() for r in page.locator("table.results tbody tr")
            .all()]
    assert ["https://w3id.org/peaceld/id/organisation/united-nations", "United Nations",
            "https://w3id.org/peaceld/id/operation/unmil",
            "United Nations Mission in Liberia"] in rows
    assert page.inner_text("#status").startswith("done in")
    # sort by the operation label, descending on the second click
    page.click("table.results thead th:nth-child(4)")
    page.click("table.results thead th:nth-child(4)")
    labels = page.locator("table.results tbody tr td:nth-child(4)").all_inner_texts()
    assert labels == sorted(labels, key=str.casefold, reverse=True) or labels == sorted(
        labels, reverse=True)
    # the download links give the same rows as CSV and JSON
    href = page.get_attribute("#download-csv", "href")
    assert href and "format=csv" in href
    csv = page.request.get(server + href if href.startswith("/") else href)
    assert csv.ok and csv.text().startswith("organisation,orgLabel,operation,opLabel\r\n")
    assert csv.text().count("\r\n") == len(rows) + 1
    data = page.request.get(server + page.get_attribute("#download-json", "href")).json()
    assert len(data["results"]["bindings"]) == len(rows)


@pytest.fixture(scope="module")
def static_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``peaceld site`` output served by Python's own http.server; yields its base URL."""
    from peaceld.web.site import write_site

    dist = tmp_path_factory.mktemp("kg-static")
    build(bundled_root(), out_dir=dist, validate=False)
    out = dist / "site"
    write_site(dist, out)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind",
                             "127.0.0.1", "--directory", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base + "/index.html", proc, 30)
        yield base
    finally:
        stop(proc)


def test_static_site_search_and_pages(page: Any, static_site: str) -> None:
    page.goto(static_site + "/index.html")
    page.fill("main form.search input[name=q]", "unmil")
    page.press("main form.search input[name=q]", "Enter")
    page.wait_for_selector("#hits li a")
    first = page.locator("#hits li a").first
    assert first.inner_text() == "United Nations Mission in Liberia"
    first.click()
    page.wait_for_url("**/id/operation/unmil.html")
    assert page.inner_text("h1") == "United Nations Mission in Liberia"
    assert "AI: declared" in page.inner_text("td.claims")
    page.click("a.type")  # the class page, by a relative link
    page.wait_for_url("**/class/PeaceOperation.html")
    assert int(page.inner_text("strong.count")) > 10


def test_an_edited_query_runs_from_the_editor(page: Any, server: str) -> None:
    page.goto(server + "/query")
    page.wait_for_selector(".CodeMirror")
    page.evaluate("document.querySelector('.CodeMirror').CodeMirror.setValue("
                  "'SELECT ?n WHERE { ?op pld:acronym ?n } ORDER BY ?n')")
    page.click("#run")
    page.wait_for_selector("table.results tbody tr")
    assert "UNMIL" in page.locator("table.results tbody td").all_inner_texts()


@pytest.fixture(scope="module")
def drafts_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """``peaceld serve --drafts`` over an empty build, showing what ``peaceld facts draft``
    drafts from our own sample article (samples/articles/unficyp.txt: the screenshot of the
    page shows its text, and the source articles' sentences never enter the project); yields
    the base URL and the drafted file."""
    from click.testing import CliRunner

    from peaceld.cli import main
    from peaceld.project import bundled_root

    root = tmp_path_factory.mktemp("drafts")
    (root / "dist").mkdir()
    (root / "dist" / "peaceld.nq").write_text("", encoding="utf-8")
    article = root / "articles" / "unficyp.txt"
    article.parent.mkdir()
    article.write_bytes((bundled_root() / "samples" / "articles" / article.name).read_bytes())
    drafted = root / "facts" / "unficyp.yaml"
    drafted.parent.mkdir()
    result = CliRunner().invoke(main, ["facts", "draft", str(article), "-o", str(drafted)])
    assert result.exit_code == 0, result.output
    for base in serving(root, ["--dist", "dist", "--drafts", "facts/" + drafted.name,
                               "-a", "articles"], "/drafts/"):
        yield base, drafted


@pytest.mark.slow  # a few seconds: drafts the sample article, starts a server
def test_a_clicked_draft_emphasises_its_span_and_a_clicked_span_its_draft(
        page: Any, drafts_server: tuple[str, Path]) -> None:
    base, drafted = drafts_server
    before = drafted.read_bytes()
    page.goto(base + "/drafts/")
    page.locator("table.drafts-index a").first.click()
    page.wait_for_url("**/drafts/unficyp")
    items = page.locator("li.draft[data-mark]")
    assert items.count() > 10
    assert page.locator("mark.current").count() == 0
    item = items.nth(8)
    number, mark = item.get_attribute("data-draft"), item.get_attribute("data-mark")
    item.locator("dl.values").click()
    highlight = page.locator(f"mark#{mark}")
    assert "current" in (highlight.get_attribute("class") or "").split()
    assert "selected" in (item.get_attribute("class") or "").split()
    assert page.locator("mark.current").count() == page.locator(
        f'mark[data-draft="{number}"]').count()  # its span (all pieces), nothing else
    assert page.locator("li.draft.selected").count() == 1
    box, pane = highlight.bounding_box(), page.locator("section.article-text").bounding_box()
    assert box is not None and pane is not None
    assert pane["y"] <= box["y"] <= pane["y"] + pane["height"]  # scrolled into view
    assert page.url.endswith(f"#draft-{number}")
    assert page.evaluate("window.scrollY") == 0  # only the article's pane scrolled
    assert f"peaceld facts review facts/{drafted.name} --accept " in item.inner_text()
    shots = os.environ.get("PEACELD_SCREENSHOTS")
    if shots:
        page.screenshot(path=str(Path(shots) / "drafts-page.png"))
    # and the other way: a highlight in the text selects its draft
    first = page.locator("li.draft[data-mark]").first
    other = page.locator(f"mark#{first.get_attribute('data-mark')}")
    other.scroll_into_view_if_needed()
    innermost = other.locator("mark").count() == 0
    other.click()
    if innermost:
        assert "selected" in (first.get_attribute("class") or "").split()
    assert page.locator("li.draft.selected").count() == 1
    assert highlight.get_attribute("class") in (None, "")
    assert drafted.read_bytes() == before  # read-only

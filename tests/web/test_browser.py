"""The served pages in a real browser: Debian's Chromium driven by Playwright.

Nothing is downloaded at run time: Playwright drives the system Chromium
(``/usr/bin/chromium``, Debian package ``chromium``), and every request the pages make to a
host other than the test server is recorded and fails the test. Skipped when Playwright or
Chromium is missing, failed instead under CI (``PEACELD_CI=1``).

``PEACELD_SCREENSHOTS=DIR`` saves a screenshot of the entity page there (docs/ uses it).
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


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``peaceld serve`` on a free loopback port over a fresh build; yields its base URL."""
    dist = tmp_path_factory.mktemp("kg")
    build(bundled_root(), out_dir=dist, validate=False)
    port = free_port()
    log = dist / "serve.log"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "peaceld", "serve", "--dist", str(dist),
                                 "--port", str(port), "--workers", "1"],
                                stdout=out, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base + "/", proc, 60, log)
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
def page(browser: Any, server: str) -> Iterator[Any]:
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

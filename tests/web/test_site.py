"""``peaceld site``: static pages and documents, redirect rules, and no broken internal link."""

from __future__ import annotations

import json
import posixpath
import re
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from conftest import free_port, require, stop, wait_for_http

from peaceld.build import build
from peaceld.cli import main
from peaceld.errors import PeaceldError
from peaceld.namespaces import ID, PLD
from peaceld.project import bundled_root
from peaceld.web.site import htaccess, nginx, w3id, write_site

UNMIL = ID + "operation/unmil"


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("kg")
    build(bundled_root(), out_dir=out, validate=False)
    return out


@pytest.fixture(scope="module")
def site(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    write_site(dist, out, site_url="https://example.org/peaceld/")
    return out


class Links(HTMLParser):
    """The href and src of a page, and the ids it defines."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for key, value in attrs:
            if key in ("href", "src", "data-index") and value is not None:
                self.links.append(value)
            if key == "id" and value:
                self.ids.add(value)


def parse(path: Path) -> Links:
    parser = Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_no_broken_internal_link(site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 300
    parsed = {p: parse(p) for p in pages}
    checked, broken = 0, []
    for page, found in parsed.items():
        for link in found.links:
            parts = urllib.parse.urlsplit(link)
            if parts.scheme or link.startswith("//"):
                # outside links are other vocabularies, never our own base
                assert not link.startswith("https://w3id.org/peaceld/"), (page, link)
                continue
            target = (page.parent / urllib.parse.unquote(parts.path)).resolve() \
                if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            checked += 1
            if not target.is_file() or site.resolve() not in target.parents:
                broken.append(f"{page.relative_to(site)} -> {link}")
            elif parts.fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else parse(target).ids
                if parts.fragment not in ids:
                    broken.append(f"{page.relative_to(site)} -> {link} (no such id)")
    assert broken == [], f"{len(broken)} broken link(s), e.g. {broken[:5]}"
    assert checked > 5000


def test_every_resource_has_every_document(site: Path) -> None:
    page = site / "id" / "operation" / "unmil.html"
    text = page.read_text(encoding="utf-8")
    assert "United Nations Mission in Liberia" in text and "AI: declared" in text
    for suffix, fmt in (("ttl", ox.RdfFormat.TURTLE), ("nt", ox.RdfFormat.N_TRIPLES),
                        ("jsonld", ox.RdfFormat.JSON_LD), ("rdf", ox.RdfFormat.RDF_XML),
                        ("trig", ox.RdfFormat.TRIG), ("nq", ox.RdfFormat.N_QUADS)):
        quads = list(ox.parse((site / "id" / "operation" / f"unmil.{suffix}").read_bytes(),
                              format=fmt))
        assert any(q.subject.value == UNMIL and q.predicate.value == PLD + "acronym"
                   for q in quads), suffix
    htmls = {p.with_suffix("") for p in (site / "id").rglob("*.html")}
    for stem in htmls:
        for suffix in ("ttl", "nt", "jsonld", "rdf", "trig", "nq"):
            assert stem.with_name(stem.name + "." + suffix).is_file(), (stem, suffix)


def test_site_is_deterministic_and_replaced_whole(dist: Path, site: Path, tmp_path: Path
                                                  ) -> None:
    again = tmp_path / "again"
    (again / "stale").mkdir(parents=True)
    (again / "stale" / "old.html").write_text("old")
    n = write_site(dist, again, site_url="https://example.org/peaceld/")
    assert not (again / "stale").exists()
    first = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    second = {p.relative_to(again): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert len(first) == n and first == second
    assert not list(tmp_path.glob(".again*"))


def test_search_index_void_and_dumps(site: Path, dist: Path) -> None:
    rows = json.loads((site / "search.json").read_text(encoding="utf-8"))
    unmil = [r for r in rows if r["m"] == "UNMIL"]
    assert unmil and unmil[0]["h"] == "id/operation/unmil.html"
    assert all((site / r["h"]).is_file() for r in rows)
    void = list(ox.parse((site / ".well-known" / "void").read_bytes(),
                         format=ox.RdfFormat.TURTLE))
    urls = [q.object.value for q in void
            if q.predicate.value == "http://www.w3.org/ns/dcat#downloadURL"]
    assert urls
    for url in urls:
        local = site / url[len("https://w3id.org/peaceld/"):]
        assert local.read_bytes() == (dist / local.name).read_bytes()


def test_redirect_rules(site: Path) -> None:
    rules = (site / ".htaccess").read_text()
    assert rules == htaccess()
    for suffix in ("ttl", "nt", "jsonld", "rdf", "trig", "nq", "html"):
        assert f"RewriteRule ^(.+)$ $1.{suffix} [R=303,L]" in rules
    # RDF formats are tried before the HTML fallback
    assert rules.index("$1.ttl") < rules.index("$1.html")
    assert "Header always append Vary Accept" in rules and "AddType text/turtle .ttl" in rules
    conf = (site / "nginx.conf").read_text()
    assert conf == nginx() and "return 303 $uri.$peaceld_suffix;" in conf
    assert re.search(r"~\*text/turtle ttl;", conf) and "add_header Vary Accept;" in conf
    assert conf.count("{") == conf.count("}")
    w = (site / "w3id.htaccess").read_text()
    assert w == w3id("https://w3id.org/peaceld/", "https://example.org/peaceld")
    assert "RewriteRule ^(.*)$ https://example.org/peaceld/$1 [R=303,L]" in w
    assert "peaceld/.htaccess" in w


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003 - urllib's signature
        return None


def fetch(url: str, accept: str | None = None) -> tuple[int, dict, bytes]:
    """Status, headers and body of one GET, redirects not followed."""
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    try:
        with opener.open(request, timeout=5) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def check_negotiation(base: str) -> None:
    """What the redirect rules must do on a real web server."""
    for accept, suffix in (("text/turtle", "ttl"), ("application/ld+json", "jsonld"),
                           ("application/trig", "trig"), ("application/n-triples", "nt"),
                           (None, "html"), ("text/html,application/xhtml+xml,*/*;q=0.8", "html")):
        status, headers, _ = fetch(base + "/id/operation/unmil", accept)
        assert status == 303, (accept, status)
        assert headers["Location"].endswith(f"/id/operation/unmil.{suffix}"), accept
        assert "Accept" in headers["Vary"]
    status, headers, body = fetch(base + "/id/operation/unmil.ttl")
    assert status == 200 and headers["Content-Type"].startswith("text/turtle")
    assert b"UNMIL" in body
    status, headers, _ = fetch(base + "/id/operation/unmil.jsonld")
    assert headers["Content-Type"].startswith("application/ld+json")
    status, headers, _ = fetch(base + "/.well-known/void")
    assert status == 200 and headers["Content-Type"].startswith("text/turtle")
    assert fetch(base + "/")[0] == 200 and fetch(base + "/id/operation/nowhere")[0] == 404


def test_nginx_rules_negotiate_on_a_real_nginx(site: Path, tmp_path: Path) -> None:
    """The generated nginx.conf, included as the README says, on Debian's nginx (which CI
    installs; elsewhere skipped where it is missing)."""
    binary = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").is_file()
                                       else None)
    require(binary is not None, "nginx is not installed (Debian package nginx-light or nginx)")
    assert binary is not None
    port = free_port()
    conf = (site / "nginx.conf").read_text().replace("listen 8080;", f"listen 127.0.0.1:{port};")
    conf = conf.replace("root /srv/peaceld-site;", f"root {site};")
    (tmp_path / "site.conf").write_text(conf)
    (tmp_path / "nginx.conf").write_text(
        f"user root;\nworker_processes 1;\npid {tmp_path}/nginx.pid;\n"
        f"error_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {tmp_path}/body;\n"
        f"  include {tmp_path}/site.conf;\n}}\n")
    test = subprocess.run([binary, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                          capture_output=True, text=True)
    assert test.returncode == 0, test.stderr
    proc = subprocess.Popen([binary, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
                             "-g", "daemon off;"], stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base + "/index.html", proc, 20)
        check_negotiation(base)
    finally:
        stop(proc)


APACHE_MODULES = ("mpm_event", "authz_core", "mime", "dir", "rewrite", "headers")


def test_htaccess_rules_negotiate_on_a_real_apache(site: Path) -> None:
    """The generated .htaccess on Debian's Apache (package apache2-bin, which CI installs)
    with AllowOverride All."""
    binary = "/usr/sbin/apache2"
    modules = Path("/usr/lib/apache2/modules")
    require(Path(binary).is_file() and all((modules / f"mod_{m}.so").is_file()
                                           for m in APACHE_MODULES),
            "Apache is not installed (Debian package apache2-bin)")
    # Apache serves as nobody: the site goes where nobody may read it
    root = Path(tempfile.mkdtemp(prefix="peaceld-apache-"))
    try:
        root.chmod(0o755)
        shutil.copytree(site, root / "site")
        port = free_port()
        loads = "".join(f"LoadModule {m}_module {modules}/mod_{m}.so\n" for m in APACHE_MODULES)
        (root / "httpd.conf").write_text(
            f"ServerRoot {root}\nServerName 127.0.0.1\nListen 127.0.0.1:{port}\n"
            f"PidFile {root}/httpd.pid\nErrorLog {root}/error.log\n{loads}"
            "User nobody\nGroup nogroup\nTypesConfig /dev/null\n"
            f"DocumentRoot {root}/site\n<Directory {root}/site>\n  AllowOverride All\n"
            "  Require all granted\n</Directory>\n")
        proc = subprocess.Popen([binary, "-f", str(root / "httpd.conf"), "-DFOREGROUND"],
                                stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for_http(base + "/index.html", proc, 20)
            check_negotiation(base)
        finally:
            stop(proc)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_relative_links_work_from_a_subfolder(site: Path) -> None:
    page = site / "concept" / "activity" / "ddr.html"
    found = parse(page)
    assert "../../static/style.css" in found.links
    assert posixpath.normpath(posixpath.join("concept/activity", "../../index.html")) == \
        "index.html"


def test_cli_site(dist: Path, tmp_path: Path) -> None:
    out = tmp_path / "public"
    result = CliRunner().invoke(main, ["site", "--dist", str(dist), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "files to" in result.output and (out / "index.html").is_file()
    assert not (out / "w3id.htaccess").exists()  # only with --site-url
    result = CliRunner().invoke(main, ["site", "--help"])
    assert result.exit_code == 0 and "peaceld site -o site/" in result.output
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = CliRunner().invoke(main, ["site", "--dist", str(dist), "-o", str(blocker)])
    assert result.exit_code == 2 and "is a file" in result.output
    with pytest.raises(PeaceldError, match="not a folder"):
        write_site(dist, blocker)

"""``peaceld serve``: content negotiation, pages, provenance, escaping and the SPARQL endpoint.

The app runs over a real build of the bundled data (plus one passage graph holding a resource
whose label is a script tag), through Starlette's TestClient; one test starts the real server
with the CLI on a free loopback port.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner
from conftest import free_port, stop, wait_for_http
from starlette.testclient import TestClient

from peaceld.build import build
from peaceld.cli import main
from peaceld.namespaces import ID, ONTOLOGY_GRAPH, PLD
from peaceld.project import bundled_root
from peaceld.query import service_calls
from peaceld.store import ensure_store
from peaceld.web.serve import Settings, create_app, settings_for
from peaceld.web.sparql import QueryFailed, count_solutions, execute, negotiate

ROOT = bundled_root()
UNMIL = ID + "operation/unmil"
EVIL = "<script>alert(1)</script>"
XSS = ID + "operation/xss-test"
PASSAGE = ID + "passage/001_dc7105e24f5d1192/s11p1"
W3C = Path(__file__).resolve().parents[3] / "shared" / "w3c" / "sparql11-protocol"


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled build, plus a claim whose label and acronym are HTML."""
    out = tmp_path_factory.mktemp("kg")
    build(ROOT, out_dir=out, validate=False)
    evil = json.dumps(EVIL)
    extra = (f'<{XSS}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{PLD}PeaceOperation> '
             f'<{PASSAGE}> .\n'
             f'<{XSS}> <http://www.w3.org/2000/01/rdf-schema#label> {evil}@en <{PASSAGE}> .\n'
             f'<{XSS}> <{PLD}acronym> "<b>XSS</b>" <{PASSAGE}> .\n'
             f'<{XSS}> <{PLD}ledBy> <{ID}organisation/united-nations> <{PASSAGE}> .\n')
    with (out / "peaceld.nq").open("a", encoding="utf-8") as handle:
        handle.write(extra)
    ensure_store(out)
    return out


@pytest.fixture(scope="module")
def client(dist: Path) -> Iterator[TestClient]:
    app = create_app(settings_for(dist, timeout=5, max_results=500, workers=2))
    with TestClient(app) as c:
        yield c
    app.state.peaceld.pool.close()


def test_negotiate_by_q_and_specificity() -> None:
    offered = ["text/html", "text/turtle", "application/ld+json"]
    assert negotiate(None, offered) == "text/html"
    assert negotiate("text/turtle", offered) == "text/turtle"
    assert negotiate("application/ld+json;q=0.9, text/turtle;q=0.5", offered) == \
        "application/ld+json"
    assert negotiate("text/*;q=0.2, text/turtle", offered) == "text/turtle"
    assert negotiate("image/png", offered) is None
    assert negotiate("text/turtle;q=0, */*;q=0.1", offered) == "text/html"


@pytest.mark.parametrize(("accept", "suffix"), [
    (None, "html"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "html"),
    ("text/turtle", "ttl"), ("application/ld+json", "jsonld"), ("application/n-triples", "nt"),
    ("application/rdf+xml", "rdf"), ("application/trig", "trig"),
    ("application/n-quads", "nq"), ("application/rdf+xml;q=0.5, text/turtle", "ttl"),
])
@pytest.mark.slow
def test_resource_iri_redirects_303_by_accept(client: TestClient, accept: str | None,
                                              suffix: str) -> None:
    headers = {"Accept": accept} if accept else {}
    r = client.get("/id/operation/unmil", headers=headers, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == f"/id/operation/unmil.{suffix}"
    assert r.headers["vary"] == "Accept"
    assert '</id/operation/unmil.ttl>; rel="alternate"; type="text/turtle"' in r.headers["link"]


@pytest.mark.parametrize(("suffix", "fmt"), [
    ("ttl", ox.RdfFormat.TURTLE), ("nt", ox.RdfFormat.N_TRIPLES),
    ("jsonld", ox.RdfFormat.JSON_LD), ("rdf", ox.RdfFormat.RDF_XML)])
def test_documents_carry_the_resource_triples(client: TestClient, suffix: str,
                                              fmt: ox.RdfFormat) -> None:
    r = client.get(f"/id/operation/unmil.{suffix}")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith(
        {"ttl": "text/turtle", "nt": "application/n-triples", "jsonld": "application/ld+json",
         "rdf": "application/rdf+xml"}[suffix])
    assert 'rel="describes"' in r.headers["link"] and ".html>" in r.headers["link"]
    triples = {(t.subject.value, t.predicate.value, t.object.value)
               for t in ox.parse(r.content, format=fmt)}
    assert (UNMIL, PLD + "ledBy", ID + "organisation/united-nations") in triples
    assert (UNMIL, PLD + "acronym", "UNMIL") in triples
    assert all(s == UNMIL for s, _, _ in triples)


def test_trig_document_keeps_the_passage_graphs_and_describes_them(client: TestClient) -> None:
    r = client.get("/id/operation/unmil.trig")
    quads = list(ox.parse(r.content, format=ox.RdfFormat.TRIG))
    graphs = {q.graph_name.value for q in quads if q.subject.value == UNMIL}
    assert PASSAGE in graphs
    about_passage = {q.predicate.value: q.object for q in quads if q.subject.value == PASSAGE}
    assert about_passage[PLD + "paragraphNumber"].value == "1"
    assert any(q.predicate.value == PLD + "aiDisclosure" for q in quads)


def test_entity_page_shows_statements_labels_and_provenance(client: TestClient) -> None:
    r = client.get("/id/operation/unmil", headers={"Accept": "text/html"})
    assert r.status_code == 200 and r.url.path == "/id/operation/unmil.html"
    page = r.text
    assert "<h1>United Nations Mission in Liberia</h1>" in page
    assert "peace operation" in page  # the type, by its label
    assert ">led by</a>" in page and ">United Nations</a>" in page
    assert "Understanding the Role and Impact of Multinational Peace Enforcement Missions" in page
    assert "section 11" in page and "paragraph 1" in page and "(s11p1)" in page
    assert "AI: declared" in page  # the article declares AI authorship
    # incoming: the outcome assessment of UNMIL points here
    assert "Pointing here" in page and "/id/assessment/" in page
    # the JSON-LD in the head parses and says the same thing
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert script is not None
    g = rdflib.Graph().parse(data=script.group(1), format="json-ld")
    assert (rdflib.URIRef(UNMIL), rdflib.URIRef(PLD + "acronym"), rdflib.Literal("UNMIL")) in g


def test_every_label_is_escaped(client: TestClient) -> None:
    page = client.get("/id/operation/xss-test.html").text
    assert EVIL not in page and "<b>XSS</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;XSS&lt;/b&gt;" in page
    head = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert head is not None and "<" not in head.group(1)
    assert json.loads(head.group(1))  # still valid JSON (\u003c escapes)
    found = client.get("/search", params={"q": "script"}).text
    assert EVIL not in found and "&lt;script&gt;" in found
    listing = client.get("/class/PeaceOperation").text
    assert EVIL not in listing and "&lt;script&gt;alert(1)&lt;/script&gt;" in listing
    united = client.get("/id/organisation/united-nations.html").text  # incoming link label
    assert EVIL not in united and "&lt;script&gt;alert(1)&lt;/script&gt;" in united


def test_search_by_label_acronym_and_alternative_label(client: TestClient) -> None:
    hits = client.get("/search", params={"q": "UNMIL"},
                      headers={"Accept": "application/json"}).json()
    assert hits[0]["iri"] == UNMIL and hits[0]["via"] == "pld:acronym"
    page = client.get("/search", params={"q": "unmil"}).text
    assert 'href="/id/operation/unmil"' in page
    by_alt = client.get("/search", params={"q": "sierra leone civil war peacekeeping"},
                        headers={"Accept": "application/json"}).json()
    assert by_alt[0]["iri"] == ID + "operation/unamsil"
    assert client.get("/search", params={"q": "liberia"},
                      headers={"Accept": "application/json"}).json()


def test_class_page_counts_instances(client: TestClient, dist: Path) -> None:
    store = ox.Store.read_only(str(dist / "store"))
    n = len({q.subject for q in store.quads_for_pattern(
        None, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
        ox.NamedNode(PLD + "PeaceOperation"), ox.DefaultGraph())})
    page = client.get("/class/PeaceOperation").text
    assert f'<strong class="count">{n}</strong>' in page
    assert 'href="/id/operation/unmil"' in page
    assert client.get("/class/NoSuchClass").status_code == 404


def test_ontology_and_concept_scheme_pages(client: TestClient) -> None:
    r = client.get("/ontology", headers={"Accept": "text/html"})
    assert r.url.path == "/ontology.html"
    page = r.text
    assert 'id="PeaceOperation"' in page and 'id="ledBy"' in page
    row = page[page.index('id="ledBy"'):]
    row = row[:row.index("</tr>")]
    assert "peace effort" in row or "operation" in row  # the domain, by label
    ttl = client.get("/ontology", headers={"Accept": "text/turtle"})
    g = rdflib.Graph().parse(data=ttl.text, format="turtle")
    assert (rdflib.URIRef(PLD + "PeaceOperation"), rdflib.RDF.type, rdflib.OWL.Class) in g
    scheme = client.get("/scheme/ActivityScheme").text
    assert "disarmament, demobilisation and reintegration" in scheme
    assert 'href="/concept/activity/ddr"' in scheme
    assert client.get("/concept/activity/ddr.html").status_code == 200


def test_unknown_paths_are_404(client: TestClient) -> None:
    assert client.get("/id/operation/nowhere").status_code == 404
    assert client.get("/id/operation/nowhere.ttl").status_code == 404
    assert client.get("/static/../serve.py").status_code == 404


def test_void_and_dumps(client: TestClient, dist: Path) -> None:
    void = client.get("/.well-known/void")
    g = rdflib.Graph().parse(data=void.text, format="turtle")
    dataset = next(g.subjects(rdflib.RDF.type, rdflib.URIRef("http://rdfs.org/ns/void#Dataset")))
    triples = g.value(dataset, rdflib.URIRef("http://rdfs.org/ns/void#triples"))
    store = ox.Store.read_only(str(dist / "store"))
    assert int(triples) == sum(1 for _ in store.quads_for_pattern(None, None, None,
                                                                   ox.DefaultGraph()))
    urls = sorted(str(u) for u in g.objects(None, rdflib.URIRef(
        "http://www.w3.org/ns/dcat#downloadURL")))
    assert urls and all(u.startswith("https://w3id.org/peaceld/") for u in urls)
    for url in urls:
        r = client.get("/" + url[len("https://w3id.org/peaceld/"):])
        assert r.status_code == 200
        assert r.content == (dist / url.rsplit("/", 1)[1]).read_bytes()
    home = client.get("/").text
    assert "/id/dataset/peaceld/dump/peaceld.ttl" in home
    context = client.get("/context.jsonld")  # the IRI of peaceld's JSON-LD context resolves
    assert context.headers["content-type"] == "application/ld+json"
    assert "pld" in context.json()["@context"]


# --- SPARQL ---------------------------------------------------------------------------------

SELECT = ("SELECT ?op ?label WHERE { ?op a pld:PeaceOperation ; rdfs:label ?label } "
          "ORDER BY ?op")


def expected_rows(dist: Path) -> list[tuple[str, str]]:
    from peaceld.query import prologue

    store = ox.Store.read_only(str(dist / "store"))
    return [(s["op"].value, s["label"].value) for s in store.query(prologue() + SELECT)]


def reference(dist: Path, fmt: ox.QueryResultsFormat) -> bytes:
    """Oxigraph's own serialization of the same results."""
    from peaceld.query import prologue

    store = ox.Store.read_only(str(dist / "store"))
    return store.query(prologue() + SELECT).serialize(format=fmt)


@pytest.mark.parametrize(("accept", "fmt"), [
    ("application/sparql-results+json", ox.QueryResultsFormat.JSON),
    ("application/sparql-results+xml", ox.QueryResultsFormat.XML),
    ("text/csv", ox.QueryResultsFormat.CSV),
    ("text/tab-separated-values", ox.QueryResultsFormat.TSV)])
def test_select_in_every_result_format(client: TestClient, dist: Path, accept: str,
                                       fmt: ox.QueryResultsFormat) -> None:
    for r in (client.get("/sparql", params={"query": SELECT}, headers={"Accept": accept}),
              client.post("/sparql", data={"query": SELECT}, headers={"Accept": accept}),
              client.post("/sparql", content=SELECT, headers={
                  "Accept": accept, "Content-Type": "application/sparql-query"})):
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith(accept)
        assert r.headers["access-control-allow-origin"] == "*"
        if fmt == ox.QueryResultsFormat.CSV:  # lossy: oxigraph writes it but cannot read it
            assert r.content == reference(dist, fmt)
            continue
        rows = [(s["op"].value, s["label"].value)
                for s in ox.parse_query_results(r.content, format=fmt)]
        assert rows == expected_rows(dist)
        if fmt == ox.QueryResultsFormat.TSV:
            assert r.content == reference(dist, fmt)


@pytest.mark.parametrize(("accept", "fmt"), [
    ("text/turtle", ox.RdfFormat.TURTLE), ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/ld+json", ox.RdfFormat.JSON_LD), ("application/rdf+xml", ox.RdfFormat.RDF_XML)])
def test_construct_and_describe_in_rdf_formats(client: TestClient, accept: str,
                                               fmt: ox.RdfFormat) -> None:
    for query in ("CONSTRUCT { ?op pld:ledBy ?who } WHERE { ?op pld:ledBy ?who }",
                  f"DESCRIBE <{UNMIL}>"):
        r = client.get("/sparql", params={"query": query}, headers={"Accept": accept})
        assert r.status_code == 200 and r.headers["content-type"].startswith(accept)
        triples = {(t.subject.value, t.predicate.value, t.object.value)
                   for t in ox.parse(r.content, format=fmt)}
        assert (UNMIL, PLD + "ledBy", ID + "organisation/united-nations") in triples


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_solutions_are_counted_exactly_in_every_format(fmt: str) -> None:
    """The cap counts what Oxigraph wrote; literals that look like row separators, empty
    solutions, unbound values and quoted newlines must not fool it."""
    store = ox.Store()
    tricky = ['x"}},{[{ "', "a\nb\r\nc", "<result>", "},{", '""', "\t,\n"]
    for i in range(40):
        store.add(ox.Quad(ox.NamedNode(f"http://example.org/{i}"), ox.NamedNode(PLD + "p"),
                          ox.Literal(tricky[i % len(tricky)] + str(i)), ox.DefaultGraph()))
    cases = {"SELECT ?s ?o WHERE { ?s ?p ?o }": 40,
             "SELECT * WHERE { VALUES ?x { UNDEF 1 UNDEF } }": 3,
             "SELECT * WHERE { }": 1, "SELECT ?s WHERE { ?s ?p 'nothing' }": 0}
    for query, n in cases.items():
        media, body = execute(store, query, None, fmt, 1000)
        assert count_solutions(body, fmt) == n, (query, body[:300])
        if n:
            with pytest.raises(QueryFailed, match=f"more than {n - 1} results"):
                execute(store, query, None, fmt, n - 1)


def test_ask_and_format_parameter(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": f"ASK {{ <{UNMIL}> pld:acronym 'UNMIL' }}"})
    assert r.json() == {"head": {}, "boolean": True}
    r = client.get("/sparql", params={"query": SELECT, "format": "csv"})
    assert r.headers["content-type"].startswith("text/csv")
    assert r.text.startswith("op,label\r\n")


def test_cors_preflight_and_service_description(client: TestClient) -> None:
    r = client.options("/sparql", headers={"Origin": "https://example.org",
                                           "Access-Control-Request-Method": "POST"})
    assert r.status_code == 204
    assert "POST" in r.headers["access-control-allow-methods"]
    sd = client.get("/sparql", headers={"Accept": "text/turtle"})
    g = rdflib.Graph().parse(data=sd.text, format="turtle")
    sdns = "http://www.w3.org/ns/sparql-service-description#"
    assert (None, rdflib.URIRef(sdns + "endpoint"), rdflib.URIRef("http://testserver/sparql")) in g
    assert client.get("/sparql", headers={"Accept": "text/html"},
                      follow_redirects=False).headers["location"] == "/query"


def test_updates_are_refused_and_change_nothing(client: TestClient, dist: Path) -> None:
    update = f"INSERT DATA {{ <{UNMIL}> <{PLD}acronym> 'CHANGED' }}"
    answers = [
        client.post("/sparql", content=update,
                    headers={"Content-Type": "application/sparql-update"}),
        client.post("/sparql", data={"update": update}),
        client.get("/sparql", params={"update": update}),
        client.post("/sparql", content=update,
                    headers={"Content-Type": "application/sparql-query"}),
    ]
    assert [r.status_code // 100 for r in answers] == [4, 4, 4, 4]
    r = client.get("/sparql", params={"query": f"ASK {{ <{UNMIL}> pld:acronym 'CHANGED' }}"})
    assert r.json()["boolean"] is False


def test_service_is_refused(client: TestClient) -> None:
    r = client.get("/sparql", params={
        "query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"})
    assert r.status_code == 400 and "SERVICE" in r.text
    # a quote inside an IRI must not open a "string" that hides the call
    hidden = ("SELECT * WHERE { BIND(<http://a/'> AS ?x) SERVICE <http://127.0.0.1:9/sparql> "
              "{ ?s ?p ?o } BIND(<http://b/'> AS ?y) }")
    r = client.post("/sparql", content=hidden,
                    headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 400 and "SERVICE" in r.text


@pytest.mark.parametrize(("query", "calls"), [
    ("SELECT * { service silent ?e { } }", True),
    ("SELECT * { ?s ?p ?o FILTER(?a<?b)SERVICE<http://e/>{} }", True),
    ("SELECT * { ?s ?p \"unterminated SERVICE <http://e/> {} }", True),
    ("SELECT * { ?s ?p \"unterminated }", False),  # no SERVICE to hide: the parser refuses it
    ("SELECT * { ?s ?p 'SERVICE' } # SERVICE", False),
    ('SELECT * { ?s ?p """a "SERVICE" b""" . ?s ?q \'\'\'it\'s SERVICE\'\'\' }', False),
    ("SELECT ?service { ?service ex:service <http://x/SERVICE#a> }", False),
])
def test_service_guard_reads_tokens_as_the_parser_does(query: str, calls: bool) -> None:
    assert bool(service_calls(query)) is calls
    for path in sorted((ROOT / "queries").glob("*.rq")):
        assert not service_calls(path.read_text(encoding="utf-8")), path


def test_limits_cap_size_and_bad_requests(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert r.status_code == 400 and "500" in r.text and "LIMIT" in r.text
    big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 70_000
    assert client.post("/sparql", content=big,
                       headers={"Content-Type": "application/sparql-query"}).status_code == 413
    assert client.post("/sparql", content="ASK {}".encode("utf-16"), headers={
        "Content-Type": "application/sparql-query"}).status_code == 400
    assert client.post("/sparql", content="ASK {}",
                       headers={"Content-Type": "text/plain"}).status_code == 415
    assert client.get("/sparql", params=[("query", "ASK {}"),
                                         ("query", "ASK {}")]).status_code == 400
    syntax = client.get("/sparql", params={"query": "SELECT WHERE {"})
    assert syntax.status_code == 400 and "syntax" in syntax.text


def test_dataset_from_the_protocol_must_be_in_the_store(client: TestClient) -> None:
    ask = "ASK { pld:PeaceOperation a owl:Class }"
    r = client.get("/sparql", params={"query": ask, "default-graph-uri": ONTOLOGY_GRAPH})
    assert r.json()["boolean"] is True
    r = client.get("/sparql", params={"query": ask, "default-graph-uri": PASSAGE})
    assert r.json()["boolean"] is False
    r = client.get("/sparql", params={"query": ask,
                                      "default-graph-uri": "http://example.org/remote.rdf"})
    assert r.status_code == 400 and "not in this store" in r.text


def test_timeout_stops_a_long_query_and_the_endpoint_recovers(dist: Path) -> None:
    app = create_app(settings_for(dist, timeout=1, workers=1))
    try:
        with TestClient(app) as c:
            started = time.monotonic()
            r = c.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE "
                                                  "{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"})
            assert r.status_code == 503 and "stopped after 1 s" in r.text
            assert time.monotonic() - started < 10
            again = c.get("/sparql", params={"query": "ASK {}"})
            assert again.json()["boolean"] is True
    finally:
        app.state.peaceld.pool.close()


# --- the W3C SPARQL 1.1 Protocol tests ------------------------------------------------------

HT = rdflib.Namespace("http://www.w3.org/2011/http#")
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")


def protocol_tests() -> list[tuple[str, list[dict]]]:
    manifest = W3C / "manifest.ttl"
    if not manifest.is_file():
        return []
    g = rdflib.Graph().parse(manifest, format="turtle")
    out = []
    entries = next(g.objects(None, MF.entries))
    for test in rdflib.collection.Collection(g, entries):
        name = str(test).rsplit("#", 1)[-1]
        action = next(g.objects(test, MF.action))
        requests = []
        for req in rdflib.collection.Collection(g, next(g.objects(action, HT.requests))):
            body = next(g.objects(req, HT.body), None)
            headers = {}
            lst = next(g.objects(req, HT.headers), None)
            if lst is not None:
                for h in rdflib.collection.Collection(g, lst):
                    headers[str(next(g.objects(h, HT.fieldName)))] = str(
                        next(g.objects(h, HT.fieldValue)))
            resp = next(g.objects(req, HT.resp))
            requests.append({
                "method": str(next(g.objects(req, HT.methodName))),
                "path": str(next(g.objects(req, HT.absolutePath))),
                "body": None if body is None else str(next(g.objects(body, CNT.chars))).encode(
                    str(next(g.objects(body, CNT.characterEncoding), "UTF-8"))),
                "headers": headers,
                "status": sorted(str(s).rsplit("StatusCode", 1)[-1]
                                 for s in g.objects(resp, MF.expectedStatus)),
                "format": next((str(f) for f in g.objects(resp, MF.expectedFormat)), None),
                "boolean": next((f.toPython() for f in g.objects(resp, MF.expectedBoolean)),
                                None),
            })
        out.append((name, requests))
    return out


def test_w3c_protocol_manifest_is_here() -> None:
    if not (W3C / "manifest.ttl").is_file():
        message = f"W3C SPARQL protocol tests not found at {W3C}"
        if os.environ.get("PEACELD_CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.mark.parametrize(("name", "requests"), protocol_tests(),
                         ids=[n for n, _ in protocol_tests()])
def test_w3c_protocol(client: TestClient, name: str, requests: list[dict]) -> None:
    """Each W3C request as written. Read-only and fetch-nothing are the two deviations:
    updates get a 4xx, and so does a dataset that names a graph by URL that is not in the
    store (the tests' kasei.us graphs), instead of fetching it."""
    for req in requests:
        path = req["path"]
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
        names_graphs = any(k in query for k in ("default-graph-uri", "named-graph-uri",
                                                "using-graph-uri", "using-named-graph-uri"))
        body = req["body"] or b""
        is_update = name.startswith(("update_", "bad_update")) or b"INSERT" in body
        r = client.request(req["method"], path, content=req["body"], headers=req["headers"])
        if is_update or name.startswith("bad_"):
            assert r.status_code // 100 == 4, (name, r.status_code, r.text)
            return  # later requests check what the refused update would have done
        if names_graphs:
            assert r.status_code == 400 and "not in this store" in r.text, (name, r.text)
            continue
        assert f"{r.status_code // 100}xx" in req["status"], (name, r.status_code, r.text)
        kind = r.headers["content-type"].split(";")[0]
        if req["format"] == "boolean":
            assert kind in ("application/sparql-results+json", "application/sparql-results+xml")
            if req["boolean"] is not None:
                result = ox.parse_query_results(r.content, format=(
                    ox.QueryResultsFormat.JSON if "json" in kind else ox.QueryResultsFormat.XML))
                assert bool(result) is req["boolean"]
        elif req["format"] == "tabular":
            assert kind in ("application/sparql-results+json", "application/sparql-results+xml",
                            "text/csv", "text/tab-separated-values")
        elif req["format"] == "RDF":
            assert kind in ("application/rdf+xml", "text/turtle", "application/n-triples")


def test_w3c_dataset_tests_pass_with_the_graphs_in_the_store(tmp_path: Path) -> None:
    """The dataset tests, answered for real once their graphs are graphs of the store."""
    if not (W3C / "manifest.ttl").is_file():
        pytest.skip("W3C tests not found")
    store = ox.Store(str(tmp_path / "store"))
    for i in (1, 2, 3):
        store.load(path=str(W3C / f"data{i}.nt"), format=ox.RdfFormat.N_TRIPLES,
                   to_graph=ox.NamedNode(f"http://kasei.us/2009/09/sparql/data/data{i}.rdf"))
    store.flush()
    del store
    app = create_app(Settings(tmp_path / "store", workers=1))
    ran = 0
    try:
        with TestClient(app) as c:
            for name, requests in protocol_tests():
                if not name.startswith("query_") or "data0.rdf" in requests[0]["path"]:
                    continue
                req = requests[0]
                r = c.request(req["method"], req["path"], content=req["body"],
                              headers=req["headers"])
                assert r.status_code == 200, (name, r.text)
                if req["boolean"] is not None:
                    assert r.json()["boolean"] is req["boolean"], name
                ran += 1
    finally:
        app.state.peaceld.pool.close()
    assert ran >= 6


# --- the real server ------------------------------------------------------------------------


def test_cli_help_and_bad_base_iri() -> None:
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0 and "peaceld serve" in result.output
    result = CliRunner().invoke(main, ["serve", "--base-iri", "https://example.org/x"])
    assert result.exit_code == 2 and "must end with '/'" in result.output


def test_cli_serves_on_loopback(dist: Path, tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "peaceld", "serve", "--dist", str(dist),
                                 "--port", str(port), "--workers", "1"],
                                stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_http(base + "/", proc, 60, log)
        assert f"http://127.0.0.1:{port}/" in log.read_text()
        request = urllib.request.Request(base + "/id/operation/unmil",
                                         headers={"Accept": "text/turtle"})
        with urllib.request.urlopen(request, timeout=10) as r:  # noqa: S310 - loopback
            assert r.url.endswith("/id/operation/unmil.ttl")
            assert b"UNMIL" in r.read()
        query = urllib.parse.urlencode({"query": "ASK { ?s pld:acronym 'UNMIL' }"})
        with urllib.request.urlopen(f"{base}/sparql?{query}", timeout=30) as r:  # noqa: S310
            assert json.loads(r.read())["boolean"] is True
    finally:
        stop(proc)


def test_statements_without_a_passage_name_the_graph_that_states_them(client: TestClient) -> None:
    """Reference records and curators' identifications are not claims of an article: the
    page says where they come from instead of leaving the source column empty."""
    page = client.get("/id/operation/unmil.html").text
    row = page[page.index(">authorised by<"):]
    row = row[:row.index("</tr>")]
    assert "reference records" in row and "section" not in row

"""Export round trips, the query library's answers, the embedded store and a real server."""

from __future__ import annotations

import csv
import gzip
import http.server
import io
import json
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner
from conftest import need
from rdflib.compare import isomorphic

from peaceld.build import build
from peaceld.cli import main
from peaceld.errors import PeaceldError
from peaceld.export import (
    FORMATS,
    GRAPH_PARTS,
    NotStreamable,
    describe,
    export,
    select,
    serialize,
    serialize_dump,
    stream_export,
    void_counts,
)
from peaceld.namespaces import all_prefixes
from peaceld.project import bundled_root
from peaceld.query import load_library, run_local
from peaceld.rdfio import load_dataset
from peaceld.store import (
    DATA_GRAPH,
    STORE_LAYOUT,
    ensure_store,
    graphs_to_push,
    load_store,
    push,
)

ROOT = bundled_root()
OX = {"ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "nq": ox.RdfFormat.N_QUADS,
      "trig": ox.RdfFormat.TRIG, "xml": ox.RdfFormat.RDF_XML, "jsonld": ox.RdfFormat.JSON_LD}
RDFLIB = {"ttl": "turtle", "nt": "nt", "nq": "nquads", "trig": "trig", "xml": "xml",
          "jsonld": "json-ld"}
RAPPER = {"ttl": "turtle", "nt": "ntriples", "nq": "nquads", "trig": "trig", "xml": "rdfxml"}


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("kg")
    build(ROOT, out_dir=out, validate=False)
    return out


@pytest.fixture(scope="module")
def quads(dist: Path) -> list[ox.Quad]:
    return load_dataset(dist / "peaceld.nq")


def rdflib_graphs(data: bytes, fmt: str) -> dict[str, rdflib.Graph]:
    if FORMATS[fmt].quads:
        ds = rdflib.Dataset()
        ds.parse(data=data, format=RDFLIB[fmt])
        return {str(g.identifier): g for g in ds.graphs() if len(g)}
    g = rdflib.Graph()
    g.parse(data=data, format=RDFLIB[fmt])
    return {"default": g}


@pytest.mark.slow
@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("part", [pytest.param("all", marks=pytest.mark.slow), "data"])
def test_every_format_round_trips(quads: list[ox.Quad], fmt: str, part: str) -> None:
    data = serialize(quads, fmt, part)
    keep_graphs = FORMATS[fmt].quads and part == "all"
    reference = serialize(quads, "nq" if keep_graphs else "nt", part)
    # Oxigraph: the same set of quads
    back = {str(q) for q in ox.parse(data, format=OX[fmt])}
    ref_format = ox.RdfFormat.N_QUADS if keep_graphs else ox.RdfFormat.N_TRIPLES
    assert back == {str(q) for q in ox.parse(reference, format=ref_format)}
    # rdflib: graph by graph isomorphic (blank nodes included)
    got = rdflib_graphs(data, fmt)
    want = rdflib_graphs(reference, "nq" if keep_graphs else "nt")
    if not keep_graphs:
        got = {"default": next(iter(got.values()))}
    assert set(got) == set(want)
    for name in want:
        assert isomorphic(got[name], want[name]), name


@pytest.mark.parametrize("fmt", sorted(RAPPER))
def test_rapper_reads_every_format(quads: list[ox.Quad], tmp_path: Path, fmt: str) -> None:
    need("rapper", "Debian package raptor2-utils")
    path = tmp_path / f"kg{FORMATS[fmt].suffix}"
    path.write_bytes(serialize(quads, fmt, "all"))
    output = "nquads" if FORMATS[fmt].quads else "ntriples"
    result = subprocess.run(["rapper", "-q", "-i", RAPPER[fmt], "-o", output, str(path)],
                            capture_output=True, text=True, check=True)
    expected = len({str(q.triple if not FORMATS[fmt].quads else q) for q in quads})
    assert len(set(result.stdout.splitlines())) == expected


def test_exports_are_byte_identical_and_described(tmp_path: Path, dist: Path) -> None:
    runner = CliRunner()
    outs = []
    for i in range(2):
        out = tmp_path / f"run{i}" / "kg.trig.gz"
        result = runner.invoke(main, ["export", "-f", "trig", "-g", "provenance", "--gzip",
                                      "-o", str(out), "--dist", str(dist)])
        assert result.exit_code == 0, result.output
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    # TriG with one named graph per cited passage, and nothing in the default graph
    exported = list(ox.parse(gzip.decompress(outs[0]), format=ox.RdfFormat.TRIG))
    graphs = {q.graph_name for q in exported}
    assert all(isinstance(g, ox.NamedNode) for g in graphs)
    assert sum("/id/passage/" in g.value for g in graphs) > 100
    void = rdflib.Graph().parse(tmp_path / "run0" / "kg.trig.gz.void.ttl")
    vd = rdflib.Namespace("http://rdfs.org/ns/void#")
    dataset = next(void.subjects(rdflib.RDF.type, vd.Dataset))
    assert int(next(void.objects(dataset, vd.triples))) == len({str(q.triple)
                                                                for q in exported})
    assert any(void.objects(None, vd.classPartition))


def test_two_exports_in_one_folder_keep_their_own_description(tmp_path: Path,
                                                              dist: Path) -> None:
    for fmt, part in (("nt", "data"), ("ttl", "ontology")):
        result = CliRunner().invoke(main, ["export", "-f", fmt, "-g", part, "-o",
                                           str(tmp_path / f"kg.{fmt}"), "--dist", str(dist)])
        assert result.exit_code == 0, result.output
    triples = {}
    for fmt in ("nt", "ttl"):
        void = rdflib.Graph().parse(tmp_path / f"kg.{fmt}.void.ttl")
        vd = rdflib.Namespace("http://rdfs.org/ns/void#")
        triples[fmt] = int(next(void.objects(None, vd.triples)))
        assert str(next(void.objects(None, rdflib.URIRef("http://purl.org/dc/terms/title"))))
    assert triples["nt"] != triples["ttl"]


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["nt", "ttl"])
@pytest.mark.parametrize("part", GRAPH_PARTS)
def test_streamed_export_equals_the_in_memory_one(tmp_path: Path, dist: Path, fmt: str,
                                                  part: str) -> None:
    dump = dist / "peaceld.nq"
    streamed = tmp_path / f"kg.{fmt}"
    counts = stream_export(dump, fmt, part, streamed)
    assert streamed.read_bytes() == serialize_dump(dump, fmt, part)
    in_memory = serialize(load_dataset(dump), fmt, part)
    parse = {"nt": ox.RdfFormat.N_TRIPLES, "ttl": ox.RdfFormat.TURTLE}[fmt]
    assert set(ox.parse(streamed.read_bytes(), format=parse)) == set(
        ox.parse(in_memory, format=parse))
    # the VoID counts made on the way agree with those made from the quads
    assert counts == void_counts(select(load_dataset(dump), part))
    assert export(dump, fmt, part, tmp_path / f"kg2.{fmt}") == [
        tmp_path / f"kg2.{fmt}", tmp_path / f"kg2.{fmt}.void.ttl"]
    assert (tmp_path / f"kg2.{fmt}.void.ttl").read_bytes() == describe(
        select(load_dataset(dump), part), {}, {f"kg2.{fmt}": FORMATS[fmt].media_type})


def test_an_unsorted_dump_is_exported_in_memory_with_the_same_triples(tmp_path: Path,
                                                                      dist: Path) -> None:
    lines = (dist / "peaceld.nq").read_bytes().splitlines(keepends=True)
    shuffled = tmp_path / "shuffled.nq"
    shuffled.write_bytes(b"".join(lines[1::2] + lines[0::2]))
    for fmt in ("nt", "ttl"):
        with pytest.raises(NotStreamable):
            stream_export(shuffled, fmt, "data", tmp_path / f"never.{fmt}")
        assert not (tmp_path / f"never.{fmt}").exists()
    assert not list(tmp_path.glob(".*tmp*")) and not list(tmp_path.glob("*.tmp"))
    export(shuffled, "nt", "data", tmp_path / "kg.nt")
    assert set((tmp_path / "kg.nt").read_bytes().splitlines()) == set(
        serialize_dump(dist / "peaceld.nq", "nt", "data").splitlines())


def test_a_dump_without_a_final_newline_keeps_its_last_statement(tmp_path: Path) -> None:
    dump = tmp_path / "d.nq"
    graph = b"<https://w3id.org/peaceld/id/passage/a/s0p1>"
    dump.write_bytes(b'<http://x/a> <http://x/p> "1" ' + graph + b' .\n'
                     b'<http://x/b> <http://x/p> "2" ' + graph + b' .')
    for fmt in ("nt", "ttl", "nq", "trig"):
        out = serialize_dump(dump, fmt, "all")
        parsed = list(ox.parse(out, format=ox.RdfFormat.from_extension(fmt)))
        assert len(parsed) == 2, (fmt, out)


def test_jsonld_keeps_types_that_are_blank_nodes_or_literals(tmp_path: Path) -> None:
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    x = ox.NamedNode("http://x/a")
    quads = [ox.Quad(x, rdf_type, ox.BlankNode("t1"), ox.DefaultGraph()),
             ox.Quad(x, rdf_type, ox.Literal("odd"), ox.DefaultGraph()),
             ox.Quad(x, rdf_type, ox.NamedNode("http://x/C"), ox.DefaultGraph())]
    back = list(ox.parse(serialize(quads, "jsonld"), format=ox.RdfFormat.JSON_LD))
    assert rdflib_isomorphic(back, quads)


def test_blank_node_relabelling_leaves_literals_alone(tmp_path: Path) -> None:
    passage = "<https://w3id.org/peaceld/id/passage/a/s0p1>"
    dump = tmp_path / "d.nq"
    lines = [f'_:b1 <http://x/p> "see <urn:peaceld:blank:b1> and _:b1 here" {passage} .',
             f'<http://x/a> <http://x/q> _:b1 {passage} .']
    dump.write_text("\n".join(sorted(lines)) + "\n")
    for fmt in ("nq", "trig"):
        back = list(ox.parse(serialize_dump(dump, fmt, "all"),
                             format=ox.RdfFormat.from_extension(fmt)))
        literal = next(q.object for q in back if isinstance(q.object, ox.Literal))
        assert literal.value == "see <urn:peaceld:blank:b1> and _:b1 here"
        assert all(isinstance(q.subject, ox.BlankNode) for q in back
                   if isinstance(q.object, ox.Literal))


def rdflib_isomorphic(a: list[ox.Quad], b: list[ox.Quad]) -> bool:
    def graph(quads: list[ox.Quad]) -> rdflib.Graph:
        return rdflib.Graph().parse(data=ox.serialize([q.triple for q in quads],
                                                      format=ox.RdfFormat.N_TRIPLES), format="nt")
    return isomorphic(graph(a), graph(b))


def test_parts_are_disjoint_where_they_should_be(quads: list[ox.Quad]) -> None:
    onto = set(ox.parse(serialize(quads, "nt", "ontology"), format=ox.RdfFormat.N_TRIPLES))
    data = set(ox.parse(serialize(quads, "nt", "data"), format=ox.RdfFormat.N_TRIPLES))
    assert onto and data
    # the only overlap: claims of a source that restate the ontology's own concept axioms
    # (e.g. article 003 says non-use of force has self-defence as an exception)
    assert {q.subject.value.split("/concept/")[0] for q in onto & data} <= {
        "https://w3id.org/peaceld"}
    with pytest.raises(PeaceldError, match="unknown graph part"):
        serialize(quads, "nt", "everything")


# --- the query library answers what the articles say -----------------------------------------


def library(dist: Path, name: str) -> list[dict[str, str]]:
    result = CliRunner().invoke(main, ["query", "--name", name, "-f", "csv",
                                       "--dist", str(dist)])
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_library_has_at_least_15_titled_queries(dist: Path) -> None:
    result = CliRunner().invoke(main, ["query", "--list", "--dist", str(dist)])
    assert result.exit_code == 0
    names = [p.stem for p in (ROOT / "queries").glob("*.rq")]
    assert len(names) >= 15
    for name in names:
        assert name in result.output
        assert "# title:" in (ROOT / "queries" / f"{name}.rq").read_text()


def test_outcomes_by_source(dist: Path) -> None:
    rows = {(r["article"], r["assessed"], r["outcome"]) for r in library(dist,
                                                                          "outcomes-by-source")}
    # the labels are the articles' own words; official names are curators' identifications
    assert ("002_8669f93456044061", "UNTAG",
            "success") in rows
    assert ("002_8669f93456044061", "UN mission in Rwanda",
            "failure") in rows
    assert ("001_dc7105e24f5d1192", "United Nations Mission in Liberia", "success") in rows
    assert ("001_dc7105e24f5d1192", "Kosovo Force", "success") in rows


def test_legal_basis_of_peace_enforcement(dist: Path) -> None:
    articles = {r["article"] for r in library(dist, "legal-basis-of-peace-enforcement")
                if r["article"]}
    assert articles == {"39", "41", "42"}


def test_principles_and_exceptions(dist: Path) -> None:
    rows = library(dist, "principles-and-exceptions")
    exceptions = {r["exception"] for r in rows if r["principle"] == "non-use of force"}
    assert {"self-defence", "defence of the mandate"} <= exceptions


def test_years_from_the_articles(dist: Path) -> None:
    years = {r["label"]: (r["start"], r["end"]) for r in library(dist, "operations-by-start-year")}
    assert years["UNTAG"] == ("1989", "1990")
    assert years["Kosovo Force"][0] == "1999"
    assert years["African Union Mission in Somalia"][0] == "2007"
    founded = {r["label"]: r["founded"] for r in library(dist, "founding-years")}
    assert founded["North Atlantic Treaty Organization"] == "1949"
    assert founded["United Nations"] == "1945"


def test_leads_and_who_says_it(dist: Path) -> None:
    leads = {(r["orgLabel"], r["opLabel"]) for r in library(dist, "operations-by-lead")}
    assert ("North Atlantic Treaty Organization", "Kosovo Force") in leads
    assert ("African Union", "African Union Mission in Somalia") in leads
    says = library(dist, "who-says-this")
    assert [(r["article"], r["paragraph"]) for r in says] == [("001_dc7105e24f5d1192", "1")]


def test_sources_and_challenges(dist: Path) -> None:
    disclosure = {r["article"]: r["disclosure"]
                  for r in library(dist, "sources-and-ai-disclosure")}
    assert disclosure["003_9aeec1d430f0789f"] == "declared"
    assert disclosure["004_648312329135cd7a"] == "partly-declared"
    challenges = {(r["article"], r["challenge"]) for r in library(dist, "challenges-by-source")}
    assert ("004_648312329135cd7a", "unequal burden-sharing") in challenges
    assert ("003_9aeec1d430f0789f", "security risks to personnel") in challenges


# --- query behaviour ------------------------------------------------------------------------


def test_result_formats(dist: Path) -> None:
    runner = CliRunner()
    q = "SELECT ?l WHERE { operation:kfor rdfs:label ?l }"
    as_json = runner.invoke(main, ["query", "-e", q.replace("operation:kfor",
                                   "<https://w3id.org/peaceld/id/operation/kfor>"),
                                   "-f", "json", "--dist", str(dist)])
    assert as_json.exit_code == 0, as_json.output
    doc = json.loads(as_json.stdout)
    assert doc["results"]["bindings"][0]["l"]["value"] == "Kosovo Force"
    ask = runner.invoke(main, ["query", "-e", "ASK { ?x a pld:PeaceOperation }",
                               "--dist", str(dist)])
    assert ask.stdout.strip() == "true"
    construct = runner.invoke(main, ["query", "-e", "CONSTRUCT { ?o a pld:PeaceOperation } "
                                     "WHERE { ?o a pld:PeaceOperation }", "-f", "nt",
                                     "--dist", str(dist)])
    assert construct.exit_code == 0
    assert len(set(construct.stdout.splitlines())) >= 10


def test_syntax_error_points_at_the_users_line(dist: Path) -> None:
    result = CliRunner().invoke(main, ["query", "-e", "SELECT ?x\nWHERE { ?x a pld:Foo .",
                                       "--dist", str(dist)])
    assert result.exit_code == 2
    assert result.output.startswith("error: -e:2:")
    assert "Traceback" not in result.output


def test_service_is_refused(dist: Path) -> None:
    result = CliRunner().invoke(main, ["query", "-e", "SELECT * WHERE { SERVICE "
                                       "<http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
                                       "--dist", str(dist)])
    assert result.exit_code == 2 and "SERVICE calls are refused" in result.output


def test_timeout_stops_a_long_query(dist: Path) -> None:
    location = ensure_store(dist)
    slow = ("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }")
    start = time.monotonic()
    with pytest.raises(PeaceldError, match=r"query stopped after 0\.5 s"):
        run_local(slow, location=location, fmt="json", timeout=0.5)
    assert time.monotonic() - start < 10


def test_unknown_query_name(dist: Path) -> None:
    result = CliRunner().invoke(main, ["query", "--name", "outcomes-by-sauce",
                                       "--dist", str(dist)])
    assert result.exit_code == 2 and "did you mean 'outcomes-by-source'" in result.output


def test_store_reloads_when_the_build_changes(tmp_path: Path, dist: Path) -> None:
    copy = tmp_path / "dist"
    shutil.copytree(dist, copy, ignore=shutil.ignore_patterns("store*"))
    ensure_store(copy)
    first = (copy / "store.sha256").read_text()
    extra = b'<https://example.org/x> <https://example.org/p> "new" .\n'
    (copy / "peaceld.nq").write_bytes((copy / "peaceld.nq").read_bytes() + extra)
    result = run_local('ASK { ?x ?p "new" }', location=ensure_store(copy), fmt="json")
    assert (copy / "store.sha256").read_text() != first
    assert result.kind == "ask" and result.boolean is True


def test_store_default_graph_is_the_union_of_the_graphs(tmp_path: Path, dist: Path) -> None:
    dump = tmp_path / "d.nq"
    dump.write_bytes(
        b'<https://example.org/a> <https://example.org/p> "1" <https://example.org/g1> .\n'
        b'<https://example.org/a> <https://example.org/p> "1" <https://example.org/g2> .\n'
        b'_:b7 <https://example.org/q> <https://example.org/a> <https://example.org/g2> .\n'
        b'<https://example.org/c> <https://example.org/p> "2" .\n')
    assert load_store(dump, tmp_path / "s") == 6  # 4 quads, plus 2 union triples
    store = ox.Store.read_only(str(tmp_path / "s"))
    default = sorted(str(q) for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    assert len(default) == 3 and sum(q.startswith("_:") for q in default) == 1
    assert {str(g) for g in store.named_graphs()} == {"<https://example.org/g1>",
                                                       "<https://example.org/g2>"}
    # the same blank node in its graph and in the union
    assert store.query("ASK { ?b <https://example.org/q> ?a . "
                       "GRAPH <https://example.org/g2> { ?b <https://example.org/q> ?a } }")
    # and on the real build: every library query answers as with the union flag
    location = ensure_store(dist)
    built = ox.Store.read_only(str(location))
    memory = ox.Store()
    memory.load((dist / "peaceld.nq").read_bytes(), format=ox.RdfFormat.N_QUADS)
    for query in load_library(sorted((bundled_root() / "queries").glob("*.rq"))).values():
        text, prefixes = query.text, all_prefixes()
        ours = sorted(map(str, built.query(text, prefixes=prefixes)))
        union = sorted(map(str, memory.query(text, prefixes=prefixes,
                                             use_default_graph_as_union=True)))
        assert ours == union and ours, query.path.name


def test_a_broken_dump_is_one_line_and_leaves_no_store(tmp_path: Path, dist: Path) -> None:
    copy = tmp_path / "dist"
    shutil.copytree(dist, copy, ignore=shutil.ignore_patterns("store*"))
    (copy / "peaceld.nq").write_bytes((copy / "peaceld.nq").read_bytes() + b"extra\n")
    result = CliRunner().invoke(main, ["query", "-e", "ASK { ?s ?p ?o }", "--dist", str(copy)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    lines = (copy / "peaceld.nq").read_bytes().count(b"\n")
    assert f"peaceld.nq:{lines}" in result.output and "syntax error" in result.output
    for fmt in ("ttl", "jsonld"):  # streamed first, then in memory; JSON-LD in memory
        result = CliRunner().invoke(main, ["export", "-f", fmt, "-o", str(tmp_path / f"kg.{fmt}"),
                                           "--dist", str(copy)])
        assert result.exit_code == 2 and "Traceback" not in result.output, result.output
        assert f"peaceld.nq:{lines}" in result.output and not (tmp_path / f"kg.{fmt}").exists()
    assert sorted(p.name for p in copy.iterdir()) == sorted(p.name for p in dist.iterdir()
                                                             if not p.name.startswith("store"))


def test_store_of_an_older_layout_is_rebuilt(tmp_path: Path, dist: Path) -> None:
    copy = tmp_path / "dist"
    shutil.copytree(dist, copy, ignore=shutil.ignore_patterns("store*"))
    ensure_store(copy)
    digest = (copy / "store.sha256").read_text().split()[0]
    (copy / "store.sha256").write_text(digest + "\n")  # what a peaceld before layout 2 wrote
    shutil.rmtree(copy / "store")
    ox.Store(str(copy / "store")).bulk_load(path=str(copy / "peaceld.nq"),
                                            format=ox.RdfFormat.N_QUADS)
    ensure_store(copy)
    assert (copy / "store.sha256").read_text().strip().endswith(f"layout {STORE_LAYOUT}")
    result = run_local("ASK { ?s a pld:PeaceOperation }", location=copy / "store", fmt="json")
    assert result.kind == "ask" and result.boolean is True


# --- a real Oxigraph server -----------------------------------------------------------------


@pytest.mark.slow
def test_push_then_query_the_server_like_the_embedded_store(oxigraph_server: str, dist: Path,
                                                             quads: list[ox.Quad]) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["push", "--endpoint", f"{oxigraph_server}/store",
                                  "--dist", str(dist)])
    assert result.exit_code == 0, result.output
    again = runner.invoke(main, ["push", "--endpoint", f"{oxigraph_server}/store",
                                 "--dist", str(dist)])
    assert again.exit_code == 0  # replacing, not appending
    for name in ("outcomes-by-source", "operations-by-lead", "legal-basis-of-peace-enforcement",
                 "principles-and-exceptions", "challenges-by-source"):
        local = runner.invoke(main, ["query", "--name", name, "-f", "csv", "--dist", str(dist)])
        remote = runner.invoke(main, ["query", "--name", name, "-f", "csv", "--endpoint",
                                      f"{oxigraph_server}/query"])
        assert remote.exit_code == 0, remote.output
        assert local.stdout.replace("\r\n", "\n") == remote.stdout.replace("\r\n", "\n"), name
    count = runner.invoke(main, ["query", "-e", f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH "
                                 f"<{DATA_GRAPH}> {{ ?s ?p ?o }} }}", "-f", "csv",
                                 "--endpoint", f"{oxigraph_server}/query"])
    data = {str(q.triple) for q in quads if q.graph_name.value.startswith(
        "https://w3id.org/peaceld/id/passage/")}
    assert int(count.stdout.split()[-1]) == len(data)


class Refusing(http.server.BaseHTTPRequestHandler):
    codes: list[int] = []
    seen: list[tuple[str, int]] = []

    def do_PUT(self) -> None:  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        code = self.codes.pop(0) if self.codes else 204
        self.seen.append((self.path, code))
        self.send_response(code)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize(("codes", "message"), [
    ([401], "HTTP 401, authentication required"),
    ([403], "HTTP 403, forbidden"),
    ([404], "HTTP 404, not found"),
    pytest.param([500, 500, 500, 500], "HTTP 500", marks=pytest.mark.slow),  # retries back off
])
def test_push_errors_are_one_clear_line(quads: list[ox.Quad], codes: list[int],
                                        message: str) -> None:
    Refusing.codes = list(codes)
    server = http.server.HTTPServer(("127.0.0.1", 0), Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(PeaceldError, match=message):
            push(f"http://127.0.0.1:{server.server_port}/store", quads[:50], retries=3)
    finally:
        server.shutdown()


def test_push_retries_transient_failures(quads: list[ox.Quad]) -> None:
    Refusing.codes, Refusing.seen = [503, 502], []
    server = http.server.HTTPServer(("127.0.0.1", 0), Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        sent = push(f"http://127.0.0.1:{server.server_port}/store", quads[:50], retries=3)
    finally:
        server.shutdown()
    graphs = graphs_to_push(quads[:50])
    assert sent == {g: len(t) for g, t in graphs.items()}
    # the first graph was refused twice, then every graph went once
    assert [code for _, code in Refusing.seen] == [503, 502] + [204] * len(graphs)
    assert Refusing.seen[0][0] == Refusing.seen[1][0] == Refusing.seen[2][0]


def test_exported_files_get_the_usual_permissions(tmp_path: Path, dist: Path) -> None:
    import os

    mask = os.umask(0o022)
    try:
        written = export(dist / "peaceld.nq", "ttl", "data", tmp_path / "kg.ttl")
    finally:
        os.umask(mask)
    for path in written:
        assert path.stat().st_mode & 0o777 == 0o644, path  # not mkstemp's private 0600

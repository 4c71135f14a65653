"""One benchmark stage, run in its own process so its time and peak RSS are its own.

    python -m bench.stages STAGE TOOL WORKDIR

Stages read the synthetic data in WORKDIR (made by ``bench.synthetic``) and write there.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLES = ["organisations", "states", "operations", "contributions", "claims"]

#: Every query of the library (the benchmark data holds the bundled knowledge graph beside the
#: synthetic tables, so each has its real answers), then three questions about the synthetic
#: contribution and claim tables, written as a researcher would write them: a selective one
#: about one operation, and two aggregates over every contribution or claim.
LIBRARY = {path.stem: path.read_text() for path in sorted((ROOT / "queries").glob("*.rq"))}
QUERIES = {
    **LIBRARY,
    "contributors-to-one-operation": """
        SELECT ?state ?label (SUM(?t) AS ?troops) WHERE {
          ?c pld:servesIn <https://w3id.org/peaceld/id/operation/op7> ;
             pld:providedBy ?state ; pld:troops ?t .
          OPTIONAL { ?state rdfs:label ?label }
        } GROUP BY ?state ?label ORDER BY DESC(?troops)""",
    "troops-per-operation": """
        SELECT ?op (SUM(?t) AS ?troops) WHERE {
          ?c a pld:Contribution ; pld:servesIn ?op ; pld:troops ?t } GROUP BY ?op
        ORDER BY DESC(?troops) LIMIT 20""",
    "outcomes-per-operation": """
        SELECT ?op ?o (COUNT(*) AS ?n) WHERE {
          ?a a pld:OutcomeAssessment ; pld:assesses ?op ; pld:outcome ?o } GROUP BY ?op ?o
        ORDER BY ?op LIMIT 50""",
}


def data_file(work: Path) -> Path:
    return work / "data.nq"


def stage_map(tool: str, work: Path) -> int:
    if tool == "peaceld":
        from peaceld.mapping import map_files
        from peaceld.rdfio import load_ontology

        ontology = load_ontology(sorted((ROOT / "ontology").glob("*.ttl")))
        n = 0
        with data_file(work).open("w", encoding="utf-8") as out:
            for table in TABLES:
                stats = map_files(ROOT / "bench" / "mappings" / f"synthetic-{table}.yaml",
                                  [work / f"{table}.csv"], out, ontology=ontology)
                n += stats.quads
        return n
    raise SystemExit(f"unknown tool {tool}")  # Morph-KGC runs from its own venv (bench.suite)


def _quads(work: Path) -> list:
    from peaceld.rdfio import parse_file

    return parse_file(data_file(work))


def stage_validate(tool: str, work: Path) -> int:
    from peaceld.api import Project

    report = Project(ROOT).validate([data_file(work)],
                                    engine="pyshacl" if tool == "pySHACL" else "peaceld")
    (work / f"findings-{tool}.json").write_text(json.dumps(sorted(
        [list(map(str, f.key())) for f in report.findings])))
    return report.triples


def stage_export(tool: str, work: Path, fmt: str) -> int:
    if tool == "peaceld":
        import pyoxigraph as ox

        from peaceld.export import export

        # what `peaceld export -f FMT -g data -o FILE` does: the file and its VoID description
        export(data_file(work), fmt, "data", work / f"export.{fmt}")
        void = ox.Store()
        void.load(path=str(work / f"export.{fmt}.void.ttl"), format=ox.RdfFormat.TURTLE)
        found = void.query("SELECT ?n WHERE { ?d a <http://rdfs.org/ns/void#Dataset> ; "
                           "<http://rdfs.org/ns/void#triples> ?n }")
        return int(next(iter(found))["n"].value)
    import rdflib

    graph = rdflib.Graph()
    graph.parse(data_file(work), format="nquads")
    t = time.perf_counter()
    graph.serialize(work / f"export-rdflib.{fmt}", format={"ttl": "turtle", "nt": "nt"}[fmt])
    (work / f"rdflib-{fmt}-serialize-seconds").write_text(str(time.perf_counter() - t))
    return len(graph)


def stage_load(tool: str, work: Path) -> int:
    if tool == "peaceld":
        from peaceld.store import load_store

        return load_store(data_file(work), work / "store")  # what `peaceld query` does first
    import rdflib

    ds = rdflib.Dataset()
    ds.parse(data_file(work), format="nquads")
    return len(ds)


def stage_query(tool: str, work: Path) -> int:
    from peaceld.namespaces import all_prefixes
    from peaceld.query import prologue

    times: dict[str, float] = {}
    if tool == "peaceld":
        import pyoxigraph as ox

        store = ox.Store.read_only(str(work / "store"))

        def run(text: str) -> int:
            # the union is the default graph of the store
            return sum(1 for _ in store.query(text, prefixes=all_prefixes()))
    else:
        import rdflib

        graph = rdflib.Dataset(default_union=True)
        graph.parse(data_file(work), format="nquads")

        def run(text: str) -> int:
            return sum(1 for _ in graph.query(prologue() + text))
    rows, errors = {}, {}
    for name, text in QUERIES.items():
        samples = []
        try:
            for _ in range(3):
                t = time.perf_counter()
                rows[name] = run(text)
                samples.append(time.perf_counter() - t)
        except Exception as exc:  # noqa: BLE001 - a peer that cannot answer is a result too
            errors[name] = f"{type(exc).__name__}: {exc}".splitlines()[0]
            continue
        times[name] = statistics.median(samples)
    (work / f"query-times-{tool}.json").write_text(
        json.dumps({"times": times, "rows": rows, "errors": errors}, indent=1))
    return len(QUERIES)


def stage_push(tool: str, work: Path, endpoint: str) -> int:
    from peaceld.store import push

    sent = push(endpoint, _quads(work))
    return sum(sent.values())


def main() -> None:
    stage, tool, work = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    extra = sys.argv[4:]
    fn = {"map": stage_map, "validate": stage_validate, "export": stage_export,
          "load": stage_load, "query": stage_query, "push": stage_push}[stage]
    start = time.perf_counter()
    n = fn(tool, work, *extra)
    print(json.dumps({"items": n, "seconds": time.perf_counter() - start}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()

"""``peaceld serve`` under load, beside ``oxigraph serve-read-only`` on the same store.

    python -m bench.serve_bench --size 1000000
    python -m bench.serve_bench --size 10000 --seconds 3 --pages 50     # a smoke run

For one size it generates the synthetic data (``bench.synthetic``) plus the bundled knowledge
graph, builds the embedded store once (``peaceld.store``), then, on 127.0.0.1 only:

* entity pages: ``--pages`` sequential requests for the HTML page of operations, states and
  organisations (``/id/operation/opN.html``...), p50/p95/max latency, on first visit and
  again (labels cached); then through the resource IRI (``303``, then the page);
* SPARQL throughput: ``--clients`` concurrent clients (keep-alive connections) send the
  library queries round-robin for ``--seconds``, to ``peaceld serve``'s ``/sparql`` and to
  ``oxigraph serve-read-only`` on the same store directory (both up at once, both
  read-only), with the same query texts (prefixes written out, as any client sends them) and
  JSON results; ``--rounds`` runs alternate between the two and the median counts.

Every loop is bounded (request counts, seconds). Prints a Markdown table and writes
``bench/out/serve-<size>.json``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

from bench.stages import LIBRARY, TABLES
from bench.synthetic import generate
from peaceld.build import build
from peaceld.mapping import map_files
from peaceld.project import bundled_root
from peaceld.query import prologue
from peaceld.rdfio import load_ontology
from peaceld.store import ensure_store

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(port: int, proc: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode})")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"no server on port {port} after {seconds:.0f} s")


def prepare_dist(size: int, work: Path) -> Path:
    """The build folder of the benchmark data: synthetic tables + the bundled graph."""
    dist = work / "dist"
    if (dist / "peaceld.nq").is_file():
        return dist
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    generate(size, work, seed=11)
    ontology = load_ontology(sorted((ROOT / "ontology").glob("*.ttl")))
    dist.mkdir()
    nq = dist / "peaceld.nq"
    with nq.open("w", encoding="utf-8") as out:
        for table in TABLES:
            map_files(ROOT / "bench" / "mappings" / f"synthetic-{table}.yaml",
                      [work / f"{table}.csv"], out, ontology=ontology)
    build(bundled_root(), out_dir=work / "kg", validate=False)
    with nq.open("ab") as out:
        out.write((work / "kg" / "peaceld.nq").read_bytes())
    subprocess.run(["sort", "-u", "-S", "25%", "-o", str(nq), str(nq)], check=True,
                   env={**os.environ, "LC_ALL": "C"})
    return dist


def pick_pages(dist: Path, n: int) -> list[str]:
    """Paths of entity pages: synthetic operations, states, organisations and bundled ones."""
    import pyoxigraph as ox

    store = ox.Store.read_only(str(dist / "store"))
    paths = []
    for kind in ("operation", "state", "organisation"):
        rows = store.query(f"SELECT ?s WHERE {{ ?s a ?c FILTER STRSTARTS(STR(?s), "
                           f"'https://w3id.org/peaceld/id/{kind}/') }} LIMIT 2000")
        paths += [r["s"].value[len("https://w3id.org/peaceld"):] for r in rows]
    rng = random.Random(5)
    rng.shuffle(paths)
    return sorted(set(paths[:n]))


def page_latencies(port: int, paths: list[str], suffix: str = ".html") -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    out = []
    for path in paths:
        t = time.perf_counter()
        conn.request("GET", path + suffix, headers={"Accept": "text/html"})
        r = conn.getresponse()
        r.read()
        if r.status == 303:
            conn.request("GET", r.headers["Location"], headers={"Accept": "text/html"})
            r = conn.getresponse()
            r.read()
        if r.status != 200:
            raise RuntimeError(f"{path}{suffix}: HTTP {r.status}")
        out.append((time.perf_counter() - t) * 1000)
    conn.close()
    return out


def throughput(port: int, path: str, queries: list[str], clients: int, seconds: float
               ) -> dict:
    """Queries per second with ``clients`` keep-alive clients for ``seconds``."""
    stop = time.monotonic() + seconds
    done: list[int] = [0] * clients
    failed: list[str] = []
    latencies: list[list[float]] = [[] for _ in range(clients)]

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        k = i
        while time.monotonic() < stop:
            body = urllib.parse.urlencode({"query": queries[k % len(queries)]})
            t = time.perf_counter()
            conn.request("POST", path, body=body, headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/sparql-results+json"})
            r = conn.getresponse()
            data = r.read()
            if r.status != 200:
                failed.append(f"{r.status} {data[:200]!r}")
                return
            latencies[i].append((time.perf_counter() - t) * 1000)
            done[i] += 1
            k += 1
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 180)
    elapsed = time.monotonic() - started
    flat = sorted(x for xs in latencies for x in xs)
    return {"queries": sum(done), "seconds": elapsed, "qps": sum(done) / elapsed,
            "p50_ms": statistics.median(flat) if flat else None,
            "p95_ms": flat[int(len(flat) * 0.95) - 1] if flat else None,
            "failed": failed[:3]}


def percentiles(ms: list[float]) -> dict:
    s = sorted(ms)
    return {"n": len(s), "p50_ms": statistics.median(s), "p95_ms": s[max(0, int(len(s) * .95) - 1)],
            "max_ms": s[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--pages", type=int, default=300, help="entity pages requested")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10, help="per throughput run")
    parser.add_argument("--rounds", type=int, default=3, help="throughput runs per server")
    parser.add_argument("--workers", type=int, default=None,
                        help="peaceld serve's query workers (default: its own)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()
    work = args.out / f"serve-n{args.size}"
    t = time.perf_counter()
    dist = prepare_dist(args.size, work)
    store = ensure_store(dist)
    print(f"data and store ready in {time.perf_counter() - t:.0f} s: {store}", file=sys.stderr)
    queries = [prologue() + text for _, text in sorted(LIBRARY.items())]
    result: dict = {"size": args.size, "clients": args.clients}

    servers: list[tuple[str, subprocess.Popen, int, str]] = []
    port = free_port()
    cmd = [sys.executable, "-m", "peaceld", "serve", "--dist", str(dist), "--port", str(port),
           "--max-results", "10000000", "--timeout", "120"]
    if args.workers:
        cmd += ["--workers", str(args.workers)]
    servers.append(("peaceld", subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)}), port, "/sparql"))
    binary = shutil.which("oxigraph")
    if binary:  # both read-only on the same store directory
        port = free_port()
        servers.append(("oxigraph", subprocess.Popen(
            [binary, "serve-read-only", "--location", str(store), "--bind",
             f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
            port, "/query"))
    try:
        for _, proc, port, _ in servers:
            wait(port, proc)
        port = servers[0][2]
        paths = pick_pages(dist, args.pages)
        result["entity_page"] = percentiles(page_latencies(port, paths))
        result["entity_page_again"] = percentiles(page_latencies(port, paths))
        result["entity_303_then_page"] = percentiles(page_latencies(port, paths, ""))
        for _, _, port, path in servers:
            throughput(port, path, queries, args.clients, 2)  # warm-up: every worker up
        # rounds alternate between the servers, so that load from elsewhere on the machine
        # weighs on both alike; the median round counts
        for _ in range(args.rounds):
            for name, _, port, path in servers:
                result.setdefault(f"{name}_rounds", []).append(
                    throughput(port, path, queries, args.clients, args.seconds))
        for name, *_ in servers:
            rounds = result[f"{name}_rounds"]
            result[f"{name}_sparql"] = sorted(rounds, key=lambda r: r["qps"])[len(rounds) // 2]
    finally:
        for _, proc, _, _ in servers:
            proc.terminate()
            proc.wait(30)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"serve-{args.size}.json").write_text(json.dumps(result, indent=1))
    page, via = result["entity_page"], result["entity_303_then_page"]
    again = result["entity_page_again"]
    ours = result["peaceld_sparql"]
    theirs = result.get("oxigraph_sparql")
    print(f"| size | entity page p50 / p95 ms (first / again) | via 303 p50 / p95 ms | "
          f"peaceld q/s ({args.clients} clients) | oxigraph q/s | ratio |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(f"| {args.size:,} | {page['p50_ms']:.1f} / {page['p95_ms']:.1f} "
          f"({again['p50_ms']:.1f} / {again['p95_ms']:.1f}) | "
          f"{via['p50_ms']:.1f} / {via['p95_ms']:.1f} | {ours['qps']:.1f} | "
          + (f"{theirs['qps']:.1f} | {ours['qps'] / theirs['qps']:.2f}x |" if theirs else
             "- | - |"))
    if ours["failed"] or (theirs and theirs["failed"]):
        print(f"failures: {ours['failed']} {theirs and theirs['failed']}", file=sys.stderr)


if __name__ == "__main__":
    main()

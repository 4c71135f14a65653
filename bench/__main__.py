"""The benchmark suite: every stage of the pipeline beside its peer, at any size.

    python -m bench --sizes 100000 1000000 --runs 3
    python -m bench --sizes 10000 --runs 1 --quick        # the smoke run the tests use

For each size it generates synthetic peace-operation data (``bench.synthetic``, 1 % defects),
adds the bundled knowledge graph (so every library query has answers), then runs each stage
in its own process (wall time, peak RSS): map (vs Morph-KGC on an equivalent RML mapping),
validate (vs pySHACL, findings compared), export Turtle and N-Triples (vs rdflib), load the
embedded store (vs rdflib parsing), the query library (vs rdflib's SPARQL engine) and push to
an Oxigraph server on 127.0.0.1. Prints a Markdown table and writes
``bench/out/results.json`` and a throughput plot.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.stages import LIBRARY
from bench.synthetic import generate
from peaceld.build import build
from peaceld.project import bundled_root

ROOT = Path(__file__).resolve().parent.parent
MORPH_PYTHON = ROOT / "bench" / ".venv-morph" / "bin" / "python"


def measured(cmd: list[str], timeout: float) -> tuple[float, float, dict]:
    """Run a process; (wall seconds, peak RSS MB, its JSON output). None on timeout."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} failed: {err.decode()[-800:]}")
    text = out.decode().strip().splitlines()
    info = json.loads(text[-1]) if text and text[-1].startswith("{") else {}
    return elapsed, _peak_rss(err.decode()), info


def _peak_rss(stderr: str) -> float:
    for line in reversed(stderr.splitlines()):
        if line.startswith("peak-rss-kb "):
            return int(line.split()[1]) / 1024
    return float("nan")


def timed(cmd: list[str]) -> list[str]:
    """Wrap a command so it reports its own peak RSS (GNU time is not everywhere)."""
    code = ("import resource,runpy,sys;sys.argv=sys.argv[1:];"
            "exec('try:\\n runpy.run_module(sys.argv[0],run_name=\"__main__\")\\n"
            "finally:\\n sys.stderr.write(\"peak-rss-kb %d\\\\n\" % "
            "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)')")
    return [cmd[0], "-c", code, *cmd[2:]] if cmd[1] == "-m" else cmd


def stage(name: str, tool: str, work: Path, *extra: str, python: str = sys.executable
          ) -> list[str]:
    return timed([python, "-m", "bench.stages", name, tool, str(work), *extra])


def ensure_morph() -> Path | None:
    if not MORPH_PYTHON.exists():
        try:
            subprocess.run([sys.executable, "-m", "venv", str(MORPH_PYTHON.parents[1])],
                           check=True)
            subprocess.run([str(MORPH_PYTHON), "-m", "pip", "install", "-q", "morph-kgc"],
                           check=True)
        except subprocess.CalledProcessError:
            return None
    return MORPH_PYTHON


def morph_config(work: Path) -> Path:
    rml = (ROOT / "bench" / "mappings" / "synthetic-contributions.rml.ttl").read_text()
    (work / "contributions.rml.ttl").write_text(
        rml.replace("CSV_PATH", str(work / "contributions.csv")))
    ini = work / "morph.ini"
    ini.write_text("[CONFIGURATION]\n"
                   f"output_file = {work / 'morph.nt'}\n"
                   "output_format = N-TRIPLES\n"
                   "[DataSource1]\n"
                   f"mappings = {work / 'contributions.rml.ttl'}\n")
    return ini


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_oxigraph(location: Path) -> tuple[subprocess.Popen, str] | None:
    binary = shutil.which("oxigraph")
    if binary is None:
        return None
    port = free_port()
    proc = subprocess.Popen([binary, "serve", "--location", str(location), "--bind",
                             f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, f"http://127.0.0.1:{port}/store"
        except OSError:
            time.sleep(0.1)
    proc.kill()
    return None


def run_size(size: int, runs: int, args: argparse.Namespace) -> list[dict]:
    work = args.out / f"n{size}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    generate(size, work, seed=11, defect_rate=0.01, stress=args.stress)
    rows: list[dict] = []

    def bench(label: str, tool: str, cmd: list[str], items_name: str = "triples",
              repeat: int = runs) -> dict | None:
        samples, peaks, info = [], [], {}
        for _ in range(repeat):
            try:
                seconds, peak, info = measured(cmd, args.timeout)
            except subprocess.TimeoutExpired:
                print(f"  {label} / {tool}: over {args.timeout:.0f} s, stopped", file=sys.stderr)
                return None
            samples.append(seconds)
            peaks.append(peak)
        row = {"size": size, "stage": label, "tool": tool, "seconds": statistics.median(samples),
               "rss_mb": max(peaks), "items": info.get("items"), "unit": items_name}
        rows.append(row)
        print(f"  {label:18} {tool:10} {row['seconds']:8.2f} s  {row['rss_mb']:7.0f} MB",
              file=sys.stderr)
        return row

    # map: the contribution table (the bulk) with equivalent mappings, then all tables
    map_cmd = timed([sys.executable, "-m", "peaceld", "map", "-m",
                     str(ROOT / "bench/mappings/synthetic-contributions.yaml"),
                     str(work / "contributions.csv"), "--format", "nt", "-o",
                     str(work / "peaceld.nt")])
    bench("map", "peaceld", map_cmd)
    morph = ensure_morph() if not args.quick and size <= args.morph_max else None
    if morph is not None:
        bench("map", "Morph-KGC", timed([str(morph), "-m", "morph_kgc",
                                         str(morph_config(work))]))
    bench("map all tables", "peaceld", stage("map", "peaceld", work), repeat=1)
    # the bundled knowledge graph joins the synthetic tables: every library query has answers
    build(bundled_root(), out_dir=work / "kg", validate=False)
    with (work / "data.nq").open("ab") as out:
        out.write((work / "kg" / "peaceld.nq").read_bytes())
    # sorted and without repeats, as `peaceld build` writes its dump (export streams it)
    subprocess.run(["sort", "-u", "-S", "25%", "-o", str(work / "data.nq"),
                    str(work / "data.nq")], check=True, env={**os.environ, "LC_ALL": "C"})

    bench("validate", "peaceld", stage("validate", "peaceld", work))
    if size <= args.pyshacl_max:
        bench("validate", "pySHACL", stage("validate", "pySHACL", work), repeat=1)
        ours = json.loads((work / "findings-peaceld.json").read_text())
        theirs = json.loads((work / "findings-pySHACL.json").read_text())
        rows[-1]["identical_findings"] = {tuple(f) for f in ours} == {tuple(f) for f in theirs}
        rows[-1]["findings"] = len({tuple(f) for f in ours})
    for fmt in ("ttl", "nt"):
        bench(f"export {fmt}", "peaceld", stage("export", "peaceld", work, fmt))
        if size <= args.rdflib_max:
            bench(f"export {fmt}", "rdflib", stage("export", "rdflib", work, fmt), repeat=1)
    bench("load store", "peaceld", stage("load", "peaceld", work))
    if size <= args.rdflib_max:
        bench("load store", "rdflib", stage("load", "rdflib", work), repeat=1)
    row = bench("query library", "peaceld", stage("query", "peaceld", work), "queries",
                repeat=1)
    if row:
        row["query_times"] = json.loads((work / "query-times-peaceld.json").read_text())
    if size <= args.rdflib_query_max:
        row = bench("query library", "rdflib", stage("query", "rdflib", work), "queries",
                    repeat=1)
        if row:
            row["query_times"] = json.loads((work / "query-times-rdflib.json").read_text())
    server = (None if args.quick or size > args.push_max
              else start_oxigraph(work / "oxigraph-db"))
    if server is not None:
        proc, endpoint = server
        try:
            bench("push", "peaceld", stage("push", "peaceld", work, endpoint), repeat=1)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    if not args.keep:
        for big in ("peaceld.nt", "morph.nt", "export.ttl", "export.nt", "export-rdflib.ttl",
                    "export-rdflib.nt"):
            (work / big).unlink(missing_ok=True)
    return rows


def markdown(rows: list[dict]) -> str:
    out = ["| size | stage | peaceld s | peaceld MB | peer | peer s | peer MB | ratio | "
           "peaceld items/s |", "|---:|---|---:|---:|---|---:|---:|---:|---:|"]
    keys = []
    for r in rows:
        if (r["size"], r["stage"]) not in keys:
            keys.append((r["size"], r["stage"]))
    for size, stage_name in keys:
        ours = next((r for r in rows if (r["size"], r["stage"], r["tool"]) ==
                     (size, stage_name, "peaceld")), None)
        peer = next((r for r in rows if (r["size"], r["stage"]) == (size, stage_name)
                     and r["tool"] != "peaceld"), None)
        if ours is None:
            continue
        rate = ""
        if ours.get("items") and ours["unit"] == "triples":
            rate = f"{ours['items'] / ours['seconds']:,.0f}"
        if stage_name == "query library":
            t = [ours["query_times"]["times"][name] * 1000 for name in LIBRARY]
            rate = f"library: median {statistics.median(t):.0f} ms, slowest {max(t):.0f} ms"
        cells = [f"{size:,}", stage_name, f"{ours['seconds']:.2f}", f"{ours['rss_mb']:.0f}"]
        if peer:
            ratio = peer["seconds"] / ours["seconds"]
            if stage_name == "query library":  # median over the queries both answer
                mine_t, theirs_t = ours["query_times"]["times"], peer["query_times"]["times"]
                both = [n for n in theirs_t if n in mine_t]
                mine = statistics.median(mine_t[n] for n in both)
                theirs = statistics.median(theirs_t[n] for n in both)
                ratio = theirs / mine
            note = ""
            if "identical_findings" in peer:
                note = " (same findings)" if peer["identical_findings"] else " (FINDINGS DIFFER)"
            cells += [peer["tool"], f"{peer['seconds']:.2f}", f"{peer['rss_mb']:.0f}",
                      f"{ratio:.1f}x{note}"]
        else:
            cells += ["—", "", "", ""]
        cells.append(rate)
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    series: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for r in rows:
        if r.get("unit") == "triples" and r.get("items"):
            series.setdefault((r["stage"], r["tool"]), []).append(
                (r["size"], r["items"] / r["seconds"]))
    for (stage_name, tool), points in sorted(series.items()):
        points.sort()
        ax.plot([p[0] for p in points], [p[1] for p in points],
                marker="o", linestyle="-" if tool == "peaceld" else "--",
                label=f"{stage_name} ({tool})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("triples in the synthetic dataset")
    ax.set_ylabel("triples per second")
    ax.set_title("peaceld pipeline throughput (solid) and peers (dashed)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120, metadata={"Software": None})
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--pyshacl-max", type=int, default=100_000)
    parser.add_argument("--rdflib-max", type=int, default=1_000_000)
    parser.add_argument("--rdflib-query-max", type=int, default=1_000_000)
    parser.add_argument("--morph-max", type=int, default=10_000_000)
    parser.add_argument("--push-max", type=int, default=1_000_000,
                        help="largest size to push to an Oxigraph server (its transactional "
                        "PUT needs minutes per million triples)")
    parser.add_argument("--one-run-from", type=int, default=10_000_000,
                        help="from this size on, measure each stage once")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--quick", action="store_true", help="no peers that need installing, "
                        "no server: the smoke run")
    parser.add_argument("--keep", action="store_true", help="keep the big output files")
    parser.add_argument("--plot", type=Path, help="write the throughput plot here (PNG)")
    parser.add_argument("--stress", action="store_true", help="operations grow with the "
                        "size past real-world counts (25,000 at 10M), see bench.synthetic")
    args = parser.parse_args()
    rows = []
    for size in args.sizes:
        print(f"size {size:,}", file=sys.stderr)
        rows += run_size(size, args.runs if size < args.one_run_from else 1, args)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(rows, indent=1))
    if args.plot:
        plot(rows, args.plot)
    print(markdown(rows))


if __name__ == "__main__":
    main()

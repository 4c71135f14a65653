"""Mapper benchmark: peaceld against Morph-KGC on the same CSV and an equivalent mapping.

    python -m bench.mapper_bench --rows 100000 1000000 --runs 3
    python -m bench.mapper_bench --rows 100000 --runs 5 --baseline ../main --no-peer

``--baseline DIR`` also times the peaceld of another source tree (a checkout of another
commit), interleaved run by run with this one, so that a before/after comparison shares the
load of the machine; both must write the same bytes. ``--no-peer`` leaves out Morph-KGC.

Morph-KGC runs from its own virtual environment (bench/.venv-morph, created on first use
from PyPI) because it pins an older pyoxigraph than peaceld needs. Each tool runs as a
separate process; time is wall-clock, memory the process's peak RSS.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.generate import write_contributions

ROOT = Path(__file__).resolve().parent.parent
MORPH_VENV = ROOT / "bench" / ".venv-morph"


def measured(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Run a command; return (seconds, peak RSS in MB). Fails loudly if the command fails."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                            cwd="/" if env else None)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed ({proc.returncode}): {err[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024


def ensure_morph() -> Path:
    python = MORPH_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(MORPH_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "morph-kgc"], check=True)
    return python


def count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(buf.count(b"\n") for buf in iter(lambda: handle.read(1 << 20), b""))


def run(rows: int, runs: int, work: Path, baseline: Path | None = None,
        peer: bool = True) -> list[dict]:
    csv_path = write_contributions(work / f"contributions-{rows}.csv", rows, sep=",")
    rml = (ROOT / "bench/mappings/contributions.rml.ttl").read_text()
    (work / "mapping.rml.ttl").write_text(rml.replace("CSV_PATH", str(csv_path)))
    (work / "morph.ini").write_text(
        "[CONFIGURATION]\n"
        f"output_file = {work / 'morph.nt'}\n"
        "output_format = N-TRIPLES\n"
        "[DataSource1]\n"
        f"mappings = {work / 'mapping.rml.ttl'}\n")
    peaceld = [sys.executable, "-m", "peaceld.cli", "map", "--format", "nt",
               "--ontology", str(ROOT / "ontology")]
    mappings = {"peaceld": ROOT / "bench/mappings/contributions-plain.yaml",
                "peaceld + transforms": ROOT / "mappings/contributions.yaml"}
    tools: dict[str, tuple[list[str], dict[str, str] | None]] = {}
    outputs: dict[str, str] = {}
    trees = [("", None)] + ([(" (baseline)", baseline)] if baseline else [])
    for name, mapping in mappings.items():
        for label, tree in trees:
            out = f"{name.replace(' + ', '-')}{'-baseline' if tree else ''}.nt"
            # the tree's own peaceld first on the path (run from /, so not the current folder)
            env = {**os.environ, "PYTHONPATH": str(tree.resolve())} if tree else None
            tools[name + label] = (peaceld + ["-m", str(mapping), str(csv_path),
                                              "-o", str(work / out)], env)
            outputs[name + label] = out
    if peer:
        tools["Morph-KGC"] = ([str(ensure_morph()), "-m", "morph_kgc", str(work / "morph.ini")],
                              None)
        outputs["Morph-KGC"] = "morph.nt"
    times: dict[str, list[float]] = {name: [] for name in tools}
    rss: dict[str, list[float]] = {name: [] for name in tools}
    for _ in range(runs):  # interleaved: each run of each tool, then the next run
        for name, (cmd, env) in tools.items():
            t, m = measured(cmd, env)
            times[name].append(t)
            rss[name].append(m)
    for name in tools:
        if name.endswith(" (baseline)"):
            mine = (work / outputs[name.removesuffix(" (baseline)")]).read_bytes()
            if (work / outputs[name]).read_bytes() != mine:
                raise SystemExit(f"{name}: the output differs from this tree's")
    return [{"tool": name, "rows": rows, "triples": count_lines(work / outputs[name]),
             "seconds": statistics.median(times[name]), "rss": max(rss[name])}
            for name in tools]


def table(results: list[dict]) -> str:
    """A Markdown table; the last column compares with Morph-KGC, or with the baseline."""
    peer_name = "Morph-KGC" if any(r["tool"] == "Morph-KGC" for r in results) else None
    last = "vs Morph-KGC" if peer_name else "vs baseline"
    lines = [f"| rows | tool | triples | median s | triples/s | peak RSS MB | {last} |",
             "|---:|---|---:|---:|---:|---:|---:|"]
    for rows in sorted({r["rows"] for r in results}):
        group = [r for r in results if r["rows"] == rows]
        for r in group:
            rate = r["triples"] / r["seconds"]
            ref = peer_name or r["tool"].removesuffix(" (baseline)") + " (baseline)"
            peer = next((p for p in group if p["tool"] == ref), None)
            ratio = f"{rate / (peer['triples'] / peer['seconds']):.2f}x" if peer else "-"
            lines.append(f"| {rows:,} | {r['tool']} | {r['triples']:,} | {r['seconds']:.2f} | "
                         f"{rate:,.0f} | {r['rss']:.0f} | {ratio} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--baseline", type=Path,
                        help="another source tree whose peaceld is timed beside this one")
    parser.add_argument("--no-peer", action="store_true", help="leave out Morph-KGC")
    args = parser.parse_args()
    args.work = args.work.resolve()
    args.work.mkdir(parents=True, exist_ok=True)
    results = []
    for rows in args.rows:
        print(f"mapping {rows:,} rows ...", file=sys.stderr)
        results += run(rows, args.runs, args.work, args.baseline, not args.no_peer)
    print(table(results))


if __name__ == "__main__":
    main()

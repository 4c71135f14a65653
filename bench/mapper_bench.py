"""Mapper benchmark: peaceld against Morph-KGC on the same CSV and an equivalent mapping.

    python -m bench.mapper_bench --rows 100000 1000000 --runs 3

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


def measured(cmd: list[str]) -> tuple[float, float]:
    """Run a command; return (seconds, peak RSS in MB). Fails loudly if the command fails."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
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


def run(rows: int, runs: int, work: Path) -> list[dict]:
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
    tools = {
        "peaceld": peaceld + ["-m", str(ROOT / "bench/mappings/contributions-plain.yaml"),
                              str(csv_path), "-o", str(work / "peaceld.nt")],
        "peaceld + transforms": peaceld + ["-m", str(ROOT / "mappings/contributions.yaml"),
                                           str(csv_path), "-o", str(work / "peaceld-tf.nt")],
        "Morph-KGC": [str(ensure_morph()), "-m", "morph_kgc", str(work / "morph.ini")],
    }
    outputs = {"peaceld": "peaceld.nt", "peaceld + transforms": "peaceld-tf.nt",
               "Morph-KGC": "morph.nt"}
    results = []
    for name, cmd in tools.items():
        times, rss = [], []
        for _ in range(runs):
            t, m = measured(cmd)
            times.append(t)
            rss.append(m)
        triples = count_lines(work / outputs[name])
        results.append({"tool": name, "rows": rows, "triples": triples,
                        "seconds": statistics.median(times), "rss": max(rss)})
    return results


def table(results: list[dict]) -> str:
    lines = ["| rows | tool | triples | median s | triples/s | peak RSS MB | vs Morph-KGC |",
             "|---:|---|---:|---:|---:|---:|---:|"]
    for rows in sorted({r["rows"] for r in results}):
        group = [r for r in results if r["rows"] == rows]
        peer = next(r for r in group if r["tool"] == "Morph-KGC")
        peer_rate = peer["triples"] / peer["seconds"]
        for r in group:
            rate = r["triples"] / r["seconds"]
            lines.append(f"| {rows:,} | {r['tool']} | {r['triples']:,} | {r['seconds']:.1f} | "
                         f"{rate:,.0f} | {r['rss']:.0f} | {rate / peer_rate:.1f}x |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    results = []
    for rows in args.rows:
        print(f"mapping {rows:,} rows ...", file=sys.stderr)
        results += run(rows, args.runs, args.work)
    print(table(results))


if __name__ == "__main__":
    main()

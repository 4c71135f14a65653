"""Validation benchmark: peaceld's default engine beside pySHACL on the same synthetic data, for
two shape sets (the bundled shapes, and bench/every-core-shapes.ttl with every SHACL Core
component), each run in its own process (wall time, peak RSS), findings compared.

    python -m bench.validate_bench --triples 1000000 --pyshacl-max 1000000
    python -m bench.validate_bench --triples 10000000 --pyshacl-max 0   # memory at 10M
    python -m bench.validate_bench --shapes "every Core component"      # one shape set

Writes ``bench/out/validate/results.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHAPE_SETS = {"bundled": ROOT / "shapes" / "peaceld-shapes.ttl",
              "every Core component": ROOT / "bench" / "every-core-shapes.ttl"}


def prepare(work: Path, triples: int) -> Path:
    """Synthetic tables (1 % defects) mapped to N-Quads, made once per size."""
    data = work / "data.nq"
    if data.exists():
        return data
    from bench.stages import stage_map
    from bench.synthetic import generate

    generate(triples, work, seed=7, defect_rate=0.01)
    stage_map("peaceld", work)
    return data


def run_one(engine: str, shapes: Path, data: Path, out: Path) -> None:
    """In a child process: validate, write the findings' keys and the counts."""
    from peaceld.validation import validate_files

    report = validate_files([data], shapes=[shapes],
                            ontology=sorted((ROOT / "ontology").glob("*.ttl")), engine=engine)
    out.write_text(json.dumps({
        "engine": report.engine, "delegated": report.delegated, "triples": report.triples,
        "focus_nodes": report.focus_nodes,
        "findings": sorted([list(map(str, f.key())) for f in report.findings])}))


def measured(engine: str, shapes: Path, data: Path, out: Path, timeout: float
             ) -> dict | None:
    code = ("import resource,sys;from bench.validate_bench import run_one;from pathlib import "
            "Path;run_one(sys.argv[1],Path(sys.argv[2]),Path(sys.argv[3]),Path(sys.argv[4]));"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    start = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-c", code, engine, str(shapes), str(data),
                               str(out)], capture_output=True, text=True, timeout=timeout,
                              cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    except subprocess.TimeoutExpired:
        return None
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-1500:])
    result = json.loads(out.read_text())
    result.update(seconds=seconds, rss_mb=int(proc.stdout.split()[-1]) / 1024)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, default=1_000_000)
    parser.add_argument("--pyshacl-max", type=int, default=1_000_000,
                        help="run pySHACL only up to this size")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--shapes", choices=sorted(SHAPE_SETS), action="append",
                        help="only this shape set (repeatable; default: both)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "validate")
    args = parser.parse_args()
    work = args.out / f"n{args.triples}"
    work.mkdir(parents=True, exist_ok=True)
    data = prepare(work, args.triples)
    rows = []
    for label, shapes in SHAPE_SETS.items():
        if args.shapes and label not in args.shapes:
            continue
        ours = measured("peaceld", shapes, data, work / f"ours-{shapes.stem}.json", args.timeout)
        theirs = None
        if args.triples <= args.pyshacl_max:
            theirs = measured("pyshacl", shapes, data, work / f"pyshacl-{shapes.stem}.json",
                              args.timeout)
        row = {"triples": ours["triples"] if ours else None, "shapes": label, "peaceld": ours,
               "pyshacl": theirs}
        if ours and theirs:
            row["identical"] = ours["findings"] == theirs["findings"]
            row["ratio"] = theirs["seconds"] / ours["seconds"]
        rows.append(row)
        print(f"{label}: done", file=sys.stderr)
    (work / "results.json").write_text(json.dumps(rows, indent=1))
    print("| triples | shapes | peaceld | peak RSS | engine | pySHACL 0.40 | peak RSS | ratio "
          "| findings |")
    print("|---:|---|---:|---:|---|---:|---:|---:|---|")
    for r in rows:
        o, t = r["peaceld"], r["pyshacl"]
        theirs = f"{t['seconds']:.1f} s | {t['rss_mb']:,.0f} MB" if t else "— | —"
        ratio = f"{r['ratio']:.1f}x" if "ratio" in r else "—"
        same = ("identical" if r.get("identical") else "DIFFERENT") if "identical" in r else ""
        print(f"| {r['triples']:,} | {r['shapes']} | {o['seconds']:.1f} s | "
              f"{o['rss_mb']:,.0f} MB | {o['engine']} | {theirs} | {ratio} | {same} "
              f"({len(o['findings']):,}) |")


if __name__ == "__main__":
    main()

"""Which writer exports a sorted build dump faster: the hand-written byte writer or
Oxigraph's own streaming parser and serializer?

    python -m bench.export_writers --sizes 1000000 10000000

For each size: synthetic data (``bench.synthetic``) mapped and sorted as ``peaceld build``
writes its dump, then ``-g data`` exported to Turtle and N-Triples by each writer, each in its
own process (wall time, CPU time of the process and its workers, peak RSS). The outputs must
hold the same triples. Prints a Markdown table for BENCHMARKS.md.

The hand-written writer was deleted after this measurement (see BENCHMARKS.md); it is loaded
from the commit that last had it (``HANDWRITTEN``), so the decision can be checked again.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HANDWRITTEN = "affb093"  # the last commit with the byte/regex writer in peaceld/export.py


def make_dump(size: int, work: Path) -> Path:
    """A sorted, repeat-free N-Quads dump of about ``size`` triples."""
    from bench.synthetic import MAPPINGS, generate
    from peaceld.mapping import map_files
    from peaceld.rdfio import load_ontology

    dump = work / "data.nq"
    if dump.is_file():
        return dump
    tables = generate(size, work / "csv", seed=1)
    ontology = load_ontology(sorted((ROOT / "ontology").glob("*.ttl")))
    with dump.open("w", encoding="utf-8") as out:
        for table in tables:
            map_files(ROOT / MAPPINGS[table], [work / "csv" / f"{table}.csv"], out,
                      ontology=ontology)
    subprocess.run(["sort", "-u", "-S", "25%", "-o", str(dump), str(dump)], check=True,
                   env={**os.environ, "LC_ALL": "C"})
    return dump


def handwritten_module() -> types.ModuleType:
    """peaceld/export.py as of ``HANDWRITTEN``, imported as a module of the package."""
    source = subprocess.run(["git", "show", f"{HANDWRITTEN}:peaceld/export.py"], cwd=ROOT,
                            check=True, capture_output=True, text=True).stdout
    source = source.replace("from .build import parse_rdf_file",
                            "from .rdfio import parse_file as parse_rdf_file")
    module = types.ModuleType("peaceld.export_handwritten")
    module.__package__ = "peaceld"
    module.__file__ = str(ROOT / "peaceld" / "export.py")
    sys.modules[module.__name__] = module  # dataclasses and worker processes look it up
    exec(compile(source, f"{HANDWRITTEN}:peaceld/export.py", "exec"), module.__dict__)  # noqa: S102
    return module


def run_one(writer: str, dump: Path, fmt: str, out: Path) -> None:
    """In a child process: one export, then wall seconds, CPU seconds and peak RSS (MB)."""
    if writer == "handwritten":
        export = handwritten_module().stream_export
    else:
        from peaceld.export import stream_export as export
    start = time.perf_counter()
    export(dump, fmt, "data", out)
    seconds = time.perf_counter() - start
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
    print(f"{seconds:.3f} {cpu:.3f} {own.ru_maxrss / 1024:.0f}")


def same_triples(a: Path, b: Path) -> bool:
    import pyoxigraph as ox

    def read(path: Path) -> set[str]:
        fmt = ox.RdfFormat.TURTLE if path.suffix == ".ttl" else ox.RdfFormat.N_TRIPLES
        return {str(t) for t in ox.parse(path=str(path), format=fmt)}

    return read(a) == read(b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "out" / "writers")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        writer, dump, fmt, out = args.child
        run_one(writer, Path(dump), fmt, Path(out))
        return
    print("| triples in dump | format | hand-written wall / CPU (s) | Oxigraph wall / CPU (s) "
          "| wall ratio | hand-written RSS (MB) | Oxigraph RSS (MB) | same triples |")
    print("|---:|---|---:|---:|---:|---:|---:|---|")
    for size in args.sizes:
        work = args.work / f"n{size}"
        work.mkdir(parents=True, exist_ok=True)
        dump = make_dump(size, work)
        lines = sum(1 for _ in dump.open("rb"))
        for fmt in ("ttl", "nt"):
            result = {}
            for writer in ("handwritten", "oxigraph"):
                samples = []
                for _ in range(args.runs):
                    out = work / f"{writer}.{fmt}"
                    done = subprocess.run(
                        [sys.executable, "-m", "bench.export_writers", "--child", writer,
                         str(dump), fmt, str(out)], check=True, capture_output=True,
                        text=True, cwd=ROOT)
                    samples.append(tuple(map(float, done.stdout.split())))
                samples.sort()
                result[writer] = samples[len(samples) // 2]
            # in a child too: a process's peak RSS is inherited by the processes it starts
            same = subprocess.run(
                [sys.executable, "-c", "import sys; from bench.export_writers import "
                 "same_triples as s; from pathlib import Path as P; "
                 "sys.exit(0 if s(P(sys.argv[1]), P(sys.argv[2])) else 1)",
                 str(work / f"handwritten.{fmt}"), str(work / f"oxigraph.{fmt}")],
                cwd=ROOT).returncode == 0
            (h, hc, hr), (o, oc, orss) = result["handwritten"], result["oxigraph"]
            print(f"| {lines:,} | {fmt} | {h:.2f} / {hc:.2f} | {o:.2f} / {oc:.2f} | "
                  f"{o / h:.2f}x | {hr:.0f} | {orss:.0f} | {same} |", flush=True)


if __name__ == "__main__":
    main()

"""The benchmark suite runs end to end at a small size, so it cannot rot (no timings asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_benchmark_smoke_run(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--sizes", "5000", "--runs", "1", "--quick",
         "--out", str(tmp_path), "--plot", str(tmp_path / "plot.png")],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    rows = json.loads((tmp_path / "results.json").read_text())
    stages = {(r["stage"], r["tool"]) for r in rows}
    for stage in ("map", "validate", "export ttl", "export nt", "load store", "query library"):
        assert (stage, "peaceld") in stages, stage
    validate_peer = next(r for r in rows if r["stage"] == "validate" and r["tool"] == "pySHACL")
    assert validate_peer["identical_findings"] and validate_peer["findings"] > 0
    assert "| 5,000 | validate |" in result.stdout
    assert (tmp_path / "plot.png").stat().st_size > 1000


def test_every_bench_module_imports() -> None:
    """A benchmark that no longer imports would only be found by the next person to run it."""
    import importlib
    import pkgutil
    from pathlib import Path

    import bench

    names = [m.name for m in pkgutil.iter_modules([str(Path(bench.__file__).parent)])]
    assert {"export_writers", "mapper_bench", "serve_bench", "validate_bench"} <= set(names)
    for name in names:
        importlib.import_module(f"bench.{name}")

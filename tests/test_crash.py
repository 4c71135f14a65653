"""Faults: builds killed at random moments or at every step, a full disk, concurrent queries.

``dist/`` must always hold one whole build (the old one or the new one, never a mix), and
the next build must leave nothing stale behind; the embedded store must survive four
queries started together.
"""

from __future__ import annotations

import errno
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import peaceld.atomic as atomic
from peaceld.build import OUTPUTS
from peaceld.cli import main

WT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(WT)}
FACTS = ("article:\n  id: a1\n  title: A test article\n  ai_written: not-declared\n"
         "passages:\n  - id: s0p1\n    section: 0\n    paragraph: 1\n    start: 0\n"
         "    end: 10\n    sha256: abc\n")


def snapshot(folder: Path) -> dict[str, bytes] | None:
    """The outputs a reader of ``folder`` sees, or None when there is no build."""
    if not folder.exists():
        return None
    return {name: (folder / name).read_bytes() for name in sorted(os.listdir(folder))
            if name in OUTPUTS or not name.startswith(".")}


def leftovers(out: Path) -> list[str]:
    """Anything beside ``out`` that is not ``out`` itself or the folder it points to."""
    current = os.readlink(out)
    return sorted(p.name for p in out.parent.iterdir() if p.name not in (out.name, current))


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two small projects whose builds differ, each with its expected outputs."""
    base = tmp_path_factory.mktemp("crash")
    out = {}
    for name in ("a", "b"):
        result = CliRunner().invoke(main, ["init", str(base / name)])
        assert result.exit_code == 0
        out[name] = base / name
    (base / "b" / "facts" / "a1.yaml").write_text(FACTS)
    return out


def expected(projects: dict[str, Path], where: Path) -> dict[str, dict[str, bytes]]:
    builds = {}
    for name, project in projects.items():
        result = CliRunner().invoke(main, ["build", "-q", "--no-validate", str(project), "-o",
                                           str(where / name)])
        assert result.exit_code == 0, result.output
        builds[name] = snapshot(where / name)
    assert builds["a"] != builds["b"]
    assert all(set(b) == set(OUTPUTS) for b in builds.values())
    return builds


@pytest.mark.slow
def test_crash_kill_9_at_random_moments(projects: dict[str, Path], tmp_path: Path) -> None:
    """50 builds killed with SIGKILL at random moments: 0 mixed states, nothing stale."""
    builds = expected(projects, tmp_path / "expected")
    out = tmp_path / "site" / "dist"
    rng = random.Random(14)

    def start(name: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "peaceld", "build", "-q",
                                 "--no-validate", str(projects[name]), "-o", str(out)],
                                env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    began = time.monotonic()
    proc = start("a")
    assert proc.wait(60) == 0
    whole = time.monotonic() - began
    seen: dict[str, int] = {"a": 0, "b": 0, "killed": 0}
    mixed = 0
    for run in range(50):
        proc = start("ab"[run % 2])
        time.sleep(rng.uniform(0.3, 1.1) * whole)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            seen["killed"] += 1
        proc.wait(60)
        state = snapshot(out)
        match = [name for name, files in builds.items() if state == files]
        if not match:
            mixed += 1
        else:
            seen[match[0]] += 1
    print(f"kill -9 runs: {seen}, mixed: {mixed}, one build takes {whole:.2f} s")
    assert mixed == 0, f"{mixed} mixed or broken states of dist/"
    assert seen["killed"] >= 10, seen  # the kills did land during builds
    assert start("b").wait(60) == 0
    assert snapshot(out) == builds["b"]
    assert leftovers(out) == []


class Killed(BaseException):
    """Stands for kill -9: nothing of ours runs after it (no cleanup)."""


@pytest.mark.parametrize("calls", ["open", "fsync", "rename", "symlink", "replace", "rmtree"])
def test_crash_at_every_step_of_the_switch(projects: dict[str, Path], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch, calls: str) -> None:
    """Stop the build at the n-th call of each file operation the switch makes, for every
    n: a reader sees the old build or the new one, and the next build cleans up."""
    builds = expected(projects, tmp_path / "expected")
    out = tmp_path / "w" / "dist"
    runner = CliRunner()
    assert runner.invoke(main, ["build", "-q", "--no-validate", str(projects["a"]), "-o",
                                str(out)]).exit_code == 0
    module = {"rmtree": atomic.shutil}.get(calls, atomic.os)
    name = calls if calls != "open" else "open"
    real = getattr(module, name) if calls != "open" else open
    for n in range(1, 12):
        count = [0]

        def failing(*args, _real=real, _n=n, _count=count, **kwargs):  # noqa: ANN002, ANN003, ANN202
            _count[0] += 1
            if _count[0] == _n:
                raise Killed
            return _real(*args, **kwargs)

        if calls == "open":
            monkeypatch.setattr(atomic, "open", failing, raising=False)
        else:
            monkeypatch.setattr(module, name, failing)
        try:
            atomic.write_folder(out, builds["b" if n % 2 else "a"])
        except Killed:
            pass
        finally:
            monkeypatch.undo()
        assert snapshot(out) in (builds["a"], builds["b"]), (calls, n)
        if count[0] < n:
            break  # every call of this kind has been cut once
    atomic.write_folder(out, builds["a"])
    assert snapshot(out) == builds["a"]
    assert leftovers(out) == []


def test_crash_full_disk(projects: dict[str, Path], tmp_path: Path,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    """No space left: one line, the previous build untouched, no temporary folder."""
    builds = expected(projects, tmp_path / "expected")
    out = tmp_path / "w" / "dist"
    atomic.write_folder(out, builds["a"])
    calls = [0]
    real = atomic.os.fsync

    def full(fd: int) -> None:
        calls[0] += 1
        if calls[0] == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd)

    monkeypatch.setattr(atomic.os, "fsync", full)
    result = CliRunner().invoke(main, ["build", "-q", "--no-validate", str(projects["b"]),
                                       "-o", str(out)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "No space left on device" in lines[0], result.stderr
    assert "previous build is untouched" in lines[0]
    assert snapshot(out) == builds["a"]
    assert leftovers(out) == []


def test_crash_build_keeps_a_foreign_folder(tmp_path: Path, projects: dict[str, Path]) -> None:
    """``-o`` on a folder holding other files is refused, not replaced."""
    own = tmp_path / "mine"
    own.mkdir()
    (own / "notes.txt").write_text("mine")
    result = CliRunner().invoke(main, ["build", "-q", "--no-validate", str(projects["a"]),
                                       "-o", str(own)])
    assert result.exit_code == 2 and "other files" in result.stderr
    assert (own / "notes.txt").read_text() == "mine" and not own.is_symlink()


@pytest.mark.slow
def test_crash_store_lock_four_queries_at_once(projects: dict[str, Path],
                                              tmp_path: Path) -> None:
    """Four queries started together on a build without a store: all answer, the store is
    built once, nothing is left behind (three rounds)."""
    out = tmp_path / "w" / "dist"
    assert CliRunner().invoke(main, ["build", "-q", "--no-validate", str(projects["b"]), "-o",
                                     str(out)]).exit_code == 0
    query = "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"
    for _ in range(3):
        procs = [subprocess.Popen([sys.executable, "-m", "peaceld", "query", "--dist", str(out),
                                   "-f", "csv", "-e", query], env=ENV, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(4)]
        results = [p.communicate(timeout=120) for p in procs]
        assert [p.returncode for p in procs] == [0] * 4, [r[1] for r in results]
        assert len({r[0] for r in results}) == 1 and results[0][0].startswith("n\n")
        assert not [r[1] for r in results if r[1].strip()]
        folder = out.resolve()
        assert not list(folder.glob(".store-*"))
        assert (folder / "store").is_dir()
        (folder / "store.sha256").unlink()  # the next round rebuilds it, four at once again


def test_crash_full_disk_single_file(tmp_path: Path) -> None:
    """An export or map output (``atomic_open``) on a full disk: one line, target kept."""
    from peaceld.errors import PeaceldError

    target = tmp_path / "kg.nt"
    target.write_text("old\n")
    with (pytest.raises(PeaceldError, match="No space left on device; kg.nt is untouched"),
          atomic.atomic_open(target) as handle):
        handle.write("new\n")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["kg.nt"]

"""Push to and query a real Virtuoso (Debian's package), like the Oxigraph server tests."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from peaceld.build import build
from peaceld.cli import main
from peaceld.export import load_dataset
from peaceld.project import bundled_root
from peaceld.query import load_library
from peaceld.store import DATA_GRAPH


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("kg")
    build(bundled_root(), out_dir=out, validate=False)
    return out


def rows(text: str) -> list[list[str]]:
    """CSV rows; GROUP_CONCAT cells compared as sets (the standard leaves their order open)."""
    return [[", ".join(sorted(cell.split(", "))) for cell in row]
            for row in csv.reader(io.StringIO(text))]


def test_push_to_virtuoso_then_query_it_like_the_embedded_store(
        virtuoso_server: str, dist: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PEACELD_USER", "dba")
    monkeypatch.setenv("PEACELD_PASSWORD", "dba")
    runner = CliRunner()
    crud = f"{virtuoso_server}/sparql-graph-crud-auth"  # digest authentication
    for _ in range(2):  # the second push replaces every graph, it does not append
        result = runner.invoke(main, ["push", "--endpoint", crud, "--dist", str(dist)])
        assert result.exit_code == 0, result.output
    for name in load_library(sorted((bundled_root() / "queries").glob("*.rq"))):
        local = runner.invoke(main, ["query", "--name", name, "-f", "csv", "--dist", str(dist)])
        remote = runner.invoke(main, ["query", "--name", name, "-f", "csv", "--endpoint",
                                      f"{virtuoso_server}/sparql"])
        assert remote.exit_code == 0, (name, remote.output)
        assert len(local.stdout.splitlines()) > 1, name  # every library query has answers
        assert rows(remote.stdout) == rows(local.stdout), (name, remote.stdout)
    count = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{DATA_GRAPH}> {{ ?s ?p ?o }} }}"
    there = runner.invoke(main, ["query", "-e", count, "-f", "csv", "--endpoint",
                                 f"{virtuoso_server}/sparql"])
    data = {str(q.triple) for q in load_dataset(dist / "peaceld.nq")
            if q.graph_name.value.startswith("https://w3id.org/peaceld/id/passage/")}
    assert int(there.stdout.split()[-1]) == len(data)


def test_virtuoso_refuses_a_wrong_password_in_one_line(
        virtuoso_server: str, dist: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PEACELD_USER", "dba")
    monkeypatch.setenv("PEACELD_PASSWORD", "not-the-password")
    result = CliRunner().invoke(main, ["push", "--endpoint",
                                       f"{virtuoso_server}/sparql-graph-crud-auth",
                                       "--dist", str(dist)])
    assert result.exit_code != 0
    assert "HTTP 401, authentication required or refused" in result.output
    assert "Traceback" not in result.output

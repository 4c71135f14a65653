"""``peaceld map --explain``: the generated row code, printed, is the code that runs."""

from __future__ import annotations

import importlib
from pathlib import Path

from click.testing import CliRunner

from peaceld.cli import main

ROOT = Path(__file__).resolve().parents[2]
PLAIN = ROOT / "bench" / "mappings" / "contributions-plain.yaml"
ROW = ("operation,iso3,month,troops,police,female_share,verified\n"
       "UNMISS,GHA,2024-01,712,,0.11,true\n")


def _namespace(constants: list[str]) -> dict:
    """The environment the printed assignments describe (strings and importable functions)."""
    env: dict = {}
    for line in constants:
        name, _, value = line.partition(" = ")
        if value.startswith(("'", '"')):
            env[name] = eval(value)  # noqa: S307 - a repr printed by --explain
        else:
            module, _, attr = value.rpartition(".")
            env[name] = getattr(importlib.import_module(module), attr)
    return env


def test_explained_row_function_gives_the_mapped_triples(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["map", "-m", str(PLAIN), "--explain", "--format", "nt"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("# rule 'contribution' (line 5 of ")
    start = lines.index("def row(values):")
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("#"))
    env = _namespace(lines[1:start])
    exec("\n".join(lines[start:end]), env)  # noqa: S102 - the source the mapper printed
    data = tmp_path / "one.csv"
    data.write_text(ROW, encoding="utf-8")
    mapped = CliRunner().invoke(main, ["map", "-m", str(PLAIN), "--format", "nt", str(data)])
    assert mapped.exit_code == 0, mapped.output
    values = dict(zip(ROW.splitlines()[0].split(","), ROW.splitlines()[1].split(","),
                      strict=True))
    explained = [t + " .\n" for t in env["row"](values)]
    assert "".join(explained) == mapped.stdout
    assert len(explained) == 7  # police is empty and optional: no triple


def test_a_rule_with_a_named_graph_says_it_takes_the_general_path() -> None:
    result = CliRunner().invoke(main, ["map", "-m", str(ROOT / "mappings" / "facts.yaml"),
                                       "--explain"])
    assert result.exit_code == 0, result.output
    assert "# no row function: a named graph or skip_empty takes the general path" \
        in result.output
    assert "# fast path of the subject" in result.output


def test_files_are_needed_without_explain() -> None:
    result = CliRunner().invoke(main, ["map", "-m", str(PLAIN)])
    assert result.exit_code == 2
    assert "Missing argument 'FILES...'" in result.output

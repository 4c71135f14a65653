"""Mapping-language features for real tables, and errors a data engineer can act on."""

from __future__ import annotations

import io
from pathlib import Path

import pyoxigraph as ox
import pytest

from peaceld.errors import PeaceldError
from peaceld.mapping import Mapper, MappingErrors, load_mapping
from peaceld.records import read_csv

PLD = "https://w3id.org/peaceld/ontology#"
ID = "https://w3id.org/peaceld/id/"


def run(tmp_path: Path, mapping: str, table: str) -> tuple[list[ox.Quad], Mapper]:
    (tmp_path / "m.yaml").write_text(mapping, encoding="utf-8")
    (tmp_path / "d.csv").write_text(table, encoding="utf-8")
    mapper = Mapper(load_mapping(tmp_path / "m.yaml"))
    out = io.StringIO()
    mapper.emit(read_csv(tmp_path / "d.csv"), out, with_graphs=False)
    mapper.finish()
    return list(ox.parse(out.getvalue().encode(), format=ox.RdfFormat.N_TRIPLES)), mapper


def values(quads: list[ox.Quad], predicate: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for q in quads:
        if q.predicate.value == PLD + predicate:
            out.setdefault(q.subject.value.removeprefix(ID), []).append(q.object.value)
    return {k: sorted(v) for k, v in out.items()}


# --- errors ------------------------------------------------------------------------------

def test_misspelt_optional_column_is_reported_once_with_did_you_mean(tmp_path: Path) -> None:
    mapping = ("rules:\n  - subject: x/{id}\n    properties:\n"
               "      pld:n: {field: Femal, optional: true}\n")
    table = "id,Female\n" + "".join(f"{i},1\n" for i in range(50))
    with pytest.raises(MappingErrors) as err:
        run(tmp_path, mapping, table)
    text = str(err.value)
    assert text.count("\n") == 0
    assert "d.csv:1: column 'Femal'" in text and "(did you mean 'Female'?)" in text


def test_many_errors_are_summarised_with_distinct_kinds(tmp_path: Path) -> None:
    mapping = ("rules:\n  - subject: x/{id}\n    properties:\n"
               "      pld:n: {field: n, datatype: xsd:integer}\n"
               "      pld:d: {field: d, datatype: xsd:date}\n")
    rows = [f"{i},{'x' if i % 2 else 1},{'2024-01-01' if i % 2 else 'soon'}" for i in range(60)]
    rows[59] = "59,1,2024-02-30"
    with pytest.raises(MappingErrors) as err:
        run(tmp_path, mapping, "id,n,d\n" + "\n".join(rows) + "\n")
    lines = str(err.value).splitlines()
    assert len(lines) == 21
    assert lines[-1] == "... and 40 more (3 distinct kinds of error)"
    # one of each kind comes first, so the rare one is not hidden by the flood
    assert "d.csv:2: column 3 'd': 'soon' is not a date" in lines[0]
    assert "d.csv:3: column 2 'n': 'x' is not an integer" in lines[1]
    assert any("d.csv:61: column 3 'd': '2024-02-30' is not a date" in x for x in lines[:3])


def test_lookup_error_names_close_keys_not_the_whole_table(tmp_path: Path) -> None:
    table = {f"k{i}": f"v{i}" for i in range(100)} | {"Ghana": "GHA"}
    mapping = ("lookups:\n  iso: " + repr(table).replace("'", '"') + "\nrules:\n"
               "  - subject: x/{id}\n    properties:\n      pld:c: {field: c, lookup: iso}\n")
    with pytest.raises(MappingErrors) as err:
        run(tmp_path, mapping, "id,c\n1,Ghanna\n")
    text = str(err.value)
    assert "column 2 'c': 'Ghanna' is not in lookup table 'iso' (did you mean 'Ghana'?)" in text
    assert "(101 keys)" in text and "k50" not in text


def test_unknown_rule_key_suggests_the_right_one(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text("rules:\n  - subject: x/{id}\n    chek: a == 1\n")
    with pytest.raises(PeaceldError, match=r"m\.yaml:2: rule: unknown key 'chek' \(did you "
                                           r"mean 'check'\?\)"):
        load_mapping(tmp_path / "m.yaml")


# --- null tokens and conditions -----------------------------------------------------------

def test_null_tokens_per_mapping_and_per_field(tmp_path: Path) -> None:
    mapping = ("nulls: [NA, unknown]\nrules:\n  - subject: x/{id}\n    properties:\n"
               "      pld:a: {field: a, optional: true}\n"
               "      pld:b: {field: b, optional: true, nulls: ['-', '?']}\n")
    quads, _ = run(tmp_path, mapping, "id,a,b\n1,NA,-\n2, unknown ,?\n3,ok,fine\n4,-,NA\n")
    assert values(quads, "a") == {"x/3": ["ok"], "x/4": ["-"]}
    assert values(quads, "b") == {"x/3": ["fine"]}


def test_when_conditions(tmp_path: Path) -> None:
    rule = "  - subject: {{template: '{name}/{{id}}', iri: true}}\n    when: {when}\n" \
           "    properties: {{pld:hit: {{const: y}}}}\n"
    conditions = {
        "eq": "{cat: ' Troops '}",
        "notempty": "{note: {not_empty: true}}",
        "empty": "{note: {empty: true}}",
        "in": "{cat: {in: [Police, Experts]}}",
        "notin": "{cat: {not_in: [Police, Experts]}}",
        "re": "{id: {regex: '[0-9]+'}}",
        "not": "{cat: {not: {regex: 'T.*'}}}",
    }
    mapping = "rules:\n" + "".join(rule.format(name=n, when=w) for n, w in conditions.items())
    quads, _ = run(tmp_path, mapping, "id,cat,note\n1,Troops,x\n2,Police,\nz3, Experts ,y\n")
    hits: dict[str, list[str]] = {}
    for s in values(quads, "hit"):
        name, _, row = s.partition("/")
        hits.setdefault(name, []).append(row)
    assert {k: sorted(v) for k, v in hits.items()} == {
        "eq": ["1"], "notempty": ["1", "z3"], "empty": ["2"], "in": ["2", "z3"],
        "notin": ["1"], "re": ["1", "2"], "not": ["2", "z3"]}


# --- computed values, checks, unpivot, transform order ------------------------------------

def test_computed_values_and_row_checks(tmp_path: Path) -> None:
    mapping = ("rules:\n  - subject: x/{id}\n    check: ['Female + Male == Total']\n"
               "    properties:\n"
               "      pld:share: {expr: 'Female / Total', datatype: xsd:decimal, "
               "optional: true}\n"
               "      pld:staff: {expr: '{Staff Officers} + 0', datatype: xsd:integer}\n")
    table = "id,Female,Male,Total,Staff Officers\n1,1,3,4,2\n2,,3,3,0\n"
    quads, _ = run(tmp_path, mapping, table)
    assert values(quads, "share") == {"x/1": ["0.25"]}
    assert values(quads, "staff") == {"x/1": ["2"], "x/2": ["0"]}
    with pytest.raises(MappingErrors, match=r"d\.csv:4: check failed: Female \+ Male == Total "
                                            r"\(Female=1, Male=3, Total=5\)"):
        run(tmp_path, mapping, table + "3,1,3,5,1\n")


def test_check_can_skip_and_count(tmp_path: Path) -> None:
    mapping = ("rules:\n  - name: r\n    subject: x/{id}\n"
               "    check: [{expr: 'Female <= Total', skip: true}]\n"
               "    properties: {pld:t: {field: Total}}\n")
    quads, mapper = run(tmp_path, mapping, "id,Female,Total\n1,1,4\n2,9,3\n")
    assert values(quads, "t") == {"x/1": ["4"]}
    assert mapper.stats.skipped == {"r": 1}


@pytest.mark.parametrize("bad", ["__import__('os')", "Total.real", "open('x')", "x[0]",
                                 "lambda: 1", "(1).__class__"])
def test_expressions_are_a_safe_subset(tmp_path: Path, bad: str) -> None:
    (tmp_path / "m.yaml").write_text(f"rules:\n  - subject: x/{{id}}\n    check: [\"{bad}\"]\n")
    with pytest.raises(PeaceldError, match=r"m\.yaml:2: rule: expression"):
        load_mapping(tmp_path / "m.yaml")


def test_unpivot_numbered_and_listed_columns(tmp_path: Path) -> None:
    mapping = ("rules:\n  - subject: mission/{Mission}/tcc/{n}\n"
               "    unpivot: {each: {from: 1, to: 4}, as: n, fields: {tcc: 'TCC{n}'}}\n"
               "    properties: {pld:country: {field: tcc}}\n"
               "  - subject: c/{Mission}/{gender}\n"
               "    unpivot: {each: [Female, Male], as: gender, fields: {count: '{gender}'}}\n"
               "    properties: {pld:count: {field: count, datatype: xsd:integer}}\n")
    table = "Mission,TCC1,TCC2,TCC3,TCC4,Female,Male\nUNMIL,Ghana,,Fiji,,3,\n"
    quads, _ = run(tmp_path, mapping, table)
    assert values(quads, "country") == {"mission/unmil/tcc/1": ["Ghana"],
                                        "mission/unmil/tcc/3": ["Fiji"]}
    assert values(quads, "count") == {"c/unmil/female": ["3"]}
    with pytest.raises(MappingErrors, match=r"column 6 'Female': 'x' is not an integer"):
        run(tmp_path, mapping, table.replace(",3,", ",x,"))
    with pytest.raises(MappingErrors, match=r"column 'TCC4' .* is not in the header"):
        run(tmp_path, mapping, table.replace("TCC4", "TCC 4"))


def test_split_applies_after_a_lookup(tmp_path: Path) -> None:
    mapping = ("lookups:\n  m: {'UNEF (I & II)': 'UNEF I; UNEF II', UNMIL: UNMIL}\n"
               "rules:\n  - subject: r/{id}\n    properties:\n"
               "      pld:op: {field: ops, split: ';', transform: [trim], lookup: m}\n")
    quads, _ = run(tmp_path, mapping, "id,ops\n1,UNEF (I & II) ; unmil\n")
    assert values(quads, "op") == {"r/1": ["UNEF I", "UNEF II", "UNMIL"]}


def test_header_is_checked_once_before_a_parallel_map(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import peaceld.mapping.run as mapper_module
    from peaceld.mapping import map_files

    monkeypatch.setattr(mapper_module, "PARALLEL_MIN_BYTES", 1)
    (tmp_path / "m.yaml").write_text("rules:\n  - subject: x/{id}\n    properties:\n"
                                     "      pld:t: {field: Totl, optional: true}\n")
    (tmp_path / "d.csv").write_text("id,Total\n" + "".join(f"{i},{i}\n" for i in range(3000)))
    with pytest.raises(MappingErrors) as err:
        map_files(tmp_path / "m.yaml", [tmp_path / "d.csv"], io.StringIO(), ontology=[],
                  with_graphs=False)
    assert str(err.value).count("\n") == 0
    assert "column 'Totl'" in str(err.value) and "did you mean 'Total'" in str(err.value)

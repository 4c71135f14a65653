"""The declarative mapper: features of the mapping language and its error messages."""

from __future__ import annotations

import io
from pathlib import Path

import pyoxigraph as ox
import pytest

from bench.generate import write_contributions
from peaceld.errors import PeaceldError
from peaceld.mapping import MappingErrors, load_mapping, map_files, slug
from peaceld.project import bundled_root
from peaceld.rdfio import load_ontology

ROOT = bundled_root()
ONTOLOGY = sorted((ROOT / "ontology").glob("*.ttl"))
PLD = "https://w3id.org/peaceld/ontology#"
ID = "https://w3id.org/peaceld/id/"


def run_map(mapping: Path, *inputs: Path, graphs: bool = True) -> list[ox.Quad]:
    out = io.StringIO()
    map_files(mapping, list(inputs), out, ontology=load_ontology(ONTOLOGY), with_graphs=graphs)
    return list(ox.parse(out.getvalue().encode(), format=ox.RdfFormat.N_QUADS))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def objects(quads: list[ox.Quad], subject: str, predicate: str) -> set[str]:
    return {q.object.value for q in quads
            if q.subject.value == subject and q.predicate.value == predicate}


def test_slug_is_deterministic_and_iri_safe() -> None:
    assert slug("Côte d'Ivoire") == "cote-d-ivoire"
    assert slug("01/1948") == "01-1948"
    assert slug("unmil") == "unmil"
    assert slug("  Sierra  Leone ") == "sierra-leone"


CSV_MAPPING = """\
base: https://example.org/
lookups:
  yes-no: {"yes": "true", "no": "false"}
rules:
  - subject: item/{name}
    class: pld:Thing
    properties:
      rdfs:label: {field: name, transform: [trim], lang: en}
      pld:count: {field: count, transform: [decimal_comma], datatype: xsd:decimal}
      pld:when: {field: day, transform: [{date: ["%d/%m/%Y", "%Y-%m-%d"]}], datatype: xsd:date}
      pld:flag: {field: flag, transform: [{lookup: yes-no}], datatype: xsd:boolean}
      pld:tag: {field: tags, split: "|", optional: true}
      pld:link: {template: "other/{name}", iri: true}
      pld:note: {field: note, optional: true}
triples:
  - [https://example.org/dataset, rdfs:label, {const: "Example", lang: en}]
"""


def test_csv_features(tmp_path: Path) -> None:
    mapping = write(tmp_path, "m.yaml", CSV_MAPPING)
    data = write(tmp_path, "d.csv", "name;count;day;flag;tags;note\n"
                 "  Big Box ;1.234,5;03/02/2004;NO;a|b;\n"
                 "Small;7;2004-02-29;Yes;;hello\n")
    quads = run_map(mapping, data, graphs=False)
    big = "https://example.org/item/big-box"
    assert objects(quads, big, "http://www.w3.org/2000/01/rdf-schema#label") == {"Big Box"}
    assert objects(quads, big, PLD + "count") == {"1234.5"}
    assert objects(quads, big, PLD + "when") == {"2004-02-03"}
    assert objects(quads, big, PLD + "flag") == {"false"}
    assert objects(quads, big, PLD + "tag") == {"a", "b"}
    assert objects(quads, big, PLD + "note") == set()
    assert objects(quads, big, PLD + "link") == {"https://example.org/other/big-box"}
    small = "https://example.org/item/small"
    assert objects(quads, small, PLD + "flag") == {"true"}
    assert objects(quads, small, PLD + "note") == {"hello"}
    assert objects(quads, "https://example.org/dataset",
                   "http://www.w3.org/2000/01/rdf-schema#label") == {"Example"}
    when = next(q.object for q in quads if q.predicate.value == PLD + "when")
    assert when.datatype.value == "http://www.w3.org/2001/XMLSchema#date"


@pytest.mark.parametrize(("row", "message"), [
    ("Box;x1;03/02/2004;no;;", "d.csv:2: column 2 'count': 'x1' is not a decimal number"),
    ("Box;1;31/02/2004;no;;",
     "d.csv:2: column 3 'day': '31/02/2004' is not a date in the format(s)"),
    ("Box;1;03/02/2004;maybe;;",
     "d.csv:2: column 4 'flag': 'maybe' is not in lookup table 'yes-no'"),
    (";1;03/02/2004;no;;", "d.csv:2: column 1 'name': missing required field 'name'"),
])
def test_csv_errors_name_file_line_and_problem(tmp_path: Path, row: str, message: str) -> None:
    mapping = write(tmp_path, "m.yaml", CSV_MAPPING)
    data = write(tmp_path, "d.csv", "name;count;day;flag;tags;note\n" + row + "\n")
    with pytest.raises(MappingErrors) as err:
        run_map(mapping, data)
    assert str(err.value).startswith(str(tmp_path / message.split(":")[0]) + ":")
    assert message.split(":", 1)[1] in str(err.value)


def test_csv_ragged_row(tmp_path: Path) -> None:
    mapping = write(tmp_path, "m.yaml", CSV_MAPPING)
    data = write(tmp_path, "d.csv", "name;count;day;flag;tags;note\nBox;1\n")
    with pytest.raises(PeaceldError, match=r"d\.csv:2: row has 2 fields, the header has 6"):
        run_map(mapping, data)


def test_mapping_file_errors_point_at_the_rule(tmp_path: Path) -> None:
    bad = write(tmp_path, "m.yaml", "rules:\n  - subject: x/{id}\n    colour: red\n")
    with pytest.raises(PeaceldError, match=r"m\.yaml:2: rule: unknown key 'colour'"):
        load_mapping(bad)
    bad = write(tmp_path, "m.yaml", "rules:\n  - subject: x/{id}\n    class: nope:Thing\n")
    with pytest.raises(PeaceldError, match=r"m\.yaml:2: rule: unknown prefix"):
        load_mapping(bad)
    bad = write(tmp_path, "m.yaml", "rules: [\n")
    with pytest.raises(PeaceldError, match=r"m\.yaml:2:1: YAML syntax error"):
        load_mapping(bad)


def test_contributions_mapping_on_generated_csv(tmp_path: Path) -> None:
    data = write_contributions(tmp_path / "c.csv", 300)
    quads = run_map(ROOT / "mappings" / "contributions.yaml", data, graphs=False)
    subjects = {q.subject.value for q in quads if q.object.value == PLD + "Contribution"}
    assert len(subjects) == 300
    first = ID + "contribution/unmil/gha/01-1948"
    assert objects(quads, first, PLD + "troops") == {"10476"}  # "10.476" with a decimal comma
    assert objects(quads, first, PLD + "month") == {"1948-01"}
    assert objects(quads, first, PLD + "verified") == {"false"}  # "No"
    assert objects(quads, ID + "state/gha", "http://www.w3.org/2000/01/rdf-schema#label") == {
        "Ghana"}


def test_mapping_is_deterministic(tmp_path: Path) -> None:
    data = write_contributions(tmp_path / "c.csv", 200)
    runs = []
    for _ in range(2):
        out = io.StringIO()
        map_files(ROOT / "mappings" / "contributions.yaml", [data], out,
                  ontology=load_ontology(ONTOLOGY), with_graphs=False)
        runs.append(out.getvalue())
    assert runs[0] == runs[1]


def test_parallel_csv_equals_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Large CSVs are cut into parts for several cores; the output must not change."""
    import peaceld.mapping.run as mapper_module

    mapping = write(tmp_path, "m.yaml", CSV_MAPPING)
    rows = ["name;count;day;flag;tags;note"]
    for i in range(3000):
        note = f'"line one\nline two {i}; quoted ""x"""' if i % 7 == 0 else f"n{i}"
        rows.append(f"item {i};{i},5;03/02/2004;{'yes' if i % 2 else 'NO'};a|b;{note}")
    data = write(tmp_path, "d.csv", "\n".join(rows) + "\n")

    def mapped(threshold: int) -> str:
        monkeypatch.setattr(mapper_module, "PARALLEL_MIN_BYTES", threshold)
        out = io.StringIO()
        map_files(mapping, [data], out, ontology=load_ontology(ONTOLOGY), with_graphs=False)
        return out.getvalue()

    one = mapped(1 << 40)
    assert "line one\\nline two 7; quoted \\\"x\\\"" in one
    assert mapped(1) == one


def test_parallel_csv_reports_true_line_numbers(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import peaceld.mapping.run as mapper_module

    monkeypatch.setattr(mapper_module, "PARALLEL_MIN_BYTES", 1)
    mapping = write(tmp_path, "m.yaml", CSV_MAPPING)
    rows = ["name;count;day;flag;tags;note"]
    rows += [f"item {i};1;03/02/2004;no;;" for i in range(2000)]
    rows[1800] = "item x;1;03/02/2004;perhaps;;"
    data = write(tmp_path, "d.csv", "\n".join(rows) + "\n")
    with pytest.raises(MappingErrors,
                       match=r"d\.csv:1801: column 4 'flag': 'perhaps' is not in lookup table"):
        map_files(mapping, [data], io.StringIO(), ontology=load_ontology(ONTOLOGY),
                  with_graphs=False)

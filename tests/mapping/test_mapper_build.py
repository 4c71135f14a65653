"""CSV inputs in a project build: default-graph rules, constants, bundled mappings, exports."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from click.testing import CliRunner

from peaceld.cli import main
from peaceld.export import serialize

ID = "https://w3id.org/peaceld/id/"
PLD = "https://w3id.org/peaceld/ontology#"

TABLE = "operation;country;iso3;month;troops;police;female_share;verified\n" \
    "unmil;Ghana;GHA;01/2004;1.034;12;\"4,5\";No\n" \
    "unmil;Fiji;FJI;02/2004;40;;;yes\n"

OWN_MAPPING = """\
rules:
  - name: note
    subject: note/{id}
    class: rdfs:Resource
    properties:
      rdfs:comment: {field: text, lang: en}
triples:
  - [note/dataset, rdfs:label, {const: "Notes", lang: en}]
"""


def _project(tmp_path: Path, inputs: str) -> Path:
    project = tmp_path / "p"
    assert CliRunner().invoke(main, ["init", str(project)]).exit_code == 0
    (project / "data").mkdir()
    (project / "data" / "troops.csv").write_text(TABLE, encoding="utf-8")
    config = project / "peaceld.toml"
    config.write_text(config.read_text(encoding="utf-8") + inputs, encoding="utf-8")
    return project


def test_init_template_inputs_build_with_the_bundled_mapping(tmp_path: Path) -> None:
    project = _project(tmp_path, "")
    config = project / "peaceld.toml"
    text = config.read_text(encoding="utf-8")  # uncomment the template's own example
    config.write_text(text.replace("# [[inputs]]", "[[inputs]]")
                      .replace('# files = ["data/*.csv"]', 'files = ["data/*.csv"]')
                      .replace('# mapping = "mappings/contributions.yaml"',
                               'mapping = "mappings/contributions.yaml"'), encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(project), "-q"])
    assert result.exit_code == 0, result.output
    quads = list(ox.parse((project / "dist" / "peaceld.nq").read_bytes(),
                          format=ox.RdfFormat.N_QUADS))
    first = ox.NamedNode(ID + "contribution/unmil/gha/01-2004")
    troops = [q.object.value for q in quads
              if q.subject == first and q.predicate.value == PLD + "troops"]
    assert troops == ["1034"]
    data = serialize(quads, "nt", "data").decode()
    assert f"<{ID}contribution/unmil/fji/02-2004>" in data
    assert serialize(quads, "nt", "all").decode().count("contribution/unmil/") >= 10


def test_default_graph_rules_and_constants_in_a_build(tmp_path: Path) -> None:
    project = _project(tmp_path, '\n[[inputs]]\nfiles = ["data/notes.csv"]\n'
                       'mapping = "mappings/notes.yaml"\n')
    (project / "mappings" / "notes.yaml").write_text(OWN_MAPPING, encoding="utf-8")
    (project / "data" / "notes.csv").write_text("id,text\n1,first\n2,\"second, quoted\"\n",
                                                encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(project), "-q"])
    assert result.exit_code == 0, result.output
    ttl = (project / "dist" / "peaceld.ttl").read_text(encoding="utf-8")
    assert '"second, quoted"@en' in ttl and '"Notes"@en' in ttl
    exported = CliRunner().invoke(main, ["export", "-f", "nt", "-g", "data", "--dist",
                                         str(project / "dist")])
    assert exported.exit_code == 0, exported.output
    assert f"<{ID}note/2>" in exported.output and f"<{ID}note/dataset>" in exported.output


def test_bad_csv_in_a_build_is_one_clear_error(tmp_path: Path) -> None:
    project = _project(tmp_path, '\n[[inputs]]\nfiles = ["data/*.csv"]\n'
                       'mapping = "mappings/contributions.yaml"\n')
    (project / "data" / "troops.csv").write_text(TABLE.replace("1.034", "many"),
                                                 encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(project), "-q"])
    assert result.exit_code == 2
    assert "troops.csv:2: column 5 'troops': 'many' is not an integer" in result.output
    assert "Traceback" not in result.output
    assert not (project / "dist" / "peaceld.nq").exists()

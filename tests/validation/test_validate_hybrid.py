"""Never fail open: every SHACL Core constraint component and target type is either compiled
(answered by the SPARQL engine) or delegated to pySHACL, and either way it is reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from peaceld.errors import PeaceldError
from peaceld.project import bundled_root
from peaceld.validation import validate_files

SH = "http://www.w3.org/ns/shacl#"
PREFIXES = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <https://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
"""
#: Component -> (constraint on a property shape of ex:p, data of ex:a that violates it,
#: compiled?). The list is SHACL 1.0 section 4, written out here, not read from the code.
PROPERTY_LEVEL = {
    "Class": ("sh:class ex:D", "ex:a ex:p ex:b .", True),
    "Datatype": ("sh:datatype xsd:integer", 'ex:a ex:p "x" .', True),
    "NodeKind": ("sh:nodeKind sh:Literal", "ex:a ex:p ex:b .", True),
    "MinCount": ("sh:minCount 2", "ex:a ex:p 1 .", True),
    "MaxCount": ("sh:maxCount 1", "ex:a ex:p 1, 2 .", True),
    "MinExclusive": ("sh:minExclusive 5", "ex:a ex:p 5 .", True),
    "MinInclusive": ("sh:minInclusive 5", "ex:a ex:p 4 .", True),
    "MaxExclusive": ("sh:maxExclusive 5", "ex:a ex:p 5 .", True),
    "MaxInclusive": ("sh:maxInclusive 5", "ex:a ex:p 6 .", True),
    "MinLength": ("sh:minLength 3", 'ex:a ex:p "ab" .', True),
    "MaxLength": ("sh:maxLength 1", 'ex:a ex:p "ab" .', True),
    "Pattern": ('sh:pattern "^a"', 'ex:a ex:p "ba" .', True),
    "LanguageIn": ('sh:languageIn ("en")', 'ex:a ex:p "x"@fr .', True),
    "UniqueLang": ("sh:uniqueLang true", 'ex:a ex:p "x"@en, "y"@en .', True),
    "Equals": ("sh:equals ex:q", "ex:a ex:p 1 ; ex:q 2 .", True),
    "Disjoint": ("sh:disjoint ex:q", "ex:a ex:p 1 ; ex:q 1 .", True),
    "LessThan": ("sh:lessThan ex:q", "ex:a ex:p 3 ; ex:q 2 .", True),
    "LessThanOrEquals": ("sh:lessThanOrEquals ex:q", "ex:a ex:p 3 ; ex:q 2 .", True),
    "In": ("sh:in (1 2)", "ex:a ex:p 3 .", True),
    "HasValue": ("sh:hasValue 1", "ex:a ex:p 3 .", True),
    "Not": ("sh:not [ sh:datatype xsd:integer ]", "ex:a ex:p 3 .", True),
    "And": ("sh:and ([ sh:minInclusive 1 ] [ sh:maxInclusive 2 ])", "ex:a ex:p 3 .", True),
    "Or": ("sh:or ([ sh:datatype xsd:string ] [ sh:class ex:D ])", "ex:a ex:p 3 .", True),
    "Xone": ("sh:xone ([ sh:datatype xsd:integer ] [ sh:minInclusive 1 ])", "ex:a ex:p 3 .",
             True),
    "Node": ("sh:node [ sh:nodeKind sh:IRI ]", "ex:a ex:p 3 .", True),
    "QualifiedMinCount": ("sh:qualifiedValueShape [ sh:datatype xsd:string ] ; "
                          "sh:qualifiedMinCount 1", "ex:a ex:p 3 .", True),
    "QualifiedMaxCount": ("sh:qualifiedValueShape [ sh:datatype xsd:integer ] ; "
                          "sh:qualifiedMaxCount 0", "ex:a ex:p 3 .", True),
    "Property": ("sh:property [ sh:path ex:q ; sh:minCount 1 ]", "ex:a ex:p ex:b .", False),
    "QualifiedValueShapesDisjoint": (
        "sh:qualifiedValueShape [ sh:datatype xsd:string ] ; sh:qualifiedMinCount 1 ; "
        "sh:qualifiedValueShapesDisjoint true", "ex:a ex:p 3 .", False),
}
#: Node-shape-level constraints (the value node is the focus node ex:a).
NODE_LEVEL = {
    "Class": ("sh:class ex:D", True), "Datatype": ("sh:datatype xsd:integer", True),
    "NodeKind": ("sh:nodeKind sh:Literal", True), "MinLength": ("sh:minLength 99", True),
    "MaxLength": ("sh:maxLength 2", True), "Pattern": ('sh:pattern "^z"', True),
    "MinInclusive": ("sh:minInclusive 5", True), "MaxExclusive": ("sh:maxExclusive 5", True),
    "In": ("sh:in (ex:b)", True), "HasValue": ("sh:hasValue ex:b", True),
    "LanguageIn": ('sh:languageIn ("en")', True),
    "Closed": ("sh:closed true", True),
    "Equals": ("sh:equals ex:p", False), "Disjoint": ("sh:disjoint ex:self", False),
    "Not": ("sh:not [ sh:class ex:C ]", True), "Node": ("sh:node [ sh:class ex:D ]", True),
    "And": ("sh:and ([ sh:class ex:D ])", True), "Or": ("sh:or ([ sh:class ex:D ])", True),
    "Xone": ("sh:xone ([ sh:class ex:D ])", True),
    "SPARQL": ('sh:sparql [ sh:select "SELECT $this WHERE { $this ?p ?o }" ]', True),
}
TARGETS = {
    "targetClass": "sh:targetClass ex:C", "targetNode": "sh:targetNode ex:a",
    "targetSubjectsOf": "sh:targetSubjectsOf ex:p", "targetObjectsOf": "sh:targetObjectsOf ex:r",
    "implicit class": "a rdfs:Class",
}


def run(tmp_path: Path, shapes: str, data: str, engine: str = "peaceld"):  # noqa: ANN201
    (tmp_path / "s.ttl").write_text(PREFIXES + shapes)
    (tmp_path / "d.ttl").write_text(PREFIXES + data)
    return validate_files([tmp_path / "d.ttl"], shapes=[tmp_path / "s.ttl"], engine=engine)


@pytest.mark.parametrize("component", sorted(PROPERTY_LEVEL))
def test_each_property_constraint_is_reported(tmp_path: Path, component: str) -> None:
    constraint, data, compiled = PROPERTY_LEVEL[component]
    report = run(tmp_path, f"ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ "
                 f"sh:path ex:p ; {constraint} ] .", f"ex:a a ex:C .\n{data}\n")
    expected = {"QualifiedValueShapesDisjoint": "QualifiedMinCount"}.get(component, component)
    assert f"{SH}{expected}ConstraintComponent" in {f.component for f in report.findings} \
        or (component == "Property" and report.findings), report.findings
    assert (report.delegated == []) == compiled, report.delegated
    reference = run(tmp_path, f"ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ "
                    f"sh:path ex:p ; {constraint} ] .", f"ex:a a ex:C .\n{data}\n", "pyshacl")
    assert {f.key() for f in report.findings} == {f.key() for f in reference.findings}
    if compiled:
        assert run(tmp_path, f"ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ "
                   f"sh:path ex:p ; {constraint} ] .", f"ex:a a ex:C .\n{data}\n",
                   "compiled").findings == report.findings
    else:
        with pytest.raises(PeaceldError, match="compiled engine does not evaluate"):
            run(tmp_path, f"ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ "
                f"sh:path ex:p ; {constraint} ] .", f"ex:a a ex:C .\n{data}\n", "compiled")


@pytest.mark.parametrize("component", sorted(NODE_LEVEL))
def test_each_node_constraint_is_reported(tmp_path: Path, component: str) -> None:
    constraint, compiled = NODE_LEVEL[component]
    report = run(tmp_path, f"ex:S a sh:NodeShape ; sh:targetNode ex:a ; {constraint} .",
                 'ex:a a ex:C ; ex:p ex:b ; ex:self ex:a .\n')
    assert f"{SH}{component}ConstraintComponent" in {f.component for f in report.findings}, \
        report.findings
    assert (report.delegated == []) == compiled, report.delegated
    reference = run(tmp_path, f"ex:S a sh:NodeShape ; sh:targetNode ex:a ; {constraint} .",
                    'ex:a a ex:C ; ex:p ex:b ; ex:self ex:a .\n', "pyshacl")
    assert {f.key() for f in report.findings} == {f.key() for f in reference.findings}


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_each_target_type_is_compiled(tmp_path: Path, target: str) -> None:
    shape = "ex:C a sh:NodeShape" if target == "implicit class" else "ex:S a sh:NodeShape"
    report = run(tmp_path, f"{shape} ; {TARGETS[target]} ; sh:property [ sh:path ex:p ; "
                 "sh:minCount 2 ] .", "ex:a a ex:C ; ex:p 1 .\nex:z ex:r ex:a .\n")
    assert [f.focus for f in report.findings] == ["<https://example.org/a>"]
    assert report.delegated == [] and report.focus_nodes == 1


@pytest.mark.parametrize("path", ["ex:p", "[ sh:inversePath ex:r ]", "( ex:p ex:q )",
                                  "[ sh:alternativePath ( ex:p ex:q ) ]",
                                  "[ sh:zeroOrMorePath ex:p ]", "[ sh:oneOrMorePath ex:p ]",
                                  "[ sh:zeroOrOnePath ex:p ]"])
def test_every_path_form_is_compiled(tmp_path: Path, path: str) -> None:
    shapes = f"ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:property [ sh:path {path} ; " \
             "sh:maxCount 0 ] ."
    data = "ex:a ex:p ex:b . ex:b ex:q ex:c . ex:z ex:r ex:a .\n"
    ours = run(tmp_path, shapes, data)
    theirs = run(tmp_path, shapes, data, "pyshacl")
    assert ours.delegated == [] and ours.findings
    assert [f.key() for f in ours.findings] == [f.key() for f in theirs.findings]


def test_one_report_merges_compiled_and_delegated_findings(tmp_path: Path) -> None:
    """A node shape whose sh:minCount is compiled and whose disjoint qualified shape is
    delegated:
    both findings, each with its own source shape, and pySHACL checks only the delegated
    property (the compiled one is not reported twice)."""
    report = run(tmp_path, "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property ex:P1, "
                 "ex:P2 .\nex:P1 sh:path ex:q ; sh:minCount 1 .\nex:P2 sh:path ex:p ; "
                 "sh:qualifiedValueShape [ sh:class ex:D ] ; sh:qualifiedMinCount 1 ; "
                 "sh:qualifiedValueShapesDisjoint true .", "ex:a a ex:C ; ex:p ex:b .\n")
    assert report.engine == "peaceld+pyshacl"
    assert sorted((f.shape, f.component.rsplit("#")[-1]) for f in report.findings) == [
        ("<https://example.org/P1>", "MinCountConstraintComponent"),
        ("<https://example.org/P2>", "QualifiedMinCountConstraintComponent")]
    assert report.focus_nodes == 1


def test_the_bundled_shapes_are_fully_compiled(tmp_path: Path) -> None:
    root = bundled_root()
    report = validate_files([root / "tests" / "data" / "contributions" / "valid-full.ttl"],
                            shapes=sorted((root / "shapes").glob("*.ttl")),
                            ontology=sorted((root / "ontology").glob("*.ttl")),
                            engine="compiled")
    assert report.engine == "peaceld" and report.delegated == []


def test_literals_the_store_rewrites_go_to_pyshacl(tmp_path: Path) -> None:
    """Oxigraph keeps "01"^^xsd:integer as "1": sh:in (1) must still reject "01"."""
    report = run(tmp_path, "ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:property [ "
                 "sh:path ex:p ; sh:in (1) ] .",
                 'ex:a ex:p "01"^^xsd:integer .\n')
    assert [f.value for f in report.findings] == [
        '"01"^^<http://www.w3.org/2001/XMLSchema#integer>']
    assert report.delegated


def test_the_bundled_shapes_stay_compiled_on_data_with_rewritten_literals(tmp_path: Path) -> None:
    """Synthetic tables hold literals Oxigraph rewrites ("34.0" for an xsd:decimal): no
    bundled shape may read them in a way that hands it to pySHACL, which would hold the
    whole graph in memory at 10M triples."""
    from bench.synthetic import MAPPINGS, generate
    from peaceld.mapping import map_files
    from peaceld.rdfio import load_ontology

    root = Path(__file__).resolve().parents[2]
    tables = generate(20000, tmp_path / "syn", seed=5, defect_rate=0.05)
    ontology = load_ontology(sorted((root / "ontology").glob("*.ttl")))
    data = tmp_path / "syn.nq"
    with data.open("w") as out:
        for table in tables:
            map_files(root / MAPPINGS[table], [tmp_path / "syn" / f"{table}.csv"], out,
                      ontology=ontology)
    assert '.0"^^<http://www.w3.org/2001/XMLSchema#decimal>' in data.read_text()
    report = validate_files([data], shapes=sorted((root / "shapes").glob("*.ttl")),
                            ontology=sorted((root / "ontology").glob("*.ttl")))
    assert report.delegated == [] and report.engine == "peaceld", report.delegated


def test_shapes_graph_and_current_shape_are_pre_bound(tmp_path: Path) -> None:
    """$shapesGraph/$currentShape (which pySHACL does not support) are answered by the compiled
    engine: per focus node when $this is bound only inside a group, for blank-node shapes
    too, and the shapes graph never becomes part of the data other shapes see."""
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(PREFIXES + """
ex:Limited a sh:NodeShape ; sh:targetClass ex:C ; ex:limit 1 ;
  sh:sparql [ sh:message "more values than the shape's ex:limit" ; sh:select '''
    SELECT $this WHERE { $this <https://example.org/p> ?v .
      GRAPH $shapesGraph { $currentShape <https://example.org/limit> ?limit } }
    GROUP BY $this ?limit HAVING (COUNT(?v) > ?limit)''' ] .
[] a sh:NodeShape ; sh:targetNode ex:a, ex:b ; ex:tag "blank" ;
  sh:sparql [ sh:select '''
    SELECT $this WHERE { FILTER NOT EXISTS { $this <https://example.org/tag> ?t .
      GRAPH $shapesGraph { $currentShape <https://example.org/tag> ?t } } }''' ] .
ex:NoShapeTriples a sh:NodeShape ; sh:targetSubjectsOf sh:select ; sh:nodeKind sh:Literal .
""")
    data = tmp_path / "data.ttl"
    data.write_text(PREFIXES + 'ex:a a ex:C ; ex:p 1, 2 ; ex:tag "blank" .\n'
                               "ex:b a ex:C ; ex:p 1 .\n")
    report = validate_files([data], shapes=[shapes])
    assert report.delegated == []
    found = sorted((f.focus, f.message) for f in report.findings)
    assert found == [("<https://example.org/a>", "more values than the shape's ex:limit"),
                     ("<https://example.org/b>", found[1][1])]
    assert report.findings[1].component == SH + "SPARQLConstraintComponent"
    assert report.focus_nodes == 2

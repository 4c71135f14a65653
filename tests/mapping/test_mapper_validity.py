"""The mapper writes valid RDF or a clear error: IRIs, literals, language tags, mapping values.

The property test maps random rows through a mapping that uses every datatype the mapper
offers and checks that what comes out parses (Oxigraph, and rapper when installed) and that
every literal is in the lexical space of its datatype, judged by validators written here
from XML Schema 1.1 Part 2, independently of ``peaceld.lexical``.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peaceld.errors import PeaceldError
from peaceld.lexical import DATATYPE_CHECKS
from peaceld.mapping import FieldError, Mapper, MappingErrors, load_mapping, slug
from peaceld.records import Record

XSD = "http://www.w3.org/2001/XMLSchema#"
PLD = "https://w3id.org/peaceld/ontology#"


# --- independent validators (XSD 1.1 Part 2, section 3) ----------------------------------

def _digits(text: str, signed: bool = True) -> bool:
    if signed and text[:1] in "+-":
        text = text[1:]
    return text.isascii() and text.isdigit()


def _decimal_ok(text: str) -> bool:
    body = text[1:] if text[:1] in "+-" else text
    whole, dot, frac = body.partition(".")
    if not (whole or frac):
        return False
    return all(p == "" or (p.isascii() and p.isdigit()) for p in (whole, frac))


def _double_ok(text: str) -> bool:
    if text in ("INF", "+INF", "-INF", "NaN"):
        return True
    mantissa, e, exponent = text.replace("E", "e").partition("e")
    return _decimal_ok(mantissa) and (not e or _digits(exponent))


def _year_ok(text: str) -> bool:
    body = text[1:] if text.startswith("-") else text
    return _digits(body, False) and len(body) >= 4 and not (len(body) > 4 and body[0] == "0")


def _zone(text: str) -> str:
    """The text without its time zone (the zone itself must be valid)."""
    if text.endswith("Z"):
        return text[:-1]
    m = re.search(r"[+-](\d\d):(\d\d)$", text)
    if m and ((int(m[1]) < 14 and int(m[2]) < 60) or m[0][1:] == "14:00"):
        return text[:-6]
    return text


def _date_ok(text: str) -> bool:
    body = _zone(text)
    sign = "-" if body.startswith("-") else ""
    parts = body[len(sign):].split("-")
    if len(parts) != 3:
        return False
    year, month, day = parts
    if not (_year_ok(sign + year) and len(month) == 2 and len(day) == 2
            and _digits(month, False) and _digits(day, False)):
        return False
    try:  # the calendar, on a year of the same 400-year leap cycle that Python can represent
        dt.date(2000 + int(sign + year) % 400, int(month), int(day))
    except ValueError:
        return False
    return True


def _datetime_ok(text: str) -> bool:
    date, t, time = _zone(text).partition("T")
    if not t or not _date_ok(date):
        return False
    m = re.fullmatch(r"(\d\d):(\d\d):(\d\d)(\.\d+)?", time)
    if not m:
        return False
    h, mi, s = int(m[1]), int(m[2]), int(m[3])
    return (h < 24 and mi < 60 and s < 60) or (h == 24 and mi == 0 and s == 0
                                               and set((m[4] or ".0")[1:]) == {"0"})


def _gyearmonth_ok(text: str) -> bool:
    body = _zone(text)
    year, _, month = body.rpartition("-")
    return _year_ok(year) and len(month) == 2 and month.isdigit() and 1 <= int(month) <= 12


VALID = {
    "string": lambda t: True,
    "integer": _digits,
    "nonNegativeInteger": lambda t: _digits(t) and int(t) >= 0,
    "positiveInteger": lambda t: _digits(t) and int(t) > 0,
    "nonPositiveInteger": lambda t: _digits(t) and int(t) <= 0,
    "negativeInteger": lambda t: _digits(t) and int(t) < 0,
    "long": lambda t: _digits(t) and -(2**63) <= int(t) < 2**63,
    "int": lambda t: _digits(t) and -(2**31) <= int(t) < 2**31,
    "decimal": _decimal_ok,
    "double": _double_ok,
    "float": _double_ok,
    "boolean": lambda t: t in ("true", "false", "1", "0"),
    "date": _date_ok,
    "dateTime": _datetime_ok,
    "gYear": lambda t: _year_ok(_zone(t)),
    "gYearMonth": _gyearmonth_ok,
    "anyURI": lambda t: not re.search(r'[\x00-\x20<>"{}|^`\\]', t),
}


def test_every_offered_datatype_has_an_independent_validator() -> None:
    assert {d[len(XSD):] for d in DATATYPE_CHECKS} == set(VALID)


# --- the property ------------------------------------------------------------------------

TYPES = sorted(VALID)
LANGS = ["en", "fr", "ar", "zh-Hans", "es-419", "x-private", "sr-Latn-RS"]
MAPPING = "nulls: [NA, unknown]\nrules:\n  - subject: item/{key}\n    class: pld:Thing\n" \
    "    skip_empty: true\n    properties:\n" \
    "      rdfs:label: {field: key, lang: LANG}\n" \
    "      pld:link: {field: link, iri: true, optional: true}\n" \
    "      pld:linked: {template: 'thing/{link}/{key}', iri: true, optional: true}\n" \
    "      pld:tag: {field: link, split: '|', optional: true}\n" \
    + "".join(f"      pld:{t}: {{field: {t}, datatype: xsd:{t}, optional: true}}\n"
              for t in TYPES) \
    + "  - subject: {template: 'n/{key}', iri: true}\n" \
    "    when: {key: {regex: '[0-9]+'}}\n" \
    "    properties:\n      pld:sum: {expr: 'integer + int', datatype: xsd:integer, " \
    "optional: true}\n"

SAMPLES = ["", " ", "NA", "unknown", "-5", "-0", "+7", "007", "nan", "NaN", "INF", "-INF",
           "inf", "1.5", "1,5", "1.", ".5", "1e3", "1.5E-3", "2024-01-01", "2024-02-30",
           "2024-02-29", "2023-02-29", "2024-01-01 10:00", "2024-01-01T10:00:00",
           "2024-01-01T24:00:00", "2024-01-01T10:00:00+14:00", "2024-13", "2024-12", "0000",
           "12345", "-2024", "true", "FALSE", "1", "0", "联合国", "مهمة", "Ã‰quateur",
           "Côte d'Ivoire", "a\nb", "a\rb", '"', "\\", "\x00", "\x7f", "\u2028", "x y",
           "http://example.org/a", "http://exa mple.org", "pld:Thing", "nope:x",
           "urn:x:1", "a|b||c", "?", "<>", "{x}", "9" * 30]
VALUES = st.one_of(st.sampled_from(SAMPLES), st.text(max_size=8),
                   st.from_regex(r"[+-]?[0-9]{1,4}(\.[0-9]{0,2})?", fullmatch=True),
                   st.from_regex(r"-?[0-9]{4}-[0-9]{2}(-[0-9]{2})?", fullmatch=True))
ROWS = st.lists(st.tuples(VALUES, st.sampled_from([*TYPES, "link"]), VALUES),
                min_size=1, max_size=8)


@pytest.fixture(scope="module")
def mappings(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("m")
    out = {}
    for lang in LANGS:
        path = folder / f"m-{lang}.yaml"
        path.write_text(MAPPING.replace("LANG", lang), encoding="utf-8")
        out[lang] = load_mapping(path)
    return out


def _literals_valid(quads: list[ox.Quad]) -> None:
    for q in quads:
        obj = q.object
        if isinstance(obj, ox.Literal) and obj.datatype.value.startswith(XSD):
            name = obj.datatype.value[len(XSD):]
            assert VALID[name](obj.value), f"{obj} is not a valid xsd:{name}"
        if isinstance(obj, ox.Literal) and obj.language:
            assert obj.language in [t.lower() for t in LANGS] + LANGS


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=ROWS, lang=st.sampled_from(LANGS))
def test_random_rows_map_to_valid_rdf_or_clear_errors(mappings: dict, rows: list[tuple],
                                                      lang: str, tmp_path: Path) -> None:
    """Each row is a key and one value in one column (so most rows map, some fail)."""
    mapper = Mapper(mappings[lang])
    out = io.StringIO()
    empty = dict.fromkeys(["key", "link", *TYPES], "")
    records = [Record({**empty, "key": key, column: value, "integer": value}, "rows.csv",
                      i + 2) for i, (key, column, value) in enumerate(rows)]
    mapper.emit(records, out, with_graphs=False)
    for err in mapper.errors:  # every error names the file and line, in one line
        assert str(err).startswith("rows.csv:") and "\n" not in str(err)
    text = out.getvalue()
    quads = list(ox.parse(text.encode(), format=ox.RdfFormat.N_TRIPLES))
    assert len(quads) == len(text.splitlines())
    _literals_valid(quads)
    for q in quads:  # no IRI is the bare base or ends in an empty path segment
        for term in (q.subject, q.object):
            if isinstance(term, ox.NamedNode):
                assert not term.value.endswith("/"), term
    if shutil.which("rapper") and text:
        path = tmp_path / "out.nt"
        path.write_text(text, encoding="utf-8")
        done = subprocess.run(["rapper", "-q", "-i", "ntriples", "-c", str(path)],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr


# --- the defects of the issue, one by one ------------------------------------------------

def run(tmp_path: Path, mapping: str, csv_text: str) -> tuple[list[ox.Quad], Mapper]:
    mpath = tmp_path / "m.yaml"
    mpath.write_text(mapping, encoding="utf-8")
    data = tmp_path / "d.csv"
    data.write_text(csv_text, encoding="utf-8")
    from peaceld.records import read_csv

    mapper = Mapper(load_mapping(mpath))
    out = io.StringIO()
    mapper.emit(read_csv(data), out, with_graphs=False)
    mapper.finish()
    return list(ox.parse(out.getvalue().encode(), format=ox.RdfFormat.N_TRIPLES)), mapper


def test_non_latin_names_keep_their_letters() -> None:
    assert slug("联合国") == "联合国"
    assert slug("مهمة") == "مهمة"
    assert slug("Côte d'Ivoire") == "cote-d-ivoire"
    assert slug("UNOSOM II") == "unosom-ii"
    with pytest.raises(FieldError, match="no letter or digit"):
        slug("???")


def test_distinct_non_latin_names_get_distinct_iris(tmp_path: Path) -> None:
    quads, _ = run(tmp_path, "rules:\n  - subject: operation/{name}\n    class: pld:X\n",
                   "name\n联合国\nمهمة\n")
    assert {q.subject.value for q in quads} == {
        "https://w3id.org/peaceld/id/operation/联合国",
        "https://w3id.org/peaceld/id/operation/مهمة"}


def test_subject_emptied_by_a_lookup_is_an_error_with_column(tmp_path: Path) -> None:
    mapping = ("lookups:\n  c: {x: '', y: Y}\nrules:\n  - subject: {field: code, "
               "lookup: c, iri: true}\n    class: pld:Country\n")
    with pytest.raises(MappingErrors, match=r"d\.csv:2: column 2 'code': the subject is empty"):
        run(tmp_path, mapping, "name,code\na,x\n")


def test_skip_empty_skips_and_counts(tmp_path: Path) -> None:
    mapping = ("nulls: [NA, unknown]\nrules:\n  - name: country\n    subject: state/{iso}\n"
               "    skip_empty: true\n    class: pld:Country\n")
    quads, mapper = run(tmp_path, mapping, "iso,n\nGHA,1\nNA,2\n,3\nunknown,4\n???,5\nFJI,6\n")
    assert {q.subject.value.rsplit("/", 1)[1] for q in quads} == {"gha", "fji"}
    assert mapper.stats.skipped == {"country": 4}


@pytest.mark.parametrize(("datatype", "value", "message"), [
    ("xsd:nonNegativeInteger", "-5", "is not a non-negative integer"),
    ("xsd:double", "nan", "is not a floating-point number"),
    ("xsd:dateTime", "2024-01-01 10:00", "is not a date-time"),
    ("xsd:date", "2023-02-29", "no such day"),
    ("xsd:gYearMonth", "2024-13", "is not a year and month"),
    ("xsd:integer", "1_000", "is not an integer"),
    ("xsd:decimal", "1e5", "is not a decimal number"),
])
def test_values_outside_the_lexical_space_are_errors(tmp_path: Path, datatype: str,
                                                     value: str, message: str) -> None:
    mapping = f"rules:\n  - subject: x/{{id}}\n    properties:\n      pld:v: " \
              f"{{field: v, datatype: {datatype}}}\n"
    with pytest.raises(MappingErrors, match=f"d\\.csv:2: column 2 'v': .*{message}"):
        run(tmp_path, mapping, f"id,v\na,{value}\n")


def test_decimal_comma_keeps_a_decimal_point(tmp_path: Path) -> None:
    mapping = ("rules:\n  - subject: x/{id}\n    properties:\n      pld:v: {field: v, "
               "transform: [decimal_comma], datatype: xsd:decimal}\n")
    quads, _ = run(tmp_path, mapping, 'id,v\na,1.5\nb,"1,5"\nc,10.476\nd,"1.234,5"\ne,7\n')
    got = {q.subject.value[-1]: q.object.value for q in quads}
    assert got == {"a": "1.5", "b": "1.5", "c": "10476", "d": "1234.5", "e": "7"}


@pytest.mark.parametrize(("text", "message"), [
    ('base: "https://x.org/\\n<a> <b> <c> .\\n"\nrules: []\n', r"m\.yaml:1: base: not a valid"),
    ("base: x.org/\nrules: []\n", r"m\.yaml:1: base: not a valid absolute IRI"),
    ('prefixes: {ex: "https://x.org/ a"}\nrules: []\n', r"m\.yaml:1: prefix 'ex': not a valid"),
    ('prefixes: {"e x": "https://x.org/"}\nrules: []\n', r"prefix 'e x': 'e x' is not a prefix"),
    ('rules:\n  - subject: x/{id}\n    properties:\n      rdfs:label: {field: n, lang: '
     '"en .\\n<a> <b> <c"}\n', r"m\.yaml:2: rule: .* is not a BCP 47 language tag"),
    ("rules:\n  - subject: x/{id}\n    properties:\n      pld:v: {field: n, datatype: "
     "xsd:integr}\n", r"m\.yaml:2: rule: datatype .*integr' is not offered"),
    ("rules:\n  - subject: 'x/{id}> <a> <b'\n", r"m\.yaml:2: rule: the subject template has a"),
    ("rules:\n  - subject: x/{id}\n    properties:\n      pld:v: {const: 'a b', iri: true}\n",
     r"m\.yaml:2: rule: not a valid absolute IRI"),
    ("rules:\n  - subject: x/{id}\n    properties:\n      pld:v: {field: n, lang: en, "
     "iri: true}\n", r"an IRI cannot have a lang"),
])
def test_mapping_values_are_validated_at_load(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PeaceldError, match=message):
        load_mapping(path)


def test_strings_with_control_characters_are_escaped(tmp_path: Path) -> None:
    quads, _ = run(tmp_path, "rules:\n  - subject: x/{id}\n    properties:\n"
                   "      rdfs:label: {field: v, lang: ar}\n",
                   'id,v\na,"x\x01y ""q"" \\ z\nw"\n')
    assert quads[0].object.value == 'x\x01y "q" \\ z\nw'
    assert quads[0].object.language == "ar"


@pytest.mark.parametrize("text", [
    "rules: 5\n",
    "rules: [a]\n",
    "rules: ['x', 5]\n",
    "entities: abc\nrules: []\n",
    "triples: 5\n",
    "triples: [[a, b]]\n",
    "rules:\n  - subject: 5\n",
    "rules:\n  - subject: x/{id}\n    properties: [1, 2]\n",
    "rules:\n  - subject: x/{id}\n    when: [a]\n",
    "rules:\n  - subject: x/{id}\n    properties:\n      pld:p: {field: a, lang: 5}\n",
    "rules:\n  - subject: x/{id}\n    properties:\n      pld:p: {field: a, datatype: 5}\n",
    "prefixes: abc\n",
])
def test_traceback_malformed_mapping_is_one_line(tmp_path: Path, text: str) -> None:
    """A mapping of the wrong shape anywhere: one line naming the file, never a traceback."""
    path = tmp_path / "m.yaml"
    path.write_text(text)
    with pytest.raises(PeaceldError) as err:
        load_mapping(path)
    assert str(err.value).startswith(str(path)) and "\n" not in str(err.value)


def test_traceback_none_in_1000_mutated_mappings(tmp_path: Path) -> None:
    """Seeded structural mutations of the shipped mappings (a value of the wrong type
    anywhere): every one loads or is refused in one line, none raises anything else."""
    import copy
    import random

    import yaml

    rng = random.Random(11)
    root = Path(__file__).resolve().parents[2]
    shipped = [yaml.safe_load(p.read_text()) for p in sorted((root / "mappings").glob("*.yaml"))]
    values = [5, "abc", [], {}, [1, 2], {"a": 1}, None, True, "x/{id}", [["a", "b", "c"]],
              -1.5, "pld:x", "nope:x"]

    def mutate(node: object) -> object:
        if isinstance(node, dict) and node:
            key = rng.choice(list(node))
            node[key] = rng.choice(values) if rng.random() < 0.4 else mutate(node[key])
            return node
        if isinstance(node, list) and node:
            i = rng.randrange(len(node))
            node[i] = rng.choice(values) if rng.random() < 0.4 else mutate(node[i])
            return node
        return rng.choice(values)

    path = tmp_path / "m.yaml"
    refused = 0
    for _ in range(1000):
        path.write_text(yaml.safe_dump(mutate(copy.deepcopy(rng.choice(shipped)))))
        try:
            load_mapping(path)
        except PeaceldError as exc:
            assert "\n" not in str(exc)
            refused += 1
    assert refused > 100  # the mutations do reach the checks


def test_peaceld_map_prints_the_skipped_rows(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from peaceld.cli import main

    mapping = tmp_path / "m.yaml"
    mapping.write_text("nulls: [NA]\nrules:\n  - name: country\n    subject: state/{iso}\n"
                       "    skip_empty: true\n    class: pld:Country\n")
    table = tmp_path / "d.csv"
    table.write_text("iso,n\nGHA,1\nNA,2\n,3\nFJI,4\n")
    result = CliRunner().invoke(main, ["map", "-m", str(mapping), str(table),
                                       "-o", str(tmp_path / "out.nt")])
    assert result.exit_code == 0, result.output
    assert "mapped 4 records to 2 triples; skipped 2 row(s) (country: 2)" in result.output

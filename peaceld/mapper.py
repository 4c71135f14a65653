"""The declarative mapper: mapping files (YAML) turn records into N-Quads lines.

A mapping file says, per kind of record, which subject IRI to mint, which classes it has,
which named graph its triples go to, and how each field becomes an object. The language
(see ``docs/mapping.md``) covers IRI templates with deterministic Unicode slugs, literals
with datatype or language, optional fields and null tokens, lists and splits, references to
other entities by key or alias, value transforms and lookup tables, conditions, computed
values and row checks, unpivoting of wide tables, and constant triples.

The output is valid RDF or a clear error: every literal is checked against the lexical
space of its datatype (``peaceld.lexical``), every IRI is checked, and every value of a
mapping that reaches the output is validated when the mapping loads. Errors name the file,
line and CSV column.

Rules are compiled once into small generated functions, so mapping a large CSV streams at
a few hundred thousand triples per second with flat memory.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import functools
import os
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .errors import PeaceldError
from .lexical import check_iri, check_language, datatype_check
from .namespaces import PREFIXES, expand
from .records import Record, load_yaml, read_records, strip_lines
from .rowexpr import Expression, Missing, as_text

RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
XSD = "http://www.w3.org/2001/XMLSchema#"
#: Error lines shown before "and N more"; mapping stops after ERROR_STOP errors.
SHOW_ERRORS = 20
ERROR_STOP = 10000


class FieldError(Exception):
    """A value that cannot be mapped; the mapper adds file, line and column.

    ``empty`` marks a missing or empty value (a rule with ``skip_empty`` skips such rows);
    ``value`` is the offending text, used to find its column when ``field`` is unknown.
    """

    def __init__(self, message: str, field: str | None = None, empty: bool = False,
                 value: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.empty = empty
        self.value = value


_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")


def _shape(message: str) -> str:
    """A message with its quoted values blanked: errors of the same kind share a shape."""
    return _QUOTED.sub("…", message)


class MappingErrors(PeaceldError):
    """Input errors; ``str()`` gives the first few (distinct kinds first), then a count."""

    def __init__(self, errors: list[PeaceldError], stopped: bool = False) -> None:
        super().__init__(errors[0].message, errors[0].file, errors[0].line, errors[0].column)
        self.errors = errors
        self.stopped = stopped

    def __str__(self) -> str:
        shapes: dict[str, int] = {}
        for e in self.errors:
            key = _shape(e.message)
            shapes[key] = shapes.get(key, 0) + 1
        firsts, rest, seen = [], [], set()
        for e in self.errors:  # one of each kind first, so a flood of one hides nothing
            key = _shape(e.message)
            (rest if key in seen else firsts).append(e)
            seen.add(key)
        shown = (firsts + rest)[:SHOW_ERRORS]
        lines = [PeaceldError.__str__(e) for e in shown]
        more = len(self.errors) - len(shown)
        if more:
            lines.append(f"... and {more} more ({len(shapes)} distinct kinds of error"
                         f"{'; mapping stopped there' if self.stopped else ''})")
        return "\n".join(lines)


# --- terms -------------------------------------------------------------------------------

_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r",
                          **{chr(i): f"\\u{i:04X}" for i in (*range(0x0a), 0x0b, 0x0c,
                                                           *range(0x0e, 0x20), 0x7f,
                                                           0x85, 0x2028, 0x2029)}})
_IRI_BAD = re.compile(r'[\x00-\x20<>"{}|^`\\\x7f-\x9f]')
_SLUG_OK = re.compile(r"[a-z0-9_]+(?:-[a-z0-9_]+)*")


@functools.lru_cache(maxsize=1 << 16)
def slug(value: str) -> str:
    """A deterministic IRI-safe slug: lower case, words joined by '-'.

    Accents are dropped from Latin letters (``Côte`` gives ``cote``); letters and digits of
    every other script are kept (IRIs allow them), so ``联合国`` stays ``联合国``. A value
    with no letter or digit at all raises FieldError rather than giving an empty slug.
    """
    if _SLUG_OK.fullmatch(value):
        return value
    out: list[str] = []
    dash = False
    for ch in unicodedata.normalize("NFKD", value):
        cat = unicodedata.category(ch)
        if cat in ("Mn", "Me"):
            continue
        if cat[0] in "LN" or cat == "Mc" or ch == "_":
            if dash and out:
                out.append("-")
            dash = False
            out.append(ch.lower())
        else:
            dash = True
    text = unicodedata.normalize("NFC", "".join(out))
    if not text:
        raise FieldError(f"{value!r} has no letter or digit to make an IRI from", empty=True,
                         value=value)
    return text


def iri(value: str) -> str:
    """N-Triples form of an absolute IRI; FieldError if it is empty or not a valid IRI."""
    try:
        return "<" + check_iri(value) + ">"
    except ValueError as exc:
        raise FieldError(str(exc), empty=not value) from None


def quoted(text: str) -> str:
    """The one literal builder: a lexical form in N-Triples quotes, escaped."""
    if text.isprintable() and '"' not in text and "\\" not in text:
        return '"' + text + '"'
    return '"' + text.translate(_ESCAPES) + '"'


def normalise_key(value: str) -> str:
    """How keys and aliases are compared: case, accents and punctuation do not matter."""
    return " ".join(slug_words(str(value)))


def slug_words(value: str) -> list[str]:
    try:
        return slug(value).replace("_", "-").split("-")
    except FieldError:
        return []


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _dt.date | _dt.datetime):
        return value.isoformat()
    return str(value)


# --- transforms --------------------------------------------------------------------------


_THOUSANDS = re.compile(r"[+-]?[0-9]{1,3}(?:[. \u00a0\u202f][0-9]{3})+")


@functools.lru_cache(maxsize=1 << 16)
def _decimal_comma(v: str) -> str:
    """European numbers: '1.234,5' -> '1234.5', '10.476' -> '10476', '1,5' -> '1.5'.

    Dots or spaces are thousands separators only in groups of three ('1.5' stays '1.5').
    """
    t = v.strip()
    if t.isdigit():
        return t
    if "," in t:
        whole, _, frac = t.rpartition(",")
        if _THOUSANDS.fullmatch(whole):
            whole = re.sub(r"[. \u00a0\u202f]", "", whole)
        return whole + "." + frac
    if _THOUSANDS.fullmatch(t):
        return re.sub(r"[. \u00a0\u202f]", "", t)
    return t


def _date_parser(formats: list[str], out: str = "%Y-%m-%d") -> Callable[[str], str]:
    @functools.lru_cache(maxsize=1 << 14)
    def parse(v: str) -> str:
        for fmt in formats:
            try:
                return _dt.datetime.strptime(v.strip(), fmt).strftime(out)
            except ValueError:
                continue
        raise FieldError(f"{v!r} is not a date in the format(s) {', '.join(formats)}")

    return parse


def _replace(old: str, new: str) -> Callable[[str], str]:
    return lambda v: v.replace(old, new)


SIMPLE_TRANSFORMS: dict[str, Callable[[str], str]] = {
    "trim": str.strip,
    "lower": str.lower,
    "upper": str.upper,
    "title": str.title,
    "slug": slug,
    "decimal_comma": _decimal_comma,
}


# --- compiled value specs ----------------------------------------------------------------

Values = dict[str, Any]
ValueFn = Callable[[Values], list[str]]


@dataclass
class Template:
    """A string with {field} placeholders; ``{{`` and ``}}`` are literal braces."""

    parts: list[tuple[bool, str]]  # (is_field, text)

    @classmethod
    def parse(cls, text: str) -> Template:
        parts: list[tuple[bool, str]] = []
        for m in re.finditer(r"\{\{|\}\}|\{([^{}]+)\}|[^{}]+|[{}]", text):
            tok = m.group(0)
            if tok in ("{{", "}}"):
                parts.append((False, tok[0]))
            elif m.group(1) is not None:
                parts.append((True, m.group(1).strip()))
            elif tok in ("{", "}"):
                raise ValueError(f"unbalanced brace in template {text!r}")
            else:
                parts.append((False, tok))
        return cls(parts)

    @property
    def fields(self) -> list[str]:
        return [t for is_field, t in self.parts if is_field]


def _field_values(values: Values, name: str, required: bool) -> list[str] | None:
    """The value(s) of a field as strings; None if absent and optional."""
    v = values.get(name)
    if v is None or v == "" or v == []:
        if required:
            raise FieldError(f"missing required field {name!r}", name, empty=True)
        return None
    if isinstance(v, list):
        out = []
        for item in v:
            if isinstance(item, dict | list):
                raise FieldError(f"field {name!r} must be a value or a list of values", name)
            out.append(_as_text(item))
        return out
    if isinstance(v, dict):
        raise FieldError(f"field {name!r} must be a value or a list of values, not a mapping",
                         name)
    return [_as_text(v)]


def _render(template: Template, values: Values, required: bool,
            piece: Callable[[str], str] | None) -> list[str] | None:
    """All strings a template yields (a list field multiplies them); None if a field is empty."""
    results = [""]
    for is_field, text in template.parts:
        if not is_field:
            results = [r + text for r in results]
            continue
        got = _field_values(values, text, required)
        if got is None:
            return None
        if piece is not None:
            got = [piece(g) for g in got]
        results = [r + g for r in results for g in got]
    return results


@dataclass
class Registry:
    """Keys and aliases of the entities of each kind, for references by key."""

    iris: dict[str, dict[str, str]] = field(default_factory=dict)  # kind -> norm key -> IRI
    keys: dict[str, dict[str, str]] = field(default_factory=dict)  # kind -> norm key -> key

    def add(self, kind: str, key: str, iri_: str, aliases: Iterable[str] = ()) -> None:
        table = self.iris.setdefault(kind, {})
        names = self.keys.setdefault(kind, {})
        for name in (key, *aliases):
            norm = normalise_key(name)
            if not norm:
                continue
            known = table.get(norm)
            if known is not None and known != iri_:
                if name == key:
                    raise FieldError(f"{kind} key {key!r} already names <{known}>")
                continue  # an alias shared by two entities resolves to neither by alias
            table[norm] = iri_
            names.setdefault(norm, key)

    def resolve(self, kinds: list[str], value: str) -> str:
        norm = normalise_key(value)
        for kind in kinds:
            hit = self.iris.get(kind, {}).get(norm)
            if hit is not None:
                return hit
        candidates = [k for kind in kinds for k in self.keys.get(kind, {}).values()]
        close = difflib.get_close_matches(value, sorted(set(candidates)), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise FieldError(f"unknown {' or '.join(kinds)} {value!r}{hint}")


SPEC_KEYS = {"field", "template", "const", "expr", "iri", "ref", "lang", "datatype",
             "optional", "transform", "lookup", "split", "nulls"}


class CompiledSpec:
    """One value spec (subject, graph or object) compiled to a function of a record's values.

    A value goes through, in this order: null tokens, the template (an IRI template slugs
    each field), ``split``, ``transform`` (in the order listed), ``lookup``, ``split`` again
    on what the lookup gave, then the datatype or IRI check.
    """

    def __init__(self, spec: Any, mapping: Mapping, role: str, default_iri: bool) -> None:
        if isinstance(spec, str):
            spec = {"template": spec, "iri": True} if default_iri else {"const": spec}
        if not isinstance(spec, dict):
            raise ValueError(f"a {role} must be a string or a mapping")
        spec = strip_lines(spec)
        unknown = set(spec) - SPEC_KEYS
        if unknown:
            raise ValueError(f"unknown key {sorted(unknown)[0]!r} in {role}"
                             f"{_did_you_mean(sorted(unknown)[0], SPEC_KEYS)}")
        sources = [k for k in ("field", "template", "const", "expr") if k in spec]
        if len(sources) != 1:
            raise ValueError(f"a {role} needs exactly one of field, template, const, expr")
        for key in sources:
            if spec[key] is None or isinstance(spec[key], dict | list):
                raise ValueError(f"{key} in a {role} needs a single value")
        self.mapping = mapping
        self.role = role
        self.optional = bool(spec.get("optional", False))
        self.ref: list[str] | None = None
        if "ref" in spec:
            self.ref = [spec["ref"]] if isinstance(spec["ref"], str) else list(spec["ref"])
        self.is_iri = bool(spec.get("iri", default_iri and self.ref is None))
        self.lang = check_language(spec["lang"]) if spec.get("lang") is not None else None
        self.datatype = None
        if spec.get("datatype") is not None:
            self.datatype = check_iri(mapping.expand(str(spec["datatype"])))
        if self.datatype and self.lang:
            raise ValueError(f"a {role} cannot have both lang and datatype")
        if (self.datatype or self.lang) and (self.is_iri or self.ref):
            raise ValueError(f"a {role} that is an IRI cannot have a lang or datatype")
        self.check = datatype_check(self.datatype) if self.datatype else None
        if self.datatype == XSD + "string":
            self.check = None
        self.transforms = [mapping.transform(t) for t in _as_list(spec.get("transform"))]
        if "lookup" in spec:
            self.transforms.append(mapping.transform({"lookup": spec["lookup"]}))
        self.split = str(spec["split"]) if spec.get("split") else None
        self.nulls = frozenset(str(t).strip() for t in _as_list(spec.get("nulls")))
        self.const = spec.get("const")
        self.expr: Expression | None = None
        self.fields: list[str] = []
        self.template: Template | None = None
        if "field" in spec:
            self.fields = [str(spec["field"])]
            self.template = Template([(True, str(spec["field"]))])
        elif "template" in spec:
            self.template = Template.parse(str(spec["template"]))
            self.fields = self.template.fields
        elif "expr" in spec:
            self.expr = Expression(spec["expr"])
            self.fields = self.expr.fields
            self.template = Template([(True, "@expr")])
        # an IRI template slugs each field; a plain or ref value is passed through as it is
        self.piece = slug if (self.is_iri and "template" in spec and self.ref is None) else None
        if self.is_iri and self.template is not None and self.ref is None:
            for is_field, text in self.template.parts:
                if not is_field and _IRI_BAD.search(text):
                    raise ValueError(f"the {role} template has a character not allowed in "
                                     f"IRIs: {text!r}")
        self.simple = not (self.split or self.nulls or self.expr)
        self.fn: ValueFn = self._build()

    def _build(self) -> ValueFn:
        if self.const is not None:
            term = self._term_fn()(_as_text(self.const))
            return lambda values: [term]
        slow = self._slow()
        template = self.template
        assert template is not None
        fn = (_fast_path(template, self.piece, self.transforms, self._term_fn(),
                         not self.optional, slow, self.role) if self.simple else slow)
        named = next((f for f in self.fields if not f.startswith("@")), None)

        def attributed(values: Values) -> list[str]:
            try:
                return fn(values)
            except FieldError as exc:  # point the error at the field's own line
                if exc.field is None:
                    exc.field = named
                raise

        return attributed

    def _slow(self) -> ValueFn:
        """The general path: list values, splitting, null tokens, computed values."""
        template, required, piece = self.template, not self.optional, self.piece
        transforms, split, term, nulls = self.transforms, self.split, self._term_fn(), self.nulls
        expr, fields = self.expr, self.fields
        assert template is not None

        def fn(values: Values) -> list[str]:
            if nulls:
                values = {k: ("" if isinstance(v, str) and v.strip() in nulls else v)
                          for k, v in values.items()}
            if expr is not None:
                values = {"@expr": _compute(expr, values, required)}
            if split:  # cut each field's value; a template is rendered once per piece
                values = {**values, **{f: [p.strip() for p in v.split(split) if p.strip()]
                                       for f in fields
                                       if isinstance(v := values.get(f), str) and split in v}}
            texts = _render(template, values, required, piece)
            if texts is None:
                return []
            out = []
            for t in texts:
                for f in transforms:
                    t = f(t)
                pieces = [p.strip() for p in t.split(split)] if split and transforms else [t]
                for p in pieces:
                    if p == "":
                        if not required or split:
                            continue
                        raise FieldError(f"the {self.role} is empty", empty=True)
                    out.append(term(p))
            return out

        return fn

    def _term_fn(self) -> Callable[[str], str]:
        """The function that turns a final text value into an N-Triples term."""
        if self.ref is not None:
            kinds, resolve = self.ref, self.mapping.registry.resolve
            return lambda text: "<" + resolve(kinds, text) + ">"
        if self.is_iri:
            to_iri = self.mapping.iri

            def as_iri(text: str) -> str:
                if not text:
                    raise FieldError(f"the {self.role} is empty", empty=True)
                return iri(to_iri(text))

            return as_iri
        return _literal_fn(self.check, self.lang, self.datatype)


def _literal_fn(check: Callable[[str], str] | None, lang: str | None,
                datatype: str | None) -> Callable[[str], str]:
    suffix = ""
    if lang:
        suffix = "@" + lang
    elif datatype and datatype != XSD + "string":
        suffix = "^^<" + datatype + ">"
    if check is None:
        return lambda text: quoted(text) + suffix

    def checked(text: str) -> str:
        try:
            return quoted(check(text)) + suffix
        except ValueError as exc:
            raise FieldError(str(exc), value=text) from None

    return checked


def _compute(expr: Expression, values: Values, required: bool) -> str:
    try:
        return as_text(expr.evaluate(values))
    except Missing:
        if required:
            raise FieldError(f"{expr.text!r} needs a value in each of "
                             f"{', '.join(expr.fields)} ({expr.describe(values)})",
                             empty=True) from None
        return ""
    except ValueError as exc:
        raise FieldError(str(exc)) from None


def _fast_path(template: Template, piece: Callable[[str], str] | None,
               transforms: list[Callable[[str], str]], term: Callable[[str], str],
               required: bool, slow: ValueFn, role: str = "value") -> ValueFn:
    """Generate a function for the common case (every field a non-empty string).

    Anything else (a list, a number, a missing field) takes the general path, so the
    generated code only has to be right for plain strings.
    """
    env: dict[str, Any] = {"slow": slow, "term": term, "piece": piece, "str": str}
    names, pieces = [], []
    for i, (is_field, text) in enumerate(template.parts):
        if is_field:
            var = f"v{len(names)}"
            names.append((var, text))
            pieces.append(f"piece({var})" if piece else var)
        else:
            env[f"c{i}"] = text
            pieces.append(f"c{i}")
    lines = ["def fn(values):"]
    for var, name in names:
        lines.append(f"    {var} = values.get({name!r})")
    cond = " and ".join(f"type({var}) is str and {var}" for var, _ in names) or "True"
    lines.append(f"    if {cond}:")
    lines.append(f"        t = {' + '.join(pieces) or repr('')}")
    for i, f in enumerate(transforms):
        env[f"f{i}"] = f
        lines.append(f"        t = f{i}(t)")
    if transforms:
        env["empty"] = FieldError(f"the {role} is empty", empty=True)
        lines.append("        if t == '':")
        lines.append("            return []" if not required else "            raise empty")
    lines.append("        return [term(t)]")
    lines.append("    return slow(values)")
    exec("\n".join(lines), env)  # noqa: S102 - code built from our own templates only
    return env["fn"]


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _did_you_mean(name: str, known: Iterable[str]) -> str:
    """A hint naming the closest known name, compared without case."""
    folded: dict[str, str] = {}
    for k in sorted(set(map(str, known))):
        folded.setdefault(k.casefold(), k)
    close = difflib.get_close_matches(str(name).casefold(), list(folded), n=1, cutoff=0.6)
    return f" (did you mean {folded[close[0]]!r}?)" if close else ""


# --- conditions, checks and unpivot -------------------------------------------------------

Condition = Callable[[Values], bool]
CONDITION_KEYS = ("equals", "in", "not_in", "empty", "not_empty", "regex", "not")


def _cell(values: Values, name: str) -> str:
    v = values.get(name)
    if v is None:
        return ""
    return _as_text(v).strip()


def compile_condition(name: str, spec: Any) -> Condition:
    """A ``when`` condition on one field: a value (equal after trimming) or a mapping."""
    if isinstance(spec, dict):
        spec = strip_lines(spec)
        if len(spec) != 1 or next(iter(spec)) not in CONDITION_KEYS:
            raise ValueError(f"a condition on {name!r} is a value or one of "
                             f"{', '.join(CONDITION_KEYS)}")
        (op, arg), = spec.items()
        if op == "equals":
            return compile_condition(name, arg)
        if op in ("in", "not_in"):
            allowed = {_as_text(a).strip() for a in _as_list(arg)}
            if op == "in":
                return lambda values: _cell(values, name) in allowed
            return lambda values: _cell(values, name) not in allowed
        if op in ("empty", "not_empty"):
            want = bool(arg) == (op == "empty")
            return lambda values: (_cell(values, name) == "") == want
        if op == "regex":
            try:
                pattern = re.compile(str(arg))
            except re.error as exc:
                raise ValueError(f"bad regex {arg!r} for {name!r}: {exc}") from None
            return lambda values: pattern.fullmatch(_cell(values, name)) is not None
        inner = compile_condition(name, arg)
        return lambda values: not inner(values)
    if isinstance(spec, list):
        raise ValueError(f"a condition on {name!r} that lists values needs 'in:'")
    want = "" if spec is None else _as_text(spec).strip()
    return lambda values: _cell(values, name) == want


@dataclass
class RowCheck:
    expr: Expression
    skip: bool  # skip the row (and count it) instead of reporting an error


@dataclass
class Unpivot:
    """Run a rule once per item; each of ``fields`` reads the column its template names."""

    items: list[str]
    var: str
    fields: dict[str, Template]

    def columns(self) -> list[str]:
        return [self.column(t, item) for item in self.items for t in self.fields.values()]

    def column(self, template: Template, item: str) -> str:
        return "".join(item if (f and t == self.var) else t for f, t in template.parts)

    def expand(self, values: Values) -> Iterable[Values]:
        for item in self.items:
            row = dict(values)
            row[self.var] = item
            filled = False
            for name, template in self.fields.items():
                col = self.column(template, item)
                v = values.get(col, "")
                row[name] = v
                row["@column:" + name] = col
                filled = filled or (v not in (None, "") and str(v).strip() != "")
            if filled:
                yield row


def _compile_unpivot(raw: Any) -> Unpivot:
    raw = strip_lines(raw)
    if not isinstance(raw, dict) or not {"each", "as", "fields"} <= set(raw):
        raise ValueError("'unpivot' needs each (a list, or from/to numbers), as and fields")
    each = raw["each"]
    if isinstance(each, dict):
        try:
            items = [str(n) for n in range(int(each["from"]), int(each["to"]) + 1)]
        except (KeyError, TypeError, ValueError):
            raise ValueError("'unpivot: each' as a range needs integer from and to") from None
    else:
        items = [_as_text(x) for x in _as_list(each)]
    fields = raw["fields"]
    if not isinstance(fields, dict) or not fields:
        raise ValueError("'unpivot: fields' maps field names to column templates")
    var = str(raw["as"])
    compiled = {str(k): Template.parse(str(v)) for k, v in fields.items()}
    for name, template in compiled.items():
        if any(f and t != var for f, t in template.parts):
            raise ValueError(f"the column template of {name!r} may only use {{{var}}}")
    return Unpivot(items, var, compiled)


@dataclass
class Rule:
    name: str
    when: dict[str, str]
    subject: CompiledSpec
    graph: CompiledSpec | None
    predicates: list[tuple[str, CompiledSpec]]
    declares: tuple[str, Template, list[str]] | None
    fields: set[str]
    line: int
    conditions: list[Condition] = field(default_factory=list)
    checks: list[RowCheck] = field(default_factory=list)
    unpivot: Unpivot | None = None
    skip_empty: bool = False
    columns: set[str] = field(default_factory=set)  # the CSV columns the rule reads

    def matches(self, values: Values) -> bool:
        return all(c(values) for c in self.conditions)


@dataclass
class Mapping:
    """A loaded mapping file: prefixes, base, lookups, entity kinds and compiled rules."""

    path: str
    prefixes: dict[str, str]
    base: str
    lookups: dict[str, dict[str, Any]]
    registry: Registry
    rules: list[Rule] = field(default_factory=list)
    constants: list[str] = field(default_factory=list)
    concept_kinds: dict[str, str] = field(default_factory=dict)  # kind -> scheme IRI
    nulls: frozenset[str] = frozenset()  # tokens that mean "no value" in every field

    def expand(self, curie: str) -> str:
        if not isinstance(curie, str):
            raise ValueError(f"{curie!r} is not a prefixed name or IRI")
        full = expand(curie, self.prefixes)
        if full is None:
            raise ValueError(f"unknown prefix in {curie!r}")
        return full

    def iri(self, text: str) -> str:
        """Expand a CURIE, keep an absolute IRI, or resolve a relative one against the base."""
        if not isinstance(text, str):
            raise ValueError(f"{text!r} is not a prefixed name or IRI")
        if "://" in text or text.startswith("urn:"):
            return text
        prefix, sep, _ = text.partition(":")
        if sep and "/" not in prefix:
            if prefix not in self.prefixes:
                raise FieldError(f"unknown prefix {prefix!r} in {text!r}")
            return self.prefixes[prefix] + text[len(prefix) + 1:]
        return self.base + text

    def transform(self, spec: Any) -> Callable[[str], str]:
        if isinstance(spec, str):
            if spec not in SIMPLE_TRANSFORMS:
                raise ValueError(f"unknown transform {spec!r} (known: "
                                 f"{', '.join(sorted(SIMPLE_TRANSFORMS))}, date, lookup, replace)")
            return SIMPLE_TRANSFORMS[spec]
        if isinstance(spec, dict) and len(strip_lines(spec)) == 1:
            (name, arg), = strip_lines(spec).items()
            if name == "date":
                if isinstance(arg, dict):  # {from: [formats], to: format}
                    return _date_parser(_as_list(arg.get("from")), str(arg.get("to", "%Y-%m-%d")))
                return _date_parser(_as_list(arg))
            if name == "replace" and isinstance(arg, list) and len(arg) == 2:
                return _replace(str(arg[0]), str(arg[1]))
            if name == "lookup":
                if arg not in self.lookups:
                    raise ValueError(f"unknown lookup table {arg!r}"
                                     f"{_did_you_mean(arg, self.lookups)}")
                return _lookup(arg, self.lookups[arg])
        raise ValueError(f"unknown transform {spec!r}")

    @property
    def kinds(self) -> set[str]:
        return {r.when["kind"] for r in self.rules if "kind" in r.when}


def _lookup(name: str, table: dict[str, Any]) -> Callable[[str], str]:
    exact = {str(k): _as_text(v) for k, v in table.items()}
    folded = {str(k).strip().casefold(): _as_text(v) for k, v in table.items()}
    default = exact.get("*")
    keys = [k for k in exact if k != "*"]

    def look(v: str) -> str:
        hit = exact.get(v)
        if hit is None:
            hit = folded.get(v.strip().casefold(), default)
        if hit is None:
            shown = ", ".join(keys[:8]) + (f", ... ({len(keys)} keys)" if len(keys) > 8 else "")
            raise FieldError(f"{v!r} is not in lookup table {name!r}{_did_you_mean(v, keys)} "
                             f"(keys: {shown}; add \"*\" for a default)", value=v)
        return hit

    return look


def compile_row_function(rule: Rule, mapping: Mapping) -> Callable[[Values], list | None]:
    """Generate one function that builds all of a rule's triples for a plain record.

    It reads each field once and builds every term inline. It returns None when a record is
    not plain (a list value, a number, a partly filled optional template), and the caller
    then takes the general path, so only plain strings need to be right here.
    """
    env: dict[str, Any] = {"slug": slug, "lit": quoted}
    variables: dict[str, str] = {}

    def var(name: str) -> str:
        if name not in variables:
            variables[name] = f"a{len(variables)}"
        return variables[name]

    def raw_expr(spec: CompiledSpec, key: str) -> str:
        assert spec.template is not None
        parts = []
        for i, (is_field, text) in enumerate(spec.template.parts):
            if is_field:
                parts.append(f"slug({var(text)})" if spec.piece else var(text))
            else:
                env[f"{key}c{i}"] = text
                parts.append(f"{key}c{i}")
        return " + ".join(parts) or "''"

    def term_lines(spec: CompiledSpec, key: str, indent: str) -> tuple[list[str], str]:
        """Statements that leave the raw value in t, and the term expression built from t."""
        if spec.const is not None:
            env[f"{key}k"] = spec._term_fn()(_as_text(spec.const))
            return [], f"{key}k"
        if not spec.simple:
            raise ValueError("split, nulls and computed values take the general path")
        assert spec.template is not None
        parts = spec.template.parts
        if (spec.is_iri and spec.ref is None and spec.piece is slug and parts
                and not parts[0][0] and any(f for f, _ in parts) and not spec.transforms):
            # a slugged IRI template: resolve its constant head once, at compile time
            env[f"{key}h"] = "<" + check_iri(mapping.iri(parts[0][1]) + "x")[:-1]
            rest = [f"slug({var(t)})" if f else repr(t) for f, t in parts[1:]]
            return [], " + ".join([f"{key}h", *rest, "'>'"])
        stmts = [f"{indent}t = {raw_expr(spec, key)}"]
        for k, f in enumerate(spec.transforms):
            env[f"{key}f{k}"] = f
            stmts.append(f"{indent}t = {key}f{k}(t)")
        if spec.is_iri or spec.ref is not None:
            env[f"{key}t"] = spec._term_fn()
            return stmts, f"{key}t(t)"
        if spec.check is not None:  # a ValueError sends the row to the general path
            env[f"{key}x"] = spec.check
            stmts.append(f"{indent}t = {key}x(t)")
        suffix = ""
        if spec.lang:
            suffix = "@" + spec.lang
        elif spec.datatype and spec.datatype != XSD + "string":
            suffix = "^^<" + spec.datatype + ">"
        env[f"{key}u"] = suffix
        # quoted(t), inlined for the common case of text with nothing to escape
        return stmts, (f"('\"' + t + '\"' if t.isprintable() and '\"' not in t and '\\\\' "
                       f"not in t else lit(t)) + {key}u")

    body: list[str] = []
    required: list[str] = []
    stmts, subject = term_lines(rule.subject, "s", "    ")
    required += [var(f) for f in rule.subject.fields]
    if rule.subject.transforms:  # the general path names the empty value
        stmts += ["    if t == '':", "        return None"]
    body += stmts + [f"    s = {subject}", "    out = []"]
    for n, (pred, spec) in enumerate(rule.predicates):
        key = f"p{n}"
        env[f"{key}p"] = " " + pred + " "
        vs = [var(f) for f in spec.fields]
        if spec.optional and vs:
            cond = " and ".join(f"type({v}) is str and {v}" for v in vs)
            stmts, term = term_lines(spec, key, "        ")
            body.append(f"    if {cond}:")
            body += stmts
            if spec.transforms:
                body.append("        if t != '':")
                body.append(f"            out.append(s + {key}p + {term})")
            else:
                body.append(f"        out.append(s + {key}p + {term})")
            others = ", ".join(vs)
            body.append(f"    elif any(type(x) is not str and x is not None for x in ({others},)):")
            body.append("        return None")
        else:
            required += vs
            stmts, term = term_lines(spec, key, "    ")
            body += stmts
            if spec.transforms and spec.const is None:
                body.append("    if t == '':")  # the general path names the empty value
                body.append("        return None")
            body.append(f"    out.append(s + {key}p + {term})")
    lines = ["def row(values):", "    get = values.get"]
    lines += [f"    {v} = get({name!r})" for name, v in variables.items()]
    if required:
        cond = " and ".join(f"type({v}) is str and {v}" for v in dict.fromkeys(required))
        lines += [f"    if not ({cond}):", "        return None"]
    lines += ["    try:"] + ["    " + b for b in body] + ["        return out",
                                                           "    except ValueError:",
                                                           "        return None"]
    exec("\n".join(lines), env)  # noqa: S102 - code built from the mapping's own templates
    return env["row"]


RULE_KEYS = {"name", "when", "subject", "graph", "class", "properties", "declares", "fields",
             "check", "unpivot", "skip_empty"}
TOP_KEYS = ("prefixes", "base", "lookups", "entities", "nulls", "rules", "triples")
_PREFIX_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")


def load_mapping(path: Path, registry: Registry | None = None) -> Mapping:
    """Load and compile a mapping file; errors name the file and line.

    Every value that reaches the output (base, prefixes, language tags, datatypes, the
    constant parts of IRI templates) is checked here, so no mapping can write invalid RDF.
    """
    doc = load_yaml(path)
    if not isinstance(doc, dict):
        raise PeaceldError("a mapping file is a mapping with 'rules'", file=path, line=1)
    lines = doc.get("__lines__", {})
    for key in doc:
        if key not in (*TOP_KEYS, "__line__", "__lines__"):
            raise PeaceldError(f"unknown key {key!r}{_did_you_mean(key, TOP_KEYS)} (expected "
                               f"{', '.join(TOP_KEYS)})", file=path, line=lines.get(key))
    prefixes = dict(PREFIXES)
    own = strip_lines(doc.get("prefixes") or {})
    if not isinstance(own, dict):
        raise PeaceldError("'prefixes' maps names to namespace IRIs", file=path,
                           line=lines.get("prefixes"))
    for name, ns in own.items():
        try:
            if not _PREFIX_NAME.fullmatch(str(name)):
                raise ValueError(f"{name!r} is not a prefix name (a letter, then letters, "
                                 "digits, '_', '-' or '.')")
            prefixes[str(name)] = check_iri(str(ns))
        except ValueError as exc:
            raise PeaceldError(f"prefix {name!r}: {exc}", file=path,
                               line=(doc["prefixes"].get("__lines__") or {}).get(name)) from None
    base = str(doc.get("base", "https://w3id.org/peaceld/id/"))
    try:
        check_iri(base)
    except ValueError as exc:
        raise PeaceldError(f"base: {exc}", file=path, line=lines.get("base")) from None
    lookups = strip_lines(doc.get("lookups") or {})
    if not isinstance(lookups, dict) or not all(isinstance(t, dict) for t in lookups.values()):
        raise PeaceldError("'lookups' maps table names to tables (key: value)", file=path,
                           line=lines.get("lookups"))
    mapping = Mapping(str(path), prefixes, base, lookups, registry or Registry())
    nulls = strip_lines(doc.get("nulls"))
    if nulls is not None:
        if isinstance(nulls, dict) or any(isinstance(t, dict | list) for t in _as_list(nulls)):
            raise PeaceldError("'nulls' is a list of values that mean 'no value' (e.g. "
                               "[NA, unknown, '?'])", file=path, line=lines.get("nulls"))
        mapping.nulls = frozenset(_as_text(t).strip() for t in _as_list(nulls))
    entities = doc.get("entities") or {}
    if not isinstance(entities, dict):
        raise PeaceldError("'entities' maps kinds to {scheme: ...}", file=path,
                           line=lines.get("entities"))
    for kind, spec in entities.items():
        if kind in ("__line__", "__lines__"):
            continue
        if not isinstance(spec, dict) or "scheme" not in spec:
            raise PeaceldError(f"entity kind {kind!r} needs a 'scheme'", file=path,
                               line=entities["__lines__"].get(kind))
        try:
            mapping.concept_kinds[kind] = mapping.expand(spec["scheme"])
        except ValueError as exc:
            raise PeaceldError(f"entity kind {kind!r}: {exc}", file=path,
                               line=entities["__lines__"].get(kind)) from None
    for key in ("rules", "triples"):
        if not isinstance(doc.get(key) or [], list):
            raise PeaceldError(f"'{key}' is a list" + (" of rules, each a mapping with "
                               "'subject'" if key == "rules" else " of [s, p, o] triples"),
                               file=path, line=lines.get(key))
    for raw in doc.get("rules") or []:
        line = raw.get("__line__") if isinstance(raw, dict) else lines.get("rules")
        if not isinstance(raw, dict):
            raise PeaceldError("rule: each rule is a mapping with 'subject'", file=path,
                               line=line)
        try:
            mapping.rules.append(_compile_rule(raw, mapping))
        except (ValueError, FieldError) as exc:
            raise PeaceldError(f"rule: {exc}", file=path, line=line) from None
        except (AttributeError, TypeError, KeyError) as exc:  # a value of the wrong shape
            raise PeaceldError(f"rule: a value has the wrong form ({exc})", file=path,
                               line=line) from None
    for raw in doc.get("triples") or []:
        try:
            if not isinstance(raw, list) or len(raw) != 3:
                raise ValueError("each constant triple is a list [subject, predicate, object]")
            s, p, o = (strip_lines(x) for x in raw)
            obj = CompiledSpec(o, mapping, "object", default_iri=False).fn({})[0]
            mapping.constants.append(f"{iri(mapping.iri(s))} {iri(mapping.iri(p))} {obj} .\n")
        except (ValueError, TypeError, FieldError) as exc:
            raise PeaceldError(f"constant triple: {exc}", file=path,
                               line=lines.get("triples")) from None
    return mapping


def _compile_rule(raw: Any, mapping: Mapping) -> Rule:
    if not isinstance(raw, dict):
        raise ValueError("each rule must be a mapping")
    unknown = set(raw) - RULE_KEYS - {"__line__", "__lines__"}
    if unknown:
        name = sorted(unknown)[0]
        raise ValueError(f"unknown key {name!r}{_did_you_mean(name, RULE_KEYS)}")
    if "subject" not in raw:
        raise ValueError("a rule needs a 'subject'")
    subject = CompiledSpec(raw["subject"], mapping, "subject", default_iri=True)
    if not subject.is_iri and subject.ref is None:
        raise ValueError("a subject must be an IRI")
    graph = CompiledSpec(raw["graph"], mapping, "graph", True) if raw.get("graph") else None
    predicates: list[tuple[str, CompiledSpec]] = []
    for cls in _as_list(strip_lines(raw.get("class"))):
        spec = cls if isinstance(cls, dict) else {"const": cls, "iri": True}
        predicates.append((RDF_TYPE, CompiledSpec(spec, mapping, "class", True)))
    props = raw.get("properties") or {}
    for pred, specs in props.items():
        if pred in ("__line__", "__lines__"):
            continue
        p = iri(mapping.iri(str(pred)))
        for spec in _as_list(specs):
            predicates.append((p, CompiledSpec(spec, mapping, f"object of {pred}", False)))
    declares = None
    if raw.get("declares"):
        d = strip_lines(raw["declares"])
        if not isinstance(d, dict) or "kind" not in d or "key" not in d:
            raise ValueError("'declares' needs a kind and a key template")
        declares = (d["kind"], Template.parse(d["key"]), _as_list(d.get("aliases")))
    fields: set[str] = set(subject.fields)
    if graph:
        fields |= set(graph.fields)
    for _, spec in predicates:
        fields |= set(spec.fields)
    if declares:
        fields |= set(declares[1].fields) | set(declares[2])
    fields |= set(_as_list(strip_lines(raw.get("fields"))))
    raw_when = strip_lines(raw.get("when") or {})
    if not isinstance(raw_when, dict):
        raise ValueError("'when' maps field names to conditions")
    when = {"kind": str(raw_when["kind"])} if "kind" in raw_when else {}
    conditions = [compile_condition(str(k), v) for k, v in raw_when.items() if k != "kind"]
    fields |= {str(k) for k in raw_when}
    checks = []
    for item in _as_list(strip_lines(raw.get("check"))):
        if isinstance(item, dict):
            if "expr" not in item or set(item) - {"expr", "skip"}:
                raise ValueError("a check is an expression, or {expr: ..., skip: true}")
            checks.append(RowCheck(Expression(item["expr"]), bool(item.get("skip"))))
        else:
            checks.append(RowCheck(Expression(item), False))
    for c in checks:
        fields |= set(c.expr.fields)
    unpivot = _compile_unpivot(raw["unpivot"]) if raw.get("unpivot") else None
    columns = {f for f in fields if not f.startswith("@")}
    if unpivot is not None:
        columns -= {unpivot.var, *unpivot.fields}
        columns |= set(unpivot.columns())
    return Rule(str(raw.get("name", when.get("kind", "rule"))), when, subject, graph, predicates,
                declares, fields, raw.get("__line__", 0), conditions, checks, unpivot,
                bool(raw.get("skip_empty", False)), columns)


# --- running -----------------------------------------------------------------------------


@dataclass
class MapStats:
    records: int = 0
    quads: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)  # rule -> rows skipped

    def add(self, other: MapStats) -> None:
        """Add another run's counts to these."""
        self.records += other.records
        self.quads += other.quads
        for name, n in other.by_kind.items():
            self.by_kind[name] = self.by_kind.get(name, 0) + n
        for name, n in other.skipped.items():
            self.skipped[name] = self.skipped.get(name, 0) + n

    def summary(self) -> str:
        """One line: records, triples and the rows each rule skipped."""
        line = f"mapped {self.records} records to {self.quads} triples"
        if self.skipped:
            line += f"; skipped {sum(self.skipped.values())} row(s) (" + ", ".join(
                f"{rule}: {n}" for rule, n in sorted(self.skipped.items())) + ")"
        return line


class Mapper:
    """Runs one mapping over input files, writing N-Quads (or N-Triples) lines."""

    def __init__(self, mapping: Mapping) -> None:
        self.mapping = mapping
        self.kinds = mapping.kinds
        self.rules_by_kind: dict[str | None, list[Rule]] = {}
        for rule in mapping.rules:
            self.rules_by_kind.setdefault(rule.when.get("kind"), []).append(rule)
        self.allowed: dict[str, set[str]] = {}
        for rule in mapping.rules:
            if "kind" in rule.when:
                self.allowed.setdefault(rule.when["kind"], {"kind"}).update(rule.fields)
        plain = self.rules_by_kind.get(None, [])
        self.unconditional = plain if plain and all(
            not r.conditions and not r.checks for r in plain) else None
        self.errors: list[PeaceldError] = []
        self._seen: set[str] = set()
        self.stats = MapStats()
        self.header_checked = False
        self.header: list[str] = []

    def check_header(self, header: list[str], file: str | Path) -> None:
        """Every column the mapping reads must be in a CSV header (optional ones too)."""
        if self.kinds:
            return
        self.header_checked = True
        self.header = header
        have = set(header)
        errors = []
        for rule in self.mapping.rules:
            for col in sorted(rule.columns - have):
                errors.append(PeaceldError(
                    f"column {col!r} (rule {rule.name!r}, line {rule.line} of "
                    f"{Path(self.mapping.path).name}) is not in the header"
                    f"{_did_you_mean(col, header)}; the header has: "
                    + ", ".join(header[:30]) + (" ..." if len(header) > 30 else ""),
                    file=str(file), line=1))
        if errors:
            unique = {str(e): e for e in errors}
            raise MappingErrors(list(unique.values()))

    # records -> rules
    def _rules_for(self, rec: Record) -> list[Rule]:
        values = rec.values
        if not self.kinds:
            if self.unconditional:
                return self.unconditional
            rules = self.rules_by_kind.get(None, [])
        else:
            kind = values.get("kind")
            if kind is None:
                raise FieldError("missing 'kind'", "kind")
            if kind not in self.kinds:
                raise FieldError(f"unknown kind {kind!r}{_did_you_mean(kind, self.kinds)}",
                                 "kind")
            for name in values:
                if name not in self.allowed[kind] and not name.startswith("@"):
                    raise FieldError(f"unknown field {name!r} for kind {kind!r}"
                                     f"{_did_you_mean(name, self.allowed[kind])}", name)
            rules = self.rules_by_kind.get(kind, []) + self.rules_by_kind.get(None, [])
        return [r for r in rules if r.matches(values)]

    def _fail(self, rec: Record, exc: FieldError | PeaceldError,
              values: Values | None = None) -> None:
        if not isinstance(exc, PeaceldError):
            message = str(exc)
            if rec.field_lines is None:  # a CSV row: name the column
                col = exc.field
                if values is not None and col and "@column:" + col in values:
                    col = values["@column:" + col]
                if (col is None or col not in rec.values) and exc.value is not None:
                    col = next((k for k, v in rec.values.items()
                                if isinstance(v, str) and v.strip() == exc.value.strip()), col)
                if col in rec.values and not col.startswith("@"):
                    number = list(rec.values).index(col) + 1
                    message = f"column {number} {col!r}: {message}"
                line = rec.line
            else:
                line = rec.line_of(exc.field) if exc.field else rec.line
            exc = PeaceldError(message, file=rec.file, line=line)
        key = str(exc)
        if key in self._seen:  # the declare pass and the emit pass meet the same problem
            return
        self._seen.add(key)
        self.errors.append(exc)
        if len(self.errors) >= ERROR_STOP:
            raise MappingErrors(self.errors, stopped=True)

    def _prepare(self, rec: Record, index: int) -> Values:
        values = rec.values
        nulls = self.mapping.nulls
        if nulls:
            for k, v in values.items():
                if type(v) is str and v.strip() in nulls:
                    values[k] = ""
        if rec.meta:
            for k, v in rec.meta.items():
                values["@" + k] = v
        values["@line"] = rec.line
        values["@index"] = index
        return values

    def _start(self, rec: Record) -> None:
        if not self.header_checked and rec.field_lines is None and not self.kinds:
            self.check_header([k for k in rec.values if not k.startswith("@")], rec.file)

    def declare(self, records: Iterable[Record]) -> None:
        """First pass: register every entity the records declare, with its aliases."""
        registry = self.mapping.registry
        for i, rec in enumerate(records):
            self._start(rec)
            try:
                rules = self._rules_for(rec)
                values = self._prepare(rec, i)
                for rule in rules:
                    if rule.declares is None:
                        continue
                    kind, key_t, alias_fields = rule.declares
                    for row in (rule.unpivot.expand(values) if rule.unpivot else [values]):
                        keys = _render(key_t, row, True, None) or []
                        try:
                            subjects = rule.subject.fn(row)
                        except FieldError as exc:
                            if exc.empty and rule.skip_empty:
                                continue
                            raise
                        aliases = [a for f in alias_fields
                                   for a in (_field_values(row, f, False) or [])]
                        for key, subj in zip(keys, subjects, strict=False):
                            registry.add(kind, key, subj[1:-1], aliases)
            except FieldError as exc:
                self._fail(rec, exc)
        self.header_checked = False

    def _lines(self, rule: Rule, values: Values, row: Callable | None) -> list[str]:
        """The 's p o' strings of one rule for one record."""
        lines = row(values) if row is not None else None
        if lines is not None:
            return lines
        subjects = rule.subject.fn(values)
        lines = []
        if subjects:
            for pred, spec in rule.predicates:
                p = " " + pred + " "
                objs = spec.fn(values)
                for s in subjects:
                    lines += [s + p + o for o in objs]
        return lines

    def _run_checks(self, rule: Rule, values: Values) -> bool:
        """Whether the row passes the rule's checks; a failed check is an error or a skip."""
        for check in rule.checks:
            try:
                ok = check.expr.evaluate(values)
            except Missing:
                continue  # a check with an empty operand is not evaluated
            except ValueError as exc:
                raise FieldError(f"check {check.expr.text!r}: {exc}") from None
            if not ok:
                if check.skip:
                    return False
                raise FieldError(f"check failed: {check.expr.text} "
                                 f"({check.expr.describe(values)})")
        return True

    def _skip(self, rule: Rule) -> None:
        self.stats.skipped[rule.name] = self.stats.skipped.get(rule.name, 0) + 1

    def _rule_lines(self, rule: Rule, values: Values, row: Callable | None,
                    with_graphs: bool) -> tuple[list[str], list[str] | None]:
        if rule.checks and not self._run_checks(rule, values):
            self._skip(rule)
            return [], None
        try:
            lines = self._lines(rule, values, row)
        except FieldError as exc:
            if not (exc.empty and rule.skip_empty):
                raise
            try:  # skip only when the subject itself is empty
                rule.subject.fn(values)
            except FieldError as sub:
                if sub.empty:
                    self._skip(rule)
                    return [], None
            raise
        graphs = rule.graph.fn(values) if (lines and rule.graph and with_graphs) else None
        return lines, graphs

    def emit(self, records: Iterable[Record], out: TextIO, with_graphs: bool = True,
             constants: bool = True) -> None:
        """Second pass: write one N-Quads line per triple (graph dropped if not with_graphs).

        The mapping's constant triples follow, unless ``constants`` is false (a part of a
        file mapped in parallel).
        """
        rows: dict[int, Callable | None] = {}
        for rule in self.mapping.rules:
            plain = (rule.graph is None or not with_graphs) and not rule.skip_empty
            try:
                rows[id(rule)] = compile_row_function(rule, self.mapping) if plain else None
            except ValueError:
                rows[id(rule)] = None
        counts: dict[str, int] = {}
        buffer: list[str] = []
        write = out.write
        for i, rec in enumerate(records):
            mark = len(buffer)
            self._start(rec)
            values: Values | None = None
            try:
                rules = self._rules_for(rec)
                values = self._prepare(rec, i)
                for rule in rules:
                    fast = rows[id(rule)]
                    if fast is not None and rule.unpivot is None and not rule.checks:
                        lines = fast(values)
                        if lines is not None:  # a plain row of a plain rule
                            if lines:
                                buffer.append(" .\n".join(lines) + " .\n")
                                counts[rule.name] = counts.get(rule.name, 0) + len(lines)
                            continue
                    for row in (rule.unpivot.expand(values) if rule.unpivot else (values,)):
                        values = row
                        lines, graphs = self._rule_lines(rule, row, rows[id(rule)],
                                                         with_graphs)
                        if not lines:
                            continue
                        if graphs:
                            for g in graphs:
                                end = " " + g + " .\n"
                                buffer.append(end.join(lines) + end)
                            n = len(lines) * len(graphs)
                        else:
                            buffer.append(" .\n".join(lines) + " .\n")
                            n = len(lines)
                        counts[rule.name] = counts.get(rule.name, 0) + n
                self.stats.records += 1
            except FieldError as exc:
                del buffer[mark:]
                self._fail(rec, exc, values)
            if len(buffer) > 2048:
                write("".join(buffer))
                buffer.clear()
        write("".join(buffer))
        self.header_checked = False
        for line in self.mapping.constants if constants else ():
            write(line)
            counts["(constant)"] = counts.get("(constant)", 0) + 1
        for name, n in counts.items():
            self.stats.by_kind[name] = self.stats.by_kind.get(name, 0) + n
            self.stats.quads += n

    def finish(self) -> None:
        if self.errors:
            raise MappingErrors(self.errors)


def register_concepts(mapping: Mapping, ontology: list[Any]) -> None:
    """Make the SKOS concepts of the ontology referable by notation and label."""
    if not mapping.concept_kinds:
        return
    import pyoxigraph as ox

    skos = PREFIXES["skos"]
    store = ox.Store()
    store.extend(ontology)
    for kind, scheme in mapping.concept_kinds.items():
        rows = store.query(
            f"""SELECT ?c ?n ?l WHERE {{ GRAPH ?g {{ ?c <{skos}inScheme> <{scheme}> ;
                    <{skos}notation> ?n .
                OPTIONAL {{ ?c <{skos}prefLabel>|<{skos}altLabel> ?l }} }} }}
                ORDER BY ?c ?l""")
        for row in rows:
            aliases = [row["l"].value] if row["l"] is not None else []
            mapping.registry.add(kind, row["n"].value, row["c"].value, aliases)


def open_mapping(path: Path, ontology: list[Any]) -> Mapping:
    """Load a mapping file, its concept references resolved against the ontology's quads."""
    mapping = load_mapping(path)
    register_concepts(mapping, ontology)
    return mapping


def run_mapping(mapping: Mapping, files: list[Path], out: TextIO, *, with_graphs: bool = True,
                fmt: str | None = None) -> MapStats:
    """Map files with one mapping (a declare pass first when rules declare entities; large
    CSV files on every core). Raises MappingErrors listing every bad record."""
    mapper = Mapper(mapping)
    workers = os.cpu_count() or 1
    try:
        declares = any(r.declares for r in mapping.rules)
        if declares:
            for path in files:
                mapper.declare(read_records(path, fmt))
        for path in files:
            big = (workers > 1 and not declares and (fmt or path.suffix.lower()) in ("csv", ".csv")
                   and path.stat().st_size >= PARALLEL_MIN_BYTES)
            if big:
                part = map_csv_parallel(mapping, path, out, with_graphs, workers)
                mapper.errors += part.errors
                mapper.stats.add(part.stats)
            else:
                mapper.emit(read_records(path, fmt), out, with_graphs)
    except MappingErrors:
        raise
    except PeaceldError as exc:  # an unreadable file stops everything at once
        mapper.errors.append(exc)
    mapper.finish()
    return mapper.stats


def map_files(mapping_path: Path, files: list[Path], out: TextIO, *, ontology: list[Any],
              with_graphs: bool = True, fmt: str | None = None) -> MapStats:
    """Map facts or CSV files with a mapping file; ``ontology`` holds the quads whose SKOS
    concepts references may name."""
    return run_mapping(open_mapping(mapping_path, ontology), files, out,
                       with_graphs=with_graphs, fmt=fmt)


# --- parallel CSV ------------------------------------------------------------------------

PARALLEL_MIN_BYTES = 16 << 20
_JOB: tuple[Mapping, bool] | None = None


def _map_part(job: tuple[str, int, int, int, str, bool]
              ) -> tuple[MapStats, list[PeaceldError]]:
    """Worker: map one byte range of a CSV into its own file (mapping inherited by fork)."""
    from .records import csv_layout, read_csv

    assert _JOB is not None
    mapping, with_graphs = _JOB
    path, start, end, first_line, out_path, last = job
    mapper = Mapper(mapping)
    mapper.header_checked = True  # checked once, before the parts were cut
    layout = csv_layout(Path(path))
    with open(out_path, "w", encoding="utf-8", newline="\n") as out:
        try:
            mapper.emit(read_csv(Path(path), start=start, end=end, first_line=first_line,
                                 layout=layout), out, with_graphs,
                         constants=last)
        except MappingErrors:
            pass
        except PeaceldError as exc:
            mapper.errors.append(exc)
    return mapper.stats, mapper.errors


def map_csv_parallel(mapping: Mapping, path: Path, out: TextIO, with_graphs: bool,
                     workers: int) -> Mapper:
    """Map a large CSV on several cores; the output is the same as a one-process run.

    The file is cut at record boundaries, each part is mapped by a forked worker into a
    temporary file, and the parts are copied to ``out`` in order.
    """
    import multiprocessing
    import tempfile

    from .records import csv_layout, split_csv

    global _JOB
    result = Mapper(mapping)
    layout = csv_layout(path)
    if layout is None:
        return result
    result.check_header(layout.header, path)
    ranges = split_csv(path, workers, layout)
    with tempfile.TemporaryDirectory(prefix="peaceld-map-") as tmp:
        jobs = [(str(path), a, b, line, f"{tmp}/part{i}.nq", i == len(ranges) - 1)
                for i, (a, b, line) in enumerate(ranges)]
        _JOB = (mapping, with_graphs)
        try:
            with multiprocessing.get_context("fork").Pool(len(jobs)) as pool:
                parts = pool.map(_map_part, jobs)
        finally:
            _JOB = None
        for stats, errors in parts:
            result.stats.add(stats)
            result.errors += errors
        if not result.errors:
            for job in jobs:
                _append_file(Path(job[4]), out)
    return result


def _append_file(part: Path, out: TextIO) -> None:
    """Append a file to a stream; in the kernel when the stream is a real file."""
    import shutil

    try:
        fd = out.fileno()
    except (AttributeError, OSError, ValueError):
        fd = None
    if fd is not None:
        out.flush()
        with part.open("rb") as src:
            size = part.stat().st_size
            sent = 0
            try:
                while sent < size:
                    n = os.sendfile(fd, src.fileno(), sent, size - sent)
                    if n == 0:
                        break
                    sent += n
                return
            except OSError:
                if sent:
                    raise
    with part.open(encoding="utf-8", newline="") as src:
        shutil.copyfileobj(src, out, 1 << 20)

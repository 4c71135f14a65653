"""The declarative mapper: mapping files (YAML) turn records into N-Quads lines.

A mapping file says, per kind of record, which subject IRI to mint, which classes it has,
which named graph its triples go to, and how each field becomes an object. The language
(see ``docs/mapping.md``) covers IRI templates with deterministic slugs, literals with
datatype or language, optional fields, lists, references to other entities by key or alias,
value transforms, lookup tables and constant triples.

Rules are compiled once into small closures, so mapping a large CSV streams at a few hundred
thousand triples per second with flat memory.
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
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TextIO

from .errors import PeaceldError
from .namespaces import PREFIXES, expand
from .records import Record, load_yaml, read_records, strip_lines

RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
XSD = "http://www.w3.org/2001/XMLSchema#"
MAX_ERRORS = 50


class FieldError(Exception):
    """A value that cannot be mapped; the mapper adds file and line."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class MappingErrors(PeaceldError):
    """Several input errors at once; ``str()`` gives one line per error."""

    def __init__(self, errors: list[PeaceldError]) -> None:
        super().__init__(errors[0].message, errors[0].file, errors[0].line, errors[0].column)
        self.errors = errors

    def __str__(self) -> str:
        return "\n".join(PeaceldError.__str__(e) for e in self.errors)


# --- terms -------------------------------------------------------------------------------

_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
_IRI_BAD = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_SLUG_DROP = re.compile(r"[^a-z0-9_]+")


_SLUG_OK = re.compile(r"[a-z0-9_]+(?:-[a-z0-9_]+)*")


@functools.lru_cache(maxsize=1 << 16)
def slug(value: str) -> str:
    """A deterministic IRI-safe slug: ASCII, lower case, words joined by '-'."""
    if _SLUG_OK.fullmatch(value):
        return value
    text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    return _SLUG_DROP.sub("-", text.lower()).strip("-")


def iri(value: str) -> str:
    """N-Triples form of an IRI; rejects characters that are never allowed in IRIs."""
    if _IRI_BAD.search(value):
        raise FieldError(f"not a valid IRI: {value!r}")
    return "<" + value + ">"


def normalise_key(value: str) -> str:
    """How keys and aliases are compared: case, accents and punctuation do not matter."""
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode("ascii")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


# --- datatypes ---------------------------------------------------------------------------

_YEAR = re.compile(r"-?\d{4}")
_YEAR_MONTH = re.compile(r"-?\d{4}-(0[1-9]|1[0-2])")


def _check_integer(v: str) -> str:
    try:
        return str(int(v.replace("_", "x")))
    except ValueError:
        raise FieldError(f"{v!r} is not an integer") from None


def _check_decimal(v: str) -> str:
    try:
        d = Decimal(v)
    except InvalidOperation:
        raise FieldError(f"{v!r} is not a decimal number") from None
    if not d.is_finite():
        raise FieldError(f"{v!r} is not a decimal number")
    return str(d)


def _check_double(v: str) -> str:
    try:
        return repr(float(v))
    except ValueError:
        raise FieldError(f"{v!r} is not a number") from None


def _check_boolean(v: str) -> str:
    low = v.strip().lower()
    if low in ("true", "1"):
        return "true"
    if low in ("false", "0"):
        return "false"
    raise FieldError(f"{v!r} is not a boolean (true or false)")


def _check_date(v: str) -> str:
    try:
        return _dt.date.fromisoformat(v).isoformat()
    except ValueError:
        raise FieldError(f"{v!r} is not a date (YYYY-MM-DD)") from None


def _check_datetime(v: str) -> str:
    try:
        _dt.datetime.fromisoformat(v)
    except ValueError:
        raise FieldError(f"{v!r} is not a date-time (ISO 8601)") from None
    return v


def _check_year(v: str) -> str:
    if not _YEAR.fullmatch(v):
        raise FieldError(f"{v!r} is not a year (YYYY)")
    return v


def _check_year_month(v: str) -> str:
    if not _YEAR_MONTH.fullmatch(v):
        raise FieldError(f"{v!r} is not a year and month (YYYY-MM)")
    return v


DATATYPE_CHECKS: dict[str, Callable[[str], str]] = {
    XSD + "integer": _check_integer,
    XSD + "nonNegativeInteger": _check_integer,
    XSD + "positiveInteger": _check_integer,
    XSD + "decimal": _check_decimal,
    XSD + "double": _check_double,
    XSD + "boolean": _check_boolean,
    XSD + "date": _check_date,
    XSD + "dateTime": _check_datetime,
    XSD + "gYear": _check_year,
    XSD + "gYearMonth": _check_year_month,
}


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _dt.date | _dt.datetime):
        return value.isoformat()
    return str(value)


# --- transforms --------------------------------------------------------------------------


def _decimal_comma(v: str) -> str:
    """'1.234,5' -> '1234.5' (thousands dots or spaces, decimal comma)."""
    return v.replace(" ", "").replace("\u00a0", "").replace(".", "").replace(",", ".")


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
            raise FieldError(f"missing required field {name!r}", name)
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


class CompiledSpec:
    """One value spec (subject, graph or object) compiled to a function of a record's values."""

    def __init__(self, spec: Any, mapping: Mapping, role: str, default_iri: bool) -> None:
        if isinstance(spec, str):
            spec = {"template": spec, "iri": True} if default_iri else {"const": spec}
        if not isinstance(spec, dict):
            raise ValueError(f"a {role} must be a string or a mapping")
        spec = strip_lines(spec)
        allowed = {"field", "template", "const", "iri", "ref", "lang", "datatype", "optional",
                   "transform", "lookup", "split"}
        unknown = set(spec) - allowed
        if unknown:
            raise ValueError(f"unknown key {sorted(unknown)[0]!r} in {role}")
        sources = [k for k in ("field", "template", "const") if k in spec]
        if len(sources) != 1:
            raise ValueError(f"a {role} needs exactly one of field, template, const")
        self.mapping = mapping
        self.optional = bool(spec.get("optional", False))
        self.ref: list[str] | None = None
        if "ref" in spec:
            self.ref = [spec["ref"]] if isinstance(spec["ref"], str) else list(spec["ref"])
        self.is_iri = bool(spec.get("iri", default_iri and self.ref is None))
        self.lang = spec.get("lang")
        self.datatype = mapping.expand(spec["datatype"]) if "datatype" in spec else None
        if self.datatype and self.lang:
            raise ValueError(f"a {role} cannot have both lang and datatype")
        self.check = DATATYPE_CHECKS.get(self.datatype or "")
        self.transforms = [mapping.transform(t) for t in _as_list(spec.get("transform"))]
        if "lookup" in spec:
            self.transforms.append(mapping.transform({"lookup": spec["lookup"]}))
        self.split = spec.get("split")
        self.const = spec.get("const")
        self.fields: list[str] = []
        self.template: Template | None = None
        if "field" in spec:
            self.fields = [spec["field"]]
            self.template = Template([(True, spec["field"])])
        elif "template" in spec:
            self.template = Template.parse(str(spec["template"]))
            self.fields = self.template.fields
        # an IRI template slugs each field; a plain or ref value is passed through as it is
        self.piece = slug if (self.is_iri and "template" in spec and self.ref is None) else None
        if self.is_iri and "field" in spec and not self.transforms:
            self.piece = None
        self.fn: ValueFn = self._build()

    def _build(self) -> ValueFn:
        if self.const is not None:
            term = self._term_fn()(_as_text(self.const))
            return lambda values: [term]
        slow = self._slow()
        template = self.template
        assert template is not None
        fn = slow if self.split else _fast_path(template, self.piece, self.transforms,
                                                self._term_fn(), not self.optional, slow)
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
        """The general path: list values, splitting, missing fields."""
        template, required, piece = self.template, not self.optional, self.piece
        transforms, split, term = self.transforms, self.split, self._term_fn()
        assert template is not None

        def fn(values: Values) -> list[str]:
            texts = _render(template, values, required, piece)
            if texts is None:
                return []
            if split:
                texts = [p.strip() for t in texts for p in t.split(split) if p.strip()]
            out = []
            for t in texts:
                for f in transforms:
                    t = f(t)
                if t == "" and not required:
                    continue
                out.append(term(t))
            return out

        return fn

    def _term_fn(self) -> Callable[[str], str]:
        """The function that turns a final text value into an N-Triples term."""
        if self.ref is not None:
            kinds, resolve = self.ref, self.mapping.registry.resolve
            return lambda text: "<" + resolve(kinds, text) + ">"
        if self.is_iri:
            to_iri = self.mapping.iri
            return lambda text: iri(to_iri(text))
        check, suffix = self.check, ""
        if self.lang:
            suffix = "@" + self.lang
        elif self.datatype and self.datatype != XSD + "string":
            suffix = "^^<" + self.datatype + ">"
        if check is not None:
            return lambda text: '"' + check(text).translate(_ESCAPES) + '"' + suffix
        return lambda text: '"' + text.translate(_ESCAPES) + '"' + suffix


def _fast_path(template: Template, piece: Callable[[str], str] | None,
               transforms: list[Callable[[str], str]], term: Callable[[str], str],
               required: bool, slow: ValueFn) -> ValueFn:
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
    if transforms and not required:
        lines.append("        if t == '':")
        lines.append("            return []")
    lines.append("        return [term(t)]")
    lines.append("    return slow(values)")
    exec("\n".join(lines), env)  # noqa: S102 - code built from our own templates only
    return env["fn"]


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


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

    def expand(self, curie: str) -> str:
        full = expand(curie, self.prefixes)
        if full is None:
            raise ValueError(f"unknown prefix in {curie!r}")
        return full

    def iri(self, text: str) -> str:
        """Expand a CURIE, keep an absolute IRI, or resolve a relative one against the base."""
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
                    raise ValueError(f"unknown lookup table {arg!r}")
                return _lookup(arg, self.lookups[arg])
        raise ValueError(f"unknown transform {spec!r}")

    @property
    def kinds(self) -> set[str]:
        return {r.when["kind"] for r in self.rules if "kind" in r.when}


def _lookup(name: str, table: dict[str, Any]) -> Callable[[str], str]:
    exact = {str(k): _as_text(v) for k, v in table.items()}
    folded = {str(k).strip().casefold(): _as_text(v) for k, v in table.items()}
    default = exact.get("*")

    def look(v: str) -> str:
        hit = exact.get(v)
        if hit is None:
            hit = folded.get(v.strip().casefold(), default)
        if hit is None:
            known = ", ".join(k for k in exact if k != "*")
            raise FieldError(f"{v!r} is not in lookup table {name!r} (known: {known})")
        return hit

    return look


def _escape_literal(text: str) -> str:
    return '"' + text.translate(_ESCAPES) + '"'


def compile_row_function(rule: Rule, mapping: Mapping) -> Callable[[Values], list | None]:
    """Generate one function that builds all of a rule's triples for a plain record.

    It reads each field once and builds every term inline. It returns None when a record is
    not plain (a list value, a number, a partly filled optional template), and the caller
    then takes the general path, so only plain strings need to be right here.
    """
    env: dict[str, Any] = {"slug": slug, "esc": _escape_literal}
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
        assert spec.template is not None
        parts = spec.template.parts
        if (spec.is_iri and spec.ref is None and spec.piece is slug and parts
                and not parts[0][0] and not any(not f and _IRI_BAD.search(t) for f, t in parts)):
            # a slugged IRI template: resolve its constant head once, at compile time
            env[f"{key}h"] = "<" + mapping.iri(parts[0][1])
            rest = [f"slug({var(t)})" if f else repr(t) for f, t in parts[1:]]
            return [], " + ".join([f"{key}h", *rest, "'>'"])
        stmts = [f"{indent}t = {raw_expr(spec, key)}"]
        for k, f in enumerate(spec.transforms):
            env[f"{key}f{k}"] = f
            stmts.append(f"{indent}t = {key}f{k}(t)")
        if spec.is_iri or spec.ref is not None:
            env[f"{key}t"] = spec._term_fn()
            return stmts, f"{key}t(t)"
        if spec.check is not None:
            env[f"{key}x"] = spec.check
            stmts.append(f"{indent}t = {key}x(t)")
        suffix = ""
        if spec.lang:
            suffix = "@" + spec.lang
        elif spec.datatype and spec.datatype != XSD + "string":
            suffix = "^^<" + spec.datatype + ">"
        env[f"{key}u"] = suffix
        lit = ("('\"' + t + '\"' if t.isprintable() and '\"' not in t and '\\\\' not in t "
               "else esc(t))")
        return stmts, f"{lit} + {key}u"

    body: list[str] = []
    required: list[str] = []
    stmts, subject = term_lines(rule.subject, "s", "    ")
    required += [var(f) for f in rule.subject.fields]
    body += stmts + [f"    s = {subject}", "    out = []"]
    for n, (pred, spec) in enumerate(rule.predicates):
        if spec.split:
            raise ValueError("split values take the general path")
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
            body.append(f"    out.append(s + {key}p + {term})")
    lines = ["def row(values):", "    get = values.get"]
    lines += [f"    {v} = get({name!r})" for name, v in variables.items()]
    if required:
        cond = " and ".join(f"type({v}) is str and {v}" for v in dict.fromkeys(required))
        lines += [f"    if not ({cond}):", "        return None"]
    lines += body + ["    return out"]
    exec("\n".join(lines), env)  # noqa: S102 - code built from the mapping's own templates
    return env["row"]


RULE_KEYS = {"name", "when", "subject", "graph", "class", "properties", "declares", "fields"}


def load_mapping(path: Path, registry: Registry | None = None) -> Mapping:
    """Load and compile a mapping file; errors name the file and line."""
    doc = load_yaml(path)
    if not isinstance(doc, dict):
        raise PeaceldError("a mapping file is a mapping with 'rules'", file=path, line=1)
    lines = doc.get("__lines__", {})
    known_top = {"prefixes", "base", "lookups", "entities", "rules", "triples", "__line__",
                 "__lines__"}
    for key in doc:
        if key not in known_top:
            raise PeaceldError(f"unknown key {key!r} (expected prefixes, base, lookups, "
                               "entities, rules, triples)", file=path, line=lines.get(key))
    prefixes = dict(PREFIXES)
    prefixes.update(strip_lines(doc.get("prefixes") or {}))
    mapping = Mapping(str(path), prefixes, str(doc.get("base", "https://w3id.org/peaceld/id/")),
                      strip_lines(doc.get("lookups") or {}), registry or Registry())
    entities = doc.get("entities") or {}
    for kind, spec in entities.items():
        if kind in ("__line__", "__lines__"):
            continue
        if not isinstance(spec, dict) or "scheme" not in spec:
            raise PeaceldError(f"entity kind {kind!r} needs a 'scheme'", file=path,
                               line=entities["__lines__"].get(kind))
        mapping.concept_kinds[kind] = mapping.expand(spec["scheme"])
    for raw in doc.get("rules") or []:
        line = raw.get("__line__") if isinstance(raw, dict) else lines.get("rules")
        try:
            mapping.rules.append(_compile_rule(raw, mapping))
        except (ValueError, FieldError) as exc:
            raise PeaceldError(f"rule: {exc}", file=path, line=line) from None
    for raw in doc.get("triples") or []:
        try:
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
        raise ValueError(f"unknown key {sorted(unknown)[0]!r}")
    if "subject" not in raw:
        raise ValueError("a rule needs a 'subject'")
    subject = CompiledSpec(raw["subject"], mapping, "subject", default_iri=True)
    graph = CompiledSpec(raw["graph"], mapping, "graph", True) if raw.get("graph") else None
    predicates: list[tuple[str, CompiledSpec]] = []
    for cls in _as_list(strip_lines(raw.get("class"))):
        spec = cls if isinstance(cls, dict) else {"const": cls, "iri": True}
        predicates.append((RDF_TYPE, CompiledSpec(spec, mapping, "class", True)))
    props = raw.get("properties") or {}
    for pred, specs in props.items():
        if pred in ("__line__", "__lines__"):
            continue
        p = iri(mapping.iri(pred))
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
    when = {str(k): str(v) for k, v in strip_lines(raw.get("when") or {}).items()}
    return Rule(str(raw.get("name", when.get("kind", "rule"))), when, subject, graph, predicates,
                declares, fields, raw.get("__line__", 0))


# --- running -----------------------------------------------------------------------------


@dataclass
class MapStats:
    records: int = 0
    quads: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    def add(self, other: MapStats) -> None:
        """Add another run's counts to these."""
        self.records += other.records
        self.quads += other.quads
        for name, n in other.by_kind.items():
            self.by_kind[name] = self.by_kind.get(name, 0) + n


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
        self.unconditional = plain if plain and all(not r.when for r in plain) else None
        self.errors: list[PeaceldError] = []
        self._seen: set[str] = set()
        self.stats = MapStats()

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
                close = difflib.get_close_matches(str(kind), sorted(self.kinds), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise FieldError(f"unknown kind {kind!r}{hint}", "kind")
            for name in values:
                if name not in self.allowed[kind] and not name.startswith("@"):
                    close = difflib.get_close_matches(name, sorted(self.allowed[kind]), n=1)
                    hint = f" (did you mean {close[0]!r}?)" if close else ""
                    raise FieldError(f"unknown field {name!r} for kind {kind!r}{hint}", name)
            rules = self.rules_by_kind.get(kind, []) + self.rules_by_kind.get(None, [])
        return [r for r in rules if all(_as_text(values.get(k)) == v
                                        for k, v in r.when.items() if k != "kind")]

    def _fail(self, rec: Record, exc: FieldError | PeaceldError) -> None:
        if not isinstance(exc, PeaceldError):
            line = rec.line_of(exc.field) if exc.field else rec.line
            exc = PeaceldError(str(exc), file=rec.file, line=line)
        key = str(exc)
        if key in self._seen:  # the declare pass and the emit pass meet the same problem
            return
        self._seen.add(key)
        self.errors.append(exc)
        if len(self.errors) >= MAX_ERRORS:
            raise MappingErrors(self.errors)

    @staticmethod
    def _prepare(rec: Record, index: int) -> Values:
        values = rec.values
        if rec.meta:
            for k, v in rec.meta.items():
                values["@" + k] = v
        values["@line"] = rec.line
        values["@index"] = index
        return values

    def declare(self, records: Iterable[Record]) -> None:
        """First pass: register every entity the records declare, with its aliases."""
        registry = self.mapping.registry
        for i, rec in enumerate(records):
            try:
                rules = self._rules_for(rec)
                values = self._prepare(rec, i)
                for rule in rules:
                    if rule.declares is None:
                        continue
                    kind, key_t, alias_fields = rule.declares
                    keys = _render(key_t, values, True, None) or []
                    subjects = rule.subject.fn(values)
                    aliases = [a for f in alias_fields for a in (_field_values(values, f, False)
                                                                  or [])]
                    for key, subj in zip(keys, subjects, strict=False):
                        registry.add(kind, key, subj[1:-1], aliases)
            except FieldError as exc:
                self._fail(rec, exc)

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

    def emit(self, records: Iterable[Record], out: TextIO, with_graphs: bool = True,
             constants: bool = True) -> None:
        """Second pass: write one N-Quads line per triple (graph dropped if not with_graphs).

        The mapping's constant triples follow, unless ``constants`` is false (a part of a
        file mapped in parallel).
        """
        rows: dict[int, Callable | None] = {}
        for rule in self.mapping.rules:
            plain = rule.graph is None or not with_graphs
            try:
                rows[id(rule)] = compile_row_function(rule, self.mapping) if plain else None
            except ValueError:
                rows[id(rule)] = None
        counts: dict[str, int] = {}
        buffer: list[str] = []
        write = out.write
        for i, rec in enumerate(records):
            mark = len(buffer)
            try:
                rules = self._rules_for(rec)
                values = self._prepare(rec, i)
                for rule in rules:
                    lines = self._lines(rule, values, rows[id(rule)])
                    if not lines:
                        continue
                    graphs = rule.graph.fn(values) if (rule.graph and with_graphs) else None
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
                self._fail(rec, exc)
            if len(buffer) > 2048:
                write("".join(buffer))
                buffer.clear()
        write("".join(buffer))
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
    result.errors = result.errors[:MAX_ERRORS]
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

"""The mapping language: a mapping file read and checked, in one pass, into plain dataclasses.

Every value that reaches the output (base, prefixes, language tags, datatypes, constants, the
constant parts of IRI templates) is checked here, so no mapping can write invalid RDF. Nothing
here builds row functions: ``peaceld.mapping.compile`` turns a ``MappingSpec`` into them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import PeaceldError
from ..lexical import check_iri, check_language, datatype_check
from ..namespaces import PREFIXES, expand
from ..records import load_yaml
from ..rowexpr import Expression
from .errors import FieldError
from .templates import Template, Values
from .terms import (
    IRI_BAD,
    RDF_TYPE,
    XSD,
    as_list,
    as_text,
    did_you_mean,
    iri,
    literal_suffix,
    quoted,
)
from .transforms import SIMPLE_TRANSFORMS

SPEC_KEYS = {"field", "template", "const", "expr", "iri", "ref", "lang", "datatype",
             "optional", "transform", "lookup", "split", "nulls"}
RULE_KEYS = {"name", "when", "subject", "graph", "class", "properties", "declares", "fields",
             "check", "unpivot", "skip_empty"}
TOP_KEYS = ("prefixes", "base", "lookups", "entities", "nulls", "rules", "triples")
CONDITION_KEYS = ("equals", "in", "not_in", "empty", "not_empty", "regex", "not")
_PREFIX_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")

#: The line of each key and list item of a YAML document, by its path of keys and indexes.
Lines = dict[tuple[Any, ...], int]


def read_document(path: Path) -> tuple[Any, Lines]:
    """A YAML file as plain data (no line bookkeeping in it) and the lines of its parts."""
    lines: Lines = {}

    def plain(value: Any, at: tuple[Any, ...]) -> Any:
        if isinstance(value, dict):
            for key, line in value.get("__lines__", {}).items():
                lines.setdefault((*at, key), line)
            lines.setdefault(at, value.get("__line__", 0))
            return {k: plain(v, (*at, k)) for k, v in value.items()
                    if k not in ("__line__", "__lines__")}
        if isinstance(value, list):
            return [plain(v, (*at, i)) for i, v in enumerate(value)]
        return value

    return plain(load_yaml(path), ()), lines


@dataclass(frozen=True)
class TransformSpec:
    """One value transform: a name (trim, lower, ..., date, replace, lookup) and its argument."""

    name: str
    arg: Any = None


@dataclass
class ValueSpec:
    """A subject, graph, class or object, checked: where its text comes from, what term it makes.

    A value goes through, in this order: null tokens, the template (an IRI template slugs
    each field), ``split``, ``transforms`` (in the order listed, a ``lookup`` last), ``split``
    again on what the lookup gave, then the datatype or IRI check.
    """

    role: str
    template: Template | None = None  # a field is a template of one placeholder; None: const
    fields: list[str] = field(default_factory=list)
    const: Any = None
    term: str | None = None  # the N-Triples term of a constant (not a reference)
    expr: Expression | None = None
    optional: bool = False
    ref: list[str] | None = None
    is_iri: bool = False
    slugged: bool = False  # an IRI template slugs each field
    lang: str | None = None
    datatype: str | None = None
    transforms: list[TransformSpec] = field(default_factory=list)
    split: str | None = None
    nulls: frozenset[str] = frozenset()

    @property
    def simple(self) -> bool:
        """Whether generated code may take the value (no split, null tokens or expression)."""
        return not (self.split or self.nulls or self.expr)


@dataclass(frozen=True)
class Condition:
    """A ``when`` test on one field's trimmed text.

    ``op`` is ``equals`` (arg: the text), ``in`` (a frozenset), ``empty`` (arg: whether it
    must be empty) or ``regex`` (a compiled pattern); ``negate`` turns the test around.
    """

    field: str
    op: str
    arg: Any
    negate: bool = False


@dataclass
class RowCheck:
    """A row check: an expression that must hold."""

    expr: Expression
    skip: bool  # skip the row (and count it) instead of reporting an error


@dataclass
class Unpivot:
    """Run a rule once per item; each of ``fields`` reads the column its template names."""

    items: list[str]
    var: str
    fields: dict[str, Template]

    def columns(self) -> list[str]:
        """Every column the unpivot reads."""
        return [self.column(t, item) for item in self.items for t in self.fields.values()]

    def column(self, template: Template, item: str) -> str:
        """The column a field's template names for one item."""
        return "".join(item if (f and t == self.var) else t for f, t in template.parts)

    def expand(self, values: Values) -> Any:
        """The rows of one record: one per item with a filled field."""
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


@dataclass
class RuleSpec:
    """One rule of a mapping file, checked."""

    name: str
    line: int
    when: dict[str, str]  # {"kind": ...} or {}
    conditions: list[Condition]
    subject: ValueSpec
    graph: ValueSpec | None
    predicates: list[tuple[str, ValueSpec]]  # (predicate term, object)
    declares: tuple[str, Template, list[str]] | None  # (kind, key template, alias fields)
    fields: set[str]
    checks: list[RowCheck] = field(default_factory=list)
    unpivot: Unpivot | None = None
    skip_empty: bool = False
    columns: set[str] = field(default_factory=set)  # the CSV columns the rule reads


@dataclass
class MappingSpec:
    """A mapping file, checked: prefixes, base, lookups, entity kinds, rules, constants."""

    path: str
    prefixes: dict[str, str]
    base: str
    lookups: dict[str, dict[str, Any]] = field(default_factory=dict)
    concept_kinds: dict[str, str] = field(default_factory=dict)  # kind -> scheme IRI
    nulls: frozenset[str] = frozenset()  # tokens that mean "no value" in every field
    rules: list[RuleSpec] = field(default_factory=list)
    triples: list[tuple[str, str, ValueSpec]] = field(default_factory=list)  # (s, p) as IRIs
    triples_line: int | None = None

    def expand(self, curie: str) -> str:
        """A prefixed name expanded; ValueError if it is not one with a known prefix."""
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


def read_mapping(path: Path) -> MappingSpec:
    """Read and check a mapping file; errors name the file and line."""
    doc, lines = read_document(path)
    if not isinstance(doc, dict):
        raise PeaceldError("a mapping file is a mapping with 'rules'", file=path, line=1)
    for key in doc:
        if key not in TOP_KEYS:
            raise PeaceldError(f"unknown key {key!r}{did_you_mean(key, TOP_KEYS)} (expected "
                               f"{', '.join(TOP_KEYS)})", file=path, line=lines.get((key,)))
    prefixes = dict(PREFIXES)
    own = doc.get("prefixes") or {}
    if not isinstance(own, dict):
        raise PeaceldError("'prefixes' maps names to namespace IRIs", file=path,
                           line=lines.get(("prefixes",)))
    for name, ns in own.items():
        try:
            if not _PREFIX_NAME.fullmatch(str(name)):
                raise ValueError(f"{name!r} is not a prefix name (a letter, then letters, "
                                 "digits, '_', '-' or '.')")
            prefixes[str(name)] = check_iri(str(ns))
        except ValueError as exc:
            raise PeaceldError(f"prefix {name!r}: {exc}", file=path,
                               line=lines.get(("prefixes", name))) from None
    base = str(doc.get("base", "https://w3id.org/peaceld/id/"))
    try:
        check_iri(base)
    except ValueError as exc:
        raise PeaceldError(f"base: {exc}", file=path, line=lines.get(("base",))) from None
    lookups = doc.get("lookups") or {}
    if not isinstance(lookups, dict) or not all(isinstance(t, dict) for t in lookups.values()):
        raise PeaceldError("'lookups' maps table names to tables (key: value)", file=path,
                           line=lines.get(("lookups",)))
    spec = MappingSpec(str(path), prefixes, base, lookups)
    nulls = doc.get("nulls")
    if nulls is not None:
        if isinstance(nulls, dict) or any(isinstance(t, dict | list) for t in as_list(nulls)):
            raise PeaceldError("'nulls' is a list of values that mean 'no value' (e.g. "
                               "[NA, unknown, '?'])", file=path, line=lines.get(("nulls",)))
        spec.nulls = frozenset(as_text(t).strip() for t in as_list(nulls))
    entities = doc.get("entities") or {}
    if not isinstance(entities, dict):
        raise PeaceldError("'entities' maps kinds to {scheme: ...}", file=path,
                           line=lines.get(("entities",)))
    for kind, entity in entities.items():
        if not isinstance(entity, dict) or "scheme" not in entity:
            raise PeaceldError(f"entity kind {kind!r} needs a 'scheme'", file=path,
                               line=lines.get(("entities", kind)))
        try:
            spec.concept_kinds[kind] = spec.expand(entity["scheme"])
        except ValueError as exc:
            raise PeaceldError(f"entity kind {kind!r}: {exc}", file=path,
                               line=lines.get(("entities", kind))) from None
    for key in ("rules", "triples"):
        if not isinstance(doc.get(key) or [], list):
            raise PeaceldError(f"'{key}' is a list" + (" of rules, each a mapping with "
                               "'subject'" if key == "rules" else " of [s, p, o] triples"),
                               file=path, line=lines.get((key,)))
    for i, raw in enumerate(doc.get("rules") or []):
        line = lines.get(("rules", i)) if isinstance(raw, dict) else lines.get(("rules",))
        if not isinstance(raw, dict):
            raise PeaceldError("rule: each rule is a mapping with 'subject'", file=path,
                               line=line)
        try:
            spec.rules.append(_rule(raw, spec, line or 0))
        except (ValueError, FieldError) as exc:
            raise PeaceldError(f"rule: {exc}", file=path, line=line) from None
        except (AttributeError, TypeError, KeyError) as exc:  # a value of the wrong shape
            raise PeaceldError(f"rule: a value has the wrong form ({exc})", file=path,
                               line=line) from None
    spec.triples_line = lines.get(("triples",))
    for raw in doc.get("triples") or []:
        try:
            if not isinstance(raw, list) or len(raw) != 3:
                raise ValueError("each constant triple is a list [subject, predicate, object]")
            s, p, o = raw
            spec.triples.append((s, p, value_spec(o, spec, "object", default_iri=False)))
        except (ValueError, TypeError, FieldError) as exc:
            raise PeaceldError(f"constant triple: {exc}", file=path,
                               line=spec.triples_line) from None
    return spec


def transform_spec(raw: Any, mapping: MappingSpec) -> TransformSpec:
    """One entry of ``transform:`` (or a ``lookup:``), checked."""
    if isinstance(raw, str):
        if raw not in SIMPLE_TRANSFORMS:
            raise ValueError(f"unknown transform {raw!r} (known: "
                             f"{', '.join(sorted(SIMPLE_TRANSFORMS))}, date, lookup, replace)")
        return TransformSpec(raw)
    if isinstance(raw, dict) and len(raw) == 1:
        (name, arg), = raw.items()
        if name == "date":
            if isinstance(arg, dict):  # {from: [formats], to: format}
                return TransformSpec("date", (as_list(arg.get("from")),
                                              str(arg.get("to", "%Y-%m-%d"))))
            return TransformSpec("date", (as_list(arg), "%Y-%m-%d"))
        if name == "replace" and isinstance(arg, list) and len(arg) == 2:
            return TransformSpec("replace", (str(arg[0]), str(arg[1])))
        if name == "lookup":
            if arg not in mapping.lookups:
                raise ValueError(f"unknown lookup table {arg!r}"
                                 f"{did_you_mean(arg, mapping.lookups)}")
            return TransformSpec("lookup", arg)
    raise ValueError(f"unknown transform {raw!r}")


def value_spec(raw: Any, mapping: MappingSpec, role: str, default_iri: bool) -> ValueSpec:
    """A subject, graph, class or object as written (a string or a mapping), checked."""
    if isinstance(raw, str):
        raw = {"template": raw, "iri": True} if default_iri else {"const": raw}
    if not isinstance(raw, dict):
        raise ValueError(f"a {role} must be a string or a mapping")
    unknown = set(raw) - SPEC_KEYS
    if unknown:
        raise ValueError(f"unknown key {sorted(unknown)[0]!r} in {role}"
                         f"{did_you_mean(sorted(unknown)[0], SPEC_KEYS)}")
    sources = [k for k in ("field", "template", "const", "expr") if k in raw]
    if len(sources) != 1:
        raise ValueError(f"a {role} needs exactly one of field, template, const, expr")
    for key in sources:
        if raw[key] is None or isinstance(raw[key], dict | list):
            raise ValueError(f"{key} in a {role} needs a single value")
    spec = ValueSpec(role, optional=bool(raw.get("optional", False)))
    if "ref" in raw:
        spec.ref = [raw["ref"]] if isinstance(raw["ref"], str) else list(raw["ref"])
    spec.is_iri = bool(raw.get("iri", default_iri and spec.ref is None))
    spec.lang = check_language(raw["lang"]) if raw.get("lang") is not None else None
    if raw.get("datatype") is not None:
        spec.datatype = check_iri(mapping.expand(str(raw["datatype"])))
    if spec.datatype and spec.lang:
        raise ValueError(f"a {role} cannot have both lang and datatype")
    if (spec.datatype or spec.lang) and (spec.is_iri or spec.ref):
        raise ValueError(f"a {role} that is an IRI cannot have a lang or datatype")
    check = datatype_check(spec.datatype) if spec.datatype else None
    spec.transforms = [transform_spec(t, mapping) for t in as_list(raw.get("transform"))]
    if "lookup" in raw:
        spec.transforms.append(transform_spec({"lookup": raw["lookup"]}, mapping))
    spec.split = str(raw["split"]) if raw.get("split") else None
    spec.nulls = frozenset(str(t).strip() for t in as_list(raw.get("nulls")))
    spec.const = raw.get("const")
    if "field" in raw:
        spec.fields = [str(raw["field"])]
        spec.template = Template([(True, str(raw["field"]))])
    elif "template" in raw:
        spec.template = Template.parse(str(raw["template"]))
        spec.fields = spec.template.fields
    elif "expr" in raw:
        spec.expr = Expression(raw["expr"])
        spec.fields = spec.expr.fields
        spec.template = Template([(True, "@expr")])
    # an IRI template slugs each field; a plain or ref value is passed through as it is
    spec.slugged = spec.is_iri and "template" in raw and spec.ref is None
    if spec.is_iri and spec.template is not None and spec.ref is None:
        for is_field, text in spec.template.parts:
            if not is_field and IRI_BAD.search(text):
                raise ValueError(f"the {role} template has a character not allowed in "
                                 f"IRIs: {text!r}")
    if spec.const is not None and spec.ref is None:
        spec.term = _constant_term(spec, as_text(spec.const), mapping, check)
    return spec


def _constant_term(spec: ValueSpec, text: str, mapping: MappingSpec,
                   check: Any) -> str:
    """The N-Triples term of a constant, checked as the output of a rule would be."""
    if spec.is_iri:
        if not text:
            raise FieldError(f"the {spec.role} is empty", empty=True)
        return iri(mapping.iri(text))
    if check is not None and spec.datatype != XSD + "string":
        try:
            text = check(text)
        except ValueError as exc:
            raise FieldError(str(exc), value=text) from None
    return quoted(text) + literal_suffix(spec.lang, spec.datatype)


def condition(name: str, raw: Any) -> Condition:
    """A ``when`` condition on one field: a value (equal after trimming) or a mapping."""
    if isinstance(raw, dict):
        if len(raw) != 1 or next(iter(raw)) not in CONDITION_KEYS:
            raise ValueError(f"a condition on {name!r} is a value or one of "
                             f"{', '.join(CONDITION_KEYS)}")
        (op, arg), = raw.items()
        if op == "equals":
            return condition(name, arg)
        if op in ("in", "not_in"):
            allowed = frozenset(as_text(a).strip() for a in as_list(arg))
            return Condition(name, "in", allowed, negate=op == "not_in")
        if op in ("empty", "not_empty"):
            return Condition(name, "empty", bool(arg) == (op == "empty"))
        if op == "regex":
            try:
                pattern = re.compile(str(arg))
            except re.error as exc:
                raise ValueError(f"bad regex {arg!r} for {name!r}: {exc}") from None
            return Condition(name, "regex", pattern)
        inner = condition(name, arg)
        return Condition(inner.field, inner.op, inner.arg, not inner.negate)
    if isinstance(raw, list):
        raise ValueError(f"a condition on {name!r} that lists values needs 'in:'")
    return Condition(name, "equals", "" if raw is None else as_text(raw).strip())


def _unpivot(raw: Any) -> Unpivot:
    if not isinstance(raw, dict) or not {"each", "as", "fields"} <= set(raw):
        raise ValueError("'unpivot' needs each (a list, or from/to numbers), as and fields")
    each = raw["each"]
    if isinstance(each, dict):
        try:
            items = [str(n) for n in range(int(each["from"]), int(each["to"]) + 1)]
        except (KeyError, TypeError, ValueError):
            raise ValueError("'unpivot: each' as a range needs integer from and to") from None
    else:
        items = [as_text(x) for x in as_list(each)]
    fields = raw["fields"]
    if not isinstance(fields, dict) or not fields:
        raise ValueError("'unpivot: fields' maps field names to column templates")
    var = str(raw["as"])
    templates = {str(k): Template.parse(str(v)) for k, v in fields.items()}
    for name, template in templates.items():
        if any(f and t != var for f, t in template.parts):
            raise ValueError(f"the column template of {name!r} may only use {{{var}}}")
    return Unpivot(items, var, templates)


def _rule(raw: dict, mapping: MappingSpec, line: int) -> RuleSpec:
    unknown = set(raw) - RULE_KEYS
    if unknown:
        name = sorted(unknown)[0]
        raise ValueError(f"unknown key {name!r}{did_you_mean(name, RULE_KEYS)}")
    if "subject" not in raw:
        raise ValueError("a rule needs a 'subject'")
    subject = value_spec(raw["subject"], mapping, "subject", default_iri=True)
    if not subject.is_iri and subject.ref is None:
        raise ValueError("a subject must be an IRI")
    graph = value_spec(raw["graph"], mapping, "graph", True) if raw.get("graph") else None
    predicates: list[tuple[str, ValueSpec]] = []
    for cls in as_list(raw.get("class")):
        spec = cls if isinstance(cls, dict) else {"const": cls, "iri": True}
        predicates.append((RDF_TYPE, value_spec(spec, mapping, "class", True)))
    for pred, specs in (raw.get("properties") or {}).items():
        p = iri(mapping.iri(str(pred)))
        for spec in as_list(specs):
            predicates.append((p, value_spec(spec, mapping, f"object of {pred}", False)))
    declares = None
    if raw.get("declares"):
        d = raw["declares"]
        if not isinstance(d, dict) or "kind" not in d or "key" not in d:
            raise ValueError("'declares' needs a kind and a key template")
        declares = (d["kind"], Template.parse(d["key"]), as_list(d.get("aliases")))
    fields: set[str] = set(subject.fields)
    if graph:
        fields |= set(graph.fields)
    for _, spec in predicates:
        fields |= set(spec.fields)
    if declares:
        fields |= set(declares[1].fields) | set(declares[2])
    fields |= set(as_list(raw.get("fields")))
    raw_when = raw.get("when") or {}
    if not isinstance(raw_when, dict):
        raise ValueError("'when' maps field names to conditions")
    when = {"kind": str(raw_when["kind"])} if "kind" in raw_when else {}
    conditions = [condition(str(k), v) for k, v in raw_when.items() if k != "kind"]
    fields |= {str(k) for k in raw_when}
    checks = []
    for item in as_list(raw.get("check")):
        if isinstance(item, dict):
            if "expr" not in item or set(item) - {"expr", "skip"}:
                raise ValueError("a check is an expression, or {expr: ..., skip: true}")
            checks.append(RowCheck(Expression(item["expr"]), bool(item.get("skip"))))
        else:
            checks.append(RowCheck(Expression(item), False))
    for c in checks:
        fields |= set(c.expr.fields)
    unpivot = _unpivot(raw["unpivot"]) if raw.get("unpivot") else None
    columns = {f for f in fields if not f.startswith("@")}
    if unpivot is not None:
        columns -= {unpivot.var, *unpivot.fields}
        columns |= set(unpivot.columns())
    return RuleSpec(str(raw.get("name", when.get("kind", "rule"))), line, when, conditions,
                    subject, graph, predicates, declares, fields, checks, unpivot,
                    bool(raw.get("skip_empty", False)), columns)

"""A checked mapping (``language.MappingSpec``) compiled into functions of a record's values.

Each value spec becomes a ``CompiledSpec`` whose ``fn`` gives the N-Triples terms of a
record; conditions become predicates; ``load_mapping`` reads, checks and compiles a file.
The generated code of the common case lives in ``peaceld.mapping.generate``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import PeaceldError
from ..lexical import datatype_check
from ..rowexpr import Expression, Missing
from ..rowexpr import as_text as value_text
from .errors import FieldError
from .generate import fast_path
from .language import Condition, MappingSpec, RuleSpec, TransformSpec, ValueSpec, read_mapping
from .registry import Registry
from .templates import Values, render
from .terms import XSD, as_text, iri, literal_suffix, quoted, slug
from .transforms import SIMPLE_TRANSFORMS, date_parser, lookup, replace

ValueFn = Callable[[Values], list[str]]
Predicate = Callable[[Values], bool]


def transform_fn(spec: TransformSpec, lookups: dict[str, dict[str, Any]]
                 ) -> Callable[[str], str]:
    """The function of one checked transform."""
    if spec.name == "date":
        formats, out = spec.arg
        return date_parser(formats, out)
    if spec.name == "replace":
        return replace(*spec.arg)
    if spec.name == "lookup":
        return lookup(spec.arg, lookups[spec.arg])
    return SIMPLE_TRANSFORMS[spec.name]


class CompiledSpec:
    """One value spec compiled to a function of a record's values (``fn``)."""

    def __init__(self, spec: ValueSpec, mapping: Mapping) -> None:
        self.spec = spec
        self.mapping = mapping
        self.role = spec.role
        self.optional = spec.optional
        self.ref = spec.ref
        self.is_iri = spec.is_iri
        self.lang = spec.lang
        self.datatype = spec.datatype
        self.check = datatype_check(spec.datatype) if spec.datatype else None
        if spec.datatype == XSD + "string":
            self.check = None
        self.transforms = [transform_fn(t, mapping.lookups) for t in spec.transforms]
        self.split = spec.split
        self.nulls = spec.nulls
        self.const = spec.const
        self.expr = spec.expr
        self.fields = spec.fields
        self.template = spec.template
        self.piece = slug if spec.slugged else None
        self.simple = spec.simple
        self.source: str | None = None  # the generated code of the common case, if any
        self.fast: Callable | None = None  # the function of that code
        self.fn: ValueFn = self._build()

    def _build(self) -> ValueFn:
        if self.const is not None:
            term = self.spec.term or self._term_fn()(as_text(self.const))
            return lambda values: [term]
        slow = self._slow()
        template = self.template
        assert template is not None
        fn = slow
        if self.simple:
            self.fast, self.source = fast_path(template, self.piece, self.transforms,
                                               self._term_fn(), not self.optional, slow,
                                               self.role)
            fn = self.fast
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
            texts = render(template, values, required, piece)
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
    suffix = literal_suffix(lang, datatype)
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
        return value_text(expr.evaluate(values))
    except Missing:
        if required:
            raise FieldError(f"{expr.text!r} needs a value in each of "
                             f"{', '.join(expr.fields)} ({expr.describe(values)})",
                             empty=True) from None
        return ""
    except ValueError as exc:
        raise FieldError(str(exc)) from None


def _cell(values: Values, name: str) -> str:
    v = values.get(name)
    if v is None:
        return ""
    return as_text(v).strip()


def condition_fn(c: Condition) -> Predicate:
    """The test of a ``when`` condition."""
    name, arg = c.field, c.arg
    test: Predicate
    if c.op == "in":
        test = lambda values: _cell(values, name) in arg  # noqa: E731
    elif c.op == "empty":
        test = lambda values: (_cell(values, name) == "") == arg  # noqa: E731
    elif c.op == "regex":
        test = lambda values: arg.fullmatch(_cell(values, name)) is not None  # noqa: E731
    else:
        test = lambda values: _cell(values, name) == arg  # noqa: E731
    if c.negate:
        return lambda values: not test(values)
    return test


@dataclass
class Rule:
    """A compiled rule; its plain parts (name, when, declares, checks, ...) are its spec's."""

    spec: RuleSpec
    subject: CompiledSpec
    graph: CompiledSpec | None
    predicates: list[tuple[str, CompiledSpec]]
    conditions: list[Predicate] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["spec"], name)

    def matches(self, values: Values) -> bool:
        """Whether a record meets every condition of the rule."""
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
    spec: MappingSpec | None = None

    def expand(self, curie: str) -> str:
        """A prefixed name expanded; ValueError if it is not one with a known prefix."""
        return self._spec().expand(curie)

    def iri(self, text: str) -> str:
        """Expand a CURIE, keep an absolute IRI, or resolve a relative one against the base."""
        return self._spec().iri(text)

    def _spec(self) -> MappingSpec:
        if self.spec is None:
            self.spec = MappingSpec(self.path, self.prefixes, self.base, self.lookups)
        return self.spec

    @property
    def kinds(self) -> set[str]:
        """The record kinds the rules are for (none for a table mapping)."""
        return {r.when["kind"] for r in self.rules if "kind" in r.when}


def compile_mapping(spec: MappingSpec, registry: Registry | None = None) -> Mapping:
    """Compile a checked mapping; errors name the file and line of the rule."""
    mapping = Mapping(spec.path, spec.prefixes, spec.base, spec.lookups,
                      registry or Registry(), concept_kinds=dict(spec.concept_kinds),
                      nulls=spec.nulls, spec=spec)
    for rule in spec.rules:
        try:
            mapping.rules.append(Rule(
                rule, CompiledSpec(rule.subject, mapping),
                CompiledSpec(rule.graph, mapping) if rule.graph else None,
                [(p, CompiledSpec(o, mapping)) for p, o in rule.predicates],
                [condition_fn(c) for c in rule.conditions]))
        except (ValueError, FieldError) as exc:
            raise PeaceldError(f"rule: {exc}", file=spec.path, line=rule.line) from None
    for s, p, o in spec.triples:
        try:
            obj = CompiledSpec(o, mapping).fn({})[0]
            mapping.constants.append(f"{iri(mapping.iri(s))} {iri(mapping.iri(p))} {obj} .\n")
        except (ValueError, TypeError, FieldError) as exc:
            raise PeaceldError(f"constant triple: {exc}", file=spec.path,
                               line=spec.triples_line) from None
    return mapping


def load_mapping(path: Path, registry: Registry | None = None) -> Mapping:
    """Read, check and compile a mapping file; errors name the file and line."""
    return compile_mapping(read_mapping(path), registry)

"""Generated code for the common case: every field a plain non-empty string.

Two kinds of function are built from Python source and ``exec``: the fast path of one value
(``fast_path``) and the row function of a rule (``row_source``), which builds all of a rule's
triples inline. They pay (about 3x over the general path on the mapper benchmark; see
BENCHMARKS.md, "Package split"); ``explain`` prints their source
(``peaceld map --explain MAPPING``), so what runs can be read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..lexical import check_iri
from .errors import FieldError
from .templates import Template, Values
from .terms import as_text, literal_suffix, quoted, slug

if TYPE_CHECKING:
    from .compile import CompiledSpec, Mapping, Rule

ValueFn = Callable[[Values], list[str]]


def _define(name: str, lines: list[str], env: dict[str, Any]) -> tuple[Any, str]:
    """Run generated source in ``env``; the function it defines and its source."""
    source = "\n".join(lines)
    exec(source, env)  # noqa: S102 - code built from the mapping's own checked templates
    fn = env[name]
    fn.__peaceld_env__ = env  # read by explain
    return fn, source


def fast_path(template: Template, piece: Callable[[str], str] | None,
              transforms: list[Callable[[str], str]], term: Callable[[str], str],
              required: bool, slow: ValueFn, role: str = "value") -> tuple[ValueFn, str]:
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
    return _define("fn", lines, env)




def compile_row_function(rule: Rule, mapping: Mapping) -> Callable[[Values], list | None]:
    """The row function of a rule (see ``row_source``); ValueError if the rule has none."""
    return row_source(rule, mapping)[0]


def row_source(rule: Rule, mapping: Mapping) -> tuple[Callable[[Values], list | None], str]:
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
            env[f"{key}k"] = spec.spec.term or spec._term_fn()(as_text(spec.const))
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
        env[f"{key}u"] = literal_suffix(spec.lang, spec.datatype)
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
    return _define("row", lines, env)


def _constants(source: str, env: dict[str, Any]) -> list[str]:
    """The names a generated function reads from its environment, as assignments."""
    used = set(re.findall(r"[A-Za-z_]\w*", source))
    defined = re.match(r"def (\w+)", source)
    out = []
    for name, value in env.items():
        if name not in used or name == "str" or (defined and name == defined.group(1)):
            continue
        if isinstance(value, str):
            out.append(f"{name} = {value!r}")
        elif callable(value):
            described = getattr(value, "__qualname__", type(value).__name__)
            module = getattr(value, "__module__", None)
            out.append(f"{name} = {module + '.' if module else ''}{described}")
        else:
            out.append(f"{name} = {value!r}")
    return out


def explain(mapping: Mapping, with_graphs: bool = False) -> str:
    """The generated source of each rule of a mapping, with the constants it reads.

    A rule without a row function (a named graph, ``skip_empty``, split, null tokens or a
    computed value) is said so; its values still have their own fast paths, shown below it.
    """
    parts: list[str] = []
    for rule in mapping.rules:
        parts.append(f"# rule {rule.name!r} (line {rule.line} of {mapping.path})")
        plain = (rule.graph is None or not with_graphs) and not rule.skip_empty
        try:
            if not plain:
                raise ValueError("a named graph or skip_empty takes the general path")
            fn, source = row_source(rule, mapping)
            parts += _constants(source, fn.__peaceld_env__) + [source]
        except ValueError as exc:
            parts.append(f"# no row function: {exc}")
        specs = [("subject", rule.subject)] + [(f"{spec.role} ({pred})", spec)
                                               for pred, spec in rule.predicates]
        for label, spec in specs:
            if spec.source is not None and spec.fast is not None:
                parts.append(f"# fast path of the {label}")
                parts += _constants(spec.source, spec.fast.__peaceld_env__) + [spec.source]
        parts.append("")
    return "\n".join(parts)

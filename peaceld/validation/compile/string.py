"""String-based constraints (SHACL 4.4): sh:minLength, sh:maxLength, sh:pattern (with
sh:flags), sh:languageIn and sh:uniqueLang."""

from __future__ import annotations

import json
import re
from typing import Any

import pyoxigraph as ox

from ..report import SH
from ..shapes import ShapesGraph, is_true
from .model import Constraint, integer


def pattern(g: ShapesGraph, node: Any, kind: str, arg: Any) -> Constraint | str:
    flags = g.objects(node, SH + "flags")
    if not isinstance(arg, ox.Literal) or len(flags) > 1 or (
            flags and not re.fullmatch(r"[smix]*", flags[0].value)):
        return "sh:pattern or sh:flags not understood"
    return Constraint(kind, (arg.value, flags[0].value if flags else ""))


def language_in(g: ShapesGraph, node: Any, kind: str, arg: Any) -> Constraint | str:
    members = g.items(arg)
    if members is None or not all(isinstance(m, ox.Literal) for m in members):
        return f"sh:{kind} is not a well-formed list"
    return Constraint(kind, members)


def unique_lang(g: ShapesGraph, node: Any, kind: str, arg: Any) -> Constraint | str:
    return Constraint(kind, True) if is_true(arg) else Constraint("noop", None)


def length_test(c: Constraint) -> str:
    op = ">=" if c.kind == "minLength" else "<="
    return f"isBlank(?value) || !(STRLEN(STR(?value)) {op} {c.arg})"


def pattern_test(c: Constraint) -> str:
    regex, flags = c.arg
    return (f"isBlank(?value) || !REGEX(STR(?value), {json.dumps(regex)}, "
            f"{json.dumps(flags)})")


def language_in_test(c: Constraint) -> str:
    tests = " || ".join(f'langMatches(LANG(?value), {json.dumps(a.value)})' for a in c.arg)
    return f"!(isLiteral(?value) && ({tests or 'false'}))"


def unique_lang_query(focus: str, path: str | None, values: str, c: Constraint
                      ) -> tuple[str, bool]:
    return (f"SELECT ?this (SAMPLE(?a) AS ?value) WHERE {{ {focus} ?this {path} ?a . "
            f"?this {path} ?b FILTER (!sameTerm(?a, ?b) && LANG(?a) != \"\" && "
            f"LANG(?a) = LANG(?b)) }} GROUP BY ?this (LANG(?a))", False)


COMPILE = {"minLength": integer, "maxLength": integer, "pattern": pattern,
           "languageIn": language_in, "uniqueLang": unique_lang}
VALUE_TESTS = {"minLength": length_test, "maxLength": length_test, "pattern": pattern_test,
               "languageIn": language_in_test}
QUERIES = {"uniqueLang": unique_lang_query}
COMPONENT = {"pattern": "PatternConstraintComponent",
             "minLength": "MinLengthConstraintComponent",
             "maxLength": "MaxLengthConstraintComponent",
             "languageIn": "LanguageInConstraintComponent",
             "uniqueLang": "UniqueLangConstraintComponent"}
MESSAGES = {"pattern": "value does not match the pattern",
            "minLength": "value is shorter than {arg}", "maxLength": "value is longer than {arg}",
            "languageIn": "language tag not allowed", "uniqueLang": "language tag used twice"}

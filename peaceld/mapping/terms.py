"""RDF terms in N-Triples form (IRIs, slugs, quoted literals) and the small text helpers
the mapping language shares."""

from __future__ import annotations

import datetime as _dt
import difflib
import functools
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from ..lexical import check_iri
from .errors import FieldError

RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
XSD = "http://www.w3.org/2001/XMLSchema#"

_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r",
                          **{chr(i): f"\\u{i:04X}" for i in (*range(0x0a), 0x0b, 0x0c,
                                                           *range(0x0e, 0x20), 0x7f,
                                                           0x85, 0x2028, 0x2029)}})
IRI_BAD = re.compile(r'[\x00-\x20<>"{}|^`\\\x7f-\x9f]')
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
    """The words of a value's slug; [] for a value with no letter or digit."""
    try:
        return slug(value).replace("_", "-").split("-")
    except FieldError:
        return []


def as_text(value: Any) -> str:
    """A YAML or CSV value as text: booleans as true/false, dates in ISO form."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _dt.date | _dt.datetime):
        return value.isoformat()
    return str(value)


def as_list(value: Any) -> list:
    """A value that may be one item or a list, as a list (None gives [])."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """A hint naming the closest known name, compared without case."""
    folded: dict[str, str] = {}
    for k in sorted(set(map(str, known))):
        folded.setdefault(k.casefold(), k)
    close = difflib.get_close_matches(str(name).casefold(), list(folded), n=1, cutoff=0.6)
    return f" (did you mean {folded[close[0]]!r}?)" if close else ""


def literal_suffix(lang: str | None, datatype: str | None) -> str:
    """What follows a literal's quotes: ``@lang``, ``^^<datatype>``, or nothing for xsd:string."""
    if lang:
        return "@" + lang
    if datatype and datatype != XSD + "string":
        return "^^<" + datatype + ">"
    return ""

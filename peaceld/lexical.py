"""Lexical checks for the RDF terms the mapper writes: XSD literals, language tags, IRIs.

Each datatype check takes a text value and returns a valid lexical form for the datatype
(leading and trailing spaces removed, as XSD's whitespace facet does) or raises ValueError
with a message a data engineer can act on. The patterns follow XML Schema 1.1 Part 2.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import pyoxigraph as ox

XSD = "http://www.w3.org/2001/XMLSchema#"

_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_DOUBLE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?INF|NaN")
_YEAR = r"-?(?:[1-9][0-9]{4,}|[0-9]{4})"
_TZ = r"(?:Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))?"
_MONTH = r"(?:0[1-9]|1[0-2])"
_DAY = r"(?:0[1-9]|[12][0-9]|3[01])"
_TIME = r"(?:(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?|24:00:00(?:\.0+)?)"
_GYEAR = re.compile(f"({_YEAR}){_TZ}")
_GYEARMONTH = re.compile(f"({_YEAR})-({_MONTH}){_TZ}")
_DATE = re.compile(f"({_YEAR})-({_MONTH})-({_DAY}){_TZ}")
_DATETIME = re.compile(f"({_YEAR})-({_MONTH})-({_DAY})T{_TIME}{_TZ}")

#: RFC 5646 language tags (langtag, private use; the irregular grandfathered tags are refused).
BCP47 = re.compile(
    r"(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})"
    r"(?:-[A-Za-z]{4})?"
    r"(?:-(?:[A-Za-z]{2}|[0-9]{3}))?"
    r"(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*"
    r"(?:-[0-9A-WY-Za-wy-z](?:-[A-Za-z0-9]{2,8})+)*"
    r"(?:-[Xx](?:-[A-Za-z0-9]{1,8})+)?"
    r"|[Xx](?:-[A-Za-z0-9]{1,8})+")

_IRI_BAD = re.compile(r'[\x00-\x20<>"{}|^`\\\x7f-\x9f]')
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _integer(low: int | None = None, high: int | None = None,
             what: str = "an integer") -> Callable[[str], str]:
    def check(v: str) -> str:
        t = v.strip()
        if not _INTEGER.fullmatch(t):
            raise ValueError(f"{v!r} is not {what}")
        if (low is not None and int(t) < low) or (high is not None and int(t) > high):
            raise ValueError(f"{v!r} is not {what}")
        return t

    return check


def _decimal(v: str) -> str:
    t = v.strip()
    if not _DECIMAL.fullmatch(t):
        raise ValueError(f"{v!r} is not a decimal number (digits with '.', no exponent)")
    return t


def _double(v: str) -> str:
    t = v.strip()
    if not _DOUBLE.fullmatch(t):
        raise ValueError(f"{v!r} is not a floating-point number (e.g. 1.5, 2E3, INF, NaN)")
    return t


def _boolean(v: str) -> str:
    t = v.strip().lower()
    if t in ("true", "1"):
        return "true"
    if t in ("false", "0"):
        return "false"
    raise ValueError(f"{v!r} is not a boolean (true, false, 1 or 0)")


def _dated(pattern: re.Pattern[str], what: str) -> Callable[[str], str]:
    def check(v: str) -> str:
        t = v.strip()
        m = pattern.fullmatch(t)
        if m is None:
            raise ValueError(f"{v!r} is not {what}")
        if pattern.groups >= 3 and int(m.group(3)) > _days_in_month(int(m.group(1)),
                                                                       int(m.group(2))):
            raise ValueError(f"{v!r} is not {what}: no such day")
        return t

    return check


def _any_uri(v: str) -> str:
    t = v.strip()
    if _IRI_BAD.search(t):
        raise ValueError(f"{v!r} is not a URI (spaces or <>\"{{}}|^`\\ are not allowed)")
    return t


def _string(v: str) -> str:
    return v


#: Every datatype the mapper offers, with the check of its lexical space.
DATATYPE_CHECKS: dict[str, Callable[[str], str]] = {
    XSD + "string": _string,
    XSD + "integer": _integer(),
    XSD + "nonNegativeInteger": _integer(0, None, "a non-negative integer"),
    XSD + "positiveInteger": _integer(1, None, "a positive integer"),
    XSD + "nonPositiveInteger": _integer(None, 0, "a non-positive integer"),
    XSD + "negativeInteger": _integer(None, -1, "a negative integer"),
    XSD + "long": _integer(-(2**63), 2**63 - 1, "a long integer"),
    XSD + "int": _integer(-(2**31), 2**31 - 1, "a 32-bit integer"),
    XSD + "decimal": _decimal,
    XSD + "double": _double,
    XSD + "float": _double,
    XSD + "boolean": _boolean,
    XSD + "date": _dated(_DATE, "a date (YYYY-MM-DD)"),
    XSD + "dateTime": _dated(_DATETIME, "a date-time (YYYY-MM-DDThh:mm:ss, optional zone)"),
    XSD + "gYear": _dated(_GYEAR, "a year (YYYY)"),
    XSD + "gYearMonth": _dated(_GYEARMONTH, "a year and month (YYYY-MM)"),
    XSD + "anyURI": _any_uri,
}


def datatype_check(datatype: str) -> Callable[[str], str] | None:
    """The check of a datatype IRI; ValueError for an XSD datatype the mapper does not offer.

    Datatypes outside XSD (e.g. ``geo:wktLiteral``) are written as given, unchecked.
    """
    if datatype.startswith(XSD):
        if datatype not in DATATYPE_CHECKS:
            offered = ", ".join("xsd:" + d[len(XSD):] for d in DATATYPE_CHECKS)
            raise ValueError(f"datatype {datatype!r} is not offered (one of {offered})")
        return DATATYPE_CHECKS[datatype]
    return None


def check_language(tag: object) -> str:
    """A BCP 47 language tag, or ValueError."""
    text = str(tag)
    if not BCP47.fullmatch(text):
        raise ValueError(f"{text!r} is not a BCP 47 language tag (e.g. en, fr, ar, zh-Hans)")
    return text


@functools.lru_cache(maxsize=1 << 16)
def check_iri(text: str) -> str:
    """An absolute IRI (RFC 3987, as Oxigraph checks it), or ValueError."""
    if not text:
        raise ValueError("empty IRI")
    if _IRI_BAD.search(text) or not _SCHEME.match(text):
        raise ValueError(f"not a valid absolute IRI: {text!r}")
    try:
        ox.NamedNode(text)
    except ValueError:
        raise ValueError(f"not a valid absolute IRI: {text!r}") from None
    return text

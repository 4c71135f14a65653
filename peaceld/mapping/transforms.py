"""Value transforms of the mapping language: trim, lower, slug, decimal_comma, date, replace
and lookup tables."""

from __future__ import annotations

import datetime as _dt
import functools
import re
from collections.abc import Callable
from typing import Any

from .errors import FieldError
from .terms import as_text, did_you_mean, slug

_THOUSANDS = re.compile(r"[+-]?[0-9]{1,3}(?:[. \u00a0\u202f][0-9]{3})+")


@functools.lru_cache(maxsize=1 << 16)
def decimal_comma(v: str) -> str:
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


def date_parser(formats: list[str], out: str = "%Y-%m-%d") -> Callable[[str], str]:
    """A parser of dates in any of ``formats`` (strptime), written in the format ``out``."""
    @functools.lru_cache(maxsize=1 << 14)
    def parse(v: str) -> str:
        for fmt in formats:
            try:
                return _dt.datetime.strptime(v.strip(), fmt).strftime(out)
            except ValueError:
                continue
        raise FieldError(f"{v!r} is not a date in the format(s) {', '.join(formats)}")

    return parse


def replace(old: str, new: str) -> Callable[[str], str]:
    """A transform that replaces every ``old`` with ``new``."""
    return lambda v: v.replace(old, new)


SIMPLE_TRANSFORMS: dict[str, Callable[[str], str]] = {
    "trim": str.strip,
    "lower": str.lower,
    "upper": str.upper,
    "title": str.title,
    "slug": slug,
    "decimal_comma": decimal_comma,
}




def lookup(name: str, table: dict[str, Any]) -> Callable[[str], str]:
    """A transform through a table: the exact key, else the key without case; ``*``: default."""
    exact = {str(k): as_text(v) for k, v in table.items()}
    folded = {str(k).strip().casefold(): as_text(v) for k, v in table.items()}
    default = exact.get("*")
    keys = [k for k in exact if k != "*"]

    def look(v: str) -> str:
        hit = exact.get(v)
        if hit is None:
            hit = folded.get(v.strip().casefold(), default)
        if hit is None:
            shown = ", ".join(keys[:8]) + (f", ... ({len(keys)} keys)" if len(keys) > 8 else "")
            raise FieldError(f"{v!r} is not in lookup table {name!r}{did_you_mean(v, keys)} "
                             f"(keys: {shown}; add \"*\" for a default)", value=v)
        return hit

    return look

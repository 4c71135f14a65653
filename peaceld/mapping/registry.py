"""The registry of entities by kind: keys and aliases that references (``ref:``) resolve."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field

from .errors import FieldError
from .terms import normalise_key


@dataclass
class Registry:
    """Keys and aliases of the entities of each kind, for references by key."""

    iris: dict[str, dict[str, str]] = field(default_factory=dict)  # kind -> norm key -> IRI
    keys: dict[str, dict[str, str]] = field(default_factory=dict)  # kind -> norm key -> key

    def add(self, kind: str, key: str, iri_: str, aliases: Iterable[str] = ()) -> None:
        """Register an entity's key and aliases; a key naming two IRIs is an error."""
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
        """The IRI a value names among the entities of ``kinds``; FieldError with a hint if none."""
        norm = normalise_key(value)
        for kind in kinds:
            hit = self.iris.get(kind, {}).get(norm)
            if hit is not None:
                return hit
        candidates = [k for kind in kinds for k in self.keys.get(kind, {}).values()]
        close = difflib.get_close_matches(value, sorted(set(candidates)), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise FieldError(f"unknown {' or '.join(kinds)} {value!r}{hint}")

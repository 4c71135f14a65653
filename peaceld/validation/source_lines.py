"""Where a node is written, for reports: the line of a subject in a Turtle, N-Triples,
N-Quads or TriG file, of a blank-node shape in a shapes file, and of the CSV row or facts
entry that a mapping turns into a subject."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pyoxigraph as ox

from ..mapping import FieldError, Mapper, open_mapping
from ..records import read_records


def subject_lines(path: Path, subjects: set[str], base: str | None = None) -> dict[str, int]:
    """Line where each subject first appears at the start of a statement (text formats)."""
    if path.suffix.lower() not in (".ttl", ".nt", ".nq", ".trig"):
        return {}
    prefixes: dict[str, str] = {}
    found: dict[str, int] = {}
    base = base or path.resolve().as_uri()
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                token = line.split(None, 1)[0] if line.strip() else ""
                if token[:1] == "<":  # the usual case, and every line of N-Triples/N-Quads
                    key = token if ":" in token else f"<{urljoin(base, token[1:-1])}>"
                    if key in subjects and key not in found:
                        found[key] = number
                    continue
                m = re.match(r"\s*@?prefix\s+([A-Za-z0-9_-]*):\s*<([^>]*)>", line, re.I)
                if m:
                    prefixes[m.group(1)] = urljoin(base, m.group(2))
                    continue
                if token.startswith("<") and token.endswith(">"):
                    iri = urljoin(base, token[1:-1])
                elif ":" in token and not token.startswith(("#", "_:")):
                    p, _, local = token.partition(":")
                    iri = prefixes.get(p, "\0") + local.replace("\\", "")
                else:
                    continue
                key = f"<{iri}>"
                if key in subjects and key not in found:
                    found[key] = number
    except (OSError, UnicodeDecodeError):
        return {}
    return found


def shape_line(file: Path, owner: Any, path: str | None, nth: int = 0) -> int | None:
    """The line of a blank-node shape: the ``nth`` ``sh:path`` naming ``path`` after the
    line where its owner is described (or the owner's line)."""
    owner_line = subject_lines(file, {str(owner)}).get(str(owner)) if owner is not None \
        else None
    if path is None or not path.startswith("<"):
        return owner_line
    prefixes: dict[str, str] = {}
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return owner_line
    for number, line in enumerate(lines, 1):
        m = re.match(r"\s*@?prefix\s+([A-Za-z0-9_-]*):\s*<([^>]*)>", line, re.I)
        if m:
            prefixes[m.group(1)] = m.group(2)
        if owner_line and number < owner_line:
            continue
        for token in re.findall(r"sh:path\s+(\S+)", line):
            token = token.rstrip(";,.")
            p, _, local = token.partition(":")
            iri = token[1:-1] if token.startswith("<") else prefixes.get(p, "\0") + local
            if f"<{iri}>" == path:
                if nth == 0:
                    return number
                nth -= 1
    return owner_line


def record_lines(mapping_path: Path, paths: list[Path], path: Path,
                  ontology: list[ox.Quad], fmt: str | None) -> dict[str, tuple[str, int]]:
    """Subject -> (file, line) of the first CSV row or facts entry that makes it."""
    mapping = open_mapping(mapping_path, ontology)
    mapper = Mapper(mapping)
    fmt = fmt if fmt in ("csv", "yaml") else None
    if any(r.declares for r in mapping.rules):
        for each in paths:
            mapper.declare(read_records(each, fmt))
    found: dict[str, tuple[str, int]] = {}
    for i, rec in enumerate(read_records(path, fmt)):
        try:
            values = mapper._prepare(rec, i)
            for rule in mapper._rules_for(rec):
                for subject in rule.subject.fn(values) or []:
                    found.setdefault(subject, (rec.file, rec.line))
        except FieldError:
            continue  # a bad record is reported by the mapping itself
    return found

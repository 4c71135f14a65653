"""Running a mapping: records in, N-Quads lines out, with a declare pass for references and
large CSV files cut into parts for every core (``map_csv_parallel``)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ..errors import PeaceldError
from ..namespaces import PREFIXES
from ..records import Record, read_records
from ..rowexpr import Missing
from .compile import Mapping, Rule, load_mapping
from .errors import ERROR_STOP, FieldError, MappingErrors
from .generate import compile_row_function
from .templates import Values, field_values, render
from .terms import did_you_mean


@dataclass
class MapStats:
    """What a run mapped: records, triples by rule, rows skipped by rule."""

    records: int = 0
    quads: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)  # rule -> rows skipped

    def add(self, other: MapStats) -> None:
        """Add another run's counts to these."""
        self.records += other.records
        self.quads += other.quads
        for name, n in other.by_kind.items():
            self.by_kind[name] = self.by_kind.get(name, 0) + n
        for name, n in other.skipped.items():
            self.skipped[name] = self.skipped.get(name, 0) + n

    def summary(self) -> str:
        """One line: records, triples and the rows each rule skipped."""
        line = f"mapped {self.records} records to {self.quads} triples"
        if self.skipped:
            line += f"; skipped {sum(self.skipped.values())} row(s) (" + ", ".join(
                f"{rule}: {n}" for rule, n in sorted(self.skipped.items())) + ")"
        return line


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
        self.unconditional = plain if plain and all(
            not r.conditions and not r.checks for r in plain) else None
        self.errors: list[PeaceldError] = []
        self._seen: set[str] = set()
        self.stats = MapStats()
        self.header_checked = False
        self.header: list[str] = []

    def check_header(self, header: list[str], file: str | Path) -> None:
        """Every column the mapping reads must be in a CSV header (optional ones too)."""
        if self.kinds:
            return
        self.header_checked = True
        self.header = header
        have = set(header)
        errors = []
        for rule in self.mapping.rules:
            for col in sorted(rule.columns - have):
                errors.append(PeaceldError(
                    f"column {col!r} (rule {rule.name!r}, line {rule.line} of "
                    f"{Path(self.mapping.path).name}) is not in the header"
                    f"{did_you_mean(col, header)}; the header has: "
                    + ", ".join(header[:30]) + (" ..." if len(header) > 30 else ""),
                    file=str(file), line=1))
        if errors:
            unique = {str(e): e for e in errors}
            raise MappingErrors(list(unique.values()))

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
                raise FieldError(f"unknown kind {kind!r}{did_you_mean(kind, self.kinds)}",
                                 "kind")
            for name in values:
                if name not in self.allowed[kind] and not name.startswith("@"):
                    raise FieldError(f"unknown field {name!r} for kind {kind!r}"
                                     f"{did_you_mean(name, self.allowed[kind])}", name)
            rules = self.rules_by_kind.get(kind, []) + self.rules_by_kind.get(None, [])
        return [r for r in rules if r.matches(values)]

    def _fail(self, rec: Record, exc: FieldError | PeaceldError,
              values: Values | None = None) -> None:
        if not isinstance(exc, PeaceldError):
            message = str(exc)
            if rec.field_lines is None:  # a CSV row: name the column
                col = exc.field
                if values is not None and col and "@column:" + col in values:
                    col = values["@column:" + col]
                if (col is None or col not in rec.values) and exc.value is not None:
                    col = next((k for k, v in rec.values.items()
                                if isinstance(v, str) and v.strip() == exc.value.strip()), col)
                if col in rec.values and not col.startswith("@"):
                    number = list(rec.values).index(col) + 1
                    message = f"column {number} {col!r}: {message}"
                line = rec.line
            else:
                line = rec.line_of(exc.field) if exc.field else rec.line
            exc = PeaceldError(message, file=rec.file, line=line)
        key = str(exc)
        if key in self._seen:  # the declare pass and the emit pass meet the same problem
            return
        self._seen.add(key)
        self.errors.append(exc)
        if len(self.errors) >= ERROR_STOP:
            raise MappingErrors(self.errors, stopped=True)

    def _prepare(self, rec: Record, index: int) -> Values:
        values = rec.values
        nulls = self.mapping.nulls
        if nulls:
            for k, v in values.items():
                if type(v) is str and v.strip() in nulls:
                    values[k] = ""
        if rec.meta:
            for k, v in rec.meta.items():
                values["@" + k] = v
        values["@line"] = rec.line
        values["@index"] = index
        return values

    def _start(self, rec: Record) -> None:
        if not self.header_checked and rec.field_lines is None and not self.kinds:
            self.check_header([k for k in rec.values if not k.startswith("@")], rec.file)

    def declare(self, records: Iterable[Record]) -> None:
        """First pass: register every entity the records declare, with its aliases."""
        registry = self.mapping.registry
        for i, rec in enumerate(records):
            self._start(rec)
            try:
                rules = self._rules_for(rec)
                values = self._prepare(rec, i)
                for rule in rules:
                    if rule.declares is None:
                        continue
                    kind, key_t, alias_fields = rule.declares
                    for row in (rule.unpivot.expand(values) if rule.unpivot else [values]):
                        keys = render(key_t, row, True, None) or []
                        try:
                            subjects = rule.subject.fn(row)
                        except FieldError as exc:
                            if exc.empty and rule.skip_empty:
                                continue
                            raise
                        aliases = [a for f in alias_fields
                                   for a in (field_values(row, f, False) or [])]
                        for key, subj in zip(keys, subjects, strict=False):
                            registry.add(kind, key, subj[1:-1], aliases)
            except FieldError as exc:
                self._fail(rec, exc)
        self.header_checked = False

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

    def _run_checks(self, rule: Rule, values: Values) -> bool:
        """Whether the row passes the rule's checks; a failed check is an error or a skip."""
        for check in rule.checks:
            try:
                ok = check.expr.evaluate(values)
            except Missing:
                continue  # a check with an empty operand is not evaluated
            except ValueError as exc:
                raise FieldError(f"check {check.expr.text!r}: {exc}") from None
            if not ok:
                if check.skip:
                    return False
                raise FieldError(f"check failed: {check.expr.text} "
                                 f"({check.expr.describe(values)})")
        return True

    def _skip(self, rule: Rule) -> None:
        self.stats.skipped[rule.name] = self.stats.skipped.get(rule.name, 0) + 1

    def _rule_lines(self, rule: Rule, values: Values, row: Callable | None,
                    with_graphs: bool) -> tuple[list[str], list[str] | None]:
        if rule.checks and not self._run_checks(rule, values):
            self._skip(rule)
            return [], None
        try:
            lines = self._lines(rule, values, row)
        except FieldError as exc:
            if not (exc.empty and rule.skip_empty):
                raise
            try:  # skip only when the subject itself is empty
                rule.subject.fn(values)
            except FieldError as sub:
                if sub.empty:
                    self._skip(rule)
                    return [], None
            raise
        graphs = rule.graph.fn(values) if (lines and rule.graph and with_graphs) else None
        return lines, graphs

    def emit(self, records: Iterable[Record], out: TextIO, with_graphs: bool = True,
             constants: bool = True) -> None:
        """Second pass: write one N-Quads line per triple (graph dropped if not with_graphs).

        The mapping's constant triples follow, unless ``constants`` is false (a part of a
        file mapped in parallel).
        """
        rows: dict[int, Callable | None] = {}
        for rule in self.mapping.rules:
            plain = (rule.graph is None or not with_graphs) and not rule.skip_empty
            try:
                rows[id(rule)] = compile_row_function(rule, self.mapping) if plain else None
            except ValueError:
                rows[id(rule)] = None
        counts: dict[str, int] = {}
        buffer: list[str] = []
        write = out.write
        for i, rec in enumerate(records):
            mark = len(buffer)
            self._start(rec)
            values: Values | None = None
            try:
                rules = self._rules_for(rec)
                values = self._prepare(rec, i)
                for rule in rules:
                    fast = rows[id(rule)]
                    if fast is not None and rule.unpivot is None and not rule.checks:
                        lines = fast(values)
                        if lines is not None:  # a plain row of a plain rule
                            if lines:
                                buffer.append(" .\n".join(lines) + " .\n")
                                counts[rule.name] = counts.get(rule.name, 0) + len(lines)
                            continue
                    for row in (rule.unpivot.expand(values) if rule.unpivot else (values,)):
                        values = row
                        lines, graphs = self._rule_lines(rule, row, rows[id(rule)],
                                                         with_graphs)
                        if not lines:
                            continue
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
                self._fail(rec, exc, values)
            if len(buffer) > 2048:
                write("".join(buffer))
                buffer.clear()
        write("".join(buffer))
        self.header_checked = False
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
    from ..records import csv_layout, read_csv

    assert _JOB is not None
    mapping, with_graphs = _JOB
    path, start, end, first_line, out_path, last = job
    mapper = Mapper(mapping)
    mapper.header_checked = True  # checked once, before the parts were cut
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

    from ..records import csv_layout, split_csv

    global _JOB
    result = Mapper(mapping)
    layout = csv_layout(path)
    if layout is None:
        return result
    result.check_header(layout.header, path)
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

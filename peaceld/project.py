"""Project folders: where a build finds its facts, mappings, ontology, shapes and queries.

A project folder has a ``peaceld.toml`` and any of ``facts/``, ``mappings/``, ``ontology/``,
``shapes/``, ``queries/``. A research group keeps its own facts and reuses ours: for every
part except facts, the bundled files come first and the project's files are added (a project
file with the same name as a bundled one replaces it). ``reuse = false`` under ``[build]``
turns that off.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import PeaceldError
from .records import read_text

REUSED_PARTS = ("ontology", "mappings", "shapes", "queries")
SUFFIXES = {
    "ontology": (".ttl",),
    "mappings": (".yaml", ".yml"),
    "shapes": (".ttl",),
    "queries": (".rq",),
    "facts": (".yaml", ".yml"),
}
CONFIG = "peaceld.toml"


def bundled_root() -> Path:
    """The bundled dataset: package data in an installed wheel, else the source checkout."""
    here = Path(__file__).resolve().parent
    data = here / "data"
    if (data / CONFIG).is_file():
        return data
    return here.parent


def is_project(path: Path) -> bool:
    return (path / CONFIG).is_file()


@dataclass
class Input:
    """Extra inputs of a project, e.g. a CSV mapped by a mapping of its own."""

    files: list[Path]
    mapping: Path


@dataclass
class ProjectFolder:
    """A project folder's layout and ``peaceld.toml`` (the API over it is ``peaceld.Project``)."""

    root: Path
    config: dict = field(default_factory=dict)

    @classmethod
    def open(cls, root: Path) -> ProjectFolder:
        root = root.resolve()
        cfg_path = root / CONFIG
        if not cfg_path.is_file():
            raise PeaceldError(f"not a peaceld project (no {CONFIG}); start one with "
                               "'peaceld init DIR'", file=root)
        text = read_text(cfg_path, MAX_CONFIG_BYTES)
        try:
            config = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise _toml_error(exc, cfg_path) from None
        except RecursionError:
            raise PeaceldError("TOML nested too deeply", file=cfg_path) from None
        check_config(config, text, cfg_path)
        return cls(root, config)

    @property
    def name(self) -> str:
        return str(self.config.get("project", {}).get("name", self.root.name))

    @property
    def meta(self) -> dict:
        return dict(self.config.get("project", {}))

    @property
    def is_bundled(self) -> bool:
        """Whether this is the bundled dataset (package data, or the source checkout)."""
        return self.root == bundled_root().resolve()

    @property
    def reuses_bundled(self) -> bool:
        return bool(self.config.get("build", {}).get("reuse", True)) and (
            self.root != bundled_root().resolve())

    def files(self, part: str) -> list[Path]:
        """The files of one part, bundled ones first, each list sorted by name."""
        own = _list(self.root / part, SUFFIXES[part])
        if part == "facts" or not self.reuses_bundled:
            return own
        names = {p.name for p in own}
        bundled = [p for p in _list(bundled_root() / part, SUFFIXES[part]) if p.name not in names]
        return bundled + own

    def fact_files(self) -> list[Path]:
        """Facts files and passages files; passages first so that ids are known."""
        files = self.files("facts")
        return sorted(files, key=lambda p: (not p.name.endswith(".passages.yaml"), p.name))

    def facts_mapping(self) -> Path:
        for p in reversed(self.files("mappings")):
            if p.name == "facts.yaml":
                return p
        raise PeaceldError("no mappings/facts.yaml in the project or the bundled data",
                           file=self.root)

    def extra_inputs(self) -> list[Input]:
        """``[[inputs]]`` tables: ``files = ["data/*.csv"]``, ``mapping = "mappings/x.yaml"``.

        Every path must stay inside the project folder (after following symbolic links):
        a project's configuration never makes a build read files elsewhere.
        """
        cfg = self.root / CONFIG
        out = []
        for item in self.config.get("inputs", []):
            files = []
            try:
                for pattern in item.get("files", []):
                    _check_relative(pattern, cfg)
                    for p in sorted(self.root.glob(pattern)):
                        files.append(self.confined(p, pattern))
                _check_relative(item["mapping"], cfg)
                mapping = self.root / item["mapping"]
                if not mapping.is_file() and self.reuses_bundled:  # a bundled mapping, by name
                    bundled = bundled_root().resolve()
                    mapping = (bundled / item["mapping"]).resolve()
                    if not mapping.is_relative_to(bundled):
                        raise PeaceldError(f"{_show(item['mapping'])} leads outside the bundled "
                                           "data", file=cfg)
                else:
                    mapping = self.confined(mapping, item["mapping"])
                found = mapping.is_file()
            except (OSError, ValueError) as exc:  # a name too long, a malformed pattern
                what = getattr(exc, "strerror", None) or str(exc)
                raise PeaceldError(f"[[inputs]]: {what}", file=cfg) from None
            if not found:
                raise PeaceldError(f"mapping {item['mapping']!r} not found", file=cfg)
            out.append(Input(sorted(set(files)), mapping))
        return out

    def confined(self, path: Path, given: str) -> Path:
        """``path`` resolved, or an error if it (or a link on the way) leads outside."""
        _check_relative(given, self.root / CONFIG)
        resolved = path.resolve()
        if not resolved.is_relative_to(self.root):
            raise PeaceldError(f"{_show(given)} leads outside the project folder "
                               f"({_show(str(resolved))}); inputs must be inside it",
                               file=self.root / CONFIG)
        return resolved


MAX_CONFIG_BYTES = 1 << 20

#: Allowed keys of peaceld.toml: table -> {key: (type(s), what)}.
SCHEMA: dict[str, dict[str, tuple[Any, str]]] = {
    "project": {k: (str, "a string") for k in
                ("name", "title", "description", "license", "version", "homepage", "creator")},
    "build": {"reuse": (bool, "true or false")},
}


def _show(text: str) -> str:
    """A value quoted for a message, control characters escaped."""
    return repr(text)


def _toml_error(exc: tomllib.TOMLDecodeError, path: Path) -> PeaceldError:
    message = str(exc)
    m = re.search(r"\(at line (\d+), column (\d+)\)\s*$", message)
    if m:
        return PeaceldError(f"TOML error: {message[:m.start()].strip()}", file=path,
                            line=int(m.group(1)), column=int(m.group(2)))
    return PeaceldError(f"TOML error: {message}", file=path)


def _line_of(text: str, key: str) -> int | None:
    """The first line of the TOML text that mentions ``key`` (for messages)."""
    for n, line in enumerate(text.splitlines(), 1):
        if re.match(rf"\s*(\[\[?\s*{re.escape(key)}\b|{re.escape(key)}\s*=)", line):
            return n
    return None


def check_config(config: dict, text: str, path: Path) -> None:
    """Refuse a peaceld.toml whose tables or values have the wrong shape, in one line."""

    def fail(what: str, key: str) -> PeaceldError:
        return PeaceldError(what, file=path, line=_line_of(text, key))

    for table, value in config.items():
        if table == "inputs":
            continue
        if table not in SCHEMA:
            raise fail(f"unknown table [{table}] (expected project, build, inputs)", table)
        if not isinstance(value, dict):
            raise fail(f"'{table}' must be a table ([{table}])", table)
        for key, item in value.items():
            if key not in SCHEMA[table]:
                if table == "project":  # free-form metadata, but plain values only
                    if not isinstance(item, str | int | float | bool):
                        raise fail(f"[project] {key} must be a plain value", key)
                    continue
                raise fail(f"unknown key {key!r} in [{table}] (expected "
                           f"{', '.join(SCHEMA[table])})", key)
            kind, what = SCHEMA[table][key]
            if not isinstance(item, kind):
                raise fail(f"[{table}] {key} must be {what}, not {type(item).__name__}", key)
    inputs = config.get("inputs", [])
    if not isinstance(inputs, list) or not all(isinstance(i, dict) for i in inputs):
        raise fail("'inputs' must be tables: [[inputs]] with files = [...] and mapping = "
                   "\"...\"", "inputs")
    for item in inputs:
        unknown = [k for k in item if k not in ("files", "mapping")]
        if unknown:
            raise fail(f"unknown key {unknown[0]!r} in [[inputs]] (expected files, mapping)",
                       unknown[0])
        if "mapping" not in item:
            raise fail("[[inputs]] needs a mapping = \"mappings/...yaml\"", "inputs")
        if not isinstance(item["mapping"], str) or not item["mapping"]:
            raise fail("[[inputs]] mapping must be a path (a string)", "mapping")
        files = item.get("files", [])
        if not isinstance(files, list) or not all(isinstance(f, str) and f for f in files):
            raise fail("[[inputs]] files must be a list of paths or patterns (strings)",
                       "files")
        for given in [*files, item["mapping"]]:
            _check_relative(given, path, _line_of(text, "files" if given in files
                                                  else "mapping"))


def _check_relative(given: str, cfg: Path, line: int | None = None) -> None:
    """A path of peaceld.toml must be relative and must not climb out with '..'."""
    if "\x00" in given:
        raise PeaceldError(f"{_show(given)}: a path cannot hold a NUL character", file=cfg,
                           line=line)
    pure = Path(given)
    if pure.is_absolute() or given.startswith("~") or ".." in pure.parts:
        raise PeaceldError(f"{_show(given)}: paths in {CONFIG} must be relative to the "
                           "project folder and stay inside it", file=cfg, line=line)


def _list(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in suffixes)


def find_project(start: Path | None = None) -> ProjectFolder:
    """The project at ``start``; without it, the project holding the current folder (it or
    the nearest parent with a ``peaceld.toml``), else the bundled dataset."""
    if start is not None:
        return ProjectFolder.open(start)
    cwd = Path.cwd().resolve()
    for folder in (cwd, *cwd.parents):
        if is_project(folder):
            return ProjectFolder.open(folder)
    return ProjectFolder.open(bundled_root())


INIT_CONFIG = """\
# A peaceld project. `peaceld build` maps facts/ with the mappings, merges the ontology,
# validates with the shapes and writes the knowledge graph to dist/.
# The bundled ontology, mappings, shapes and queries are reused; files of the same name in
# this folder replace them. Set `reuse = false` under [build] to use only this folder.
[project]
name = "{name}"
title = "{name}"
description = "A peaceld knowledge graph."
license = "https://creativecommons.org/licenses/by/4.0/"
version = "0.1.0"

[build]
reuse = true

# Map extra tabular data with a mapping of your own:
# [[inputs]]
# files = ["data/*.csv"]
# mapping = "mappings/contributions.yaml"
"""


def init_project(path: Path) -> list[Path]:
    """Create a new project folder with a config and empty parts; never overwrite."""
    if (path / CONFIG).exists():
        raise PeaceldError(f"already a peaceld project ({CONFIG} exists)", file=path)
    created = []
    path.mkdir(parents=True, exist_ok=True)
    (path / CONFIG).write_text(INIT_CONFIG.format(name=path.resolve().name), encoding="utf-8")
    created.append(path / CONFIG)
    for part in ("facts", "mappings", "ontology", "shapes", "queries"):
        (path / part).mkdir(exist_ok=True)
        created.append(path / part)
    return created

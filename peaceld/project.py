"""Project folders: where a build finds its facts, mappings, ontology, shapes and queries.

A project folder has a ``peaceld.toml`` and any of ``facts/``, ``mappings/``, ``ontology/``,
``shapes/``, ``queries/``. A research group keeps its own facts and reuses ours: for every
part except facts, the bundled files come first and the project's files are added (a project
file with the same name as a bundled one replaces it). ``reuse = false`` under ``[build]``
turns that off.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import PeaceldError

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
        try:
            config = tomllib.loads(cfg_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise PeaceldError(f"TOML error: {exc}", file=cfg_path) from None
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
        """``[[inputs]]`` tables: ``files = ["data/*.csv"]``, ``mapping = "mappings/x.yaml"``."""
        out = []
        for item in self.config.get("inputs", []):
            files = sorted(p for pattern in item.get("files", [])
                           for p in self.root.glob(pattern))
            mapping = self.root / item["mapping"]
            if not mapping.is_file() and self.reuses_bundled:  # a bundled mapping, by name
                mapping = bundled_root() / item["mapping"]
            if not mapping.is_file():
                raise PeaceldError(f"mapping {item['mapping']!r} not found",
                                   file=self.root / CONFIG)
            out.append(Input(files, mapping))
        return out


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

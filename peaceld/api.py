"""The Python API: one ``Project`` with a method per job, used by the CLI and by notebooks.

    >>> import peaceld
    >>> kg = peaceld.Project()                 # the current project, or the bundled dataset
    >>> result = kg.build()                    # -> BuildResult, files in kg.dist
    >>> kg.query(name="operations-by-lead").table()
    >>> kg.validate(["contribution.ttl"]).has_violations   # .conforms: SHACL's verdict
    >>> kg.export("jsonld", part="data")       # bytes

Every option after the first argument is keyword-only. Nothing here prints; progress goes to
an optional callback.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from .build import BuildResult, build, default_out_dir
from .errors import PeaceldError
from .export import export
from .project import ProjectFolder, find_project
from .query import NamedQuery, QueryResult, load_library, run_local, run_remote
from .rdfio import load_dataset
from .store import build_id, ensure_store, push
from .validation import ValidationReport, validate_files

Progress = Callable[[str], None]


class Project:
    """A peaceld project folder and its build folder.

    ``path`` is a project folder (one with a ``peaceld.toml``); without it, the project that
    holds the current folder, else the bundled dataset. ``dist`` is where builds go
    (default: the project's ``dist/``, or ``./dist`` for the bundled dataset).
    """

    def __init__(self, path: str | Path | None = None, *, dist: str | Path | None = None
                 ) -> None:
        self.folder: ProjectFolder = find_project(Path(path) if path is not None else None)
        self.dist: Path = Path(dist) if dist is not None else default_out_dir(self.folder)

    def __repr__(self) -> str:
        return f"Project({str(self.folder.root)!r}, dist={str(self.dist)!r})"

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def root(self) -> Path:
        return self.folder.root

    # build ---------------------------------------------------------------------------------

    def build(self, *, validate: bool = True, progress: Progress | None = None) -> BuildResult:
        """Map the facts and inputs, merge the ontology, validate, write ``dist``."""
        return build(self.folder, out_dir=self.dist, validate=validate, progress=progress)

    @property
    def dump(self) -> Path:
        """The N-Quads dump of the current build."""
        return self.dist / "peaceld.nq"

    def require_build(self) -> Path:
        """The build folder; an error saying how to make one when there is none."""
        if not self.dump.is_file():
            what = "the bundled dataset" if self.folder.is_bundled else f"project {self.name}"
            raise PeaceldError(f"no build here ({what}): run 'peaceld build' first",
                               file=self.dist)
        return self.dist

    def dataset(self) -> list[ox.Quad]:
        """The quads of the current build."""
        return load_dataset(self.require_build() / "peaceld.nq")

    # validate ------------------------------------------------------------------------------

    def validate(self, files: list[str | Path], *, fmt: str | None = None,
                 mapping: str | Path | None = None, shapes: list[str | Path] | None = None,
                 ontology: list[str | Path] | None = None, focus: list[str] | None = None,
                 classes: list[str] | None = None, engine: str = "peaceld",
                 base: str | None = None) -> ValidationReport:
        """Validate contributed files against this project's shapes and ontology (or the
        ``shapes`` and ``ontology`` files given); CSV and facts files go through ``mapping``
        first; ``"-"`` is standard input. ``engine``: "peaceld" (compiled SPARQL, and
        pySHACL for whatever it does not compile), "compiled" or "pyshacl". ``base``
        resolves relative IRIs (default: each file's own IRI)."""
        return validate_files(
            [Path(f) for f in files],
            shapes=[Path(s) for s in shapes] if shapes else self.folder.files("shapes"),
            ontology=[Path(o) for o in ontology] if ontology else self.folder.files("ontology"),
            fmt=fmt, mapping=Path(mapping) if mapping is not None else None,
            focus=focus, classes=classes, engine=engine, base=base)

    # export --------------------------------------------------------------------------------

    def export(self, fmt: str = "ttl", *, part: str = "all", out: str | Path | None = None,
               compress: bool = False) -> bytes | list[Path]:
        """One part of the build in one RDF format: bytes, or files written beside ``out``
        (the export and its VoID/DCAT description)."""
        return export(self.require_build() / "peaceld.nq", fmt, part,
                      Path(out) if out is not None else None, compress, self.folder.meta)

    # query ---------------------------------------------------------------------------------

    def queries(self) -> dict[str, NamedQuery]:
        """The library of named research questions (``queries/*.rq``)."""
        return load_library(self.folder.files("queries"))

    def named_query(self, name: str) -> NamedQuery:
        """One query of the library; an error with a suggestion when there is none."""
        library = self.queries()
        if name not in library:
            close = difflib.get_close_matches(name, sorted(library), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else " (see 'peaceld query --list')"
            raise PeaceldError(f"no query named {name!r}{hint}")
        return library[name]

    def query(self, text: str | None = None, *, name: str | None = None,
              fmt: str | None = None, endpoint: str | None = None,
              timeout: float | None = None, max_memory: int | None = None,
              allow_service: bool = False, allow_insecure: bool = False,
              source: str | None = None) -> QueryResult:
        """Run SPARQL ``text`` (or the library query ``name``) on the embedded store of the
        build, or on ``endpoint``. Results come as JSON (select, ask) or Turtle (graphs)
        unless ``fmt`` says otherwise. ``timeout`` (seconds) and ``max_memory`` (MB: the
        query's memory locally, the answer's size from an endpoint) have safe defaults."""
        if (text is None) == (name is None):
            raise PeaceldError("give the query text or the name of a library query")
        if name is not None:
            named = self.named_query(name)
            text, source = named.text, str(named.path)
        assert text is not None
        source = source or "query"
        if endpoint:
            return run_remote(endpoint, text, fmt=fmt, timeout=timeout, source=source,
                              allow_service=allow_service, allow_insecure=allow_insecure,
                              max_bytes=max_memory << 20 if max_memory else None)
        return run_local(text, location=ensure_store(self.require_build()), fmt=fmt,
                         timeout=timeout, source=source, allow_service=allow_service,
                         max_memory_mb=max_memory)

    # triple stores -------------------------------------------------------------------------

    def push(self, endpoint: str, *, retries: int = 3, timeout: float = 600,
             allow_insecure: bool = False, resume: bool = False,
             progress: Callable[[int, int, str], None] | None = None) -> dict[str, int]:
        """Replace every graph of the build on a Graph Store Protocol endpoint; returns
        triples per graph. ``progress(done, total, graph)`` follows each graph. A push that
        fails half-way says which graphs it replaced and records them, so that
        ``resume=True`` pushes only the rest."""
        dist = self.require_build()
        return push(endpoint, self.dataset(), progress=progress, retries=retries,
                    timeout=timeout, allow_insecure=allow_insecure,
                    state=dist / ".push-state.json", build_id=build_id(dist), resume=resume)


__all__ = ["BuildResult", "NamedQuery", "Project", "QueryResult", "ValidationReport"]

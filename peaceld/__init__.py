"""peaceld: knowledge about peace operations as linked data.

The Python API (no click needed; see docs/api.md)::

    import peaceld
    kg = peaceld.Project()                      # current project, or the bundled dataset
    kg.build()                                  # -> BuildResult; files in kg.dist
    kg.query(name="operations-by-lead").table() # (header, rows)
    kg.validate(["data.ttl"]).conforms          # SHACL's verdict (ValidationReport)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import PeaceldError
from .version import __version__

if TYPE_CHECKING:
    from .api import BuildResult, NamedQuery, Project, QueryResult, ValidationReport

_API = ("BuildResult", "NamedQuery", "Project", "QueryResult", "ValidationReport")
__all__ = ["BuildResult", "NamedQuery", "PeaceldError", "Project", "QueryResult",
           "ValidationReport", "__version__"]


def __getattr__(name: str) -> Any:
    """The API classes, imported on first use (the CLI starts without loading them)."""
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'peaceld' has no attribute {name!r}")

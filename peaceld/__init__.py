"""peaceld: knowledge about peace operations as linked data.

The Python API (usable from a notebook, no click needed)::

    import peaceld
    result = peaceld.build_project()         # the bundled dataset, into ./dist/
    report = peaceld.validate(["data.ttl"])   # SHACL report object
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import PeaceldError  # noqa: E402

__all__ = ["PeaceldError", "__version__"]



def build_project(*args, **kwargs):  # noqa: ANN002, ANN003
    """Build a project (default: the bundled dataset) into dist/; see peaceld.build.build."""
    from .build import build

    return build(*args, **kwargs)


__all__ += ["build_project"]

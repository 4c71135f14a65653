"""peaceld: knowledge about peace operations as linked data.

The Python API (usable from a notebook, no click needed)::

    import peaceld
    result = peaceld.build()                 # the bundled dataset, into ./dist/
    report = peaceld.validate(["data.ttl"])   # SHACL report object
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import PeaceldError  # noqa: E402

__all__ = ["PeaceldError", "__version__"]

"""SHACL validation: shapes compiled to SPARQL on Oxigraph, pySHACL for what is not compiled.
report (findings, renderers) <- shapes <- compile (one module per constraint family) <- engine."""

from __future__ import annotations

from .engine import validate_files, validate_quads
from .report import RANK, SEVERITIES, Finding, ValidationReport, canonical, rank
from .shapes import path_text

__all__ = ["RANK", "SEVERITIES", "Finding", "ValidationReport", "canonical", "path_text", "rank",
           "validate_files", "validate_quads"]

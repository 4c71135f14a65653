"""Compatibility: ``peaceld.validate`` is now the package ``peaceld.validation``; this module
keeps the public names importable from here."""

from __future__ import annotations

from .validation import (
    RANK,
    SEVERITIES,
    Finding,
    ValidationReport,
    canonical,
    path_text,
    rank,
    validate_files,
    validate_quads,
)

__all__ = ["RANK", "SEVERITIES", "Finding", "ValidationReport", "canonical", "path_text", "rank",
           "validate_files", "validate_quads"]

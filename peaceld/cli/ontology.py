"""CLI commands for the ontology: check and docs."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..api import Project
from ..atomic import write_atomic
from ..ontology import check_ontology, generate_reference, markdown_to_html
from .render import print_table


def _ontology(path: Path | None) -> Path | list[Path]:
    """The file given, else every ontology file of the current project (bundled first)."""
    return path if path is not None else Project().folder.files("ontology")


@click.group("ontology")
def ontology_group() -> None:
    """Check the ontology and generate its reference."""


@ontology_group.command("check")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--fail-on", type=click.Choice(["error", "warn", "info"]), default="error",
              show_default=True, help="Exit 1 when a finding at or above this level exists.")
@click.option("--no-reasoner", is_flag=True, help="Skip HermiT (the quality report still runs).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def check_cmd(path: Path | None, fail_on: str, no_reasoner: bool, fmt: str) -> None:
    """Reason over an ontology (HermiT) and report quality problems in our own terms.

    Without PATH: the ontology files of the current project (the bundled ontology plus the
    project's own files). Reports inconsistency and unsatisfiable classes, then missing
    labels or definitions, duplicate labels, undeclared terms, missing domains or ranges,
    hierarchy cycles and header gaps. Exit 0 when clean, 1 with findings at or above
    --fail-on, 2 when the file cannot be used.

    \b
    Examples:
      peaceld ontology check
      peaceld ontology check my-extension.ttl --fail-on warn
      peaceld ontology check --no-reasoner --format json
    """
    report = check_ontology(_ontology(path), reasoner=not no_reasoner)
    if fmt == "json":
        click.echo(report.to_json())
    else:
        if report.findings:
            print_table("Findings", ["level", "code", "term", "message"],
                        [[f.level.upper(), f.code, f.term, f.message] for f in report.findings])
        click.echo(report.summary())
    if report.at_or_above(fail_on):
        sys.exit(1)


@ontology_group.command("docs")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("docs"), show_default=True, help="Folder for ontology.md/.html.")
def docs_cmd(path: Path | None, out_dir: Path) -> None:
    """Write a reference of every class, property and concept (Markdown and HTML).

    Without PATH: the ontology files of the current project.

    \b
    Example:
      peaceld ontology docs --out docs
    """
    markdown = generate_reference(_ontology(path))
    write_atomic(out_dir / "ontology.md", markdown.encode("utf-8"))
    title = markdown.splitlines()[0].lstrip("# ")
    write_atomic(out_dir / "ontology.html", markdown_to_html(markdown, title).encode("utf-8"))
    click.echo(f"wrote {out_dir / 'ontology.md'} and {out_dir / 'ontology.html'}")


def register(group: click.Group) -> None:
    """Add this module's commands to the peaceld group."""
    group.add_command(ontology_group)

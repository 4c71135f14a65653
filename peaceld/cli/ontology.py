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


def _grouped(pairs: tuple[tuple[Path, Path], ...]) -> list[tuple[Path, list[Path]]]:
    """The --map pairs grouped by mapping (first-seen order), so that the files of one
    mapping are mapped together, as one input (facts files may refer to each other)."""
    groups: dict[Path, list[Path]] = {}
    for mapping, file in pairs:
        groups.setdefault(mapping, []).append(file)
    return list(groups.items())


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
@click.option("--data", "data", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="RDF data (e.g. dist/peaceld.nq): also report own terms no data uses. "
              "Repeatable; the data of all files counts together.")
@click.option("--map", "mapped", multiple=True, nargs=2, metavar="MAPPING FILE",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Map FILE (a CSV table or facts YAML) with MAPPING in memory and count its "
              "triples as data too. Repeatable; the files given with the same MAPPING are "
              "mapped together. Combines with --data.")
@click.option("--fail-unused", is_flag=True,
              help="Exit 1 when some own term is unused (needs --data or --map).")
def check_cmd(path: Path | None, fail_on: str, no_reasoner: bool, fmt: str,
              data: tuple[Path, ...], mapped: tuple[tuple[Path, Path], ...],
              fail_unused: bool) -> None:
    """Reason over an ontology (HermiT) and report quality problems in our own terms.

    Without PATH: the ontology files of the current project (the bundled ontology plus the
    project's own files). Reports inconsistency and unsatisfiable classes, then missing
    labels or definitions, duplicate labels, undeclared terms, missing domains or ranges,
    hierarchy cycles and header gaps. Exit 0 when clean, 1 with findings at or above
    --fail-on, 2 when the file cannot be used.

    With --data and/or --map, also lists (INFO "unused") every own property no data triple
    uses and every own class without an instance (of it or a subclass): --data reads built
    RDF files, --map maps tables with their mapping first, so the vocabulary of table
    mappings counts as used by the tables they map. All of it counts together; a term is
    unused only if none of it uses the term; --fail-unused makes them fail (for CI).

    \b
    Examples:
      peaceld ontology check
      peaceld ontology check my-extension.ttl --fail-on warn
      peaceld ontology check --no-reasoner --format json
      peaceld ontology check --data dist/peaceld.nq     # also: terms no data uses
      peaceld ontology check --no-reasoner --fail-unused --data dist/peaceld.nq \\
          --map mappings/un-missions.yaml samples/un-missions.csv \\
          --map mappings/geopko-locations.yaml samples/geopko-locations.csv
    """
    if fail_unused and not (data or mapped):
        raise click.UsageError("--fail-unused needs --data or --map")
    report = check_ontology(_ontology(path), reasoner=not no_reasoner, data=list(data),
                            mapped=_grouped(mapped))
    if fmt == "json":
        click.echo(report.to_json())
    else:
        if report.findings:
            print_table("Findings", ["level", "code", "term", "message"],
                        [[f.level.upper(), f.code, f.term, f.message] for f in report.findings])
        click.echo(report.summary())
    if report.at_or_above(fail_on) or (
            fail_unused and any(f.code == "unused" for f in report.findings)):
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

"""CLI command for validating datasets against the shapes and the ontology."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..api import Project
from ..rdfio import FORMATS
from .render import write_data


@click.command("validate")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path))
@click.option("-f", "--format", "report_format",
              type=click.Choice(["text", "json", "turtle", "junit"]), default="text",
              show_default=True, help="Report format (turtle = the standard SHACL report).")
@click.option("--fail-on", type=click.Choice(["violation", "warning", "info"]),
              default="violation", show_default=True,
              help="Exit 1 when a result at or above this severity exists (the report's "
                   "conforms is SHACL's: false on any result, whatever this says).")
@click.option("--input-format", type=click.Choice([*sorted(FORMATS), "csv", "yaml"]),
              help="Input format (default: by file extension).")
@click.option("-m", "--mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Map CSV or facts files with this mapping first.")
@click.option("--shapes", "shape_files", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Shape files (default: the project's and the bundled shapes).")
@click.option("--focus", multiple=True, help="Only check this node (IRI or CURIE); repeatable.")
@click.option("--class", "classes", multiple=True,
              help="Only check instances of this class (e.g. pld:PeaceOperation).")
@click.option("--ontology", "ontology_files", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Ontology files (default: the project's and the bundled ontology).")
@click.option("--base", help="Base IRI for relative IRIs (default: each file's file:// IRI).")
@click.option("--engine", type=click.Choice(["peaceld", "compiled", "pyshacl"]),
              default="peaceld", show_default=True,
              help="peaceld: compiled SPARQL, and pySHACL for each shape it does not compile; "
                   "compiled: refuse such shapes; pyshacl: the reference engine for all.")
def validate_cmd(files: tuple[Path, ...], report_format: str, fail_on: str,
                 input_format: str | None, mapping: Path | None, shape_files: tuple[Path, ...],
                 focus: tuple[str, ...], classes: tuple[str, ...],
                 ontology_files: tuple[Path, ...], base: str | None, engine: str) -> None:
    """Check contributed data against the peaceld shapes and ontology.

    Reads Turtle, N-Triples, N-Quads, TriG, JSON-LD and RDF/XML, or CSV and facts files
    through --mapping; "-" reads standard input (give --input-format). Nothing the data
    or the shapes point at is fetched or read.

    The report's "conforms" (JSON; sh:conforms in Turtle) follows SHACL: false as soon as
    there is any result, warnings and infos included. The exit code is the --fail-on
    policy: 1 with a result at or above it, else 0 (by default a report of warnings only
    exits 0 yet says conforms: false); 2 when the input cannot be used. The JSON report's
    schema: peaceld/validation/report.schema.json (see docs/validation.md).

    \b
    Examples:
      peaceld validate contribution.ttl
      peaceld validate troops.csv -m mappings/contributions.yaml --fail-on warning
      peaceld validate kg.nq --class pld:PeaceOperation -f junit > report.xml
      peaceld validate data.jsonld -f turtle > report.ttl
      peaceld validate data.ttl --shapes my-shapes.ttl --base https://example.org/data/
      cat data.nt | peaceld validate - --input-format nt
    """
    report = Project().validate(
        list(files), shapes=list(shape_files) or None, ontology=list(ontology_files) or None,
        fmt=input_format, mapping=mapping, focus=list(focus) or None,
        classes=list(classes) or None, engine=engine, base=base)
    text = report.render(report_format)
    write_data(text.encode("utf-8"))  # data-made text: inert on a terminal
    if report.fails(fail_on):
        sys.exit(1)


def register(group: click.Group) -> None:
    """Add this module's commands to the peaceld group."""
    group.add_command(validate_cmd)

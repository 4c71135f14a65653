"""CLI commands that make graphs: build, map, init, passages."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..atomic import atomic_open, write_atomic
from ..build import build, map_files
from ..passages import passages_document, render_passages_yaml
from ..project import find_project, init_project
from .render import console, dim, print_table


@click.command("build")
@click.argument("project_dir", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: PROJECT_DIR/dist, or ./dist).")
@click.option("--no-validate", is_flag=True, help="Skip SHACL validation of the result.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def build_cmd(project_dir: Path | None, out_dir: Path | None, no_validate: bool,
              quiet: bool) -> None:
    """Build the knowledge graph of a project folder into dist/.

    Maps the facts with the mappings, merges the ontology, validates with the shapes and
    writes Turtle (default graph), TriG and N-Quads (one named graph per source passage)
    and summary.json. Without PROJECT_DIR: the current folder if it is a project, else the
    bundled dataset. On any error nothing is written and the previous build stays.

    \b
    Examples:
      peaceld build                   # bundled dataset -> ./dist/
      peaceld build my-project        # my-project/dist/
      peaceld build -o /tmp/kg --no-validate
    """
    err = console(stderr=True)
    progress = None if quiet else (lambda msg: err.print(dim(msg)))
    result = build(project_dir, out_dir, validate=not no_validate, progress=progress)
    if quiet:
        return
    s = result.stats
    print_table(
        f"Built {result.project.name}",
        ["what", "count"],
        [["triples (default graph)", s["triples"]], ["quads (with named graphs)", s["quads"]],
         ["ontology triples", s["ontology_triples"]], ["sources", s["sources"]],
         ["passages cited", s["passages_cited"]], ["facts", s["facts"]]],
    )
    print_table("Entities per class", ["class", "entities"],
                [[c, n] for c, n in sorted(s["entities_per_class"].items(),
                                           key=lambda kv: (-kv[1], kv[0]))])
    click.echo(f"wrote {', '.join(str(p) for p in result.files)}")


@click.command("map")
@click.option("-m", "--mapping", "mapping_path", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The mapping file (YAML).")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here (atomically) instead of standard output.")
@click.option("--format", "fmt", type=click.Choice(["nq", "nt"]), default="nq",
              show_default=True, help="N-Quads keeps named graphs; N-Triples drops them.")
@click.option("--input-format", type=click.Choice(["yaml", "csv"]),
              help="Input format (default: by file extension).")
@click.option("--ontology", "ontology_dir", type=click.Path(exists=True, path_type=Path),
              help="Ontology file or folder for concept references (default: the project's).")
def map_cmd(mapping_path: Path, files: tuple[Path, ...], out: Path | None, fmt: str,
            input_format: str | None, ontology_dir: Path | None) -> None:
    """Map facts or CSV files to RDF with a declarative mapping.

    \b
    Examples:
      peaceld map -m mappings/facts.yaml facts/*.yaml > facts.nq
      peaceld map -m mappings/contributions.yaml troops.csv -o troops.nt --format nt
    """
    if ontology_dir is None:
        ontology = find_project(None).files("ontology")
    elif ontology_dir.is_dir():
        ontology = sorted(ontology_dir.glob("*.ttl"))
    else:
        ontology = [ontology_dir]
    if out is None:
        stats = map_files(mapping_path, list(files), sys.stdout, ontology, fmt == "nq",
                          input_format)
    else:
        with atomic_open(out, newline="\n") as handle:
            stats = map_files(mapping_path, list(files), handle, ontology, fmt == "nq",
                              input_format)
    click.echo(f"mapped {stats.records} records to {stats.quads} triples", err=True)


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init_cmd(directory: Path) -> None:
    """Start a new project folder that reuses the bundled ontology, mappings and shapes.

    \b
    Example:
      peaceld init my-project && cd my-project && peaceld build
    """
    for path in init_project(directory):
        click.echo(f"created {path}")


@click.command("passages")
@click.argument("article", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the passages file here (atomically) instead of standard output.")
def passages_cmd(article: Path, out: Path | None) -> None:
    """List the citable passages (sNpM ids) of a plain-text article.

    Writes a YAML table of sections and paragraphs with character offsets and hashes, never
    the text itself; facts cite these ids in their `at` field.

    \b
    Example:
      peaceld passages ../shared/seeds/001_dc7105e24f5d1192.txt \\
          -o facts/001_dc7105e24f5d1192.passages.yaml
    """
    text = render_passages_yaml(passages_document(article))
    if out is None:
        click.echo(text, nl=False)
    else:
        write_atomic(out, text.encode("utf-8"))


def register(group: click.Group) -> None:
    """Add this module's commands to the peaceld group."""
    for command in (build_cmd, map_cmd, init_cmd, passages_cmd):
        group.add_command(command)

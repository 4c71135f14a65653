"""CLI commands that make graphs: build, map, init, passages."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import click
import pyoxigraph as ox

from ..api import Project
from ..atomic import atomic_open, write_atomic
from ..errors import PeaceldError
from ..mapping import explain as explain_mapping
from ..mapping import map_files, open_mapping
from ..passages import passages_document, render_passages_yaml
from ..project import init_project
from ..rdfio import FORMATS, SUFFIXES, load_ontology, serialize, sorted_unique
from .render import console, dim, print_table, safe


@click.command("build")
@click.argument("project_dir", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: the project's dist/).")
@click.option("--no-validate", is_flag=True, help="Skip SHACL validation of the result.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def build_cmd(project_dir: Path | None, out_dir: Path | None, no_validate: bool,
              quiet: bool) -> None:
    """Build the knowledge graph of a project folder into dist/.

    Maps the facts with the mappings, merges the ontology, validates with the shapes and
    writes Turtle (default graph), TriG and N-Quads (one named graph per source passage)
    and summary.json. Without PROJECT_DIR: the project holding the current folder (a folder
    with a peaceld.toml, here or above), else the bundled dataset into ./dist. On any error
    nothing is written and the previous build stays.

    \b
    Examples:
      peaceld build                   # this project (or the bundled dataset) -> dist/
      peaceld build my-project        # my-project/dist/
      peaceld build -o /tmp/kg --no-validate
    """
    err = console(stderr=True)
    progress = None if quiet else (lambda msg: err.print(dim(msg)))
    result = Project(project_dir, dist=out_dir).build(validate=not no_validate,
                                                      progress=progress)
    for warning in result.warnings:
        err.print(f"warning: {safe(warning)}")
    if quiet:
        return
    grounding = result.grounding  # `peaceld facts check`, as warnings
    if grounding is not None and not grounding.ok(strict=True):
        for line in grounding.warnings(limit=20):
            err.print(f"warning: {safe(line)}")
        err.print(f"warning: {grounding.summary()} (peaceld facts check lists them all)",
                  markup=False)
    s = result.stats
    report = result.validation
    verdict = ("skipped (--no-validate)" if no_validate else "no shapes" if report is None
               else report.summary())
    print_table(
        f"Built {result.project.name}",
        ["what", "count"],
        [["facts", s["facts"]], ["drafts left out (not accepted)", s.get("drafts_left_out", 0)],
         ["sources (articles)", s["sources"]],
         ["passages", s["passages"]], ["passages cited by facts", s["passages_cited"]],
         ["triples (default graph)", s["triples"]], ["quads (with named graphs)", s["quads"]],
         ["ontology triples", s["ontology_triples"]]],
    )
    print_table("Entities per class", ["class", "entities"],
                [[c, n] for c, n in sorted(s["entities_per_class"].items(),
                                           key=lambda kv: (-kv[1], kv[0]))])
    click.echo(f"validation: {verdict}")
    click.echo(f"wrote {', '.join(str(p) for p in result.files)}")


@click.command("map")
@click.option("-m", "--mapping", "mapping_path", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The mapping file (YAML).")
@click.argument("files", nargs=-1,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here (atomically) instead of standard output; the format follows "
              "the suffix (.nq, .nt, .ttl, .trig, .jsonld, .rdf) unless --format says.")
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)),
              help="Output format (default: by the suffix of --out, else nq). nq and trig "
              "keep the named graphs; the others merge them.")
@click.option("--input-format", type=click.Choice(["yaml", "csv"]),
              help="Input format (default: by file extension).")
@click.option("--ontology", "ontology_dir", type=click.Path(exists=True, path_type=Path),
              help="Ontology file or folder for concept references (default: the project's).")
@click.option("--explain", is_flag=True,
              help="Print the Python code generated for each rule (for the output format) "
              "instead of mapping; no FILES needed.")
def map_cmd(mapping_path: Path, files: tuple[Path, ...], out: Path | None, fmt: str | None,
            input_format: str | None, ontology_dir: Path | None, explain: bool) -> None:
    """Map facts or CSV files to RDF with a declarative mapping.

    \b
    Examples:
      peaceld map -m mappings/facts.yaml facts/*.yaml > facts.nq
      peaceld map -m mappings/contributions.yaml troops.csv -o troops.nt
      peaceld map -m mappings/contributions.yaml troops.csv -o troops.ttl
      peaceld map -m mappings/contributions.yaml --explain --format nt
    """
    if not files and not explain:
        raise click.UsageError("Missing argument 'FILES...'.")
    fmt = fmt or _format_of(out)
    if ontology_dir is None:
        ontology_files = Project().folder.files("ontology")
    elif ontology_dir.is_dir():
        ontology_files = sorted(ontology_dir.glob("*.ttl"))
    else:
        ontology_files = [ontology_dir]
    options = {"ontology": load_ontology(ontology_files), "with_graphs": fmt in ("nq", "trig"),
               "fmt": input_format}
    if explain:
        mapping = open_mapping(mapping_path, options["ontology"])
        click.echo(explain_mapping(mapping, with_graphs=options["with_graphs"]), nl=False)
        return
    if fmt in ("nq", "nt"):  # streamed, line by line
        if out is None:
            stats = map_files(mapping_path, list(files), sys.stdout, **options)
        else:
            with atomic_open(out, newline="\n") as handle:
                stats = map_files(mapping_path, list(files), handle, **options)
    else:  # the other formats need the whole graph: mapped in memory, written sorted
        buffer = io.StringIO()
        stats = map_files(mapping_path, list(files), buffer, **options)
        quads = sorted_unique(ox.parse(buffer.getvalue().encode("utf-8"),
                                       format=ox.RdfFormat.N_QUADS))
        items = quads if fmt in ("trig", "jsonld") else [q.triple for q in quads]
        data = serialize(items, fmt)
        if out is None:
            sys.stdout.buffer.write(data)
        else:
            write_atomic(out, data)
    click.echo(stats.summary(), err=True)


def _format_of(out: Path | None) -> str:
    """The output format a file name asks for (N-Quads for standard output)."""
    if out is None:
        return "nq"
    suffix = out.suffix.lower()
    by_suffix = {ext: name for name, f in FORMATS.items() for ext, g in SUFFIXES.items()
                 if f == g}
    if suffix not in by_suffix:
        raise PeaceldError(f"cannot tell the RDF format from {suffix or 'no suffix'!r}: "
                           "use --format", file=out)
    return by_suffix[suffix]


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
    click.echo(f"""
Next:
  1. put facts files in {directory / 'facts'} (see docs/facts.md); to cite passages of
     your own article: peaceld passages article.txt -o {directory / 'facts'}/article.passages.yaml
  2. map tables of your own: add [[inputs]] to {directory / 'peaceld.toml'}
  3. peaceld build {directory}        # writes {directory / 'dist'}/
  4. peaceld query --dist {directory / 'dist'} --list""")


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

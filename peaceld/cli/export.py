"""CLI commands that move the graph out: export and push."""

from __future__ import annotations

from pathlib import Path

import click

from ..api import Project
from ..export import FORMATS, GRAPH_PARTS
from .render import print_table, progress_bar, write_data

DIST_OPTION = click.option("--dist", type=click.Path(file_okay=False, path_type=Path),
                           help="The build folder (default: the project's dist/).")


@click.command("export")
@click.option("-f", "--format", "fmt", type=click.Choice(sorted(FORMATS)), default="ttl",
              show_default=True, help="RDF format.")
@click.option("-g", "--graph", "part", type=click.Choice(GRAPH_PARTS), default="all",
              show_default=True, help="Which part: ontology, data (facts as triples), "
              "provenance (sources and passage graphs) or all.")
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here (atomically), with a VoID/DCAT description in OUT.void.ttl; "
              "default: standard output.")
@click.option("--gzip", "compress", is_flag=True, help="Compress with gzip.")
@DIST_OPTION
def export_cmd(fmt: str, part: str, out: Path | None, compress: bool, dist: Path | None) -> None:
    """Export the knowledge graph in any RDF format, byte-identical for the same build.

    Quad formats (nq, trig, jsonld) keep one named graph per source passage for the
    provenance and all parts; triple formats merge them. Run 'peaceld build' first.

    \b
    Examples:
      peaceld export -f nt -g data -o kg.nt          # also writes kg.nt.void.ttl
      peaceld export -f trig -g provenance --gzip -o kg.trig.gz
      peaceld export -f jsonld -g data | head
    """
    result = Project(dist=dist).export(fmt, part=part, out=out, compress=compress)
    if isinstance(result, bytes):
        write_data(result)
    else:
        click.echo(f"wrote {', '.join(str(p) for p in result)}", err=True)


@click.command("push")
@click.option("--endpoint", required=True, help="Graph Store Protocol URL, e.g. "
              "http://127.0.0.1:7878/store (Oxigraph) or http://host:3030/ds/data (Fuseki).")
@DIST_OPTION
@click.option("--retries", type=click.IntRange(0, 20), default=3, show_default=True,
              help="Retries on connection errors and 408/429/5xx answers.")
@click.option("--timeout", type=click.FloatRange(0, None, min_open=True), default=600,
              show_default=True, help="Seconds to wait for the store to answer each request.")
@click.option("--allow-insecure", is_flag=True, help="Allow sending credentials over plain "
              "http to another machine (https, or http to this machine, needs no flag).")
@click.option("--resume", is_flag=True, help="After a failed push: push only the graphs it "
              "did not replace.")
def push_cmd(endpoint: str, dist: Path | None, retries: int, timeout: float,
             allow_insecure: bool, resume: bool) -> None:
    """Load the graphs into a triple store, replacing each graph atomically.

    Sends the ontology, the data (union of passage graphs), the sources and every passage
    graph, one HTTP PUT each. Credentials come from PEACELD_TOKEN, PEACELD_USER and
    PEACELD_PASSWORD, or ~/.netrc; never from the command line. To ask the store the
    library's provenance questions, query it with the default graph as the union of the
    graphs (see docs/triple-stores.md).

    \b
    Examples:
      peaceld push --endpoint http://127.0.0.1:7878/store
      PEACELD_USER=admin PEACELD_PASSWORD=... peaceld push --endpoint https://kg.example/ds/data
      peaceld push --endpoint https://kg.example/ds/data --resume   # after a failed push
    """
    project = Project(dist=dist)
    with progress_bar("pushing graphs") as advance:
        sent = project.push(endpoint, retries=retries, timeout=timeout,
                            allow_insecure=allow_insecure, resume=resume, progress=advance)
    click.echo(f"Pushed {len(sent)} graphs ({sum(sent.values())} triples) to {endpoint}")
    big = sorted(sent.items(), key=lambda kv: -kv[1])[:5]
    print_table("The largest", ["graph", "triples"], [[g, n] for g, n in big])


def register(group: click.Group) -> None:
    """Add this module's commands to the peaceld group."""
    group.add_command(export_cmd)
    group.add_command(push_cmd)

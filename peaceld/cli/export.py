"""CLI commands that move the graph out: export and push."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..export import FORMATS, PARTS, export, load_dataset
from ..project import find_project
from ..store import build_id, push
from .render import console, dim, print_table


def ensure_build(dist: Path | None) -> Path:
    """The build folder, building the current project (or the bundled data) if it is empty."""
    from ..build import build

    dist = dist or Path("dist")
    if not (dist / "peaceld.nq").is_file():
        err = console(stderr=True)
        err.print(dim(f"no build in {dist}: building it first"))
        build(None, dist, progress=lambda m: err.print(dim(m)))
    return dist


def dataset_of(dist: Path | None) -> tuple[Path, list]:
    """The quads of a build (building it first if needed)."""
    dist = ensure_build(dist)
    return dist, load_dataset(dist / "peaceld.nq")


@click.command("export")
@click.option("-f", "--format", "fmt", type=click.Choice(sorted(FORMATS)), default="ttl",
              show_default=True, help="RDF format.")
@click.option("-g", "--graph", "part", type=click.Choice(PARTS), default="all",
              show_default=True, help="Which part: ontology, data (facts as triples), "
              "provenance (sources and passage graphs) or all.")
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here (atomically, with a VoID/DCAT description beside it); "
              "default: standard output.")
@click.option("--gzip", "compress", is_flag=True, help="Compress with gzip.")
@click.option("--dist", type=click.Path(file_okay=False, path_type=Path),
              help="The build folder (default: ./dist, built first if missing).")
def export_cmd(fmt: str, part: str, out: Path | None, compress: bool, dist: Path | None) -> None:
    """Export the knowledge graph in any RDF format, byte-identical for the same build.

    Quad formats (nq, trig, jsonld) keep one named graph per source passage for the
    provenance and all parts; triple formats merge them.

    \b
    Examples:
      peaceld export -f nt -g data -o kg.nt
      peaceld export -f trig -g provenance --gzip -o kg.trig.gz
      peaceld export -f jsonld -g data | head
    """
    dump = ensure_build(dist) / "peaceld.nq"
    meta = find_project(None).meta
    result = export(dump, fmt, part, out, compress, meta)
    if out is None:
        sys.stdout.buffer.write(result)  # type: ignore[arg-type]
    else:
        click.echo(f"wrote {', '.join(str(p) for p in result)}", err=True)


@click.command("push")
@click.option("--endpoint", required=True, help="Graph Store Protocol URL, e.g. "
              "http://127.0.0.1:7878/store (Oxigraph) or http://host:3030/ds/data (Fuseki).")
@click.option("--dist", type=click.Path(file_okay=False, path_type=Path),
              help="The build folder (default: ./dist, built first if missing).")
@click.option("--retries", type=int, default=3, show_default=True,
              help="Retries on connection errors and 408/429/5xx answers.")
@click.option("--timeout", type=float, default=600, show_default=True,
              help="Seconds to wait for the store to answer each request.")
@click.option("--allow-insecure", is_flag=True, help="Allow sending credentials over plain "
              "http to another machine (https, or http to this machine, needs no flag).")
@click.option("--resume", is_flag=True, help="After a failed push: push only the graphs it "
              "did not replace.")
def push_cmd(endpoint: str, dist: Path | None, retries: int, timeout: float,
             allow_insecure: bool, resume: bool) -> None:
    """Load the graphs into a triple store, replacing each graph atomically.

    Sends the ontology, the data (union of passage graphs), the sources and every passage
    graph, one HTTP PUT each. Credentials come from PEACELD_TOKEN, PEACELD_USER and
    PEACELD_PASSWORD, or ~/.netrc; never from the command line.

    \b
    Examples:
      peaceld push --endpoint http://127.0.0.1:7878/store
      PEACELD_USER=admin PEACELD_PASSWORD=... peaceld push --endpoint https://kg.example/ds/data
      peaceld push --endpoint https://kg.example/ds/data --resume   # after a failed push
    """
    where, quads = dataset_of(dist)
    err = console(stderr=True)
    sent = push(endpoint, quads, progress=lambda m: err.print(m, style="dim", markup=False),
                retries=retries, timeout=timeout, allow_insecure=allow_insecure,
                state=where / ".push-state.json", build_id=build_id(where), resume=resume)
    big = sorted(sent.items(), key=lambda kv: -kv[1])[:5]
    print_table(f"Pushed {len(sent)} graphs ({sum(sent.values())} triples)",
                ["graph", "triples"], [[g, n] for g, n in big])


def register(group: click.Group) -> None:
    """Add this module's commands to the peaceld group."""
    group.add_command(export_cmd)
    group.add_command(push_cmd)

"""CLI command for SPARQL: query the embedded store, a remote endpoint or the library."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import pyoxigraph as ox

from ..errors import PeaceldError
from ..export import FORMATS
from ..project import find_project
from ..query import load_library, read_query, run_local, run_remote, table_rows
from ..store import ensure_store
from .export import ensure_build
from .render import print_table, write_data

OUTPUTS = ["table", "csv", "tsv", "json", "xml", *[f for f in sorted(FORMATS) if f != "xml"]]


@click.command("query")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False,
                                                         path_type=Path))
@click.option("-e", "--expression", help="The query text itself.")
@click.option("-n", "--name", help="A query from the library (see --list).")
@click.option("--list", "list_", is_flag=True, help="List the library's queries.")
@click.option("-f", "--format", "fmt", type=click.Choice(OUTPUTS), default="table",
              show_default=True, help="SELECT/ASK: table, csv, tsv, json, xml (W3C result "
              "formats). CONSTRUCT/DESCRIBE: ttl, nt, nq, trig, jsonld, xml.")
@click.option("--endpoint", help="Query this SPARQL endpoint instead of the embedded store.")
@click.option("--timeout", type=float, help="Stop the query after this many seconds "
              "(default: 120 on the embedded store, 60 for an endpoint).")
@click.option("--max-memory", type=int, help="Stop a local query that needs more than this "
              "many MB (default 4096); for an endpoint, the largest answer accepted, in MB "
              "(default 512).")
@click.option("--allow-service", is_flag=True, help="Allow SERVICE calls to other endpoints.")
@click.option("--allow-insecure", is_flag=True, help="Allow sending credentials to an "
              "endpoint over plain http on another machine.")
@click.option("--dist", type=click.Path(file_okay=False, path_type=Path),
              help="The build folder (default: ./dist, built first if missing).")
def query_cmd(file: Path | None, expression: str | None, name: str | None, list_: bool,
              fmt: str, endpoint: str | None, timeout: float | None, max_memory: int | None,
              allow_service: bool, allow_insecure: bool, dist: Path | None) -> None:
    """Ask the knowledge graph a question in SPARQL; get a table (or W3C results) back.

    Prefixes pld:, pldc:, pldid:, rdfs:, skos:, dcterms:, prov:, org:, owl:, xsd: and the
    others of peaceld are predeclared. The default graph is the union of all graphs; use
    GRAPH ?passage { ... } to see which source passage says what.

    \b
    Examples:
      peaceld query --list
      peaceld query --name operations-by-lead
      peaceld query -e 'SELECT ?op ?label WHERE { ?op a pld:PeaceOperation ; rdfs:label ?label }'
      peaceld query my-question.rq -f csv > answers.csv
      peaceld query --name outcomes-by-source --endpoint http://127.0.0.1:7878/query
    """
    library = load_library(find_project(None).files("queries"))
    if list_:
        print_table("Query library", ["name", "title"],
                    [[q.name, q.title] for q in sorted(library.values(), key=lambda q: q.name)])
        return
    given = [x for x in (file, expression, name) if x]
    if len(given) != 1:
        raise PeaceldError("give exactly one of FILE, -e QUERY or --name NAME (or --list)")
    if name is not None:
        if name not in library:
            import difflib

            close = difflib.get_close_matches(name, sorted(library), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else " (see 'peaceld query --list')"
            raise PeaceldError(f"no query named {name!r}{hint}")
        text, source = library[name].text, str(library[name].path)
    elif file is not None:
        text, source = read_query(file), str(file)
    else:
        text, source = expression or "", "-e"
    if endpoint:
        kind, payload = run_remote(endpoint, text, fmt, timeout, source, allow_service,
                                   (max_memory << 20) if max_memory else None, allow_insecure)
    else:
        location = ensure_store(ensure_build(dist))
        kind, payload = run_local(text, location, None, fmt, timeout, source, allow_service,
                                  max_memory)
    _render(kind, payload, fmt)


def _render(kind: str, payload: object, fmt: str) -> None:
    out = sys.stdout
    if kind == "ask":
        if isinstance(payload, bytes):
            write_data(payload)
        else:
            out.write(("true" if payload else "false") + "\n")
        return
    if kind == "select":
        assert isinstance(payload, bytes)
        if fmt == "table":
            head, rows = table_rows(payload)
            print_table(f"{len(rows)} row(s)", head, rows)
        else:
            write_data(payload)
        return
    assert isinstance(payload, bytes)
    triples = list(ox.parse(payload, format=ox.RdfFormat.N_TRIPLES))
    graph_format = fmt if fmt in FORMATS else "ttl"
    quads = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples]
    from ..export import serialize

    write_data(serialize(quads, graph_format, "all"))


def register(group: click.Group) -> None:
    """Add this module's commands to the peaceld group."""
    group.add_command(query_cmd)

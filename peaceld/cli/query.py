"""CLI command for SPARQL: query the embedded store, a remote endpoint or the library."""

from __future__ import annotations

from pathlib import Path

import click

from ..api import Project
from ..errors import PeaceldError
from ..query import RESULT_FORMATS, read_query
from ..rdfio import FORMATS
from .export import DIST_OPTION
from .render import console, print_table, write_data

OUTPUTS = ["table", *RESULT_FORMATS, *[f for f in sorted(FORMATS) if f != "xml"]]


@click.command("query")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False,
                                                         path_type=Path))
@click.option("-e", "--expression", help="The query text itself.")
@click.option("-n", "--name", help="A query from the library (see --list).")
@click.option("--list", "list_", is_flag=True, help="List the library's queries.")
@click.option("-f", "--format", "fmt", type=click.Choice(OUTPUTS), default="table",
              show_default=True, help="SELECT/ASK: table, csv, tsv, json, xml (W3C result "
              "formats). CONSTRUCT/DESCRIBE: table gives Turtle; ttl, nt, nq, trig, jsonld.")
@click.option("--endpoint", help="Query this SPARQL endpoint (http or https) instead of the "
              "embedded store.")
@click.option("--timeout", type=float, help="Stop the query after this many seconds "
              "(default: 120 on the embedded store, 60 for an endpoint).")
@click.option("--max-memory", type=int, help="Stop a local query that needs more than this "
              "many MB (default 4096); for an endpoint, the largest answer accepted, in MB "
              "(default 512).")
@click.option("--allow-service", is_flag=True, help="Allow SERVICE calls to other endpoints.")
@click.option("--allow-insecure", is_flag=True, help="Allow sending credentials to an "
              "endpoint over plain http on another machine.")
@DIST_OPTION
def query_cmd(file: Path | None, expression: str | None, name: str | None, list_: bool,
              fmt: str, endpoint: str | None, timeout: float | None, max_memory: int | None,
              allow_service: bool, allow_insecure: bool, dist: Path | None) -> None:
    """Ask the knowledge graph a question in SPARQL; get a table (or W3C results) back.

    Every prefix peaceld writes is predeclared: pld:, pldc:, rdfs:, skos:, dcterms:, prov:,
    org:, owl:, xsd:, and one per kind of entity (operation:, organisation:, state:, ...), so
    a name copied from a table works in the next query. The embedded store's default graph
    is the union of all graphs; use GRAPH ?passage { ... } to see which source passage says
    what. A remote store answers provenance questions only when its default graph is the
    union of its graphs (Oxigraph: serve --union-default-graph; see docs/triple-stores.md).

    \b
    Examples:
      peaceld query --list
      peaceld query --name operations-by-lead
      peaceld query -e 'SELECT ?op ?label WHERE { ?op a pld:PeaceOperation ; rdfs:label ?label }'
      peaceld query my-question.rq -f csv > answers.csv
      peaceld query --name outcomes-by-source --endpoint http://127.0.0.1:7878/query
    """
    project = Project(dist=dist)
    if list_:
        print_table("Query library", ["name", "title"],
                    [[q.name, q.title] for q in sorted(project.queries().values(),
                                                       key=lambda q: q.name)])
        return
    given = [x for x in (file, expression, name) if x]
    if len(given) != 1:
        raise PeaceldError("give exactly one of FILE, -e QUERY or --name NAME (or --list)")
    text, source = None, None
    if file is not None:
        text, source = read_query(file), str(file)
    elif expression is not None:
        text, source = expression, "-e"
    as_table = fmt == "table"
    result = project.query(text, name=name, fmt=None if as_table else fmt, endpoint=endpoint,
                           timeout=timeout, max_memory=max_memory, allow_service=allow_service,
                           allow_insecure=allow_insecure, source=source)
    if result.kind == "select" and as_table:
        head, rows = result.table()
        print_table(f"{len(rows)} row(s)", head, rows)
        if not rows and endpoint:
            console(stderr=True).print(
                "0 rows from the endpoint: if its default graph is not the union of its "
                "graphs, patterns outside GRAPH find nothing (see docs/triple-stores.md)",
                markup=False)
    elif result.kind == "ask" and as_table:
        click.echo("true" if result.boolean else "false")
    else:
        write_data(result.data)


def register(group: click.Group) -> None:
    """Add this module's commands to the peaceld group."""
    group.add_command(query_cmd)

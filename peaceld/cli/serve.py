"""CLI commands that publish the graph: ``serve`` (HTTP server) and ``site`` (static files)."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import PeaceldError
from ..web.pages import BASE_IRI


def _dist(project_dir: Path | None, dist: Path | None) -> Path:
    """The build folder to publish; an error saying to build first when there is none."""
    from ..api import Project

    return Project(project_dir, dist=dist).require_build()


@click.command("serve")
@click.argument("project_dir", required=False, type=click.Path(file_okay=False, exists=True,
                                                                path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; anything but loopback makes the server public.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--base-iri", default=BASE_IRI, show_default=True,
              help="IRIs under this base are served at the same path on this server.")
@click.option("--dist", type=click.Path(file_okay=False, path_type=Path),
              help="The build folder (default: the project's dist/; run 'peaceld build' first).")
@click.option("--timeout", default=10.0, show_default=True, type=click.FloatRange(0.1),
              help="Seconds a SPARQL query may run before it is stopped.")
@click.option("--max-results", default=10_000, show_default=True, type=click.IntRange(1),
              help="Most rows (or triples) a SPARQL query may return.")
@click.option("--max-request", default=64 * 1024, show_default=True, type=click.IntRange(256),
              help="Largest request body or query, in bytes.")
@click.option("--workers", default=None, type=click.IntRange(1, 64),
              help="Most query worker processes, started as concurrent queries need them "
                   "(default: 4 per core, at most 8).")
@click.option("--drafts", "drafts", multiple=True, type=click.Path(exists=True, path_type=Path),
              metavar="FILE",
              help="Also show this drafted facts file (or every facts file of this folder) "
                   "beside its article text, at /drafts/; repeatable. Off by default: the "
                   "articles' sentences never enter the published graph (only passage ids and "
                   "offsets do), so the server publishes no article text unless asked.")
@click.option("-a", "--articles", "articles", multiple=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="With --drafts: a folder with the article texts (ARTICLE-ID.txt), as for "
                   "'peaceld facts review -a'; repeatable.")
def serve_cmd(project_dir: Path | None, host: str, port: int, base_iri: str,
              dist: Path | None, timeout: float, max_results: int, max_request: int,
              workers: int | None, drafts: tuple[Path, ...], articles: tuple[Path, ...]) -> None:
    """Serve the knowledge graph as linked data: pages, RDF documents and SPARQL.

    Read-only. Every IRI under the base IRI is served at the same path
    (https://w3id.org/peaceld/id/operation/unmil at /id/operation/unmil), by content
    negotiation: HTML for browsers, Turtle, N-Triples, JSON-LD, RDF/XML, or TriG/N-Quads
    with the provenance graphs. /sparql is a SPARQL 1.1 Protocol endpoint (no updates, no
    SERVICE, with a timeout and a result cap); /query is a query page with the library.
    With --drafts, /drafts/ shows drafted facts beside their article, evidence highlighted,
    with the 'peaceld facts review' command that accepts or drops each (the server never
    writes the file).

    \b
    Examples:
      peaceld build && peaceld serve             # http://127.0.0.1:8000/
      peaceld serve my-project --port 8080
      peaceld serve --timeout 30 --max-results 50000
      peaceld serve --drafts facts/unficyp.yaml -a articles/   # http://127.0.0.1:8000/drafts/
      curl -H 'Accept: text/turtle' -L http://127.0.0.1:8000/id/operation/unmil
    """
    import uvicorn

    from ..web.drafts import DraftSources
    from ..web.serve import SAFE_HOSTS, create_app, default_workers, settings_for

    if not base_iri.endswith("/"):
        raise PeaceldError(f"--base-iri {base_iri!r} must end with '/'")
    if articles and not drafts:
        raise PeaceldError("-a/--articles is only used with --drafts")
    shown = DraftSources(list(drafts), list(articles)) if drafts else None  # checked first
    location = _dist(project_dir, dist)
    settings = settings_for(location, base_iri, project_dir, timeout=timeout,
                            max_results=max_results, max_request=max_request,
                            workers=workers or default_workers(), drafts=shown)
    app = create_app(settings)
    app.state.peaceld.pool.start(2)
    if not SAFE_HOSTS.match(host):
        click.echo(f"warning: binding {host}: anyone who can reach this machine can read the "
                   "graph and run queries", err=True)
    where = f"[{host}]" if ":" in host else host
    click.echo(f"peaceld: serving {location} at http://{where}:{port}/  (Ctrl-C stops)")
    if shown is not None:
        click.echo(f"peaceld: {len(shown.files)} drafted facts file(s) at "
                   f"http://{where}:{port}/drafts/ (read-only)")
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        app.state.peaceld.pool.close()


@click.command("site")
@click.argument("project_dir", required=False, type=click.Path(file_okay=False, exists=True,
                                                                path_type=Path))
@click.option("-o", "--out", "out_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder to write.")
@click.option("--base-iri", default=BASE_IRI, show_default=True,
              help="IRIs under this base get a page at the same path in the site.")
@click.option("--site-url", default=None,
              help="Where the site will be published, for the w3id.org redirect rules "
                   "(e.g. https://example.org/peaceld/).")
@click.option("--dist", type=click.Path(file_okay=False, path_type=Path),
              help="The build folder (default: the project's dist/; run 'peaceld build' first).")
def site_cmd(project_dir: Path | None, out_dir: Path, base_iri: str, site_url: str | None,
             dist: Path | None) -> None:
    """Write the pages and RDF documents as static files, with redirect rules.

    The folder works on any web server: .htaccess (Apache) and nginx.conf give content
    negotiation and 303 redirects from resource IRIs to their documents; w3id.htaccess is
    the rule to propose to w3id.org so that the base IRI resolves to the site.

    \b
    Examples:
      peaceld site -o site/
      peaceld site my-project -o public/ --site-url https://example.org/peaceld/
    """
    from ..web.site import write_site

    if not base_iri.endswith("/"):
        raise PeaceldError(f"--base-iri {base_iri!r} must end with '/'")
    location = _dist(project_dir, dist)
    written = write_site(location, out_dir, base_iri, project_dir, site_url)
    click.echo(f"wrote {written} files to {out_dir}")


def register(group: click.Group) -> None:
    """Add this module's commands to the peaceld group."""
    group.add_command(serve_cmd)
    group.add_command(site_cmd)

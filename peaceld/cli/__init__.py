"""The ``peaceld`` command line: a thin click layer over the Python API.

Each module here adds the commands of one job; the work itself lives in ``peaceld.*``.
"""

from __future__ import annotations

import sys

import click

from .. import __version__
from ..errors import PeaceldError


class PeaceldGroup(click.Group):
    """A group that turns PeaceldError into one clean line per problem and exit code 2."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except PeaceldError as exc:
            for line in str(exc).splitlines():
                click.echo(f"error: {line}", err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)


@click.group(cls=PeaceldGroup, context_settings={"help_option_names": ["-h", "--help"],
                                                 "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="peaceld")
def main() -> None:
    """peaceld: knowledge about peace operations as linked data.

    Build a knowledge graph from facts extracted from articles, validate datasets with SHACL,
    export RDF, load triple stores and ask SPARQL questions.

    \b
    Examples:
      peaceld build                      # build the bundled dataset into ./dist/
      peaceld query --list               # the library of research questions
      peaceld query --name operations-by-lead
      peaceld validate contribution.ttl
    """


def _register() -> None:
    from . import build, curate, export, facts, ontology, query, serve, validate

    for module in (build, facts, curate, ontology, validate, export, query, serve):
        module.register(main)


_register()

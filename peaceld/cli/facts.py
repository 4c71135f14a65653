"""CLI commands about the facts themselves: ``peaceld facts check``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..grounding import check_project


@click.group("facts")
def facts_group() -> None:
    """Work with the facts: check that each is grounded in its passage."""


@facts_group.command("check")
@click.argument("project_dir", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--strict", is_flag=True,
              help="Fail (exit 1) unless every fact is grounded or marked inferred.")
@click.option("-a", "--articles", "articles", multiple=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A folder with the article texts (ARTICLE-ID.txt); repeatable. Also searched: "
                   "PROJECT/articles, $PEACELD_ARTICLES, ../shared/seeds beside the project.")
@click.option("--limit", type=int, default=None, help="List at most this many facts.")
def check_cmd(project_dir: Path | None, strict: bool, articles: tuple[Path, ...],
              limit: int | None) -> None:
    """Check that every fact is grounded in the passage it cites.

    A fact is grounded when each mention it records (the words the passage uses for the
    subject and each value) occurs in its evidence span, and each alias or acronym it
    claims occurs in a cited passage. Facts marked `basis: inferred` (with a reason) are
    counted apart. Prints the share grounded and lists the rest as file:line.

    \b
    Examples:
      peaceld facts check                       # the bundled dataset
      peaceld facts check my-project --strict   # exit 1 if any fact is not grounded
      peaceld facts check -a ~/articles
    """
    report = check_project(project_dir, articles)
    for line in report.lines(limit):
        click.echo(line)
    if report.missing_articles:
        click.echo("article text not found (mentions not verified): "
                   + ", ".join(report.missing_articles), err=True)
    click.echo(report.summary())
    if report.errors:
        sys.exit(2)
    if not report.ok(strict):
        sys.exit(1)


def register(main: click.Group) -> None:
    main.add_command(facts_group)

"""CLI commands about the facts themselves: ``peaceld facts check`` and ``facts sample``."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from ..coverage import DEFAULT_PASSAGES, sample_passages, write_passage_sheet
from ..grounding import check_project
from ..project import find_project
from ..review import DEFAULT_SIZE, check_output, sample, write_sheet


@click.group("facts")
def facts_group() -> None:
    """Work with the facts: check that each is grounded in its passage."""


@facts_group.command("check")
@click.argument("project_dir", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--strict", is_flag=True,
              help="Fail (exit 1) unless every fact is grounded or marked inferred.")
@click.option("--complete", is_flag=True,
              help="List, and fail (exit 1) on, every passage over 150 characters that has no "
                   "claim and is not listed under passages_without_claims with a reason.")
@click.option("-a", "--articles", "articles", multiple=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A folder with the article texts (ARTICLE-ID.txt); repeatable. Also searched: "
                   "PROJECT/articles, $PEACELD_ARTICLES, ../shared/seeds beside the project.")
@click.option("--limit", type=int, default=None, help="List at most this many facts.")
def check_cmd(project_dir: Path | None, strict: bool, complete: bool,
              articles: tuple[Path, ...], limit: int | None) -> None:
    """Check that every fact is grounded in the passage it cites.

    A fact is grounded when each mention it records (the words the passage uses for the
    subject and each value) occurs in its evidence span, and each alias or acronym it
    claims occurs in a cited passage. Facts marked `basis: inferred` (with a reason) are
    counted apart. Prints the share grounded and lists the rest as file:line.

    \b
    Examples:
      peaceld facts check                       # the bundled dataset
      peaceld facts check my-project --strict   # exit 1 if any fact is not grounded
      peaceld facts check --strict --complete   # ... or any long passage has no claim
      peaceld facts check -a ~/articles
    """
    report = check_project(project_dir, articles)
    for line in report.lines(limit, complete=complete):
        click.echo(line)
    if report.missing_articles:
        click.echo("article text not found (mentions not verified): "
                   + ", ".join(report.missing_articles), err=True)
    click.echo(report.summary())
    if report.passages:
        click.echo(report.passage_summary())
    if report.errors:
        sys.exit(2)
    if not report.ok(strict, complete):
        sys.exit(1)


@facts_group.command("sample")
@click.argument("project_dir", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("-n", "size", type=click.IntRange(min=1), default=None,
              help=f"How many claims (default {DEFAULT_SIZE}) or passages (default "
                   f"{DEFAULT_PASSAGES}) to draw; all of them if the build has fewer.")
@click.option("--passages", "passages", is_flag=True,
              help="Draw passages over 150 characters instead of claims, each with the claims "
                   "the graph holds for it: a sheet to judge how complete the facts are.")
@click.option("--seed", type=int, default=None,
              help="The random seed (default: the current time in seconds, printed).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the sheet here (outside the project, or in its build folder) "
                   "instead of standard output.")
@click.option("-a", "--articles", "articles", multiple=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A folder with the article texts (ARTICLE-ID.txt); repeatable. Also searched: "
                   "PROJECT/articles, $PEACELD_ARTICLES, ../shared/seeds beside the project.")
@click.option("--dist", type=click.Path(file_okay=False, path_type=Path),
              help="The build folder (default: the project's dist/).")
def sample_cmd(project_dir: Path | None, size: int | None, passages: bool, seed: int | None,
               output: Path | None, articles: tuple[Path, ...], dist: Path | None) -> None:
    """Draw claims of the last build at random and write a sheet to review them.

    A claim is one triple of a passage graph, not counting the evidence annotations and the
    rdf:type, rdfs:label, pld:citesPassage and pld:assessedIn bookkeeping (docs/review.md).
    For each claim the sheet (Markdown) gives its labels and IRIs, the article and passage,
    the passage's text read from the article file, the fact that makes it with its evidence
    span and basis, and an empty verdict line. The same seed and build give the same sheet.
    With --passages it draws passages instead (over 150 characters), each with its text and
    every claim its graph holds, and blank lines on which a reader lists what the passage
    says and marks what the graph holds (docs/review.md, "Coverage reviews").
    The sheet quotes the articles: it is never written into the project.

    \b
    Examples:
      peaceld facts sample --seed 1763900000 -o /tmp/review.md
      peaceld facts sample -n 10 --seed 7              # to standard output
      peaceld facts sample --passages --seed 7 -o /tmp/coverage.md   # 15 passages
      peaceld facts sample my-project -a ~/articles -o ~/review.md
    """
    if output is not None:
        check_output(output, find_project(project_dir), dist)  # before the work
    chosen = seed is None
    seed = int(time.time()) if seed is None else seed
    if passages:
        drawn_passages = sample_passages(project_dir, size=size or DEFAULT_PASSAGES, seed=seed,
                                         dist=dist, articles=articles)
        what, sheet = "passages", drawn_passages
    else:
        sheet = sample(project_dir, size=size or DEFAULT_SIZE, seed=seed, dist=dist,
                       articles=articles)
        what = "claims"
    if chosen:
        click.echo(f"seed {seed}", err=True)
    if output is None:
        click.echo(sheet.markdown(), nl=False)
        return
    if passages:
        write_passage_sheet(drawn_passages, output, project_dir, dist)
    else:
        write_sheet(sheet, output, project_dir, dist)
    click.echo(f"wrote {sheet.size} of {sheet.total} {what} (seed {seed}) to {output}", err=True)


@facts_group.command("draft")
@click.argument("article", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="The facts file to write (default: facts/ARTICLE-ID.yaml of the project). "
                   "If it exists, only drafts whose claims it does not hold are added.")
@click.option("--project", "project_dir", type=click.Path(file_okay=False, path_type=Path),
              help="The project whose lexicon (facts, reference data, ontology) is used.")
@click.option("--title", help="The article's title (default: its first heading).")
@click.option("--mode", type=click.Choice(["parse", "rules"]), default=None,
              help="parse: spaCy's English model (installed by the 'draft' extra); rules: its "
                   "tokenizer only. Default: parse when the model is installed.")
@click.option("--force", is_flag=True, help="Replace the output file instead of adding to it.")
def draft_cmd(article: Path, output: Path | None, project_dir: Path | None, title: str | None,
              mode: str | None, force: bool) -> None:
    """Draft candidate facts from a plain-text article.

    Computes the article's passages (and writes NAME.passages.yaml beside the output when
    there is none), finds the entities and concepts the project knows (ontology labels,
    reference data, the names and mentions of its facts), and writes each candidate fact
    with its passage, evidence span and mentions, marked `draft: {by, confidence, rule}`.
    Drafts are never built until a person accepts them (docs/facts.md, Drafts); run
    `peaceld facts check` to see that each one is grounded. Offline: nothing is downloaded.

    \b
    Examples:
      peaceld facts draft ~/articles/unficyp.txt -o facts/unficyp.yaml
      peaceld facts draft new.txt --project my-project --mode rules
    """
    from ..drafting import draft_article, project_lexicon, write_drafts

    project = find_project(project_dir)
    if output is None:
        output = project.root / "facts" / f"{article.stem}.yaml"
    passages = output.with_name(output.name.removesuffix(".yaml") + ".passages.yaml")
    lexicon = project_lexicon(project.root)
    result = draft_article(article, lexicon=lexicon, passages_file=passages, title=title,
                           mode=mode, progress=lambda msg: click.echo(msg, err=True))
    write_drafts(result, output, force=force)
    kept = f"; {result.kept} already in the file" if result.kept else ""
    click.echo(f"drafted {len(result.drafts)} facts ({result.mode} mode, "
               f"{len(result.new_entities)} new entities): {result.added} written to "
               f"{output}{kept}", err=True)


def register(main: click.Group) -> None:
    main.add_command(facts_group)

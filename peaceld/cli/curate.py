"""CLI command for curators: ``peaceld facts review`` (accept, edit or drop drafted facts)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..curation import Decision, Draft, apply_decisions, read_drafts
from ..errors import inert
from .facts import facts_group

CHOICES = {"a": "accept", "e": "edit", "d": "drop", "k": "keep", "q": "quit"}


def _passage(draft: Draft, color: bool) -> list[str]:
    out = []
    for pid, start, end, text in draft.passages:
        spans = sorted((max(s, start), min(e, end)) for s, e in draft.spans
                       if s < end and e > start)
        shown, cursor = [], start
        for s, e in spans:
            if s < cursor:
                continue
            shown.append(inert(text[cursor - start:s - start]))
            piece = inert(text[s - start:e - start])
            shown.append(click.style(piece, bold=True, underline=True) if color
                         else f"\u00ab{piece}\u00bb")
            cursor = e
        shown.append(inert(text[cursor - start:]))
        out.append(f"  passage {pid} [{start}, {end}]:" + (
            "" if text else " (article text not found: give -a DIR)"))
        if text:
            out.append("    " + " ".join("".join(shown).split()))
    return out


def _describe(path: Path, draft: Draft, total: int, color: bool) -> str:
    mark = draft.mark
    head = (f"[{draft.number}/{total}] {path}:{draft.line}: {draft.kind} {draft.subject} "
            f"(confidence {mark.get('confidence', '?')}, rule: {mark.get('rule', '?')})")
    body = ["  " + line for line in inert(draft.text).splitlines()]
    return "\n".join([click.style(head, bold=True) if color else head, *body,
                      *_passage(draft, color)])


@facts_group.command("review")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-a", "--articles", "articles", multiple=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A folder with the article text (ARTICLE-ID.txt); repeatable. Also searched: "
                   "the file's folder, PROJECT/articles, $PEACELD_ARTICLES, ../shared/seeds.")
@click.option("--list", "list_only", is_flag=True, help="List the drafts and change nothing.")
@click.option("--accept", "accept", multiple=True, type=int, metavar="LINE",
              help="Accept the draft that starts at this line (repeatable).")
@click.option("--drop", "drop", multiple=True, type=int, metavar="LINE",
              help="Drop the draft that starts at this line (repeatable).")
@click.option("--accept-above", type=click.FloatRange(0, 1), metavar="CONFIDENCE",
              help="Accept every draft whose confidence is at least this (use with care).")
def review_cmd(file: Path, articles: tuple[Path, ...], list_only: bool, accept: tuple[int, ...],
               drop: tuple[int, ...], accept_above: float | None) -> None:
    """Review the drafts of a facts file: accept, edit or drop each.

    Shows each draft (a fact with a `draft:` mark, written by `peaceld facts draft`) with its
    passage, the evidence span highlighted. Accepting removes the mark, so the next build
    publishes the fact; editing opens the fact in $EDITOR; dropping removes it; keeping leaves
    it a draft. The file is rewritten once, at the end, atomically; comments and everything
    else stay as they are; nothing is written on quit before any decision or on Ctrl-C.

    \b
    Examples:
      peaceld facts review facts/unficyp.yaml                 # one draft at a time
      peaceld facts review facts/unficyp.yaml --list
      peaceld facts review facts/unficyp.yaml --accept 14 --drop 22
    """
    drafts = read_drafts(file, list(articles))
    color = sys.stdout.isatty()
    if not drafts:
        click.echo(f"{file}: no drafts")
        return
    if list_only:
        for d in drafts:
            click.echo(_describe(file, d, len(drafts), color))
        click.echo(f"{len(drafts)} draft(s)")
        return
    decisions = [Decision(line, "accept") for line in accept]
    decisions += [Decision(line, "drop") for line in drop]
    if accept_above is not None:
        decided = {d.line for d in decisions}
        decisions += [Decision(d.line, "accept") for d in drafts
                      if d.confidence >= accept_above and d.line not in decided]
    if not decisions and not (accept or drop or accept_above is not None):
        decisions = _interactive(file, drafts, color)
    if not decisions:
        click.echo("nothing decided; the file is unchanged")
        return
    result = apply_decisions(file, decisions, drafts)
    click.echo(f"{file}: {result.summary()}")


def _interactive(file: Path, drafts: list[Draft], color: bool) -> list[Decision]:
    decisions: list[Decision] = []
    for d in drafts:
        click.echo(_describe(file, d, len(drafts), color))
        choice = click.prompt("  [a]ccept, [e]dit, [d]rop, [k]eep, [q]uit",
                              type=click.Choice(list(CHOICES)), default="k",
                              show_choices=False)
        action = CHOICES[choice]
        if action == "quit":
            break
        if action == "edit":
            edited = click.edit(d.text + "\n", extension=".yaml")
            if edited is None or edited.strip() == d.text.strip():
                click.echo("  unchanged: kept as a draft")
                continue
            decisions.append(Decision(d.line, "edit", edited))
        elif action != "keep":
            decisions.append(Decision(d.line, action))
    return decisions


def register(main: click.Group) -> None:
    """``facts review`` joins the facts group (added to ``main`` by cli.facts)."""

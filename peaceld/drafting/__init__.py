"""Draft candidate facts from a plain-text article (``peaceld facts draft``).

``draft_article()`` reads an article, computes its passages (or reads the passages file
beside the output), drafts facts with the project's lexicon (:mod:`.lexicon`) and the
``Drafter`` of :mod:`.draft` (rules in :mod:`.concepts` and :mod:`.relations`), and returns
them; ``write_drafts()`` writes them as a facts file, each fact with its draft mark, adding
to an existing file only the drafts whose claims it does not already hold. Importable
without click; nothing is downloaded (see :mod:`.nlp`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..atomic import write_atomic
from ..errors import PeaceldError
from ..passages import check_article, passages_document, render_passages_yaml
from ..records import load_yaml, read_facts, read_text, strip_lines
from .draft import Draft, Drafter
from .lexicon import EntityInfo, Lexicon, build_lexicon
from .nlp import load_pipeline

#: The largest article drafted (characters): an article, not a corpus.
MAX_ARTICLE_BYTES = 4 << 20
FIELD_ORDER = ("kind", "at", "id", "name", "acronym", "aka", "category", "principle",
               "faced_by", "of", "operation")
TAIL_ORDER = ("basis", "reason", "evidence", "draft")


@dataclass
class DraftResult:
    """What ``facts draft`` made: the article, its passages, the drafts and the mode."""

    article_id: str
    title: str
    passages: dict
    drafts: list[Draft]
    mode: str
    new_entities: list[EntityInfo] = field(default_factory=list)  # not known to the lexicon
    added: int = 0  # drafts new to the output file (all of them when it did not exist)
    kept: int = 0  # drafts left out because the output already holds their claim


def project_lexicon(project_root: Path | None = None, exclude: Iterable[str] = ()) -> Lexicon:
    """The lexicon of a project (or the bundled dataset), without the ``exclude`` articles'
    facts."""
    from ..project import find_project
    from ..rdfio import load_ontology

    project = find_project(project_root)
    return build_lexicon(project.root, load_ontology(project.files("ontology")),
                         project.facts_mapping(), project.fact_files(), exclude)


def draft_article(article: Path, *, lexicon: Lexicon, passages_file: Path | None = None,
                  title: str | None = None, mode: str | None = None,
                  progress: Any = None) -> DraftResult:
    """Draft the facts of ``article`` (a UTF-8 text file) with ``lexicon``.

    The passages come from ``passages_file`` when it exists (and must match the article),
    else they are computed as ``peaceld passages`` computes them. ``title`` defaults to the
    article's first heading. ``mode`` is ``parse``, ``rules`` or None (parse when the model
    is installed).
    """
    text = read_text(article, MAX_ARTICLE_BYTES)
    if not text.strip():
        raise PeaceldError("the article is empty", file=article, line=1)
    if "\x00" in text:
        raise PeaceldError("not a text file (it holds NUL bytes)", file=article,
                           line=text[:text.index("\x00")].count("\n") + 1)
    doc = passages_document(article)
    if passages_file is not None and passages_file.is_file():
        stored = strip_lines(load_yaml(passages_file))
        if not isinstance(stored, dict) or "passages" not in stored:
            raise PeaceldError("not a passages file", file=passages_file, line=1)
        problems = check_article(stored, article)
        if problems:
            raise PeaceldError(f"{problems[0]} (regenerate it with peaceld passages)",
                               file=passages_file, line=1)
    if not doc["passages"]:
        raise PeaceldError("no passages: the article has no paragraph of text", file=article,
                           line=1)
    nlp, used = load_pipeline(mode)
    headings = [p["heading"] for p in doc["passages"] if p["section"] > 0]
    title = title or (headings[0] if headings else article.stem)
    drafter = Drafter(lexicon, nlp, used, progress)
    drafts = drafter.draft(text, doc["passages"], doc["disclosure"], title)
    return DraftResult(article.stem, title, doc, drafts, used,
                       [drafter.new[k] for k in sorted(drafter.new)])


# --- writing ---------------------------------------------------------------------------------


_PLAIN = re.compile(r"[a-z][a-z0-9_-]*")
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})


def _scalar(value: Any) -> str:
    if isinstance(value, str) and _PLAIN.fullmatch(value) and value not in _YAML_WORDS:
        return value
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float):
        return json.dumps(value)
    return json.dumps(str(value), ensure_ascii=False)


def _flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_scalar(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return _scalar(value)


def render_fact(fields: dict[str, Any]) -> str:
    """One fact as the YAML lines of a facts file (``  - kind: ...``)."""
    keys = [k for k in FIELD_ORDER if k in fields]
    keys += [k for k in fields if k not in keys and k not in TAIL_ORDER]
    keys += [k for k in TAIL_ORDER if k in fields]
    lines = []
    for i, key in enumerate(keys):
        lead = "  - " if i == 0 else "    "
        lines.append(f"{lead}{key}: {_flow(fields[key])}")
    return "\n".join(lines) + "\n"


def render_file(result: DraftResult, drafts: list[Draft]) -> str:
    """A new facts file holding the drafts."""
    disclosure = result.passages.get("disclosure")
    head = [
        f"# Facts drafted by {drafts[0].fields['draft']['by'] if drafts else 'peaceld-drafter'}"
        f" from {result.article_id}.txt.",
        "# Every fact is a draft: it is never published until a person checks it against its",
        "# passage and accepts it (deletes its `draft:` line). See docs/facts.md, Drafts.",
        "article:",
        f"  id: {_scalar(result.article_id)}",
        f"  title: {_scalar(result.title)}",
        f"  ai_written: {'declared' if disclosure else 'not-declared'}",
    ]
    if disclosure:
        head.append(f"  disclosure: {disclosure}")
    head.append("")
    head.append("facts:" if drafts else "facts: []")
    return "\n".join(head) + "\n" + "".join(render_fact(d.fields) for d in drafts)


def _claims(fields: dict[str, Any]) -> set[tuple]:
    """(passage, subject, field, value) of each value a fact claims, for comparing facts."""
    from ..grounding import NOT_CLAIMED, SUBJECT_FIELD

    kind = str(fields.get("kind"))
    subject_field = SUBJECT_FIELD.get(kind, "id")
    subject = str(fields.get(subject_field, fields.get("name")))
    at = fields.get("at")
    out = set()
    for passage in at if isinstance(at, list) else [at]:
        out.add((str(passage), kind, subject, "", ""))
        for name, value in fields.items():
            if name in NOT_CLAIMED or name == subject_field:
                continue
            for v in value if isinstance(value, list) else [value]:
                out.add((str(passage), kind, subject, name, str(v)))
    return out


def write_drafts(result: DraftResult, out: Path, *, force: bool = False) -> DraftResult:
    """Write the drafts to ``out`` (atomically) and the passages file beside it when there is
    none. An existing ``out`` keeps every line it has; only drafts whose claims it does not
    hold are added at its end. ``force`` replaces it instead."""
    passages_path = out.with_name(out.name.removesuffix(".yaml") + ".passages.yaml")
    if out.exists() and not force:
        existing = [r.values for r in read_facts(out, drafts=True)]
        article = next((v for v in existing if v.get("kind") == "article"), None)
        if article is None or str(article.get("id")) != result.article_id:
            raise PeaceldError(f"holds the facts of another article, not {result.article_id} "
                               "(choose another -o, or --force to replace it)", file=out, line=1)
        have = set().union(*(_claims(v) for v in existing if v.get("kind") != "article"))
        new = [d for d in result.drafts if not _claims(d.fields) <= have]
        result.kept = len(result.drafts) - len(new)
        result.added = len(new)
        if new:
            text = read_text(out)
            body = "".join(render_fact(d.fields) for d in new)
            if "facts: []" in text:
                text = text.replace("facts: []", "facts:", 1)
            elif not any(line.startswith("facts:") for line in text.splitlines()):
                text = text.rstrip("\n") + "\n\nfacts:\n"
            text = text.rstrip("\n") + "\n" + body
            write_atomic(out, text.encode("utf-8"))
    else:
        result.added = len(result.drafts)
        write_atomic(out, render_file(result, result.drafts).encode("utf-8"))
    if not passages_path.exists():
        write_atomic(passages_path, render_passages_yaml(result.passages).encode("utf-8"))
    return result


__all__ = ["DraftResult", "draft_article", "project_lexicon", "render_file", "write_drafts"]

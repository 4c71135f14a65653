"""How well does ``peaceld facts draft`` find the claims the curators audited? Leave-one-out.

    python -m bench.draft_bench                       # the five bundled articles
    python -m bench.draft_bench -a ../shared/seeds --mode rules --markdown /tmp/draft.md

For each bundled article: build the drafter's lexicon from the ontology, the reference data
and the facts of the **other four** articles (never its own), draft the article, and compare
the drafts with the article's audited facts as claims.

A **claim** is one (subject, predicate, object) triple that a fact maps to in a passage graph,
with the real facts mapping, as ``peaceld facts sample`` counts them (``peaceld.review``): no
evidence annotations, no ``rdf:type``/``rdfs:label``/``pld:citesPassage``/``pld:assessedIn``
bookkeeping. Two more things are left out of both sides and said so: ``rdfs:comment`` (the
curators' notes in their own words, which a drafter never writes) and nothing else. A triple
whose predicate has an ``owl:inverseOf`` (``pld:guidedBy``/``pld:principleOf``,
``pld:memberOf``/``pld:hasMember``) is compared in one direction.

Entities the left-out article alone declares get slugs from the drafter that differ from the
curators' keys; a drafted new entity is **aligned** to an audited entity of the same kind when
its name or acronym, in the drafter's normal form (case, plurals and spelling variants
ignored), equals the audited entity's name, acronym or one of its ``aka``.

Two scores: **same passage** (the claim is in the graph of the same passage) and **anywhere**
(the same triple in any passage of the article, each distinct triple counted once).
Precision is matched drafted claims over drafted claims, recall matched audited claims over
audited claims; overall numbers are micro-averaged over the five articles.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from peaceld.drafting import DraftResult, draft_article, project_lexicon, render_fact, render_file
from peaceld.drafting.lexicon import phrase_key
from peaceld.evidence import map_each_fact
from peaceld.grounding import check_files
from peaceld.mapping import Mapper, open_mapping
from peaceld.namespaces import PREFIXES
from peaceld.project import find_project
from peaceld.rdfio import load_ontology
from peaceld.records import read_records
from peaceld.review import NOT_CLAIMS

PLD = PREFIXES["pld"]
ID = "https://w3id.org/peaceld/id/"
LEFT_OUT = NOT_CLAIMS | {PREFIXES["rdfs"] + "comment"}
INVERSE = {PLD + "guidedBy": PLD + "principleOf", PLD + "memberOf": PLD + "hasMember"}
Triple = tuple[str, str, str]


@dataclass
class ArticleScore:
    article: str
    gold: dict[tuple[str, str, str, str], int] = field(default_factory=dict)  # claim -> line
    drafted: dict[tuple[str, str, str, str], str] = field(default_factory=dict)  # -> rule
    drafts: int = 0
    grounded: int = 0
    problems: list[str] = field(default_factory=list)  # drafts that facts check rejects
    mode: str = ""

    def same(self) -> set[tuple[str, str, str, str]]:
        return set(self.gold) & set(self.drafted)

    def anywhere(self) -> tuple[set[Triple], set[Triple]]:
        gold = {c[1:] for c in self.gold}
        drafted = {c[1:] for c in self.drafted}
        return gold, drafted


def _claims(nquads: str) -> list[tuple[str, str, str, str]]:
    out = []
    for q in ox.parse(nquads.encode("utf-8"), format=ox.RdfFormat.N_QUADS):
        graph = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else ""
        if "/id/passage/" not in graph or q.predicate.value in LEFT_OUT:
            continue
        s, p, o = str(q.subject), q.predicate.value, str(q.object)
        if p in INVERSE:
            s, p, o = o, INVERSE[p], s
        out.append((graph, s, p, o))
    return out


def _mapper(mapping_path: Path, ontology: list, files: list[Path]) -> Mapper:
    mapper = Mapper(open_mapping(mapping_path, ontology))
    for path in files:
        mapper.declare(read_records(path))
    if mapper.errors:
        raise SystemExit(f"declaring entities failed: {mapper.errors[0]}")
    return mapper


def alignment(result: DraftResult, gold_file: Path) -> dict[str, str]:
    """Drafted IRI -> audited IRI for new entities whose name or acronym matches."""
    names: dict[tuple[str, tuple[str, ...]], str] = {}
    for rec in read_records(gold_file):
        v = rec.values
        if "id" not in v or "name" not in v:
            continue
        iri = f"{ID}{v['kind']}/{v['id']}"
        aka = v.get("aka") or []
        for name in [v["name"], v.get("acronym"), *(aka if isinstance(aka, list) else [aka])]:
            if name:
                names.setdefault((str(v["kind"]), phrase_key(str(name))), iri)
    out = {}
    for info in result.new_entities:
        for name in (info.name, info.acronym):
            hit = names.get((info.kind, phrase_key(name))) if name else None
            if hit:
                out[f"{ID}{info.kind}/{info.key}"] = hit
                if info.kind in ("operation", "practice"):  # its outcome assessment too
                    article = gold_file.stem
                    out[f"{ID}assessment/{article}/{info.key}"] = (
                        f"{ID}assessment/{article}/{hit.rsplit('/', 1)[-1]}")
                break
    return out


def score_article(article: str, text_dir: Path, mode: str | None, project_dir: Path | None,
                  work: Path) -> tuple[ArticleScore, DraftResult]:
    project = find_project(project_dir)
    ontology = load_ontology(project.files("ontology"))
    mapping_path = project.facts_mapping()
    files = project.fact_files()
    gold_file = next(f for f in files if f.name == f"{article}.yaml")
    passages_file = next(f for f in files if f.name == f"{article}.passages.yaml")
    others = [f for f in files if f not in (gold_file, passages_file)]
    title = next(str(r.values["title"]) for r in read_records(gold_file)
                 if r.values.get("kind") == "article")

    lexicon = project_lexicon(project_dir, exclude=[article])
    result = draft_article(text_dir / f"{article}.txt", lexicon=lexicon,
                           passages_file=passages_file, title=title, mode=mode)
    score = ArticleScore(article, drafts=len(result.drafts), mode=result.mode)

    # the drafts, accepted as they are: the same facts without their draft mark
    folder = work / article
    folder.mkdir(parents=True)
    drafted_file = folder / f"{article}.yaml"
    marked = folder / "marked" / f"{article}.yaml"
    marked.parent.mkdir()
    marked.write_text(render_file(result, result.drafts), encoding="utf-8")
    (marked.parent / passages_file.name).write_bytes(passages_file.read_bytes())
    accepted = [{k: v for k, v in d.fields.items() if k != "draft"} for d in result.drafts]
    head = render_file(result, []).replace("facts: []", "facts:")
    drafted_file.write_text(head + "".join(render_fact(f) for f in accepted), encoding="utf-8")
    report = check_files([marked, marked.parent / passages_file.name], [text_dir])
    score.grounded = sum(1 for f in report.facts if f.status in ("grounded", "inferred"))
    score.problems = [f"{f.kind} {f.subject}: {'; '.join(f.problems)}" for f in report.facts
                      if f.status not in ("grounded", "inferred")]
    if report.errors:
        raise SystemExit(f"drafts of {article} do not read back: {report.errors[0]}")

    gold_mapper = _mapper(mapping_path, ontology, files)
    for rec, nquads in map_each_fact(gold_mapper, [gold_file], constants=False):
        for claim in _claims(nquads):
            score.gold.setdefault(claim, rec.line)

    draft_files = [*others, passages_file, drafted_file]
    mapper = _mapper(mapping_path, ontology, draft_files)
    align = alignment(result, gold_file)
    rules = [d.rule for d in result.drafts]
    for i, (rec, nquads) in enumerate(map_each_fact(mapper, [drafted_file], constants=False)):
        if not nquads.strip():  # map it again with a fresh mapper to see why
            fresh = _mapper(mapping_path, ontology, draft_files)
            fresh.emit([rec], io.StringIO(), True, constants=False)
            raise SystemExit(f"a draft of {article} does not map: "
                             f"{fresh.errors[-1] if fresh.errors else rec.values}")
        for g, s, p, o in _claims(nquads):
            claim = (g, _aligned(s, align), p, _aligned(o, align))
            score.drafted.setdefault(claim, rules[i])
    return score, result


def _aligned(term: str, align: dict[str, str]) -> str:
    if term.startswith("<") and term[1:-1] in align:
        return f"<{align[term[1:-1]]}>"
    return term


# --- reporting -------------------------------------------------------------------------------


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f}%" if b else "n/a"


def _short(term: str) -> str:
    return term.strip("<>").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


THRESHOLDS = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6)


def rule_precision(scores: list[ArticleScore], smoothed: bool = False) -> dict[str, float]:
    """Each rule's share of drafted claims that match an audited claim in the same passage
    (``smoothed``: one right and one wrong added, so that a rule seen twice is not 100%)."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for s in scores:
        for c, rule in s.drafted.items():
            counts[rule]["drafted"] += 1
            counts[rule]["right"] += c in s.gold
    add = 1 if smoothed else 0
    return {rule: (c["right"] + add) / (c["drafted"] + 2 * add) for rule, c in counts.items()}


def report(scores: list[ArticleScore], results: list[DraftResult]) -> str:
    lines = ["| article | drafts (grounded) | audited claims | drafted claims | same passage: "
             "P | R | anywhere: P | R |", "|---|---|---|---|---|---|---|---|"]
    tot = Counter()
    for s in scores:
        same = len(s.same())
        gold_any, drafted_any = s.anywhere()
        hit_any = len(gold_any & drafted_any)
        tot.update({"drafts": s.drafts, "grounded": s.grounded, "gold": len(s.gold),
                    "drafted": len(s.drafted), "same": same, "gold_any": len(gold_any),
                    "drafted_any": len(drafted_any), "hit_any": hit_any})
        lines.append(f"| {s.article} | {s.drafts} ({s.grounded}) | {len(s.gold)} | "
                     f"{len(s.drafted)} | {_pct(same, len(s.drafted))} | "
                     f"{_pct(same, len(s.gold))} | {_pct(hit_any, len(drafted_any))} | "
                     f"{_pct(hit_any, len(gold_any))} |")
    lines.append(f"| **all (micro)** | {tot['drafts']} ({tot['grounded']}) | {tot['gold']} | "
                 f"{tot['drafted']} | **{_pct(tot['same'], tot['drafted'])}** | "
                 f"**{_pct(tot['same'], tot['gold'])}** | "
                 f"**{_pct(tot['hit_any'], tot['drafted_any'])}** | "
                 f"**{_pct(tot['hit_any'], tot['gold_any'])}** |")

    by_prop: dict[str, Counter] = defaultdict(Counter)
    by_rule: dict[str, Counter] = defaultdict(Counter)
    missed: dict[str, list[str]] = defaultdict(list)
    for s in scores:
        gold_any, drafted_any = s.anywhere()
        for c in s.gold:
            prop = _short(c[2])
            by_prop[prop]["gold"] += 1
            if c in s.drafted:
                by_prop[prop]["hit"] += 1
            elif c[1:] not in drafted_any:
                missed[prop].append(f"{s.article[:3]} {c[0].rsplit('/', 1)[-1]}: "
                                    f"{_short(c[1])} {prop} {_short(c[3])}")
        for c, rule in s.drafted.items():
            prop = _short(c[2])
            by_prop[prop]["drafted"] += 1
            by_rule[rule]["drafted"] += 1
            if c in s.gold:
                by_prop[prop]["right"] += 1
                by_rule[rule]["right"] += 1
            elif c[1:] in gold_any:
                by_rule[rule]["elsewhere"] += 1
    lines += ["", "| property | audited | found (same passage) | recall | drafted | precision |",
              "|---|---|---|---|---|---|"]
    for prop, c in sorted(by_prop.items(), key=lambda kv: (-kv[1]["gold"], kv[0])):
        lines.append(f"| {prop} | {c['gold']} | {c['hit']} | {_pct(c['hit'], c['gold'])} | "
                     f"{c['drafted']} | {_pct(c['right'], c['drafted'])} |")
    lines += ["", "| rule | drafted claims | right (same passage) | precision | right elsewhere "
              "in the article |", "|---|---|---|---|---|"]
    for rule, c in sorted(by_rule.items(), key=lambda kv: (-kv[1]["drafted"], kv[0])):
        lines.append(f"| {rule} | {c['drafted']} | {c['right']} | "
                     f"{_pct(c['right'], c['drafted'])} | {c['elsewhere']} |")
    lines += ["", "Missed anywhere in the article (top properties, a few examples each):", ""]
    for prop, items in sorted(missed.items(), key=lambda kv: -len(kv[1]))[:6]:
        lines.append(f"* {prop} ({len(items)}): " + "; ".join(items[:4]))
    lines += ["", "Keeping only the drafts of rules that were right often enough elsewhere: each "
              "article's drafts are kept when their rule's precision (same passage) on the "
              "**other four** articles is at least the threshold (leave-one-out calibration).",
              "", "| threshold | drafted claims | precision | recall |", "|---|---|---|---|"]
    for threshold in THRESHOLDS:
        kept = right = 0
        for s in scores:
            precision = rule_precision([o for o in scores if o is not s])
            for c, rule in s.drafted.items():
                if precision.get(rule, 0.0) >= threshold:
                    kept += 1
                    right += c in s.gold
        lines.append(f"| {threshold:.2f} | {kept} | {_pct(right, kept)} | "
                     f"{_pct(right, tot['gold'])} |")
    lines += ["", "Rule precision on all five articles, smoothed ((right + 1) / (drafted + 2)): "
              "the drafter's `CONFIDENCE` table:", "",
              "```", *(f"    {rule!r}: {p:.2f}," for rule, p in sorted(rule_precision(
                  scores, smoothed=True).items())), "```"]
    problems = [f"{s.article} {p}" for s in scores for p in s.problems]
    if problems:
        lines += ["", "Drafts that `facts check` does not ground:", "",
                  *(f"* {p}" for p in problems)]
    mode = sorted({s.mode for s in scores})
    lines += ["", f"mode: {', '.join(mode)}; new entities drafted: "
              f"{sum(len(r.new_entities) for r in results)}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-a", "--articles", type=Path,
                        default=Path(__file__).resolve().parents[2] / "shared" / "seeds",
                        help="the folder with the article texts (ARTICLE-ID.txt)")
    parser.add_argument("--mode", choices=("parse", "rules"), default=None,
                        help="the drafter's mode (default: parse when the model is installed)")
    parser.add_argument("--project", type=Path, default=None)
    parser.add_argument("--only", nargs="*", default=None, help="article ids to score")
    parser.add_argument("--markdown", type=Path, default=None, help="also write the tables here")
    args = parser.parse_args(argv)
    project = find_project(args.project)
    articles = sorted(f.stem for f in project.fact_files()
                      if not f.name.endswith(".passages.yaml"))
    if args.only:
        articles = [a for a in articles if any(a.startswith(o) for o in args.only)]
    scores, results = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for article in articles:
            print(f"drafting {article} (its own facts left out)", file=sys.stderr)
            s, r = score_article(article, args.articles, args.mode, args.project, Path(tmp))
            scores.append(s)
            results.append(r)
    text = report(scores, results)
    sys.stdout.write(text)
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["alignment", "main", "report", "score_article"]

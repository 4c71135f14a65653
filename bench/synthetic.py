"""Synthetic peace-operation data at any size, deterministic for a seed.

Writes CSV tables that the mappings in ``bench/mappings/`` turn into RDF shaped like the
bundled knowledge graph: organisations, states, operations (type, lead, host, years,
activities, mandate), monthly troop contributions per country, and outcome claims that cite
passages of synthetic sources (in named graphs, like the real facts).

The volume grows where real data grows: monthly contributions and claims of sources. The
number of operations and of the organisations leading them stops at what the real world has
(at most 1,000 operations and 60 organisations; the real world has had well under a thousand
peace operations, led by a few dozen organisations). ``stress=True`` lifts those caps, so
operations keep growing with the size (25,000 at 10M triples, each with few contributions):
a harder shape for queries that list every operation.

A ``defect_rate`` share of records gets one flaw a validator should report (an operation
that ends before it starts, one without a lead, a negative troop count, a share above 100 %).

    python -m bench.synthetic --triples 1000000 --out bench/out/synthetic
"""

from __future__ import annotations

import argparse
import csv
import random
from dataclasses import dataclass
from pathlib import Path

TYPES = ["traditional-peacekeeping", "multidimensional", "observer-mission", "peace-enforcement"]
ACTIVITIES = ["ceasefire-monitoring", "ddr", "protection-of-civilians", "electoral-support",
              "security-sector-reform", "humanitarian-assistance", "convoy-escort",
              "capacity-building", "security-patrols", "mediation"]
OUTCOMES = ["success", "failure", "mixed"]
CATEGORIES = ["intergovernmental", "regional", "alliance"]
REGIONS = ["Africa", "Europe", "Asia", "Americas", "Middle East"]

#: Approximate triples (or quads) one row of each table becomes; used to size the tables.
TRIPLES_PER_ROW = {"organisations": 4, "states": 4, "operations": 14, "contributions": 8,
                   "claims": 6}
MAX_OPERATIONS = 1_000
MAPPINGS = {name: f"bench/mappings/synthetic-{name}.yaml" for name in TRIPLES_PER_ROW}


@dataclass(frozen=True)
class Plan:
    organisations: int
    states: int
    operations: int
    contributions: int
    claims: int

    @classmethod
    def for_triples(cls, triples: int, stress: bool = False) -> Plan:
        """Table sizes for about ``triples`` triples; contributions carry the bulk."""
        operations = max(20, triples // 400)
        organisations = max(10, operations // 20)
        if not stress:
            operations, organisations = min(operations, MAX_OPERATIONS), min(organisations, 60)
        states = 193
        claims = max(40, triples // 200)
        fixed = (operations * TRIPLES_PER_ROW["operations"]
                 + organisations * TRIPLES_PER_ROW["organisations"]
                 + states * TRIPLES_PER_ROW["states"] + claims * TRIPLES_PER_ROW["claims"])
        contributions = max(0, (triples - fixed) // TRIPLES_PER_ROW["contributions"])
        return cls(organisations, states, operations, contributions, claims)


def _write(path: Path, header: list[str], rows) -> int:
    n = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(header)
        for row in rows:
            out.writerow(row)
            n += 1
    return n


def generate(triples: int, out: Path, seed: int = 7, defect_rate: float = 0.0,
             stress: bool = False) -> dict[str, int]:
    """Write the tables for about ``triples`` triples into ``out``; return rows per table."""
    out.mkdir(parents=True, exist_ok=True)
    plan = Plan.for_triples(triples, stress)
    rng = random.Random(seed)

    def flawed() -> bool:
        return defect_rate > 0 and rng.random() < defect_rate

    counts = {}
    counts["organisations"] = _write(
        out / "organisations.csv", ["id", "name", "category", "founded"],
        ([f"org{i}", f"Organisation {i}", CATEGORIES[i % 3], 1945 + i % 70]
         for i in range(plan.organisations)))
    counts["states"] = _write(
        out / "states.csv", ["iso3", "name", "region"],
        ([_iso3(i), f"State {i}", REGIONS[i % len(REGIONS)]] for i in range(plan.states)))

    def operations():
        for i in range(plan.operations):
            start = 1948 + rng.randrange(75)
            end = start + rng.randrange(1, 25)
            lead = f"org{rng.randrange(plan.organisations)}"
            if flawed():
                if rng.random() < 0.5:
                    end = start - 1 - rng.randrange(5)
                else:
                    lead = ""
            acts = "|".join(sorted(rng.sample(ACTIVITIES, 3)))
            yield [f"op{i}", f"Operation {i}", f"OP{i}", TYPES[i % 4], lead,
                   _iso3(rng.randrange(plan.states)), start, end, acts]

    counts["operations"] = _write(
        out / "operations.csv",
        ["id", "name", "acronym", "type", "lead", "host", "start_year", "end_year",
         "activities"], operations())

    def contributions():
        per_op = max(1, plan.contributions // plan.operations)
        for i in range(plan.contributions):
            op, k = divmod(i, per_op)
            op %= plan.operations
            state, month = divmod(k, 12)
            troops = rng.randrange(0, 3000)
            share = rng.randrange(0, 400) / 10
            if flawed():
                if rng.random() < 0.5:
                    troops = -troops - 1
                else:
                    share = 100 + share
            yield [f"op{op}", _iso3(state % plan.states), f"{1990 + state // plan.states}-"
                   f"{month + 1:02d}", troops, rng.randrange(0, 200), share,
                   "true" if i % 3 else "false"]

    counts["contributions"] = _write(
        out / "contributions.csv",
        ["operation", "iso3", "month", "troops", "police", "female_share", "verified"],
        contributions())
    counts["claims"] = _write(
        out / "claims.csv", ["source", "passage", "operation", "outcome"],
        ([f"src{i // 40}", f"s{(i // 4) % 10 + 1}p{i % 4 + 1}", f"op{i % plan.operations}",
          OUTCOMES[rng.randrange(3)]] for i in range(plan.claims)))
    return counts


def _iso3(i: int) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return letters[i // 676 % 26] + letters[i // 26 % 26] + letters[i % 26]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=Path("bench/out/synthetic"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--defect-rate", type=float, default=0.0)
    parser.add_argument("--stress", action="store_true",
                        help="operations grow with the size, past real-world counts")
    args = parser.parse_args()
    counts = generate(args.triples, args.out, args.seed, args.defect_rate, args.stress)
    for name, n in counts.items():
        print(f"{name}: {n:,} rows")


if __name__ == "__main__":
    main()

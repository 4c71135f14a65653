"""Deterministic synthetic data for the benchmarks: contribution tables of any size."""

from __future__ import annotations

import argparse
import random
from pathlib import Path

COUNTRIES = [
    ("Ghana", "GHA"), ("Bangladesh", "BGD"), ("India", "IND"), ("Nepal", "NPL"),
    ("Pakistan", "PAK"), ("Rwanda", "RWA"), ("Ethiopia", "ETH"), ("Senegal", "SEN"),
    ("Egypt", "EGY"), ("Indonesia", "IDN"), ("China", "CHN"), ("Uruguay", "URY"),
    ("Brazil", "BRA"), ("Côte d'Ivoire", "CIV"), ("Nigeria", "NGA"), ("Kenya", "KEN"),
]
OPERATIONS = ["unmil", "kfor", "untag", "unamir", "unamsil", "minusma", "untso", "amisom",
              "minustah"]
VERIFIED = ["No", "NO", "yes", "Yes", "n", "y"]
COLUMNS = ["operation", "country", "iso3", "month", "troops", "police", "female_share", "verified"]


def contribution_rows(n: int, seed: int = 42, sep: str = ";"):
    """n rows; each (operation, country, month) is unique, so every row is one subject."""
    rng = random.Random(seed)
    i = 0
    while i < n:
        op = OPERATIONS[i % len(OPERATIONS)]
        country, iso3 = COUNTRIES[(i // len(OPERATIONS)) % len(COUNTRIES)]
        k = i // (len(OPERATIONS) * len(COUNTRIES))
        year, month = 1948 + k // 12, k % 12 + 1
        troops = rng.randint(0, 12000)
        troops_text = f"{troops // 1000}.{troops % 1000:03d}" if troops >= 1000 else str(troops)
        police = "" if rng.random() < 0.2 else str(rng.randint(0, 400))
        share = f"{rng.randint(0, 300) / 10:.1f}".replace(".", ",")
        fields = [op, country, iso3, f"{month:02d}/{year}", troops_text, police, f'"{share}"',
                  VERIFIED[i % len(VERIFIED)]]
        yield sep.join(fields) + "\n"
        i += 1


def write_contributions(path: Path, n: int, seed: int = 42, sep: str = ";") -> Path:
    """A CSV of n contribution rows (decimal commas, so ';' is the natural separator)."""
    with path.open("w", encoding="utf-8") as out:
        out.write(sep.join(COLUMNS) + "\n")
        for row in contribution_rows(n, seed, sep):
            out.write(row)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("rows", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--sep", default=";")
    args = parser.parse_args()
    write_contributions(args.out, args.rows, args.seed, args.sep)


if __name__ == "__main__":
    main()

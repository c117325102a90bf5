"""Generate a deterministic synthetic collection of N realistic studies (for the benchmark).

Studies are spread over both matrices' 50 cells, with summaries, key points and cell notes of
realistic length, links to other studies and to cells, related documents and tags. The same N
and seed always give byte-identical files.

    python benchmarks/generate.py --n 10000 --out /tmp/corpus-10000
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_TEXT = (
    "treatment offenders alcohol drug services probation prison community recovery "
    "evidence review commissioning outcomes relapse family children practitioners training "
    "partnership screening brief intervention counselling medication detoxification housing "
    "employment safeguarding criminal justice health local national evaluation cohort trial "
    "survey interviews qualitative quantitative randomised quality access engagement retention "
    "harm reduction naloxone methadone buprenorphine peer support mutual aid continuity"
)
WORDS = _TEXT.split()
TAGS = [
    "offenders",
    "probation",
    "prisons",
    "families",
    "children",
    "commissioning",
    "workforce",
    "harm-reduction",
    "opioids",
    "alcohol",
    "housing",
    "employment",
    "mutual-aid",
    "quality",
]
ORGS = [
    "[UK] Ministry of Justice",
    "Public Health England",
    "Scottish Government",
    "Welsh Government",
    "World Health Organization",
    "NIDA",
    "Health Canada",
    "Australian Government",
    None,
]
CATEGORIES = ["seminal", "key", "review", "guidance"]
CODES = [f"{c}{r}" for c in "ABCDE" for r in range(1, 6)]


def sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(sentence(rng, rng.randint(8, 18)) for _ in range(sentences))


def study_id(i: int) -> str:
    return f"study-{i:05d}-{WORDS[i % len(WORDS)]}"


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def block(text: str, indent: int) -> str:
    pad = " " * indent
    return "|\n" + "\n".join(pad + line for line in text.split("\n")) + "\n"


def study(rng: random.Random, i: int, n: int) -> str:
    sid = study_id(i)
    year = 1990 + rng.randint(0, 35)
    title = sentence(rng, rng.randint(5, 11))[:-1]
    other = study_id(rng.randrange(n))
    matrix = "alcohol" if i % 2 else "drug"
    code = CODES[i % 25 + (25 if i % 50 >= 25 else 0) - (25 if i % 50 >= 25 else 0)]
    summary = (
        paragraph(rng, 4)
        + f' See the [related analysis](study:{other} "a related study").\n\n'
        + paragraph(rng, 3)
        + f" More in [the cell's bite](cell:{matrix}/{code})."
    )
    lines = [
        "# yaml-language-server: $schema=../../schema/study.schema.json",
        f"id: {sid}",
        f"title: {quote(title)}",
        "status: published",
        "source:",
        f"  title: {quote(sentence(rng, 9)[:-1])}",
        "  authors:",
        *[
            f"    - {quote(rng.choice(WORDS).title() + ', ' + rng.choice('ABCDEFGH') + '.')}"
            for _ in range(rng.randint(1, 4))
        ],
    ]
    org = rng.choice(ORGS)
    if org:
        lines.append(f"  organisation: {quote(org)}")
    lines += [
        f"  jurisdiction: {rng.choice(['England', 'Scotland', 'USA', 'Australia', 'Canada'])}",
        f"  year: {year}",
        f"  url: https://example.org/docs/{sid}.pdf",
        f"  doi: 10.{5000 + i % 4000}/{sid}",
        f"  type: {rng.choice(['report', 'journal-article', 'review', 'guidance'])}",
        "summary: " + block(summary, 2).rstrip("\n"),
        "key_points:",
        *[f"  - {quote(sentence(rng, rng.randint(8, 14)))}" for _ in range(3)],
        f"tags: [{', '.join(sorted(rng.sample(TAGS, 3)))}]",
        "related:",
        f"  - label: {quote('similar study')}",
        f"    study: {other}",
        "placements:",
    ]
    cells = {f"{matrix}/{code}"}
    if rng.random() < 0.3:
        cells.add(f"{'drug' if matrix == 'alcohol' else 'alcohol'}/{rng.choice(CODES)}")
    for rank, cell in enumerate(sorted(cells), 1):
        lines += [
            f"  - cell: {cell}",
            f"    categories: [{rng.choice(CATEGORIES)}]",
            f"    rank: {rank + i % 40}",
            "    note: " + block(paragraph(rng, 2), 6).rstrip("\n"),
        ]
    return "\n".join(lines) + "\n"


def generate(n: int, out: Path, seed: int = 2026) -> Path:
    """Write the matrices (from the bundled collection) and N studies into `out/entries`."""
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(ROOT / "entries" / "matrices", out / "entries" / "matrices")
    (out / "entries" / "cells").mkdir(parents=True)
    studies = out / "entries" / "studies"
    studies.mkdir(parents=True)
    for i in range(n):
        (studies / f"{study_id(i)}.yaml").write_text(study(rng, i, n), encoding="utf-8")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    generate(args.n, args.out)
    print(f"wrote {args.n} studies into {args.out / 'entries'}")


if __name__ == "__main__":
    main()

"""Near-duplicate titles and headlines (MP308): the stemmer, the similarity, the index, and the
check's findings.

The index (`similar.near_duplicates`) must find exactly what an all-pairs loop finds, while
looking at a number of index entries that grows linearly with the collection.
"""

from __future__ import annotations

import importlib.util
import json
import random
import re
import shutil
from fractions import Fraction
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from matrixpipe.check.similar import (
    THRESHOLD,
    Text,
    jaccard,
    near,
    near_duplicates,
    stem,
    stems,
)

if TYPE_CHECKING:
    from conftest import RunCli

ROOT = Path(__file__).resolve().parent.parent
MATRIX = (
    ROOT / "tests" / "cases" / "mp304-javascript-link" / "entries" / "matrices" / "alcohol.yaml"
)
HEAD = re.compile(r"^(?P<path>\S+):(?P<line>\d+):(?P<column>\d+): (?P<code>MP\d{3}) (?P<rest>.*)$")

SAME = [
    ("Methadone treatment saved lives in Sweden", "Methadone treatment saves lives in Sweden"),
    (
        "Inter-service networking by smaller agencies improves outcomes",
        "Networking by smaller inter-service agencies improves outcomes",
    ),
    (
        "Probation struggling to cope with alcohol-misusing offenders",
        "Probation: struggling to cope with alcohol misusing offenders.",
    ),
    ("Children’s needs when parents drink", "The children's needs when a parent drinks"),
    ("Café culture and alcohol harm", "Cafe culture & alcohol harms"),
    (
        "Treatment alone did not cut drink-drive deaths",
        "Treatment alone did not cut drink-drive deaths in the community",
    ),
    ("Treatment alone did not cut drink-drive deaths", "Treatment alone didn't cut drink deaths"),
]
DIFFERENT = [
    ("Alcohol screening in primary care", "Alcohol screening in emergency departments"),
    ("Methadone treatment saves lives in Sweden", "Methadone treatment saves lives in Norway"),
    ("Drinking before pregnancy", "Drinking after pregnancy"),
    ("Managing drink-drivers", "Managing drink-drivers in Canada"),
    ("Treatment for problem drinkers works", "Treatment for problem drinkers does not work"),
    ("Screening and brief intervention", "Brief intervention"),
    ("No safe level of drinking in pregnancy", "Safe level of drinking in pregnancy"),
]


# --- the stemmer and the similarity --------------------------------------------------------------


@pytest.mark.parametrize(
    "forms",
    [
        ("save", "saves", "saved", "saving"),
        ("improve", "improves", "improved", "improving"),
        ("agency", "agencies"),
        ("study", "studies", "studied", "studying"),
        ("stop", "stops", "stopped", "stopping"),
        ("process", "processes", "processed"),
        ("reach", "reaches", "reached", "reaching"),
        ("outcome", "outcomes"),
    ],
)
def test_a_words_forms_share_one_stem(forms: tuple[str, ...]) -> None:
    assert len({stem(f) for f in forms}) == 1, {f: stem(f) for f in forms}


@pytest.mark.parametrize(
    "word", ["bring", "need", "crisis", "bus", "add", "fall", "2009", "covid19", "ss"]
)
def test_short_and_odd_words_keep_their_ending(word: str) -> None:
    """-ing, -ed and -s come off only when a real stem is left (bring is no br-ing)."""
    assert stem(word) == word


@pytest.mark.parametrize(("a", "b"), SAME)
def test_near_duplicates_match(a: str, b: str) -> None:
    assert near(stems(a), stems(b)), (stems(a), stems(b))


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_distinct_titles_do_not_match(a: str, b: str) -> None:
    assert not near(stems(a), stems(b)), (stems(a), stems(b))


def test_the_two_reported_pairs_have_one_stem_set() -> None:
    """The tense and the word order are all that differ, so nothing else is left to differ."""
    for a, b in SAME[:2]:
        assert stems(a) == stems(b)
        assert jaccard(stems(a), stems(b)) == 1


def test_stop_words_and_punctuation_go() -> None:
    assert stems("The 'Whole-family' recovery: advocated in Scotland!") == (
        "advocat",
        "family",
        "recovery",
        "scotland",
        "whol",
    )
    assert stems("Of the, and a") == ()
    assert not near((), ())


def test_the_threshold_is_one_added_stem_in_four() -> None:
    four = ("a1", "b2", "c3", "d4")
    assert near(four, (*four, "e5"))
    assert not near(four[:3], (*four[:3], "e5"))  # 3 of 4


def test_the_bundled_collection_has_no_near_duplicates() -> None:
    """Its titles are the ordinary distinct titles of a real cell: none may be flagged."""
    titles = [
        json.loads(m[1]) if m[1].startswith('"') else m[1]
        for p in sorted((ROOT / "entries" / "studies").glob("*.yaml"))
        if (m := re.search(r"^title: (.*)$", p.read_text(encoding="utf-8"), re.M))
    ]
    assert len(titles) >= 18
    texts = [Text(i, "", stems(t)) for i, t in enumerate(titles)]  # every year, to be strict
    assert near_duplicates(texts).pairs == []


# --- the index -------------------------------------------------------------------------------


def _all_pairs(texts: list[Text], threshold: Fraction) -> list[tuple[int, int]]:
    return [
        (i, j)
        for i, j in combinations(range(len(texts)), 2)
        if texts[i].owner != texts[j].owner
        and (not texts[i].year or not texts[j].year or texts[i].year == texts[j].year)
        and near(texts[i].stems, texts[j].stems, threshold)
    ]


@pytest.mark.parametrize("seed", range(40))
def test_the_index_finds_what_all_pairs_find(seed: int) -> None:
    """Small vocabularies, near copies, shared owners, years and no years, several thresholds:
    the prefix filter may skip nothing that an all-pairs loop would report."""
    rng = random.Random(seed)
    vocabulary = [f"w{i}" for i in range(rng.randint(4, 25))]
    texts: list[Text] = []
    for _ in range(rng.randint(2, 60)):
        size = rng.randint(0, min(12, len(vocabulary)))
        words = tuple(sorted(rng.sample(vocabulary, size)))
        texts.append(Text(rng.randrange(30), rng.choice(["", "2001", "2002"]), words))
    for _ in range(30):  # near copies: one stem dropped, added or both
        words = set(rng.choice(texts).stems)
        if words and rng.random() < 0.5:
            words.discard(rng.choice(sorted(words)))
        if rng.random() < 0.7:
            words.add(rng.choice(vocabulary))
        texts.append(Text(rng.randrange(30), rng.choice(["", "2001"]), tuple(sorted(words))))
    threshold = rng.choice(
        [THRESHOLD, Fraction(1, 2), Fraction(2, 3), Fraction(9, 10), Fraction(1)]
    )
    expected = _all_pairs(texts, threshold)
    assert expected, "each example must hold matches to miss"
    assert near_duplicates(texts, threshold).pairs == expected


def test_one_owners_texts_are_never_compared() -> None:
    title = stems("Local partnerships tackle drink-driving")
    headline = stems("Local partnerships tackle drink-driving in Scotland")
    assert near(title, headline)
    assert near_duplicates([Text(0, "2005", title), Text(0, "2005", headline)]).pairs == []
    assert near_duplicates([Text(0, "2005", title), Text(1, "2005", headline)]).pairs == [(0, 1)]


@pytest.mark.parametrize(
    ("year_a", "year_b", "found"),
    [("2014", "2014", True), ("2014", "2019", False), ("", "2019", True), ("", "", True)],
)
def test_years(year_a: str, year_b: str, found: bool) -> None:
    """Same year only when both give one; a missing year rules nothing out."""
    a, b = (stems(t) for t in SAME[0])
    assert bool(near_duplicates([Text(0, year_a, a), Text(1, year_b, b)]).pairs) is found


def _generate() -> object:
    """benchmarks/generate.py: the benchmark's deterministic synthetic collection."""
    spec = importlib.util.spec_from_file_location("generate", ROOT / "benchmarks" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate


def test_ten_thousand_titles_take_linear_work(tmp_path: Path) -> None:
    """The benchmark's 10,000 studies (titles drawn from a 70-word vocabulary, the hard case for
    an index of words), with near copies planted: exactly the copies are found, and the index
    entries looked at stay below 20 per text, where all pairs would be 5,000 per text."""
    n = 10_000
    folder = _generate()(n, tmp_path / "corpus")
    title = re.compile(r'^title: (".*")$', re.M)
    year = re.compile(r"^  year: (\d+)$", re.M)
    texts: list[Text] = []
    originals: list[str] = []
    for owner, path in enumerate(sorted((folder / "entries" / "studies").glob("*.yaml"))):
        text = path.read_text(encoding="utf-8")
        t, y = title.search(text), year.search(text)
        assert t and y
        originals.append(json.loads(t[1]))
        texts.append(Text(owner, y[1], stems(originals[-1])))
    assert len(texts) == n and len(set(originals)) == n
    assert near_duplicates(texts).pairs == []  # distinct titles (of the same year): none found
    rng = random.Random(308)
    planted = []
    for k, i in enumerate(rng.sample(range(n), 20)):
        words = originals[i].split()
        rng.shuffle(words)  # another order, another tense
        copy = " ".join(w + "s" if len(w) > 4 and not w.endswith("s") else w for w in words)
        texts.append(Text(n + k, texts[i].year, stems(copy)))
        planted.append((i, n + k))
    found = near_duplicates(texts)
    assert found.pairs == sorted(planted)
    assert 0 < found.comparisons < 20 * len(texts)
    shutil.rmtree(folder)


# --- the check -------------------------------------------------------------------------------


def _study(repo: Path, sid: str, title: str, year: int | None, *headlines: str) -> None:
    """A study file placed in one cell per headline ("" for none; at least one cell)."""
    lines = [f"id: {sid}", f"title: {title}", "status: published", "source:"]
    lines += ["  organisation: Home Office"] + ([f"  year: {year}"] if year else [])
    lines.append("placements:")
    for code, headline in zip(("E5", "E4", "E3"), headlines or ("",), strict=False):
        lines += [f"  - cell: alcohol/{code}", "    categories: [key]", "    note: A note."]
        lines += [f"    headline: {headline}"] if headline else []
    path = repo / "entries" / "studies" / f"{sid}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A collection of one matrix and no studies yet."""
    (tmp_path / "entries" / "studies").mkdir(parents=True)
    (tmp_path / "entries" / "matrices").mkdir()
    shutil.copy(MATRIX, tmp_path / "entries" / "matrices")
    return tmp_path


def _mp308(run_cli: RunCli, repo: Path) -> list[tuple[str, int, int, str]]:
    result = run_cli(["check", repo, "--color", "never"])
    return [
        (m["path"].rsplit("/", 1)[-1], int(m["line"]), int(m["column"]), m["rest"])
        for line in result.output.splitlines()
        if (m := HEAD.match(line)) and m["code"] == "MP308"
    ]


def test_headlines_against_titles_and_headlines(repo: Path, run_cli: RunCli) -> None:
    _study(repo, "a-2010", "Methadone treatment saved lives in Sweden", 2010, "Prisons cut deaths")
    _study(repo, "b-2010", "Networking helps small agencies", 2010, "", "Prison cuts death")
    _study(repo, "c-2010", "Methadone treatment saves lives in Sweden", 2010)
    _study(repo, "d-2010", "Prisons cut the deaths", 2010)
    assert _mp308(run_cli, repo) == [
        (
            "b-2010.yaml",
            14,
            15,
            "warning: headline is nearly the same as the headline entries/studies/a-2010.yaml "
            "gives in alcohol/E5",
        ),
        ("c-2010.yaml", 2, 8, "warning: title is nearly the same as entries/studies/a-2010.yaml's"),
        (
            "d-2010.yaml",
            2,
            8,
            "warning: title is nearly the same as the headline entries/studies/a-2010.yaml "
            "gives in alcohol/E5",
        ),
    ]


def test_one_finding_per_text_naming_the_first_file(repo: Path, run_cli: RunCli) -> None:
    for sid in ("a-2014", "b-2014", "c-2014"):
        _study(repo, sid, "Methadone treatment saves lives in Sweden", 2014)
    found = _mp308(run_cli, repo)
    assert [(f[0], f[3].rsplit(" ", 1)[-1]) for f in found] == [
        ("b-2014.yaml", "entries/studies/a-2014.yaml's"),
        ("c-2014.yaml", "entries/studies/a-2014.yaml's"),
    ]


def test_a_study_with_no_year_is_compared(repo: Path, run_cli: RunCli) -> None:
    _study(repo, "a", "Methadone treatment saved lives in Sweden", None)
    _study(repo, "b-2014", "Methadone treatment saves lives in Sweden", 2014)
    _study(repo, "c-2019", "Methadone treatment saving lives in Sweden", 2019)
    found = _mp308(run_cli, repo)
    assert [f[0] for f in found] == ["b-2014.yaml", "c-2019.yaml"]  # both, naming a.yaml only
    assert all(f[3].endswith("entries/studies/a.yaml's") for f in found)


def test_the_later_file_gets_the_finding_whatever_the_cache_holds(
    repo: Path, run_cli: RunCli
) -> None:
    """The entry cache hands back unchanged files first; the report must not follow it."""
    _study(repo, "a-2014", "Methadone treatment saved lives in Sweden", 2014)
    _study(repo, "b-2014", "Methadone treatment saves lives in Sweden", 2014)
    cold = _mp308(run_cli, repo)
    first = repo / "entries" / "studies" / "a-2014.yaml"
    first.write_text("# edited\n" + first.read_text(encoding="utf-8"), encoding="utf-8")
    assert (
        _mp308(run_cli, repo)
        == cold
        == [
            (
                "b-2014.yaml",
                2,
                8,
                "warning: title is nearly the same as entries/studies/a-2014.yaml's",
            )
        ]
    )


def test_the_pairs_found_are_remembered_by_the_texts(tmp_path: Path) -> None:
    """The judge keeps the pairs of its last run in a signed file, keyed by the texts: the same
    texts give the pairs back without indexing; other texts, or a forged payload, do not."""

    from matrixpipe.check.cache import content_digest, read_cache_file, write_cache_file
    from matrixpipe.check.resolve import remembered_pairs

    def text(owner: int, title: str) -> Text:
        return Text(owner, "2010", stems(title))

    texts = [
        text(0, "Probation struggling to cope with alcohol misusing offenders"),
        text(1, "Probation struggles to cope with alcohol-misusing offenders"),
        text(2, "Children of problem drinking parents"),
    ]
    file = tmp_path / "cache" / "similar.marshal"
    assert remembered_pairs(lambda: texts, texts, file) == [(0, 1)]
    key, pairs = read_cache_file(file)
    assert pairs == [(0, 1)]
    assert remembered_pairs(lambda: texts, texts, file) == [(0, 1)]

    # A payload under the right key whose pairs point outside the texts is not believed.
    write_cache_file(file, (key, [(0, 7)]))
    assert remembered_pairs(lambda: texts, texts, file) == [(0, 1)]
    # Whereas one that fits is: the file is the judge's memory, and it is signed.
    write_cache_file(file, (key, [(1, 2)]))
    assert remembered_pairs(lambda: texts, texts, file) == [(1, 2)]

    other = [*texts[:2], text(2, "Children of problem-drinking parents, again: probation")]
    assert remembered_pairs(lambda: other, other, file) == near_duplicates(other).pairs
    assert read_cache_file(file)[0] == content_digest(repr(other).encode())
    assert remembered_pairs(lambda: texts, texts, None) == [(0, 1)]

"""Near-duplicate titles (MP308): word stems compared as sets, found through an index.

Editors enter the same document twice with small differences: another tense ("saved", "saves"),
the words in another order, a stop word more or less. So a title (or a cell's headline) is
boiled down to the set of its word stems, and two texts are near-duplicates when those sets are
nearly the same (Jaccard similarity at least `THRESHOLD`).

Comparing every pair would be quadratic. `near_duplicates` is a prefix-filtering similarity
join (the AllPairs / PPJoin scheme): stems are ordered rarest first, and two sets can reach the
threshold only if they share a stem among their first few, so only those first stems are
indexed and probed, texts are visited from the smallest set up, and sets too small to reach the
threshold are skipped. The result is exact: it finds every pair an all-pairs loop would.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from fractions import Fraction
from typing import NamedTuple

THRESHOLD = Fraction(4, 5)
"""Two stem sets are near-duplicates when they share at least this part of their union: one stem
added to a title of four or more, or one changed in a title of nine or more."""

_STOP_TEXT = """
    a about all also am among amongst an and any are as at be because been being between both
    but by can could did do does doing done each else etc ever every for from further had has
    have having he her here hers herself him himself his how however i if in into is it its
    itself just may me might must my myself now of on once onto or other others our ours
    ourselves own per same shall she should so some such than that the their theirs them
    themselves then there these they this those through thus to toward towards upon us versus
    very via vs was we were what when where whether which while who whom whose why will with
    within would yet you your yours yourself yourselves
"""
STOPWORDS = frozenset(_STOP_TEXT.split())
"""Words that say nothing about what a document is. Negations (no, not, nor, without), words of
time and direction (before, after, during, since, over, under, up, down, out) and quantities
(more, less, few) are kept: they change what a title says."""

NEGATIONS = frozenset(("not", "no", "nor", "never", "without"))
"""A title that says one of these and one that does not are never near-duplicates: "X works"
and "X does not work" are two findings, however alike their words."""
_NOT_TEXT = """
    arent cannot cant couldnt didnt doesnt dont hadnt hasnt havent isnt shouldnt wasnt werent
    wont wouldnt
"""
_NOT = frozenset(_NOT_TEXT.split())
"""Contractions of not (their apostrophe gone): "didn't" says "did not", and did is a stop word."""

_WORD = re.compile(r"[a-z0-9]+")
_VOWELS = frozenset("aeiouy")
_UNDOUBLE = frozenset("bdgmnprt")
"""Final consonants doubled before -ed and -ing (stopped, planned), undoubled to meet the stem."""


def stem(word: str) -> str:
    """A light suffix stemmer: plurals, -ed, -ing and a final e, so that save, saves, saved and
    saving meet. It only has to send a word's forms to one stem, not to find its root."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith(("ies", "ied")) and len(word) > 4:
        word = word[:-3] + "y"  # agencies, studied → agency, study
    elif word.endswith(("sses", "ches", "shes", "xes", "zzes")):
        word = word[:-2]  # processes, reaches, boxes
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix):
            base = word[: -len(suffix)]
            if len(base) >= 3 and not _VOWELS.isdisjoint(base):
                word = base
                if len(word) > 3 and word[-1] == word[-2] and word[-1] in _UNDOUBLE:
                    word = word[:-1]
            break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]  # save and saved both become sav
    return word


def stems(text: str) -> tuple[str, ...]:
    """The sorted, distinct stems of a text's words: case, accents, punctuation, word order and
    stop words make no difference."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = _WORD.findall(text.replace("'", ""))  # children's → childrens, not children + s
    return tuple(sorted({"not" if w in _NOT else stem(w) for w in words if w not in STOPWORDS}))


def similarity_key(text: str) -> str:
    """A text's stems as one plain string, which the entry cache can store."""
    return " ".join(stems(text))


def jaccard(a: Sequence[str], b: Sequence[str]) -> Fraction:
    """How much two stem sets share: the size of their intersection over that of their union."""
    x, y = set(a), set(b)
    union = len(x | y)
    return Fraction(len(x & y), union) if union else Fraction(0)


def near(a: Sequence[str], b: Sequence[str], threshold: Fraction = THRESHOLD) -> bool:
    """Whether two stem sets are near-duplicates (two empty sets are not: nothing to compare)."""
    return (
        bool(a)
        and bool(b)
        and NEGATIONS.isdisjoint(a) == NEGATIONS.isdisjoint(b)
        and jaccard(a, b) >= threshold
    )


class Text(NamedTuple):
    """One title or headline to compare."""

    owner: int
    """Texts with the same owner (one study's title and headlines) are never compared."""
    year: str
    """The document's year; "" when it has none, which matches any year."""
    stems: tuple[str, ...]


class Matches(NamedTuple):
    """What `near_duplicates` found, and the work it took."""

    pairs: list[tuple[int, int]]
    """(i, j), i < j: indexes of two near-duplicate texts, sorted."""
    comparisons: int
    """Index entries looked at: the work done, which stays linear in the number of texts when
    their words are varied (an all-pairs loop would make n(n - 1)/2)."""


def near_duplicates(texts: Sequence[Text], threshold: Fraction = THRESHOLD) -> Matches:
    """Every pair of texts that `near` accepts, of different owners and of the same year (or
    with no year on one side), found through an index."""
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], not {threshold}")
    frequency = Counter(s for text in texts for s in set(text.stems))
    rank = {s: r for r, s in enumerate(sorted(frequency, key=lambda s: (frequency[s], s)))}
    tokens = [sorted(rank[s] for s in set(text.stems)) for text in texts]
    sets = [frozenset(t) for t in tokens]
    negated = [not NEGATIONS.isdisjoint(text.stems) for text in texts]
    order = sorted((i for i, t in enumerate(tokens) if t), key=lambda i: (len(tokens[i]), i))
    any_year_less = any(not texts[i].year for i in order)
    # (year, stem rank) → texts in increasing size; the year None lists texts of every year, for
    # the probes of texts with no year. Each list has a start that moves past texts too small
    # for the probes to come, which are never smaller than the ones before.
    postings: dict[tuple[str | None, int], list[int]] = {}
    starts: dict[tuple[str | None, int], int] = {}
    num, den = threshold.numerator, threshold.denominator  # integers: Fractions are slow
    pairs: list[tuple[int, int]] = []
    comparisons = 0
    for x in order:
        size, year, owner = len(tokens[x]), texts[x].year, texts[x].owner
        least = -(-num * size // den)  # ceil(t·size): the smallest set that can reach t with x
        years: tuple[str | None, ...] = (year, "") if year else (None,)
        seen: set[int] = set()
        for r in tokens[x][: size - least + 1]:
            for y_year in years:
                key = (y_year, r)
                posting = postings.get(key)
                if not posting:
                    continue
                start = starts.get(key, 0)
                while start < len(posting) and len(tokens[posting[start]]) < least:
                    start += 1
                    comparisons += 1
                starts[key] = start
                for y in posting[start:]:
                    comparisons += 1
                    if texts[y].owner == owner or negated[y] != negated[x] or y in seen:
                        continue
                    seen.add(y)
                    common = len(sets[x] & sets[y])
                    if common * den >= num * (size + len(tokens[y]) - common):
                        pairs.append((min(x, y), max(x, y)))
        # A set is indexed by fewer stems than it probes with: a match found later is at least
        # as large as it, which needs a larger overlap (PPJoin's mid-prefix).
        indexed = -(-2 * num * size // (den + num))  # ceil(2t/(1+t)·size)
        for r in tokens[x][: size - indexed + 1]:
            postings.setdefault((year, r), []).append(x)
            if any_year_less:
                postings.setdefault((None, r), []).append(x)
    return Matches(sorted(pairs), comparisons)

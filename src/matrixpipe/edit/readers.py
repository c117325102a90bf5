"""Read what reference managers export (RIS, BibTeX, CSL-JSON) into plain records.

The reverse of `references.py`, kept beside it so the field mappings stay in step. Each record
keeps its line in the input, and a record that cannot be parsed becomes a `Problem` with its line
while the rest are still read: one broken entry must not cost a user the whole library.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from matrixpipe.publish.references import GENRES

Format = Literal["ris", "bibtex", "csl-json"]
FORMATS: tuple[Format, ...] = ("ris", "bibtex", "csl-json")
EXTENSIONS: dict[str, Format] = {
    ".ris": "ris",
    ".bib": "bibtex",
    ".bibtex": "bibtex",
    ".json": "csl-json",
}
_FROM_GENRE = {v.lower(): k for k, v in GENRES.items()}
_RIS_TYPES = {
    "RPRT": "report",
    "GOVDOC": "report",
    "JOUR": "journal-article",
    "EJOUR": "journal-article",
    "JFULL": "journal-article",
    "BOOK": "book",
    "EBOOK": "book",
    "CHAP": "chapter",
    "ECHAP": "chapter",
    "ELEC": "web-page",
    "WEB": "web-page",
    "DATA": "dataset",
}
_BIBTEX_TYPES = {
    "techreport": "report",
    "report": "report",
    "article": "journal-article",
    "book": "book",
    "booklet": "book",
    "incollection": "chapter",
    "inbook": "chapter",
    "online": "web-page",
    "www": "web-page",
    "electronic": "web-page",
    "dataset": "dataset",
}
_CSL_TYPES = {
    "report": "report",
    "article-journal": "journal-article",
    "article": "journal-article",
    "book": "book",
    "chapter": "chapter",
    "webpage": "web-page",
    "post-weblog": "web-page",
    "dataset": "dataset",
}
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|2[01]\d\d)(?!\d)")
_BIBTEX_START = re.compile(r"^[ \t]*@[A-Za-z]+\s*[{(]", re.M)
"""Spaces and tabs only before the `@`: whitespace that included newlines would let every blank
line start a scan to the end of the file (minutes for a file of blank lines)."""
FIELD_LIMIT = 50_000
"""Characters of a BibTeX field that are read: LaTeX decoding and name splitting take about a
second per 50,000, and no field we keep is longer (a summary is at most 20,000)."""
MAX_NESTING = 50
"""Deepest brace nesting read in a BibTeX field; a deeper record is reported, not read. The LaTeX
decoder and the name splitter recurse once per level, and real exports nest a handful deep."""
INT_DIGITS = 20
"""JSON integers longer than this stay text: Python refuses to convert more than 4,300 digits,
and no CSL variable we read needs a big number."""
_RIS_TAG = re.compile(r"^([A-Z][A-Z0-9])  -(?: (.*))?$")
_RIS_CONTAINERS = ("journal_name", "alternate_title3", "secondary_title")
"""rispy's keys for the container, best first: `JO` and `JF` (both "journal name: full format"
in the RIS spec), then `T2` (the secondary title: Zotero and EndNote write a journal, a chapter's
book, a report's series or a web page's website there)."""
_BIBTEX_CONTAINERS = ("journal", "journaltitle", "booktitle", "series")
"""BibTeX's container fields, best first (`journaltitle` is BibLaTeX's `journal`)."""


@dataclass
class Record:
    """One reference, in the content model's terms, and where it starts in the input."""

    line: int
    number: int
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    organisation: str | None = None
    jurisdiction: str | None = None
    year: int | None = None
    container: str | None = None
    url: str | None = None
    doi: str | None = None
    type: str = "other"
    abstract: str = ""
    keywords: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Problem:
    """A record (or a stretch of the input) that could not be read at all."""

    line: int
    message: str


@dataclass
class ReadResult:
    """Everything read from one file: the records, and what could not be read."""

    records: list[Record] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def guess_format(name: str, text: str) -> Format | None:
    """The format from the file extension, else from how the content starts."""
    for ext, fmt in EXTENSIONS.items():
        if name.lower().endswith(ext):
            return fmt
    start = text.lstrip("\ufeff \t\r\n")
    if start[:1] in ("[", "{"):
        return "csl-json"
    if re.search(r"^TY  - ", text, re.M):
        return "ris"
    if _BIBTEX_START.search(text):
        return "bibtex"
    return None


def read(text: str, fmt: Format) -> ReadResult:
    """Read every record of `text`; BOMs and CRLF line ends are accepted."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return {"ris": read_ris, "bibtex": read_bibtex, "csl-json": read_csl_json}[fmt](text)


def _year(*values: Any) -> int | None:
    for value in values:
        m = _YEAR.search(str(value or ""))
        if m:
            return int(m.group())
    return None


def _kind(mapped: str | None, genre: str | None) -> str:
    return _FROM_GENRE.get((genre or "").strip().lower(), mapped or "other")


def _text(value: Any) -> str | None:
    text = " ".join(str(value).split()) if value is not None else ""
    return text or None


def _list(value: Any) -> list[Any]:
    """A list from untrusted data: a list as is, one other value as a list of it, None as []."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


# --- RIS -----------------------------------------------------------------------------------


def read_ris(text: str) -> ReadResult:
    """RIS: split on TY … ER ourselves (so each record knows its line), parse each with rispy."""
    result = ReadResult()
    chunk: list[str] = []
    start = count = 0
    for number, line in enumerate(text.split("\n"), start=1):
        tag = _RIS_TAG.match(line.rstrip())
        if tag and tag.group(1) == "TY":
            if chunk:
                result.problems.append(Problem(start, f"record {count} has no ER line; skipped"))
            chunk, start, count = [line], number, count + 1
        elif chunk:
            # rispy wants "ER  - " with its space; editors often strip trailing spaces.
            chunk.append(line.rstrip() + (" " if tag and tag.group(2) is None else ""))
            if tag and tag.group(1) == "ER":
                _ris_record(chunk, start, count, result)
                chunk = []
        elif line.strip():
            result.problems.append(Problem(number, "text outside a record (no TY line); skipped"))
    if chunk:
        result.problems.append(Problem(start, f"record {count} has no ER line; skipped"))
    return result


def _ris_record(lines: list[str], line: int, number: int, result: ReadResult) -> None:
    import rispy

    try:
        (ref,) = rispy.loads("\n".join(lines))
    except Exception as exc:  # rispy raises plain exceptions on malformed records
        result.problems.append(Problem(line, f"record {number} is not valid RIS ({exc}); skipped"))
        return
    urls = ref.get("urls") or []
    authors = [*ref.get("authors", []), *ref.get("first_authors", [])]
    result.records.append(
        Record(
            line=line,
            number=number,
            title=_text(ref.get("title") or ref.get("primary_title")),
            authors=[a for a in map(_text, authors) if a],
            organisation=_text(ref.get("publisher")),
            year=_year(ref.get("year"), ref.get("date"), ref.get("publication_year")),
            container=_text(next((ref[k] for k in _RIS_CONTAINERS if ref.get(k)), None)),
            url=_text(urls[0]) if urls else None,
            doi=_text(ref.get("doi")),
            type=_kind(_RIS_TYPES.get(ref.get("type_of_reference", "")), ref.get("type_of_work")),
            abstract=ref.get("abstract") or ref.get("notes_abstract") or "",
            keywords=[k for k in map(_text, ref.get("keywords", [])) if k],
        )
    )


# --- BibTeX --------------------------------------------------------------------------------


def read_bibtex(text: str) -> ReadResult:
    """BibTeX or BibLaTeX via bibtexparser; LaTeX accents and escapes become Unicode."""
    import bibtexparser
    from bibtexparser.model import DuplicateBlockKeyBlock, Entry, ParsingFailedBlock

    result = ReadResult()
    count = 0
    for block in _quietly(bibtexparser.parse_string, text).blocks:
        if isinstance(block, DuplicateBlockKeyBlock):
            block = block.ignore_error_block  # a repeated key is no reason to drop a record
        line = (block.start_line or 0) + 1
        if isinstance(block, Entry):
            count += 1
            too_deep = _too_deep(block)
            if too_deep:
                result.problems.append(
                    Problem(
                        line,
                        f"record {count} is not valid BibTeX ('{too_deep}' has braces nested "
                        f"more than {MAX_NESTING} deep); skipped",
                    )
                )
                continue
            _bibtex_record(block, line, count, result)
        elif isinstance(block, ParsingFailedBlock) and (block.raw or "").lstrip().startswith("@"):
            count += 1
            result.problems.append(
                Problem(
                    line, f"record {count} is not valid BibTeX ({_reason(block.error)}); skipped"
                )
            )
    return result


def _too_deep(entry: Any) -> str | None:
    """The first field whose read part nests braces deeper than MAX_NESTING, if any."""
    for f in entry.fields:
        depth = deepest = 0
        for brace in re.findall(r"[{}]", str(f.value)[:FIELD_LIMIT]):
            depth = depth + 1 if brace == "{" else max(depth - 1, 0)
            deepest = max(deepest, depth)
        if deepest > MAX_NESTING:
            return str(f.key)
    return None


def _quietly(parse: Any, text: str) -> Any:
    """Run bibtexparser without its logged warnings: we report each failed entry ourselves."""
    logger = logging.getLogger("bibtexparser")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        return parse(text)
    finally:
        logger.setLevel(level)


def _reason(error: Exception) -> str:
    message = " ".join(str(getattr(error, "abort_reason", "") or error).split())
    if "closing `}`" in message:
        return "a '{' is never closed"
    return message.rpartition("bibtex:")[2].strip() or message


def _bibtex_record(entry: Any, line: int, number: int, result: ReadResult) -> None:
    fields = {f.key.lower(): str(f.value)[:FIELD_LIMIT] for f in entry.fields}
    organisation = next(
        (
            fields[k]
            for k in ("institution", "organization", "publisher", "school")
            if fields.get(k)
        ),
        None,
    )
    container = next((fields[k] for k in _BIBTEX_CONTAINERS if fields.get(k)), None)
    doi = _verbatim(fields.get("doi"))
    result.records.append(
        Record(
            line=line,
            number=number,
            title=_text(_latex(fields.get("title"))),
            authors=_bibtex_names(fields.get("author", "")),
            organisation=_text(_latex(organisation)),
            jurisdiction=_text(_latex(fields.get("jurisdiction"))),
            year=_year(fields.get("year"), fields.get("date")),
            container=_text(_latex(container)),
            url=_verbatim(fields.get("url")),
            doi=doi,
            type=_kind(_BIBTEX_TYPES.get(entry.entry_type.lower()), _latex(fields.get("type"))),
            abstract=_latex(fields.get("abstract")) or "",
            keywords=[
                k for k in map(_text, re.split(r"[,;]", _latex(fields.get("keywords")) or "")) if k
            ],
        )
    )


def _latex(value: str | None) -> str | None:
    """LaTeX to Unicode text: `{\\'e}` → é, `\\&` → &, grouping braces dropped.

    The parser runs strictly: its forgiving mode retries each macro argument it cannot close,
    which takes minutes for a few dozen nested `\\frac{`. LaTeX it cannot parse (or that nests
    environments deeper than Python recurses) gets the rough reading of `_rough_text` instead.
    """
    if value is None:
        return None
    from pylatexenc.latexwalker import LatexWalkerError

    try:
        return _latex_decoder().latex_to_text(value, tolerant_parsing=False)
    except (LatexWalkerError, RecursionError):
        return _rough_text(value)


_ACCENTS = {
    "`": "\u0300",
    "'": "\u0301",
    "^": "\u0302",
    "~": "\u0303",
    "=": "\u0304",
    "u": "\u0306",
    ".": "\u0307",
    '"': "\u0308",
    "r": "\u030a",
    "H": "\u030b",
    "v": "\u030c",
    "d": "\u0323",
    "c": "\u0327",
    "k": "\u0328",
    "b": "\u0331",
}
_WORDS = {
    "textbraceleft": "{",
    "textbraceright": "}",
    "textbackslash": "\\",
    "textasciitilde": "~",
    "textasciicircum": "^",
    "textless": "<",
    "textgreater": ">",
    "textunderscore": "_",
    "ss": "ß",
    "o": "ø",
    "O": "Ø",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "aa": "å",
    "AA": "Å",
    "l": "ł",
    "L": "Ł",
    "i": "ı",
}
_ROUGH = re.compile(
    r"""\\(?:
        (?P<accent>[`'^~=."]|[uvrHdckb](?![A-Za-z]))
        \s*(?:\{\s*(?P<base>[A-Za-z])\s*\}|(?P<bare>[A-Za-z]))
      | (?P<word>[A-Za-z]+)\*?(?:\{\}|\s*)
      | (?P<char>.)
    )
    | (?P<brace>[{}])
    | (?P<tie>~)""",
    re.X | re.S,
)


def _rough_text(latex: str) -> str:
    """LaTeX the parser rejects, read in one pass: escapes and accents kept, other commands,
    braces and ties dropped. No backtracking and no recursion, whatever the input."""

    def one(m: re.Match[str]) -> str:
        if m["accent"]:
            return (m["base"] or m["bare"]) + _ACCENTS[m["accent"]]
        if m["word"]:
            return _WORDS.get(m["word"], "")
        if m["char"]:
            return " " if m["char"] in "\\\n" else m["char"]  # `\\` breaks a line
        return " " if m["tie"] else ""

    return unicodedata.normalize("NFC", _ROUGH.sub(one, latex))


@cache
def _latex_decoder() -> Any:
    from pylatexenc.latex2text import (
        LatexNodes2Text,
        MacroTextSpec,
        get_default_latex_context_db,
    )

    context = get_default_latex_context_db()
    # pylatexenc turns \textasciicircum into U+02C6 and wraps \url in <>; we want ^ and the URL.
    # It drops \textbraceleft/right, which our BibTeX writes for a brace without its partner.
    context.add_context_category(
        "matrixpipe",
        prepend=True,
        macros=[
            MacroTextSpec("textasciicircum", "^"),
            MacroTextSpec("textbraceleft", "{"),
            MacroTextSpec("textbraceright", "}"),
            MacroTextSpec("url", simplify_repl="%s"),
        ],
    )
    return LatexNodes2Text(latex_context=context, math_mode="verbatim")


def _verbatim(value: str | None) -> str | None:
    """URL and DOI fields are verbatim, but some exporters escape LaTeX specials in them."""
    if not value:
        return None
    text = re.sub(r"\\([_%&#$])", r"\1", value).replace("{", "").replace("}", "")
    return _text(text.replace("%7B", "{").replace("%7D", "}"))


def _bibtex_names(value: str) -> list[str]:
    """'Family, Given' strings; a name in braces (`{World Health Organization}`) stays whole."""
    from bibtexparser.middlewares.names import (
        parse_single_name_into_parts,
        split_multiple_persons_names,
    )

    names = []
    for raw in split_multiple_persons_names(" ".join(value.split())) if value.strip() else []:
        if raw.startswith("{") and raw.endswith("}"):
            names.append(_text(_latex(raw)) or "")
            continue
        parts = parse_single_name_into_parts(raw, strict=False)
        family = _latex(" ".join([*parts.von, *parts.last, *parts.jr])) or ""
        given = _latex(" ".join(parts.first)) or ""
        names.append(f"{family}, {given}" if given else family)
    return [n for n in names if n]


# --- CSL-JSON ------------------------------------------------------------------------------


def read_csl_json(text: str) -> ReadResult:
    """CSL-JSON: an array of items (or one item); each item's line is found while decoding."""
    result = ReadResult()
    try:
        data = _JSON.decode(text)
    except json.JSONDecodeError as exc:
        result.problems.append(Problem(exc.lineno, f"not valid JSON ({exc.msg}); nothing read"))
        return result
    except RecursionError:  # the decoder recurses once per level of nesting
        result.problems.append(Problem(1, "JSON nested too deeply to read; nothing read"))
        return result
    items = data if isinstance(data, list) else [data]
    lines = _item_lines(text) if isinstance(data, list) else [1]
    for number, (item, line) in enumerate(zip(items, lines, strict=True), start=1):
        if not isinstance(item, dict):
            result.problems.append(Problem(line, f"record {number} is not a JSON object; skipped"))
            continue
        result.records.append(_csl_record(item, line, number))
    return result


def _json_int(digits: str) -> int | str:
    """An integer, or its digits when it is too long to be anything we read (INT_DIGITS)."""
    return int(digits) if len(digits.lstrip("-")) <= INT_DIGITS else digits


_JSON = json.JSONDecoder(parse_int=_json_int)


def _item_lines(text: str) -> list[int]:
    """The line on which each item of a top-level JSON array starts."""
    lines = []
    index = text.index("[") + 1
    while True:
        while text[index] in " \t\n,":
            index += 1
        if text[index] == "]":
            return lines
        lines.append(text.count("\n", 0, index) + 1)
        _, index = _JSON.raw_decode(text, index)


def _csl_record(item: dict[str, Any], line: int, number: int) -> Record:
    issued = item.get("issued")
    if isinstance(issued, dict):
        # date-parts is [[year, month, day]]; hostile files put anything there.
        first = _list(issued.get("date-parts"))[:1]
        parts = _list(first[0])[:1] if first else []
        year = _year(parts[0] if parts else None, issued.get("raw"), issued.get("literal"))
    else:
        year = _year(issued)
    keywords = item.get("keyword") or ""
    return Record(
        line=line,
        number=number,
        title=_text(item.get("title")),
        authors=[n for n in map(_csl_name, _list(item.get("author"))) if n],
        organisation=_text(item.get("publisher")),
        jurisdiction=_text(item.get("jurisdiction")),
        year=year,
        # Zotero files a report's or a book's series as `collection-title`.
        container=_text(item.get("container-title") or item.get("collection-title")),
        url=_text(item.get("URL")),
        doi=_text(item.get("DOI")),
        type=_kind(_CSL_TYPES.get(str(item.get("type", ""))), _text(item.get("genre"))),
        abstract=str(item.get("abstract") or ""),
        keywords=[k for k in map(_text, re.split(r"[,;]", str(keywords))) if k],
    )


def _csl_name(name: Any) -> str | None:
    if not isinstance(name, dict):
        return _text(name)
    if name.get("literal"):
        return _text(name["literal"])
    family = " ".join(str(name[k]) for k in ("non-dropping-particle", "family") if name.get(k))
    given = _text(name.get("given"))
    if not family:
        return given
    return f"{family}, {given}" if given else family

"""Studies in the formats reference managers read: CSL-JSON, BibTeX (bibtexparser) and RIS (rispy).

Zotero, EndNote and Mendeley all import these, so a reader can take one study, one cell or the
whole collection away. Keys and ids are the study ids, so a re-import finds the same records.
`readers.py` maps the same fields back; change both together.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matrixpipe import models

CSL_TYPES = {
    "report": "report",
    "journal-article": "article-journal",
    "review": "report",
    "guidance": "report",
    "book": "book",
    "chapter": "chapter",
    "web-page": "webpage",
    "dataset": "dataset",
    "other": "document",
}
BIBTEX_TYPES = {
    "report": "techreport",
    "journal-article": "article",
    "review": "techreport",
    "guidance": "techreport",
    "book": "book",
    "chapter": "incollection",
    "web-page": "misc",
    "dataset": "misc",
    "other": "misc",
}
RIS_TYPES = {
    "report": "RPRT",
    "journal-article": "JOUR",
    "review": "RPRT",
    "guidance": "RPRT",
    "book": "BOOK",
    "chapter": "CHAP",
    "web-page": "ELEC",
    "dataset": "DATA",
    "other": "GEN",
}
BIBTEX_CONTAINERS = {"journal-article": "journal", "chapter": "booktitle"}
"""The BibTeX field that names a study's container: the journal of an `@article`, the book of an
`@incollection`; any other type's container is a series (`series`)."""
RIS_CONTAINERS = {"journal-article": "journal_name"}
"""The rispy key for a study's container: `JO` (journal name) for an article, else `T2`
(`secondary_title`: a chapter's book, a report's series, a web page's website)."""
GENRES = {"guidance": "Guidance", "review": "Review"}
"""Our types that every format files as a report: the report type (CSL genre, BibTeX `type`,
RIS `M3`) keeps them apart, and readers map it back."""

_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_TEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_TEX = re.compile("|".join(re.escape(c) for c in _TEX_SPECIALS))
_LONE_BRACE = {"{": r"\textbraceleft{}", "}": r"\textbraceright{}"}


def plain(markdown: str) -> str:
    """Markdown as one line of plain text for an abstract: link text kept, targets dropped."""
    return " ".join(_LINK.sub(r"\1", markdown).split())


def split_name(name: str) -> tuple[str, str] | None:
    """'Family, Given' → (family, given); None for a name without a comma (an organisation)."""
    family, comma, given = name.partition(",")
    if not comma or not family.strip():
        return None
    return family.strip(), given.strip()


def title_of(study: models.Study) -> str:
    """The document's own title when it has one, else the headline."""
    return study.source.title or study.title


def csl_item(study: models.Study) -> dict[str, Any]:
    """One CSL-JSON item, with standard CSL variables only; an undated study has no `issued`,
    so CSL styles print their own "no date" ("n.d." in APA)."""
    source = study.source
    item: dict[str, Any] = {
        "id": study.id,
        "type": CSL_TYPES[source.type],
        "title": title_of(study),
    }
    if source.authors:
        item["author"] = [_csl_name(a) for a in source.authors]
    optional = {
        "container-title": source.container,
        "publisher": source.organisation,
        "jurisdiction": source.jurisdiction,
        "genre": GENRES.get(source.type),
        "URL": source.url,
        "DOI": source.doi,
        "abstract": plain(study.summary) or None,
        "keyword": ", ".join(study.tags) or None,
    }
    item.update({k: v for k, v in optional.items() if v})
    if source.year is not None:
        item["issued"] = {"date-parts": [[source.year]]}
    return item


def _csl_name(name: str) -> dict[str, str]:
    parts = split_name(name)
    if parts is None:
        return {"literal": name}
    family, given = parts
    return {"family": family, "given": given} if given else {"family": family}


def csl_json(items: list[dict[str, Any]]) -> str:
    """A CSL-JSON file: an array of items (`csl_item`, or `PublicView.csl`), in the order given."""
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"


def tex_escape(text: str) -> str:
    """Text for a BibTeX field: LaTeX's special characters escaped, everything else as UTF-8, and
    its braces balanced as BibTeX counts them, so the text can never end its field early."""
    return balance_braces(_TEX.sub(lambda m: _TEX_SPECIALS[m.group()], text))


def balance_braces(tex: str) -> str:
    """`tex` with each brace that has no partner written as `\\textbraceleft{}` or
    `\\textbraceright{}`.

    BibTeX and pybtex find the end of a `{…}` field by counting braces and ignore backslashes, so
    `\\}` closes a field as surely as `}` does: a title `x}}, url = {…` would otherwise add a
    field to the record. Paired braces (`\\{cases\\}`) are kept; LaTeX prints them as typed.
    """
    opened: list[int] = []
    lone: list[int] = []
    for match in re.finditer(r"[{}]", tex):
        if match.group() == "{":
            opened.append(match.start())
        elif opened:
            opened.pop()
        else:
            lone.append(match.start())
    if not opened and not lone:
        return tex
    out: list[str] = []
    last = 0
    for index in sorted(lone + opened):
        start = index - 1 if index > 0 and tex[index - 1] == "\\" else index  # `\{` goes whole
        out.append(tex[last:start])
        out.append(_LONE_BRACE[tex[index]])
        last = index + 1
    return "".join(out) + tex[last:]


def _bib_name(name: str) -> str:
    # A name without a comma is an organisation: braces stop BibTeX splitting it into parts.
    escaped = tex_escape(name)
    return escaped if split_name(name) else "{" + escaped + "}"


def _bib_verbatim(text: str) -> str:
    # URL and DOI fields are read verbatim; only braces would unbalance the entry.
    return text.replace("{", "%7B").replace("}", "%7D")


def bibtex(studies: list[models.Study]) -> str:
    """A BibTeX file built as a bibtexparser Library, keyed by study id."""
    import bibtexparser
    from bibtexparser.model import Entry, Field

    library = bibtexparser.Library()
    for study in studies:
        source = study.source
        publisher = "institution" if BIBTEX_TYPES[source.type] == "techreport" else "publisher"
        # The extra braces keep the title's capitals: BibTeX styles lower-case titles otherwise.
        values = [
            ("author", " and ".join(_bib_name(a) for a in source.authors)),
            ("title", "{" + tex_escape(title_of(study)) + "}"),
            (BIBTEX_CONTAINERS.get(source.type, "series"), tex_escape(source.container or "")),
            ("type", GENRES.get(source.type, "")),
            (publisher, tex_escape(source.organisation or "")),
            ("jurisdiction", tex_escape(source.jurisdiction or "")),
            ("year", "" if source.year is None else str(source.year)),
            ("url", _bib_verbatim(source.url or "")),
            ("doi", _bib_verbatim(source.doi or "")),
            ("abstract", tex_escape(plain(study.summary))),
            ("keywords", tex_escape(", ".join(study.tags))),
        ]
        fields = [Field(key, value) for key, value in values if value]
        library.add(Entry(BIBTEX_TYPES[source.type], study.id, fields))
    layout = bibtexparser.BibtexFormat()
    layout.block_separator = "\n"  # one blank line between entries, as Zotero writes them
    return bibtexparser.write_string(library, bibtex_format=layout)


def ris(studies: list[models.Study]) -> str:
    """An RIS file as Zotero writes it (no record-number headers), via rispy."""
    import rispy

    class _Writer(rispy.RisWriter):
        def set_header(self, count: int) -> str:
            return ""

    records = []
    for study in studies:
        source = study.source
        record: dict[str, Any] = {
            "type_of_reference": RIS_TYPES[source.type],
            "id": study.id,
            "title": _one_line(title_of(study)),
            "authors": [_one_line(a) for a in source.authors],
            RIS_CONTAINERS.get(source.type, "secondary_title"): _one_line(source.container or ""),
            "year": "" if source.year is None else str(source.year),
            "publisher": _one_line(source.organisation or ""),
            "type_of_work": GENRES.get(source.type, ""),
            "urls": [source.url] if source.url else [],
            "doi": source.doi or "",
            "abstract": plain(study.summary),
            "keywords": list(study.tags),
        }
        records.append({k: v for k, v in record.items() if v})
    return rispy.dumps(records, implementation=_Writer) if records else ""


def _one_line(text: str) -> str:
    return " ".join(text.split())

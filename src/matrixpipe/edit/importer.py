"""`matrixpipe import`: turn a reference manager's export into draft study files.

Zotero, EndNote and Mendeley export RIS, BibTeX and CSL-JSON. Each record becomes one draft study
in `entries/studies/<id>.yaml`, written so that `matrixpipe check` accepts it. Nothing is lost or
overwritten: a record that is already in the collection is skipped with the file that has it, and a
record that cannot be read is reported with its line while the others are imported.
"""

from __future__ import annotations

import html
import io
import re
import textwrap
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click
from pydantic import ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString

from matrixpipe import models, progress
from matrixpipe.check.resolve import normalise_title
from matrixpipe.check.safety import INVISIBLE, unsafe_attributes
from matrixpipe.diagnostics import ExitCode
from matrixpipe.edit.readers import FORMATS, Format, Record, guess_format, read
from matrixpipe.errors import MatrixpipeError

if TYPE_CHECKING:
    from matrixpipe.check.resolve import Collection

NOTE_LIMIT = 400
CONTAINER_LIMIT = 300
"""The longest `source.container` the content model takes."""
MAX_ID = 80
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.I)


@dataclass
class Target:
    """Where imported studies are placed (`--cell`/`--category`), if anywhere."""

    cell: str | None = None
    category: str | None = None


@dataclass
class _Known:
    """Every study already in the collection (or imported in this run), by each duplicate key."""

    ids: set[str] = field(default_factory=set)
    by_key: dict[tuple[str, str], str] = field(default_factory=dict)

    def add(self, study: dict[str, Any], path: str) -> None:
        self.ids.add(study["id"])
        for key in _keys(study):
            self.by_key.setdefault(key, path)

    def duplicate(self, study: dict[str, Any]) -> tuple[str, str] | None:
        """(what matched, the file that has it), or None."""
        for kind, value in _keys(study):
            if (kind, value) in self.by_key:
                return kind, self.by_key[(kind, value)]
        return None


def _keys(study: dict[str, Any]) -> list[tuple[str, str]]:
    """The keys the resolve stage uses to spot the same document twice (MP307, MP308)."""
    source = study["source"]
    keys = []
    if source.get("doi"):
        keys.append(("DOI", source["doi"].lower()))
    if source.get("url"):
        keys.append(("URL", source["url"].rstrip("/").lower()))
    keys.append(("title", normalise_title(study["title"])))
    return keys


def run_import(
    file: Path,
    repo: Path,
    fmt: str | None = None,
    target: Target | None = None,
    dry_run: bool = False,
) -> int:
    """Import every record of `file` into `repo`; return the exit code (0, 1 malformed, 2 usage)."""
    from matrixpipe.check.run import check

    text = _read_input(file)
    chosen = fmt or guess_format(file.name, text)
    if chosen not in FORMATS:
        raise MatrixpipeError(
            f"{file}: cannot tell the format; give --format ris, bibtex or csl-json"
        )
    with progress.checking(repo):
        collection = check(repo, publish=True).collection
    target = _checked_target(target or Target(), collection)
    known = _known(repo, collection)
    with progress.stage(f"Reading {file.name}"):
        result = read(text, cast(Format, chosen))
    lines: list[tuple[int, str, bool]] = [
        (p.line, f"{file}:{p.line}: {p.message}", True) for p in result.problems
    ]
    importer = _Importer(repo, file, target, known, dry_run)
    records = result.records
    with progress.stage("Importing records", len(records)) as step:
        for record in step.counted(records):
            lines.extend(importer.add(record))
    for _, message, is_error in sorted(lines, key=lambda item: item[0]):
        click.echo(message, err=is_error)
    failed = len(result.problems) + importer.malformed
    click.echo(importer.summary(failed), err=True)
    return int(ExitCode.FINDINGS if failed else ExitCode.OK)


def _read_input(file: Path) -> str:
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise MatrixpipeError(f"{file}: no such file") from None
    except IsADirectoryError:
        raise MatrixpipeError(f"{file}: is a folder; give the exported file") from None
    except OSError as exc:
        raise MatrixpipeError(f"{file}: cannot read it ({exc.strerror})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MatrixpipeError(
            f"{file}: not UTF-8 text (byte {exc.start}); export it again as UTF-8"
        ) from None


def _checked_target(target: Target, collection: Collection) -> Target:
    if (target.cell is None) != (target.category is None):
        raise MatrixpipeError("give --cell and --category together, or neither")
    if target.cell is not None and target.cell not in collection.cells:
        raise MatrixpipeError(
            f"there is no cell '{target.cell}'; write it as <matrix>/<CODE>, e.g. alcohol/E5"
        )
    if target.category is not None and target.category not in models.CATEGORIES:
        raise MatrixpipeError(f"--category must be one of {', '.join(models.CATEGORIES)}")
    return target


def _known(repo: Path, collection: Collection) -> _Known:
    known = _Known()
    for study in collection.studies.values():
        known.add(study.model_dump(), collection.documents[study.id].path)
    # Files that did not validate have no model, but their ids (file names) are still taken.
    known.ids.update(p.stem for p in (repo / "entries" / "studies").glob("*.yaml"))
    return known


class _Importer:
    """Turns records into study files one by one, remembering what this run has written."""

    def __init__(
        self, repo: Path, file: Path, target: Target, known: _Known, dry_run: bool
    ) -> None:
        self.repo = repo
        self.file = file
        self.target = target
        self.known = known
        self.dry_run = dry_run
        self.written = self.skipped = self.malformed = 0

    def add(self, record: Record) -> list[tuple[int, str, bool]]:
        """Import one record; return its output lines as (input line, text, is an error)."""
        where = f"{self.file}:{record.line}"
        if not record.title:
            return self._bad(record, "has no title")
        notes: list[str] = []
        study = study_data(record, self.target, self.file.name, notes)
        out = [(record.line, f"{where}: record {record.number}: {n}", False) for n in notes]
        duplicate = self.known.duplicate(study)
        if duplicate is not None:
            kind, path = duplicate
            self.skipped += 1
            return [
                *out,
                (record.line, f'skipped "{study["title"]}": same {kind} as {path}', False),
            ]
        study["id"] = self._free_id(study["id"])
        problem = _model_problem(study)
        if problem:
            return self._bad(record, f"cannot become a study ({problem})")
        path = f"entries/studies/{study['id']}.yaml"
        if not self.dry_run:
            _write_new(self.repo / path, render_study(study))
        self.known.add(study, path)
        self.written += 1
        verb = "would write" if self.dry_run else "wrote"
        return [*out, (record.line, f"{verb} {path}", False)]

    def _bad(self, record: Record, why: str) -> list[tuple[int, str, bool]]:
        self.malformed += 1
        return [
            (record.line, f"{self.file}:{record.line}: record {record.number} {why}; skipped", True)
        ]

    def _free_id(self, wanted: str) -> str:
        """`wanted`, or `wanted-2`, `wanted-3`… when another study has the id already."""
        candidate, n = wanted, 1
        while candidate in self.known.ids:
            n += 1
            suffix = f"-{n}"
            candidate = wanted[: MAX_ID - len(suffix)].rstrip("-") + suffix
        return candidate

    def summary(self, failed: int) -> str:
        verb = "would import" if self.dry_run else "imported"
        return (
            f"{verb} {self.written}, skipped {self.skipped} already in the collection, "
            f"{failed} could not be read"
        )


def _write_new(path: Path, text: str) -> None:
    if path.exists():  # _free_id saw every file; this guards against a file appearing meanwhile
        raise MatrixpipeError(f"{path} appeared while importing; it was left unchanged")
    from matrixpipe.fsutil import write_atomic

    write_atomic(path, text)


# --- records to study data -----------------------------------------------------------------


def clean(text: str | None, markup: bool = True) -> str:
    """Text safe for an entry: no control or invisible characters, NFC; with `markup`, HTML
    entities decoded and tags dropped (Zotero keeps rich text such as `<i>` in titles)."""
    if not text:
        return ""
    if markup:
        text = _TAG.sub("", html.unescape(text))
    text = INVISIBLE.sub("", _CONTROL.sub(" ", text))
    return unicodedata.normalize("NFC", text).strip()


def markdown_text(text: str) -> str:
    """An abstract as safe Markdown paragraphs: anything that would be read as HTML, a link or an
    attribute list is escaped, so the draft passes the content-safety checks."""
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", clean(text))]
    body = "\n\n".join(p for p in paragraphs if p)
    body = re.sub(r"<(?=[A-Za-z/!?])", "&lt;", body).replace("](", "]\\(")
    if unsafe_attributes(body):
        body = body.replace("{", "&#123;")
    return body


def shorten(text: str, limit: int = NOTE_LIMIT) -> str:
    """Whole sentences up to `limit` characters; a cut sentence ends with an ellipsis."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    sentences = re.split(r"(?<=[.!?])\s+", flat)
    kept = ""
    for sentence in sentences:
        if len(kept) + len(sentence) + 1 > limit:
            break
        kept = f"{kept} {sentence}".strip()
    return kept or flat[:limit].rsplit(" ", 1)[0] + " …"


def _url(value: str | None, notes: list[str]) -> str | None:
    url = clean(value, markup=False)
    if url and not re.match(models.URL, url):
        notes.append(f"URL '{url[:60]}' is not an http(s) address; left out")
        return None
    return url or None


def _doi(value: str | None, notes: list[str]) -> str | None:
    doi = _DOI_PREFIX.sub("", clean(value, markup=False))
    if doi and not re.match(models.DOI, doi):
        notes.append(f"DOI '{doi[:60]}' does not look like 10.NNNN/…; left out")
        return None
    return doi or None


def _container(value: str | None, notes: list[str]) -> str | None:
    """The journal, series or website as one line; one longer than the model takes is no real
    name (a pasted abstract, say), so it is left out rather than cut."""
    container = " ".join(clean(value).split())
    if len(container) > CONTAINER_LIMIT:
        notes.append(f"journal or series '{container[:60]} …' is too long to be one; left out")
        return None
    return container or None


def study_data(record: Record, target: Target, file_name: str, notes: list[str]) -> dict[str, Any]:
    """The draft study of a record as plain data in the content model's key order.

    A record with no year becomes a study with no `year:` (documents are sometimes undated;
    `check` warns with MP210 and readers see "n.d."), with a note so the editor can add one."""
    from matrixpipe.edit.new import propose_id, slugify

    title = clean(record.title)
    authors = [a for a in map(clean, record.authors) if a]
    organisation = clean(record.organisation) or None
    if organisation is None and authors and not any("," in a for a in authors):
        # Institutional authors only (Zotero writes "World Health Organization" as an author):
        # the matrices show such a body as the organisation.
        organisation, authors = " and ".join(authors), []
    source: dict[str, Any] = {}
    if len(title) > 300:
        source["title"] = title[:400]
        title = title[:298].rsplit(" ", 1)[0] + " …"
    values = {
        "authors": authors,
        "organisation": organisation,
        "jurisdiction": clean(record.jurisdiction) or None,
        "year": record.year,
        "container": _container(record.container, notes),
        "url": _url(record.url, notes),
        "doi": _doi(record.doi, notes),
        "type": record.type,
    }
    source.update({k: v for k, v in values.items() if v})
    if record.year is None:
        notes.append('no year of publication; written without one (readers see "n.d.")')
    study: dict[str, Any] = {
        "id": propose_id(title, record.year) or "study",
        "title": title,
        "status": "draft",
        "source": source,
    }
    abstract = markdown_text(record.abstract)
    if abstract:
        study["summary"] = abstract[:20000]
    tags = list(dict.fromkeys(t for t in (slugify(k) for k in record.keywords) if t))
    if tags:
        study["tags"] = tags
    if target.cell and target.category:
        note = shorten(abstract) if abstract else ""
        study["placements"] = [
            {
                "cell": target.cell,
                "categories": [target.category],
                "note": note or f"Imported from {file_name}; write the cell note.",
            }
        ]
    return study


def _model_problem(study: dict[str, Any]) -> str | None:
    try:
        models.Study.model_validate(study)
    except ValidationError as exc:
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return None


# --- writing -------------------------------------------------------------------------------


def render_study(study: dict[str, Any]) -> str:
    """The file text: the schema modeline, then the study in the layout `matrixpipe fmt` keeps."""
    from matrixpipe.edit.fmt import canonical_yaml
    from matrixpipe.edit.new import MODELINE

    out = io.StringIO()
    canonical_yaml().dump(_yaml_tree(study), out)
    return f"{MODELINE}\n{out.getvalue()}"


def _yaml_tree(value: Any, key: str = "") -> Any:
    """Plain data as ruamel nodes: Markdown as `|` blocks, tags and categories as `[a, b]`."""
    if isinstance(value, dict):
        node = CommentedMap()
        for k, v in value.items():
            node[k] = _yaml_tree(v, k)
        return node
    if isinstance(value, list):
        seq = CommentedSeq(_yaml_tree(v) for v in value)
        if key in ("tags", "categories"):
            seq.fa.set_flow_style()
        return seq
    if key in ("summary", "note"):
        return _block(value)
    return value


def _block(text: str) -> LiteralScalarString:
    paragraphs = [
        textwrap.fill(p, 92, break_long_words=False, break_on_hyphens=False)
        for p in text.split("\n\n")
    ]
    return LiteralScalarString("\n\n".join(paragraphs) + "\n")

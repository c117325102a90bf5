"""The content model: what a matrix, a cell and a study are.

These pydantic models are the one source of truth. `matrixpipe schema` derives the JSON Schemas in
`schema/` from them, so editors' autocompletion, CI and the loader agree on every field.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"
ANCHOR = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"
CELL_CODE = r"^[A-E][1-5]$"
CELL_REF = r"^[a-z0-9]+(-[a-z0-9]+)*/[A-E][1-5]$"
SEE_ALSO = r"^cell:[a-z0-9]+(-[a-z0-9]+)*/[A-E][1-5]$"
URL = r"^https?://[^\s]+$"
DOI = r"^10\.\d{4,9}/\S+$"
ONE_LINE = r"^[^\r\n]+$"
"""Titles are one line: a line break in one could forge lines in logs and CI annotations."""

COLUMN_CODES = ("A", "B", "C", "D", "E")
ROW_CODES = (1, 2, 3, 4, 5)
CATEGORIES = ("seminal", "key", "review", "guidance")
STATUSES = ("draft", "review", "published")
STUDY_STATUSES = (*STATUSES, "withdrawn")
SOURCE_TYPES = (
    "report",
    "journal-article",
    "review",
    "guidance",
    "book",
    "chapter",
    "web-page",
    "dataset",
    "other",
)

Slug = Annotated[str, Field(pattern=SLUG, max_length=80)]
Anchor = Annotated[str, Field(pattern=ANCHOR, max_length=80)]
Status = Literal["draft", "review", "published"]
StudyStatus = Literal["draft", "review", "published", "withdrawn"]
Category = Literal["seminal", "key", "review", "guidance"]


class _Strict(BaseModel):
    """Base for every entry model: unknown keys are errors and values are never coerced."""

    # defer_build: a model's validator is made when it first validates, not on import: a
    # warm check that validates one study never builds the others (a tenth of a second).
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


class Column(_Strict):
    """One column of a matrix grid: a level of the treatment system."""

    code: Literal["A", "B", "C", "D", "E"] = Field(
        description="The column letter, A (interventions) to E (whole treatment systems).",
        examples=["E"],
    )
    name: str = Field(
        min_length=1,
        max_length=80,
        description="The level of the system this column covers.",
        examples=["Treatment systems"],
    )


class Row(_Strict):
    """One row of a matrix grid: a kind of care."""

    code: Literal[1, 2, 3, 4, 5] = Field(
        description="The row number, 1 to 5.",
        examples=[5],
    )
    name: str = Field(
        min_length=1,
        max_length=80,
        description="The kind of care this row covers.",
        examples=["Safeguarding the community"],
    )


class Audience(_Strict):
    """Who should start where: a kind of reader and the columns or rows that suit them."""

    role: str = Field(
        min_length=1,
        max_length=80,
        pattern=ONE_LINE,
        description='The readers, as the matrix page greets them: "Start here if you are …".',
        examples=["front-line staff"],
    )
    columns: list[Literal["A", "B", "C", "D", "E"]] = Field(
        default_factory=list,
        max_length=5,
        description="The columns (levels of the system) for them.",
        examples=[["A", "B"]],
    )
    rows: list[Literal[1, 2, 3, 4, 5]] = Field(
        default_factory=list,
        max_length=5,
        description="The rows (kinds of care) for them; with columns too, only the cells in both.",
        examples=[[2, 5]],
    )
    note: str = Field(
        default="",
        max_length=300,
        pattern=r"^[^\r\n]*$",
        description="One line on why these cells suit them.",
    )

    @model_validator(mode="after")
    def _somewhere(self) -> Audience:
        if not self.columns and not self.rows:
            raise ValueError("give `columns`, `rows` or both")
        return self

    def cells(self) -> list[str]:
        """The codes of the cells for this audience, column by column."""
        return [
            f"{c}{r}"
            for c in COLUMN_CODES
            for r in ROW_CODES
            if (not self.columns or c in self.columns) and (not self.rows or r in self.rows)
        ]


class Matrix(_Strict):
    """A matrix: a 5×5 grid of treatment-system levels (columns A–E) by kinds of care (rows 1–5)."""

    model_config = ConfigDict(
        title="Matrix",
        json_schema_extra={"examples": [{"id": "alcohol", "title": "Alcohol Treatment Matrix"}]},
    )

    id: Slug = Field(
        description="The matrix's id, equal to its file name; used in URLs and `cell:` links.",
        examples=["alcohol"],
    )
    title: str = Field(
        min_length=1,
        max_length=120,
        pattern=ONE_LINE,
        description="The matrix's title as readers see it.",
        examples=["Alcohol Treatment Matrix"],
    )
    description: str = Field(
        default="",
        max_length=4000,
        description="Markdown: what the matrix covers, shown on its page.",
        examples=["Research on treating problem drinking, from single interventions to systems."],
    )
    columns: list[Column] = Field(
        min_length=5,
        max_length=5,
        description="The five columns A–E, in order.",
        json_schema_extra={
            "prefixItems": [{"properties": {"code": {"const": c}}} for c in "ABCDE"]
        },
        examples=[[{"code": "A", "name": "Interventions"}]],
    )
    rows: list[Row] = Field(
        min_length=5,
        max_length=5,
        description="The five rows 1–5, in order.",
        json_schema_extra={
            "prefixItems": [{"properties": {"code": {"const": r}}} for r in range(1, 6)]
        },
        examples=[[{"code": 1, "name": "Screening and brief intervention"}]],
    )

    audiences: list[Audience] = Field(
        default_factory=list,
        max_length=12,
        description="Kinds of readers and the cells they should start with.",
        examples=[[{"role": "front-line staff", "columns": ["A", "B"]}]],
    )

    @field_validator("columns")
    @classmethod
    def _columns_in_order(cls, columns: list[Column]) -> list[Column]:
        found = tuple(c.code for c in columns)
        if found != COLUMN_CODES:
            raise ValueError(f"columns must be A, B, C, D, E in that order, not {', '.join(found)}")
        return columns

    @field_validator("rows")
    @classmethod
    def _rows_in_order(cls, rows: list[Row]) -> list[Row]:
        found = tuple(str(r.code) for r in rows)
        if found != tuple(str(r) for r in ROW_CODES):
            raise ValueError(f"rows must be 1, 2, 3, 4, 5 in that order, not {', '.join(found)}")
        return rows


class CellFrontMatter(_Strict):
    """The YAML front matter of a cell page; the bite follows it as Markdown."""

    model_config = ConfigDict(
        title="Cell",
        json_schema_extra={
            "examples": [{"matrix": "alcohol", "cell": "E5", "status": "published"}]
        },
    )

    matrix: Slug = Field(
        description="The id of the matrix this cell belongs to; the file lives in "
        "`entries/cells/<matrix>/`.",
        examples=["alcohol"],
    )
    cell: str = Field(
        pattern=CELL_CODE,
        description="The cell code: column letter A–E and row number 1–5; equal to the file name.",
        examples=["E5"],
    )
    status: Status = Field(
        description="Editorial state: only `published` cells reach the public site.",
        examples=["published"],
    )
    title: str | None = Field(
        default=None,
        max_length=200,
        description='Optional title; defaults to "<matrix title> cell <CODE>: <column>; <row>".',
        examples=[
            "Alcohol Treatment Matrix cell E5: Treatment systems; Safeguarding the community"
        ],
    )
    reviewed: str | None = Field(
        default=None,
        pattern=r"^\d{4}-\d{2}-\d{2}$",
        description="When an editor last reviewed the cell as a whole (YYYY-MM-DD); without it, "
        "the cell's last change counts.",
        examples=["2024-05-01"],
    )
    see_also: list[Annotated[str, Field(pattern=SEE_ALSO, max_length=100)]] = Field(
        default_factory=list,
        max_length=25,
        description="Other cells worth reading next, as `cell:<matrix>/<CODE>` links.",
        examples=[["cell:drug/B1", "cell:alcohol/E2"]],
    )


class Cell(CellFrontMatter):
    """A cell: its front matter plus the bite, the cell's Markdown essay."""

    bite: str = Field(default="", description="The bite: Markdown with anchored H2 sections.")


class Source(_Strict):
    """The document itself: who published it, when and where to find it."""

    title: str | None = Field(
        default=None,
        min_length=1,
        max_length=400,
        description="The document's own title, when it differs from the headline.",
        examples=["Alcohol interventions in probation: a national survey"],
    )
    authors: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list,
        description='Authors as "Family, Given" strings, in the document\'s order.',
        examples=[["McSweeney, Tim", "Hough, Mike"]],
    )
    organisation: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The publishing or commissioning body, as the matrix shows it.",
        examples=["[UK] Ministry of Justice"],
    )
    jurisdiction: str | None = Field(
        default=None,
        min_length=1,
        max_length=80,
        description="Where the study was done or the guidance applies.",
        examples=["England and Wales"],
    )
    year: int | None = Field(
        default=None,
        ge=1900,
        le=2100,
        description="Year of publication, as a whole number; leave it out if the document has none.",
        examples=[2009],
    )
    container: str | None = Field(
        default=None,
        min_length=1,
        max_length=300,
        pattern=ONE_LINE,
        description="The journal, series or website the document appeared in.",
        examples=["Addiction"],
    )
    url: str | None = Field(
        default=None,
        pattern=URL,
        max_length=2000,
        description="Link to the document (http or https); leave empty when there is none.",
        examples=["https://example.org/report.pdf"],
    )
    doi: str | None = Field(
        default=None,
        pattern=DOI,
        max_length=200,
        description="The DOI without a resolver prefix.",
        examples=["10.1111/j.1360-0443.2008.02345.x"],
    )
    type: Literal[
        "report",
        "journal-article",
        "review",
        "guidance",
        "book",
        "chapter",
        "web-page",
        "dataset",
        "other",
    ] = Field(
        default="report",
        description="What kind of document this is.",
        examples=["report"],
    )


class Related(_Strict):
    """A document related to a study: either another study in the collection or an outside source."""

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {"required": ["study"], "properties": {"study": {"type": "string"}}},
                {"required": ["source"], "properties": {"source": {"type": "object"}}},
            ],
            "examples": [{"label": "similar report for Scotland", "study": "scotland-offenders"}],
        }
    )

    label: str = Field(
        min_length=1,
        max_length=120,
        description='How the link reads after "See also": "similar report for Scotland".',
        examples=["similar report for Scotland"],
    )
    study: Slug | None = Field(
        default=None,
        description="The id of a study in this collection.",
        examples=["scotland-offenders-alcohol-2011"],
    )
    source: Source | None = Field(
        default=None,
        description="An outside document that is not a study of its own.",
    )

    @model_validator(mode="after")
    def _one_target(self) -> Related:
        if (self.study is None) == (self.source is None):
            raise ValueError("give exactly one of `study` or `source`")
        return self


class Placement(_Strict):
    """Where a study is listed: one cell, its categories there, and the cell-specific note."""

    cell: str = Field(
        pattern=CELL_REF,
        description="The cell as `<matrix>/<CODE>`.",
        examples=["alcohol/E5"],
    )
    categories: list[Category] = Field(
        min_length=1,
        max_length=4,
        description="One or more of seminal, key, review, guidance.",
        examples=[["key"], ["key", "guidance"]],
    )
    rank: int | None = Field(
        default=None,
        ge=1,
        le=9999,
        description="Editorial order within the cell's category; lower comes first.",
        examples=[1],
    )
    note: str = Field(
        min_length=1,
        max_length=4000,
        description="Markdown: why the study matters in this cell, in our own words.",
        examples=["A national survey of probation areas found ..."],
    )
    discussed_in: list[Anchor] = Field(
        default_factory=list,
        description="Anchors of the sections of this cell's bite that discuss the study.",
        examples=[["highlighted-study", "issues"]],
    )
    headline: str | None = Field(
        default=None,
        min_length=1,
        max_length=300,
        pattern=ONE_LINE,
        description="The headline this cell shows for the study, when it differs from the "
        "study's own title.",
        examples=["Probation struggling to cope with offenders' drinking in this cell"],
    )


class Study(_Strict):
    """A study: one document in the collection, listed in one or more cells."""

    model_config = ConfigDict(
        title="Study",
        json_schema_extra={
            "if": {"properties": {"status": {"const": "withdrawn"}}, "required": ["status"]},
            "then": {"required": ["withdrawn_reason"]},
            "else": {"not": {"required": ["withdrawn_reason"]}},
            "examples": [
                {
                    "id": "probation-alcohol-2009",
                    "title": "Probation struggling to cope with offenders' drinking",
                    "status": "published",
                    "source": {"organisation": "[UK] Ministry of Justice", "year": 2009},
                    "placements": [
                        {"cell": "alcohol/E5", "categories": ["key"], "note": "National study."}
                    ],
                }
            ],
        },
    )

    id: Slug = Field(
        description="A slug of lower-case words joined by hyphens, equal to the file name.",
        examples=["probation-alcohol-2009"],
    )
    title: str = Field(
        min_length=1,
        max_length=300,
        pattern=ONE_LINE,
        description="The headline readers see in the cell listing.",
        examples=["Probation struggling to cope with offenders' drinking"],
    )
    status: StudyStatus = Field(
        description="Editorial state: only `published` studies reach the public site "
        "(`withdrawn`: see `withdrawn_reason`).",
        examples=["published"],
    )
    withdrawn_reason: str | None = Field(
        default=None,
        min_length=1,
        max_length=1000,
        description="Why the study was withdrawn; required with `status: withdrawn`, shown on "
        "its page.",
        examples=["Superseded by the 2019 national survey."],
    )
    source: Source = Field(description="The document itself.")
    summary: str = Field(
        default="",
        max_length=20000,
        description="Markdown: what the document found, in our own words.",
    )
    key_points: list[Annotated[str, Field(min_length=1, max_length=2000)]] = Field(
        default_factory=list,
        description="Markdown bullet points: the findings that matter most.",
    )
    tags: list[Slug] = Field(
        default_factory=list,
        description="Topics as slugs, for the tag index.",
        examples=[["offenders", "probation"]],
    )
    related: list[Related] = Field(
        default_factory=list,
        description='Other documents shown as "See also".',
    )
    placements: list[Placement] = Field(
        default_factory=list,
        description="The cells where this study is listed.",
    )

    @model_validator(mode="after")
    def _withdrawn_has_a_reason(self) -> Study:
        if (self.status == "withdrawn") != (self.withdrawn_reason is not None):
            raise PydanticCustomError(
                "withdrawn_reason", "give `withdrawn_reason` exactly when `status` is withdrawn"
            )
        return self


KINDS: dict[str, type[BaseModel]] = {"matrix": Matrix, "cell": CellFrontMatter, "study": Study}
"""The one table of which model reads which kind of entry (the validator, `fmt`, the schemas)."""


def cell_sort_key(placement: Placement, year: int | None) -> tuple[int, bool, int, bool]:
    """Editorial order in a cell: by the first category (S, K, R, G), then rank; unranked
    last, and among them a study with no year last."""
    first = min(CATEGORIES.index(c) for c in placement.categories)
    return (first, placement.rank is None, placement.rank or 0, year is None)

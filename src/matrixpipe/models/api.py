"""The documents of the JSON API, as pydantic models: the one source of their JSON Schemas.

The API builder fills these models and dumps them, and `schema/api/*.schema.json` are generated
from them, so the files and their published schemas cannot drift apart. Paths in `api` fields are
relative to the API root (the folder of `index.json`); `url` fields are site pages under the
site's base URL.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from matrixpipe import models

Version = Literal[1]


class _Doc(BaseModel):
    """Base of every API model: closed objects, and every key always present (null if empty)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, json_schema_serialization_defaults_required=True
    )


class Text(_Doc):
    """A Markdown field as written in the entry, and the sanitised HTML the site shows for it."""

    markdown: str = Field(description="The Markdown as written in the entry.")
    html: str = Field(description="The HTML, with `study:`/`cell:` links turned into site URLs.")


class Link(_Doc):
    """A pointer to one API document."""

    id: str = Field(description="The matrix or study id, or the cell key `<matrix>/<CODE>`.")
    title: str = Field(description="The title readers see.")
    status: models.StudyStatus = Field(
        description="Editorial state: `published`, or `withdrawn` for a study's notice; others "
        "only in a preview with drafts."
    )
    url: str = Field(description="The site page.")
    api: str = Field(description="The API document, relative to the API root.")


class Counts(_Doc):
    """How many studies a cell lists, per category and in all."""

    seminal: int = Field(ge=0)
    key: int = Field(ge=0)
    review: int = Field(ge=0)
    guidance: int = Field(ge=0)
    total: int = Field(
        ge=0, description="Distinct studies: one listed in two categories counts once."
    )


class ByCategory(_Doc):
    """Study ids per category, each list in editorial order."""

    seminal: list[str]
    key: list[str]
    review: list[str]
    guidance: list[str]


class Gaps(_Doc):
    """What an evidence-gap map marks in a cell."""

    no_studies: bool = Field(description="The cell lists no studies.")
    no_synthesis: bool = Field(description="The cell lists studies, but no review and no guidance.")
    no_bite: bool = Field(description="The cell has no published bite.")


class GridCell(_Doc):
    """One cell of a matrix grid, with the studies it lists."""

    code: str = Field(pattern=models.CELL_CODE, description="Column letter and row number.")
    key: str = Field(
        pattern=models.CELL_REF, description="`<matrix>/<CODE>`, as `cell:` links write it."
    )
    column: str = Field(description="The column letter.")
    row: int = Field(description="The row number.")
    name: str = Field(description='"<column name>; <row name>".')
    title: str
    url: str = Field(description="The cell page (every cell of the grid has one).")
    api: str = Field(description="The cell document (every cell of the grid has one).")
    gaps: Gaps
    counts: Counts
    studies: ByCategory


class MatrixDoc(_Doc):
    """`matrices/<id>.json`: one matrix as a grid of 25 cells."""

    model_config = ConfigDict(title="Matrix (API)")

    api_version: Version
    id: models.Slug
    title: str
    description: Text
    url: str
    api: str
    columns: list[models.Column]
    rows: list[models.Row]
    cells: list[GridCell] = Field(description="All 25 cells, A1 to E5, column by column.")


class Section(_Doc):
    """A section of a bite, with the stable anchor other entries link to."""

    anchor: str = Field(pattern=models.ANCHOR)
    title: str = Field(description="The heading text as written.")
    level: int = Field(ge=1, le=6)
    url: str


class Listed(_Doc):
    """A study as a cell lists it: enough to show the listing without fetching the study."""

    study: models.Slug
    title: str
    headline: str = Field(
        description="What this cell shows for the study: its own headline "
        "here (`placements[].headline`), else the study's title."
    )
    source: models.Source
    categories: list[models.Category]
    rank: int | None
    note: Text
    discussed_in: list[str] = Field(description="Anchors of this cell's sections.")
    url: str
    api: str


class CellDoc(_Doc):
    """`cells/<matrix>/<CODE>.json`: a cell's bite, its sections and its listings in order."""

    model_config = ConfigDict(title="Cell (API)")

    api_version: Version
    key: str = Field(pattern=models.CELL_REF)
    matrix: models.Slug
    code: str = Field(pattern=models.CELL_CODE)
    name: str
    title: str
    status: models.Status
    url: str
    api: str
    matrix_api: str
    column: models.Column
    row: models.Row
    bite: Text | None = Field(description="The bite, or null when the cell has none yet.")
    sections: list[Section]
    see_also: list[Link] = Field(description="Other cells this cell points readers to.")
    counts: Counts
    placements: list[Listed] = Field(description="The listings in editorial order.")


class Placement(_Doc):
    """Where a study is listed."""

    cell: str = Field(pattern=models.CELL_REF)
    cell_title: str
    categories: list[models.Category]
    rank: int | None
    headline: str | None = Field(description="The headline this cell gives the study, if any.")
    note: Text
    discussed_in: list[str]
    url: str
    api: str


class Related(_Doc):
    """A related document: a study of the collection or an outside source."""

    label: str
    study: str | None
    source: models.Source | None
    url: str | None = Field(description="The study's page, or the outside source's own URL.")
    api: str | None


class Citation(_Doc):
    """The study's reference, formatted by citeproc-py with the bundled CSL style."""

    style: Literal["apa"]
    text: str
    html: str


class StudyDoc(_Doc):
    """`studies/<id>.json`: one study with its source, texts, placements and citation."""

    model_config = ConfigDict(title="Study (API)")

    api_version: Version
    id: models.Slug
    title: str
    status: models.StudyStatus
    withdrawn_reason: str | None = Field(
        description="Why a withdrawn study was withdrawn; null for any other."
    )
    url: str
    api: str
    source: models.Source
    summary: Text
    key_points: list[Text]
    tags: list[str]
    related: list[Related]
    placements: list[Placement]
    citation: Citation
    csl: dict[str, Any] = Field(
        description="The study as a CSL-JSON item, as the reference-manager downloads give it."
    )


class StudiesDoc(_Doc):
    """`studies.json`: every study in one file, by id."""

    model_config = ConfigDict(title="Studies (API)")

    api_version: Version
    count: int = Field(ge=0)
    studies: list[StudyDoc]


class IndexCounts(_Doc):
    """How much the API holds."""

    matrices: int = Field(ge=0)
    cells: int = Field(ge=0, description="Cells with a page: a bite or at least one listing.")
    studies: int = Field(ge=0)
    placements: int = Field(ge=0)


class IndexDoc(_Doc):
    """`index.json`: what the API holds and where to find each document and schema."""

    model_config = ConfigDict(title="Index (API)")

    api_version: Version
    generator: Literal["matrixpipe"]
    title: str = Field(description="The collection's title (`site.title` in matrixpipe.yml).")
    base_url: str = Field(description="The site's base URL that every `url` starts with.")
    drafts: bool = Field(description="True for a preview that includes draft and review entries.")
    counts: IndexCounts
    matrices: list[Link]
    cells: list[Link]
    studies: list[Link]
    all_studies: str = Field(description="`studies.json`: every study document in one file.")
    schemas: dict[str, str] = Field(description="Document kind → its JSON Schema file.")


API_SCHEMAS: dict[str, type[BaseModel]] = {
    "index": IndexDoc,
    "matrix": MatrixDoc,
    "cell": CellDoc,
    "study": StudyDoc,
    "studies": StudiesDoc,
}

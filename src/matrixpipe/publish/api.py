"""The static JSON API: `index.json`, `matrices/`, `cells/`, `studies/`, `studies.json`, `schema/`.

A re-user can build another front end from these files alone. Every document is a model from
`apimodels`, whose JSON Schemas are copied beside them, and the output is byte-identical for the
same commit, so HTTP caches and diffs between releases work.
"""

from __future__ import annotations

import textwrap
from collections import defaultdict
from typing import TYPE_CHECKING

from matrixpipe import models
from matrixpipe.models import api as am
from matrixpipe.models.schemas import api_schema_files, schema_name
from matrixpipe.publish.citation import STYLE, citation_html, citation_text
from matrixpipe.publish.files import API_VERSION, dump_json, prune, write_files
from matrixpipe.publish.incremental import Keys, Output
from matrixpipe.publish.sanitize import contributor_html
from matrixpipe.publish.view import Urls

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from pydantic import BaseModel

    from matrixpipe.check.resolve import Listing
    from matrixpipe.publish.view import Cell, PublicView

OWN_FILES = ("index.json", "studies.json", "matrices/*.json", "cells/*/*.json", "studies/*.json")


def api_files(view: PublicView, title: str = "") -> dict[str, str]:
    """Every API file as `path relative to the API root → text`, schemas included.

    `title` is the collection's title for `index.json` (`config.site.title`); every `url` starts
    with the view's site address.
    """
    out: dict[str, str] = {}
    for output in api_outputs(view, title, None, out.__getitem__):
        out[output.path] = output.make()
    return out


def api_outputs(
    view: PublicView, title: str, keys: Keys | None, text: Callable[[str], str]
) -> Iterator[Output]:
    """Every API file as an `Output` (path relative to the API root): a study's and a cell's
    document keyed by their inputs (`keys`; None: no keys), the rest made every run.
    `studies.json` is put together from the study documents, read back with `text` once they
    are written."""
    build = _Builder(view, title)
    for name, schema in api_schema_files().items():
        yield Output(f"schema/{name}", None, lambda schema=schema: schema)
    for matrix in view.matrices:
        yield Output(Urls.api_matrix(matrix.id), None, lambda m=matrix: _dump(build.matrix(m)))
    for key, cell in view.cells.items():
        yield Output(
            Urls.api_cell(key),
            keys.cell(cell) if keys else None,
            lambda c=cell: _dump(build.cell(c)),
        )
    paths = [Urls.api_study(study.id) for study in view.study_pages]
    for path, study in zip(paths, view.study_pages, strict=True):
        yield Output(
            path, keys.study(study) if keys else None, lambda s=study: _dump(build.study(s))
        )
    yield Output("studies.json", None, lambda: studies_json([text(p) for p in paths]))
    yield Output("index.json", None, lambda: _dump(build.index()))


def write_api(
    view: PublicView, out_dir: Path, prune_stale: bool = False, title: str = ""
) -> list[Path]:
    """Write the API into `out_dir` (the site puts it in `<site>/api/v1/`); return the paths;
    `prune_stale` deletes API files in `out_dir` that this run did not write."""
    written = write_files(out_dir, api_files(view, title))
    if prune_stale:
        prune(out_dir, written, (*OWN_FILES, "schema/*.schema.json"))
    return written


def studies_json(studies: list[str]) -> str:
    """`studies.json` (an `am.StudiesDoc`) from each study's own JSON text, byte for byte what
    `dump_json` writes for the whole document, without first building 10,000 studies as one
    tree of objects (hundreds of megabytes)."""
    if not studies:
        return dump_json({"api_version": API_VERSION, "count": 0, "studies": []})
    # JSON text has no raw newline inside a string, so indenting by lines is exact.
    nested = ",\n".join(textwrap.indent(text.rstrip("\n"), "    ") for text in studies)
    return (
        f'{{\n  "api_version": {API_VERSION},\n  "count": {len(studies)},\n'
        f'  "studies": [\n{nested}\n  ]\n}}\n'
    )


def _dump(doc: BaseModel) -> str:
    return dump_json(doc.model_dump(mode="json"))


class _Builder:
    """Builds each document once from the public view."""

    def __init__(self, view: PublicView, title: str) -> None:
        self.view = view
        self.urls = view.urls
        self.title = title

    def _resolve(self, target: str) -> str | None:
        found = self.view.target(target)
        return self.urls.url(*found) if found else None

    def text(self, markdown: str) -> am.Text:
        """Contributor Markdown and its HTML: the site's own sanitising converter, with the
        links this run publishes as absolute URLs (the others keep their text only)."""
        return am.Text(markdown=markdown, html=contributor_html(markdown, self._resolve))

    def index(self) -> am.IndexDoc:
        view = self.view
        return am.IndexDoc(
            api_version=API_VERSION,
            generator="matrixpipe",
            title=self.title,
            base_url=self.urls.base.rstrip("/"),
            drafts=view.drafts,
            counts=am.IndexCounts(
                matrices=len(view.matrices),
                cells=len(view.cells),
                studies=len(view.studies),
                placements=sum(len(cell.listings) for cell in view.cells.values()),
            ),
            matrices=[
                am.Link(
                    id=m.id,
                    title=m.title,
                    status="published",
                    url=self.urls.url(Urls.matrix_file(m.id)),
                    api=Urls.api_matrix(m.id),
                )
                for m in view.matrices
            ],
            cells=[
                am.Link(
                    id=key,
                    title=cell.title,
                    status=cell.status,  # type: ignore[arg-type]
                    url=self.urls.url(Urls.cell_file(key)),
                    api=Urls.api_cell(key),
                )
                for key, cell in sorted(view.cells.items())
            ],
            studies=[
                am.Link(
                    id=s.id,
                    title=s.title,
                    status=s.status,
                    url=self.urls.url(Urls.study_file(s.id)),
                    api=Urls.api_study(s.id),
                )
                for s in view.study_pages
            ],
            all_studies="studies.json",
            schemas={kind: f"schema/{schema_name(kind)}" for kind in am.API_SCHEMAS},
        )

    def matrix(self, matrix: models.Matrix) -> am.MatrixDoc:
        cells = []
        for column in matrix.columns:
            for row in matrix.rows:
                key = f"{matrix.id}/{column.code}{row.code}"
                cell = self.view.cells[key]
                cells.append(
                    am.GridCell(
                        code=cell.code,
                        key=key,
                        column=column.code,
                        row=row.code,
                        name=cell.name,
                        title=cell.title,
                        url=self.urls.url(Urls.cell_file(key)),
                        api=Urls.api_cell(key),
                        counts=am.Counts(**cell.counts),
                        gaps=am.Gaps(**cell.gaps),
                        studies=am.ByCategory(**_by_category(cell.listings)),
                    )
                )
        return am.MatrixDoc(
            api_version=API_VERSION,
            id=matrix.id,
            title=matrix.title,
            description=self.text(matrix.description),
            url=self.urls.url(Urls.matrix_file(matrix.id)),
            api=Urls.api_matrix(matrix.id),
            columns=matrix.columns,
            rows=matrix.rows,
            cells=cells,
        )

    def cell(self, cell: Cell) -> am.CellDoc:
        headings = sorted(cell.headings.values(), key=lambda h: h.offset)
        page = Urls.cell_file(cell.key)
        return am.CellDoc(
            api_version=API_VERSION,
            key=cell.key,
            matrix=cell.matrix.id,
            code=cell.code,
            name=cell.name,
            title=cell.title,
            status=cell.status,  # type: ignore[arg-type]
            url=self.urls.url(page),
            api=Urls.api_cell(cell.key),
            matrix_api=Urls.api_matrix(cell.matrix.id),
            column=cell.matrix.columns[models.COLUMN_CODES.index(cell.code[0])],
            row=cell.matrix.rows[int(cell.code[1]) - 1],
            bite=self.text(cell.bite) if cell.text else None,
            sections=[
                am.Section(
                    anchor=h.anchor, title=h.text, level=h.level, url=self.urls.url(page, h.anchor)
                )
                for h in headings
            ],
            counts=am.Counts(**cell.counts),
            see_also=[self.cell_link(key) for key in cell.see_also if key in self.view.cells],
            placements=[self.listed(item) for item in cell.listings],
        )

    def cell_link(self, key: str) -> am.Link:
        cell = self.view.cells[key]
        return am.Link(
            id=key,
            title=cell.title,
            status=cell.status,  # type: ignore[arg-type]
            url=self.urls.url(Urls.cell_file(key)),
            api=Urls.api_cell(key),
        )

    def listed(self, item: Listing) -> am.Listed:
        study, placement = item.study, item.placement
        return am.Listed(
            study=study.id,
            title=study.title,
            headline=item.headline,
            source=study.source,
            categories=placement.categories,
            rank=placement.rank,
            note=self.text(placement.note),
            discussed_in=placement.discussed_in,
            url=self.urls.url(Urls.study_file(study.id)),
            api=Urls.api_study(study.id),
        )

    def study(self, study: models.Study) -> am.StudyDoc:
        item = self.view.csl(study)
        citation = citation_html(item)
        return am.StudyDoc(
            api_version=API_VERSION,
            id=study.id,
            title=study.title,
            status=study.status,
            withdrawn_reason=study.withdrawn_reason,
            url=self.urls.url(Urls.study_file(study.id)),
            api=Urls.api_study(study.id),
            source=study.source,
            summary=self.text(study.summary),
            key_points=[self.text(point) for point in study.key_points],
            tags=study.tags,
            related=[r for r in map(self.related, study.related) if r is not None],
            placements=[]
            if study.status == "withdrawn"
            else [self.placement(c, p) for c, p in self.view.placements_of(study)],
            citation=am.Citation(style=STYLE, text=citation_text(citation), html=citation),
            csl=item,
        )

    def placement(self, cell: Cell, placement: models.Placement) -> am.Placement:
        return am.Placement(
            cell=placement.cell,
            cell_title=cell.title,
            headline=placement.headline,
            categories=placement.categories,
            rank=placement.rank,
            note=self.text(placement.note),
            discussed_in=placement.discussed_in,
            url=self.urls.url(Urls.cell_file(cell.key)),
            api=Urls.api_cell(cell.key),
        )

    def related(self, related: models.Related) -> am.Related | None:
        """A related document; one that is a study the public cannot see is left out, as the
        site leaves it out."""
        if related.study is not None:
            if self.view.study(related.study) is None:
                return None
            return am.Related(
                label=related.label,
                study=related.study,
                source=None,
                url=self.urls.url(Urls.study_file(related.study)),
                api=Urls.api_study(related.study),
            )
        return am.Related(
            label=related.label,
            study=None,
            source=related.source,
            url=related.source.url if related.source else None,
            api=None,
        )


def _by_category(items: tuple[Listing, ...]) -> dict[str, list[str]]:
    ids: dict[str, list[str]] = defaultdict(list)
    for item in items:
        for category in item.placement.categories:
            ids[category].append(item.study.id)
    return {category: ids[category] for category in models.CATEGORIES}

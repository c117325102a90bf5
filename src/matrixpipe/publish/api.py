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
from matrixpipe.publish.apimarkdown import MarkdownRenderer
from matrixpipe.publish.citation import STYLE, citation_html, citation_text
from matrixpipe.publish.files import (
    API_VERSION,
    Urls,
    dump_json,
    prune,
    visible_cells,
    visible_listings,
    visible_studies,
    write_files,
)
from matrixpipe.publish.references import csl_item

if TYPE_CHECKING:
    from pathlib import Path

    from pydantic import BaseModel

    from matrixpipe.check.resolve import CellPage, Collection, Listing

OWN_FILES = ("index.json", "studies.json", "matrices/*.json", "cells/*/*.json", "studies/*.json")


def api_files(
    collection: Collection, base_url: str = "", drafts: bool = False, title: str = ""
) -> dict[str, str]:
    """Every API file as `path relative to the API root → text`, schemas included."""
    return _Builder(collection, Urls(base_url), drafts, title).files()


def write_api(
    collection: Collection,
    out_dir: Path,
    base_url: str = "",
    drafts: bool = False,
    prune_stale: bool = False,
    title: str = "",
) -> list[Path]:
    """Write the API into `out_dir` (the site puts it in `<site>/api/v1/`); return the paths.

    Args:
        base_url: what site URLs start with, e.g. "" or "https://example.org/findings".
        drafts: include draft and review entries (for a preview build).
        prune_stale: delete API files in `out_dir` that this run did not write.
        title: the collection's title for `index.json` (`config.site.title`).
    """
    written = write_files(out_dir, api_files(collection, base_url, drafts, title))
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
    """Builds each document once from the resolved collection."""

    def __init__(self, collection: Collection, urls: Urls, drafts: bool, title: str) -> None:
        self.c = collection
        self.title = title
        self.urls = urls
        self.drafts = drafts
        self.md = MarkdownRenderer(urls)
        self.cells = {page.key: page for page in visible_cells(collection, drafts)}
        self.listings = {key: visible_listings(page, drafts) for key, page in self.cells.items()}
        self.studies = visible_studies(collection, drafts)
        self.study_ids = {s.id for s in self.studies}

    def text(self, markdown: str) -> am.Text:
        return am.Text(markdown=markdown, html=self.md.html(markdown))

    def files(self) -> dict[str, str]:
        out = {f"schema/{name}": text for name, text in am.api_schema_files().items()}
        for matrix in self.c.matrices.values():
            out[f"matrices/{matrix.id}.json"] = _dump(self.matrix(matrix))
        for key, page in self.cells.items():
            out[f"cells/{key}.json"] = _dump(self.cell(page))
        texts = []
        for study in self.studies:
            text = out[f"studies/{study.id}.json"] = _dump(self.study(study))
            texts.append(text)
        out["studies.json"] = studies_json(texts)
        out["index.json"] = _dump(self.index())
        return out

    def index(self) -> am.IndexDoc:
        return am.IndexDoc(
            api_version=API_VERSION,
            generator="matrixpipe",
            title=self.title,
            base_url=self.urls.base_url,
            drafts=self.drafts,
            counts=am.IndexCounts(
                matrices=len(self.c.matrices),
                cells=len(self.cells),
                studies=len(self.studies),
                placements=sum(len(items) for items in self.listings.values()),
            ),
            matrices=[
                am.Link(
                    id=m.id,
                    title=m.title,
                    status="published",
                    url=self.urls.matrix(m.id),
                    api=f"matrices/{m.id}.json",
                )
                for _, m in sorted(self.c.matrices.items())
            ],
            cells=[
                am.Link(
                    id=key,
                    title=page.title,
                    status=page.status,  # type: ignore[arg-type]
                    url=self.urls.cell(key),
                    api=f"cells/{key}.json",
                )
                for key, page in self.cells.items()
            ],
            studies=[
                am.Link(
                    id=s.id,
                    title=s.title,
                    status=s.status,
                    url=self.urls.study(s.id),
                    api=f"studies/{s.id}.json",
                )
                for s in self.studies
            ],
            all_studies="studies.json",
            schemas={kind: f"schema/{am.schema_name(kind)}" for kind in am.API_SCHEMAS},
        )

    def matrix(self, matrix: models.Matrix) -> am.MatrixDoc:
        cells = []
        for column in matrix.columns:
            for row in matrix.rows:
                key = f"{matrix.id}/{column.code}{row.code}"
                page, listed = self.c.cells[key], key in self.cells
                items = self.listings.get(key, [])
                cells.append(
                    am.GridCell(
                        code=page.code,
                        key=key,
                        column=column.code,
                        row=row.code,
                        name=page.name,
                        title=page.title,
                        url=self.urls.cell(key) if listed else None,
                        api=f"cells/{key}.json" if listed else None,
                        counts=_counts(items),
                        studies=am.ByCategory(**_by_category(items)),
                    )
                )
        return am.MatrixDoc(
            api_version=API_VERSION,
            id=matrix.id,
            title=matrix.title,
            description=self.text(matrix.description),
            url=self.urls.matrix(matrix.id),
            api=f"matrices/{matrix.id}.json",
            columns=matrix.columns,
            rows=matrix.rows,
            cells=cells,
        )

    def cell(self, page: CellPage) -> am.CellDoc:
        items = self.listings[page.key]
        headings = sorted(page.headings.values(), key=lambda h: h.offset)
        return am.CellDoc(
            api_version=API_VERSION,
            key=page.key,
            matrix=page.matrix.id,
            code=page.code,
            name=page.name,
            title=page.title,
            status=page.status,  # type: ignore[arg-type]
            url=self.urls.cell(page.key),
            api=f"cells/{page.key}.json",
            matrix_api=f"matrices/{page.matrix.id}.json",
            column=page.matrix.columns[models.COLUMN_CODES.index(page.code[0])],
            row=page.matrix.rows[int(page.code[1]) - 1],
            bite=self.text(page.entry.bite) if page.entry else None,
            sections=[
                am.Section(
                    anchor=h.anchor,
                    title=h.text,
                    level=h.level,
                    url=self.urls.cell(page.key, h.anchor),
                )
                for h in headings
            ],
            counts=_counts(items),
            placements=[self.listed(item) for item in items],
        )

    def listed(self, item: Listing) -> am.Listed:
        study, placement = item.study, item.placement
        return am.Listed(
            study=study.id,
            title=study.title,
            source=study.source,
            categories=placement.categories,
            rank=placement.rank,
            note=self.text(placement.note),
            discussed_in=placement.discussed_in,
            url=self.urls.study(study.id),
            api=f"studies/{study.id}.json",
        )

    def study(self, study: models.Study) -> am.StudyDoc:
        return am.StudyDoc(
            api_version=API_VERSION,
            id=study.id,
            title=study.title,
            status=study.status,
            url=self.urls.study(study.id),
            api=f"studies/{study.id}.json",
            source=study.source,
            summary=self.text(study.summary),
            key_points=[self.text(point) for point in study.key_points],
            tags=study.tags,
            related=[self.related(r) for r in study.related],
            placements=[self.placement(p) for p in study.placements if p.cell in self.cells],
            citation=am.Citation(style=STYLE, text=citation_text(study), html=citation_html(study)),
            csl=csl_item(study),
        )

    def placement(self, placement: models.Placement) -> am.Placement:
        return am.Placement(
            cell=placement.cell,
            cell_title=self.cells[placement.cell].title,
            categories=placement.categories,
            rank=placement.rank,
            note=self.text(placement.note),
            discussed_in=placement.discussed_in,
            url=self.urls.cell(placement.cell),
            api=f"cells/{placement.cell}.json",
        )

    def related(self, related: models.Related) -> am.Related:
        known = related.study in self.study_ids
        url = self.urls.study(related.study) if known and related.study else None
        if related.source is not None:
            url = related.source.url
        return am.Related(
            label=related.label,
            study=related.study,
            source=related.source,
            url=url,
            api=f"studies/{related.study}.json" if known else None,
        )


def _by_category(items: list[Listing]) -> dict[str, list[str]]:
    ids: dict[str, list[str]] = defaultdict(list)
    for item in items:
        for category in item.placement.categories:
            ids[category].append(item.study.id)
    return {category: ids[category] for category in models.CATEGORIES}


def _counts(items: list[Listing]) -> am.Counts:
    return am.Counts(**{k: len(v) for k, v in _by_category(items).items()}, total=len(items))

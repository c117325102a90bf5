"""Study pages (`/studies/<id>/`): the document, our summary, where it is listed, how to cite it.

Studies are not in the navigation (10,000 of them would swamp it): readers reach them through
cells, the indexes and search, which ranks them above the cell pages that quote their headlines.
"""

from __future__ import annotations

from html import escape as html_escape

from matrixpipe import models
from matrixpipe.publish.context import RenderContext
from matrixpipe.publish.markdown import (
    attr,
    escape,
    fragment,
    one_line,
    plain_text,
    unwrap_paragraph,
)
from matrixpipe.publish.pages.cells import download_links, listing_anchor, related_items
from matrixpipe.publish.pages.find import facet_markup
from matrixpipe.publish.pages.indexes import index_link
from matrixpipe.publish.pages.parts import (
    CATEGORY_NAMES,
    badges,
    banner,
    front_matter,
    long_date,
    year_text,
)
from matrixpipe.publish.sanitize import EXTERNAL_REL, contributor_html
from matrixpipe.publish.search import PAGEFIND
from matrixpipe.publish.view import Urls

_TYPES = {
    "report": "Report",
    "journal-article": "Journal article",
    "review": "Review",
    "guidance": "Guidance",
    "book": "Book",
    "chapter": "Book chapter",
    "web-page": "Web page",
    "dataset": "Dataset",
    "other": "Other",
}


def render_study(ctx: RenderContext, study: models.Study) -> str:
    """The Markdown of one study page.

    Only the title and section headings are Markdown (for the table of contents and permalinks);
    every body is one raw HTML block on one line. MkDocs sets such a block aside whole, so a
    study page costs it less than an ordinary Markdown page of the same size, which matters at
    10,000 studies.
    """
    if study.status == "withdrawn":
        return render_withdrawn(ctx, study)
    path = ctx.study_path(study.id)
    resolve = ctx.resolver(path)
    parts = [
        front_matter(
            title=study.title,
            description=plain_text(study.summary, 200) or None,
            search={"boost": 2},
        ),
        f"# {escape(study.title)}\n\n",
        banner(study.status, "study"),
        # Pagefind's filters (matrix, cell, category, year, jurisdiction, tag): hidden, no text.
        facet_markup(ctx.view, study) if ctx.site.search == PAGEFIND else "",
        _actions(ctx, study),
        _source(ctx, study, path),
    ]
    summary = fragment(study.summary, resolve)
    if summary:
        parts.append(f"## Summary {{#mp-summary}}\n\n{summary}\n\n")
    points = [contributor_html(point, resolve) for point in study.key_points]
    if any(points):
        items = "".join(f"<li>{one_line(unwrap_paragraph(p))}</li>" for p in points if p)
        parts.append(
            f'## Key points {{#mp-key-points}}\n\n<ul class="mp-key-points">{items}</ul>\n\n'
        )
    parts.append(_placements(ctx, study, path))
    see_also = related_items(ctx, study, path)
    if see_also:
        items = "".join(f"<li>{item}</li>" for item in see_also)
        parts.append(f"## Related documents {{#mp-related}}\n\n<ul>{items}</ul>\n\n")
    parts.append(_cite(ctx, study))
    parts.append(_history(ctx, study))
    return "".join(parts)


def render_withdrawn(ctx: RenderContext, study: models.Study) -> str:
    """A withdrawn study's page: a notice with the reason and its last citation, so links and
    bookmarks to it still land; not in search, not in any cell."""
    path = ctx.study_path(study.id)
    reason = html_escape(" ".join((study.withdrawn_reason or "").split()))
    return "".join(
        [
            front_matter(
                title=f"Withdrawn: {study.title}",
                description=f"This study has been withdrawn: {study.withdrawn_reason}",
                search={"exclude": True},
            ),
            f"# {escape(study.title)}\n\n",
            '<div class="admonition warning mp-withdrawn"><p class="admonition-title">'
            "This study has been withdrawn</p>"
            f"<p>{reason}</p><p>It is no longer listed in any cell of the matrices.</p></div>\n\n",
            _source(ctx, study, path),
            _cite(ctx, study),
            _history(ctx, study),
        ]
    )


def _actions(ctx: RenderContext, study: models.Study) -> str:
    file = ctx.study_file(study.id) or f"entries/studies/{study.id}.yaml"
    issue = ctx.issue_url(f"Study {study.id}: ", ctx.study_path(study.id))
    return (
        '<p class="mp-actions" data-search-exclude>'
        f'<a href="{attr(issue)}" class="md-button mp-action">Comment or query to the editor</a> '
        f'<a href="{attr(ctx.edit_url(file))}" class="md-button mp-action">Edit on GitHub</a> '
        '<button type="button" class="md-button mp-action" data-mp-print>'
        "Print or save as PDF</button></p>\n\n"
    )


def _source(ctx: RenderContext, study: models.Study, path: str) -> str:
    """The document itself, as a definition list."""
    source = study.source

    def link(href: str, text: str, external: bool = False) -> str:
        rel = f' rel="{EXTERNAL_REL}"' if external else ""
        return f'<a href="{attr(href)}"{rel}>{html_escape(text)}</a>'

    def index(kind: str, value: object) -> str:
        return link(ctx.href(path, *index_link(kind, value)), str(value))

    rows: list[tuple[str, str]] = []
    if source.title:
        rows.append(("Title", f"<em>{html_escape(_flat(source.title))}</em>"))
    if source.authors:
        rows.append(("Authors", html_escape(_flat("; ".join(source.authors)))))
    if source.organisation:
        rows.append(("Organisation", html_escape(_flat(source.organisation))))
    if source.jurisdiction:
        rows.append(("Jurisdiction", index("jurisdictions", source.jurisdiction)))
    rows.append(("Year", index("years", year_text(source))))
    if source.container:
        rows.append(("Published in", f"<em>{html_escape(_flat(source.container))}</em>"))
    rows.append(("Type", html_escape(_TYPES.get(source.type, source.type))))
    if source.url:
        rows.append(("Document", link(source.url, source.url, external=True)))
    if source.doi:
        rows.append(("DOI", link(f"https://doi.org/{source.doi}", source.doi, external=True)))
    if study.tags:
        rows.append(("Tags", ", ".join(index("tags", tag) for tag in study.tags)))
    body = "".join(f"<dt>{term}</dt><dd>{value}</dd>" for term, value in rows)
    return f"## The document {{#mp-document}}\n\n<dl>{body}</dl>\n\n"


def _flat(text: str) -> str:
    """Text on one line, its runs of whitespace as single spaces (as Markdown would show it)."""
    return " ".join(text.split())


def _placements(ctx: RenderContext, study: models.Study, path: str) -> str:
    """Every cell the study is listed in, with its categories and the cell's note, as HTML."""
    resolve = ctx.resolver(path)
    items = []
    for page, placement in ctx.view.placements_of(study):
        link = ctx.href(path, ctx.cell_path(page.key), listing_anchor(study.id))
        names = " and ".join(
            CATEGORY_NAMES[c][1] for c in models.CATEGORIES if c in placement.categories
        )
        note = contributor_html(placement.note, resolve)
        headline = (
            f' Listed as <q class="mp-headline">{html_escape(placement.headline)}</q>.'
            if placement.headline and placement.headline != study.title
            else ""
        )
        items.append(
            f"<li><p>{badges(list(placement.categories))} "
            f'<a href="{attr(link)}">{html_escape(page.title)}</a>: {names.lower()}.{headline}</p>'
            + (f'<div class="mp-note">{one_line(note)}</div>' if note else "")
            + "</li>\n"
        )
    if not items:
        return ""
    return (
        '## Listed in {#mp-listed-in}\n\n<ul class="mp-listed-in">\n' + "".join(items) + "</ul>\n\n"
    )


def _cite(ctx: RenderContext, study: models.Study) -> str:
    from matrixpipe.publish.citation import citation_html, citation_text

    html = citation_html(ctx.view.csl(study))
    text = citation_text(html)
    downloads = download_links(ctx, ctx.study_path(study.id), Urls.study_downloads(study.id))
    # citeproc-py escapes every value it formats, so its HTML can stand in the page as it is.
    return (
        "## Cite this study {#mp-cite}\n\n"
        f'<p class="mp-citation">{one_line(html)}</p>\n\n'
        f'<p><button type="button" class="md-button mp-action" data-mp-copy="{attr(text)}">'
        "Copy citation</button></p>\n\n"
        f'<p class="mp-downloads">Download the reference: {downloads}</p>\n\n'
    )


def _history(ctx: RenderContext, study: models.Study) -> str:
    dates = ctx.dates(ctx.study_file(study.id))
    if dates is None:
        line = "Not yet committed to the collection's history."
    elif dates.added.date() == dates.updated.date():
        line = f"Added on {long_date(dates.added)}."
    else:
        line = f"Added on {long_date(dates.added)}; last changed on {long_date(dates.updated)}."
    return f'<p class="mp-dates">{line}</p>\n'

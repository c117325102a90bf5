"""Cell pages (`/<matrix>/<CODE>/`): the listing in editorial order, the bite, the actions row.

Every grid cell gets a page, so every `cell:` link lands somewhere. What a page shows is the
public view's (`publish.view.Cell`): a cell whose text is not published shows its default title,
its public listings and a line saying it has no published text yet.
"""

from __future__ import annotations

import datetime as dt
from html import escape as html_escape

from matrixpipe import models
from matrixpipe.check.links import Heading
from matrixpipe.check.resolve import Listing
from matrixpipe.publish.context import DOWNLOADS_ROOT, RenderContext
from matrixpipe.publish.markdown import (
    Resolve,
    attr,
    bite_markdown,
    escape,
    one_line,
    plain_text,
)
from matrixpipe.publish.pages.parts import (
    CATEGORY_NAMES,
    badges,
    banner,
    front_matter,
    legend,
    long_date,
    source_html,
)
from matrixpipe.publish.sanitize import EXTERNAL_REL, contributor_html
from matrixpipe.publish.view import Cell, Urls

CONTRIBUTING = "contributors/contributing.md"


def listing_anchor(study_id: str) -> str:
    """The id of a study's entry in a cell listing, so its study page can link straight to it."""
    return f"mp-study-{study_id}"


def render_cell(ctx: RenderContext, cell: Cell) -> str:
    """The Markdown of one cell page."""
    path = ctx.cell_path(cell.key)
    resolve = ctx.resolver(path)
    parts = [
        front_matter(
            title=cell.title,
            description=_description(cell),
            feed_atom=ctx.cell_feed(cell.key, "atom"),
            feed_rss=ctx.cell_feed(cell.key, "rss"),
        ),
        f"# {escape(cell.title)}\n\n",
        banner(cell.status, "cell's bite"),
        _stale(ctx, cell),
        _breadcrumb(cell),
        _audiences(cell),
        _reviewed(ctx, cell),
        _actions(ctx, cell),
    ]
    if not cell.listings and not cell.text:
        parts.append(_empty(ctx, path))
        return "".join(parts)
    parts.append("## Studies in this cell {#mp-studies}\n\n")
    if cell.listings:
        parts.append(legend() + "\n")
        parts.append(
            "Each headline opens the study's page; *Unfold extra text* opens the rest of a "
            "note.\n{: .mp-hint }\n\n"
        )
        items = (_listing(ctx, item, cell.headings, resolve, path) for item in cell.listings)
        parts.append('<ul class="mp-listing">\n' + "\n".join(items) + "\n</ul>\n\n")
        parts.append(_downloads(ctx, cell))
    else:
        parts.append(_not_yet(ctx, path, "No studies are listed in this cell yet."))
    parts.append(_see_also(ctx, cell, path))
    if cell.text:
        parts.append(bite_markdown(cell.bite, resolve))
    else:
        parts.append(_not_yet(ctx, path, "This cell has no published text yet."))
    return "".join(parts)


def _see_also(ctx: RenderContext, cell: Cell, path: str) -> str:
    """`See also: <cell>, <cell>.` from the cell's `see_also`, linking to each cell's page."""
    links = [
        f'<a href="{attr(ctx.href(path, ctx.cell_path(key)))}">{html_escape(other.title)}</a>'
        for key in cell.see_also
        if (other := ctx.view.cells.get(key)) is not None
    ]
    return f'<p class="mp-see-also">See also: {"; ".join(links)}.</p>\n\n' if links else ""


def last_reviewed(ctx: RenderContext, cell: Cell) -> dt.date | None:
    """When the cell was last reviewed: its `reviewed:` date, else its file's last change in
    Git, else None. Only for a cell whose own text is shown: the date is the cell entry's."""
    if not cell.text or cell.page.entry is None:
        return None
    if cell.page.entry.reviewed:
        try:
            return dt.date.fromisoformat(cell.page.entry.reviewed)
        except ValueError:  # the pattern lets 2024-02-30 through; the file's date still counts
            pass
    dates = ctx.dates(cell.entry_path)
    return dates.updated.date() if dates is not None else None


def _reviewed(ctx: RenderContext, cell: Cell) -> str:
    when = last_reviewed(ctx, cell)
    return f"Last reviewed {_long_day(when)}.\n{{: .mp-reviewed }}\n\n" if when else ""


def _stale(ctx: RenderContext, cell: Cell) -> str:
    """In a preview only, a warning on a cell not reviewed for longer than the site's
    `review_after_days`, so editors see which cells are due; the public never sees it."""
    days = ctx.site.review_after_days
    when = last_reviewed(ctx, cell)
    if not ctx.view.drafts or days is None or when is None:
        return ""
    age = (dt.datetime.now(dt.UTC).date() - when).days
    if age <= days:
        return ""
    # Out of the search index (Material's and Pagefind's), like the draft banner.
    return (
        '<div class="admonition warning mp-stale" data-search-exclude data-pagefind-ignore>'
        f'<p class="admonition-title">Due for review: last reviewed {age} days ago</p>'
        f"<p>This cell was last reviewed on {_long_day(when)}, more than {days} days ago "
        "(<code>review_after_days</code>). Review it and set <code>reviewed:</code> to the "
        "day's date. Only preview builds (<code>--drafts</code>) show this.</p></div>\n\n"
    )


def _long_day(day: dt.date) -> str:
    return long_date(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC))


def _audiences(cell: Cell) -> str:
    """`Suits front-line staff; working in criminal justice.`: the matrix's audiences that
    include this cell."""
    roles = [a.role for a in cell.matrix.audiences if cell.code in a.cells()]
    return f"Suits {escape('; '.join(roles))}.\n{{: .mp-audience }}\n\n" if roles else ""


def _description(cell: Cell) -> str:
    found = [
        f"{cell.counts[c]} {CATEGORY_NAMES[c][2].lower()}"
        for c in models.CATEGORIES
        if cell.counts[c]
    ]
    return f"{cell.name}: {', '.join(found) if found else 'no studies yet'}."


def _breadcrumb(page: Cell) -> str:
    column, row = page.name.split("; ", 1)
    return (
        f"[{escape(page.matrix.title)}](index.md) › "
        f"column {page.code[0]}: {escape(column)} › row {page.code[1]}: {escape(row)}\n"
        "{: .mp-breadcrumb }\n\n"
    )


def _actions(ctx: RenderContext, page: Cell) -> str:
    """Copy, comment, edit, print, follow: the cell's action row."""
    if page.entry_path is not None:
        edit = ctx.edit_url(page.entry_path)
    else:
        edit = ctx.new_file_url(f"entries/cells/{page.matrix.id}", f"{page.code}.md")
    copy = f"{attr(page.title)}&#10;{attr(ctx.url(ctx.cell_path(page.key)))}"
    feed = ctx.link(ctx.cell_path(page.key), ctx.cell_feed(page.key))
    issue = ctx.issue_url(f"Cell {page.key}: ", ctx.cell_path(page.key))
    return (
        f"[Comment or query to the editor]({issue})"
        "{ .md-button .mp-action }\n"
        f'<button type="button" class="md-button mp-action" data-mp-copy="{copy}">'
        "Copy title and link</button>\n"
        f"[Edit on GitHub]({edit}){{ .md-button .mp-action }}\n"
        '<button type="button" class="md-button mp-action" data-mp-print>'
        "Print or save as PDF</button>\n"
        f'[Follow updates (Atom feed)]({feed}){{ .md-button .mp-action type="application/atom+xml" }}\n'
        "{: .mp-actions data-search-exclude }\n\n"
    )


def _downloads(ctx: RenderContext, page: Cell) -> str:
    """Links to this cell's evidence as CSV and reference-manager files."""
    if not page.listings:
        return ""
    links = download_links(ctx, ctx.cell_path(page.key), Urls.cell_downloads(page.key))
    return (
        f'<p class="mp-downloads" data-search-exclude>Take this cell\'s evidence away: {links}</p>'
        "\n\n"
    )


_FORMAT_NAMES = {"csv": "CSV", "bib": "BibTeX", "ris": "RIS", "csl.json": "CSL-JSON"}


def download_links(ctx: RenderContext, page: str, files: dict[str, str]) -> str:
    """`<a>CSV</a> · <a>BibTeX</a> · …` from `page` to download files (format → path under the
    downloads folder). HTML links: the downloads are written beside the site, not through
    MkDocs, which would report Markdown links to them as broken."""
    return " · ".join(
        f'<a href="{attr(ctx.href(page, f"{DOWNLOADS_ROOT}/{path}"))}">{_FORMAT_NAMES[ext]}</a>'
        for ext, path in files.items()
    )


def _listing(
    ctx: RenderContext,
    item: Listing,
    headings: dict[str, Heading],
    resolve: Resolve,
    path: str,
) -> str:
    """One study as listed in a cell, as an HTML list item (it holds the note's HTML): badges,
    headline, source, note, see also, discussion."""
    study, placement = item.study, item.placement
    link = ctx.href(path, ctx.study_path(study.id))
    status = "" if study.status == "published" else f' <em class="mp-status">({study.status})</em>'
    head = (
        f"<p>{badges(list(placement.categories))} "
        f'<a href="{attr(link)}" id="{listing_anchor(study.id)}" class="mp-headline">'
        f"{html_escape(item.headline)}</a> {source_html(study.source)}.{status}</p>"
    )
    note = contributor_html(placement.note, resolve)
    body = f'<div class="mp-note">{one_line(note)}</div>' if note else ""
    refs = " ".join(
        x for x in (related_html(ctx, study, path), _discussion(placement, headings)) if x
    )
    tail = f'<p class="mp-refs">{refs}</p>' if refs else ""
    return f"<li>{head}{body}{tail}</li>"


def related_html(ctx: RenderContext, study: models.Study, path: str) -> str:
    """`See also <a …>similar report for Scotland</a> (NHS Health Scotland, 2011).`"""
    items = related_items(ctx, study, path)
    return f"See also {'; '.join(items)}." if items else ""


def related_items(ctx: RenderContext, study: models.Study, path: str) -> list[str]:
    """Each related document as HTML: a link to its study page, or its label and source
    (linked if it has a URL)."""
    return [f"{label} {source_html(source)}" for label, source in _related(ctx, study, path)]


def _related(ctx: RenderContext, study: models.Study, path: str) -> list[tuple[str, models.Source]]:
    """(linked label as HTML, source) of each related document that can be shown."""
    items = []
    for rel in study.related:
        label = html_escape(rel.label)
        if rel.study is not None:
            target = ctx.view.study(rel.study)
            if target is None:  # not public: not shown at all (its source would tell of it)
                continue
            href = ctx.href(path, ctx.study_path(rel.study))
            items.append((f'<a href="{attr(href)}">{label}</a>', target.source))
        elif rel.source is not None:
            if rel.source.url:
                label = f'<a href="{attr(rel.source.url)}" rel="{EXTERNAL_REL}">{label}</a>'
            items.append((label, rel.source))
    return items


def _discussion(placement: models.Placement, headings: dict[str, Heading]) -> str:
    """`Discussion in bite's <a href="#issues">Issues</a> section`, sub-sections in brackets."""
    found = [headings[a] for a in placement.discussed_in if a in headings]
    if not found:
        return ""
    top = [h for h in found if h.level <= 2] or found
    subs = [h for h in found if h not in top]
    text = f"Discussion in bite's {_and(top)} section{'s' if len(top) > 1 else ''}"
    if subs:
        text += " (" + "; ".join(_heading_link(h) for h in subs) + ")"
    return text + "."


def _heading_link(heading: Heading) -> str:
    return f'<a href="#{attr(heading.anchor)}">{html_escape(plain_text(heading.text))}</a>'


def _and(headings: list[Heading]) -> str:
    links = [_heading_link(h) for h in headings]
    return links[0] if len(links) == 1 else ", ".join(links[:-1]) + " and " + links[-1]


def _not_yet(ctx: RenderContext, path: str, what: str) -> str:
    """A gap in a cell, said to readers, with the one way to help fill it."""
    return (
        f"{what} Know a study that belongs here? See "
        f"[how to suggest one]({ctx.link(path, CONTRIBUTING)}).\n{{: .mp-empty }}\n\n"
    )


def _empty(ctx: RenderContext, path: str) -> str:
    return _not_yet(ctx, path, "Nothing has been published in this cell yet.")

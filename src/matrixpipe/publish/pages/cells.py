"""Cell pages (`/<matrix>/<CODE>/`): the listing in editorial order, the bite, the actions row.

Every grid cell gets a page, so every `cell:` link lands somewhere; a cell with nothing in it yet
says so and shows how to contribute.
"""

from __future__ import annotations

from html import escape as html_escape

from matrixpipe import models
from matrixpipe.check.links import Heading
from matrixpipe.check.resolve import CellPage, Listing
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
    source_html,
)
from matrixpipe.publish.sanitize import EXTERNAL_REL, contributor_html

CONTRIBUTING = "contributing.md"


def listing_anchor(study_id: str) -> str:
    """The id of a study's entry in a cell listing, so its study page can link straight to it."""
    return f"mp-study-{study_id}"


def render_cell(ctx: RenderContext, page: CellPage) -> str:
    """The Markdown of one cell page."""
    path = ctx.cell_path(page.key)
    resolve = ctx.resolver(path)
    listings = ctx.listings(page)
    show_bite = ctx.bite_visible(page)
    parts = [
        front_matter(
            title=page.title,
            description=_description(page, listings),
            feed_atom=ctx.cell_feed(page.key, "atom"),
            feed_rss=ctx.cell_feed(page.key, "rss"),
        ),
        f"# {escape(page.title)}\n\n",
        banner(page.entry.status, "cell's bite") if show_bite and page.entry else "",
        _breadcrumb(page),
        _actions(ctx, page),
    ]
    if not listings and not show_bite:
        parts.append(_empty(ctx, page, path))
        return "".join(parts)
    parts.append("## Studies in this cell {#mp-studies}\n\n")
    if listings:
        parts.append(legend() + "\n")
        parts.append(
            "Headlines link to each study's page. Hover over a link for its note; "
            "click *Unfold extra text* to read more.\n{: .mp-hint }\n\n"
        )
        headings = page.headings if show_bite else {}
        items = (_listing(ctx, item, headings, resolve, path) for item in listings)
        parts.append('<ul class="mp-listing">\n' + "\n".join(items) + "\n</ul>\n\n")
    else:
        parts.append(
            _how_to(ctx, path, "No studies are listed in this cell yet.", page, study=True)
        )
    if show_bite and page.entry:
        parts.append(bite_markdown(page.entry.bite, resolve))
    else:
        parts.append(_how_to(ctx, path, "This cell has no bite yet.", page, study=False))
    return "".join(parts)


def _description(page: CellPage, listings: list[Listing]) -> str:
    counts = {c: 0 for c in models.CATEGORIES}
    for item in listings:
        for category in item.placement.categories:
            counts[category] += 1
    found = [f"{n} {CATEGORY_NAMES[c][2].lower()}" for c, n in counts.items() if n]
    return f"{page.name}: {', '.join(found) if found else 'no studies yet'}."


def _breadcrumb(page: CellPage) -> str:
    column, row = page.name.split("; ", 1)
    return (
        f"[{escape(page.matrix.title)}](index.md) › "
        f"column {page.code[0]}: {escape(column)} › row {page.code[1]}: {escape(row)}\n"
        "{: .mp-breadcrumb }\n\n"
    )


def _actions(ctx: RenderContext, page: CellPage) -> str:
    """Copy, comment, edit, print, follow: the cell's action row."""
    if page.doc is not None:
        edit = ctx.edit_url(page.doc.path)
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
        "{: .mp-actions data-search-exclude }\n\n" + _downloads(ctx, page)
    )


def _downloads(ctx: RenderContext, page: CellPage) -> str:
    """Links to this cell's evidence as CSV and reference-manager files."""
    from matrixpipe.publish.downloads import cell_downloads

    if not ctx.listings(page):
        return ""
    links = download_links(ctx, ctx.cell_path(page.key), cell_downloads(page.key))
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
        f"{html_escape(study.title)}</a> {source_html(study.source)}.{status}</p>"
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
            target = ctx.collection.studies.get(rel.study)
            if target is None:
                continue
            if ctx.study_visible(rel.study):
                href = ctx.href(path, ctx.study_path(rel.study))
                label = f'<a href="{attr(href)}">{label}</a>'
            items.append((label, target.source))
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


def _how_to(ctx: RenderContext, path: str, what: str, page: CellPage, study: bool) -> str:
    command = (
        f"matrixpipe new study --cell {page.key}" if study else f"matrixpipe new cell {page.key}"
    )
    return (
        f'!!! tip "{what}"\n'
        f"    Help fill it: run `{command}` in a copy of the repository, or read\n"
        f"    [how to contribute]({ctx.link(path, CONTRIBUTING)}).\n\n"
    )


def _empty(ctx: RenderContext, page: CellPage, path: str) -> str:
    return (
        '!!! info "No bite or studies yet"\n'
        "    Nothing has been written for this cell yet. You can help fill it: write its bite,\n"
        "    then add the studies that matter most here.\n\n"
        "    ```sh\n"
        f"    matrixpipe new cell {page.key}\n"
        f"    matrixpipe new study --cell {page.key}\n"
        "    ```\n\n"
        f"    See [how to contribute]({ctx.link(path, CONTRIBUTING)}) for the whole process.\n\n"
    )

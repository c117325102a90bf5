"""The What's new page (`/whats-new/`): what each edition added, moved, re-categorised and
withdrawn, and which bites changed, newest first, from `git.editions`.

The page is always there (the home and about pages link to it). Each section compares one
boundary with the one before it: since the newest edition (up to this build), each edition
since the one before, and the oldest edition since the beginning, so that section lists all it
held. With no editions configured, the one section is "Since the beginning": every public study.

What is listed is the public view's: a study is named only if it is public now, withdrawn now
(its notice page stays) or deleted (its last published title, without a link); one that went
back to draft is left out everywhere. Links go to the pages this build publishes.

The lists are raw HTML, as the indexes' are: the first section lists every study, and MkDocs
sets an HTML block aside whole, where 10,000 Markdown list items would cost it seconds on every
build (and on every edit in `serve`).
"""

from __future__ import annotations

import datetime as dt
import html

from matrixpipe import models
from matrixpipe.git.editions import Changes, Period, State, StudyChange, compare, current_state
from matrixpipe.publish.context import RenderContext
from matrixpipe.publish.markdown import attr, escape
from matrixpipe.publish.pages.parts import front_matter, long_date, slug

WHATS_NEW = "whats-new.md"
TITLE = "What’s new"
"""With a typographic apostrophe: the theme escapes titles again in the footer's aria-labels,
so an escaped `'` (`&#x27;`) would reach screen readers as code (see `parts.front_matter`)."""


def periods_of(ctx: RenderContext) -> list[Period]:
    """The context's periods, or since the beginning from the collection alone (a context made
    without `render_context`: no editions were read)."""
    if ctx.whats_new:
        return ctx.whats_new
    return [Period(None, None, compare(State(), current_state(ctx.view.collection)))]


def render_whats_new(ctx: RenderContext) -> str:
    """The Markdown of the What's new page."""
    periods = periods_of(ctx)
    anchors: set[str] = set()
    parts = [
        front_matter(
            title=TITLE,
            description="Studies added, moved, re-categorised and withdrawn, and bites "
            "changed, edition by edition.",
            # It only repeats headlines that have pages of their own, as the indexes do.
            search={"exclude": True},
        ),
        f"# {TITLE}\n\n",
        _intro(periods),
    ]
    for period in periods:
        anchor = _anchor(period, anchors)
        parts.append(f"## {escape(_heading(period))} {{#{anchor}}}\n\n")
        parts.append(_subtitle(period) + "\n{: .mp-edition }\n\n")
        parts.append(_changes(ctx, period.changes, anchor) or _nothing(period))
    return "".join(parts)


# -- sections ------------------------------------------------------------------------------------


def _intro(periods: list[Period]) -> str:
    if len(periods) == 1 and periods[0].until is None:
        return (
            "Everything published so far. Once the editors name editions of the collection, "
            "this page lists what each one added, moved, re-categorised and withdrawn.\n\n"
        )
    return (
        "What each edition of the collection changed, newest first: the studies added, moved "
        "between cells, re-categorised (given other categories in a cell) and withdrawn, and "
        "the cells whose bite changed. A study counts when it was published at the edition; "
        "the oldest edition lists everything it held.\n\n"
    )


def _heading(period: Period) -> str:
    if period.until is not None:
        return period.until.name
    if period.since is not None:
        return f"Since the {period.since.name}"
    return "Since the beginning"


def _subtitle(period: Period) -> str:
    if period.until is None and period.since is None:
        return "Every study published so far."
    if period.until is None and period.since is not None:
        return (
            f"Changes after the {escape(period.since.name)} "
            f"({long_date_of(period.since.day)}), up to this version of the site."
        )
    assert period.until is not None
    edition = f"Edition of {long_date_of(period.until.day)}"
    if period.since is None:
        return f"{edition}: everything published in it (the first edition)."
    return f"{edition}: changes since the {escape(period.since.name)}."


def long_date_of(day: dt.date) -> str:
    """`1 March 2020`, as every page writes dates."""
    return long_date(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC))


def _anchor(period: Period, taken: set[str]) -> str:
    if period.until is None:
        base = "mp-since-last" if period.since is not None else "mp-since-beginning"
    else:
        base = f"mp-edition-{slug(period.until.name)}"
    anchor, n = base, 1
    while anchor in taken:
        n += 1
        anchor = f"{base}-{n}"
    taken.add(anchor)
    return anchor


def _nothing(period: Period) -> str:
    if period.until is None and period.since is None:
        return "Nothing has been published yet.\n{: .mp-empty }\n\n"
    return "Nothing changed.\n{: .mp-empty }\n\n"


def _changes(ctx: RenderContext, changes: Changes, anchor: str) -> str:
    """The lists of one section, each under its heading; "" if none has an item to show."""
    path = WHATS_NEW
    groups = [
        ("added", "Added", [_added(ctx, c, path) for c in changes.added]),
        ("moved", "Moved between cells", [_moved(ctx, c, path) for c in changes.moved]),
        (
            "recategorised",
            "Re-categorised",
            [_recategorised(ctx, c, path) for c in changes.recategorised],
        ),
        ("withdrawn", "Withdrawn", [_withdrawn(ctx, c, path) for c in changes.withdrawn]),
        ("bites", "Bites changed", [_bite(ctx, key, path) for key in changes.bites]),
    ]
    out = []
    for name, title, items in groups:
        shown = [item for item in items if item]
        if shown:
            out.append(f"### {title} ({len(shown)}) {{#{anchor}-{name}}}\n\n")
            out.append("<ul>\n" + "".join(f"<li>{item}</li>\n" for item in shown) + "</ul>\n\n")
    return "".join(out)


# -- items ---------------------------------------------------------------------------------------


def _study(ctx: RenderContext, change: StudyChange, path: str) -> str:
    """The study as a link to its page (its title now), or its last published title where it
    has no page; "" if it is not public now (back to draft: never named)."""
    now = ctx.view.collection.studies.get(change.id)
    if now is not None and not (ctx.view.study(change.id) or now.status == "withdrawn"):
        return ""
    title = html.escape(now.title if now is not None else change.title)
    if ctx.view.has_page(change.id):
        return _a(ctx.href(path, ctx.study_path(change.id)), title)
    return title


def _a(href: str, text: str) -> str:
    """A link in the lists' HTML (`text` already escaped)."""
    return f'<a href="{attr(href)}">{text}</a>'


def _cell(ctx: RenderContext, key: str, path: str) -> str:
    """A cell as a short link: `Alcohol Treatment Matrix cell E5`."""
    cell = ctx.view.cells.get(key)
    if cell is None:
        return html.escape(key)
    return _a(
        ctx.href(path, ctx.cell_path(key)), html.escape(f"{cell.matrix.title} cell {cell.code}")
    )


def _cells(ctx: RenderContext, keys: list[str], path: str) -> str:
    links = [_cell(ctx, key, path) for key in keys]
    return links[0] if len(links) == 1 else ", ".join(links[:-1]) + " and " + links[-1]


def _added(ctx: RenderContext, change: StudyChange, path: str) -> str:
    study = _study(ctx, change, path)
    if not study or change.after is None or not change.after.cells:
        return study
    return f"{study}: in {_cells(ctx, change.after.cell_keys, path)}"


def _moved(ctx: RenderContext, change: StudyChange, path: str) -> str:
    study = _study(ctx, change, path)
    if not study:
        return ""
    if change.left and change.joined:
        where = f"from {_cells(ctx, change.left, path)} to {_cells(ctx, change.joined, path)}"
    elif change.joined:
        where = f"now also in {_cells(ctx, change.joined, path)}"
    else:
        where = f"no longer in {_cells(ctx, change.left, path)}"
    return f"{study}: {where}"


def _categories(categories: tuple[str, ...]) -> str:
    names = [c for c in models.CATEGORIES if c in categories]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _recategorised(ctx: RenderContext, change: StudyChange, path: str) -> str:
    study = _study(ctx, change, path)
    if not study:
        return ""
    where = "; ".join(
        f"in {_cell(ctx, key, path)} {_categories(old)} → {_categories(new)}"
        for key, old, new in change.recategorised
    )
    return f"{study}: {where}"


def _withdrawn(ctx: RenderContext, change: StudyChange, path: str) -> str:
    study = _study(ctx, change, path)
    if not study or change.id in ctx.view.collection.studies:
        return study
    return f"{study} (removed from the collection)"


def _bite(ctx: RenderContext, key: str, path: str) -> str:
    """A cell whose bite changed, by its public title (the default title while its text is
    not public: only the cell's place in the grid is named)."""
    cell = ctx.view.cells.get(key)
    if cell is None:
        return ""
    return _a(ctx.href(path, ctx.cell_path(key)), html.escape(cell.title))

"""Redirect pages for renamed ids, so old URLs still land (Git detects the renames).

Each is a static `…/<old>/index.html` in the docs folder, which MkDocs copies as it is: a meta
refresh for browsers, a canonical link for search engines, and a plain link for everyone else.
A redirect is skipped when its old URL is a live page again, or its target is not published.
"""

from __future__ import annotations

from matrixpipe.check.resolve import CELL_CODES
from matrixpipe.git.history import Redirect
from matrixpipe.publish.context import RenderContext
from matrixpipe.publish.markdown import attr
from matrixpipe.publish.view import relpath


def render_redirects(ctx: RenderContext) -> dict[str, str]:
    """Docs path → HTML for every redirect in the history."""
    out: dict[str, str] = {}
    for redirect in ctx.history.redirects:
        for old, new, title in _pairs(ctx, redirect):
            out[f"{old}/index.html"] = redirect_page(ctx, old, new, title)
    return out


def _pairs(ctx: RenderContext, redirect: Redirect) -> list[tuple[str, str, str]]:
    """(old URL path, new docs file, title) for one rename; a matrix moves all its cells."""
    view, c = ctx.view, ctx.view.collection
    if redirect.kind == "study":
        study = c.studies.get(redirect.new)
        if redirect.old in c.studies or study is None or not view.has_page(study.id):
            return []
        return [(f"studies/{redirect.old}", ctx.study_path(study.id), study.title)]
    if redirect.kind == "cell":
        cell = view.cells.get(redirect.new)
        if redirect.old in view.cells or cell is None:
            return []
        return [(redirect.old, ctx.cell_path(cell.key), cell.title)]
    if redirect.kind == "matrix":
        matrix = c.matrices.get(redirect.new)
        if redirect.old in c.matrices or matrix is None:
            return []
        pairs = [(redirect.old, ctx.matrix_path(matrix.id), matrix.title)]
        for code in CELL_CODES:
            cell = view.cells[f"{matrix.id}/{code}"]
            pairs.append((f"{redirect.old}/{code}", ctx.cell_path(cell.key), cell.title))
        return pairs
    return []


def redirect_page(ctx: RenderContext, old: str, new_file: str, title: str) -> str:
    """A small HTML page that sends browsers from `/<old>/` to the page of `new_file`."""
    new_url = ctx.url(new_file)
    rel = relpath(ctx.url_path(new_file), old) + "/"
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>Moved: {attr(title)}</title>\n"
        f'<link rel="canonical" href="{attr(new_url)}">\n'
        '<meta name="robots" content="noindex">\n'
        f'<meta http-equiv="refresh" content="0; url={attr(rel)}">\n'
        "</head>\n<body>\n"
        f'<p>This page has moved to <a href="{attr(rel)}">{attr(title)}</a>.</p>\n'
        "</body>\n</html>\n"
    )

"""Let MkDocs start before every page is written, and build only what changed.

MkDocs builds on one core; rendering 10,000 study pages first would leave the other core idle
until it starts. Instead a forked child renders the pages whose inputs changed while MkDocs reads
the rest, and reports each batch it has written. The plugin adds the pages not yet on disk to
MkDocs' files (`on_files`), and since MkDocs reads a page's source only when it reaches that page
(`on_pre_page`), holds it there until the child has written the page.

On a warm build (`dirty`), the new site starts as hard links to the previous one and MkDocs
builds only the pages whose source is newer than their page (MkDocs' own dirty mode), plus the
pages still to be written: their old page is unlinked first, so no page of the previous site is
ever written into. After the build the plugin removes pages whose source is gone and merges the
search index: the entries of the pages built now, with the previous entries of the others.
The search index's entries are sorted by page (in MkDocs' order) in every build, so the same
tree gives the same index whatever the timing of the processes.

Generated pages are headings plus raw HTML blocks (the sanitised contributor HTML, the
listings): Python-Markdown would still parse every block with its HTML parser, which at 10,000
studies is most of MkDocs' time. The plugin sets each raw block aside before Markdown runs and
puts it back after, unchanged (`on_page_markdown`, `on_page_content`).

The plugin also counts MkDocs' progress (`matrixpipe.progress`): the pages read (waiting for
the child's included) and then the pages written, as two stages.

The plugin is added by `matrixpipe build` alone: the site's mkdocs.yml names no plugins, and the
rendered folder builds the same with a plain `mkdocs build` or Zensical.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files, set_exclusions
from mkdocs.structure.pages import Page

from matrixpipe import progress

SEARCH_INDEX = "search/search_index.json"
_RAW_BLOCK = re.compile(r"<(?:div|ul|ol|dl|p|table|details|blockquote|section)[\s>]")
_STASHED = re.compile(r"<p>MPRAWBLOCK(\d{6})MP</p>")
REMADE = ("sitemap.xml", "sitemap.xml.gz", "404.html", SEARCH_INDEX)
"""What MkDocs writes on every build, dirty or not: unlinked first, so never written into."""


def walk_order(uri: str) -> tuple[tuple[int, Any], ...]:
    """The place of a docs file in MkDocs' own walk (a folder's files, `index` first, then its
    subfolders, by name): the order of a complete folder, however the files arrived."""
    *folders, name = uri.split("/")
    stem = name.rsplit(".", 1)[0]
    return (*((1, f) for f in folders), (0, (stem not in ("index", "README"), name)))


class _NotDirtyWarning(logging.Filter):
    """MkDocs warns on every dirty build that its navigation may be stale; ours is not (the
    build is dirty only when the navigation and the theme are those of the previous site)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "'dirty' build" not in record.getMessage()


class PageGate(BasePlugin):  # type: ignore[type-arg]  # MkDocs' plugin base is generic
    """Holds MkDocs at each page in `pending` until a report names it as written."""

    def __init__(
        self,
        pending: Iterable[str],
        reports: Iterator[Iterable[str]],
        dirty: bool = False,
        previous: Path | None = None,
    ) -> None:
        self.pending = set(pending)
        self.reports = reports
        self.dirty = dirty
        self.previous = previous
        """The previous site (for its search index), on a dirty build."""
        self.files: Files | None = None
        self.stash: dict[str, list[str]] = {}
        self.built: set[str] = set()
        self._filter = _NotDirtyWarning()
        self._stage: progress.Stage | None = None
        self._to_build = 0
        self._writing = False

    def _next_stage(self, name: str | None, total: int | None = None) -> None:
        """End the stage shown (`matrixpipe.progress`), and start the next, if any."""
        if self._stage is not None:
            self._stage.finish()
        self._stage = progress.stage(name, total) if name is not None else None

    def on_config(self, config: Any) -> Any:
        if self.dirty:
            logging.getLogger("mkdocs.commands.build").addFilter(self._filter)
        self._writing = False
        self._next_stage("MkDocs: reading pages")
        return config

    def on_files(self, files: Files, /, *, config: Any) -> Files:
        """The pages not written yet join the site's files as MkDocs would have found them, in
        the order of a complete folder; on a dirty build, every page to build again is
        unlinked from the previous site first."""
        missing = [
            File(uri, config["docs_dir"], config["site_dir"], config["use_directory_urls"])
            for uri in sorted(self.pending)
            if files.get_file_from_path(uri) is None
        ]
        set_exclusions(missing, config)
        ordered = sorted([*files, *missing], key=lambda f: walk_order(f.src_uri))
        files = Files(ordered)
        self.files = files
        if self.dirty:
            site = Path(config["site_dir"])
            for name in REMADE:
                (site / name).unlink(missing_ok=True)
            for file in files:
                # Pages in the navigation are always built: a page MkDocs skips has no title,
                # and every page's navigation shows theirs. They are few; the thousands of
                # study and cell pages are not in the navigation.
                in_nav = file.is_documentation_page() and not file.inclusion.is_not_in_nav()
                if in_nav or file.src_uri in self.pending or file.is_modified():
                    Path(file.abs_dest_path).unlink(missing_ok=True)
                    if file.is_documentation_page():
                        self.built.add(search_url(file))
        self._to_build = len(self.built) if self.dirty else len(files.documentation_pages())
        if self._stage is not None:
            self._stage.total = self._to_build
        return files

    def on_pre_page(self, page: Page, /, *, config: Any, files: Any) -> Page:
        uri = page.file.src_uri
        while uri in self.pending:
            batch = next(self.reports, None)
            if batch is None:
                raise PluginError(
                    f"{uri} was never rendered: the child rendering the pages stopped"
                )
            self.pending.difference_update(batch)
        return page

    def on_page_markdown(self, markdown: str, /, *, page: Page, config: Any, files: Any) -> str:
        """Set each raw HTML block aside (a page with fenced code is left alone: a block in a
        fence is code, not HTML)."""
        if "```" in markdown or "~~~" in markdown:
            return markdown
        blocks = markdown.split("\n\n")
        stash: list[str] = []
        for i, block in enumerate(blocks):
            if _RAW_BLOCK.match(block):
                blocks[i] = f"MPRAWBLOCK{len(stash):06d}MP"
                stash.append(block.strip("\n"))
        if not stash:
            return markdown
        self.stash[page.file.src_uri] = stash
        return "\n\n".join(blocks)

    def on_page_content(self, html: str, /, *, page: Page, config: Any, files: Any) -> str:
        """Put the raw blocks back where Markdown left their markers; let the page's Markdown
        go (see `on_post_page`)."""
        if self._stage is not None:
            self._stage.done += 1
        title, markdown = page.title, page.markdown
        page.markdown = ""
        if page.title != title:  # a title still read from the Markdown
            page.markdown = markdown
        stash = self.stash.pop(page.file.src_uri, None)
        if not stash:
            return html
        return _STASHED.sub(lambda m: stash[int(m.group(1))], html)

    def on_post_page(self, output: str, /, *, page: Page, config: Any) -> str:
        """Count the pages written (the first one ends the reading), and let the page's HTML
        go: MkDocs keeps every page's Markdown and HTML to the end of the build, 150 MB at
        10,000 studies, though neither is read again once the page is written (the search
        index has its own copy of the text; `serve` renders a page again to rebuild it)."""
        if self._stage is not None and not self._writing:
            self._writing = True
            self._next_stage("MkDocs: writing pages", self._to_build)
        if self._stage is not None:
            self._stage.done += 1
        page.content = None
        return output

    @event_priority(50)  # before Material's search plugin writes its index
    def on_post_build(self, config: Any) -> None:
        logging.getLogger("mkdocs.commands.build").removeFilter(self._filter)
        site = Path(config["site_dir"])
        if self.dirty:
            self._remove_gone(site)
        self._search_entries(material_search(config))
        self._next_stage(None)

    def on_build_error(self, error: Exception) -> None:
        if self._stage is not None:
            self._stage.finish(failed=True)
            self._stage = None

    def _remove_gone(self, site: Path) -> None:
        """Remove what the previous site had and this one no longer makes (a deleted study's
        page): everything but the files MkDocs made now and what the render adds after."""
        assert self.files is not None
        keep = {Path(f.abs_dest_path).resolve() for f in self.files}
        keep |= {(site / name).resolve() for name in REMADE}
        for top, folders, names in os.walk(site, topdown=False):
            here = Path(top)
            if here == site:
                folders[:] = []
            for name in names:
                path = here / name
                if path.resolve() not in keep and not _theirs(site, path):
                    path.unlink()
            if here != site and not any(here.iterdir()):
                here.rmdir()

    def _search_entries(self, index: Any) -> None:
        """Sort the search index's entries by page, and on a dirty build take the entries of
        the pages not built now from the previous site's index; in memory, before the search
        plugin writes them (reading its file back would hold the index twice)."""
        if index is None or self.files is None:
            return
        docs = index.entries
        order = {url: i for i, url in enumerate(search_order(self.files))}
        if self.dirty and self.previous is not None:
            old_file = self.previous / SEARCH_INDEX
            old = json.loads(old_file.read_text(encoding="utf-8")) if old_file.is_file() else {}
            docs += [
                d
                for d in old.get("docs", [])
                if (page := d["location"].partition("#")[0]) in order and page not in self.built
            ]
        docs.sort(key=lambda d: order.get(d["location"].partition("#")[0], len(order)))


def material_search(config: Any) -> Any:
    """The index of Material's search plugin (its `SearchIndex`), if the site has the plugin."""
    for plugin in config.plugins.values():
        index = getattr(plugin, "search_index", None)
        if isinstance(getattr(index, "entries", None), list):
            return index
    return None


def search_url(file: File) -> str:
    """A page's URL as its search entries give it: the home page's is "", not "./"."""
    return file.url if file.url != "./" else ""


def search_order(files: Files) -> list[str]:
    """The pages' URLs as search entries give them (`search_url`), in MkDocs' order: the order
    of the search index's entries."""
    return [search_url(f) for f in files.documentation_pages()]


def _theirs(site: Path, path: Path) -> bool:
    """Files other tools put in the site: Pagefind's index (made again after MkDocs)."""
    return path.relative_to(site).parts[0] in ("pagefind",)


def link_tree(source: Path, into: Path, skip: tuple[str, ...] = ()) -> None:
    """Hard-link every file of `source` into `into` (folders made), except the top-level
    entries named in `skip`: the previous site, reused without a copy."""
    for top, folders, names in os.walk(source):
        here = Path(top)
        rel = here.relative_to(source)
        if rel == Path("."):
            folders[:] = [f for f in folders if f not in skip]
            names = [n for n in names if n not in skip]
        (into / rel).mkdir(parents=True, exist_ok=True)
        for name in names:
            try:
                os.link(here / name, into / rel / name)
            except OSError:
                shutil.copy2(here / name, into / rel / name)

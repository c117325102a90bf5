"""Let MkDocs start before every study page is written: it waits at the gate for each one.

MkDocs builds on one core; rendering 10,000 study pages first would leave the other core idle
until it starts. Instead a forked child renders the study pages while MkDocs reads the rest, and
reports each batch it has written. The plugin adds the pages not yet on disk to MkDocs' files
(`on_files`), and since MkDocs reads a page's source only when it reaches that page
(`on_pre_page`), holds it there until the child has written the page.

The plugin is added by `matrixpipe build` alone: `site/mkdocs.yml` names no plugins, and the
rendered folder builds the same with a plain `mkdocs build` or Zensical.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files, set_exclusions
from mkdocs.structure.pages import Page


class PageGate(BasePlugin):  # type: ignore[type-arg]  # MkDocs' plugin base is generic
    """Holds MkDocs at each page in `pending` until a report names it as written."""

    def __init__(self, pending: Iterable[str], reports: Iterator[Iterable[str]]) -> None:
        self.pending = set(pending)
        self.reports = reports

    def on_files(self, files: Files, /, *, config: Any) -> Files:
        """The pages not written yet join the site's files as MkDocs would have found them."""
        missing = [
            File(uri, config["docs_dir"], config["site_dir"], config["use_directory_urls"])
            for uri in sorted(self.pending)
            if files.get_file_from_path(uri) is None
        ]
        set_exclusions(missing, config)
        for file in missing:
            files.append(file)
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

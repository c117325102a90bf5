"""Material's search index in `serve`, made behind the pages instead of before them.

Indexing every page is a sixth of a whole MkDocs build at 10,000 studies (Material parses each
page's HTML once more). `serve` takes the index out of the build: while MkDocs builds, each
page's content is set aside as the search plugin receives it (before the plugin strips its
`data-search-*` attributes), and the pages are indexed behind the served site, one at a time
and stoppable by an edit. Each page keeps its own entries, so after an edit only the pages built
again are indexed again; the whole index is then written, its entries in MkDocs' page order
(`pagegate.search_order`, as a build sorts them): the same index as a whole build's.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from matrixpipe.publish.pagegate import SEARCH_INDEX, material_search


class LazySearch:
    """The entries of each page, and the pages waiting to be indexed."""

    def __init__(self) -> None:
        self.index: Any = None
        """Material's search index (`pagegate.material_search`), whose indexing this takes."""
        self.waiting: dict[str, tuple[Any, str]] = {}
        """Page URL → the page and the content the search plugin was given."""
        self.entries: dict[str, list[dict[str, Any]]] = {}
        self.written = True

    def attach(self, config: Any) -> None:
        """Take over the indexing of Material's search plugin, if the site has it (once the
        plugin made its index: after its `on_config`)."""
        index = material_search(config)
        if index is not None:
            self.index = index
            index.add_entry_from_context = self._defer

    def _defer(self, page: Any) -> None:
        self.waiting[page.url] = (page, page.content)
        self.written = False

    def refresh(self, site: Path, order: list[str], stop: threading.Event) -> bool:
        """Index the pages waiting, then write the index into `site`, pages in `order` (their
        URLs); False if `stop` was set first (the pages left wait for the next refresh)."""
        if self.index is None:
            return True
        kind = type(self.index)
        while self.waiting:
            if stop.is_set():
                return False
            url, (page, content) = self.waiting.popitem()
            index = kind(**self.index.config)
            shown, page.content = page.content, content
            try:
                index.add_entry_from_context(page)
            finally:
                page.content = shown
            self.entries[url] = index.entries
        if self.written:
            return True
        # Material's own file (`generate_search_index`), streamed: at 10,000 studies the index
        # is tens of megabytes, made again after every edit.
        data = json.loads(kind(**self.index.config).generate_search_index(None))  # settings
        data["docs"] = [entry for url in order for entry in self.entries.get(url, ())]
        target = site / SEARCH_INDEX
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as out:
            json.dump(data, out, separators=(",", ":"), default=str)
        os.replace(tmp, target)
        self.written = True
        return True

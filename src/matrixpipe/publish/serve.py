"""`matrixpipe serve`: a preview that shows an edit in a second or two, even at 10,000 studies.

The server starts with a check, a render and a MkDocs build into a temporary folder, of the
pages in the navigation only (home, matrices, indexes, What's new): the thousands of study and
cell pages are built behind the served site, one at a time, and any a browser asks for first is
built on the spot. The files MkDocs would copy (the API, the downloads, the feeds) are hard links
to the rendered ones, and the search index is made behind too (`lazysearch`). The session keeps
what it learnt in memory: the check's entries, and MkDocs' files, navigation and theme. When an
entry changes (watchdog events, changes only, not polling), one rebuild follows:

1. the check reads every file but validates only those whose content changed, and reuses the
   other entries;
2. the study and cell pages whose inputs changed are rendered, and MkDocs builds those pages
   alone, with the navigation it already has; the browser then reloads the page it shows;
3. behind the reload, the rest (home, matrices, indexes, feeds, API, downloads) is rendered,
   whatever changed there is built too, and the search entries of the pages built are made
   again. A page added or removed, or a matrix changed, changes the navigation: that rebuilds
   everything.

The server watches `entries/`, the collection's site layers (`site/pages/`, `site/overrides/`,
`site/mkdocs.yml`) and `matrixpipe.yml`; the generated docs folder is not watched, so the
render's own writes never start a rebuild. A change to the theme, the settings or the
hand-written pages rebuilds all. A newer edit stops the rest of the one before.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import posixpath
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from matrixpipe.check.run import Result, check
from matrixpipe.git.history import History, read_history
from matrixpipe.publish.incremental import Keys
from matrixpipe.publish.lazysearch import LazySearch
from matrixpipe.publish.pagegate import PageGate, search_order
from matrixpipe.publish.render import Stopped, render, render_changed_pages, render_context
from matrixpipe.publish.site import load_mkdocs_config, no_banner, say_rendered
from matrixpipe.publish.tree import site_dir

log = logging.getLogger("mkdocs.matrixpipe")


class _Keep(PageGate):
    """The build's plugin (raw HTML set aside), keeping MkDocs' state for page rebuilds; the
    search index is made behind (`LazySearch`), and the files MkDocs would copy (the API,
    the downloads, the feeds: tens of thousands) are hard links to the rendered ones."""

    def __init__(self) -> None:
        super().__init__([], iter(()))
        self.nav: Any = None
        self.env: Any = None
        self.search = LazySearch()
        self.doc_files: list[Any] = []
        self.later: dict[str, str] = {}
        """The pages left for after the start (site path → docs path): those not in the
        navigation, the thousands of study and cell pages."""

    def on_config(self, config: Any) -> Any:
        self.search.attach(config)
        config = super().on_config(config)
        logging.getLogger("mkdocs.commands.build").addFilter(self._filter)  # see `build_all`
        return config

    def on_files(self, files: Any, /, *, config: Any) -> Any:
        files = super().on_files(files, config=config)
        for file in files:
            if file.is_documentation_page():
                if file.inclusion.is_not_in_nav():  # MkDocs' dirty build passes it by
                    file.is_modified = _unmodified
                    self.later[file.dest_uri] = file.src_uri
            elif file.generated_by is None:
                file.copy_file = partial(_link_file, file)
        self.doc_files = files.documentation_pages()
        self._to_build = len(self.doc_files) - len(self.later)
        if self._stage is not None:
            self._stage.total = self._to_build
        return files

    def on_nav(self, nav: Any, /, *, config: Any, files: Any) -> Any:
        self.nav = nav
        return nav

    def on_env(self, env: Any, /, *, config: Any, files: Any) -> Any:
        self.env = env
        return env


class Session:
    """One `serve`: the last check, and MkDocs' state, between rebuilds."""

    def __init__(
        self, repo: Path, drafts: bool, report: Callable[[Result], None], url: str
    ) -> None:
        self.repo = repo
        self.drafts = drafts
        self.report = report
        self.url = url
        self.site = Path(tempfile.mkdtemp(prefix="matrixpipe-serve-"))
        self.result: Result | None = None
        self.keep: _Keep | None = None
        self.config: Any = None
        self.lock = threading.Lock()
        self.turnstile = threading.Lock()
        self.stop = threading.Event()
        self.unbuilt: set[str] = set()
        """Docs files a stopped render wrote that MkDocs has not built yet."""
        self.behind: threading.Thread | None = None
        self.stamp = ""
        self.keys: Keys | None = None
        self.history: tuple[object, History] | None = None

    # -- the check and the render ---------------------------------------------------------

    def _check(self) -> Result:
        # A preview renders even with errors, so the author sees the page they are fixing.
        result = check(self.repo, publish=True, previous=self.result)
        self.report(result)
        self.result = result
        return result

    def _context(self, result: Result) -> Any:
        return render_context(result.collection, result.config, self.drafts, self._history())

    def _history(self) -> History:
        """The Git dates, walked again only when a commit or the index changed."""
        git = self.repo / ".git"
        try:
            when = tuple((git / name).stat().st_mtime_ns for name in ("HEAD", "index"))
            head = (git / "HEAD").read_text()
            ref = git / head.removeprefix("ref: ").strip()
            stamp: object = (when, head, ref.read_text() if head.startswith("ref:") else "")
        except OSError:  # a worktree, a packed ref, no Git: walk it every time
            stamp = None
        if stamp is None or self.history is None or self.history[0] != stamp:
            self.history = (stamp, read_history(self.repo))
        return self.history[1]

    # -- MkDocs -------------------------------------------------------------------------------

    def _mkdocs_config(self, result: Result) -> Any:
        config = load_mkdocs_config(
            self.repo, result.config.site, self.site, preview=True, site_url=self.url
        )
        self.keep = _Keep()
        config.plugins["matrixpipe-keep"] = self.keep
        return config

    def build_all(self) -> None:
        """A whole build: check, render everything, MkDocs from scratch (the state kept)."""
        from mkdocs.commands.build import build

        gc.enable()  # (an edit's rebuild pauses it; a whole build collects as it goes)
        result = self._check()
        ctx = self._context(result)
        self.keys = Keys(ctx)
        say_rendered(self.repo, render(self.repo, ctx, keys=self.keys))
        self.stamp = self._stamp(result)
        self.config = self._mkdocs_config(result)
        no_banner()
        # A dirty build into an empty folder: MkDocs builds every page but those `_Keep` marks
        # as unmodified, the pages not in the navigation, which come after (`_build_later`).
        shutil.rmtree(self.site, ignore_errors=True)
        self.site.mkdir()
        build(self.config, serve_url=self.url, dirty=True)
        # What the build made lives as long as the session: out of the cyclic collector's
        # sight, so that a rebuild does not spend its second scanning 10,000 pages' objects.
        gc.collect()
        gc.freeze()

    def _build_pages(self, paths: list[str], stop: threading.Event | None = None) -> bool:
        """Build the pages and copy the files at these docs paths with the navigation MkDocs
        already has; False if one is new, gone or a navigation page changed its title (a
        whole build is needed then). Asked to `stop` (a newer edit), it leaves the paths not
        yet built in `unbuilt`, for the next rest."""
        from mkdocs.commands.build import _build_page, _populate_page

        keep, config = self.keep, self.config
        if keep is None or keep.files is None or keep.nav is None or keep.env is None:
            return False
        files = keep.files
        docs = Path(config["docs_dir"])
        for done, path in enumerate(paths):
            if stop is not None and stop.is_set():
                self.unbuilt.update(paths[done:])
                return True
            file = files.get_file_from_path(path)
            if file is None or not (docs / path).is_file():
                return False
            if not file.is_documentation_page():
                file.copy_file()
                continue
            page = file.page
            if page is None:
                return False
            title = page.title
            _populate_page(page, config, files)
            if not file.inclusion.is_not_in_nav() and page.title != title:
                return False
            _build_page(page, config, keep.doc_files, keep.nav, keep.env)
            keep.later.pop(file.dest_uri, None)
        return True

    def build_on_demand(self, url_path: str) -> None:
        """Build now the page a browser asks for (`/studies/<id>/`) if it is one left for
        after the start (the lock is taken only then: other requests never wait)."""
        keep = self.keep
        if keep is None or not keep.later:
            return
        rel = url_path.lstrip("/")
        for dest in (
            rel + "index.html" if rel.endswith("/") or not rel else rel,
            rel + "/index.html",
        ):
            if dest in keep.later:
                with self._before_the_rest():
                    path = keep.later.get(dest)
                    if path is not None and not self._build_pages([path]):
                        keep.later.pop(dest, None)
                return

    def _stamp(self, result: Result) -> str:
        """The theme, settings, hand-written pages and matrices (`site.site_stamp`): when they
        change, every page changes."""
        from matrixpipe.publish.site import site_stamp

        return site_stamp(self.repo, result.config, result.collection, self.drafts)

    # -- rebuilds -----------------------------------------------------------------------------

    def rebuild(self) -> None:
        """One rebuild after an edit: the changed study and cell pages first (the browser
        reloads when this returns), the rest behind it."""
        if self.behind is not None:  # the rest of the edit before: no longer needed
            self.stop.set()
            self.behind.join()
            self.stop.clear()
        with self.lock:
            # The cyclic collector waits until the rest is done (`_the_rest`): with a
            # 10,000-study check in memory a full collection takes a quarter of a second, and
            # the check, render and page builds would start one while the browser waits.
            gc.disable()
            try:
                shown = self._show_edit()
            except BaseException:
                gc.enable()
                raise
            if shown is None:
                self.build_all()
        self.start_rest(shown)

    def _show_edit(self) -> tuple[Any, Keys] | None:
        """Check, then render and build the study and cell pages whose inputs changed; None
        if the edit needs a whole build (the theme or the navigation changed)."""
        result = self._check()
        if self._stamp(result) != self.stamp:
            return None
        ctx = self._context(result)
        keys = self.keys = Keys(ctx, before=self.keys)
        changed = render_changed_pages(self.repo, ctx, keys)
        return (ctx, keys) if self._build_pages(changed) else None

    def start_rest(self, shown: tuple[Any, Keys] | None = None) -> None:
        """Behind the served pages: the rest of an edit's render (`shown`), then the search
        index; a newer edit stops it."""
        self.behind = threading.Thread(target=self._the_rest, args=(shown,), daemon=True)
        self.behind.start()

    def _the_rest(self, shown: tuple[Any, Keys] | None) -> None:
        try:
            if shown is not None:
                with self.lock:
                    rendered = render(self.repo, shown[0], keys=shown[1], stop=self.stop)
                    say_rendered(self.repo, rendered)
                    written, self.unbuilt = {*self.unbuilt, *rendered.written}, set()
                    if not self._build_pages(sorted(written), self.stop):
                        self.build_all()
            self._build_later()
            with self.lock:
                self._index_search()
        except Stopped as stopped:  # a newer edit: its rest builds these too
            self.unbuilt.update(stopped.written)
        except Exception:  # a preview reports and goes on; the next edit rebuilds
            log.exception("matrixpipe: rendering the rest of the site failed")
        finally:
            if not self.stop.is_set():  # else a newer edit waits: it collects after its rest
                gc.collect()
                gc.enable()

    @contextlib.contextmanager
    def _before_the_rest(self) -> Iterator[None]:
        """The lock, taken ahead of `_build_later`: that loop lets go of it after each page and
        would take it again before a waiting request woke (a lock is not fair)."""
        with self.turnstile:
            self.lock.acquire()
        try:
            yield
        finally:
            self.lock.release()

    def _build_later(self) -> None:
        """The pages left for after the start, one at a time: a browser asking for one
        (`build_on_demand`) or an edit need not wait for the others."""
        while not self.stop.is_set():
            with self._before_the_rest():
                keep = self.keep
                if keep is None or not keep.later:
                    return
                dest, path = next(iter(keep.later.items()))
                if not self._build_pages([path]):  # gone since: the next edit rebuilds all
                    keep.later.pop(dest, None)
                if not keep.later:
                    pages = len(keep.doc_files)
                    log.info(f"matrixpipe: all {pages} pages built (the search index follows)")

    def _index_search(self) -> None:
        keep = self.keep
        if keep is not None and keep.files is not None:
            keep.search.refresh(self.site, search_order(keep.files), self.stop)

    def close(self) -> None:
        shutil.rmtree(self.site, ignore_errors=True)


def _unmodified() -> bool:
    return False


def _link_file(file: Any, dirty: bool = False) -> None:
    """MkDocs' `File.copy_file` as a hard link: the render replaces a file (a new inode), never
    writes into it, so the served site keeps the version it linked. A copy where links fail."""
    target = Path(file.abs_dest_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    try:
        os.link(file.abs_src_path, target)
    except OSError:  # another file system, or none that links
        shutil.copyfile(file.abs_src_path, target)


def _change_observer() -> Any:
    """The system's file events (inotify, FSEvents, …), changes only: a file opened or read
    is no reason to rebuild, and every check reads every entry, so those events are not even
    asked of the system (10,000 of them would compete with the rebuild for the interpreter)."""
    import watchdog.events as ev
    import watchdog.observers

    changes = [
        ev.FileCreatedEvent,
        ev.FileModifiedEvent,
        ev.FileMovedEvent,
        ev.FileDeletedEvent,
        ev.FileClosedEvent,
        ev.DirCreatedEvent,
        ev.DirModifiedEvent,
        ev.DirMovedEvent,
        ev.DirDeletedEvent,
    ]

    class Changes(watchdog.observers.Observer):  # type: ignore[misc, valid-type]
        def schedule(self, handler: Any, path: str, recursive: bool = False, **kw: Any) -> Any:
            return super().schedule(handler, path, recursive=recursive, event_filter=changes)

    return Changes()


def serve(repo: Path, drafts: bool, report: Callable[[Result], None], addr: str) -> None:
    """Build, then serve with live reload until interrupted."""
    from mkdocs.livereload import LiveReloadServer

    class Server(LiveReloadServer):  # type: ignore[misc, valid-type]
        def _serve_request(self, environ: Any, start_response: Any) -> Any:
            path = environ["PATH_INFO"].encode("latin-1").decode("utf-8", "ignore")
            session.build_on_demand(posixpath.normpath(path) + ("/" if path.endswith("/") else ""))
            return super()._serve_request(environ, start_response)

    host, _, port = addr.rpartition(":")
    url = f"http://{host}:{port}/"
    session = Session(repo, drafts, report, url)
    try:
        session.build_all()
        session.start_rest()  # the pages not in the navigation, then the search index
        server = Server(builder=session.rebuild, host=host, port=int(port), root=str(session.site))
        server.observer = _change_observer()  # events, not polling 10,000 files
        site = site_dir(repo)
        for path in (repo / "entries", site / "pages", site / "overrides"):
            if path.is_dir():
                server.watch(str(path))
        for folder in (repo, site):  # matrixpipe.yml, mkdocs.yml: not the folders below
            server.watch(str(folder), recursive=False)
        try:
            server.serve()
        except KeyboardInterrupt:
            log.info("Shutting down...")
        finally:
            server.shutdown()
    finally:
        session.close()

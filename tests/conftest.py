"""Shared fixtures: run the real CLI, and make real Git repositories with GitPython."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import git
import pytest
from click.testing import CliRunner, Result

from matrixpipe.cli import cli

ROOT = Path(__file__).resolve().parent.parent
ENTRIES = ROOT / "entries"
CASES = Path(__file__).resolve().parent / "cases"

RunCli = Callable[..., Result]

# matrixpipe's caches live in the user's cache folder; the tests (and every process they start)
# use a folder of their own, removed at the end, so they neither read nor fill the real one.
if "MATRIXPIPE_TEST_CACHE" not in os.environ:
    os.environ["MATRIXPIPE_CACHE_DIR"] = os.environ["MATRIXPIPE_TEST_CACHE"] = tempfile.mkdtemp(
        prefix="matrixpipe-test-cache-"
    )
    atexit.register(shutil.rmtree, os.environ["MATRIXPIPE_CACHE_DIR"], True)


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch) -> RunCli:
    """Invoke `matrixpipe ARGS…` in-process, with no colour, failing loudly on a traceback."""
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")

    def run(args: list[str], cwd: Path | None = None, input: str | None = None) -> Result:
        runner = CliRunner()
        if cwd is not None:
            monkeypatch.chdir(cwd)
        result = runner.invoke(cli, [str(a) for a in args], input=input, catch_exceptions=True)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"traceback from matrixpipe {args}:\n{result.output}") from (
                result.exception
            )
        return result

    return run


@pytest.fixture
def collection(tmp_path: Path) -> Path:
    """A copy of the bundled collection (entries/ and matrixpipe.yml) in a fresh folder."""
    repo = tmp_path / "collection"
    shutil.copytree(ENTRIES, repo / "entries")
    if (ROOT / "matrixpipe.yml").exists():
        shutil.copy(ROOT / "matrixpipe.yml", repo / "matrixpipe.yml")
    return repo


def commit_all(repo: git.Repo, message: str) -> git.Commit:
    """Stage every change (additions, edits, deletions) and commit it."""
    repo.git.add("--all")
    return repo.index.commit(message)


@pytest.fixture
def git_collection(collection: Path) -> git.Repo:
    """The bundled collection as a real Git repository with one commit on `main`."""
    repo = git.Repo.init(collection, initial_branch="main")
    with repo.config_writer() as cfg:
        cfg.set_value("user", "name", "Test Editor")
        cfg.set_value("user", "email", "editor@example.org")
    commit_all(repo, "Add the bundled collection")
    return repo


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (one per test module)."""
    from playwright.sync_api import sync_playwright

    from browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page (empty cache) that fails the test on any console error or page error."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    yield tab
    context.close()
    assert errors == [], "\n".join(errors)

"""`matrixpipe init`: a new collection that checks and builds at once, written from the package's
templates, which are also the source of this repository's own GitHub files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import git
import pytest

from matrixpipe.config import Config, Edition, SiteConfig
from matrixpipe.edit.init import COLLECTION, Answers, collection_files, repo_from_remote

from browser import snapshot
from conftest import ROOT, RunCli

OWN = Answers("matrixpipe/matrixpipe", install=".")
"""What `init` would be told for this repository: its own code is what the workflows install."""
# This repository's Dependabot also updates its pre-commit hooks and npm packages (axe-core for
# the browser tests), which a collection has not: it is kept by hand.
NOT_FROM_TEMPLATES = {".github/dependabot.yml"}


def _repo_with_remote(folder: Path, url: str | None) -> Path:
    repo = git.Repo.init(folder, initial_branch="main")
    if url is not None:
        repo.create_remote("origin", url)
    return folder


def _tree(folder: Path) -> dict[str, str]:
    return {k: v for k, v in snapshot(folder).items() if not k.startswith(".git/")}


def test_this_repositorys_github_files_are_what_init_writes_for_it() -> None:
    """The package's templates are the single source: this repository's .github/ files,
    CONTRIBUTING.md, editor settings and matrices are what `init` writes with `--repo
    matrixpipe/matrixpipe`, installing `.` instead of `-r requirements.txt`."""
    files = collection_files(OWN)
    shared = [
        rel
        for rel in files
        if rel.startswith((".github/", ".vscode/", "entries/")) or rel == "CONTRIBUTING.md"
    ]
    shared = [rel for rel in shared if rel not in NOT_FROM_TEMPLATES]
    assert len(shared) == 13
    for rel in shared:
        assert (ROOT / rel).read_text(encoding="utf-8") == files[rel], (
            f"{rel} differs from src/matrixpipe/template/collection/: edit the template, then "
            "copy what `collection_files(Answers('matrixpipe/matrixpipe', install='.'))` gives"
        )
    own_github = {p.relative_to(ROOT).as_posix() for p in (ROOT / ".github").rglob("*")}
    own_github = {rel for rel in own_github if (ROOT / rel).is_file()}
    assert own_github - NOT_FROM_TEMPLATES <= set(files), "a GitHub file with no template"


def test_templates_use_known_placeholders_only() -> None:
    for path in COLLECTION.rglob("*"):
        if path.is_file():
            for name in re.findall(r"\{\{(\w+)\}\}", path.read_text(encoding="utf-8")):
                assert name in OWN.values(), f"{path}: {{{{{name}}}}}"
    for text in collection_files(Answers("a/b")).values():
        assert not re.search(r"\{\{\w+\}\}", text)


def test_init_writes_a_collection_that_checks_and_builds_with_no_site_folder(
    tmp_path: Path, run_cli: RunCli
) -> None:
    folder = _repo_with_remote(tmp_path / "new", "https://github.com/example/collection.git")

    result = run_cli(["init", folder])

    assert result.exit_code == 0, result.output
    written = _tree(folder)
    assert set(written) == set(collection_files(Answers("example/collection")))
    for rel in (".github/workflows/publish.yml", ".gitignore", "schema/study.schema.json"):
        assert f"wrote {folder / rel}" in result.output
    assert "Next steps" in result.output and f"cd {folder}" in result.output
    assert not (folder / "site").exists()
    assert not (folder / "entries" / "studies").exists()
    assert "repo: example/collection\n" in (folder / "matrixpipe.yml").read_text()
    assert (folder / ".github" / "CODEOWNERS").read_text().endswith("/entries/ @example/editors\n")
    config = (folder / ".github" / "ISSUE_TEMPLATE" / "config.yml").read_text()
    assert "https://github.com/example/collection/blob/main/CONTRIBUTING.md" in config
    assert re.search(r"^matrixpipe>=\d+\.\d+", (folder / "requirements.txt").read_text(), re.M)
    publish = (folder / ".github" / "workflows" / "publish.yml").read_text()
    assert "python -m pip install -r requirements.txt" in publish
    settings = json.loads((folder / ".vscode" / "settings.json").read_text())
    for schema in settings["yaml.schemas"]:
        assert (folder / schema).is_file()

    check = run_cli(["check", folder])
    assert check.exit_code == 0, check.output
    assert "2 matrices, 0 cells, 0 studies: no problems" in check.output
    assert run_cli(["schema", "--check", "--out", folder / "schema"]).exit_code == 0
    build = run_cli(["build", folder, "--site-url", "https://example.github.io/collection"])
    assert build.exit_code == 0, build.output
    assert (folder / "public" / "alcohol" / "E5" / "index.html").is_file()
    assert (folder / "public" / "contributors" / "rules" / "index.html").is_file()
    assert sorted(p.name for p in (folder / "site").iterdir()) == ["docs"]


def test_example_adds_a_published_study_and_its_cell(tmp_path: Path, run_cli: RunCli) -> None:
    folder = tmp_path / "new"

    result = run_cli(["init", folder, "--repo", "my-org/matrices", "--example"])

    assert result.exit_code == 0, result.output
    study = folder / "entries" / "studies" / "probation-alcohol-offenders-2009.yaml"
    assert study.read_text() == (ROOT / study.relative_to(folder)).read_text()
    assert (folder / "entries" / "cells" / "alcohol" / "E5.md").is_file()
    check = run_cli(["check", folder])
    assert "2 matrices, 1 cell, 1 study: no problems" in check.output, check.output
    build = run_cli(["build", folder, "--site-url", "https://my-org.github.io/matrices/"])
    assert build.exit_code == 0, build.output
    page = folder / "public" / "studies" / "probation-alcohol-offenders-2009" / "index.html"
    assert "Probation struggling" in page.read_text()


def test_init_never_overwrites_and_writes_nothing_on_a_clash(
    tmp_path: Path, run_cli: RunCli
) -> None:
    folder = tmp_path / "existing"
    (folder / ".github" / "workflows").mkdir(parents=True)
    (folder / ".github" / "workflows" / "publish.yml").write_text("mine\n")
    (folder / "matrixpipe.yml").write_text("# mine\n")
    (folder / "schema").write_text("a file where a folder goes\n")
    before = _tree(folder)

    result = run_cli(["init", folder, "--repo", "a/b"])

    assert result.exit_code == 1
    assert "nothing was written" in result.output
    for rel in (".github/workflows/publish.yml", "matrixpipe.yml", "schema/study.schema.json"):
        assert f"  {rel}\n" in result.output
    assert "CONTRIBUTING.md" not in result.output
    assert _tree(folder) == before


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/example/collection.git",
        "https://github.com/example/collection",
        "https://token@github.com/example/collection.git",
        "git@github.com:example/collection.git",
        "git@github.com:example/collection",
        "ssh://git@github.com/example/collection.git",
        "ssh://git@github.com:22/example/collection.git",
    ],
)
def test_repository_name_from_the_remote(url: str) -> None:
    assert repo_from_remote(url) == "example/collection"


@pytest.mark.parametrize(
    "url", ["/srv/git/collection.git", "https://gitlab.com/a/b/c.git", "file:///x", ""]
)
def test_a_remote_naming_no_owner_and_name_is_no_answer(url: str) -> None:
    assert repo_from_remote(url) is None


def test_ssh_remote_and_repo_option(tmp_path: Path, run_cli: RunCli) -> None:
    folder = _repo_with_remote(tmp_path / "ssh", "git@github.com:someone/their-matrices.git")
    assert run_cli(["init", folder]).exit_code == 0
    assert "repo: someone/their-matrices\n" in (folder / "matrixpipe.yml").read_text()

    other = _repo_with_remote(tmp_path / "given", "git@github.com:someone/fork.git")
    assert run_cli(["init", other, "--repo", "upstream/matrices"]).exit_code == 0
    assert "repo: upstream/matrices\n" in (other / "matrixpipe.yml").read_text()


def test_no_remote_and_no_repo_is_a_usage_error(tmp_path: Path, run_cli: RunCli) -> None:
    folder = _repo_with_remote(tmp_path / "bare", None)

    result = run_cli(["init", folder])

    assert result.exit_code == 2
    assert "--repo owner/name" in result.output
    assert _tree(folder) == {}
    bad = run_cli(["init", folder, "--repo", "not a repo"])
    assert bad.exit_code == 2 and _tree(folder) == {}


def test_matrixpipe_yml_explains_every_setting() -> None:
    text = collection_files(Answers("a/b"))["matrixpipe.yml"]
    for model in (Config, SiteConfig, Edition):
        for name in model.model_fields:
            assert re.search(rf"^\s*#?\s*-?\s*{name}:", text, re.M), name
    import yaml

    assert Config.model_validate(yaml.safe_load(text)).site.repo == "a/b"

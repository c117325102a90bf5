"""The GitHub side: workflows that are safe and valid, issue forms that match the schema, hooks."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import git
import pytest

from matrixpipe.check import yamlload
from matrixpipe.publish.tree import TEMPLATE

from conftest import ENTRIES, ROOT
from tools import require

GITHUB = ROOT / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
FORMS = [GITHUB / "ISSUE_TEMPLATE" / name for name in ("suggest-study.yml", "report-problem.yml")]
# The pins of the shared ACTIONS-PINS.md, cross-checked in public workflows. A wrong SHA passes
# every offline linter and only breaks on GitHub, so the workflows may use these and no others.
PINS = {
    "actions/checkout": {
        "08c6903cd8c0fde910a37f88322edcfb5dd907a8": "v5.0.0",
        "11bd71901bbe5b1630ceea73d27597364c9af683": "v4.2.2",
    },
    "actions/setup-python": {"e797f83bcb11b83ae66e0230d6156d7c80228e7c": "v6.0.0"},
    "actions/upload-artifact": {"ea165f8d65b6e75b540449e92b4886f43607fa02": "v4.6.2"},
    "actions/configure-pages": {"983d7736d9b0ae728b81ab479565c72886d7745b": "v5"},
    "actions/upload-pages-artifact": {"7b1f4a764d45c48632c6b24a0339c27f5614fb0b": "v4"},
    "actions/deploy-pages": {"d6db90164ac5ed86f2b6aed7e0febac5b3c0c03e": "v4.0.5"},
    # Not in ACTIONS-PINS.md: v5.0.5 of actions/cache, the same SHA for the same tag in ten
    # public workflows found for issue 15 (actions/cache, /restore and /save alike).
    "actions/cache/restore": {"27d5ce7f107fe9357f9df03efb73ab90386fccae": "v5.0.5"},
    "actions/cache/save": {"27d5ce7f107fe9357f9df03efb73ab90386fccae": "v5.0.5"},
}
_USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<action>[^@\s]+)@(?P<ref>\S+)\s*(?:#\s*(?P<v>\S+))?")


def load(path: Path) -> Any:
    """YAML 1.2, so that the `on:` key stays the string "on"."""
    return yamlload.to_data(yamlload.compose(path.read_text(encoding="utf-8")))


def steps(workflow: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for job_id, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield job_id, step


def run(args: list[str], cwd: Path = ROOT, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run a command the tests need (`tools.require` names it if it is missing)."""
    command = [require(args[0]), *args[1:]]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False, **kwargs)


def test_workflows_are_there() -> None:
    assert [p.name for p in WORKFLOWS] == ["links.yml", "publish.yml", "validate.yml"]


def test_zizmor_finds_nothing() -> None:
    result = run(["zizmor", "--offline", "--no-progress", "--color", "never", ".github/"])
    assert result.returncode == 0, result.stdout + result.stderr
    hooks = run(["zizmor", "--offline", "--no-progress", "--collect=pre-commit", "."])
    assert hooks.returncode == 0, hooks.stdout + hooks.stderr


def test_workflows_match_the_github_schema() -> None:
    names = [str(p.relative_to(ROOT)) for p in WORKFLOWS]
    for schema in ("vendor.github-workflows", "custom.github-workflows-require-timeout"):
        result = run(["check-jsonschema", "--builtin-schema", schema, *names])
        assert result.returncode == 0, result.stdout + result.stderr


def test_issue_forms_match_the_github_schema() -> None:
    forms = [str(p.relative_to(ROOT)) for p in FORMS]
    result = run(["check-jsonschema", "--builtin-schema", "vendor.github-issue-forms", *forms])
    assert result.returncode == 0, result.stdout + result.stderr
    config = run(
        [
            "check-jsonschema",
            "--builtin-schema",
            "vendor.github-issue-config",
            ".github/ISSUE_TEMPLATE/config.yml",
        ]
    )
    assert config.returncode == 0, config.stdout + config.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_security(path: Path) -> None:
    workflow = load(path)
    assert "pull_request_target" not in workflow["on"]
    assert workflow.get("permissions") in ({}, {"contents": "read"})
    assert "concurrency" in workflow
    for job_id, job in workflow["jobs"].items():
        assert "permissions" in job, f"{job_id}: give every job its own, least permissions"
        if job.get("permissions", {}).get("pages") == "write":
            assert job["permissions"] == {"pages": "write", "id-token": "write"}
            assert job["environment"]["name"] == "github-pages"
    for job_id, step in steps(workflow):
        assert "${{" not in step.get("run", ""), f"{job_id}: pass expressions through env:"
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False, job_id


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_known_commit(path: Path) -> None:
    lines = [line for line in path.read_text().splitlines() if re.match(r"^\s*(-\s+)?uses:", line)]
    assert lines
    for line in lines:
        m = _USES.match(line)
        assert m, line
        assert re.fullmatch(r"[0-9a-f]{40}", m["ref"]), f"pin to a full commit SHA: {line}"
        assert PINS.get(m["action"], {}).get(m["ref"]) == m["v"], f"unknown pin: {line}"


def test_validate_runs_every_step_and_fails_at_the_end() -> None:
    workflow = load(GITHUB / "workflows" / "validate.yml")
    assert set(workflow["on"]) == {"pull_request"}
    job = workflow["jobs"]["validate"]
    assert job["env"]["BASE_REF"] == "${{ github.base_ref }}"
    by_id = {step.get("id"): step for step in job["steps"]}
    checkout = job["steps"][0]
    assert checkout["with"]["fetch-depth"] == 0
    assert by_id["check"]["continue-on-error"] is True
    assert 'matrixpipe check --base "origin/$BASE_REF" --format github' in by_id["check"]["run"]
    assert "matrixpipe build --drafts --out public" in by_id["build"]["run"]
    summary = next(s for s in job["steps"] if "matrixpipe summary" in s.get("run", ""))
    assert '>> "$GITHUB_STEP_SUMMARY"' in summary["run"]
    assert "!cancelled()" in summary["if"]
    last = job["steps"][-1]
    assert "steps.check.outcome == 'failure'" in last["if"] and "exit 1" in last["run"]


def test_publish_deploys_from_main_only() -> None:
    workflow = load(GITHUB / "workflows" / "publish.yml")
    assert workflow["on"]["push"] == {"branches": ["main"]}
    assert "workflow_dispatch" in workflow["on"]
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    assert "write" not in build["permissions"].values()
    assert deploy["needs"] == "build"
    upload = next(s for s in build["steps"] if "upload-pages-artifact" in s.get("uses", ""))
    assert upload["with"]["path"] == "public"


def test_links_is_a_weekly_report() -> None:
    workflow = load(GITHUB / "workflows" / "links.yml")
    assert workflow["on"]["schedule"] and "workflow_dispatch" in workflow["on"]
    online = next(s for _, s in steps(workflow) if "--online" in s.get("run", ""))
    assert online["continue-on-error"] is True


def _form_ids(path: Path) -> list[str]:
    return [item["id"] for item in load(path)["body"] if item["type"] != "markdown"]


def test_suggest_study_form_maps_onto_the_study_schema() -> None:
    schema = json.loads((ROOT / "schema" / "study.schema.json").read_text())
    defs = schema["$defs"]
    allowed = set(schema["properties"]) | set(defs["Source"]["properties"])
    allowed |= set(defs["Placement"]["properties"])
    ids = _form_ids(GITHUB / "ISSUE_TEMPLATE" / "suggest-study.yml")
    assert set(ids) <= allowed, set(ids) - allowed
    assert len(ids) == len(set(ids))
    for field in ("title", "organisation", "authors", "year", "url", "doi", "type"):
        assert field in ids
    for field in ("jurisdiction", "cell", "categories", "note", "summary"):
        assert field in ids
    form = {
        item["id"]: item
        for item in load(GITHUB / "ISSUE_TEMPLATE" / "suggest-study.yml")["body"]
        if "id" in item
    }
    assert form["type"]["attributes"]["options"] == defs["Source"]["properties"]["type"]["enum"]
    categories = defs["Placement"]["properties"]["categories"]["items"]["enum"]
    assert form["categories"]["attributes"]["options"] == categories


def test_contribution_files() -> None:
    assert "/entries/ @matrixpipe/editors" in (GITHUB / "CODEOWNERS").read_text()
    template = (GITHUB / "PULL_REQUEST_TEMPLATE.md").read_text()
    assert template.count("- [ ]") >= 5
    contributing = (ROOT / "CONTRIBUTING.md").read_text()
    for needle in ("matrixpipe new study", "matrixpipe fmt", "matrixpipe check", "annotation"):
        assert needle in contributing
    assert "## Path A: on the GitHub website" in contributing
    assert "## Path B: working locally" in contributing


def test_editor_settings_point_at_real_schemas() -> None:
    settings = json.loads((ROOT / ".vscode" / "settings.json").read_text())
    schemas = settings["yaml.schemas"]
    assert schemas == {
        "./schema/study.schema.json": "entries/studies/*.yaml",
        "./schema/matrix.schema.json": "entries/matrices/*.yaml",
    }
    for path in schemas:
        assert (ROOT / path).is_file()
    extensions = json.loads((ROOT / ".vscode" / "extensions.json").read_text())
    assert "redhat.vscode-yaml" in extensions["recommendations"]
    page = (TEMPLATE / "pages" / "contributors" / "editors.md").read_text()
    for needle in ("VS Code", "JetBrains", "Neovim", "yaml-language-server: $schema="):
        assert needle in page


def test_pre_commit_files_are_valid() -> None:
    assert run(["pre-commit", "validate-manifest", ".pre-commit-hooks.yaml"]).returncode == 0
    assert run(["pre-commit", "validate-config", ".pre-commit-config.yaml"]).returncode == 0
    hooks = {hook["id"]: hook for hook in load(ROOT / ".pre-commit-hooks.yaml")}
    assert hooks["matrixpipe-check"]["entry"] == "matrixpipe check"
    assert hooks["matrixpipe-check"]["pass_filenames"] is False
    assert hooks["matrixpipe-fmt"]["entry"] == "matrixpipe fmt"


_CACHES = shutil.ignore_patterns("__pycache__", "*.egg-info", ".*_cache", ".hypothesis")
_NOT_NEEDED = {".git", ".venv", "node_modules", "build", "dist", "public", "tests", "benchmarks"}


def _snapshot(directory: str, names: list[str]) -> set[str]:
    """What a copy of the repository for installing it leaves out: caches, history, heavy folders."""
    skipped = set(_CACHES(directory, names))
    return skipped | (_NOT_NEEDED & set(names) if Path(directory) == ROOT else set())


def _commit_all(path: Path, message: str) -> None:
    repo = git.Repo.init(path, initial_branch="main")
    with repo.config_writer() as cfg:
        cfg.set_value("user", "name", "Test Editor")
        cfg.set_value("user", "email", "editor@example.org")
    repo.git.add("--all")
    repo.index.commit(message)


def test_pre_commit_try_repo_runs_both_hooks(tmp_path: Path) -> None:
    # try-repo installs the hook repository's HEAD plus edits to tracked files, not new files:
    # commit a snapshot of the working tree, so the hooks tested are the ones on disk.
    hooks = tmp_path / "hooks"
    shutil.copytree(ROOT, hooks, ignore=_snapshot)
    _commit_all(hooks, "snapshot of the working tree")
    collection = tmp_path / "collection"
    shutil.copytree(ENTRIES, collection / "entries")
    _commit_all(collection, "the bundled collection")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "NO_COLOR": "1"}
    result = run(
        ["pre-commit", "try-repo", str(hooks), "--all-files", "--color", "never"],
        cwd=collection,
        env=env,
        timeout=900,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert re.search(r"matrixpipe check\.+Passed", output), output
    assert re.search(r"matrixpipe fmt\.+Passed", output), output


def test_only_the_default_branch_saves_the_cache() -> None:
    """A pull request's job must never write a cache that the published build reads: only the
    publish workflow saves one, and only on the default branch; it restores by version."""
    import yaml

    savers = []
    for path in WORKFLOWS:
        workflow = yaml.safe_load(path.read_text())
        for job in workflow["jobs"].values():
            for step in job.get("steps", []):
                if str(step.get("uses", "")).startswith("actions/cache/save@"):
                    savers.append((path.name, step))
                assert not str(step.get("uses", "")).startswith("actions/cache@"), (
                    f"{path.name}: actions/cache saves at the end of any run; use restore/save"
                )
    assert [name for name, _ in savers] == ["publish.yml"]
    guard = savers[0][1]["if"]
    assert guard == "github.ref == format('refs/heads/{0}', github.event.repository.default_branch)"
    assert "steps.matrixpipe.outputs.version" in savers[0][1]["with"]["key"]

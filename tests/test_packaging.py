"""What the distribution says about itself (licence, metadata, typing), the bundled CSL style's
credit, and this repository's own Dependabot and pre-commit configuration, checked by the real
validators (check-jsonschema, pre-commit)."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import git
import yaml
from packaging.licenses import canonicalize_license_expression
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from conftest import ROOT
from tools import require

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]
PACKAGE = ROOT / "src" / "matrixpipe"
CSL = "{http://purl.org/net/xbiblio/csl}"
CC_BY_SA_3 = "http://creativecommons.org/licenses/by-sa/3.0/"


def run(args: list[str], cwd: Path = ROOT, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    command = [require(args[0]), *args[1:]]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False, **kwargs)


# --- licence and metadata ------------------------------------------------------------------


def test_licence_is_mit_and_the_style_keeps_its_own() -> None:
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License\n")
    assert "Copyright (c) 2026 matrixpipe contributors" in licence
    # PEP 639: an SPDX expression for everything the wheel holds, and no licence classifier.
    assert canonicalize_license_expression(PROJECT["license"]) == "MIT AND CC-BY-SA-3.0"
    assert not [c for c in PROJECT["classifiers"] if c.startswith("License ::")]
    files = PROJECT["license-files"]
    assert "LICENSE" in files and "src/matrixpipe/data/csl/NOTICE" in files
    for pattern in files:
        assert list(ROOT.glob(pattern)), f"license-files: {pattern} matches nothing"
    setuptools = Requirement(PYPROJECT["build-system"]["requires"][0])
    assert setuptools.name == "setuptools"
    assert "76" not in setuptools.specifier and "77" in setuptools.specifier  # PEP 639 support


def test_typed_package_and_classifiers() -> None:
    assert (PACKAGE / "py.typed").is_file()
    assert "py.typed" in PYPROJECT["tool"]["setuptools"]["package-data"]["matrixpipe"]
    classifiers = PROJECT["classifiers"]
    assert "Typing :: Typed" in classifiers and "Framework :: MkDocs" in classifiers
    assert any(c.startswith("Development Status :: ") for c in classifiers)
    versions = sorted(
        c.rsplit(" ", 1)[1]
        for c in classifiers
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    )
    assert versions == ["3.11", "3.12", "3.13"]
    assert all(v in SpecifierSet(PROJECT["requires-python"]) for v in versions)
    assert {"Homepage", "Documentation", "Issues", "Source"} <= set(PROJECT["urls"])
    assert PROJECT["keywords"]


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_jsonschema_is_a_test_dependency_only() -> None:
    runtime = {Requirement(r).name.lower() for r in PROJECT["dependencies"]}
    test = {Requirement(r).name.lower() for r in PROJECT["optional-dependencies"]["test"]}
    assert "jsonschema" not in runtime and "jsonschema" in test
    users = [p for p in PACKAGE.rglob("*.py") if "jsonschema" in _imports(p)]
    assert not users, f"the package imports jsonschema: make it a runtime dependency again {users}"


# --- the bundled CSL style -----------------------------------------------------------------


def test_bundled_style_credits_the_style_it_adapts() -> None:
    info = ET.parse(PACKAGE / "data" / "csl" / "apa.csl").getroot().find(f"{CSL}info")
    assert info is not None
    links = {(link.get("rel"), link.get("href")) for link in info.iter(f"{CSL}link")}
    assert ("template", "http://www.zotero.org/styles/apa") in links
    contributors = [c.findtext(f"{CSL}name") for c in info.iter(f"{CSL}contributor")]
    assert "Brenton M. Wiernik" in contributors
    rights = info.find(f"{CSL}rights")
    assert rights is not None and rights.get("license") == CC_BY_SA_3
    notice = (PACKAGE / "data" / "csl" / "NOTICE").read_text(encoding="utf-8")
    for needle in ("CC BY-SA 3.0", "https://creativecommons.org/licenses/by-sa/3.0/", "Wiernik"):
        assert needle in notice
    assert "http://www.zotero.org/styles/apa" in notice


# --- Dependabot ----------------------------------------------------------------------------


def test_dependabot_config_matches_the_schema() -> None:
    path = ROOT / ".github" / "dependabot.yml"
    result = run(["check-jsonschema", "--builtin-schema", "vendor.dependabot", str(path)])
    assert result.returncode == 0, result.stdout + result.stderr
    updates = {u["package-ecosystem"]: u for u in yaml.safe_load(path.read_text())["updates"]}
    assert {"github-actions", "pip", "pre-commit"} <= set(updates)
    for ecosystem, update in updates.items():
        assert update["schedule"]["interval"] == "weekly", ecosystem
        assert update["groups"], ecosystem
        assert update["cooldown"]["default-days"] >= 3, ecosystem


# --- pre-commit ----------------------------------------------------------------------------


def _config() -> dict[str, Any]:
    return yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))


def test_pre_commit_config_is_valid_and_pins_released_hooks() -> None:
    result = run(["pre-commit", "validate-config", ".pre-commit-config.yaml"])
    assert result.returncode == 0, result.stdout + result.stderr
    repos = {repo["repo"]: repo for repo in _config()["repos"]}
    ruff = repos["https://github.com/astral-sh/ruff-pre-commit"]
    assert re.fullmatch(r"v\d+\.\d+\.\d+", ruff["rev"]), "a ruff release tag, not a branch"
    assert [h["id"] for h in ruff["hooks"]] == ["ruff-check", "ruff-format"]
    schemas = repos["https://github.com/python-jsonschema/check-jsonschema"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", schemas["rev"]), "a check-jsonschema release tag"
    assert {h["id"] for h in schemas["hooks"]} == {"check-github-workflows", "check-dependabot"}
    local = {h["id"]: h for h in repos["local"]["hooks"]}
    assert set(local) == {"matrixpipe-fmt", "matrixpipe-check", "matrixpipe-schema"}
    schema = local["matrixpipe-schema"]
    assert schema["entry"] == "matrixpipe schema --check" and schema["pass_filenames"] is False
    for path in ("src/matrixpipe/models/entries.py", "schema/study.schema.json"):
        assert re.search(schema["files"], path), path
    assert not re.search(schema["files"], "entries/studies/a-2020.yaml")


def _commit_all(path: Path) -> None:
    repo = git.Repo.init(path, initial_branch="main")
    with repo.config_writer() as cfg:
        cfg.set_value("user", "name", "Test Editor")
        cfg.set_value("user", "email", "editor@example.org")
    repo.git.add("--all")
    repo.index.commit("snapshot")


def test_pre_commit_runs_the_schema_hook(tmp_path: Path) -> None:
    """The local hooks need nothing from the network: run `matrixpipe schema --check` through
    pre-commit on a copy of schema/, then on a stale copy."""
    work = tmp_path / "repo"
    (work / "schema").mkdir(parents=True)
    for path in (ROOT / "schema").rglob("*"):
        if path.is_file():
            target = work / path.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    local = [repo for repo in _config()["repos"] if repo["repo"] == "local"]
    (work / ".pre-commit-config.yaml").write_text(json.dumps({"repos": local}), encoding="utf-8")
    _commit_all(work)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "NO_COLOR": "1"}
    args = ["pre-commit", "run", "matrixpipe-schema", "--all-files", "--color", "never"]
    fresh = run(args, cwd=work, env=env, timeout=300)
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert re.search(r"matrixpipe schema --check\.+Passed", fresh.stdout), fresh.stdout
    study = work / "schema" / "study.schema.json"
    data = json.loads(study.read_text(encoding="utf-8"))
    data["title"] = "Stale"
    study.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    stale = run(args, cwd=work, env=env, timeout=300)
    assert stale.returncode == 1, stale.stdout + stale.stderr
    assert re.search(r"matrixpipe schema --check\.+Failed", stale.stdout), stale.stdout

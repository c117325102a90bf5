"""Every command the tests run is installed by `.ci/run`, and a missing one is named."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tools import ROOT, TOOLS, missing, require


def test_every_tool_the_tests_run_is_here() -> None:
    assert missing() == []


def test_a_missing_tool_fails_naming_it_and_its_install_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(pytest.fail.Exception, match=r"zizmor is not installed: install it with"):
        require("zizmor")


def test_the_ci_step_lists_every_missing_tool() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "tools.py")],
        env={"PATH": "/nonexistent"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    for name in TOOLS:
        assert f"tests need {name}: not found on PATH" in result.stderr


def test_ci_installs_the_python_tools_through_the_test_extra() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for name in ("zizmor", "pre-commit", "check-jsonschema"):
        assert f'"{name}>=' in pyproject
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'pip install -q -e ".[test]"' in script
    assert "python tests/tools.py" in script

"""The commands the tests run besides Python, and how `.ci/run` installs each one.

`python tests/tools.py` (a step of `.ci/run`) exits 1 naming every missing command; tests call
`require` so that a missing tool fails with its name and its install step, never with a
`FileNotFoundError` deep inside a test.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TOOLS: dict[str, str] = {
    "git": "apt-get install git",
    "chromium": "apt-get install chromium (as .ci/run does)",
    "node": "apt-get install nodejs npm",
    "openssl": "apt-get install openssl",
    "zizmor": 'pip install -e ".[test]"',
    "pre-commit": 'pip install -e ".[test]"',
    "check-jsonschema": 'pip install -e ".[test]"',
    "matrixpipe": 'pip install -e ".[test]"',
}
FILES: dict[Path, str] = {
    ROOT / "node_modules" / "axe-core" / "axe.min.js": "npm ci",
}


def missing() -> list[str]:
    """One line per command or file the tests need that is not here, with how to install it."""
    lines = [
        f"{name}: not found on PATH; install it with `{how}`"
        for name, how in TOOLS.items()
        if shutil.which(name) is None
    ]
    lines += [
        f"{path.relative_to(ROOT)}: missing; run `{how}`"
        for path, how in FILES.items()
        if not path.exists()
    ]
    return lines


def require(name: str) -> str:
    """The full path of a command the tests run; fails the test, naming it, if it is missing."""
    import pytest

    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: install it with `{TOOLS[name]}`", pytrace=False)
    return found


if __name__ == "__main__":
    problems = missing()
    for line in problems:
        print(f"tests need {line}", file=sys.stderr)
    sys.exit(1 if problems else 0)

"""Shell completion (docs/completion.md): Click's scripts, and the answers the installed command
gives them, run through the real `matrixpipe` and the real bash."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT
from tools import require


def complete(shell: str, words: str, cword: int | str) -> list[str]:
    """What `matrixpipe` answers to a `<shell>_complete` request, as the scripts send it: bash and
    zsh pass the index of the word being completed, fish the word itself."""
    env = {
        **os.environ,
        "_MATRIXPIPE_COMPLETE": f"{shell}_complete",
        "COMP_WORDS": words,
        "COMP_CWORD": str(cword),
    }
    result = subprocess.run(
        [require("matrixpipe")], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def source(shell: str) -> str:
    env = {**os.environ, "_MATRIXPIPE_COMPLETE": f"{shell}_source"}
    result = subprocess.run(
        [require("matrixpipe")], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_bash_complete_answers_a_command_prefix() -> None:
    assert complete("bash", "matrixpipe ch", 1) == ["plain,check"]


def test_bash_complete_answers_subcommands_options_and_choices() -> None:
    assert complete("bash", "matrixpipe new ", 2) == ["plain,cell", "plain,study"]
    assert complete("bash", "matrixpipe export --format c", 3) == ["plain,csv", "plain,csl-json"]
    assert "plain,--strict" in complete("bash", "matrixpipe check --", 2)
    assert complete("bash", "matrixpipe import ", 2) == ["file,"]


def test_zsh_and_fish_complete_answer_too() -> None:
    zsh = complete("zsh", "matrixpipe ch", 1)
    assert zsh[:2] == ["plain", "check"] and len(zsh) == 3  # type, value, help
    fish = complete("fish", "matrixpipe ch", "ch")
    assert len(fish) == 1 and fish[0].startswith("plain,check\tCheck every entry")


def test_source_scripts_register_the_command() -> None:
    assert "complete -o nosort -F _matrixpipe_completion matrixpipe" in source("bash")
    assert "compdef _matrixpipe_completion matrixpipe" in source("zsh")
    assert "complete --no-files --command matrixpipe" in source("fish")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("matrixpipe ch", ["check"]),
        ("matrixpipe export --format c", ["csv", "csl-json"]),
        ("matrixpipe new s", ["study"]),
    ],
)
def test_bash_source_script_completes_in_bash(line: str, expected: list[str]) -> None:
    """Source the generated script in a real bash and call the completion function as bash's
    `complete -F` would, with COMP_WORDS and COMP_CWORD set for the line being typed."""
    bash = shutil.which("bash")
    assert bash, "bash is needed for the shell completion test"
    words = line.split(" ")
    script = (
        'eval "$(_MATRIXPIPE_COMPLETE=bash_source matrixpipe)"\n'
        f"COMP_WORDS=({' '.join(words)})\n"
        f"COMP_CWORD={len(words) - 1}\n"
        "COMPREPLY=()\n"
        "_matrixpipe_completion matrixpipe\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    # The script runs `matrixpipe` from PATH: the one installed next to this Python first.
    path = os.pathsep.join([str(Path(require("matrixpipe")).parent), os.environ["PATH"]])
    env = {**os.environ, "PATH": path}
    env.pop("_MATRIXPIPE_COMPLETE", None)
    result = subprocess.run(
        [bash, "--norc", "--noprofile", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == expected, result.stdout + result.stderr


def test_completion_is_documented() -> None:
    page = (ROOT / "docs" / "completion.md").read_text(encoding="utf-8")
    for needle in ("bash_source", "zsh_source", "fish_source", "bash_complete"):
        assert needle in page
    assert 'COMP_WORDS="matrixpipe ch" COMP_CWORD=1 _MATRIXPIPE_COMPLETE=bash_complete' in page

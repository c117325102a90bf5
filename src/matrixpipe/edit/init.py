"""`matrixpipe init`: write a new collection that checks and builds at once.

The files come from the package's templates (`matrixpipe/template/collection/`, and
`template/example/` with `--example`), which are the single source of this repository's own
`.github/` files, `CONTRIBUTING.md`, `.vscode/` settings and matrices too (a test keeps them
equal). A leading `dot-` in a template's path stands for the `.` of the file it writes
(`dot-github/` → `.github/`): a package keeps no hidden files, and a `.gitignore` or workflow
inside the package would act on this repository.

Templates hold `{{name}}` placeholders (never GitHub's `${{ … }}`), filled from `Answers`:

- `repo`, `owner`: the GitHub repository (`owner/name`), from `--repo` or the `origin` remote;
- `install`: what the workflows and CONTRIBUTING.md give `pip install`: a collection installs
  `-r requirements.txt`, which names a matrixpipe release (`requirement`); matrixpipe's own
  repository installs `.`, its own code. That is the one difference between this repository's
  files and those `init` writes for it.

The JSON Schemas in `schema/` are generated from the content model, as `matrixpipe schema`
writes them. Nothing is ever overwritten: when any target exists, `init` lists every clash and
writes nothing.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from matrixpipe.diagnostics import ExitCode
from matrixpipe.errors import MatrixpipeError

TEMPLATES = Path(__file__).resolve().parent.parent / "template"
COLLECTION = TEMPLATES / "collection"
EXAMPLE = TEMPLATES / "example"
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
# https://github.com/o/n(.git), ssh://git@github.com/o/n.git, git@github.com:o/n.git
_REMOTE = re.compile(
    r"^(?:[a-z+]+://(?:[^@/]+@)?[^/]+/|[^@:/]+@[^:/]+:)(?P<repo>[^/]+/[^/]+?)(?:\.git)?/?$"
)


class InitError(MatrixpipeError):
    """`matrixpipe init` cannot tell what to write (exit 2)."""


@dataclass(frozen=True)
class Answers:
    """What fills the templates' placeholders."""

    repo: str
    """The GitHub repository, owner/name."""
    install: str = "-r requirements.txt"
    """What the workflows and CONTRIBUTING.md pass to `pip install`."""
    requirement: str = ""
    """The line of requirements.txt naming matrixpipe; default: this version or newer."""

    @property
    def owner(self) -> str:
        return self.repo.partition("/")[0]

    def values(self) -> dict[str, str]:
        return {
            "repo": self.repo,
            "owner": self.owner,
            "install": self.install,
            "requirement": self.requirement or f"matrixpipe>={version('matrixpipe')}",
        }


def target_path(template: str) -> str:
    """Where a template file goes: `dot-github/CODEOWNERS` → `.github/CODEOWNERS`."""
    return "/".join(
        "." + part[len("dot-") :] if part.startswith("dot-") else part
        for part in template.split("/")
    )


def fill(text: str, values: dict[str, str], where: str) -> str:
    """Replace every `{{name}}`; an unknown name is a bug in the template."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise InitError(f"template {where}: unknown placeholder {{{{{name}}}}}")
        return values[name]

    return _PLACEHOLDER.sub(one, text)


def template_files(folder: Path, answers: Answers) -> dict[str, str]:
    """Every file of a template folder, by the path it is written to, placeholders filled."""
    values = answers.values()
    files = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if "__pycache__" in path.parts:
            continue
        rel = path.relative_to(folder).as_posix()
        files[target_path(rel)] = fill(path.read_text(encoding="utf-8"), values, rel)
    return files


def collection_files(answers: Answers, example: bool = False) -> dict[str, str]:
    """Every file `init` writes, by its path in the new collection."""
    from matrixpipe.models.schemas import expected_files

    files = template_files(COLLECTION, answers)
    files.update({f"schema/{name}": text for name, text in expected_files().items()})
    if example:
        files.update(template_files(EXAMPLE, answers))
    return dict(sorted(files.items()))


def repo_from_remote(url: str) -> str | None:
    """owner/name from a Git remote URL, https or ssh form; None if it is neither."""
    match = _REMOTE.match(url.strip())
    if match is None or not _REPO.match(match.group("repo")):
        return None
    return match.group("repo")


def origin_repo(folder: Path) -> str | None:
    """owner/name from the `origin` remote of the Git repository at or above `folder`."""
    import git

    try:
        repo = git.Repo(folder, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    try:
        urls = list(repo.remote("origin").urls)
    except (ValueError, git.GitCommandError):
        return None
    return repo_from_remote(urls[0]) if urls else None


def resolve_repo(folder: Path, given: str | None) -> str:
    """The repository's owner/name: `--repo`, else the `origin` remote."""
    if given is not None:
        if not _REPO.match(given):
            raise InitError(f"--repo {given!r}: give the GitHub repository as owner/name")
        return given
    found = origin_repo(folder)
    if found is None:
        raise InitError(
            f"{folder}: no Git remote `origin` naming a repository (https or ssh); "
            "pass --repo owner/name"
        )
    return found


def clashes(folder: Path, paths: list[str]) -> list[str]:
    """The target paths that exist already (or lie under a file that does)."""
    found = []
    for rel in paths:
        path = folder / rel
        if path.exists() or path.is_symlink():
            found.append(rel)
            continue
        parent = path.parent
        while parent != folder and not parent.is_dir():
            if parent.exists() or parent.is_symlink():
                found.append(rel)
                break
            parent = parent.parent
    return found


def run_init(folder: Path, repo: str | None, example: bool) -> int:
    """`matrixpipe init`: write the collection, or nothing if any file would be overwritten."""
    from matrixpipe.fsutil import write_atomic

    if folder.exists() and not folder.is_dir():
        raise InitError(f"{folder}: not a folder")
    answers = Answers(resolve_repo(_existing(folder), repo))
    files = collection_files(answers, example)
    taken = clashes(folder, list(files))
    if taken:
        print(
            f"matrixpipe: error: {len(taken)} file(s) already exist in {folder}; "
            "nothing was written:",
            file=sys.stderr,
        )
        for rel in taken:
            print(f"  {rel}", file=sys.stderr)
        return int(ExitCode.FINDINGS)
    for rel, text in files.items():
        write_atomic(folder / rel, text)
        print(f"wrote {folder / rel}")
    print(_next_steps(folder, answers, example))
    return int(ExitCode.OK)


def _existing(folder: Path) -> Path:
    """`folder`, or its nearest ancestor that exists (where Git looks for the remote)."""
    folder = folder.absolute()
    while not folder.exists():
        folder = folder.parent
    return folder


def _next_steps(folder: Path, answers: Answers, example: bool) -> str:
    go = "" if folder.resolve() == Path.cwd().resolve() else f"cd {folder}\n  "
    first = (
        "matrixpipe build              # the site, with the example study, into public/"
        if example
        else "matrixpipe new study          # your first study (`--help` lists the options)"
    )
    return f"""
A new collection for github.com/{answers.repo}. Next steps:

  {go}python -m venv .venv && . .venv/bin/activate && pip install -r requirements.txt
  matrixpipe check              # the collection is valid
  {first}
  matrixpipe serve              # preview the site at http://127.0.0.1:8000

Then commit and push. On GitHub, set Settings → Pages → Source to "GitHub Actions" so that the
Publish workflow can deploy the site, and create the team @{answers.owner}/editors named in
.github/CODEOWNERS (or name the editors there)."""

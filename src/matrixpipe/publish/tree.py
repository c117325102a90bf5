"""The site's folders: the packaged template, the collection's layers over it, and the
generated docs folder (hand-written pages copied in, generated files beside them).

The site template ships in the package (`matrixpipe/template/site/`: `mkdocs.yml`, theme
`overrides/`, default `pages/`). A collection's `site/` holds only what it changes, and needs
not exist: `site/mkdocs.yml` replaces the packaged config whole, `site/overrides/` is searched
before the packaged overrides (file by file), and `site/pages/` replaces default pages of the
same path and adds others. The generated docs go to `site/docs/` (made on demand, ignored by Git).

The folder is synchronised, not rebuilt: only files whose content changed are rewritten (each
atomically) and files no longer generated are removed. `matrixpipe serve` relies on this, since
MkDocs' watcher then rebuilds only when something really changed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from matrixpipe.errors import MatrixpipeError


class SiteError(MatrixpipeError):
    """The site folder is missing something the render needs, or a hand-written page clashes."""


TEMPLATE = Path(__file__).resolve().parent.parent / "template" / "site"
"""The site template shipped in the package: `mkdocs.yml`, the theme `overrides/` and the
default hand-written `pages/`. A collection's `site/` holds only what it changes."""


def site_dir(repo: Path) -> Path:
    """The collection's `site/` folder, which may not exist: its own `mkdocs.yml` (optional,
    used instead of the packaged one), `overrides/` and `pages/` (each layered over the
    packaged ones), and the generated `docs/`."""
    return repo / "site"


def docs_dir(repo: Path) -> Path:
    """The generated docs folder, `site/docs/` (made by the render, ignored by Git)."""
    return site_dir(repo) / "docs"


def mkdocs_file(repo: Path) -> Path:
    """The MkDocs config the site is built with: the collection's `site/mkdocs.yml` if it has
    one (whole: it replaces the packaged config, it is not merged with it), else the packaged
    one."""
    own = site_dir(repo) / "mkdocs.yml"
    return own if own.is_file() else TEMPLATE / "mkdocs.yml"


def overrides_layers(repo: Path) -> list[Path]:
    """The theme override folders, first wins: the collection's `site/overrides/` (if any),
    then the packaged overrides. Both come before Material's own templates."""
    own = site_dir(repo) / "overrides"
    return [*([own] if own.is_dir() else []), TEMPLATE / "overrides"]


def pages_layers(repo: Path) -> list[Path]:
    """The hand-written page folders, lowest first: the packaged default pages, then the
    collection's `site/pages/` (a page there replaces the default page of the same path)."""
    return [TEMPLATE / "pages", site_dir(repo) / "pages"]


def hand_written(repo: Path) -> dict[str, bytes]:
    """Every hand-written page by its path in the docs folder: the packaged default pages with
    the collection's `site/pages/` on top."""
    pages: dict[str, bytes] = {}
    for folder in pages_layers(repo):
        pages.update(_files(folder))
    return dict(sorted(pages.items()))


def clash_message(repo: Path, path: str) -> str:
    """What to say when the hand-written page at docs path `path` has the path of a generated
    page: the collection's `site/pages/<path>` can be renamed; a default page cannot."""
    if (site_dir(repo) / "pages" / path).is_file():
        return f"site/pages/{path} has the path of a generated page; rename or remove it"
    return (
        f"matrixpipe's default page {path} has the path of a generated page; give the matrix "
        "or entry whose page goes there another id"
    )


def template_files(repo: Path) -> list[tuple[str, Path]]:
    """Every file of the site template the build reads, each named by its layer and path
    (`package:overrides/main.html`, `collection:mkdocs.yml`): the MkDocs config, then the
    overrides and pages of both layers."""
    config = mkdocs_file(repo)
    files = [(f"{'package' if config.parent == TEMPLATE else 'collection'}:mkdocs.yml", config)]
    for label, root in (("package", TEMPLATE), ("collection", site_dir(repo))):
        for folder in ("overrides", "pages"):
            files += [
                (f"{label}:{p.relative_to(root).as_posix()}", p)
                for p in sorted(_files_under(root / folder))
            ]
    return files


def _files_under(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return [p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")]


def _files(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (none if it is missing), by its relative path."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(_files_under(folder))}


def merge(
    generated: Iterable[tuple[str, str]], pages: dict[str, bytes]
) -> Iterator[tuple[str, bytes]]:
    """Generated and hand-written files as one stream; a clash is an error, not a silent pick."""
    for path, text in generated:
        if path in pages:
            raise SiteError(
                f"site/pages/{path} has the path of a generated page; rename or remove it"
            )
        yield path, text.encode("utf-8")
    yield from pages.items()


def write_changed(
    files: Iterable[tuple[str, bytes]], docs: Path, record: list[str] | None = None
) -> tuple[set[str], int]:
    """Write each file that is new or differs, as it comes; (every path seen, how many
    written). The paths written are added to `record`, if given."""
    changed = 0
    tree: set[str] = set()
    for rel, data in files:
        tree.add(rel)
        path = docs / rel
        if path.is_file() and path.read_bytes() == data:
            continue
        _write_bytes(path, data)
        changed += 1
        if record is not None:
            record.append(rel)
    return tree, changed


def remove_stale(docs: Path, tree: set[str], record: list[str] | None = None) -> int:
    """Remove the files of `docs` not in `tree`, and the folders left empty; how many files.
    The paths removed are added to `record`, if given."""
    removed = 0
    for path in sorted(docs.rglob("*"), reverse=True):
        rel = path.relative_to(docs).as_posix()
        if path.is_file() and rel not in tree:
            path.unlink()
            removed += 1
            if record is not None:
                record.append(rel)
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return removed


def _write_bytes(path: Path, data: bytes) -> None:
    """Write beside the target, then rename over it, so no reader sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)

"""The generated docs folder: hand-written pages copied in, generated files beside them.

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


def site_dir(repo: Path) -> Path:
    """The collection's `site/` folder, holding `mkdocs.yml`, `pages/` and `overrides/`."""
    site = repo / "site"
    if not (site / "mkdocs.yml").is_file():
        raise SiteError(f"{site / 'mkdocs.yml'}: not found; the site needs its MkDocs config")
    return site


def hand_written(pages: Path) -> dict[str, bytes]:
    """Every file under `site/pages/`, by its path in the docs folder."""
    if not pages.is_dir():
        return {}
    return {
        p.relative_to(pages).as_posix(): p.read_bytes()
        for p in sorted(pages.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


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

"""The generated docs folder: hand-written pages copied in, generated files beside them.

The folder is synchronised, not rebuilt: only files whose content changed are rewritten (each
atomically) and files no longer generated are removed. `matrixpipe serve` relies on this, since
MkDocs' watcher then rebuilds only when something really changed.
"""

from __future__ import annotations

import os
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


def merge(generated: dict[str, str], pages: dict[str, bytes]) -> dict[str, bytes]:
    """Generated and hand-written files in one tree; a clash is an error, not a silent pick."""
    clashes = sorted(set(generated) & set(pages))
    if clashes:
        raise SiteError(
            f"site/pages/{clashes[0]} has the path of a generated page; rename or remove it"
        )
    tree = {path: text.encode("utf-8") for path, text in generated.items()}
    tree.update(pages)
    return tree


def sync(tree: dict[str, bytes], docs: Path) -> int:
    """Make `docs` hold exactly `tree`; returns how many files were written or removed."""
    docs.mkdir(parents=True, exist_ok=True)
    changed = 0
    for rel, data in tree.items():
        path = docs / rel
        if path.is_file() and path.read_bytes() == data:
            continue
        _write_bytes(path, data)
        changed += 1
    for path in sorted(docs.rglob("*"), reverse=True):
        rel = path.relative_to(docs).as_posix()
        if path.is_file() and rel not in tree:
            path.unlink()
            changed += 1
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return changed


def _write_bytes(path: Path, data: bytes) -> None:
    """Write beside the target, then rename over it, so no reader sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)

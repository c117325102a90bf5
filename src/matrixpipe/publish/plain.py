"""The plain MkDocs project `matrixpipe render` writes beside the generated docs folder, so that
`mkdocs build -f site/mkdocs.rendered.yml` (or Zensical) builds the rendered tree without
matrixpipe.

`matrixpipe build` and `serve` load the config in memory instead (`site.load_mkdocs_config`),
with the theme's template folders layered. A plain MkDocs config names one `custom_dir`, so the
render merges the layers into `site/theme/` (the packaged overrides, then the config's own
`custom_dir`, then the collection's `site/overrides/`, each file replacing the one before) and
writes the config (the collection's `site/mkdocs.yml` or the packaged one, with the settings of
`matrixpipe.yml`) to `site/mkdocs.rendered.yml`. Both are generated, ignored by Git, and
rewritten only where their bytes change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matrixpipe.config import SiteConfig
from matrixpipe.publish import search
from matrixpipe.publish.tree import (
    TEMPLATE,
    SiteError,
    mkdocs_file,
    overrides_layers,
    remove_stale,
    site_dir,
    write_changed,
)

RENDERED_CONFIG = "mkdocs.rendered.yml"
THEME = "theme"
_HEADER = """\
# Written by `matrixpipe render`, again on every render: do not edit. The site's MkDocs config
# ({source}) with the settings of matrixpipe.yml, the generated docs/ and the
# theme overrides merged into theme/. Build with `mkdocs build -f site/{name}`
# or Zensical; `matrixpipe build` needs no such file.
"""


def write_plain_project(repo: Path, site: SiteConfig) -> Path:
    """Write `site/theme/` and `site/mkdocs.rendered.yml`; returns the config's path."""
    import yaml

    source = mkdocs_file(repo)
    raw = _load(source)
    theme = raw.get("theme") or {}
    theme = {"name": theme} if isinstance(theme, str) else dict(theme)
    layers = _theme_layers(repo, source, theme.get("custom_dir"))
    folder = site_dir(repo)
    tree, _ = write_changed(_merged(layers), folder / THEME)
    remove_stale(folder / THEME, tree)
    raw.update(
        {
            "site_name": site.title,
            "site_url": site.url,
            **search.mkdocs_overrides(site.search, source),
            "docs_dir": "docs",
            "site_dir": "public",
            "theme": {**theme, "custom_dir": THEME},
        }
    )
    try:
        body = yaml.safe_dump(raw, sort_keys=False, allow_unicode=True, width=100)
    except yaml.YAMLError as exc:
        raise SiteError(f"{source}: cannot be written as a plain MkDocs config: {exc}") from None
    label = "matrixpipe's own" if source.parent == TEMPLATE else "site/mkdocs.yml"
    text = _HEADER.format(source=label, name=RENDERED_CONFIG) + body
    target = folder / RENDERED_CONFIG
    write_changed([(RENDERED_CONFIG, text.encode("utf-8"))], folder)
    return target


def _load(source: Path) -> dict[str, Any]:
    from mkdocs.utils.yaml import yaml_load

    with source.open(encoding="utf-8") as fd:
        raw = yaml_load(fd) or {}
    if not isinstance(raw, dict):
        raise SiteError(f"{source}: not a MkDocs config (a mapping of settings)")
    return raw


def _theme_layers(repo: Path, source: Path, custom_dir: Any) -> list[Path]:
    """The template folders, lowest first: packaged, the config's `custom_dir`, the collection's."""
    *own, packaged = overrides_layers(repo)
    custom = [source.parent / str(custom_dir)] if custom_dir else []
    layers: dict[Path, Path] = {}
    for folder in (packaged, *custom, *own):
        if folder.is_dir():
            layers.pop(folder.resolve(), None)
            layers[folder.resolve()] = folder
    return list(layers.values())


def _merged(layers: list[Path]) -> list[tuple[str, bytes]]:
    files: dict[str, bytes] = {}
    for folder in layers:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                files[path.relative_to(folder).as_posix()] = path.read_bytes()
    return sorted(files.items())

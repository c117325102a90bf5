"""The site's search: Material's built-in index, or Pagefind for large collections.

Material's search ships one index of the whole site (`search/search_index.json`), which every
reader downloads before the first result: 9.1 MB at 2,000 studies, 44.8 MB at 10,000. Pagefind
splits its index into fragments and the browser fetches only those a query needs, so a first
result costs under 1 MB in all at either size (site/pages/contributors/search.md). `matrixpipe.yml` chooses:

    site:
      search: pagefind   # default: material

With `pagefind`, the build (not a MkDocs plugin: the logic stays in matrixpipe) loads
`mkdocs.yml` without the `search` plugin and tells the theme overrides through
`extra.matrixpipe_search`; the overrides then mark the article body `data-pagefind-body` and put
Pagefind's UI in the header. After MkDocs, `python -m pagefind` indexes the built folder, before
the new site is swapped in.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

MATERIAL = "material"
PAGEFIND = "pagefind"
EXTRA_KEY = "matrixpipe_search"
"""`extra.matrixpipe_search` in the MkDocs config: how the theme overrides learn the engine."""

_SEARCH_PLUGINS = {"search", "material/search"}
# Inside the article body, but no content: the permalink marks after headings, what the render
# keeps out of Material's search (action rows), buttons, download links, the breadcrumb, and the
# badge legend and reading hint that every cell page repeats.
_EXCLUDE = ", ".join(
    (
        ".headerlink",
        "[data-search-exclude]",
        "button",
        ".mp-downloads",
        ".mp-breadcrumb",
        ".mp-legend-line",
        ".mp-hint",
    )
)
_INSTALL_HINT = "install it with `pip install 'matrixpipe[pagefind]'` (or 'pagefind[bin]')"


def mkdocs_overrides(engine: str, config_file: Path) -> dict[str, Any]:
    """MkDocs settings for this search engine, on top of `mkdocs.yml`; none for Material's."""
    if engine != PAGEFIND:
        return {}
    from mkdocs.utils.yaml import yaml_load

    with config_file.open(encoding="utf-8") as fd:
        raw = yaml_load(fd) or {}
    plugins = raw.get("plugins", ["search"])  # MkDocs' own default when the key is missing
    if isinstance(plugins, dict):
        kept: Any = {k: v for k, v in plugins.items() if k not in _SEARCH_PLUGINS}
    else:
        kept = [p for p in plugins if _plugin_name(p) not in _SEARCH_PLUGINS]
    extra = dict(raw.get("extra") or {})
    extra[EXTRA_KEY] = PAGEFIND
    return {"plugins": kept, "extra": extra}


def _plugin_name(entry: Any) -> str:
    """A plugins list holds names, or one-key mappings of a name to its options."""
    if isinstance(entry, dict) and len(entry) == 1:
        return str(next(iter(entry)))
    return str(entry)


def index(engine: str, site: Path) -> list[str]:
    """Index the built site if the engine needs it; returns problems (empty means done)."""
    if engine != PAGEFIND:
        return []
    return run_pagefind(site)


def run_pagefind(site: Path) -> list[str]:
    """`python -m pagefind --site <site>`: writes `<site>/pagefind/` (index, UI script, styles)."""
    command = [
        sys.executable,
        "-m",
        "pagefind",
        "--site",
        str(site),
        "--exclude-selectors",
        _EXCLUDE,
        "--quiet",
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as exc:
        return [f"pagefind: {exc}"]
    output = (done.stdout + done.stderr).strip()
    if done.returncode != 0:
        if "No module named pagefind" in output:
            return [f"pagefind: not installed; {_INSTALL_HINT}"]
        return [f"pagefind failed (exit {done.returncode}): {output or 'no output'}"]
    if not (site / "pagefind" / "pagefind-ui.js").is_file():
        return [f"pagefind wrote no search UI into {site / 'pagefind'}: {output or 'no output'}"]
    return []

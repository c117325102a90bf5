"""The collection's own settings, read from `matrixpipe.yml` at the repository root (optional)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from matrixpipe.check import yamlload
from matrixpipe.diagnostics import Diagnostic, Severity
from matrixpipe.errors import ConfigError
from matrixpipe.rules import BY_NAME, RULES

CONFIG_FILE = "matrixpipe.yml"
PLACEHOLDER_URL = "https://example.org/"
"""The site address until one is set: a build with it warns (and fails with --strict)."""
SITE_URL_ENV = "MATRIXPIPE_SITE_URL"
"""The environment variable that sets the site's address, as `--site-url` does (the flag wins)."""
Level = Literal["error", "warning", "info", "ignore"]
_LEVELS = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.INFO}


class SiteConfig(BaseModel):
    """Settings the published site needs and cannot guess."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(
        default="Evidence matrices", min_length=1, max_length=120, pattern=r"^[^<>&\"\x00-\x1f]+$"
    )
    """The site's name; plain text, as themes print it into pages unescaped."""
    url: str = Field(default=PLACEHOLDER_URL, pattern=r"^https?://[^\s<>\"']+$")
    """Where the site is published: feeds, the API's URLs, the sitemap and canonical links use
    it. `--site-url` or $MATRIXPIPE_SITE_URL overrides it (`with_site_url`)."""
    repo: str = Field(default="matrixpipe/matrixpipe", pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
    """The GitHub repository as owner/name, for 'edit' and 'comment' links."""
    branch: str = Field(default="main", pattern=r"^[A-Za-z0-9_./-]+$")
    editor_email: str | None = None
    search: Literal["material", "pagefind"] = "material"
    """Material's built-in search, or Pagefind for large collections."""
    review_after_days: int | None = Field(default=None, ge=1, le=36500)
    """A cell last reviewed longer ago than this (its `reviewed:` date, else its file's last
    change in Git) shows a warning in preview builds (`--drafts`) only, so editors see which
    cells are due; None (the default) never warns."""

    @property
    def placeholder_url(self) -> bool:
        """The address is still the placeholder: links out of feeds and the API would be wrong."""
        return self.url.rstrip("/") == PLACEHOLDER_URL.rstrip("/")


class Edition(BaseModel):
    """A named state of the collection readers can compare ("What's new"): a Git commit-ish
    (`ref`, usually a tag) or a day (`date`: the checked-out branch as it stood at the end of
    that day, UTC, following first parents). Exactly one of the two."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=80, pattern=r"^\S[^\x00-\x1f]*$")
    """How the What's new page names it: `2019/20 refresh`."""
    ref: str | None = Field(
        default=None, max_length=200, pattern=r"^[A-Za-z0-9_][A-Za-z0-9_./~^@{}-]*$"
    )
    """A tag, branch or commit (never starting with `-`: it is handed to Git)."""
    date: dt.date | None = None
    """A day, YYYY-MM-DD: for collections that tagged no release."""


class Config(BaseModel):
    """Everything in `matrixpipe.yml`."""

    model_config = ConfigDict(extra="forbid")

    rules: dict[str, Level] = Field(default_factory=dict)
    """Level per rule, by code (`MP309`) or name (`orphan-study`)."""
    site: SiteConfig = Field(default_factory=SiteConfig)
    jurisdictions: dict[str, list[str]] = Field(default_factory=dict)
    """Group → the jurisdiction names it holds (`United Kingdom: [UK, England, Wales]`): search
    filters by group (`PublicView.jurisdiction_group`), and with a table, a study's
    jurisdiction must be one of its names (MP316 `unknown-jurisdiction`)."""
    editions: list[Edition] = Field(default_factory=list, max_length=100)
    """The editions the What's new page compares, in any order (sorted by date; editions of the
    same date keep this order, so list them oldest first). Refs are resolved when the site is
    rendered: one that names no commit stops the render (exit 2)."""

    def level_of(self, code: str) -> Severity | None:
        """The configured level of a rule; None means the rule is switched off."""
        rule = RULES[code]
        level = self.rules.get(code) or self.rules.get(rule.name)
        if level is None:
            return rule.level
        return _LEVELS.get(level)

    def apply(self, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
        """Set each finding of a configured rule to its level and drop the ignored ones; the
        others keep the level they were found at (a rule may be milder for a draft)."""
        out = []
        for d in diagnostics:
            rule = RULES[d.code]
            if d.code not in self.rules and rule.name not in self.rules:
                out.append(d)
                continue
            level = self.level_of(d.code)
            if level is not None:
                out.append(d if level == d.severity else replace(d, severity=level))
        return out


def site_url(url: str) -> str:
    """An absolute http(s) URL for the site, ending in `/` (GitHub Pages' `base_url` has none);
    ValueError saying what is wrong otherwise."""
    from urllib.parse import urlsplit

    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an absolute http(s) URL, such as https://example.org/")
    if parts.query or parts.fragment or re.search(r"[\s<>\"'\\]", text):
        raise ValueError(f"{url!r}: a site address has no query, fragment, spaces or quotes")
    return text if text.endswith("/") else text + "/"


def with_site_url(config: Config, url: str | None) -> Config:
    """The config with the site's address replaced (`--site-url`, $MATRIXPIPE_SITE_URL), if given."""
    if not url:
        return config
    site = config.site.model_copy(update={"url": site_url(url)})
    return config.model_copy(update={"site": site})


def load_config(repo: Path) -> Config:
    """Read `matrixpipe.yml` if there is one; a broken config stops the run (exit 2)."""
    path = repo / CONFIG_FILE
    if not path.is_file():
        return Config()
    try:
        data = yamlload.to_data(yamlload.compose(path.read_text(encoding="utf-8"))) or {}
        config = Config.model_validate(data)
    except (yamlload.YamlError, ValidationError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{CONFIG_FILE}: {exc}") from None
    unknown = [k for k in config.rules if k not in RULES and k not in BY_NAME]
    if unknown:
        raise ConfigError(f"{CONFIG_FILE}: unknown rule(s): {', '.join(unknown)}")
    _check_editions(config.editions)
    return config


def _check_editions(editions: list[Edition]) -> None:
    """One line per broken edition, as for unknown rules: pydantic's own report of a model
    check spans several lines and names no edition."""
    seen: set[str] = set()
    for edition in editions:
        if (edition.ref is None) == (edition.date is None):
            raise ConfigError(
                f"{CONFIG_FILE}: edition '{edition.name}': give exactly one of `ref` (a tag or "
                "commit) or `date` (YYYY-MM-DD)"
            )
        if edition.name in seen:
            raise ConfigError(f"{CONFIG_FILE}: edition '{edition.name}' is named twice")
        seen.add(edition.name)

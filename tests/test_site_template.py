"""The site template shipped in the package, the collection's layers over it, the plain MkDocs
project `render` writes, and the site's address (`--site-url`, $MATRIXPIPE_SITE_URL)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from matrixpipe.config import Config
from matrixpipe.publish.site import load_mkdocs_config, site_stamp, theme_dirs
from matrixpipe.publish.tree import TEMPLATE, hand_written, mkdocs_file

from conftest import RunCli

URL = "https://example.github.io/collection/"


@pytest.fixture
def bare(collection: Path) -> Path:
    """The bundled collection with no site/ folder at all."""
    assert not (collection / "site").exists()
    return collection


def test_a_collection_needs_no_site_folder(bare: Path, run_cli: RunCli) -> None:
    result = run_cli(["build", bare, "--site-url", URL])

    assert result.exit_code == 0, result.output
    assert mkdocs_file(bare) == TEMPLATE / "mkdocs.yml"
    about = (bare / "public" / "about" / "index.html").read_text()
    assert "How studies are marked" in about  # a default page of the package
    assert (bare / "public" / "assets" / "matrixpipe" / "site.css").is_file()
    assert sorted(p.name for p in (bare / "site").iterdir()) == ["docs"]


def test_collection_layers_go_over_the_packaged_ones(bare: Path, run_cli: RunCli) -> None:
    site = bare / "site"
    (site / "pages").mkdir(parents=True)
    (site / "pages" / "about.md").write_text("# About us\n\nOur own words.\n")
    (site / "pages" / "team.md").write_text("# Team\n")
    css = site / "overrides" / "assets" / "matrixpipe" / "site.css"
    css.parent.mkdir(parents=True)
    css.write_text("/* the collection's own */\n")

    result = run_cli(["build", bare, "--site-url", URL])

    assert result.exit_code == 0, result.output
    public = bare / "public"
    assert "Our own words." in (public / "about" / "index.html").read_text()
    assert (public / "team" / "index.html").is_file()
    assert (public / "contributors" / "rules" / "index.html").is_file()  # defaults stay
    assert (public / "assets" / "matrixpipe" / "site.css").read_text() == css.read_text()
    home = (public / "index.html").read_text()
    assert "feed.atom.xml" in home  # the packaged main.html still adds the feed links
    assert (public / "assets" / "matrixpipe" / "site.js").is_file()  # packaged static file


def test_theme_folders_first_wins(bare: Path) -> None:
    (bare / "site" / "overrides").mkdir(parents=True)
    (bare / "site" / "docs").mkdir(parents=True)
    config = load_mkdocs_config(bare, Config().site, bare / "out")

    dirs = [Path(d) for d in config.theme.dirs]

    assert dirs[0] == bare / "site" / "overrides"
    assert dirs[1] == TEMPLATE / "overrides"
    assert dirs[2].name == "material" or "material" in dirs[2].parts
    assert len(set(dirs)) == len(dirs)
    assert theme_dirs(["/x"], None, bare)[-1] == "/x"


def test_own_mkdocs_yml_replaces_the_packaged_one(bare: Path, run_cli: RunCli) -> None:
    site = bare / "site"
    site.mkdir()
    text = (TEMPLATE / "mkdocs.yml").read_text()
    text = text.replace(
        "site_description: Curated evidence matrices, published from Git.",
        "site_description: Our own config.",
    )
    text = text.replace("custom_dir: overrides", "custom_dir: theme-of-ours")
    (site / "mkdocs.yml").write_text(text)
    (site / "theme-of-ours").mkdir()

    result = run_cli(["build", bare, "--site-url", URL])

    assert result.exit_code == 0, result.output
    assert 'content="Our own config."' in (bare / "public" / "index.html").read_text()
    config = load_mkdocs_config(bare, Config().site, bare / "out")
    dirs = [Path(d) for d in config.theme.dirs]
    assert dirs[:2] == [site / "theme-of-ours", TEMPLATE / "overrides"]


def test_the_stamp_reads_both_layers(bare: Path, run_cli: RunCli) -> None:
    from matrixpipe.check.run import check

    collection = check(bare, publish=True).collection
    before = site_stamp(bare, Config(), collection, False)
    (bare / "site" / "overrides").mkdir(parents=True)
    (bare / "site" / "overrides" / "extra.html").write_text("<p>x</p>\n")
    changed = site_stamp(bare, Config(), collection, False)
    assert changed != before
    (bare / "site" / "pages").mkdir()
    (bare / "site" / "pages" / "about.md").write_text("# About\n")
    assert site_stamp(bare, Config(), collection, False) not in (before, changed)
    assert hand_written(bare)["about.md"] == b"# About\n"


def test_a_default_page_clashing_with_a_generated_one_names_its_source(
    bare: Path, run_cli: RunCli
) -> None:
    matrix = (bare / "entries" / "matrices" / "alcohol.yaml").read_text()
    (bare / "entries" / "matrices" / "contributors.yaml").write_text(
        matrix.replace("id: alcohol", "id: contributors")
    )

    result = run_cli(["render", bare])

    assert result.exit_code == 2, result.output
    assert "matrixpipe's default page contributors/index.md has the path of a generated" in (
        result.output
    )


def test_render_writes_a_plain_mkdocs_project(bare: Path, run_cli: RunCli) -> None:
    result = run_cli(["render", bare, "--site-url", URL])
    assert result.exit_code == 0, result.output
    site = bare / "site"
    assert sorted(p.name for p in site.iterdir()) == ["docs", "mkdocs.rendered.yml", "theme"]
    assert (site / "theme" / "main.html").read_bytes() == (
        TEMPLATE / "overrides" / "main.html"
    ).read_bytes()
    assert f"site_url: {URL}" in (site / "mkdocs.rendered.yml").read_text()

    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q", "--strict", "-f", "mkdocs.rendered.yml"],
        cwd=site,
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    assert (site / "public" / "alcohol" / "E5" / "index.html").is_file()
    assert (site / "public" / "assets" / "matrixpipe" / "site.css").is_file()


# -- the site's address -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad", ["example.org", "ftp://example.org/", "https://", "https://x/?q=1", "/collection/"]
)
def test_site_url_must_be_an_absolute_http_url(bare: Path, run_cli: RunCli, bad: str) -> None:
    result = run_cli(["build", bare, "--site-url", bad])

    assert result.exit_code == 2
    assert "--site-url" in result.output
    assert not (bare / "public").exists()


def test_the_placeholder_address_warns_and_fails_with_strict(bare: Path, run_cli: RunCli) -> None:
    strict = run_cli(["build", bare, "--strict"])
    assert strict.exit_code == 1, strict.output
    assert "placeholder https://example.org/" in strict.output
    assert not (bare / "public").exists()

    loose = run_cli(["build", bare])
    assert loose.exit_code == 0, loose.output
    assert "warning: the site's address is the placeholder" in loose.output

    given = run_cli(["build", bare, "--strict", "--site-url", URL])
    assert given.exit_code == 0, given.output
    assert "the site's address is the placeholder" not in given.output


def test_site_url_from_the_environment_and_the_flag_wins(
    bare: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MATRIXPIPE_SITE_URL", "https://env.example.net/matrices")
    assert run_cli(["build", bare]).exit_code == 0
    public = bare / "public"
    feed = (public / "feed.atom.xml").read_text()
    assert "https://env.example.net/matrices/feed.atom.xml" in feed  # the slash added

    result = run_cli(["build", bare, "--site-url", URL])

    assert result.exit_code == 0, result.output
    feed = (public / "feed.atom.xml").read_text()
    assert f"{URL}feed.atom.xml" in feed and "env.example.net" not in feed
    sitemap = (public / "sitemap.xml").read_text()
    assert f"<loc>{URL}alcohol/E5/</loc>" in sitemap
    e5 = (public / "alcohol" / "E5" / "index.html").read_text()
    assert f'<link rel="canonical" href="{URL}alcohol/E5/">' in e5
    cell = json.loads((public / "api" / "v1" / "cells" / "alcohol" / "E5.json").read_text())
    assert cell["url"] == f"{URL}alcohol/E5/"
    not_found = (public / "404.html").read_text()
    assert 'href="/collection/assets/matrixpipe/site.css"' in not_found

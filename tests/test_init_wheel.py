"""matrixpipe as a user gets it: the wheel, installed in a fresh virtualenv, starts a collection
with `init` in an empty Git repository, checks it, adds a study and builds the site for GitHub
Pages under /collection/, and every link of the built site answers.

Offline and fast: the wheel is built from a copy of the sources with the setuptools of this
environment (`pip wheel --no-build-isolation`: no index is asked; the `test` extra brings a
setuptools recent enough). The new virtualenv has no pip and no packages of its own: the wheel
is installed into it by this environment's pip (`pip --python`, no dependencies), and a `.pth`
file puts this environment's site-packages after its own, so matrixpipe's dependencies import
from there, as installed. A `.pth` line only adds a folder to `sys.path`; the `.pth` files in that
folder (this checkout's editable install among them) are not run, so the `matrixpipe` imported is
the wheel's, which the test asserts.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urljoin, urlsplit
from urllib.request import urlopen

import git

from browser import QuietHandler, serve_dir
from conftest import ROOT
from tools import require

SITE_URL = "https://example.github.io/collection/"
PREFIX = "/collection/"


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{args}:\n{done.stdout}\n{done.stderr}"
    return done


def _wheel(tmp: Path) -> Path:
    """Build the wheel from a copy of the sources (an in-tree build would leave build/ here)."""
    source = tmp / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).is_file():
            shutil.copy(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(ROOT / "src", source / "src", ignore=ignore)
    dist = tmp / "dist"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    _run(
        [*pip, "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(dist), "."],
        source,
        dict(os.environ),
    )
    (wheel,) = dist.glob("matrixpipe-*.whl")
    return wheel


def _virtualenv(tmp: Path, wheel: Path) -> dict[str, str]:
    """A fresh virtualenv holding the wheel; the environment to run its `matrixpipe` in."""
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--python", str(python)]
    _run([*pip, "install", "-q", "--no-deps", "--no-index", str(wheel)], tmp, dict(os.environ))
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    system = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    env |= {"PATH": f"{venv / 'bin'}:{system}", "NO_COLOR": "1"}
    where = _run([str(python), "-c", "import matrixpipe; print(matrixpipe.__file__)"], tmp, env)
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout
    return env


class _Links(HTMLParser):
    """Every href and src of a page, and its canonical link."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)


class _UnderPrefix(QuietHandler):
    """Serves the site as GitHub Pages does for a project: only under /collection/."""

    def translate_path(self, path: str) -> str:
        if not path.startswith(PREFIX):
            return str(Path(self.directory) / ".not-found")
        return super().translate_path("/" + path[len(PREFIX) :])


def _json_urls(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if (key == "url" or key.endswith("_url")) and isinstance(value, str):
                yield value
            yield from _json_urls(value)
    elif isinstance(node, list):
        for item in node:
            yield from _json_urls(item)


def _every_link(public: Path, base: str) -> dict[str, set[str]]:
    """Every link of the site that points into it, as a local URL → the files that hold it:
    hrefs and srcs of every page (the 404 page too), the feeds' links, the sitemap, and every
    `url` of the JSON API. Absolute links to the site's address are mapped onto the server."""
    found: dict[str, set[str]] = {}

    def add(link: str, page_url: str, source: str) -> None:
        if link.startswith(SITE_URL):
            link = base + link[len(SITE_URL) :]
        url = urljoin(page_url, link)
        if url.startswith(base) or urlsplit(url).netloc == urlsplit(base).netloc:
            found.setdefault(url.split("#")[0], set()).add(source)
        else:
            assert "example.org" not in url, f"{source}: {link} (the placeholder address)"

    for path in sorted(public.rglob("*")):
        rel = path.relative_to(public).as_posix()
        if path.suffix == ".html":
            page_url = base + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)
            if rel == "404.html":
                page_url = base + "no/such/page/"  # GitHub serves it at any missing address
            parser = _Links()
            parser.feed(path.read_text(encoding="utf-8"))
            for link in parser.links:
                add(link, page_url, rel)
        elif path.suffix == ".xml":
            for element in ET.parse(path).iter():
                tag = element.tag.rsplit("}", 1)[-1]
                if tag == "link" and element.get("href"):
                    add(element.attrib["href"], base, rel)
                elif tag in ("link", "loc") and (element.text or "").strip():
                    add(element.text.strip(), base, rel)
        elif path.suffix == ".json" and rel.startswith("api/"):
            for url in _json_urls(json.loads(path.read_text(encoding="utf-8"))):
                add(url, base, rel)
    return found


def _status(url: str) -> int:
    try:
        with urlopen(url, timeout=10) as response:
            return int(response.status)
    except HTTPError as exc:
        return exc.code


def test_the_wheel_starts_a_collection_that_publishes_with_no_broken_link(
    tmp_path: Path,
) -> None:
    env = _virtualenv(tmp_path, _wheel(tmp_path))
    folder = tmp_path / "collection"
    repo = git.Repo.init(folder, initial_branch="main")
    repo.create_remote("origin", "https://github.com/example/collection.git")
    with repo.config_writer() as cfg:
        cfg.set_value("user", "name", "Test Editor")
        cfg.set_value("user", "email", "editor@example.org")

    _run(["matrixpipe", "init"], folder, env)
    assert not (folder / "site").exists()
    assert "repo: example/collection" in (folder / "matrixpipe.yml").read_text()
    _run(["matrixpipe", "check"], folder, env)
    _run(["matrixpipe", "schema", "--check"], folder, env)
    new = [
        *("matrixpipe", "new", "study", "--title", "Court-ordered treatment in Scotland"),
        *("--year", "2015", "--organisation", "Scottish Government", "--cell", "alcohol/E5"),
        *("--category", "key", "--note", "Follows offenders sent to treatment by the courts."),
        *("--status", "published"),
    ]
    _run(new, folder, env)
    _run(["matrixpipe", "check"], folder, env)
    repo.git.add("--all")
    repo.index.commit("Start the collection")

    built = _run(
        ["matrixpipe", "build", "--strict", "--site-url", SITE_URL, "--out", "public"], folder, env
    )
    assert "placeholder" not in built.stderr
    assert repo.git.status("--porcelain", "--untracked-files=all") == ""

    public = folder / "public"
    assert (
        public / "studies" / "court-ordered-treatment-in-scotland-2015" / "index.html"
    ).is_file()
    with serve_dir(public, _UnderPrefix, PREFIX) as base:
        links = _every_link(public, base)
        assert len(links) > 100
        broken = {url: sorted(where)[:3] for url, where in links.items() if _status(url) != 200}
    assert broken == {}, broken
    study = links[f"{base}studies/court-ordered-treatment-in-scotland-2015/"]
    assert "sitemap.xml" in study and "feed.atom.xml" in study
    assert any(source.startswith("api/v1/") for source in study)
    assert f"{base}feed.atom.xml" in links
    assert any(url.endswith("/assets/matrixpipe/site.css") for url in links)

    names = sorted(str(p.relative_to(folder)) for p in (folder / ".github" / "workflows").iterdir())
    zizmor = [require("zizmor"), "--offline", "--no-progress", "--color", "never", ".github/"]
    _run(zizmor, folder, env)
    schema = require("check-jsonschema")
    _run([schema, "--builtin-schema", "vendor.github-workflows", *names], folder, env)
    _run([schema, "--builtin-schema", "vendor.dependabot", ".github/dependabot.yml"], folder, env)
    forms = [
        ".github/ISSUE_TEMPLATE/suggest-study.yml",
        ".github/ISSUE_TEMPLATE/report-problem.yml",
    ]
    _run([schema, "--builtin-schema", "vendor.github-issue-forms", *forms], folder, env)

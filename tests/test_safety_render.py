"""Hostile contributor text: refused by the check where it can be, harmless in every output anyway.

A collection seeded with script, event-handler, link-scheme, attribute-list, snippet and
fence/comment payloads is built twice: with the default rules (only what the check lets through
as text) and with the safety rules lowered to warnings in matrixpipe.yml (so raw HTML, forbidden
links and attribute lists reach the renderer). No page, feed or API file may carry anything
executable, and each fragment stays in its place. Reporters must keep contributor text from
forging workflow commands or hiding behind bidirectional controls.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import markdown
import pytest
import yaml

from matrixpipe.check.safety import link_scheme
from matrixpipe.commands.build import run_build
from matrixpipe.diagnostics import Diagnostic, Report
from matrixpipe.publish.markdown import bite_markdown, html_block
from matrixpipe.publish.sanitize import contributor_html
from matrixpipe.publish.tree import TEMPLATE
from matrixpipe.report import GithubReporter, TextReporter

from browser import ROOT, add_site

PWN = "window.__pwned=1"
E5 = "entries/cells/alcohol/E5.md"
LOWERED = (
    "rules:\n  raw-html: warning\n  forbidden-link: warning\n  unsafe-attribute: warning\n"
    "  include-directive: warning\n"
)

# --- the hostile collections --------------------------------------------------------------

TEXT_STUDIES: dict[str, dict[str, Any]] = {
    "payload-code-2020": {
        "title": f"</title><script>{PWN}</script> Code & co",
        "organisation": "<b>Org</b> & Sons",
        "summary": (
            f"Inline `<script>{PWN}</script>` code.\n\n"
            f"```html\n<script>{PWN}</script>\n```\n\n"
            f"Plain javascript:alert(1) text and &lt;img src=x onerror={PWN}&gt; entities.\n"
        ),
        "key_points": [
            f'Hover [this](https://example.org "\\" onmouseover=\\"{PWN}") link',
        ],
        "note": "A note with an unclosed fence:\n\n```\n## swallowed?\n",
    },
    "payload-next-2020": {
        "title": "Next study after the unclosed fence",
        "note": "This note must still render after the unclosed fence.",
    },
}
TEXT_BITE = (
    f'\n### Heading with `<b onclick="{PWN}">` code {{#payload-heading}}\n\n'
    "Text under the code heading.\n"
)
RAW_STUDIES: dict[str, dict[str, Any]] = {
    "payload-raw-2020": {
        "title": "Raw HTML payloads",
        "summary": (
            f"<script>{PWN}</script>\n\n"
            f'<img src=x onerror="{PWN}">\n\n'
            f'<a href="jav&#x09;ascript:{PWN}">tab link</a>\n\n'
            f'<svg onload="{PWN}"></svg>\n\n'
            f'<iframe src="javascript:{PWN}"></iframe>\n\n'
            f'<details open ontoggle="{PWN}"><summary>s</summary>x</details>\n\n'
            "<style>body{display:none}</style>\n\n"
            f'<form action="javascript:{PWN}"><button>go</button></form>\n\n'
            f"[click](JaVaScRiPt:{PWN})\n"
        ),
        "key_points": [
            f"[click](javascript:{PWN})",
            "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
            f'[attr](https://example.org){{onclick="{PWN}" style="display:none"}}',
            f'![img](https://example.org/x.png){{onerror="{PWN}"}}',
            # The check refuses ids that could shadow a script global (MP408); lowered, the
            # renderer drops them all the same.
            "Clobber the global\n{: #__pwned }",
            # Refused by the check (MP412); lowered, the renderer prints it as text.
            '--8<-- ".git/config"',
        ],
        "note": "A comment that never closes <!-- and would swallow the rest",
    },
    "payload-after-2020": {
        "title": "Study after the unclosed comment",
        "note": "This note must still render after the unclosed comment.",
    },
}
RAW_BITE = (
    f'\n### Raw heading {{#raw-heading onclick="{PWN}"}}\n\n'
    f'A paragraph with a handler.\n{{: onmouseover="{PWN}" }}\n\n'
    f'<div onclick="{PWN}">raw div</div>\n'
)


def study_yaml(study_id: str, spec: dict[str, Any]) -> str:
    """A study entry (JSON is YAML 1.2) listed in alcohol/E5."""
    data: dict[str, Any] = {
        "id": study_id,
        "title": spec["title"],
        "status": "published",
        "source": {
            "organisation": spec.get("organisation", "Test"),
            "year": 2020,
            "type": "report",
        },
        "placements": [{"cell": "alcohol/E5", "categories": ["review"], "note": spec["note"]}],
    }
    for key in ("summary", "key_points"):
        if key in spec:
            data[key] = spec[key]
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def hostile_collection(root: Path, lowered: bool) -> Path:
    """The bundled collection plus the payloads, in Git (so `.git/config` exists), with a site."""
    shutil.copytree(ROOT / "entries", root / "entries")
    add_site(root)
    studies = {**TEXT_STUDIES, **(RAW_STUDIES if lowered else {})}
    for study_id, spec in studies.items():
        (root / "entries" / "studies" / f"{study_id}.yaml").write_text(
            study_yaml(study_id, spec), encoding="utf-8"
        )
    bite = root / E5
    bite.write_text(
        bite.read_text(encoding="utf-8") + TEXT_BITE + (RAW_BITE if lowered else ""),
        encoding="utf-8",
    )
    if lowered:
        (root / "matrixpipe.yml").write_text(LOWERED, encoding="utf-8")
    for args in (
        ["init", "-q", "-b", "main"],
        ["config", "user.name", "Test Editor"],
        ["config", "user.email", "editor@example.org"],
        ["add", "--all"],
        ["commit", "-q", "-m", "Hostile entries"],
    ):
        subprocess.run(["git", *args], cwd=root, check=True)
    return root


@pytest.fixture(scope="module")
def lowered_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hostile collection with the safety rules lowered to warnings, built into public/."""
    root = hostile_collection(tmp_path_factory.mktemp("hostile") / "collection", lowered=True)
    assert run_build(root, None, drafts=False, color="never") == 0
    return root


# --- what must never be in an output ------------------------------------------------------

_ARTICLE = re.compile(r"<article\b.*?</article>", re.S)
_NEVER = {"script", "iframe", "frame", "svg", "math", "form", "style", "object", "embed", "base"}


class _Markup(HTMLParser):
    """Every tag and attribute of a piece of HTML, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [(tag, name, value or "") for name, value in attrs]


def assert_inert(html: str, where: str) -> None:
    """No script, event handler, style attribute, frame, form or script URL in `html`."""
    markup = _Markup()
    markup.feed(html)
    markup.close()
    assert not _NEVER & set(markup.tags), f"{where}: {_NEVER & set(markup.tags)}"
    for tag, name, value in markup.attributes:
        assert not name.startswith("on"), f"{where}: <{tag} {name}={value!r}>"
        assert name != "style", f"{where}: <{tag} style={value!r}>"
        if name in ("href", "src", "action", "formaction"):
            assert link_scheme(value) in ("", "http", "https", "mailto"), f"{where}: {value!r}"
            assert not value.startswith(("//", "/\\")), f"{where}: {value!r}"


def test_every_page_body_is_inert(lowered_site: Path) -> None:
    pages = sorted((lowered_site / "public").rglob("*.html"))
    assert len(pages) > 40
    for page in pages:
        html = page.read_text(encoding="utf-8")
        if page.parent.name == "find":  # our own form; its data block is checked below
            find = html
            continue
        for article in _ARTICLE.findall(html):
            assert_inert(article, str(page))
        assert f"<script>{PWN}" not in html, page  # titles reach <title> and <meta> as text
    # The find page's filter values (tags, jurisdictions) are contributor text inside one JSON
    # block: nothing in it may close the script element, and it is the page's only script.
    block = re.search(r'<script type="application/json" id="[^"]+">(.*?)</script>', find, re.S)
    assert block is not None and "</" not in block.group(1) and "<!--" not in block.group(1)
    assert json.loads(block.group(1))
    article = _ARTICLE.findall(find)[0].replace(block.group(0), "")
    assert "<script" not in article.lower()
    assert not re.search(r"\son[a-z]+\s*=", article, re.I)
    assert PWN not in article


def test_titles_reach_the_page_head_as_text(lowered_site: Path) -> None:
    page = lowered_site / "public" / "studies" / "payload-code-2020" / "index.html"
    html = page.read_text(encoding="utf-8")
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    assert title is not None
    assert title.group(1).startswith(
        f"&lt;/title&gt;&lt;script&gt;{PWN}&lt;/script&gt; Code &amp; co"
    )
    assert html.count("<script>" + PWN) == 0


def test_payloads_show_as_text_and_fragments_stay_apart(lowered_site: Path) -> None:
    public = lowered_site / "public"
    study = (public / "studies" / "payload-code-2020" / "index.html").read_text(encoding="utf-8")
    assert f"<code>&lt;script&gt;{PWN}&lt;/script&gt;</code>" in study
    assert "javascript:alert(1) text" in study
    assert f"&lt;img src=x onerror={PWN}&gt;" in study
    raw = (public / "studies" / "payload-raw-2020" / "index.html").read_text(encoding="utf-8")
    assert "Clobber the global" in raw
    assert '--8&lt;-- ".git/config"' in raw or "--8&lt;-- &quot;.git/config&quot;" in raw
    assert "repositoryformatversion" not in raw  # the snippet was not inlined
    assert 'id="__pwned"' not in raw  # a contributor id may not shadow a global
    assert re.search(r'<a href="https://example.org" [^>]*title="[^"<>]*onmouseover=', study)

    cell = (public / "alcohol" / "E5" / "index.html").read_text(encoding="utf-8")
    for study_id in (*TEXT_STUDIES, *RAW_STUDIES):
        assert f'id="mp-study-{study_id}" class="mp-headline"' in cell, study_id
    assert "This note must still render after the unclosed fence." in cell
    assert "This note must still render after the unclosed comment." in cell
    assert '<h3 id="payload-heading">' in cell  # the bite heading kept its anchor and TOC entry
    assert "&lt;b onclick=" in cell
    assert 'href="#payload-heading"' in cell
    assert '<h3 id="raw-heading">' in cell


def test_feeds_and_api_carry_no_markup(lowered_site: Path) -> None:
    public = lowered_site / "public"
    rss = ET.parse(public / "feed.rss.xml").getroot()
    for description in rss.iter("description"):
        assert "<" not in (description.text or "")  # HTML by convention: escaped text only
    items = {i.findtext("link", "").rsplit("/", 2)[-2]: i for i in rss.iter("item")}
    code = items["payload-code-2020"].findtext("description", "")
    assert f"Inline &lt;script&gt;{PWN}&lt;/script&gt; code." in code  # the code, as text
    raw = items["payload-raw-2020"].findtext("description", "")
    assert "tab link" in raw and PWN not in raw  # what the site drops, the feed drops
    atom = ET.parse(public / "feed.atom.xml").getroot()
    summaries = list(atom.iter("{http://www.w3.org/2005/Atom}summary"))
    assert summaries and all(s.get("type") == "text" for s in summaries)

    api = public / "api" / "v1"
    for path in [api / "studies" / "payload-raw-2020.json", api / "cells" / "alcohol" / "E5.json"]:
        data = json.loads(path.read_text(encoding="utf-8"))
        for html in _html_fields(data):
            assert_inert(html, str(path))
    raw = json.loads((api / "studies" / "payload-raw-2020.json").read_text(encoding="utf-8"))
    assert "tab link" in raw["summary"]["html"]


def _html_fields(data: Any) -> list[str]:
    if isinstance(data, dict):
        found = [v for k, v in data.items() if k == "html" and isinstance(v, str)]
        return found + [h for v in data.values() for h in _html_fields(v)]
    if isinstance(data, list):
        return [h for v in data for h in _html_fields(v)]
    return []


# --- the converter, fragment by fragment --------------------------------------------------


def _resolve(target: str) -> str | None:
    return {"study:a-2001": "../../studies/a-2001/"}.get(target)


@pytest.mark.parametrize(
    "text",
    [
        f"<script>{PWN}</script>",
        f'<img src=x onerror="{PWN}">',
        f"[x](javascript:{PWN})",
        f"[x](jav&#x09;ascript:{PWN})",
        f"[x](JaVaScRiPt:{PWN})",
        f"[x]( javascript:{PWN})",
        f"[x](<javascript:{PWN}>)",
        "[x](data:text/html,<script>alert(1)</script>)",
        f"[x][r]\n\n[r]: javascript:{PWN}",
        f'[x](https://example.org){{onclick="{PWN}"}}',
        f'[x](https://example.org){{href="javascript:{PWN}"}}',
        f"Para\n{{: onmouseover='{PWN}' style='color:red' }}",
        '<a href="//evil.example/">x</a> <a href="/\\evil.example/">y</a>',
        f'<details open ontoggle="{PWN}"><summary>s</summary></details>',
        f'<math><mtext><table><mglyph><style><img src=x onerror="{PWN}">',
    ],
)
def test_converter_removes_every_way_to_run_script(text: str) -> None:
    html = contributor_html(text, _resolve)
    assert_inert(html, text)
    assert "evil.example" not in html


def test_converter_keeps_what_markdown_means() -> None:
    html = contributor_html(
        '[a](study:a-2001 "note") [b](study:gone-2001) [c](https://example.org "t") '
        "[m](mailto:editor@example.org) ![i](https://example.org/i.png)\n\n"
        '??? note "Unfold extra text"\n    More.\n\n'
        "| a | b |\n|:--|--:|\n| 1 | 2 |\n\nTerm\n:   Definition\n\nAn anchor\n{: #start .tip }\n\n"
        "Overlay\n{: .md-consent__overlay .js .note }\n",
        _resolve,
    )
    assert '<a href="../../studies/a-2001/" title="note">a</a>' in html
    assert " b " in html and "gone-2001" not in html  # unpublished: the text stays
    assert '<a href="https://example.org" rel="noopener noreferrer" title="t">c</a>' in html
    assert '<a href="mailto:editor@example.org" rel="noopener noreferrer">m</a>' in html
    assert '<img alt="i" src="https://example.org/i.png">' in html
    assert '<details class="note">' in html and "<summary>Unfold extra text</summary>" in html
    assert '<th align="left">a</th>' in html and '<td align="right">2</td>' in html
    assert "<dt>Term</dt>" in html
    assert '<p class="tip" id="start">An anchor</p>' in html
    assert '<p class="note">Overlay</p>' in html  # theme classes are dropped, the rest kept


def test_snippet_lines_are_text() -> None:
    assert contributor_html('--8<-- ".git/config"', _resolve) == '<p>--8&lt;-- ".git/config"</p>'


def test_site_config_never_lets_markdown_reach_files_or_raw_html() -> None:
    config = yaml.load(TEMPLATE.joinpath("mkdocs.yml").read_text(encoding="utf-8"), yaml.BaseLoader)
    names = {
        (next(iter(e)) if isinstance(e, dict) else e) for e in config.get("markdown_extensions", [])
    }
    plugins = {
        (next(iter(e)) if isinstance(e, dict) else e) for e in config.get("plugins", []) or []
    }
    assert not names & {"pymdownx.snippets", "md_in_html", "markdown.extensions.md_in_html"}
    assert not plugins & {"macros", "mkdocs-macros", "include-markdown"}


def _site_markdown() -> markdown.Markdown:
    """Python-Markdown as MkDocs runs it on a generated page: the extensions of mkdocs.yml."""
    config = yaml.load(TEMPLATE.joinpath("mkdocs.yml").read_text(encoding="utf-8"), yaml.BaseLoader)
    names, configs = [], {}
    for entry in config["markdown_extensions"]:
        name = next(iter(entry)) if isinstance(entry, dict) else entry
        names.append(name)
        if isinstance(entry, dict):
            configs[name] = {
                k: v == "true" if v in ("true", "false") else v for k, v in entry[name].items()
            }
    return markdown.Markdown(extensions=names, extension_configs=configs)


@pytest.mark.parametrize(
    "text",
    [
        "```\nunclosed fence\n\n## Not a heading",
        "<!-- unclosed comment",
        "---\ntitle: front matter\n---\n\nbody",
        "```python\n```\n# inner\n```\n```",
        "    indented code\n\n\tand a tab",
        '??? note "x"\n    ```\n    unclosed inside details',
    ],
)
def test_a_fragment_cannot_swallow_what_follows(text: str) -> None:
    block = html_block(contributor_html(text, _resolve))
    page = f"# Page\n\n{block}\n\n## After {{#after}}\n\n{html_block('<p>next</p>')}\n"
    out = _site_markdown().convert(page)
    assert block in out  # the raw block reached the page untouched
    assert '<h2 id="after">After' in out and '<div class="mp-md"><p>next</p></div>' in out


def test_bite_headings_stay_markdown_with_safe_anchors() -> None:
    bite = (
        "Intro.\n\n"
        '## Issues with `<b onclick="x">` code {#issues .tip .md-typeset onclick="x"}\n\n'
        "Body.\n\n"
        "### Global {#__pwned}\n\n"
        "```\n## inside a fence {#in}\n```\n"
    )
    page = bite_markdown(bite, _resolve)
    assert '## Issues with `<b onclick="x">` code { #issues .tip }\n' in page
    assert "### Global\n" in page
    assert "## inside" not in page.replace("## inside a fence {#in}&#10;", "")
    html = _site_markdown().convert(page)
    assert '<h2 class="tip" id="issues">Issues with <code>&lt;b onclick="x"&gt;</code> code' in html
    assert 'id="__pwned"' not in html


# --- reporters: no forged workflow commands, no hidden text ---------------------------------

FORGED = "Probation\n::error file=x::fake"
STOP = "::stop-commands::token"


def _report(*messages: str) -> Report:
    report = Report()
    for i, message in enumerate(messages):
        path = f"entries/studies/s{i}.yaml"
        report.add(Diagnostic(path, 3, 1, "MP202", message, STOP + "\n", name="unknown-key"))
    return report


def test_github_reporter_escapes_contributor_text() -> None:
    out = io.StringIO()
    GithubReporter(Path("."), out).report(
        _report(f"unknown key '{FORGED}'", f"title '{STOP}\r\nx'")
    )
    lines = out.getvalue().splitlines()
    commands = [line for line in lines if line.startswith("::")]
    assert len(commands) == 2
    assert all(line.startswith(("::error file=entries/studies/s",)) for line in commands)
    assert not any(line.startswith(STOP) for line in lines)
    assert "%0A::error file=x::fake" in out.getvalue()


def _collection_with_forged_titles(root: Path) -> Path:
    shutil.copytree(ROOT / "entries", root / "entries")
    first = root / "entries" / "studies" / "probation-alcohol-offenders-2009.yaml"
    text = first.read_text(encoding="utf-8")
    long_title = 'title: "Probation \\u202e struggling' + " to cope" * 40 + '"'
    text = re.sub(r"^title: .*$", lambda _: long_title, text, count=1, flags=re.M)
    first.write_text(text + '"x\\n::error file=x::fake": 1\n', encoding="utf-8")
    second = root / "entries" / "studies" / "who-problem-drinking-prisoners-2012.yaml"
    text = second.read_text(encoding="utf-8")
    stop = f'title: "{STOP}\\n::warning file=y::fake"\n"{STOP}\\nz": 2'
    second.write_text(re.sub(r"^title: .*$", lambda _: stop, text, flags=re.M), encoding="utf-8")
    return root


def test_github_output_of_a_real_check_has_only_real_annotations(
    tmp_path: Path, run_cli: Any
) -> None:
    repo = _collection_with_forged_titles(tmp_path / "c")
    result = run_cli(["check", repo, "--format", "github"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    commands = [line for line in lines if line.startswith("::")]
    assert commands and all(
        re.match(r"::(error|warning|notice) file=entries/studies/[a-z0-9-]+\.yaml,line=", line)
        for line in commands
    ), commands
    assert "\u202e" not in result.output


def test_text_output_has_no_forged_commands_and_shows_bidi_escaped(
    tmp_path: Path, run_cli: Any
) -> None:
    repo = _collection_with_forged_titles(tmp_path / "c")
    result = run_cli(["check", repo, "--color", "never"])
    assert result.exit_code == 1
    assert not [line for line in result.output.splitlines() if line.startswith("::")]
    assert "\u202e" not in result.output
    assert "\\u202e" in result.output  # the title's U+202E, shown under the finding


def test_text_reporter_escapes_paths() -> None:
    report = Report()
    path = "entries/studies/evil\x1b[31m\n::error file=q::fake\u202e.yaml"
    report.add(Diagnostic(path, 1, 1, "MP411", "bad name", name="bad-file-name"))
    out = io.StringIO()
    TextReporter(Path("."), out, color="never").report(report)
    assert "\x1b" not in out.getvalue() and "\u202e" not in out.getvalue()
    assert not [line for line in out.getvalue().splitlines() if line.startswith("::")]


def test_text_reporter_escapes_bidi_in_messages() -> None:
    out = io.StringIO()
    TextReporter(Path("."), out, color="never").report(_report("title 'abc\u202edef'"))
    assert "\u202e" not in out.getvalue() and "abc\\u202edef" in out.getvalue()


def test_a_character_reference_to_a_control_character_leaves_none() -> None:
    """Found by the Markdown fuzzer: `&#2` came back from the cleaner as U+0002, which HTML
    forbids and Python-Markdown takes for its placeholder marker (it then dropped the text)."""
    import re

    from matrixpipe.publish.sanitize import contributor_html

    text = "Au&#2<style>\x00=__p\x0bw<http\x1f\x00" + "~" * 70 + "//a "
    html = contributor_html(text, {}.get)
    assert "Au" in html
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", html)

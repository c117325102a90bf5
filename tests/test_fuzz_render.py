"""Generated hostile input: the renderer and the loader never crash and never let script through.

Hypothesis mixes the pieces attacks are made of (script and event-handler tags, `javascript:`
and `data:` URLs, entities, attribute lists, unclosed fences and comments, snippet lines,
`study:` links, anchored headings, controls) with arbitrary text. Every result must be inert,
each fragment must reach the page as the one raw block it was, and whole generated entries must
come back from the loader as findings or a clean entry, never as an exception. For longer runs,
see fuzz/README.md (atheris harnesses).
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import markdown
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_safety_render import _site_markdown, assert_inert

from matrixpipe.check.run import process
from matrixpipe.check.safety import excess
from matrixpipe.publish.markdown import bite_markdown, html_block
from matrixpipe.publish.sanitize import FragmentError, contributor_html

PIECES = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js>",
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(1)"/>',
    "<svg/onload=alert(1)>",
    '<a href="javascript:alert(1)">a</a>',
    '<a href="jav&#x09;ascript:alert(1)">b</a>',
    "<details open ontoggle=alert(1)>",
    "<iframe srcdoc='<script>alert(1)</script>'>",
    '<math><mtext><table><mglyph><style><img src=x onerror="alert(1)">',
    "<style>*{display:none}</style>",
    "<form action=javascript:alert(1)><button>go</button></form>",
    "<",
    ">",
    "</",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "<?php ?>",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "[x](javascript:alert(1))",
    "[x](jav&#x09;ascript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x]( data:text/html,<script>alert(1)</script>)",
    "![i](data:image/svg+xml,<svg onload=alert(1)>)",
    "![i](https://example.org/i.png)",
    '[x](https://example.org "\\" onmouseover=\\"alert(1)")',
    "[x][r]\n\n[r]: javascript:alert(1)\n",
    "<javascript:alert(1)>",
    "<https://example.org>",
    "<study:a-2001>",
    "[s](study:a-2001)",
    "[s](study:gone-2001 'hover')",
    "[c](cell:alcohol/E5#issues)",
    "[a](#issues)",
    "[r](../../secret.md)",
    "[p](//evil.example/)",
    "{onclick=alert(1)}",
    '{: onmouseover="alert(1)" style="color:red" }',
    '{ href="javascript:alert(1)" }',
    "{#__pwned}",
    "{: #ok .fine }",
    "{: .md-consent__overlay }",
    "{: .note .md-typeset .js }",
    "- - - - - - - - - - - - - - - - - - x",
    "        - ",
    "> > > > > > > > ",
    "<https://a " * 8,
    "[a " * 8,
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;",
    "&amp;",
    "&",
    "```",
    "```html",
    "~~~",
    "`",
    "``",
    '--8<-- ".git/config"',
    "--8<--",
    "---\ntitle: x\n---",
    "## Heading {#a}",
    "# Top {#top onclick=alert(1)}",
    "### `<b onclick=alert(1)>`",
    '??? note "Unfold extra text"\n    ',
    "!!! warning\n    ",
    "| a | b |\n|:--|--:|\n| 1 | 2 |",
    "Term\n:   definition",
    "- item\n    ",
    "> quote ",
    "    indented",
    "\t",
    "\n",
    "\n\n",
    "\r\n",
    "\x00",
    "\x02wzxhzdk:0\x03",
    "\u202e",
    "\u200b",
    "\\",
    "*",
    "_",
    "[",
    "]",
    "(",
    ")",
    '"',
    "'",
    "{",
    "}",
    "|",
    "#",
    "!",
]

markdown_texts = st.lists(
    st.one_of(st.sampled_from(PIECES), st.text(max_size=12)), max_size=24
).map("".join)


def _resolve(target: str) -> str | None:
    return {
        "study:a-2001": "../../studies/a-2001/",
        "cell:alcohol/E5#issues": "../../alcohol/E5/#issues",
    }.get(target)


_SITE: list[markdown.Markdown] = []


def _site() -> markdown.Markdown:
    if not _SITE:
        _SITE.append(_site_markdown())
    md = _SITE[0]
    md.reset()
    return md


FUZZ = settings(
    deadline=2000,
    # MATRIXPIPE_FUZZ_EXAMPLES=20000 for a longer run (fuzz/README.md)
    max_examples=int(os.environ.get("MATRIXPIPE_FUZZ_EXAMPLES", "150")),
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _converted(text: str) -> str | None:
    """The fragment's HTML; None where the converter's guard stopped it, which it may do only
    for a field the check refuses (MP409, MP413, MP414)."""
    try:
        return contributor_html(text, _resolve)
    except FragmentError:
        assert excess(text) is not None, f"the guard stopped a field the check allows: {text!r}"
        return None


@FUZZ
@given(markdown_texts)
def test_contributor_html_is_always_inert(text: str) -> None:
    html = _converted(text)
    if html is not None:
        assert "<script" not in html.lower()
        assert_inert(html, repr(text))


# The shapes that once stalled or crashed a build: deep lists, runs of unclosed links and
# autolinks, and indentation; repeated far past the check's bounds.
HEAVY = st.one_of(
    st.tuples(
        st.sampled_from(["- ", "> ", "1. ", "<https://a ", "[a ", "![a ", "<a ", "*a "]),
        st.integers(min_value=1, max_value=3000),
        st.sampled_from(["x", "\n", " word "]),
    ).map(lambda t: t[0] * t[1] + t[2]),
    st.integers(min_value=1, max_value=400).map(
        lambda n: "\n".join("    " * i + "- x" for i in range(n))
    ),
)


@settings(FUZZ, max_examples=min(FUZZ.max_examples, 40), deadline=None)
@given(HEAVY)
def test_heavy_shapes_are_refused_or_converted_quickly(text: str) -> None:
    started = time.perf_counter()
    html = _converted(text)
    took = time.perf_counter() - started
    if excess(text) is None:
        assert html is not None
        assert took < 2.0, f"{took:.1f} s for a field the check allows: {text[:40]!r}…"
    if html is not None:
        assert_inert(html, repr(text[:80]))


@FUZZ
@given(markdown_texts, markdown_texts)
def test_a_fragment_reaches_the_page_as_one_block(first: str, second: str) -> None:
    one = html_block(contributor_html(first, _resolve))
    two = html_block(contributor_html(second, _resolve), "mp-note")
    page = f"# Page\n\n{one}\n\n## Between {{#between}}\n\n{two}\n\n## End {{#end}}\n"
    out = _site().convert(page)
    assert one in out and two in out
    assert '<h2 id="between">Between' in out and '<h2 id="end">End' in out
    assert_inert(out, repr((first, second)))


@FUZZ
@given(
    st.lists(st.one_of(markdown_texts, st.sampled_from(["## H {#h}", "### Sub {#s}"])), max_size=6)
)
def test_a_bite_renders_inert_with_its_headings(parts: list[str]) -> None:
    bite = "\n\n".join(parts)
    out = _site().convert(bite_markdown(bite, _resolve))
    assert_inert(out, repr(bite))


# --- whole entries through the loader, validator and indexer ------------------------------

KEYS = ["id", "title", "status", "source", "summary", "key_points", "tags", "related", "placements"]
YAML_TRICKS = [
    "&a [1, 2]",
    "*a",
    "!!python/object/apply:os.system ['echo pwned']",
    "!binary aGVsbG8=",
    "<<: {x: 1}",
    "? [complex, key]\n: value",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "\t",
    "\ufeff",
    "[" * 60,
    "{a: " * 30,
    "'unclosed",
    '"\\ud800"',
    "0x1F",
    "2001-01-01",
    "yes",
    "~",
    ".nan",
]

scalars = st.one_of(
    st.text(max_size=20),
    st.sampled_from(PIECES),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), inner, max_size=4)
    ),
    max_leaves=16,
)
placement = st.fixed_dictionaries(
    {"cell": st.sampled_from(["alcohol/E5", "drug/A1", "nowhere/Z9", "alcohol/E5\n"])},
    optional={
        "categories": st.lists(st.sampled_from(["key", "review", "seminal", "guidance", "x"])),
        "note": markdown_texts,
        "discussed_in": st.lists(st.sampled_from(["issues", "about", "nope", "__pwned"])),
        "rank": values,
    },
)
studies = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["fuzz-2001", "../../etc/passwd", "Fuzz 2001", "fuzz-2001\u202e"]),
        "title": st.one_of(st.sampled_from(PIECES), st.text(max_size=40)),
    },
    optional={
        "status": st.sampled_from(["published", "draft", "review", "gone"]),
        "source": st.fixed_dictionaries(
            {"year": st.one_of(st.integers(1800, 2200), values)},
            optional={"url": st.sampled_from([*PIECES, "https://example.org/x"]), "type": values},
        ),
        "summary": markdown_texts,
        "key_points": st.lists(markdown_texts, max_size=3),
        "placements": st.lists(placement, max_size=3),
        "related": values,
        "extra": values,
    },
)


def _yaml_text(data: dict[str, Any], style: int) -> str:
    if style == 0:
        return json.dumps(data, ensure_ascii=False, default=str)
    return yaml.safe_dump(data, allow_unicode=True, default_flow_style=style == 2)


@FUZZ
@given(
    studies,
    st.integers(0, 2),
    st.lists(st.tuples(st.sampled_from(YAML_TRICKS), st.integers(0, 200)), max_size=3),
    st.lists(st.tuples(st.binary(min_size=1, max_size=3), st.integers(0, 2000)), max_size=2),
)
def test_loader_turns_any_study_text_into_findings_or_an_entry(
    data: dict[str, Any],
    style: int,
    tricks: list[tuple[str, int]],
    noise: list[tuple[bytes, int]],
) -> None:
    text = _yaml_text(data, style)
    lines = text.split("\n")
    for trick, at in tricks:
        lines.insert(at % (len(lines) + 1), trick)
    raw = "\n".join(lines).encode("utf-8", "surrogatepass")
    for chunk, at in noise:
        at %= len(raw) + 1
        raw = raw[:at] + chunk + raw[at:]
    (findings, _facts), entry, _ = process("entries/studies/fuzz-2001.yaml", "study", raw)
    assert findings or entry is not None
    assert all(d.path == "entries/studies/fuzz-2001.yaml" for d in findings)


@FUZZ
@given(markdown_texts, st.sampled_from(["published", "draft", "x"]), st.booleans())
def test_loader_turns_any_cell_text_into_findings_or_an_entry(
    bite: str, status: str, front: bool
) -> None:
    head = f"---\nmatrix: alcohol\ncell: E5\nstatus: {status}\n---\n\n" if front else ""
    raw = (head + bite).encode("utf-8", "surrogatepass")
    (findings, _facts), entry, _ = process("entries/cells/alcohol/E5.md", "cell", raw)
    assert findings or entry is not None

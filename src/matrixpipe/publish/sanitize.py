"""Contributor Markdown as safe HTML: the one converter the site, the feeds and the JSON API share.

Entries come from outside contributors, so every Markdown field (bite sections, notes, summaries,
key points, matrix descriptions) is converted on its own, fragment by fragment, and sanitised:

1. One Python-Markdown setup with the site's content extensions (tables, admonition, details,
   superfences, attr_list, def_list): no md_in_html, no snippets, no macros, so no fragment can
   reach files on the build machine or mark its raw HTML as Markdown.
2. A tree pass after attr_list: `study:` and `cell:` links become final site URLs (a target the
   build does not publish loses its link and keeps its text); every other link must be `#anchor`,
   http(s) or mailto once entities and whitespace are decoded, or it loses its link too; elements
   keep only the attributes Markdown itself sets (no `on*`, no `style` from `{...}` lists); ids
   and classes must be plain words, ids starting with a letter (no `__md_scope` clobbering).
3. nh3 (ammonia) on the serialised HTML, as the final gate for anything the tree never saw (raw
   HTML, which the check refuses as MP407 but a collection may lower to a warning): a small
   allow-list of the tags Markdown produces, the attributes above, the schemes http, https and
   mailto, no comments, and relative URLs only in the shapes this module writes.

See SECURITY.md for what is refused by the check and what is sanitised here.
"""

from __future__ import annotations

import re
import signal
import threading
import xml.etree.ElementTree as etree
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from typing import Any

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from pygments.token import STANDARD_TYPES

from matrixpipe.check.links import find_links, without_code
from matrixpipe.check.safety import ADMONITIONS, link_scheme
from matrixpipe.errors import ContentError
from matrixpipe.publish.memo import Memo

Resolve = Callable[[str], "str | None"]
"""Maps a `study:`/`cell:` target to its URL, or None when this build does not publish it."""

EXTENSIONS = [
    "admonition",
    "attr_list",
    "def_list",
    "pymdownx.details",
    "pymdownx.superfences",
    "tables",
]
"""The site's content extensions (the packaged mkdocs.yml) minus toc, which only the page needs."""
_CONFIGS = {"tables": {"use_align_attribute": True}}  # `align`, not a `style` attribute

TAGS = frozenset(
    [
        "a",
        "blockquote",
        "br",
        "code",
        "dd",
        "del",
        "details",
        "div",
        "dl",
        "dt",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "img",
        "li",
        "ol",
        "p",
        "pre",
        "span",
        "strong",
        "sub",
        "summary",
        "sup",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)
"""The tags Python-Markdown and the extensions above produce; any other tag is dropped (its text
kept, escaped), and `script`, `style` and the like with their content."""
_ATTRIBUTES = {
    "*": {"id", "class"},
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
}
_VALUES = {
    "a": {"rel": {"noopener noreferrer"}},
    "details": {"open": {""}},
    "th": {"align": {"left", "right", "center"}},
    "td": {"align": {"left", "right", "center"}},
}
SCHEMES = frozenset({"http", "https", "mailto"})
EXTERNAL_REL = "noopener noreferrer"

CLASSES = frozenset(
    {"admonition", "admonition-title", "highlight", "hll", "filename", "linenos", "linenodiv"}
    | ADMONITIONS
    | {name for name in STANDARD_TYPES.values() if name}
)
"""The classes fragments may carry: those Markdown's extensions write (admonitions, and Pygments'
token names inside highlighted code) and the admonition types contributors may set. Never the
theme's own (`md-*`, `js`), which could restyle the page around the fragment."""

SAFE_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,79}")
"""An id a contributor may set: a word starting with a letter, so it cannot clobber the theme's
globals (`__md_scope`, `__config`) or look like a generated one."""
# What the link pass writes: `#a`, `../../studies/x/`, `../D5/#a`, `/studies/x/`. Never `//host`.
_SEGMENT = r"[A-Za-z0-9_.~-]+/"
_RELATIVE = re.compile(rf"(?:(?:\.\.?/)+(?:{_SEGMENT})*|/?(?:{_SEGMENT})+)?(?:#[A-Za-z0-9_-]*)?")
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _keep_attribute(tag: str, name: str, value: str) -> str | None:
    """nh3's per-attribute filter: ids and classes must be plain words."""
    if name == "id":
        return value if SAFE_ID.fullmatch(value) else None
    if name == "class":
        kept = " ".join(c for c in value.split() if c in CLASSES)
        return kept or None
    return value


def _keep_relative(url: str) -> str | None:
    """Relative URLs pass only in the shapes the link pass writes; `//host` and `/\\host` never."""
    return url if _RELATIVE.fullmatch(url) else None


_CLEANER = nh3.Cleaner(
    tags=set(TAGS),
    attributes={k: set(v) for k, v in _ATTRIBUTES.items()},
    attribute_filter=_keep_attribute,
    tag_attribute_values=_VALUES,
    url_schemes=set(SCHEMES),
    url_relative=_keep_relative,
    link_rel=None,
    strip_comments=True,
)


def external(target: str) -> bool:
    """An http(s) or mailto address, written plainly (no entities or tricks before the colon)."""
    scheme = link_scheme(target)
    return (
        scheme in SCHEMES
        and target.lower().startswith(f"{scheme}:")
        and len(target) > len(scheme) + 1
    )


class _Guard(Treeprocessor):
    """Resolves `study:`/`cell:` links and enforces link schemes and attributes on the tree."""

    resolve: Resolve

    def run(self, root: etree.Element) -> None:
        found = []
        for parent in root.iter():
            for child in parent:
                self._attributes(child)
                replacement = self._check_link(child)
                if replacement is not None:
                    found.append((parent, child, replacement))
        for parent, child, replacement in reversed(found):  # the innermost first
            _unwrap(parent, child, replacement)

    def _attributes(self, node: etree.Element) -> None:
        allowed = (
            _ATTRIBUTES["*"] | _ATTRIBUTES.get(node.tag, set()) | set(_VALUES.get(node.tag, {}))
        )
        for name in list(node.attrib):
            if name not in allowed or name == "rel":
                del node.attrib[name]

    def _check_link(self, node: etree.Element) -> str | None:
        """None if the node may stay; otherwise the text to put in its place (its own for a link)."""
        if node.tag == "a":
            href = node.get("href")
            if href is None:
                return None
            url = self._url(href, images=False)
            if url is None:
                return ""
            node.set("href", url)
            if external(url):
                node.set("rel", EXTERNAL_REL)
        elif node.tag == "img":
            url = self._url(node.get("src", ""), images=True)
            if url is None:
                return node.get("alt", "")
            node.set("src", url)
        return None

    def _url(self, target: str, images: bool) -> str | None:
        if target.startswith(("study:", "cell:")):
            return None if images else self.resolve(target)
        if target.startswith("#"):
            return None if images else target
        if external(target) and not (images and target.lower().startswith("mailto:")):
            return target
        return None  # javascript:, data:, relative paths: the check refuses them (MP304)


def _unwrap(parent: etree.Element, child: etree.Element, text: str) -> None:
    """Replace `child` by its content (a link keeps its text and children) or by `text` (an image
    by its alt text)."""
    index = list(parent).index(child)
    keep = [] if child.tag == "img" else list(child)
    lead = text if child.tag == "img" else (child.text or "")
    tail = child.tail or ""
    parent.remove(child)
    if keep:
        keep[-1].tail = (keep[-1].tail or "") + tail
        tail = ""
    for offset, node in enumerate(keep):
        parent.insert(index + offset, node)
    before = parent[index - 1] if index > 0 else None
    joined = lead if keep else lead + tail
    if before is None:
        parent.text = (parent.text or "") + joined
    else:
        before.tail = (before.tail or "") + joined


def _no_links(target: str) -> str | None:
    return None


class _GuardExtension(Extension):
    def __init__(self) -> None:
        super().__init__()
        self.guard: _Guard | None = None

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # Markdown's API names it
        self.guard = _Guard(md)
        # After attr_list (8), which can set `href` too, and after unescape (0), so every value
        # is final when it is judged.
        md.treeprocessors.register(self.guard, "matrixpipe-guard", -10)


class _Converter:
    """One configured Python-Markdown per thread (instances are not thread-safe), reset per call."""

    def __init__(self) -> None:
        self.guard = _GuardExtension()
        self.md = markdown.Markdown(
            extensions=[*EXTENSIONS, self.guard], extension_configs=_CONFIGS
        )

    def convert(self, text: str, resolve: Resolve) -> str:
        guard = self.guard.guard
        assert guard is not None
        guard.resolve = resolve
        self.md.reset()
        try:
            return self.md.convert(text)
        finally:
            # The resolver holds the whole render (a closure over its context): keep it no
            # longer than the call, or the collection outlives the render.
            guard.resolve = _no_links


_LOCAL = threading.local()


def _converter() -> _Converter:
    converter = getattr(_LOCAL, "converter", None)
    if converter is None:
        converter = _LOCAL.converter = _Converter()
    return converter


def _autolinks(text: str) -> str:
    """`<study:x>` and `<cell:m/C>` as inline links: Python-Markdown autolinks only http(s) and
    would take them for tags. Code is left alone."""
    if "<study:" not in text and "<cell:" not in text:
        return text
    plain = without_code(text)
    out: list[str] = []
    done = 0
    for link in find_links(text):
        start = link.offset
        if not link.target.startswith(("study:", "cell:")) or start < done + 1:
            continue
        if plain[start - 1] != "<" or plain[: start - 1].rstrip(" \t").endswith(("](", "]:")):
            continue
        end = start + len(link.target)
        label = re.sub(r"([\\`*_\[\]])", r"\\\1", link.target)
        out.append(f"{text[done : start - 1]}[{label}]({link.target})")
        done = end + 1
    out.append(text[done:])
    return "".join(out)


FRAGMENT_SECONDS = 10.0
"""How long one fragment may take to convert. The check bounds every field (MP409, MP413, MP414)
so that none comes near; this is the guard for a collection that lowered those rules."""
_GUARD_FROM = 2000
"""Shorter fragments cannot be slow: the time guard costs two system calls, so they skip it."""


class FragmentError(ContentError):
    """A contributor fragment that the converter could not finish: too deep, or too slow."""


class _Timeout(Exception):
    pass


def _guarded(text: str, resolve: Resolve) -> str:
    """Convert one fragment with its recursion and (in the main thread) its time bounded; a
    fragment that breaks a bound is a FragmentError naming it, never a traceback or a stall."""
    snippet = " ".join(text.split())[:60]
    try:
        with _deadline(FRAGMENT_SECONDS if len(text) > _GUARD_FROM else 0):
            return _converter().convert(_autolinks(text), resolve)
    except RecursionError:
        reason = "its lists or quotes are nested too deeply (MP413)"
    except _Timeout:
        reason = f"it took longer than {FRAGMENT_SECONDS:g} s (MP409, MP414)"
    _LOCAL.converter = None  # Python-Markdown's state after an abort is not to be trusted
    raise FragmentError(f"a Markdown field could not be converted: {reason}: '{snippet}…'")


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Raise _Timeout in the block after `seconds` (0: no limit). Signals reach only the main
    thread, so elsewhere (serve's watcher) the check's bounds are the only guard."""
    if (
        not seconds
        or not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


_PLACEHOLDER = re.compile(r"\x02?klzzwxh:\d+\x03?|[\x02\x03]")


def contributor_html(text: str, resolve: Resolve) -> str:
    """Sanitised HTML of one contributor Markdown fragment; blank text gives "".

    Args:
        text: the Markdown as the contributor wrote it.
        resolve: the URL of a `study:`/`cell:` target, or None to drop the link and keep its text.
    """
    text = _CONTROLS.sub("", text)
    if not text.strip():
        return ""
    # The same note shows on its cell page and its study page, and again in the API: the HTML
    # depends only on the text and on what its study:/cell: links resolve to, so reuse it when
    # those answers are the same.
    key = Memo.key(text)
    known = _MEMO.get(key) or []
    for answers, html in known:
        if all(resolve(target) == url for target, url in answers):
            return html
    asked: list[tuple[str, str | None]] = []

    def recording(target: str) -> str | None:
        url = resolve(target)
        asked.append((target, url))
        return url

    converted = _guarded(text, recording)
    # Python-Markdown sets raw HTML aside behind placeholders; emphasis next to one can split
    # it so that it is never put back. Raw HTML is never wanted here, so drop any remnant.
    converted = _PLACEHOLDER.sub("", converted)
    # The cleaner decodes character references: `&#2;` would come back as a control character,
    # which HTML forbids and Python-Markdown takes for its own placeholder marker.
    html = _CONTROLS.sub("", _CLEANER.clean(converted)).strip("\n")
    _MEMO.put(key, [*known, (tuple(asked), html)])
    return html


def _is_fragments(value: Any) -> bool:
    """The memo's shape: [(((target, url or None), …), html), …]."""
    return isinstance(value, list) and all(
        isinstance(item, tuple)
        and len(item) == 2
        and isinstance(item[1], str)
        and isinstance(item[0], tuple)
        and all(
            isinstance(a, tuple)
            and len(a) == 2
            and isinstance(a[0], str)
            and (a[1] is None or isinstance(a[1], str))
            for a in item[0]
        )
        for item in value
    )


# Kept between runs (see matrixpipe.publish.memo): text digest → [(what each link resolved to, HTML)].
_MEMO: Memo[list[tuple[tuple[tuple[str, str | None], ...], str]]] = Memo("fragments", _is_fragments)


class _Text(HTMLParser):
    _INLINE = frozenset({"a", "code", "em", "strong", "del", "sub", "sup", "span", "img"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self._INLINE:
            self.parts.append(" ")
        if tag == "img":
            self.parts.append(dict(attrs).get("alt") or "")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_text(html: str) -> str:
    """The text a reader sees in sanitised HTML (an image by its alt text), whitespace collapsed."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.parts).split())

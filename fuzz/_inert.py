"""What every fuzz harness asserts about HTML: nothing in it can run script."""

from __future__ import annotations

from html.parser import HTMLParser

from matrixpipe.check.safety import link_scheme

NEVER = {"script", "iframe", "frame", "svg", "math", "form", "style", "object", "embed", "base"}
SCHEMES = {"", "http", "https", "mailto"}


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in NEVER:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") or name == "style":
                self.problems.append(f"<{tag} {name}={value!r}>")
            unsafe_url = link_scheme(value) not in SCHEMES or value.startswith(("//", "/\\"))
            if name in ("href", "src", "action", "formaction") and unsafe_url:
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name == "class" and any(c.startswith("md-") for c in value.split()):
                self.problems.append(f"<{tag} class={value!r}>: a theme class")


def assert_inert(html: str, source: str) -> None:
    """Raise AssertionError (a finding for the fuzzer) if `html` could run script."""
    markup = _Markup()
    markup.feed(html)
    markup.close()
    if "<script" in html.lower() or markup.problems:
        raise AssertionError(f"unsafe output {markup.problems} for input {source!r}")

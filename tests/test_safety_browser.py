"""Hostile entries in a real headless Chromium: no script runs, and the payloads read as text.

Two sites are built from the bundled collection seeded with the payloads of test_safety_render:
one with the default rules (only what the check lets through as text: code spans and blocks,
entities, a title-injection hover note, a snippet line, an unclosed fence, a title
that closes `<title>`), one with raw-html, forbidden-link and unsafe-attribute lowered to
warnings (raw `<script>`, `onerror`, `javascript:` links, `{onclick=…}`). Every page is opened;
no dialog may open, no console error occur, `window.__pwned` must stay undefined even after
every element got mouse, focus and toggle events, and no element may carry an event handler.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from test_safety_render import PWN, hostile_collection

from matrixpipe.commands.build import run_build

from browser import serve_dir

pytestmark = pytest.mark.browser

TEXT_PAGES = ["", "alcohol/E5/", "studies/payload-code-2020/", "studies/payload-next-2020/"]
RAW_PAGES = [*TEXT_PAGES, "studies/payload-raw-2020/", "studies/payload-after-2020/"]

# Fire what inline handlers listen for, open every <details>, then report what the DOM holds.
_PROVOKE = """() => {
  const article = document.querySelector('article');
  for (const el of article.querySelectorAll('*')) {
    for (const type of ['mouseover', 'mouseenter', 'focus', 'load', 'error', 'animationstart'])
      el.dispatchEvent(new Event(type));
    if (el.tagName === 'DETAILS') el.open = true;
  }
  const handlers = [...article.querySelectorAll('*')].flatMap(
    el => [...el.attributes].filter(a => a.name.startsWith('on')).map(a => el.tagName + ' ' + a.name));
  const urls = [...article.querySelectorAll('[href], [src], [action]')]
    .map(el => el.getAttribute('href') || el.getAttribute('src') || el.getAttribute('action'))
    .filter(u => /^\\s*(javascript|data|vbscript):/i.test(u));
  const tags = [...article.querySelectorAll('script, iframe, svg, form, style, object, embed')]
    .map(el => el.tagName);
  return {handlers, urls, tags};
}"""


def _built(root: Path, lowered: bool) -> Path:
    hostile_collection(root, lowered=lowered)
    assert run_build(root, None, drafts=False, color="never") == 0
    return root / "public"


@pytest.fixture(scope="module")
def text_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    public = _built(tmp_path_factory.mktemp("text") / "collection", lowered=False)
    with serve_dir(public) as url:
        yield url


@pytest.fixture(scope="module")
def raw_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    public = _built(tmp_path_factory.mktemp("raw") / "collection", lowered=True)
    with serve_dir(public) as url:
        yield url


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page that records dialogs, console errors and uncaught exceptions; none may occur."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    events: list[str] = []
    tab.on("dialog", lambda d: (events.append(f"dialog: {d.message}"), d.dismiss()))
    # The payloads' external image cannot load offline; that is no script running.
    tab.on(
        "console",
        lambda m: (
            events.append(f"console: {m.text}")
            if m.type == "error" and "net::ERR_" not in m.text
            else None
        ),
    )
    tab.on("pageerror", lambda e: events.append(f"page error: {e}"))
    yield tab
    context.close()
    assert events == [], "\n".join(events)


def _assert_nothing_ran(tab: Page, url: str) -> None:
    response = tab.goto(url)
    assert response is not None and response.ok, url
    tab.wait_for_load_state("networkidle")
    found = tab.evaluate(_PROVOKE)
    assert found == {"handlers": [], "urls": [], "tags": []}, url
    tab.wait_for_timeout(50)  # let any queued handler run before looking
    assert tab.evaluate("() => typeof window.__pwned") == "undefined", url


@pytest.mark.parametrize("path", TEXT_PAGES)
def test_text_payloads_run_nothing(page: Page, text_site: str, path: str) -> None:
    _assert_nothing_ran(page, text_site + path)


@pytest.mark.parametrize("path", RAW_PAGES)
def test_lowered_rules_still_run_nothing(page: Page, raw_site: str, path: str) -> None:
    _assert_nothing_ran(page, raw_site + path)


def test_payloads_read_as_text(page: Page, text_site: str) -> None:
    page.goto(text_site + "studies/payload-code-2020/")
    title = f"</title><script>{PWN}</script> Code & co"
    assert page.title().startswith(title)
    expect(page.locator("h1")).to_contain_text(title)
    article = page.locator("article")
    expect(article.locator("p code").first).to_have_text(f"<script>{PWN}</script>")
    expect(article.locator("pre code").first).to_contain_text(f"<script>{PWN}</script>")
    expect(article).to_contain_text("Plain javascript:alert(1) text")
    expect(article).to_contain_text(f"<img src=x onerror={PWN}> entities")
    expect(article.locator("#mp-document + dl")).to_contain_text("<b>Org</b> & Sons")

    link = article.locator('a[href="https://example.org"]', has_text="this")
    expect(link).to_have_attribute("title", f'\\" onmouseover=\\"{PWN}')
    link.hover()
    expect(
        page.locator(".md-tooltip2, .md-tooltip").filter(has_text="onmouseover").first
    ).to_be_visible()


def test_bite_heading_code_and_fragments_after_an_unclosed_fence(
    page: Page, text_site: str
) -> None:
    page.goto(text_site + "alcohol/E5/")
    heading = page.locator("h3#payload-heading")
    expect(heading.locator("code")).to_have_text(f'<b onclick="{PWN}">')
    expect(page.locator('.md-nav--secondary a[href="#payload-heading"]')).to_have_count(1)
    after = page.locator('li:has(a.mp-headline[href="../../studies/payload-next-2020/"])')
    expect(after.locator(".mp-note")).to_have_text(
        "This note must still render after the unclosed fence."
    )
    expect(page.locator("h2#issues")).to_contain_text("Issues to consider and discuss")


def test_raw_html_is_gone_but_its_text_stays(page: Page, raw_site: str) -> None:
    page.goto(raw_site + "studies/payload-raw-2020/")
    article = page.locator("article")
    expect(article).to_contain_text("tab link")
    expect(article).to_contain_text('--8<-- ".git/config"')  # an include stays text
    expect(article).not_to_contain_text("repositoryformatversion")
    expect(article.locator("a", has_text="tab link")).not_to_have_attribute("href", "x")
    expect(article.locator("a", has_text="click")).to_have_count(0)  # the link went, the text stays
    expect(article).to_contain_text("click")
    page.goto(raw_site + "alcohol/E5/")
    after = page.locator('li:has(a.mp-headline[href="../../studies/payload-after-2020/"])')
    expect(after.locator(".mp-note")).to_contain_text(
        "must still render after the unclosed comment"
    )
    expect(page.locator("h3#raw-heading")).to_have_count(1)


def test_search_shows_a_hostile_title_as_text(page: Page, text_site: str) -> None:
    page.goto(text_site)
    page.wait_for_load_state("networkidle")
    box = page.locator("input.md-search__input")
    box.click()
    box.press_sequentially("Sons", delay=20)
    result = page.locator(".md-search-result__article", has_text="Code & co").first
    expect(result).to_be_visible()
    expect(result).to_contain_text("</title><script>")
    assert page.evaluate("() => typeof window.__pwned") == "undefined"

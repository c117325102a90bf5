"""Faceted search in headless Chromium, with both engines, on real builds.

The collection is tests/test_facets.py's: the bundled studies (all in alcohol/E5) plus studies
in alcohol/B2 and alcohol/C3 with different categories, years and jurisdictions, one listed in
both cells, and a jurisdiction group whose name carries HTML. With `search: pagefind` the
header's Pagefind UI offers the filters every study page carries, and the Find studies page asks
Pagefind's JS API; with Material's search the same page filters the API's studies.json. Each
test fails on any console error (the `page` fixture).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from test_facets import HOSTILE_GROUP, WORD, make_collection

from matrixpipe.commands.build import run_build

from browser import add_site, axe_source, describe, serious_violations, serve_dir

pytestmark = pytest.mark.browser

B2_KEY = {"b2-key-usa-2003", "b2-key-england-2019", "two-cells-jersey-2016"}
"""Listed in alcohol/B2 and marked Key study: two-cells-jersey-2016 is a review in B2 and key in
C3, and filters say what a study holds, not which cell gave it which category."""
B2 = B2_KEY | {"b2-review-scotland-2015"}
C3_GUIDANCE = {"c3-guidance-australia-2012"}


def _site(tmp_path_factory: pytest.TempPathFactory, engine: str) -> Iterator[str]:
    repo = make_collection(tmp_path_factory.mktemp(engine) / "collection", engine)
    assert run_build(add_site(repo), None, drafts=False, color="never") == 0
    assert (repo / "public" / "pagefind").is_dir() == (engine == "pagefind")
    with serve_dir(repo / "public") as base:
        yield base


@pytest.fixture(scope="module")
def pagefind_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _site(tmp_path_factory, "pagefind")


@pytest.fixture(scope="module")
def material_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _site(tmp_path_factory, "material")


def _studies(hrefs: list[str]) -> set[str]:
    """The study ids of some links; fails on a link that is not a study page."""
    ids = set()
    for href in hrefs:
        path = href.split("://", 1)[-1].partition("/")[2] if "://" in href else href.lstrip("/")
        assert path.startswith("studies/") and path.endswith("/"), href
        ids.add(path.removeprefix("studies/").rstrip("/"))
    return ids


# -- Pagefind's UI in the header ---------------------------------------------------------------

RESULT = "a.pagefind-ui__result-link"


def _search(page: Page, base: str) -> None:
    page.goto(base)
    box = page.locator("#mp-search-input")
    box.click()
    box.press_sequentially(WORD, delay=30)
    expect(page.locator(".pagefind-ui__message")).to_have_text(f"6 results for {WORD}")


def _tick(page: Page, facet: str, value: str) -> None:
    """Open a filter's group in Pagefind's UI and tick one value."""
    block = page.locator("details.pagefind-ui__filter-block").filter(
        has=page.locator(f'input[name="{facet}"]')
    )
    if block.get_attribute("open") is None:
        block.locator("summary").click()
    block.locator(f'input[name="{facet}"][value="{value}"]').check()


def _results(page: Page, count: int) -> set[str]:
    message = f"{count} result{'s' if count != 1 else ''} for {WORD}"
    expect(page.locator(".pagefind-ui__message")).to_have_text(message)
    expect(page.locator(RESULT)).to_have_count(count)
    return _studies(page.locator(RESULT).evaluate_all("as => as.map(a => a.href)"))


def test_pagefind_search_narrowed_by_cell_and_category_returns_only_matching_studies(
    page: Page, pagefind_url: str
) -> None:
    _search(page, pagefind_url)
    # The filters come after the first results (held back to keep the first download small):
    # wait for them, rather than read whatever is there when the results show.
    expect(page.locator("summary.pagefind-ui__filter-name")).to_have_text(
        ["Category", "Cell", "Decade", "Jurisdiction", "Matrix", "Tag", "Year"]
    )

    _tick(page, "cell", "alcohol/B2")
    assert _results(page, len(B2)) == B2
    _tick(page, "category", "Key study")
    assert _results(page, len(B2_KEY)) == B2_KEY

    _search(page, pagefind_url)  # a fresh page: no filter ticked
    _tick(page, "cell", "alcohol/C3")
    _tick(page, "category", "Guidance")
    assert _results(page, 1) == C3_GUIDANCE


def test_pagefind_shows_a_filter_value_with_markup_as_text(page: Page, pagefind_url: str) -> None:
    _search(page, pagefind_url)
    block = page.locator("details.pagefind-ui__filter-block").filter(
        has=page.locator('input[name="jurisdiction"]')
    )
    block.locator("summary").click()
    label = block.locator("label.pagefind-ui__filter-label", has_text="Isles")

    expect(label).to_have_text(f"{HOSTILE_GROUP} (1)")
    assert label.locator("i").count() == 0  # text, not an element
    label.click()
    assert _results(page, 1) == {"two-cells-jersey-2016"}


def test_pagefind_js_api_filters_by_cell_and_category(page: Page, pagefind_url: str) -> None:
    page.goto(pagefind_url)
    urls = page.evaluate(
        """async () => {
            const pagefind = await import("./pagefind/pagefind.js");
            const search = await pagefind.search(null, {
                filters: {cell: "alcohol/B2", category: "Key study"}
            });
            return Promise.all(search.results.map(async r => (await r.data()).url));
        }"""
    )
    assert _studies(urls) == B2_KEY


# -- the Find studies page, with each engine ----------------------------------------------------


def _listed(page: Page, count: int) -> set[str]:
    status = page.locator("#mp-find-status")
    expect(status).to_contain_text(f"{count} stud{'y matches' if count == 1 else 'ies match'}")
    links = page.locator("#mp-find-list a")
    expect(links).to_have_count(count)
    return _studies(links.evaluate_all("as => as.map(a => a.href)"))


@pytest.mark.parametrize("engine", ["material", "pagefind"])
def test_the_find_page_combines_cell_and_category(
    page: Page, request: pytest.FixtureRequest, engine: str
) -> None:
    base: str = request.getfixturevalue(f"{engine}_url")
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url))
    page.goto(base + "find/")
    expect(page.locator("#mp-find-status")).to_have_text(
        "Choose one or more filters to list the studies that match."
    )

    page.get_by_label("Cell").select_option("alcohol/B2")
    assert _listed(page, len(B2)) == B2
    page.get_by_label("Category").select_option("Key study")
    assert _listed(page, len(B2_KEY)) == B2_KEY
    assert page.url.endswith("find/?cell=alcohol%2FB2&category=Key+study")

    page.reload()  # the choice is in the address
    expect(page.get_by_label("Category")).to_have_value("Key study")
    assert _listed(page, len(B2_KEY)) == B2_KEY

    page.get_by_label("Cell").select_option("alcohol/C3")
    page.get_by_label("Category").select_option("Guidance")
    assert _listed(page, 1) == C3_GUIDANCE
    page.get_by_label("Jurisdiction").select_option(HOSTILE_GROUP)
    expect(page.locator("#mp-find-status")).to_contain_text("0 studies match")
    page.get_by_label("Cell").select_option("")
    page.get_by_label("Category").select_option("")
    assert _listed(page, 1) == {"two-cells-jersey-2016"}

    page.get_by_role("button", name="Clear the filters").click()
    expect(page.locator("#mp-find-list a")).to_have_count(0)
    expect(page.get_by_label("Jurisdiction")).to_have_value("")

    # Each engine reads its own source: Pagefind's index, or the API.
    api = [u for u in fetched if u.endswith("/api/v1/studies.json")]
    index = [u for u in fetched if "/pagefind/filter/" in u]
    assert (bool(api), bool(index)) == ((True, False) if engine == "material" else (False, True))


@pytest.mark.parametrize("engine", ["material", "pagefind"])
def test_the_find_page_lists_every_value_and_opens_a_study(
    page: Page, request: pytest.FixtureRequest, engine: str
) -> None:
    base: str = request.getfixturevalue(f"{engine}_url")
    page.goto(base + "find/")

    decades = page.get_by_label("Decade").locator("option").all_inner_texts()
    assert decades == ["Any", "2010s", "2000s", "n.d."]
    groups = page.get_by_label("Jurisdiction").locator("option").all_inner_texts()
    assert "United Kingdom" in groups and HOSTILE_GROUP in groups
    assert "Scotland" not in groups  # filed under its group, from the table

    page.get_by_label("Year").select_option("n.d.")
    assert _listed(page, 1) == {"c3-key-canada-undated"}
    page.locator("#mp-find-list a").click()
    expect(page).to_have_url(base + "studies/c3-key-canada-undated/")


@pytest.mark.parametrize("engine", ["material", "pagefind"])
def test_the_find_page_is_accessible(
    page: Page, request: pytest.FixtureRequest, engine: str
) -> None:
    base: str = request.getfixturevalue(f"{engine}_url")
    page.goto(base + "find/")
    page.get_by_label("Cell").select_option("alcohol/B2")
    page.get_by_label("Tag").select_option("prisons")
    assert _listed(page, 3) == B2 - {"b2-key-usa-2003"}

    for select in page.locator("#mp-find select").all():
        assert select.evaluate("s => s.labels.length") == 1
    region = page.locator("[aria-live]").filter(has=page.locator("#mp-find-list"))
    expect(region).to_have_attribute("aria-live", "polite")
    assert describe(serious_violations(page, axe_source())) == ""


def test_pages_without_the_find_form_load_no_find_script(page: Page, material_url: str) -> None:
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(material_url + "studies/two-cells-jersey-2016/")
    page.wait_for_load_state("networkidle")
    assert [u for u in requested if "/assets/matrixpipe/" in u]  # the site's own assets load
    assert not [u for u in requested if "find.js" in u or "find.css" in u or "studies.json" in u]

"""The built site in a real headless Chromium: browse, hover, unfold, search, follow, and axe.

The site is built once per module (with Git history, so pages carry dates) and served by a
local web server; each test opens its own page and fails on any console error.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
from playwright.sync_api import Browser, Page, expect

from matrixpipe.check.resolve import Listing
from matrixpipe.check.run import check
from matrixpipe.commands.build import run_build

from browser import (
    ROOT,
    add_site,
    axe_source,
    describe,
    screenshot,
    serious_violations,
    serve_dir,
    update_docs_screenshot,
)

pytestmark = pytest.mark.browser

AUSTRALIA = "criminal-justice-treatment-partnership-australia-2005"
PROBATION = "probation-alcohol-offenders-2009"
PAGES = {
    "home": "",
    "matrix": "alcohol/",
    "cell": "alcohol/E5/",
    "study": f"studies/{PROBATION}/",
    "empty cell": "alcohol/D5/",
    "index": "indexes/tags/",
    "about": "about/",
}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled collection, committed to Git, with the site folder, built into public/."""
    root = tmp_path_factory.mktemp("site") / "collection"
    shutil.copytree(ROOT / "entries", root / "entries")
    add_site(root)
    for args in (
        ["init", "-q", "-b", "main"],
        ["config", "user.name", "Test Editor"],
        ["config", "user.email", "editor@example.org"],
        ["add", "--all"],
        ["commit", "-q", "-m", "Add the collection"],
    ):
        subprocess.run(["git", *args], cwd=root, check=True)
    assert run_build(root, None, drafts=False, color="never") == 0
    return root


@pytest.fixture(scope="module")
def base_url(repo: Path) -> Iterator[str]:
    with serve_dir(repo / "public") as url:
        yield url


def _e5_listings(repo: Path) -> list[Listing]:
    return check(repo).collection.cells["alcohol/E5"].listings


def test_home_to_cell_shows_all_studies_in_editorial_order(
    page: Page, base_url: str, repo: Path
) -> None:
    page.goto(base_url)
    page.locator('a.mp-cell[href="alcohol/E5/"]').click()
    expect(page).to_have_url(f"{base_url}alcohol/E5/")
    expect(page.locator("h1")).to_contain_text(
        "Alcohol Treatment Matrix cell E5: Treatment systems; Safeguarding the community"
    )

    items = page.locator("li:has(> p > a.mp-headline)")
    shown = [
        (
            item.locator("a.mp-headline").get_attribute("href") or "",
            item.locator("> p > abbr.mp-badge").all_inner_texts(),
        )
        for item in items.all()
    ]

    listings = _e5_listings(repo)
    letters = {"seminal": "S", "key": "K", "review": "R", "guidance": "G"}
    expected = [
        (
            f"../../studies/{x.study.id}/",
            [letters[c] for c in letters if c in x.placement.categories],
        )
        for x in listings
    ]
    assert shown == expected
    firsts = [badges[0] for _, badges in shown]
    assert firsts == ["K"] * 8 + ["R"] * 3 + ["G"] * 7
    assert [b for _, b in shown].count(["K", "G"]) == 1
    expect(page.locator(".mp-legend")).to_contain_text("Seminal studies")


def test_hovering_a_link_shows_its_note(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}alcohol/E5/")
    note = "Treatment systems cell for treatment in general"
    link = page.locator(f'a[title="{note}"]')
    expect(link).to_have_count(1)

    link.hover()

    expect(page.locator(".md-tooltip2, .md-tooltip").filter(has_text=note).first).to_be_visible()


def test_unfold_extra_text(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}alcohol/E5/")
    details = page.locator("details:has(> summary:text('Unfold extra text'))").first
    extra = details.locator("p").first
    expect(extra).to_be_hidden()

    details.locator("summary").click()

    expect(extra).to_be_visible()
    expect(extra).to_contain_text("what a sentence is meant to achieve")


def test_search_finds_a_study_by_a_headline_word_and_opens_it(page: Page, base_url: str) -> None:
    page.goto(base_url)
    page.wait_for_load_state("networkidle")  # the search worker has loaded its index
    box = page.locator("input.md-search__input")
    box.click()
    box.press_sequentially("reconcile", delay=30)
    result = page.locator(f'a.md-search-result__link[href*="/studies/{AUSTRALIA}/"]').first
    expect(result).to_be_visible()

    result.click()

    expect(page).to_have_url(f"{base_url}studies/{AUSTRALIA}/?h=reconcile")
    expect(page.locator("h1")).to_contain_text(
        "Justice and treatment agencies must reconcile their differing aims and cultures"
    )


def test_discussion_link_goes_to_the_bite_section(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}alcohol/E5/")
    item = page.locator(f'li:has(a.mp-headline[href="../../studies/{PROBATION}/"])')
    expect(item.locator(".mp-refs")).to_contain_text("Discussion in bite's")

    item.locator('.mp-refs a[href="#issues"]').click()

    expect(page).to_have_url(f"{base_url}alcohol/E5/#issues")
    heading = page.locator("h2#issues")
    expect(heading).to_contain_text("Issues to consider and discuss")
    expect(heading).to_be_in_viewport()


def test_study_page_has_source_listing_citation_and_dates(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}studies/{PROBATION}/")

    expect(page.locator("h1")).to_contain_text("Probation struggling to cope with offenders")
    expect(page.locator("#mp-document + dl")).to_contain_text("[UK] Ministry of Justice")
    # APA, formatted by citeproc-py: organisation as author, year, the title in italics.
    expect(page.locator(".mp-citation")).to_contain_text("[UK] Ministry of Justice. (2009).")
    expect(page.locator(".mp-citation i")).to_contain_text("Probation struggling to cope")
    expect(page.locator(".mp-downloads a", has_text="BibTeX")).to_have_attribute(
        "href", f"../../downloads/studies/{PROBATION}.bib"
    )
    expect(page.locator(".mp-dates")).to_contain_text("Added on")
    page.locator(f'a[href="../../alcohol/E5/#mp-study-{PROBATION}"]').click()
    expect(page.locator(f"#mp-study-{PROBATION}")).to_be_in_viewport()


def test_an_empty_cell_speaks_to_readers(page: Page, base_url: str) -> None:
    """No contributor instructions on a reader's page: one line, and one link to the guide."""
    page.goto(f"{base_url}alcohol/D5/")

    expect(page.locator(".mp-empty")).to_contain_text("Nothing has been published in this cell yet")
    assert "matrixpipe" not in page.locator("article").inner_text().lower()
    links = page.locator('article a[href="../../contributors/contributing/"]')
    expect(links).to_have_count(1)
    expect(links).to_be_visible()


def test_copy_title_and_link(browser: Browser, base_url: str) -> None:
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    try:
        tab = context.new_page()
        tab.goto(f"{base_url}alcohol/E5/")
        button = tab.locator("button[data-mp-copy]")
        expect(button).to_have_text("Copy title and link")

        button.click()

        expect(button).to_have_text("Copied")
        copied = tab.evaluate("() => navigator.clipboard.readText()")
        assert copied == (
            "Alcohol Treatment Matrix cell E5: Treatment systems; Safeguarding the community\n"
            "https://example.org/alcohol/E5/"
        )
        expect(button).to_have_text("Copy title and link", timeout=5000)
    finally:
        context.close()


@pytest.mark.parametrize("name", list(PAGES))
def test_pages_load_without_console_errors(page: Page, base_url: str, name: str) -> None:
    response = page.goto(base_url + PAGES[name])
    assert response is not None and response.ok
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("name", ["home", "matrix", "cell", "study", "empty cell", "index"])
def test_no_serious_accessibility_violations(page: Page, base_url: str, name: str) -> None:
    source = axe_source()
    page.goto(base_url + PAGES[name])

    violations: list[dict[str, Any]] = serious_violations(page, source)

    assert violations == [], describe(violations)


def test_screenshots(page: Page, base_url: str) -> None:
    """For people to look at: test-artifacts/, and the README's picture on request."""
    for name in ("home", "cell", "study"):
        page.goto(base_url + PAGES[name])
        assert screenshot(page, name).stat().st_size > 10_000
    page.goto(base_url + PAGES["cell"])
    update_docs_screenshot(page, "cell-page")


def test_download_and_api_links_resolve_on_the_built_site(page: Page, base_url: str) -> None:
    """`matrixpipe build` writes the API and the downloads beside MkDocs' output, not through it:
    every download link on a study page and a cell page must still reach its file."""
    page.goto(f"{base_url}studies/{PROBATION}/")
    study = {
        name: page.request.get(urljoin(page.url, href)).text()
        for name in ("BibTeX", "RIS", "CSL-JSON")
        if (href := page.locator(".mp-downloads a", has_text=name).get_attribute("href"))
    }
    assert study["BibTeX"].startswith("@") and "Probation struggling" in study["BibTeX"]
    assert "TY  - " in study["RIS"]
    assert json.loads(study["CSL-JSON"])[0]["id"] == PROBATION

    page.goto(f"{base_url}alcohol/E5/")
    links = page.locator(".mp-downloads a")
    assert links.count() == 4
    for i in range(4):
        response = page.request.get(urljoin(page.url, links.nth(i).get_attribute("href") or ""))
        assert response.ok, response.url
        assert PROBATION in response.text()

    api = page.request.get(f"{base_url}api/v1/studies/{PROBATION}.json")
    assert api.ok and api.json()["id"] == PROBATION

"""The reader's matrix in headless Chromium: audiences, the gap view, phones, withdrawn studies,
and axe-core on every kind of page in the light and the dark scheme.

The collection is the bundled one plus two more filled cells (three in all): alcohol/B2 lists a
review (no gap of synthesis), alcohol/C3 lists key studies only (a synthesis gap); every other
cell of the grid is an absolute gap. One study is withdrawn, so its notice can be opened.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from matrixpipe.commands.build import run_build

from browser import ROOT, add_site, axe_source, describe, screenshot, serious_violations, serve_dir

pytestmark = pytest.mark.browser

WITHDRAWN = "barriers-employing-problem-drinkers-2010"


def _study(study_id: str, cell: str, category: str) -> str:
    return (
        f"id: {study_id}\ntitle: A study of {study_id.replace('-', ' ')}\nstatus: published\n"
        "source:\n  organisation: Test Office\n  jurisdiction: England\n  year: 2015\n"
        f"summary: What it found.\nplacements:\n  - cell: {cell}\n    categories: [{category}]\n"
        "    note: Why it matters here.\n"
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    root = tmp_path_factory.mktemp("reader") / "collection"
    shutil.copytree(ROOT / "entries", root / "entries")
    add_site(root)
    studies = root / "entries" / "studies"
    (studies / "b2-review-2015.yaml").write_text(_study("b2-review-2015", "alcohol/B2", "review"))
    for name in ("c3-key-one-2015", "c3-key-two-2015"):
        (studies / f"{name}.yaml").write_text(_study(name, "alcohol/C3", "key"))
    path = studies / f"{WITHDRAWN}.yaml"
    path.write_text(
        path.read_text().replace(
            "status: published", "status: withdrawn\nwithdrawn_reason: Superseded.", 1
        )
    )
    assert run_build(root, None, drafts=False, color="never") == 0
    with serve_dir(root / "public") as base:
        yield root / "public", base


def test_the_audience_box_links_to_the_cells_of_each_role(
    site: tuple[Path, str], page: Page
) -> None:
    _, base = site
    page.goto(base + "alcohol/")
    box = page.locator("ul.mp-audiences, .mp-audiences").first
    staff = box.locator("li", has_text="front-line staff")
    hrefs = staff.locator("a").evaluate_all("els => els.map(a => a.getAttribute('href'))")
    assert hrefs == [f"{c}{r}/" for c in "AB" for r in range(1, 6)]
    justice = box.locator("li", has_text="criminal justice")
    codes = justice.locator("a").all_inner_texts()
    assert codes == [f"{c}{r}" for c in "ABCDE" for r in (2, 5)]
    staff.locator("a", has_text="B2").click()
    expect(page).to_have_url(base + "alcohol/B2/")
    expect(page.locator(".mp-audience")).to_contain_text("front-line staff")


def test_the_gap_view_marks_gaps_and_agrees_with_the_api_and_csv(
    site: tuple[Path, str], page: Page
) -> None:
    public, base = site
    page.goto(base + "alcohol/")
    page.get_by_text("Gaps in the evidence", exact=True).click()
    gap_map = page.locator("table:has(a.mp-gap-cell)")
    expect(gap_map).to_be_visible()
    screenshot(page, "gap-view")

    def marks(code: str) -> list[str]:
        cell = gap_map.locator(f"td:has(> a.mp-gap-cell[href='{code}/'])")
        return cell.locator(".mp-gap").all_inner_texts()

    assert marks("C3") == ["◇ no review or guidance", "✎ no published bite"]
    assert marks("A1") == ["∅ no studies", "✎ no published bite"]
    assert marks("B2") == ["✎ no published bite"]
    assert marks("E5") == []

    api = json.loads((public / "api/v1/matrices/alcohol.json").read_text())
    by_key = {c["code"]: c["gaps"] for c in api["cells"]}
    assert by_key["C3"] == {"no_studies": False, "no_synthesis": True, "no_bite": True}
    assert by_key["A1"] == {"no_studies": True, "no_synthesis": False, "no_bite": True}
    rows = list(
        csv.reader(io.StringIO((public / "downloads/matrices/alcohol-gaps.csv").read_text()))
    )
    header, body = rows[0], {row[0][0]: row[1:] for row in rows[1:]}
    assert header[1].startswith("A ") and len(body) == 5
    assert body["3"][2] == "2 studies: K2; gaps: no review or guidance, no published bite"
    assert body["1"][0] == "0 studies; gaps: no studies, no published bite"
    page.get_by_role("link", name="Download the gap map (CSV)").click()


def test_on_a_phone_no_grid_label_overflows(browser: Browser, site: tuple[Path, str]) -> None:
    _, base = site
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        tab = context.new_page()
        for url, name in (("alcohol/", "phone-matrix"), ("alcohol/E5/", "phone-cell")):
            tab.goto(base + url)
            overflowing = tab.evaluate(
                """() => [...document.querySelectorAll(
                    'table:has(a.mp-cell) th, table:has(a.mp-cell) td, a.mp-cell strong')]
                  .filter(el => el.scrollWidth > el.clientWidth + 1)
                  .map(el => el.textContent.trim().slice(0, 30))"""
            )
            assert overflowing == [], url
            screenshot(tab, name)
        # The cell page's first screen reaches the first listing.
        first = tab.locator("ul.mp-listing > li").first
        assert first.bounding_box()["y"] < 844  # type: ignore[index]
        # Touch wording: no "hover" advice.
        assert "hover" not in tab.locator("article").inner_text().lower()
    finally:
        context.close()


def test_a_withdrawn_study_answers_with_its_notice(site: tuple[Path, str], page: Page) -> None:
    _, base = site
    response = page.goto(base + f"studies/{WITHDRAWN}/")
    assert response is not None and response.status == 200
    expect(page.locator(".mp-withdrawn")).to_contain_text("Superseded.")
    expect(page.locator(".mp-citation")).to_be_visible()


PAGE_TYPES = {
    "home": "",
    "matrix": "alcohol/",
    "cell": "alcohol/E5/",
    "empty cell": "alcohol/D5/",
    "study": "studies/probation-alcohol-offenders-2009/",
    "withdrawn": f"studies/{WITHDRAWN}/",
    "index": "indexes/tags/",
    "about": "about/",
    "contributors": "contributors/",
    "rules": "contributors/rules/",
    "editors": "contributors/editors/",
    "search engines": "contributors/search/",
    "what's new": "whats-new/",
    "find studies": "find/",
}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_accessibility_violation_on_any_page(
    browser: Browser, site: tuple[Path, str], scheme: str
) -> None:
    _, base = site
    source = axe_source()
    context = browser.new_context(color_scheme=scheme)  # type: ignore[arg-type]
    try:
        tab = context.new_page()
        found = {}
        for name, url in PAGE_TYPES.items():
            tab.goto(base + url)
            found[name] = describe(serious_violations(tab, source))
        tab.goto(base + "alcohol/")
        tab.get_by_text("Gaps in the evidence", exact=True).click()
        found["gap view"] = describe(serious_violations(tab, source))
        assert found == {name: "" for name in found}
    finally:
        context.close()

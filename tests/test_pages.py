"""One study page, one cell page and one API record, rendered from a small collection built here.

The collection is three entry texts run through the real stages in memory (load, validate,
index, judge, assemble), so these tests depend on nothing in the bundled collection.
"""

from __future__ import annotations

import json

from matrixpipe.check.resolve import Collection, assemble, judge
from matrixpipe.check.run import process
from matrixpipe.config import Config, SiteConfig
from matrixpipe.git.history import History
from matrixpipe.publish.api import api_files
from matrixpipe.publish.pages.cells import render_cell
from matrixpipe.publish.pages.studies import render_study
from matrixpipe.publish.render import render_context

MATRIX = """id: m
title: Test Matrix
columns:
  - {code: A, name: Interventions}
  - {code: B, name: Practitioners}
  - {code: C, name: Management}
  - {code: D, name: Organisations}
  - {code: E, name: Systems}
rows:
  - {code: 1, name: Screening}
  - {code: 2, name: Generic}
  - {code: 3, name: Medical}
  - {code: 4, name: Psychosocial}
  - {code: 5, name: Community}
"""
CELL = """---
matrix: m
cell: E5
status: published
title: Systems that protect the community
see_also: [cell:m/E2, cell:m/A1]
---

## Issues {#issues}

Read [the study](study:a-2001) first, and [the draft](study:b-2002).
"""
STUDY_A = """id: a-2001
title: Courts and treatment
status: published
source:
  organisation: Test Office
  year: 2001
  doi: 10.1234/abc
summary: What the *courts* found.
placements:
  - cell: m/E5
    categories: [key, guidance]
    note: The court study.
    discussed_in: [issues]
related:
  - label: the draft
    study: b-2002
"""
STUDY_B = """id: b-2002
title: An unfinished draft
status: draft
source:
  year: 2002
summary: Not yet.
placements:
  - cell: m/E5
    categories: [review]
    note: A draft note.
"""


def small_collection() -> Collection:
    files = {
        "entries/matrices/m.yaml": ("matrix", MATRIX),
        "entries/cells/m/E5.md": ("cell", CELL),
        "entries/studies/a-2001.yaml": ("study", STUDY_A),
        "entries/studies/b-2002.yaml": ("study", STUDY_B),
    }
    done = {path: process(path, kind, text.encode()) for path, (kind, text) in files.items()}
    for path, ((found, _), entry, _) in done.items():
        assert entry is not None and not found, (path, found)
    facts = [payload[1] for payload, _, _ in done.values() if payload[1] is not None]
    documents = {path: doc for path, (_, _, doc) in done.items() if doc is not None}
    judged = judge(facts, documents)
    # Links from published entries to the draft are MP305 errors (a collection may lower the
    # rule): the renderer must drop them all the same.
    assert {d.code for d in judged.diagnostics} == {"MP305"}
    return assemble([entry for _, entry, _ in done.values() if entry], judged.owners)


def _ctx(drafts: bool = False):  # type: ignore[no-untyped-def]
    config = Config(site=SiteConfig(title="Test", url="https://example.org/m/"))
    return render_context(small_collection(), config, drafts, History())


def test_a_study_page() -> None:
    ctx = _ctx()
    page = render_study(ctx, ctx.view.study("a-2001"))  # type: ignore[arg-type]
    assert page.startswith("---\n") and "# Courts and treatment\n" in page
    assert "<p>What the <em>courts</em> found.</p>" in page
    assert 'href="../../m/E5/#mp-study-a-2001"' in page  # listed in, to its listing
    assert "Systems that protect the community" in page
    assert "https://doi.org/10.1234/abc" in page
    assert "Test Office. (2001). <i>Courts and treatment</i>" in page  # the citation
    assert "b-2002" not in page and "unfinished" not in page  # a draft is no related document


def test_a_cell_page_lists_only_public_studies_in_order() -> None:
    ctx = _ctx()
    page = render_cell(ctx, ctx.view.cells["m/E5"])
    assert "# Systems that protect the community\n" in page
    assert page.count("<li><p>") == 1 and "Courts and treatment" in page
    assert "draft note" not in page and "unfinished" not in page
    assert 'href="../../studies/a-2001/"' in page  # the bite's study link
    assert "study:b-2002" not in page and " the draft" in page  # its text stays, unlinked
    assert '<a href="#issues">Issues</a>' in page  # the listing's discussion link

    preview = _ctx(drafts=True)
    page = render_cell(preview, preview.view.cells["m/E5"])
    assert page.count("<li><p>") == 2 and "An unfinished draft" in page


def test_an_empty_cell_page_speaks_to_readers() -> None:
    ctx = _ctx()
    page = render_cell(ctx, ctx.view.cells["m/A1"])
    assert "# Test Matrix cell A1: Interventions; Screening\n" in page
    assert "Nothing has been published in this cell yet." in page
    assert "matrixpipe new" not in page


def test_an_api_record() -> None:
    ctx = _ctx()
    files = api_files(ctx.view, "Test")
    study = json.loads(files["studies/a-2001.json"])
    assert study["url"] == "https://example.org/m/studies/a-2001/"
    assert study["placements"] == [
        {
            "api": "cells/m/E5.json",
            "categories": ["key", "guidance"],
            "cell": "m/E5",
            "cell_title": "Systems that protect the community",
            "discussed_in": ["issues"],
            "headline": None,
            "note": {"html": "<p>The court study.</p>", "markdown": "The court study."},
            "rank": None,
            "url": "https://example.org/m/m/E5/",
        }
    ]
    assert study["related"] == []
    assert study["csl"]["DOI"] == "10.1234/abc"
    assert study["citation"]["text"].startswith("Test Office. (2001). Courts and treatment.")
    cell = json.loads(files["cells/m/E5.json"])
    assert cell["counts"] == {"guidance": 1, "key": 1, "review": 0, "seminal": 0, "total": 1}
    assert "studies/b-2002.json" not in files
    assert json.loads(files["cells/m/A1.json"])["bite"] is None


def test_see_also_links_the_other_cells_on_the_page_and_in_the_api() -> None:
    ctx = _ctx()
    page = render_cell(ctx, ctx.view.cells["m/E5"])
    assert (
        '<p class="mp-see-also">See also: <a href="../E2/">Test Matrix cell E2: Systems; '
        'Generic</a>; <a href="../A1/">Test Matrix cell A1: Interventions; Screening</a>.</p>'
    ) in page
    record = json.loads(api_files(ctx.view, "Test")["cells/m/E5.json"])
    assert [link["id"] for link in record["see_also"]] == ["m/E2", "m/A1"]
    assert record["see_also"][0]["url"] == "https://example.org/m/m/E2/"

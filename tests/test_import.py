"""`matrixpipe import`: reference-manager exports become draft studies that pass `check`."""

from __future__ import annotations

import json
import shutil
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import pytest
import yaml

from matrixpipe import models
from matrixpipe.check.resolve import normalise_title
from matrixpipe.check.run import check
from matrixpipe.diagnostics import Severity

from conftest import ENTRIES, ROOT, RunCli

ZOTERO = Path(__file__).resolve().parent / "data" / "zotero"
FORMATS = {"ris": "ris", "bibtex": "bib", "csl-json": "json"}
NO_YEAR = 'no year of publication; written without one (readers see "n.d.")'


@pytest.fixture
def empty(tmp_path: Path) -> Path:
    """A collection with the bundled matrices and no studies."""
    repo = tmp_path / "empty"
    shutil.copytree(ENTRIES / "matrices", repo / "entries" / "matrices")
    (repo / "entries" / "studies").mkdir()
    return repo


def _studies(repo: Path) -> dict[str, models.Study]:
    result = check(repo)
    errors = [d for d in result.report.diagnostics if d.severity == Severity.ERROR]
    assert not errors, errors
    return result.collection.studies


def _by_title(studies: dict[str, models.Study]) -> dict[str, models.Study]:
    return {normalise_title(s.source.title or s.title): s for s in studies.values()}


def _source(study: models.Study, with_jurisdiction: bool = True) -> tuple[object, ...]:
    s = study.source
    return (
        s.title or study.title,
        tuple(s.authors),
        s.organisation,
        s.year,
        s.container,
        s.url,
        s.doi,
        s.type,
        s.jurisdiction if with_jurisdiction else None,
    )


def _round_trip(run_cli: RunCli, source: Path, target: Path, fmt: str, tmp: Path) -> None:
    exported = tmp / f"export.{FORMATS[fmt]}"
    assert run_cli(["export", "--format", fmt, "--out", exported, source]).exit_code == 0
    result = run_cli(["import", exported, target])
    assert result.exit_code == 0, result.output
    assert "could not be read" in result.stderr and "0 could not be read" in result.stderr


# --- round trips ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_bundled_collection_round_trips(
    run_cli: RunCli, empty: Path, tmp_path: Path, fmt: str
) -> None:
    _round_trip(run_cli, ROOT, empty, fmt, tmp_path)
    before, after = _by_title(_studies(ROOT)), _by_title(_studies(empty))
    assert sorted(before) == sorted(after)
    for key, study in before.items():
        # RIS has no tag for a jurisdiction; the other two formats carry it.
        assert _source(after[key], fmt != "ris") == _source(study, fmt != "ris"), key
        assert after[key].status == "draft"
        assert after[key].tags == study.tags


SYNTHETIC = {
    "drink-drive-costs-2020": """\
id: drink-drive-costs-2020
title: "Drink & drive: 50% of {cases} cost $5 #1 a_b ~ ^ \\\\ more"
status: published
source:
  authors: ["Müller, Jörg", "van der Berg, Jan", "Ó Briain, Seán", "García-López, José María"]
  organisation: "Smith & Sons {Ltd}"
  jurisdiction: Österreich
  year: 2020
  url: https://example.org/a_b?x=1&y=50%25#top
  container: "Drug & Alcohol Review: 100% {peer} reviewed"
  doi: 10.1002/(SICI)1097-4679(199601)52:1<1::AID-JCLP1>3.0.CO;2-V
  type: journal-article
placements:
  - cell: alcohol/E5
    categories: [key]
    note: A note.
""",
    "guidance-accents-2019": """\
id: guidance-accents-2019
title: Headline differs from the document's title
status: published
source:
  title: "Les soins en alcoologie : guide pour l'équipe — édition «2019»"
  authors: ["Lefèvre, Hélène"]
  organisation: Haute Autorité de santé
  jurisdiction: France
  year: 2019
  url: https://www.has-sante.fr/guide%20alcool.pdf
  doi: 10.1234/has.2019.1
  type: guidance
placements:
  - cell: alcohol/E5
    categories: [guidance]
    note: A note.
""",
    "web-review-2018": """\
id: web-review-2018
title: A review on the web
status: published
source:
  organisation: World Health Organization
  year: 2018
  container: WHO Europe evidence syntheses
  url: https://www.who.int/review
  type: review
placements:
  - cell: alcohol/E5
    categories: [review]
    note: A note.
""",
    "undated-chapter": """\
id: undated-chapter
title: An undated chapter in a handbook
status: published
source:
  authors: ["Adamson, Jane"]
  organisation: Routledge
  container: Handbook of Alcohol Treatment Systems
  type: chapter
placements:
  - cell: alcohol/E5
    categories: [key]
    note: A note.
""",
}


@pytest.fixture
def synthetic(tmp_path: Path) -> Path:
    repo = tmp_path / "synthetic"
    shutil.copytree(ENTRIES / "matrices", repo / "entries" / "matrices")
    for study_id, text in SYNTHETIC.items():
        path = repo / "entries" / "studies" / f"{study_id}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return repo


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_synthetic_collection_round_trips(
    run_cli: RunCli, synthetic: Path, empty: Path, tmp_path: Path, fmt: str
) -> None:
    before = _by_title(_studies(synthetic))
    assert len(before) == 4
    assert sum(s.source.container is not None for s in before.values()) == 3
    assert sum(s.source.year is None for s in before.values()) == 1
    _round_trip(run_cli, synthetic, empty, fmt, tmp_path)
    after = _by_title(_studies(empty))
    for key, study in before.items():
        assert _source(after[key], fmt != "ris") == _source(study, fmt != "ris"), key


# --- real reference-manager exports --------------------------------------------------------


@pytest.mark.parametrize("name", ["library.ris", "library.bib"])
def test_zotero_export_imports_cleanly(run_cli: RunCli, empty: Path, name: str) -> None:
    result = run_cli(["import", ZOTERO / name, empty, "--quiet"])
    assert result.exit_code == 0, result.output
    assert result.stdout.count("wrote entries/studies/") == 4
    assert result.stderr == "imported 4, skipped 0 already in the collection, 0 could not be read\n"
    studies = _by_title(_studies(empty))
    children = studies[
        normalise_title(
            "Uncovering and responding to children's needs in relation to problem-drinking parents"
        )
    ]
    assert children.source.authors == ["Adamson, Jane", "Templeton, Lorna"]
    assert children.source.organisation == "Office of the Children's Commissioner"
    assert children.source.year == 2014 and children.source.type == "report"
    assert (
        children.source.url
        == "https://www.childrenscommissioner.gov.uk/report/uncovering-and-responding/"
    )
    assert children.tags == ["children", "parental-drinking"]
    cafe = studies[normalise_title("Café culture & alcohol: a 50% reduction in {harm}?")]
    assert cafe.title == "Café culture & alcohol: a 50% reduction in {harm}?"
    assert cafe.source.authors == ["Müller, Jörg", "Ó Briain, Seán", "García, José"]
    assert cafe.source.doi == "10.1111/j.1360-0443.2008.02345.x"
    assert cafe.source.type == "journal-article" and cafe.source.year == 2009
    assert cafe.summary == "A trial in twelve towns.\n"
    assert cafe.source.container == "Addiction"  # RIS T2, BibLaTeX journaltitle
    who = studies[normalise_title("A model system for responding to problem-drinking prisoners")]
    assert who.source.organisation == "World Health Organization" and who.source.authors == []
    assert who.source.type == "web-page" and who.source.year == 2012
    assert who.source.container is None and children.source.container is None
    canada = studies[normalise_title("Drink-driver management in Canada")]
    assert canada.source.authors == ["Beirness, Douglas J.", "Simpson, Herb M."]
    assert canada.source.organisation == "Health Canada"


def test_written_files_are_yaml_with_modeline_and_int_years(run_cli: RunCli, empty: Path) -> None:
    assert run_cli(["import", ZOTERO / "library.ris", empty]).exit_code == 0
    files = sorted((empty / "entries" / "studies").glob("*.yaml"))
    assert len(files) == 4
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# yaml-language-server: $schema=../../schema/study.schema.json\n")
        data = yaml.safe_load(text)
        assert data["id"] == path.stem and data["status"] == "draft"
        assert isinstance(data["source"]["year"], int)
        assert len(path.stem) <= 80


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("broken.ris", "broken.ris:8: record 2 has no title; skipped"),
        (
            "broken.bib",
            "broken.bib:8: record 2 is not valid BibTeX (a '{' is never closed); skipped",
        ),
    ],
)
def test_broken_record_is_reported_and_the_rest_imported(
    run_cli: RunCli, empty: Path, name: str, message: str
) -> None:
    result = run_cli(["import", ZOTERO / name, empty])
    assert result.exit_code == 1
    assert f"{ZOTERO / name}".removesuffix(name) + message in result.stderr
    assert result.stdout.count("wrote ") == 2
    assert {p.stem for p in (empty / "entries" / "studies").glob("*.yaml")} == {
        "probation-struggling-to-cope-with-alcohol-misusing-offenders-2009",
        "networking-facilitates-evidence-based-treatment-practices-2008",
    }
    _studies(empty)


def test_csl_json_positions_and_malformed_items(
    run_cli: RunCli, empty: Path, tmp_path: Path
) -> None:
    items = [
        {"id": "a", "type": "report", "title": "First report", "issued": {"date-parts": [[2001]]}},
        {"id": "b", "type": "report", "issued": {"date-parts": [[2002]]}},
        "not an item",
        {"id": "d", "type": "book", "title": "No date"},
        {"id": "e", "type": "webpage", "title": "Last", "issued": {"raw": "2005-06"}},
    ]
    path = tmp_path / "zotero.json"
    path.write_text(json.dumps(items, indent=2), encoding="utf-8")
    lines = path.read_text().splitlines()
    starts = [
        i + 1 for i, line in enumerate(lines) if line.startswith("  {") or line.startswith('  "')
    ]
    result = run_cli(["import", path, empty])
    assert result.exit_code == 1
    assert f"{path}:{starts[1]}: record 2 has no title; skipped" in result.stderr
    assert f"{path}:{starts[2]}: record 3 is not a JSON object; skipped" in result.stderr
    assert result.stdout.splitlines() == [
        "wrote entries/studies/first-report-2001.yaml",
        f"{path}:{starts[3]}: record 4: {NO_YEAR}",
        "wrote entries/studies/no-date.yaml",
        "wrote entries/studies/last-2005.yaml",
    ]
    assert result.stderr.endswith(
        "imported 3, skipped 0 already in the collection, 2 could not be read\n"
    )


def test_invalid_json_is_reported_with_its_line(
    run_cli: RunCli, empty: Path, tmp_path: Path
) -> None:
    path = tmp_path / "x.json"
    path.write_text('[\n  {"title": "a",}\n]\n')
    result = run_cli(["import", path, empty])
    assert result.exit_code == 1
    assert f"{path}:2: not valid JSON" in result.stderr


# --- containers (journal, book, series, website) and undated records ----------------------


def _import(run_cli: RunCli, repo: Path, path: Path, text: str) -> dict[str, models.Study]:
    """Import `text` from `path` into `repo`; the studies by title, after a clean check."""
    path.write_text(text, encoding="utf-8")
    result = run_cli(["import", path, repo])
    assert result.exit_code == 0, result.output
    assert result.stderr.endswith(", 0 could not be read\n"), result.stderr
    return {s.title: s for s in _studies(repo).values()}


def test_bibtex_journal_booktitle_and_series_become_the_container(
    run_cli: RunCli, empty: Path, tmp_path: Path
) -> None:
    studies = _import(
        run_cli,
        empty,
        tmp_path / "library.bib",
        """\
@article{a, title = {An article}, author = {Smith, Jane}, journal = {Drug {\\&} Alcohol Review},
  year = {2011}}
@incollection{b, title = {A chapter}, booktitle = {Handbook of {A}lcohol Treatment},
  series = {Clinical Handbooks}, publisher = {Routledge}, year = {2015}}
@techreport{c, title = {A report}, series = {Home Office Research Study 12},
  institution = {Home Office}, year = {2010}}
@article{d, title = {A BibLaTeX article}, journaltitle = {Addiction}, date = {2009-03}}
@book{e, title = {An undated book}, publisher = {Routledge}}
""",
    )
    assert studies["An article"].source.container == "Drug & Alcohol Review"
    assert studies["An article"].source.type == "journal-article"
    assert studies["A chapter"].source.container == "Handbook of Alcohol Treatment"
    assert studies["A report"].source.container == "Home Office Research Study 12"
    assert studies["A BibLaTeX article"].source.container == "Addiction"
    undated = studies["An undated book"]
    assert undated.source.container is None and undated.source.year is None
    assert undated.id == "an-undated-book"


def test_csl_container_title_becomes_the_container(
    run_cli: RunCli, empty: Path, tmp_path: Path
) -> None:
    items = [
        {
            "type": "article-journal",
            "title": "An article",
            "container-title": "Alcohol and Alcoholism",
            "collection-title": "Not the container when there is one",
            "issued": {"date-parts": [[2014, 5]]},
        },
        {"type": "chapter", "title": "A chapter", "container-title": "A handbook"},
        {"type": "report", "title": "A report", "collection-title": "Research Series 7"},
        {"type": "webpage", "title": "A page", "issued": {"date-parts": [[2020]]}},
    ]
    studies = _import(run_cli, empty, tmp_path / "library.json", json.dumps(items))
    assert studies["An article"].source.container == "Alcohol and Alcoholism"
    assert studies["An article"].source.year == 2014
    assert studies["A chapter"].source.container == "A handbook"
    assert studies["A chapter"].source.year is None
    assert studies["A report"].source.container == "Research Series 7"
    assert studies["A page"].source.container is None


def test_ris_jo_jf_and_t2_become_the_container(
    run_cli: RunCli, empty: Path, tmp_path: Path
) -> None:
    path = tmp_path / "library.ris"
    studies = _import(
        run_cli,
        empty,
        path,
        """\
TY  - JOUR
TI  - JO only
JO  - Drug and Alcohol Review
PY  - 2011
ER  -

TY  - JOUR
TI  - JF only
JF  - Journal of Substance Abuse Treatment
PY  - 2012
ER  -

TY  - CHAP
TI  - T2 only
T2  - Handbook of Alcohol Treatment
PY  - 2013
ER  -

TY  - JOUR
TI  - JO before T2
T2  - Secondary title
JO  - Addiction
PY  - 2014
ER  -

TY  - RPRT
TI  - Undated, no container
PB  - Home Office
ER  -
""",
    )
    assert studies["JO only"].source.container == "Drug and Alcohol Review"
    assert studies["JF only"].source.container == "Journal of Substance Abuse Treatment"
    assert studies["T2 only"].source.container == "Handbook of Alcohol Treatment"
    assert studies["JO before T2"].source.container == "Addiction"
    undated = studies["Undated, no container"]
    assert undated.source.container is None and undated.source.year is None


def test_undated_record_is_written_without_a_year(
    run_cli: RunCli, empty: Path, tmp_path: Path
) -> None:
    path = tmp_path / "undated.ris"
    path.write_text("TY  - RPRT\nTI  - An undated leaflet\nPB  - Alcohol Change\nER  - \n")
    result = run_cli(["import", path, empty, "--cell", "alcohol/E5", "--category", "key"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"{path}:1: record 1: {NO_YEAR}",
        "wrote entries/studies/an-undated-leaflet.yaml",
    ]
    data = yaml.safe_load((empty / "entries" / "studies" / "an-undated-leaflet.yaml").read_text())
    assert data["source"] == {"organisation": "Alcohol Change", "type": "report"}
    codes = [(d.code, d.severity) for d in check(empty).report.diagnostics]
    assert codes == [("MP210", Severity.WARNING)]


def test_hostile_containers_are_one_clean_line_or_left_out(
    run_cli: RunCli, empty: Path, tmp_path: Path
) -> None:
    items = [
        {
            "type": "article-journal",
            "title": "Marked-up journal",
            "container-title": "<i>Addiction</i>\u200b &amp;\n\tSociety",
            "issued": 2001,
        },
        {
            "type": "article-journal",
            "title": "Pasted abstract",
            "container-title": "word " * 100,
            "issued": 2002,
        },
    ]
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(items), encoding="utf-8")
    result = run_cli(["import", path, empty, "--cell", "alcohol/E5", "--category", "key"])
    assert result.exit_code == 0, result.output
    assert "journal or series 'word word" in result.stdout and "left out" in result.stdout
    result = check(empty)
    assert not [d for d in result.report.diagnostics if d.severity >= Severity.WARNING], (
        result.report.diagnostics
    )
    studies = {s.title: s for s in result.collection.studies.values()}
    assert studies["Marked-up journal"].source.container == "Addiction & Society"
    assert studies["Pasted abstract"].source.container is None


# --- duplicates, ids, placements, dry run --------------------------------------------------


def test_duplicates_are_skipped_with_the_existing_file(run_cli: RunCli, empty: Path) -> None:
    assert run_cli(["import", ZOTERO / "library.ris", empty]).exit_code == 0
    result = run_cli(["import", ZOTERO / "library.bib", empty, "--quiet"])
    assert result.exit_code == 0
    assert "wrote" not in result.stdout
    assert (
        'skipped "Café culture & alcohol: a 50% reduction in {harm}?": same DOI as '
        "entries/studies/cafe-culture-alcohol-a-50-reduction-in-harm-2009.yaml"
    ) in result.stdout
    assert 'skipped "Drink-driver management in Canada": same title as' in result.stdout
    assert result.stderr == "imported 0, skipped 4 already in the collection, 0 could not be read\n"


def test_taken_id_gets_a_number_and_nothing_is_overwritten(
    run_cli: RunCli, empty: Path, tmp_path: Path
) -> None:
    taken = empty / "entries" / "studies" / "drink-driver-management-in-canada-2004.yaml"
    original = SYNTHETIC["web-review-2018"].replace("web-review-2018", taken.stem)
    taken.write_text(original, encoding="utf-8")
    result = run_cli(["import", ZOTERO / "library.ris", empty])
    assert result.exit_code == 0
    assert "wrote entries/studies/drink-driver-management-in-canada-2004-2.yaml" in result.stdout
    assert taken.read_text(encoding="utf-8") == original
    _studies(empty)


def test_cell_and_category_add_a_placement(run_cli: RunCli, empty: Path, tmp_path: Path) -> None:
    sentence = "This sentence is about forty-five characters. "
    items = [
        {
            "type": "report",
            "title": "Long abstract",
            "issued": {"date-parts": [[2010]]},
            "abstract": sentence * 20,
        },
        {"type": "report", "title": "No abstract", "issued": {"date-parts": [[2011]]}},
    ]
    path = tmp_path / "items.json"
    path.write_text(json.dumps(items), encoding="utf-8")
    result = run_cli(["import", path, empty, "--cell", "alcohol/E5", "--category", "key"])
    assert result.exit_code == 0, result.output
    studies = _studies(empty)
    long, bare = studies["long-abstract-2010"], studies["no-abstract-2011"]
    assert long.placements[0].cell == "alcohol/E5" and long.placements[0].categories == ["key"]
    note = long.placements[0].note
    assert len(" ".join(note.split())) <= 400 and note.rstrip().endswith("characters.")
    assert bare.placements[0].note == "Imported from items.json; write the cell note.\n"


def test_hostile_text_still_passes_check(run_cli: RunCli, empty: Path, tmp_path: Path) -> None:
    items = [
        {
            "type": "report",
            "title": "<i>Italic</i> title\u200b with a zero-width space",
            "issued": {"date-parts": [[2012]]},
            "abstract": "<p>Para</p> <script>alert(1)</script> [x](javascript:alert(1)) "
            "&lt;b&gt;bold&lt;/b&gt; {onclick=alert(1)} p < 0.05",
            "URL": "javascript:alert(1)",
            "DOI": "https://doi.org/10.1234/abc",
        }
    ]
    path = tmp_path / "evil.json"
    path.write_text(json.dumps(items), encoding="utf-8")
    result = run_cli(["import", path, empty, "--cell", "alcohol/E5", "--category", "key"])
    assert result.exit_code == 0, result.output
    assert "URL 'javascript:alert(1)' is not an http(s) address; left out" in result.stdout
    result = check(empty)
    assert not [d for d in result.report.diagnostics if d.severity >= Severity.WARNING], (
        result.report.diagnostics
    )
    (study,) = result.collection.studies.values()
    assert study.title == "Italic title with a zero-width space"
    assert study.source.doi == "10.1234/abc" and study.source.url is None


def test_dry_run_writes_nothing(run_cli: RunCli, empty: Path) -> None:
    result = run_cli(["import", ZOTERO / "library.bib", empty, "--dry-run", "--quiet"])
    assert result.exit_code == 0
    assert result.stdout.count("would write entries/studies/") == 4
    assert result.stderr.startswith("would import 4,")
    assert not list((empty / "entries" / "studies").iterdir())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.ris"], "missing.ris: no such file"),
        (["library.ris", "--cell", "alcohol/E5"], "give --cell and --category together"),
        (
            ["library.ris", "--cell", "alcohol/E9", "--category", "key"],
            "there is no cell 'alcohol/E9'",
        ),
        (["notes.txt"], "cannot tell the format"),
        (["latin1.ris"], "not UTF-8 text"),
    ],
)
def test_usage_errors_exit_2(
    run_cli: RunCli, empty: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    shutil.copy(ZOTERO / "library.ris", tmp_path / "library.ris")
    (tmp_path / "notes.txt").write_text("just some notes\n")
    (tmp_path / "latin1.ris").write_bytes("TY  - RPRT\nTI  - Caf\xe9\nER  - \n".encode("latin-1"))
    result = run_cli(["import", tmp_path / args[0], empty, *args[1:]])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert not list((empty / "entries" / "studies").iterdir())


# --- hostile files ------------------------------------------------------------------------

DEEP = 100_000
BIG_LINE = 10 * 1024 * 1024
HUGE_NUMBER = "9" * 5000


@contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    """Fail, rather than hang, when the import takes far longer than it should (each takes
    about a second; before the fix some took many minutes)."""

    def expire(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError(f"matrixpipe import took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _csl(**extra: object) -> str:
    return json.dumps([{"type": "report", "title": "Fine report", **extra}])


HOSTILE_FILES: dict[str, tuple[str, bytes]] = {
    "deep-array": ("deep.json", b"[" * DEEP + b"]" * DEEP),
    "deep-object": ("deep.json", b'{"a":' * DEEP + b"1" + b"}" * DEEP),
    "deep-in-item": (
        "deep.json",
        _csl(issued={"date-parts": [[2001]]}).encode()[:-2]
        + b', "note": '
        + b"[" * DEEP
        + b"]" * DEEP
        + b"}]",
    ),
    "deep-without-extension": ("deep.txt", b"[" * DEEP + b"]" * DEEP),
}
"""CSL-JSON nested far deeper than Python's recursion limit: nothing can be read."""


def _run_hostile(run_cli: RunCli, path: Path, repo: Path) -> tuple[int, list[str]]:
    with _deadline(60):
        result = run_cli(["import", path, repo, "--quiet"])
    assert "Traceback" not in result.output
    return result.exit_code, result.stderr.splitlines()


@pytest.mark.parametrize("case", sorted(HOSTILE_FILES))
def test_deeply_nested_json_is_one_clear_error(
    run_cli: RunCli, empty: Path, tmp_path: Path, case: str
) -> None:
    name, data = HOSTILE_FILES[case]
    path = tmp_path / name
    path.write_bytes(data)
    code, stderr = _run_hostile(run_cli, path, empty)
    assert code == 1
    assert stderr == [
        f"{path}:1: JSON nested too deeply to read; nothing read",
        "imported 0, skipped 0 already in the collection, 1 could not be read",
    ]
    assert not list((empty / "entries" / "studies").iterdir())


def test_numbers_past_pythons_digit_limit_are_read_as_text(
    run_cli: RunCli, empty: Path, tmp_path: Path
) -> None:
    path = tmp_path / "numbers.json"
    items = [
        {"type": "report", "title": "Huge year", "issued": {"date-parts": ["HUGE"]}},
        {"type": "report", "title": "Huge page count", "issued": {"date-parts": [[2003]]}},
        {"type": "report", "title": "HUGE", "issued": {"date-parts": [[2004]]}},
    ]
    items[1]["number-of-pages"] = "HUGE"
    path.write_text(json.dumps(items, indent=2).replace('"HUGE"', HUGE_NUMBER), encoding="utf-8")
    code, stderr = _run_hostile(run_cli, path, empty)
    assert code == 0, stderr
    studies = {s.title: s for s in _studies(empty).values()}
    # A title of 5,000 digits is text like any other: shortened to the headline limit.
    assert sorted(studies) == sorted(["Huge year", "Huge page count", HUGE_NUMBER[:298] + " …"])
    assert studies["Huge year"].source.year is None  # a 5,000-digit year is no year


def test_braces_nested_thousands_deep_skip_only_their_record(
    run_cli: RunCli, empty: Path, tmp_path: Path
) -> None:
    path = tmp_path / "deep.bib"
    deep = "{" * 5000 + "x" + "}" * 5000
    path.write_text(
        f"@techreport{{ok-2001,\n  title = {{Fine report}},\n  year = {{2001}}\n}}\n\n"
        f"@techreport{{deep-2002,\n  title = {deep},\n  year = {{2002}}\n}}\n\n"
        f"@techreport{{names-2003,\n  title = {{Names}},\n  author = {deep},\n"
        f"  year = {{2003}}\n}}\n",
        encoding="utf-8",
    )
    code, stderr = _run_hostile(run_cli, path, empty)
    assert code == 1
    assert stderr == [
        f"{path}:6: record 2 is not valid BibTeX ('title' has braces nested more than 50 deep);"
        " skipped",
        f"{path}:11: record 3 is not valid BibTeX ('author' has braces nested more than 50 deep);"
        " skipped",
        "imported 1, skipped 0 already in the collection, 2 could not be read",
    ]
    assert [s.title for s in _studies(empty).values()] == ["Fine report"]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("long.ris", "TY  - RPRT\nTI  - {big}\nAB  - {words}\nPY  - 2001\nER  - \n"),
        ("long.ris", "TY  - RPRT\nTI  - Many keywords\nKW  - {commas}\nPY  - 2001\nER  - \n"),
        ("long.bib", "@techreport{{a,\n title = {{{big}}},\n year = {{2001}}\n}}\n"),
        (
            "long.bib",
            "@techreport{{a,\n title = {{Long abstract}},\n abstract = {{{words}}},\n"
            " author = {{{names}}},\n year = {{2001}}\n}}\n",
        ),
        ("long.json", '[{{"type": "report", "title": "{big}", "issued": {{"raw": "2001"}}}}]'),
    ],
)
def test_ten_megabyte_lines_import_in_seconds(
    run_cli: RunCli, empty: Path, tmp_path: Path, name: str, text: str
) -> None:
    path = tmp_path / name
    path.write_text(
        text.format(
            big="a" * BIG_LINE,
            words="word " * (BIG_LINE // 5),
            commas="a," * (BIG_LINE // 2),
            names="Smith, J and " * (BIG_LINE // 13),
        ),
        encoding="utf-8",
    )
    assert path.stat().st_size > BIG_LINE
    code, stderr = _run_hostile(run_cli, path, empty)
    assert code == 0, stderr
    assert stderr == ["imported 1, skipped 0 already in the collection, 0 could not be read"]
    (study,) = _studies(empty).values()
    assert len(study.title) <= 300 and len(study.summary) <= 20000


@pytest.mark.parametrize(
    ("latex", "title"),
    [
        # A forgiving LaTeX parser retries every unclosed argument: minutes for 40 levels.
        ("$\\frac{" * 40 + "x" + "}$" * 40, "$" * 40 + "x" + "$" * 40),
        # Environments nest without braces, deeper than Python recurses.
        ("\\begin{x}" * 3000 + "Deep" + "\\end{x}" * 3000, "x" * 3000 + "Deep" + "x" * 3000),
        # LaTeX the parser rejects (math never closed) still reads as its text.
        ("Caf\\'e \\& \\textbf{Sons} for $5 in {\\v{S}koda}", "Café & Sons for $5 in Škoda"),
    ],
)
def test_hostile_latex_in_bibtex_is_read_roughly_and_quickly(
    run_cli: RunCli, empty: Path, tmp_path: Path, latex: str, title: str
) -> None:
    path = tmp_path / "latex.bib"
    path.write_text(f"@book{{a,\n title = {{{latex}}},\n year = {{2006}}\n}}\n", "utf-8")
    code, stderr = _run_hostile(run_cli, path, empty)
    assert code == 0, stderr
    (study,) = _studies(empty).values()
    assert (study.source.title or study.title) == title[:400]


def test_blank_lines_do_not_slow_the_format_guess(
    run_cli: RunCli, empty: Path, tmp_path: Path
) -> None:
    """Without an extension the format is guessed from the text; 400,000 blank lines before a
    comment once made that guess take minutes (each blank line began a scan to the comment)."""
    path = tmp_path / "export.txt"
    path.write_text(
        "\n" * 400_000 + "% exported by hand\n@book{a,\n title = {Late start},\n year = {2005}\n}\n"
    )
    code, stderr = _run_hostile(run_cli, path, empty)
    assert code == 0, stderr
    assert [s.title for s in _studies(empty).values()] == ["Late start"]


def test_csl_values_of_the_wrong_type_are_records_not_crashes(
    run_cli: RunCli, empty: Path, tmp_path: Path
) -> None:
    items = [
        {"type": "report", "title": "Author is a number", "author": 5, "issued": 2001},
        {"type": "report", "title": "Bad date", "issued": {"date-parts": 5}},
        {"type": "report", "title": "Bad date part", "issued": {"date-parts": [5]}},
        {"type": "report", "title": "Genre is a list", "genre": ["a"], "issued": 2002},
        {"type": "report", "title": "One author", "author": "Smith, Jane", "issued": 2003},
    ]
    path = tmp_path / "types.json"
    path.write_text(json.dumps(items, indent=2), encoding="utf-8")
    code, stderr = _run_hostile(run_cli, path, empty)
    assert code == 0
    assert stderr[-1] == "imported 5, skipped 0 already in the collection, 0 could not be read"
    studies = {s.title: s for s in _studies(empty).values()}
    assert sorted(studies) == [
        "Author is a number",
        "Bad date",
        "Bad date part",
        "Genre is a list",
        "One author",
    ]
    assert studies["Bad date"].source.year is None and studies["Bad date part"].source.year is None
    assert studies["One author"].source.authors == ["Smith, Jane"]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("latin1.bib", "@book{a, title = {Caf\xe9}, year = {2001}}\n".encode("latin-1")),
        ("utf16.json", _csl(issued=2001).encode("utf-16")),
        ("binary.ris", bytes(range(256)) * 4000),
    ],
)
def test_files_that_are_not_utf8_are_one_line_usage_errors(
    run_cli: RunCli, empty: Path, tmp_path: Path, name: str, data: bytes
) -> None:
    """Not UTF-8 is the file's encoding, not a broken record: exit 2 like the other usage errors."""
    path = tmp_path / name
    path.write_bytes(data)
    code, stderr = _run_hostile(run_cli, path, empty)
    assert code == 2
    assert len(stderr) == 1 and stderr[0].startswith(f"matrixpipe: error: {path}: not UTF-8 text")


def test_format_option_overrides_the_extension(
    run_cli: RunCli, empty: Path, tmp_path: Path
) -> None:
    path = tmp_path / "export.txt"
    shutil.copy(ZOTERO / "library.bib", path)
    assert run_cli(["import", path, empty, "--format", "bibtex"]).exit_code == 0
    assert len(list((empty / "entries" / "studies").iterdir())) == 4

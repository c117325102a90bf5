"""A study's container (journal, series, website) and an undated study, end to end: imported
from RIS, checked, exported in every reference format and cited on the study page."""

from __future__ import annotations

import json
import re
from pathlib import Path

import bibtexparser
import pytest
import rispy

from browser import add_site
from conftest import RunCli

LIBRARY = """\
TY  - JOUR
TI  - Coerced treatment for drink-driving offenders
AU  - Smith, Jane
JO  - Drug & Alcohol Review
PY  - 2011
DO  - 10.1111/dar.2011.1
AB  - Offenders sent to treatment by the courts drank less a year later.
ER  -

TY  - JOUR
TI  - An undated commentary on treatment systems
AU  - Brown, Ann
JO  - Addiction Research & Theory
AB  - How treatment systems can protect the community.
ER  -

TY  - RPRT
TI  - Alcohol treatment for offenders on probation
PB  - Home Office
T2  - Home Office Research Study 12
PY  - 2010
AB  - A survey of probation areas.
ER  -
"""
"""Two journal articles named by `JO` (one undated) and a report in a series (`T2`)."""

ARTICLE = "coerced-treatment-for-drink-driving-offenders-2011"
UNDATED = "an-undated-commentary-on-treatment-systems"
REPORT = "alcohol-treatment-for-offenders-on-probation-2010"


@pytest.fixture
def imported(run_cli: RunCli, collection: Path, tmp_path: Path) -> Path:
    """The bundled collection (with its site folder) after importing LIBRARY into cell E5."""
    add_site(collection)
    library = tmp_path / "library.ris"
    library.write_text(LIBRARY, encoding="utf-8")
    result = run_cli(["import", library, collection, "--cell", "alcohol/E5", "--category", "key"])
    assert result.exit_code == 0, result.output
    written = re.findall(r"^wrote entries/studies/(.+)\.yaml$", result.stdout, re.M)
    assert written == [ARTICLE, UNDATED, REPORT]
    return collection


def _findings(run_cli: RunCli, repo: Path) -> list[tuple[str, str]]:
    """`matrixpipe check`'s findings as (code, file); the check must pass."""
    result = run_cli(["check", repo, "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["summary"]["failed"] is False
    return [(d["code"], d["path"]) for d in report["diagnostics"]]


def _publish(repo: Path, *study_ids: str) -> None:
    """What an editor does once the drafts are reviewed."""
    for study_id in study_ids:
        path = repo / "entries" / "studies" / f"{study_id}.yaml"
        text = path.read_text(encoding="utf-8")
        assert "\nstatus: draft\n" in text
        path.write_text(text.replace("\nstatus: draft\n", "\nstatus: published\n"), "utf-8")


def _export(run_cli: RunCli, repo: Path, fmt: str, out: Path) -> str:
    result = run_cli(["export", repo, "--format", fmt, "--out", out])
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8")


def _citation(repo: Path, study_id: str) -> str:
    """The citation HTML in the "Cite this study" section of the study's rendered page."""
    page = (repo / "site" / "docs" / "studies" / f"{study_id}.md").read_text(encoding="utf-8")
    section = page.split("## Cite this study", 1)[1]
    match = re.search(r'<p class="mp-citation">(.*?)</p>', section)
    assert match, section[:500]
    return match.group(1)


def test_container_and_undated_study_from_import_to_page(
    run_cli: RunCli, imported: Path, tmp_path: Path
) -> None:
    undated_file = f"entries/studies/{UNDATED}.yaml"
    assert _findings(run_cli, imported) == [("MP210", undated_file)]
    undated_yaml = (imported / undated_file).read_text(encoding="utf-8")
    assert "year:" not in undated_yaml
    assert "container: Addiction Research & Theory" in undated_yaml

    _publish(imported, ARTICLE, UNDATED, REPORT)
    assert _findings(run_cli, imported) == [("MP210", undated_file)]

    ris = {r["id"]: r for r in rispy.loads(_export(run_cli, imported, "ris", tmp_path / "a.ris"))}
    assert ris[ARTICLE]["journal_name"] == "Drug & Alcohol Review"
    assert ris[ARTICLE]["year"] == "2011"
    assert ris[UNDATED]["journal_name"] == "Addiction Research & Theory"
    assert "year" not in ris[UNDATED]
    assert ris[REPORT]["secondary_title"] == "Home Office Research Study 12"

    library = bibtexparser.parse_string(_export(run_cli, imported, "bibtex", tmp_path / "a.bib"))
    assert not library.failed_blocks
    bib = {e.key: {f.key: f.value for f in e.fields} for e in library.entries}
    assert bib[ARTICLE]["journal"] == r"Drug \& Alcohol Review"
    assert bib[ARTICLE]["year"] == "2011"
    assert bib[UNDATED]["journal"] == r"Addiction Research \& Theory"
    assert "year" not in bib[UNDATED]
    assert bib[REPORT]["series"] == "Home Office Research Study 12"

    items = json.loads(_export(run_cli, imported, "csl-json", tmp_path / "a.json"))
    csl = {item["id"]: item for item in items}
    assert csl[ARTICLE]["container-title"] == "Drug & Alcohol Review"
    assert csl[ARTICLE]["issued"] == {"date-parts": [[2011]]}
    assert csl[UNDATED]["container-title"] == "Addiction Research & Theory"
    assert "issued" not in csl[UNDATED]
    assert csl[REPORT]["container-title"] == "Home Office Research Study 12"

    result = run_cli(["render", imported])
    assert result.exit_code == 0, result.output
    assert _citation(imported, ARTICLE) == (
        "Smith, J. (2011). Coerced treatment for drink-driving offenders. "
        "<i>Drug &amp; Alcohol Review</i>. https://doi.org/10.1111/dar.2011.1"
    )
    assert _citation(imported, UNDATED) == (
        "Brown, A. (n.d.). An undated commentary on treatment systems. "
        "<i>Addiction Research &amp; Theory</i>."
    )


def test_drafts_are_cited_only_in_a_preview(run_cli: RunCli, imported: Path) -> None:
    result = run_cli(["render", imported])
    assert result.exit_code == 0, result.output
    assert not (imported / "site" / "docs" / "studies" / f"{UNDATED}.md").exists()
    result = run_cli(["render", imported, "--drafts"])
    assert result.exit_code == 0, result.output
    assert "(n.d.)" in _citation(imported, UNDATED)
    assert "<i>Addiction Research &amp; Theory</i>" in _citation(imported, UNDATED)

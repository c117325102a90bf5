"""The rule registry: stable codes, kebab-case names, default levels and the docs of every rule.

Codes are grouped by stage: MP1xx loading, MP2xx schema, MP3xx references and links, MP4xx content
safety, MP5xx Git integrity. A code never changes meaning; the docs page is generated from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from matrixpipe.diagnostics import Diagnostic, Severity


@dataclass(frozen=True)
class Rule:
    """One check: what it finds, why it matters, and a bad and a good example for the docs."""

    code: str
    name: str
    level: Severity
    summary: str
    why: str
    bad: str
    good: str


_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO

_RULES = [
    # --- MP1xx: loading -------------------------------------------------------------------
    Rule(
        "MP101",
        "yaml-syntax",
        _E,
        "The file is not valid YAML.",
        "Nothing in a file that does not parse can be checked or published.",
        "title: Probation struggling\nyear 2009\n",
        "title: Probation struggling\nyear: 2009\n",
    ),
    Rule(
        "MP102",
        "duplicate-key",
        _E,
        "A mapping has the same key twice.",
        "YAML parsers silently keep the last value, so the first one is lost.",
        "year: 2009\nyear: 2010\n",
        "year: 2009\n",
    ),
    Rule(
        "MP103",
        "tab-indentation",
        _E,
        "A line is indented with a tab.",
        "YAML forbids tabs for indentation; editors show them differently.",
        "source:\n\tyear: 2009\n",
        "source:\n  year: 2009\n",
    ),
    Rule(
        "MP104",
        "not-utf8",
        _E,
        "The file is not UTF-8 text.",
        "Entries are published on the web; one encoding keeps every accent intact.",
        "(a file saved as Latin-1 or UTF-16)",
        "(the same file saved as UTF-8)",
    ),
    Rule(
        "MP105",
        "empty-file",
        _E,
        "The file is empty or holds only comments.",
        "An empty entry is almost always an unfinished edit.",
        "",
        "id: probation-alcohol-2009\n...",
    ),
    Rule(
        "MP106",
        "missing-front-matter",
        _E,
        "A cell file does not start with YAML front matter.",
        "The front matter says which matrix and cell the bite belongs to.",
        "## What is this cell about?\n",
        "---\nmatrix: alcohol\ncell: E5\nstatus: draft\n---\n",
    ),
    Rule(
        "MP107",
        "wrong-folder",
        _E,
        "A file is not where its kind of entry belongs.",
        "matrixpipe finds entries by folder: matrices/, cells/<matrix>/, studies/.",
        "entries/study-2009.yaml",
        "entries/studies/study-2009.yaml",
    ),
    Rule(
        "MP108",
        "control-character",
        _E,
        "The file contains a NUL or other control character.",
        "Control characters are invisible in editors and break tools downstream.",
        'title: "Probation\\0"',
        "title: Probation",
    ),
    Rule(
        "MP109",
        "multiple-documents",
        _E,
        "A YAML file holds more than one document.",
        "Each entry is exactly one document; a stray `---` splits it.",
        "id: a\n---\nid: b\n",
        "id: a\n",
    ),
    # --- MP2xx: schema --------------------------------------------------------------------
    Rule(
        "MP201",
        "schema-violation",
        _E,
        "A value breaks a rule of the schema.",
        "The schema is the contract that editors' tools, CI and the site share.",
        "rank: 0\n",
        "rank: 1\n",
    ),
    Rule(
        "MP202",
        "unknown-key",
        _E,
        "A key is not part of the schema.",
        "A misspelt key is silently ignored by most tools; here it is an error.",
        "catgories: [key]\n",
        "categories: [key]\n",
    ),
    Rule(
        "MP203",
        "wrong-type",
        _E,
        "A value has the wrong type.",
        "Values are never coerced, so what you write is what readers get.",
        'year: "two thousand"\n',
        "year: 2000\n",
    ),
    Rule(
        "MP204",
        "missing-key",
        _E,
        "A required key is missing.",
        "Every study needs an id, a title, a status and a source.",
        "id: a\ntitle: A\n",
        "id: a\ntitle: A\nstatus: draft\nsource: {year: 2009}\n",
    ),
    Rule(
        "MP205",
        "invalid-value",
        _E,
        "A value is not one of the allowed choices.",
        "Categories and statuses drive the badges and what is published.",
        "categories: [kye]\n",
        "categories: [key]\n",
    ),
    Rule(
        "MP206",
        "invalid-id",
        _E,
        "An id is not a slug of lower-case words joined by hyphens.",
        "Ids become URLs and file names, so they must be safe and stable.",
        "id: Probation_2009\n",
        "id: probation-2009\n",
    ),
    Rule(
        "MP207",
        "id-mismatch",
        _E,
        "An entry's id (or cell code) does not match its file name.",
        "Links use the id and readers find the file by name; the two must agree.",
        "# entries/studies/probation-2009.yaml\nid: probation-alcohol-2009\n",
        "# entries/studies/probation-2009.yaml\nid: probation-2009\n",
    ),
    Rule(
        "MP210",
        "missing-year",
        _W,
        "A study's source gives no year of publication.",
        'Some documents are undated; readers see "n.d.", and such studies sort last.',
        "source:\n  organisation: Home Office\n",
        "source:\n  organisation: Home Office\n  year: 2004\n",
    ),
    # --- MP3xx: references and links ------------------------------------------------------
    Rule(
        "MP301",
        "unknown-cell",
        _E,
        "A placement or link names a cell that does not exist.",
        "Cells are A1 to E5 of an existing matrix.",
        "cell: alcohol/F5\n",
        "cell: alcohol/E5\n",
    ),
    Rule(
        "MP302",
        "unknown-anchor",
        _E,
        "A link or `discussed_in` names a bite section that does not exist.",
        "Anchors are the `{#id}` written in a bite's headings.",
        "discussed_in: [isues]\n",
        "discussed_in: [issues]\n",
    ),
    Rule(
        "MP303",
        "unknown-study",
        _E,
        "A link or `related` entry names a study that does not exist.",
        "A study link that points nowhere is a broken link on the site.",
        "[report](study:probation-2090)",
        "[report](study:probation-2009)",
    ),
    Rule(
        "MP304",
        "forbidden-link",
        _E,
        "A link uses a scheme or form that is not allowed.",
        "Only study:, cell:, #anchor, http(s) and mailto links are safe and stable.",
        "[x](javascript:alert(1))",
        "[x](https://example.org/)",
    ),
    Rule(
        "MP305",
        "link-to-unpublished",
        _E,
        "A published entry links to a draft or review entry.",
        "The draft is not on the public site, so the link would be broken there.",
        "# status: published\n[report](study:a-draft-study)",
        "[report](study:a-published-study)",
    ),
    Rule(
        "MP306",
        "duplicate-id",
        _E,
        "Two entries have the same id.",
        "Ids must be unique: they are URLs.",
        "# two files with id: probation-2009",
        "# one file per id",
    ),
    Rule(
        "MP307",
        "duplicate-source",
        _E,
        "Two studies have the same DOI or the same URL.",
        "The same document listed twice splits its placements and notes.",
        "doi: 10.1/abc  # in two studies",
        "# one study, placed in two cells",
    ),
    Rule(
        "MP308",
        "similar-title",
        _W,
        "Two studies of the same year have nearly the same title or headline.",
        "It is often the same document added twice. Titles and per-cell headlines are compared "
        "by their word stems, in any order, without small words.",
        "title: Methadone treatment saved lives in Sweden\n"
        "title: Methadone treatment saves lives in Sweden",
        "# one study",
    ),
    Rule(
        "MP309",
        "orphan-study",
        _W,
        "A study is not placed in any cell.",
        "Readers reach studies through cells; an unplaced one is hard to find.",
        "placements: []\n",
        "placements:\n  - cell: alcohol/E5\n    categories: [key]\n    note: ...",
    ),
    Rule(
        "MP310",
        "empty-cell",
        _I,
        "A cell with a bite lists no studies.",
        "Worth knowing when curating; not an error.",
        "# a cell page and no study placed there",
        "# at least one study placed in the cell",
    ),
    Rule(
        "MP311",
        "duplicate-anchor",
        _E,
        "A bite uses the same anchor twice.",
        "Links to the second section would land on the first.",
        "## Issues {#issues}\n## More issues {#issues}",
        "## Issues {#issues}\n## More {#more}",
    ),
    Rule(
        "MP312",
        "unknown-matrix",
        _E,
        "A cell or placement names a matrix that does not exist.",
        "Matrices are the files in entries/matrices/.",
        "cell: alcahol/E5\n",
        "cell: alcohol/E5\n",
    ),
    Rule(
        "MP313",
        "dead-link",
        _W,
        "An external link does not answer (`--online`).",
        "Links rot; the weekly sweep finds them.",
        "url: https://example.org/gone",
        "url: https://example.org/report",
    ),
    Rule(
        "MP314",
        "duplicate-placement",
        _E,
        "A study is placed in the same cell twice.",
        "The cell would list it twice and count it twice.",
        "placements:\n  - cell: drug/B3\n    ...\n  - cell: drug/B3\n    ...",
        "placements:\n  - cell: drug/B3\n    categories: [key, guidance]\n    ...",
    ),
    Rule(
        "MP315",
        "placeholder-text",
        _E,
        "A bite section still holds the scaffold's placeholder (`To write: …`).",
        "A published cell would show the placeholder to readers (info while the cell is a draft).",
        "## Where should I start? {#start}\n\n_To write: the studies to read first._",
        "## Where should I start? {#start}\n\nStart with the national survey of 2009.",
    ),
    Rule(
        "MP316",
        "unknown-jurisdiction",
        _W,
        "A study's jurisdiction is not in the collection's table of jurisdictions.",
        "Search filters jurisdictions by group (`jurisdictions:` in matrixpipe.yml): a name the "
        "table does not know is filed on its own.",
        "jurisdiction: Englnd",
        "jurisdiction: England   # listed under United Kingdom in matrixpipe.yml",
    ),
    # --- MP4xx: content safety --------------------------------------------------------------
    Rule(
        "MP401",
        "yaml-anchor",
        _E,
        "The file uses YAML anchors, aliases or merge keys.",
        "They have no use in entries and are the fuse of the 'billion laughs' alias bomb.",
        "source: &src {year: 2009}\nrelated:\n  - {label: x, source: *src}\n",
        "source: {year: 2009}\nrelated:\n  - {label: x, source: {year: 2009}}\n",
    ),
    Rule(
        "MP402",
        "yaml-tag",
        _E,
        "The file uses a YAML tag such as `!!python/object`.",
        "Tags can ask a loader to build objects; entries are plain data.",
        "title: !!python/object:os.system x\n",
        "title: x\n",
    ),
    Rule(
        "MP403",
        "too-deep",
        _E,
        "The YAML is nested too deeply.",
        "Entries need a few levels; thousands of nested brackets can crash a YAML parser.",
        "tags: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
        "tags: [x]\n",
    ),
    Rule(
        "MP404",
        "file-too-large",
        _E,
        "The file is larger than an entry can be.",
        "A size limit keeps every check quick and bounded, whatever is submitted.",
        "(a 50 MB study file)",
        "(a study file of a few kilobytes)",
    ),
    Rule(
        "MP405",
        "invisible-character",
        _E,
        "An id, title or link contains an invisible or bidirectional control character.",
        "Such characters make text read differently from what it is ('Trojan Source').",
        'title: "Probation\\u202e2009"',
        "title: Probation 2009",
    ),
    Rule(
        "MP406",
        "invisible-in-text",
        _W,
        "Body text contains an invisible or bidirectional control character.",
        "Usually pasted by accident; it can reorder what readers see.",
        'note: "Key\\u200b study"',
        "note: Key study",
    ),
    Rule(
        "MP407",
        "raw-html",
        _E,
        "Markdown contains raw HTML.",
        "Raw HTML can run scripts on the public site; write Markdown instead.",
        'note: <img src=x onerror="alert(1)">',
        "note: '![a chart](https://example.org/c.png)'",
    ),
    Rule(
        "MP408",
        "unsafe-attribute",
        _E,
        "An attribute list sets something other than an id or an allowed class.",
        "`{onclick=...}` or `{style=...}` would put script or styling into the site, and a theme "
        "class such as `.md-consent__overlay` can cover the page with a fake dialog.",
        '## Issues {#issues onclick="alert(1)"}\n\nText {: .md-consent__overlay }',
        "## Issues {#issues}\n\nText {: .note }",
    ),
    Rule(
        "MP409",
        "too-many-links",
        _E,
        "A Markdown field holds more links or autolinks than any entry needs.",
        "A bound on links (and on `<https://…` openings, complete or not) keeps every check and "
        "build fast on any input.",
        "(a note with 5,000 links)",
        "(a note with a few links)",
    ),
    Rule(
        "MP410",
        "not-a-regular-file",
        _E,
        "An entry path is a symbolic link, or a folder named like an entry.",
        "A link could make matrixpipe read (and print) a file outside the collection.",
        "entries/studies/a.yaml -> /etc/passwd",
        "entries/studies/a.yaml (a regular file)",
    ),
    Rule(
        "MP411",
        "bad-file-name",
        _E,
        "A file name is not a valid id.",
        "File names become ids and URLs; they must be lower-case slugs.",
        "entries/studies/My Study.yaml",
        "entries/studies/my-study.yaml",
    ),
    Rule(
        "MP412",
        "include-directive",
        _E,
        "Markdown asks to include another file (`--8<--`).",
        "Entries are published as written; an include could print a build machine's files.",
        'note: --8<-- ".git/config"',
        "note: See [the report](https://example.org/report).",
    ),
    Rule(
        "MP413",
        "markdown-too-deep",
        _E,
        "Markdown lists or block quotes are nested deeper than any entry needs.",
        "Hundreds of nested levels exhaust the Markdown converter's recursion and stop the build.",
        "note: - - - - - - - - - - - - - - - - - - - x",
        "note: |\n  - a point\n    - a detail",
    ),
    Rule(
        "MP414",
        "markdown-too-large",
        _E,
        "A Markdown field is longer than any entry needs.",
        "A bound on length keeps every build fast, whatever is submitted.",
        "(a 400 KB bite)",
        "(a bite of a few pages)",
    ),
    # --- MP5xx: Git integrity -------------------------------------------------------------
    Rule(
        "MP501",
        "deleted-but-referenced",
        _E,
        "An entry deleted by the change is still referenced.",
        "Deleting an entry others point to breaks their links (link integrity).",
        "git rm entries/studies/a.yaml  # still linked from b.yaml",
        "# remove or retarget the links first",
    ),
    Rule(
        "MP502",
        "renamed-but-referenced",
        _E,
        "An entry renamed by the change is still referenced by its old id.",
        "Old ids keep working only as redirects for readers, not inside the collection.",
        "[report](study:old-id)  # after renaming old-id to new-id",
        "[report](study:new-id)",
    ),
    Rule(
        "MP503",
        "tracked-cache",
        _E,
        "A file under `.matrixpipe-cache/` is tracked by Git.",
        "Caches are never part of a collection: a committed one could plant findings or HTML "
        "(matrixpipe keeps its caches outside the repository and never reads this folder).",
        "git add -f .matrixpipe-cache/render.marshal",
        "git rm --cached -r .matrixpipe-cache",
    ),
    Rule(
        "MP504",
        "deleted-published",
        _E,
        "A change deletes a study that was published.",
        "Its page, its citations and links to it from elsewhere would answer 404; a withdrawn "
        "study keeps its page as a notice.",
        "git rm entries/studies/a.yaml  # a published study",
        "status: withdrawn\nwithdrawn_reason: Superseded by the 2019 survey.",
    ),
]

RULES: dict[str, Rule] = {r.code: r for r in _RULES}
BY_NAME: dict[str, Rule] = {r.name: r for r in _RULES}


def finding(
    code: str,
    path: str,
    line: int | None,
    column: int | None,
    message: str,
    hint: str | None = None,
    target: str | None = None,
) -> Diagnostic:
    """Make a Diagnostic for a rule at its default level (config may change it later)."""
    rule = RULES[code]
    return Diagnostic(path, line, column, code, message, hint, rule.level, rule.name, target=target)

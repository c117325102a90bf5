"""Headless outputs: the static JSON API, open data files and reference-manager formats.

Entry points for the site build (each deterministic, each file written atomically):

- `api.write_api(collection, out_dir, base_url)`: the JSON API (`index.json`, `matrices/`, `cells/`,
  `studies/`, `studies.json`) and its JSON Schemas under `schema/`.
- `downloads.write_downloads(collection, out_dir)`: per-study and per-cell `.bib`, `.ris`,
  `.csl.json` (and `.csv` per cell), and the whole collection as `matrixpipe.*`.
- `citation.citation_html(study)`, `citation.citation_text(study)`: the APA reference of a study.

Nothing is imported here, so `import matrixpipe.export.api` does not pull in citeproc or bibtexparser.
"""

"""Coverage-guided fuzzing of the contributor Markdown converter (atheris / libFuzzer).

Each input is decoded as contributor Markdown and converted by `contributor_html`; the harness
fails if the HTML could run script or carries a theme class, if the fragment placed in a page does
not reach Python-Markdown's output as the one raw block it was, if a bite's rendering is unsafe, or
if the converter's guard stops a fragment that the check would let through. Run with `-timeout=5`:
a slow input is a finding too. See fuzz/README.md.

    python fuzz/fuzz_markdown.py -dict=fuzz/markdown.dict -max_total_time=600 fuzz/corpus/markdown
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

with atheris.instrument_imports():
    import markdown
    import yaml

    from matrixpipe.check.safety import excess
    from matrixpipe.publish.markdown import bite_markdown, html_block
    from matrixpipe.publish.sanitize import FragmentError, contributor_html
    from matrixpipe.publish.tree import TEMPLATE

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _inert import assert_inert

TARGETS = {"study:a-2001": "../../studies/a-2001/", "cell:alcohol/E5#issues": "#issues"}


def _site_markdown() -> markdown.Markdown:
    """Python-Markdown as MkDocs runs it on a generated page, from the packaged mkdocs.yml."""
    config = yaml.load(TEMPLATE.joinpath("mkdocs.yml").read_text(encoding="utf-8"), yaml.BaseLoader)
    names, configs = [], {}
    for entry in config["markdown_extensions"]:
        name = next(iter(entry)) if isinstance(entry, dict) else entry
        names.append(name)
        if isinstance(entry, dict):
            configs[name] = {
                k: v == "true" if v in ("true", "false") else v for k, v in entry[name].items()
            }
    return markdown.Markdown(extensions=names, extension_configs=configs)


SITE = _site_markdown()


def test_one_input(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    text = provider.ConsumeUnicodeNoSurrogates(len(data))
    try:
        html = contributor_html(text, TARGETS.get)
    except FragmentError:
        # The converter's guard may stop only what the check refuses (MP409, MP413, MP414).
        if excess(text) is None:
            raise
        return
    assert_inert(html, text)
    block = html_block(html)
    SITE.reset()
    page = SITE.convert(f"# Page\n\n{block}\n\n## After {{#after}}\n")
    if block not in page or '<h2 id="after">After' not in page:
        raise AssertionError(f"the fragment did not stay one block: {text!r}")
    SITE.reset()
    assert_inert(SITE.convert(bite_markdown(text, TARGETS.get)), text)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()

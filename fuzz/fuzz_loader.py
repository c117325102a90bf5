"""Coverage-guided fuzzing of the loader, validator and indexer of one entry (atheris).

The first byte chooses the kind (study YAML or cell Markdown with front matter); the rest is the
file's bytes, handed to `matrixpipe.check.run.process` exactly as `check` would. Any exception is a
finding: hostile input must come back as diagnostics (MP1xx/MP2xx/MP4xx) or a clean entry.
See fuzz/README.md.

    python fuzz/fuzz_loader.py -dict=fuzz/yaml.dict -max_total_time=600 fuzz/corpus/loader
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from matrixpipe.check.run import process

KINDS = [("study", "entries/studies/fuzz-2001.yaml"), ("cell", "entries/cells/alcohol/E5.md")]


def test_one_input(data: bytes) -> None:
    if not data:
        return
    kind, path = KINDS[data[0] % len(KINDS)]
    (findings, _facts), entry, _doc = process(path, kind, data[1:])  # type: ignore[arg-type]
    if not findings and entry is None:
        raise AssertionError("neither a finding nor an entry")


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()

"""Seed corpora for the atheris harnesses, from the bundled collection (see fuzz/README.md).

python fuzz/make_corpus.py [OUT]   # writes OUT/markdown/ and OUT/loader/ (OUT: fuzz/corpus)
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "corpus"


def _write(folder: Path, data: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)


def _markdown_fields(data: object) -> list[str]:
    if isinstance(data, dict):
        return [t for k, v in data.items() for t in _markdown_fields(v) if k != "id"]
    if isinstance(data, list):
        return [t for v in data for t in _markdown_fields(v)]
    return [data] if isinstance(data, str) and len(data) > 20 else []


def main() -> None:
    for path in sorted((ROOT / "entries" / "studies").glob("*.yaml")):
        raw = path.read_bytes()
        _write(OUT / "loader", b"\x00" + raw)
        for text in _markdown_fields(yaml.safe_load(raw)):
            _write(OUT / "markdown", text.encode("utf-8"))
    for path in sorted((ROOT / "entries" / "cells").rglob("*.md")):
        raw = path.read_bytes()
        _write(OUT / "loader", b"\x01" + raw)
        _write(OUT / "markdown", raw.split(b"---", 2)[-1])
    print(f"wrote seed corpora into {OUT}")


if __name__ == "__main__":
    main()

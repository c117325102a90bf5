"""matrixpipe: a Git-based, headless publishing pipeline for evidence matrices."""

from __future__ import annotations

__version__ = "0.1.0"

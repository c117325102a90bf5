"""The few exceptions that stop a run (exit code 2); everything about content is a Diagnostic."""

from __future__ import annotations


class MatrixpipeError(Exception):
    """A failure that stops the run: bad arguments, an unreadable repository, a broken config."""


class ContentError(MatrixpipeError):
    """Content that passed the check (its rules lowered) but cannot be published: exit code 1."""


class ConfigError(MatrixpipeError):
    """matrixpipe.yml is invalid."""


class RepoError(MatrixpipeError):
    """The folder is not a collection, or its Git history cannot be read."""

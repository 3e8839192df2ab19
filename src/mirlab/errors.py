"""The one exception type for bad input: data files, annotations and config values."""

from __future__ import annotations

from pathlib import Path


class InputError(ValueError):
    """Bad input that the user must fix.

    The message always names the offending file (or config key) and what is wrong
    with it, e.g. ``InputError("data/x.csv", "time column is not increasing at row 7")``.
    """

    def __init__(self, where: str | Path, problem: str):
        self.where = str(where)
        self.problem = problem
        super().__init__(f"{self.where}: {problem}")

    def __reduce__(self):
        # Rebuilt from (where, problem) so the message survives a process-pool boundary.
        return (type(self), (self.where, self.problem))

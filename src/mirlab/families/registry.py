"""Which module holds each task's family: the one place that names the families.

Adding a family is a new folder under ``mirlab/families/`` and one line here. A config may
also name families of its own (``families: {task: module}``), e.g. a family that lives in a
researcher's project rather than in mirlab.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from mirlab.errors import InputError
from mirlab.families.base import Family

FAMILIES = {
    "melody": "mirlab.families.melody",
    # Monophonic pitch tracking is melody extraction on a one-source signal: the same family.
    "pitch": "mirlab.families.melody",
    "multipitch": "mirlab.families.multipitch",
    "chords": "mirlab.families.chords",
    "autoencoder": "mirlab.families.autoencoder",
    "generation": "mirlab.families.generation",
}


def family_modules(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Task name -> module of its family: the built-in ones and a config's ``extra``."""
    return {**FAMILIES, **(extra or {})}


def get_family(task: str, extra: Mapping[str, str] | None = None) -> Family:
    """The :class:`Family` of ``task``; ``InputError`` for an unknown task or a module
    without a ``FAMILY``."""
    modules = family_modules(extra)
    if task not in modules:
        raise InputError("config key task", f"{task!r} is not one of {', '.join(sorted(modules))}")
    try:
        module = importlib.import_module(modules[task])
    except ImportError as error:
        raise InputError(
            f"config key families.{task}", f"cannot import {modules[task]!r}: {error}"
        ) from None
    family = getattr(module, "FAMILY", None)
    if not isinstance(family, Family):
        raise InputError(f"config key families.{task}", f"{modules[task]!r} defines no FAMILY")
    return family

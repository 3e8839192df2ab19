"""Experiments as declared in the config: grid expansion and resolution.

An experiment entry may hold a ``grid``: a mapping from a dotted key of the entry (e.g.
``model_args.capacity_multiplier``) to a list of values. It expands into one experiment per
combination, named ``<name>-<leaf><value>-...`` (e.g. ``crepe-capacity_multiplier4-context0``).
"""

from __future__ import annotations

import copy
import itertools
import re

from mirlab.errors import InputError

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _set_dotted(mapping: dict, dotted: str, value: object, where: str) -> None:
    *parents, leaf = dotted.split(".")
    node = mapping
    for part in parents:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise InputError(where, f"grid key {dotted!r}: {part!r} is not a mapping")
        node = child
    node[leaf] = value


def _value_label(value: object) -> str:
    label = str(value).replace(" ", "")
    return re.sub(r"[^A-Za-z0-9_.]", "_", label)


def expand_experiments(experiments: dict) -> dict[str, dict]:
    """Expand every ``grid`` into named experiments; entries without a grid pass through.

    Returns ``{name: experiment}`` sorted by name, each without its ``grid`` key. A name
    that collides with another experiment, or a grid key that does not fit the entry, is an
    ``InputError`` naming the config key.
    """
    expanded: dict[str, dict] = {}
    for name, entry in experiments.items():
        where = f"config key experiments.{name}"
        grid = entry.get("grid", {})
        base = {key: value for key, value in entry.items() if key != "grid"}
        keys = list(grid)
        for values in itertools.product(*(grid[key] for key in keys)):
            experiment = copy.deepcopy(base)
            labels = []
            for key, value in zip(keys, values, strict=True):
                _set_dotted(experiment, key, value, where)
                labels.append(f"{key.split('.')[-1]}{_value_label(value)}")
            full_name = "-".join([name, *labels])
            if not NAME_PATTERN.match(full_name):
                raise InputError(where, f"expanded name {full_name!r} is not a valid name")
            if full_name in expanded:
                raise InputError(where, f"expanded name {full_name!r} is used twice")
            expanded[full_name] = experiment
    return dict(sorted(expanded.items()))

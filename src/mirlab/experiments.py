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


#: Keys each method needs besides task, method and test.
METHOD_KEYS = {
    "train": ("model", "input", "train"),
    "baseline": ("baseline", "input"),
    "external": ("estimates",),
}


def check_experiments(experiments: dict[str, dict], families: dict, config: dict) -> None:
    """Cross-check expanded experiments against the rest of the config.

    Every dataset and feature named must be declared, each method must have its keys, a
    model or baseline must be one of its family's (``families``: experiment name ->
    :class:`mirlab.families.base.Family`), an input is either a feature or raw audio
    (``audio_sr`` with ``hop_length``), a test dataset appears once per experiment; then the
    family's own ``check_experiment``.
    """
    for name, experiment in experiments.items():
        where = f"config key experiments.{name}"
        family = families[name]
        for key in METHOD_KEYS[experiment["method"]]:
            if key not in experiment:
                raise InputError(where, f"method {experiment['method']!r} needs {key!r}")
        for key, allowed in (("model", family.models), ("baseline", family.baselines)):
            if key in experiment and experiment[key] not in allowed:
                raise InputError(
                    f"{where}.{key}",
                    f"{experiment[key]!r} is not one of the {family.name} family's "
                    f"{', '.join(allowed) or '(none)'}",
                )
        for role in ("train", "validate", "test"):
            for entry in experiment.get(role, []):
                if entry["dataset"] not in config["datasets"]:
                    raise InputError(f"{where}.{role}", f"no dataset {entry['dataset']!r}")
        tested = [entry["dataset"] for entry in experiment["test"]]
        if len(set(tested)) != len(tested):
            raise InputError(f"{where}.test", "a dataset is listed twice")
        spec = experiment.get("input")
        if spec is not None:
            if ("feature" in spec) == ("audio_sr" in spec):
                raise InputError(
                    f"{where}.input", "give either feature or audio_sr (with hop_length)"
                )
            if "audio_sr" in spec and "hop_length" not in spec:
                raise InputError(f"{where}.input", "audio_sr needs hop_length (samples per frame)")
            if "feature" in spec and spec["feature"] not in config["features"]:
                raise InputError(f"{where}.input.feature", f"no feature {spec['feature']!r}")
        family.check_experiment(name, experiment, config)


def check_comparisons(pairs: list[dict], experiments: dict[str, dict]) -> None:
    """Each compared pair names two expanded experiments (seed 0) that both test ``dataset``."""
    for number, pair in enumerate(pairs):
        where = f"config key compare[{number}]"
        for side in ("a", "b"):
            experiment = experiments.get(pair[side])
            if experiment is None:
                raise InputError(where, f"no experiment {pair[side]!r}")
            if 0 not in experiment["seeds"]:
                raise InputError(where, f"experiment {pair[side]!r} has no seed 0")
            if pair["dataset"] not in {entry["dataset"] for entry in experiment["test"]}:
                raise InputError(
                    where, f"experiment {pair[side]!r} does not test {pair['dataset']!r}"
                )

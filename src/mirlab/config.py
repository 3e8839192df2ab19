"""Config checking and the cache keys that name every cached artefact.

A cached artefact's path holds a short hash of every parameter that changes its bytes,
so changing a parameter makes a new path instead of serving a stale file.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import jsonschema
import yaml

from mirlab.errors import InputError

KEY_LENGTH = 10


def param_key(params: object) -> str:
    """Short stable hash (hex, ``KEY_LENGTH`` characters) of JSON-serialisable ``params``.

    Key order does not matter; ``1`` and ``1.0`` hash differently on purpose only if
    the YAML says so (they are different values to the code that reads them).
    """
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:KEY_LENGTH]


def _key_path(error: jsonschema.ValidationError, top: str = "(top level)") -> str:
    return ".".join(str(part) for part in error.absolute_path) or top


def check_config(config: dict, schema_path: str | Path) -> None:
    """Validate ``config`` against the YAML JSON-schema, filling in defaults.

    Snakemake's own ``validate`` does the checking and fills defaults; on failure this
    raises a one-line ``InputError`` that names the offending key, e.g.
    ``config key datasets.synth.generate: unknown key 'n_track'``. Each experiment entry is
    then checked against ``$defs/experiment`` merged with its family's schema fragment
    (:func:`experiment_schema`), so a key of another family is an unknown key.
    """
    from mirlab.families.registry import get_family

    schema_path = Path(schema_path)
    _validate(config, yaml.safe_load(schema_path.read_text()), "")
    schema = yaml.safe_load(schema_path.read_text())
    for name, entry in config["experiments"].items():
        family = get_family(entry["task"], config["families"])
        fragment = yaml.safe_load(family.schema.read_text())
        _validate(entry, experiment_schema(schema, fragment), f"experiments.{name}")


def experiment_schema(schema: dict, fragment: dict) -> dict:
    """The schema of one family's experiment entries: ``schema["$defs"]["experiment"]`` with
    the family's ``fragment`` merged in (mappings merged key by key, other values replaced),
    keeping ``schema``'s ``$defs`` for references."""
    return {
        "$schema": schema["$schema"],
        "$defs": schema["$defs"],
        **_merged(schema["$defs"]["experiment"], fragment),
    }


def _merged(base: dict, extra: dict) -> dict:
    merged = dict(base)
    for key, value in extra.items():
        both = isinstance(value, dict) and isinstance(base.get(key), dict)
        merged[key] = _merged(base[key], value) if both else value
    return merged


def _validate(data: dict, schema: dict, prefix: str) -> None:
    """Snakemake's ``validate`` (fills defaults) of ``data``; a failure is one ``InputError``
    naming the key under ``prefix``."""
    import tempfile

    from snakemake.exceptions import WorkflowError
    from snakemake.utils import validate

    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as file:
        yaml.safe_dump(schema, file)
        file.flush()
        try:
            validate(data, file.name, set_default=True)
        except WorkflowError:
            validator = jsonschema.Draft202012Validator(schema)
            error = jsonschema.exceptions.best_match(validator.iter_errors(data))
            if error is None:
                raise
            where = ".".join(filter(None, [prefix, _key_path(error, "")])) or "(top level)"
            raise InputError(f"config key {where}", _describe(error)) from None


def _describe(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))
        hint = f" (allowed: {', '.join(allowed)})" if allowed else ""
        return f"unknown key {', '.join(repr(k) for k in unknown)}{hint}"
    if error.validator == "type":
        return f"{error.instance!r} is not of type {error.validator_value}"
    if error.validator == "enum":
        return f"{error.instance!r} is not one of {', '.join(map(str, error.validator_value))}"
    return error.message


def check_dataset_roots(datasets: dict, base: str | Path = ".") -> None:
    """Every non-synthetic dataset must name an existing ``root`` folder; synth must not."""
    for name, dataset in datasets.items():
        key = f"config key datasets.{name}.root"
        if dataset["loader"] == "synth":
            if "root" in dataset:
                raise InputError(key, "a synth dataset is generated; it takes no root")
            continue
        if "root" not in dataset:
            raise InputError(key, f"missing: loader {dataset['loader']!r} reads a folder")
        root = Path(base, dataset["root"])
        if not root.is_dir():
            raise InputError(key, f"folder {root} does not exist")

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


def _key_path(error: jsonschema.ValidationError) -> str:
    return ".".join(str(part) for part in error.absolute_path) or "(top level)"


def check_config(config: dict, schema_path: str | Path) -> None:
    """Validate ``config`` against the YAML JSON-schema, filling in defaults.

    Snakemake's own ``validate`` does the checking and fills defaults; on failure this
    raises a one-line ``InputError`` that names the offending key, e.g.
    ``config key datasets.synth.generate: unknown key 'n_track'``.
    """
    from snakemake.exceptions import WorkflowError
    from snakemake.utils import validate

    try:
        validate(config, str(schema_path), set_default=True)
    except WorkflowError:
        schema = yaml.safe_load(Path(schema_path).read_text())
        validator = jsonschema.Draft202012Validator(schema)
        error = jsonschema.exceptions.best_match(validator.iter_errors(config))
        if error is None:
            raise
        raise InputError(f"config key {_key_path(error)}", _describe(error)) from None


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

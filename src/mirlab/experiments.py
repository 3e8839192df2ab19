"""Experiments as declared in the config: grid expansion and resolution.

An experiment entry may hold a ``grid``: a mapping from a dotted key of the entry (e.g.
``model_args.capacity_multiplier``) to a list of values. It expands into one experiment per
combination, named ``<name>-<leaf><value>-...`` (e.g. ``crepe-capacity_multiplier4-context0``).
"""

from __future__ import annotations

import copy
import itertools
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mirlab import preprocess
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


# --- where an experiment reads one dataset -------------------------------------------------


@dataclass(frozen=True)
class DatasetPaths:
    """The cached artefacts of one dataset that an experiment reads.

    ``inputs``: folder of per-track model inputs (feature or audio ``.npy`` + manifest);
    ``grid``: annotations on the experiment's frame grid; ``original``: annotations at their
    original time stamps (the evaluation reference); ``split``: the split CSV; ``reference``:
    the f0 annotation kind (``melody`` or ``pitch``); ``sr`` (Hz) and ``hop_length`` (samples)
    of the frame grid.
    """

    name: str
    inputs: Path
    grid: Path
    original: Path
    split: Path
    reference: str
    sr: int
    hop_length: int

    @classmethod
    def from_mapping(cls, mapping: dict) -> DatasetPaths:
        paths = {key: Path(mapping[key]) for key in ("inputs", "grid", "original", "split")}
        return cls(
            name=mapping["name"],
            reference=mapping["reference"],
            sr=int(mapping["sr"]),
            hop_length=int(mapping["hop_length"]),
            **paths,
        )

    @property
    def frame_period(self) -> float:
        """Seconds between frames."""
        return self.hop_length / self.sr

    def track_ids(self, part: str) -> list[str]:
        """Track ids of one split ``part`` (``all``: every track), sorted."""
        split = pd.read_csv(self.split, dtype={"track_id": str, "part": str})
        if part != "all":
            split = split[split["part"] == part]
        if split.empty:
            raise InputError(self.split, f"dataset {self.name!r} has no track in part {part!r}")
        return sorted(split["track_id"])

    def input_files(self, track_ids: list[str]) -> list[Path]:
        manifest = preprocess.read_manifest(self.inputs).set_index("track_id")
        return [self.inputs / manifest.at[track_id, "file"] for track_id in track_ids]

    def _annotation_table(self, folder: Path) -> pd.DataFrame:
        path = folder / f"{self.reference}.parquet"
        if not path.is_file():
            raise InputError(path, f"dataset {self.name!r} has no {self.reference!r} annotation")
        return pd.read_parquet(path)

    def grid_f0(self, track_ids: list[str]) -> list[np.ndarray]:
        """Reference f0 (Hz, 0 unvoiced) of each track on the frame grid."""
        grouped = dict(tuple(self._annotation_table(self.grid).groupby("track_id", sort=False)))
        return [grouped[track_id]["f0"].to_numpy(np.float64) for track_id in track_ids]

    def references(self, track_ids: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Original reference ``(times s, f0 Hz)`` of each track: what evaluation scores against."""
        grouped = dict(tuple(self._annotation_table(self.original).groupby("track_id", sort=False)))
        missing = [track_id for track_id in track_ids if track_id not in grouped]
        if missing:
            raise InputError(
                self.original / f"{self.reference}.parquet",
                f"no {self.reference!r} annotation for tracks {', '.join(missing[:5])}",
            )
        return {
            track_id: (
                grouped[track_id]["time"].to_numpy(np.float64),
                grouped[track_id]["f0"].to_numpy(np.float64),
            )
            for track_id in track_ids
        }


#: Keys each method needs besides task, method and test.
METHOD_KEYS = {
    "train": ("model", "input", "train"),
    "baseline": ("baseline", "input"),
    "external": ("estimates",),
}


def check_experiments(experiments: dict[str, dict], config: dict) -> None:
    """Cross-check expanded experiments against the rest of the config.

    Every dataset and feature named must be declared, each method must have its keys, an
    input is either a feature or raw audio (``audio_sr`` with ``hop_length``), a test dataset
    appears once per experiment, and the HCQT salience baseline reads an ``hcqt`` feature.
    """
    for name, experiment in experiments.items():
        where = f"config key experiments.{name}"
        for key in METHOD_KEYS[experiment["method"]]:
            if key not in experiment:
                raise InputError(where, f"method {experiment['method']!r} needs {key!r}")
        for role in ("train", "validate", "test"):
            for entry in experiment.get(role, []):
                if entry["dataset"] not in config["datasets"]:
                    raise InputError(f"{where}.{role}", f"no dataset {entry['dataset']!r}")
        tested = [entry["dataset"] for entry in experiment["test"]]
        if len(set(tested)) != len(tested):
            raise InputError(f"{where}.test", "a dataset is listed twice")
        spec = experiment.get("input")
        if spec is None:
            continue
        if ("feature" in spec) == ("audio_sr" in spec):
            raise InputError(f"{where}.input", "give either feature or audio_sr (with hop_length)")
        if "audio_sr" in spec and "hop_length" not in spec:
            raise InputError(f"{where}.input", "audio_sr needs hop_length (samples per frame)")
        if "feature" in spec and spec["feature"] not in config["features"]:
            raise InputError(f"{where}.input.feature", f"no feature {spec['feature']!r}")
        if experiment.get("baseline") == "salience_peak":
            kind = config["features"].get(spec.get("feature"), {}).get("kind")
            if kind != "hcqt":
                raise InputError(
                    f"{where}.input", "the salience_peak baseline reads an hcqt feature"
                )


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

"""Estimates of every multi-pitch method as MIREX multi-f0 files: pipeline jobs.

A trained model, a baseline and an external method's folder all end as one multi-f0 file per
track (``<track_id>.txt``), scored by one evaluator against the original references. Only
trained models need TensorFlow, so this module does not import it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mirlab.data import features
from mirlab.data.cache import DatasetPaths
from mirlab.evaluation.evaluate import copy_external
from mirlab.families.multipitch.baselines import BASELINES, Baseline
from mirlab.families.multipitch.decoding import Candidates, tune_threshold
from mirlab.families.multipitch.metrics import (
    grid_references,
    read_estimate,
    write_estimate,
)
from mirlab.storage import atomic_directory, write_json


def _hcqt_frequencies(feature_params: dict) -> np.ndarray:
    return features.feature_bin_frequencies(
        "hcqt", **{k: v for k, v in feature_params.items() if k != "kind"}
    )


def _candidates(
    baseline: Baseline, data: DatasetPaths, part: str, frequencies: np.ndarray | None
) -> list[Candidates]:
    """The baseline's candidates for every track of ``data``'s ``part``."""
    tracks = []
    for path in data.input_files(data.track_ids(part)):
        array = np.load(path)
        if baseline.input == "hcqt":
            times = features.frame_times(len(array), data.sr, data.hop_length)
            tracks.append(baseline.candidates(array, frequencies, times))
        else:
            tracks.append(baseline.candidates(array, data.sr))
    return tracks


def run_baseline(
    experiment: dict,
    data: DatasetPaths,
    part: str,
    output: str | Path,
    feature_params: dict | None = None,
    valid_sets: list[tuple[DatasetPaths, str]] = (),
) -> None:
    """Write a multi-f0 file of a baseline for every track of ``data``'s ``part``, with its
    threshold tuned on ``valid_sets`` (maximising mean accuracy against the frame-grid
    references; ``tuned.json`` in the folder) or, without them, the baseline's default.
    ``feature_params``: the HCQT's parameters (``salience_peak``)."""
    baseline = BASELINES[experiment["baseline"]]
    frequencies = _hcqt_frequencies(feature_params) if baseline.input == "hcqt" else None
    threshold, tuned = baseline.threshold, {}
    if valid_sets:
        candidates, grids = [], []
        for valid, valid_part in valid_sets:
            candidates += _candidates(baseline, valid, valid_part, frequencies)
            grids += [
                (np.arange(len(grid)) * valid.frame_period, grid)
                for grid in grid_references(valid, valid.track_ids(valid_part))
            ]
        threshold, score = tune_threshold(candidates, grids)
        tuned = {"threshold": threshold, "validation_accuracy": score}
    track_ids = data.track_ids(part)
    with atomic_directory(output) as tmp:
        for track_id, track in zip(
            track_ids, _candidates(baseline, data, part, frequencies), strict=True
        ):
            write_estimate(track.times, track.at(threshold), tmp / f"{track_id}.txt")
        if tuned:
            write_json(tuned, tmp / "tuned.json")


def predict(
    experiment: dict,
    data: DatasetPaths,
    part: str,
    output: str | Path,
    model_dir: str | Path | None = None,
    feature_params: dict | None = None,
    valid_sets: list[tuple[DatasetPaths, str]] = (),
) -> None:
    """Estimates of any method (``experiment["method"]``: train, baseline or external)."""
    method = experiment["method"]
    if method == "train":
        # Imported here: TensorFlow's import costs seconds that the other methods' jobs skip.
        from mirlab.families.multipitch.training import predict_experiment

        predict_experiment(experiment, model_dir, data, part, output)
    elif method == "baseline":
        run_baseline(experiment, data, part, output, feature_params, valid_sets)
    else:
        copy_external(experiment, data, part, output, read_estimate, write_estimate, ".txt")

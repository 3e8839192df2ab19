"""Estimates of every melody method as MIREX CSVs: pipeline jobs.

A trained model, a non-learned baseline and an external method's folder all end as one
MIREX CSV per track (``<track_id>.csv``: time, f0; f0 <= 0 unvoiced), scored by one
evaluator against the original references. Only trained models need TensorFlow, so this
module does not import it: a baseline's or an evaluation's job starts in a second or two.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mirlab.data import features
from mirlab.data.cache import DatasetPaths
from mirlab.evaluation.evaluate import copy_external
from mirlab.families.melody import baselines
from mirlab.families.melody.metrics import read_estimate_csv, write_estimate_csv
from mirlab.pitch.decode import tune_voicing_threshold
from mirlab.storage import atomic_directory, write_json


def run_baseline(
    experiment: dict,
    data: DatasetPaths,
    part: str,
    output: str | Path,
    feature_params: dict | None = None,
    valid_sets: list[tuple[DatasetPaths, str]] = (),
) -> None:
    """Write a MIREX CSV of a non-learned baseline for every track of ``data``'s ``part``.

    ``feature_params``: the HCQT's parameters (for ``salience_peak``), whose voicing
    threshold is tuned on ``valid_sets`` when given.
    """
    baseline = baselines.BASELINES[experiment["baseline"]]
    track_ids = data.track_ids(part)
    kwargs = {}
    if baseline.input == "hcqt":
        frequencies = features.feature_bin_frequencies(
            "hcqt", **{k: v for k, v in feature_params.items() if k != "kind"}
        )
        if baseline.tuned and valid_sets:
            kwargs[baseline.tuned] = _tune_salience_peak(valid_sets, frequencies)
    with atomic_directory(output) as tmp:
        for track_id, path in zip(track_ids, data.input_files(track_ids), strict=True):
            array = np.load(path)
            if baseline.input == "hcqt":
                times = features.frame_times(len(array), data.sr, data.hop_length)
                times, f0 = baseline.function(array, frequencies, times, **kwargs)
            else:
                times, f0 = baseline.function(array, data.sr, data.hop_length)
            write_estimate_csv(times, f0, tmp / f"{track_id}.csv")
        if kwargs:
            write_json(kwargs, tmp / "tuned.json")


def _tune_salience_peak(valid_sets, frequencies: np.ndarray) -> float:
    confidences, f0s, references = [], [], []
    for data, part in valid_sets:
        track_ids = data.track_ids(part)
        grids = data.grid_f0(track_ids)
        for path, reference in zip(data.input_files(track_ids), grids, strict=True):
            f0, confidence = baselines.salience_peak_contour(np.load(path), frequencies)
            confidences.append(confidence)
            f0s.append(f0)
            references.append(reference)
    return float(tune_voicing_threshold(confidences, f0s, references))


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
        from mirlab.families.melody.training import predict_experiment

        predict_experiment(experiment, model_dir, data, part, output)
    elif method == "baseline":
        run_baseline(experiment, data, part, output, feature_params, valid_sets)
    else:
        copy_external(experiment, data, part, output, read_estimate_csv, write_estimate_csv, ".csv")

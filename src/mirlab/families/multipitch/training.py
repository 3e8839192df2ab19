"""Trained multi-f0 models (deep salience, HCNN on HCQT/CQT frames) as pipeline jobs.

Targets are the reference f0s of each frame on the model's pitch-bin axis
(:func:`mirlab.pitch.targets.f0s_to_target`, Gaussian-blurred); the loss is the salience
binary cross-entropy over every bin of every frame. Decoding keeps every local salience
maximum at or above a threshold tuned on the validation set (maximising ``mir_eval``
multipitch accuracy), stored in the model folder's ``decoding.json``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np

from mirlab.data import features
from mirlab.data.cache import DatasetPaths
from mirlab.errors import InputError
from mirlab.families.multipitch import figures
from mirlab.families.multipitch.decoding import Candidates, salience_peaks, tune_threshold
from mirlab.families.multipitch.metrics import (
    evaluate_tracks,
    grid_references,
    references,
    write_estimate,
)
from mirlab.learning import windows
from mirlab.learning.train import (
    enable_determinism,
    optimizer_from_config,
    save_model_bundle,
    train_experiment_model,
)
from mirlab.pitch import losses
from mirlab.pitch.decode import decode_multif0
from mirlab.pitch.experiment import build_experiment_model, pitch_bins, window_spec
from mirlab.pitch.targets import PitchBins, f0s_to_target
from mirlab.storage import atomic_directory, write_json

log = logging.getLogger(__name__)

#: File of a trained model folder holding the threshold tuned on validation data.
DECODING = "decoding.json"
#: Salience below this is never a candidate peak (keeps the candidate lists short).
PEAK_FLOOR = 0.01


def multif0_targets(
    grid_f0s: Sequence[Sequence[np.ndarray]], bins: PitchBins, blur: float
) -> list[np.ndarray]:
    """Dense salience targets ``(n_frames, n_bins)`` float32 per track from the reference f0s
    (Hz) of each grid frame; ``blur`` the Gaussian sigma in semitones (0: one-hot)."""
    return [f0s_to_target(track, bins, blur_semitones=blur or None) for track in grid_f0s]


def track_candidates(
    model: keras.Model, path: Path, spec: windows.WindowSpec, bins: PitchBins, frame_period: float
) -> Candidates:
    """Salience peaks of the model's output over one track's input file."""
    salience = windows.predict_track(model, path, spec)
    return salience_peaks(
        salience, bins.hz(), np.arange(len(salience)) * frame_period, floor=PEAK_FLOOR
    )


class MultipitchValidator:
    """Validation with the final evaluator at the best threshold.

    Called with a model, it predicts every track of ``data``'s ``part``, tunes the peak
    threshold on the frame-grid references (maximising mean accuracy, as the shipped model
    will be tuned), and returns the mean of every metric of
    :data:`~mirlab.families.multipitch.metrics.METRICS`
    score against the original references, plus ``threshold``.
    """

    def __init__(
        self, data: DatasetPaths, part: str, spec: windows.WindowSpec, bins: PitchBins
    ) -> None:
        self.spec, self.bins, self.frame_period = spec, bins, data.frame_period
        self.track_ids = data.track_ids(part)
        self.inputs = data.input_files(self.track_ids)
        self.grids = [
            (np.arange(len(grid)) * data.frame_period, grid)
            for grid in grid_references(data, self.track_ids)
        ]
        self.references = references(data, self.track_ids)
        self.last_estimates: dict[str, tuple[np.ndarray, list[np.ndarray]]] = {}

    def candidates(self, model: keras.Model) -> list[Candidates]:
        return [
            track_candidates(model, path, self.spec, self.bins, self.frame_period)
            for path in self.inputs
        ]

    def __call__(self, model: keras.Model) -> dict[str, float]:
        candidates = self.candidates(model)
        threshold, _ = tune_threshold(candidates, self.grids)
        self.last_estimates = {
            track_id: (track.times, track.at(threshold))
            for track_id, track in zip(self.track_ids, candidates, strict=True)
        }
        scores = evaluate_tracks(
            (track_id, *self.references[track_id], *self.last_estimates[track_id])
            for track_id in self.track_ids
        )
        means = scores.drop(columns="track_id").mean()
        return {**{k: float(v) for k, v in means.items()}, "threshold": threshold}

    def images(self) -> dict[str, bytes]:
        """The pianoroll of the first seconds of the first validation track (PNG)."""
        first = self.track_ids[0]
        return {
            "pianoroll": figures.pianoroll_png(
                *self.references[first], *self.last_estimates[first], title=first
            )
        }


def _check_targets(inputs, targets, spec) -> None:
    for path, target in zip(inputs, targets, strict=True):
        units = features.open_feature(path).shape[0]
        if spec.n_frames_of(units) != len(target):
            raise InputError(
                path, f"{spec.n_frames_of(units)} input frames, {len(target)} annotated"
            )


def train_experiment(
    experiment: dict,
    seed: int,
    train_sets: list[tuple[DatasetPaths, str]],
    valid_sets: list[tuple[DatasetPaths, str]],
    work_dir: str | Path,
    model_dir: str | Path,
    command: str,
) -> None:
    """Train one multi-f0 experiment with one seed; store the model and its tuned threshold.

    ``train_sets``/``valid_sets``: (dataset, split part) pairs. ``work_dir`` holds checkpoints
    and TensorBoard logs (a rerun resumes); ``model_dir`` receives the model bundle and
    ``decoding.json``. The model shipped is the best of the first validation set by
    ``training.metric`` (default ``accuracy``); the threshold is tuned over all validation
    tracks.
    """
    enable_determinism(seed)
    training = experiment["training"]
    bins = pitch_bins(experiment)
    first = train_sets[0][0]
    spec = window_spec(experiment, first.hop_length)
    inputs, targets = [], []
    for data, part in train_sets:
        if (data.sr, data.hop_length) != (first.sr, first.hop_length):
            raise InputError(data.name, "all training datasets must share one frame grid")
        track_ids = data.track_ids(part)
        inputs += data.input_files(track_ids)
        targets += multif0_targets(
            grid_references(data, track_ids), bins, experiment["target"]["blur"]
        )
    _check_targets(inputs, targets, spec)
    index = windows.build_index([len(t) for t in targets], spec)
    log.info("training on %d tracks, %d windows", len(inputs), len(index))
    train_data = windows.WindowBatches(
        inputs, targets, index, spec, training["batch_size"], seed=seed, drop_remainder=True
    )
    model = build_experiment_model(experiment, spec, features.open_feature(inputs[0]).shape[1:])
    validators = {
        f"{data.name}.{part}": MultipitchValidator(data, part, spec, bins)
        for data, part in valid_sets
    }
    result = train_experiment_model(
        model,
        train_data,
        losses.salience_crossentropy(),
        optimizer_from_config(training),
        training,
        work_dir,
        validators,
    )
    threshold = float(experiment["target"]["threshold"])
    if validators:
        candidates, grids = [], []
        for validator in validators.values():
            candidates += validator.candidates(model)
            grids += validator.grids
        threshold, _ = tune_threshold(candidates, grids)
    else:
        log.warning("no validation set: threshold left at target.threshold = %g", threshold)
    with atomic_directory(model_dir) as tmp:
        save_model_bundle(model, tmp, experiment, command)
        write_json({"threshold": threshold, "training": result}, tmp / DECODING)


def predict_experiment(
    experiment: dict, model_dir: str | Path, data: DatasetPaths, part: str, output: str | Path
) -> None:
    """Write a multi-f0 file of the trained model for every track of ``data``'s ``part``:
    the salience peaks at or above the stored threshold, at their bin centres."""
    model_dir = Path(model_dir)
    model = keras.saving.load_model(model_dir / "model.keras")
    threshold = json.loads((model_dir / DECODING).read_text())["threshold"]
    bins = pitch_bins(experiment)
    spec = window_spec(experiment, data.hop_length)
    track_ids = data.track_ids(part)
    with atomic_directory(output) as tmp:
        for track_id, path in zip(track_ids, data.input_files(track_ids), strict=True):
            salience = windows.predict_track(model, path, spec)
            times = np.arange(len(salience)) * data.frame_period
            write_estimate(
                times, decode_multif0(salience, bins, threshold), tmp / f"{track_id}.txt"
            )

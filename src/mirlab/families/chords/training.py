"""Trained chord models as pipeline jobs: train through ``train_model``, predict ``.lab``.

Targets are per-frame codes of the frame-grid chord labels
(:func:`mirlab.families.chords.vocabulary.encode_labels`), made dense per batch; each head
has its loss (categorical cross-entropy for tag, root and bass, binary for the pitch
classes), summed with the configured weights by ``weighted_losses``. Windows are
``window.n_frames`` frames (8 s at 44.1 kHz / 4096: 86 frames); training windows are
pitch-shifted on the CQT with their labels transposed (:func:`pitch_shift_pair`). The model
shipped is the best of the first validation set by ``training.metric`` (a chord metric of
the decoded ``.lab`` segments).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from functools import partial
from pathlib import Path

import keras
import numpy as np

from mirlab.data import features, preprocess
from mirlab.data.cache import DatasetPaths
from mirlab.errors import InputError
from mirlab.families.chords import decode, metrics
from mirlab.families.chords.models import build_model
from mirlab.families.chords.vocabulary import (
    codes_to_targets,
    encode_labels,
    split_targets,
    transpose_codes,
)
from mirlab.learning import windows
from mirlab.learning.train import (
    enable_determinism,
    optimizer_from_config,
    save_model_bundle,
    train_experiment_model,
    weighted_losses,
)
from mirlab.storage import atomic_directory

log = logging.getLogger(__name__)


def shift_cqt(x: np.ndarray, semitones: int, bins_per_semitone: int) -> np.ndarray:
    """A CQT window ``(time, bins, ...)`` pitch-shifted by ``semitones`` (up if > 0): bins
    moved by ``semitones * bins_per_semitone``, the bins left empty at the edge set to the
    window's minimum (its silence floor)."""
    shift = int(semitones) * int(bins_per_semitone)
    if abs(shift) >= x.shape[1]:
        raise InputError("training.pitch_shift", f"shift of {shift} bins exceeds {x.shape[1]}")
    out = np.full_like(x, x.min())
    if shift > 0:
        out[:, shift:] = x[:, :-shift]
    elif shift < 0:
        out[:, :shift] = x[:, -shift:]
    else:
        out[:] = x
    return out


def pitch_shift_pair(
    x: np.ndarray,
    codes: np.ndarray,
    rng: np.random.Generator,
    max_semitones: int,
    bins_per_semitone: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Shift a window by a whole number of semitones drawn uniformly from
    ``-max_semitones .. max_semitones`` and transpose its frame codes by as many."""
    semitones = int(rng.integers(-max_semitones, max_semitones + 1))
    return shift_cqt(x, semitones, bins_per_semitone), transpose_codes(codes, semitones)


def window_spec(experiment: dict) -> windows.WindowSpec:
    window = experiment["window"]
    return windows.WindowSpec(n_frames=window["n_frames"], hop=window["hop"])


def build_experiment_model(experiment: dict, feature_shape: tuple) -> keras.Model:
    """The experiment's model over feature frames of ``feature_shape`` (``(n_bins,)`` gets a
    channel axis of 1), any number of frames."""
    n_bins, n_channels = (*feature_shape, 1)[:2]
    inner = build_model(experiment["model"], n_bins, n_channels, **experiment["model_args"])
    inputs = keras.Input((None, *feature_shape))
    x = keras.layers.Reshape((-1, n_bins, n_channels))(inputs)
    return keras.Model(inputs, inner(x), name=f"{inner.name}_frames")


def head_losses(model: keras.Model, weights: Mapping[str, float]):
    """The loss over the dense targets: one term per output head of ``model`` with its
    weight (cross-entropy; binary for the pitch classes)."""
    functions = {
        "tag": keras.losses.categorical_crossentropy,
        "pitch": keras.losses.binary_crossentropy,
        "root": keras.losses.categorical_crossentropy,
        "bass": keras.losses.categorical_crossentropy,
    }
    heads = list(model.output)
    combined = weighted_losses(
        {name: functions[name] for name in heads},
        {name: weight for name, weight in weights.items() if name in heads},
    )

    def loss(y_true, y_pred):
        return combined(split_targets(y_true), y_pred)

    return loss


def bins_per_semitone(data: DatasetPaths) -> int:
    """CQT bins per semitone of ``data``'s cached feature (its ``params.json``)."""
    params = json.loads((data.inputs / preprocess.PARAMS).read_text())
    bins = params.get("bins_per_octave")
    if params.get("kind") not in ("cqt", "hcqt") or bins % 12:
        raise InputError(
            data.inputs, "pitch-shift augmentation needs a CQT with 12k bins per octave"
        )
    return bins // 12


def frame_codes(data: DatasetPaths, track_ids: list[str]) -> list[np.ndarray]:
    """Frame codes (float32 ``(n_frames, 15)``) of each track's grid chord labels."""
    tables = data.annotation_tables("grid", track_ids)
    return [
        encode_labels(tables[track_id]["label"].tolist()).astype(np.float32)
        for track_id in track_ids
    ]


def train_experiment(
    experiment: dict,
    seed: int,
    train_sets: list[tuple[DatasetPaths, str]],
    valid_sets: list[tuple[DatasetPaths, str]],
    work_dir: str | Path,
    model_dir: str | Path,
    command: str,
) -> None:
    """Train one experiment with one seed and write the model bundle to ``model_dir``."""
    enable_determinism(seed)
    training = experiment["training"]
    spec = window_spec(experiment)
    inputs, targets = [], []
    for data, part in train_sets:
        track_ids = data.track_ids(part)
        inputs += data.input_files(track_ids)
        targets += frame_codes(data, track_ids)
    for path, codes in zip(inputs, targets, strict=True):
        n_units = features.open_feature(path).shape[0]
        if n_units != len(codes):
            raise InputError(path, f"{n_units} feature frames, {len(codes)} annotated")
    index = windows.build_index([len(codes) for codes in targets], spec)
    log.info("training on %d tracks, %d windows", len(inputs), len(index))
    shift = training["pitch_shift"]
    train_data = windows.WindowBatches(
        inputs,
        targets,
        index,
        spec,
        training["batch_size"],
        seed=seed,
        augment_pair=partial(
            pitch_shift_pair,
            max_semitones=shift,
            bins_per_semitone=bins_per_semitone(train_sets[0][0]),
        )
        if shift
        else None,
        target_fn=codes_to_targets,
        drop_remainder=True,
    )
    model = build_experiment_model(experiment, features.open_feature(inputs[0]).shape[1:])
    validators = {
        f"{data.name}.{part}": ChordValidator(data, part, spec, experiment["decoding"])
        for data, part in valid_sets
    }
    result = train_experiment_model(
        model,
        train_data,
        head_losses(model, training["loss_weights"]),
        optimizer_from_config(training),
        training,
        work_dir,
        validators,
    )
    with atomic_directory(model_dir) as tmp:
        save_model_bundle(model, tmp, experiment, command)
    log.info("training result: %s", result.get("best"))


def predict_segments(
    model: keras.Model,
    path: Path,
    spec: windows.WindowSpec,
    frame_period: float,
    decoding: Mapping,
    n_frames: int | None = None,
) -> tuple[np.ndarray, list[str]]:
    """Chord segments of one track's feature file: tag posteriors, decoding, segments (with
    the bass head's inversions if ``decoding["inversions"]`` and the model has one)."""
    output = windows.predict_track(model, path, spec, n_frames=n_frames)
    self_transition = decoding["self_transition"] if decoding["viterbi"] else None
    tags = decode.decode_tags(output["tag"], self_transition)
    bass = output.get("bass") if decoding["inversions"] else None
    return decode.tags_to_segments(tags, frame_period, bass)


class ChordValidator:
    """Validation with the final evaluator: every track of ``data``'s ``part`` decoded to
    segments and scored by ``chord_metrics`` against the original references (means)."""

    def __init__(self, data: DatasetPaths, part: str, spec: windows.WindowSpec, decoding: Mapping):
        self.spec, self.decoding, self.frame_period = spec, decoding, data.frame_period
        self.track_ids = data.track_ids(part)
        self.inputs = data.input_files(self.track_ids)
        self.references = metrics.reference_segments(data, self.track_ids)

    def __call__(self, model: keras.Model) -> dict[str, float]:
        estimates = {
            track_id: predict_segments(model, path, self.spec, self.frame_period, self.decoding)
            for track_id, path in zip(self.track_ids, self.inputs, strict=True)
        }
        scores = metrics.evaluate_tracks(self.references, estimates)
        return {
            name: float(value) for name, value in scores.drop(columns="track_id").mean().items()
        }


def predict_experiment(
    experiment: dict, model_dir: str | Path, data: DatasetPaths, part: str, output: str | Path
) -> None:
    """Write a ``.lab`` of the trained model's chords for every track of ``data``'s ``part``."""
    model = keras.saving.load_model(Path(model_dir) / "model.keras")
    spec = window_spec(experiment)
    track_ids = data.track_ids(part)
    with atomic_directory(output) as tmp:
        for track_id, path in zip(track_ids, data.input_files(track_ids), strict=True):
            intervals, labels = predict_segments(
                model, path, spec, data.frame_period, experiment["decoding"]
            )
            decode.write_lab(intervals, labels, tmp / f"{track_id}.lab")

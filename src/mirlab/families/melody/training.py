"""Trained melody and pitch models as pipeline jobs: train, and predict with the result.

Each job takes the resolved experiment mapping (see ``config/schema.yaml``) and the
:class:`~mirlab.data.cache.DatasetPaths` of the datasets it reads, and writes its outputs
atomically. Predictions are MIREX-format CSVs (``<track_id>.csv``: time, f0; f0 <= 0
unvoiced), the format of :mod:`mirlab.families.melody.estimates`, so trained models,
baselines and external methods share one evaluator.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path

import keras
import numpy as np

from mirlab.data import features
from mirlab.data.cache import DatasetPaths
from mirlab.data.excerpts import cut_annotation, feature_excerpt_frames
from mirlab.errors import InputError
from mirlab.families.melody import figures
from mirlab.families.melody.metrics import evaluate_tracks, write_estimate_csv
from mirlab.learning import windows
from mirlab.learning.train import (
    enable_determinism,
    optimizer_from_config,
    save_model_bundle,
    train_experiment_model,
)
from mirlab.pitch import augment, losses
from mirlab.pitch.decode import apply_voicing, decode_salience, tune_voicing_threshold
from mirlab.pitch.experiment import (
    build_experiment_model,
    input_normalization,
    pitch_bins,
    window_spec,
)
from mirlab.pitch.targets import PitchBins, f0_to_target
from mirlab.storage import atomic_directory, write_json

log = logging.getLogger(__name__)

#: File of a trained model folder holding the decoding parameters tuned on validation data.
DECODING = "decoding.json"
RADIUS_BINS = 4


def _loss(experiment: dict, bins: PitchBins, outputs: Sequence[str] = ()):
    """Salience cross-entropy (``miss_weight`` if set). Without a voicing head, unvoiced
    frames are trained toward zero; with one (an output ``voicing``), the salience learns
    voiced frames only and the head learns voicing. A model's ``reconstruction_loss`` output
    (per frame, weighted: the latent model trained jointly) is added to the loss."""
    voicing_head = "voicing" in outputs
    unvoiced_weight = 0.0 if voicing_head else 1.0
    miss_weight = experiment["training"]["miss_weight"]
    if miss_weight:
        salience = losses.miss_weighted_crossentropy(
            miss_weight, bins.bins_per_semitone, unvoiced_weight=unvoiced_weight
        )
    else:
        salience = losses.salience_crossentropy(unvoiced_weight=unvoiced_weight)
    if voicing_head:
        return losses.with_voicing_head(salience)
    if "reconstruction_loss" in outputs:
        return lambda y_true, y_pred: (
            salience(y_true, y_pred["salience"]) + y_pred["reconstruction_loss"]
        )
    return salience


def decode_output(
    output: np.ndarray | dict, bins: PitchBins, radius_bins: int = RADIUS_BINS
) -> tuple[np.ndarray, np.ndarray]:
    """(f0 Hz, voicing confidence 0..1) per frame of a model's output over a track.

    f0 is the weighted average over ``radius_bins`` bins around the salience peak; the
    confidence is the voicing head's probability where the model has one, else the peak
    salience. Other outputs (a reconstruction loss) are not decoded.
    """
    if isinstance(output, dict) and "voicing" not in output:
        output = output["salience"]
    if isinstance(output, dict):
        f0, _ = decode_salience(output["salience"], bins, radius_bins)
        return f0, np.asarray(output["voicing"], dtype=np.float64)
    return decode_salience(output, bins, radius_bins)


def _augment(experiment: dict, spec: windows.WindowSpec):
    if not experiment["training"]["spec_augment"]:
        return None
    if spec.input != "frames":
        raise InputError("training.spec_augment", "SpecAugment masks need feature inputs")
    return partial(
        windows.spec_augment,
        n_time_masks=2,
        max_time=max(1, spec.input_length // 8),
        n_freq_masks=2,
        max_freq=24,
    )


def _augment_pair(experiment: dict, spec: windows.WindowSpec):
    """``training.augment``: pitch shift and noise of each window with its f0 frames
    (:func:`mirlab.pitch.augment.window_augmenter`); None when it augments nothing."""
    options = experiment["training"].get("augment") or {}
    if not options.get("pitch_shift") and not options.get("noise_snr_db"):
        return None
    bins_per_octave = None
    if spec.input == "frames" and options["pitch_shift"]:
        params = dict(experiment["input"]["feature_params"])
        kind = params.pop("kind")
        if kind not in ("cqt", "hcqt"):
            raise InputError(
                "training.augment.pitch_shift",
                f"shifting bins needs a cqt or hcqt feature, not {kind!r}",
            )
        del params["sr"]
        bins_per_octave = features.feature_params(kind, **params)["bins_per_octave"]
    return augment.window_augmenter(
        spec.input,
        options["pitch_shift"],
        options.get("noise_snr_db"),
        options["probability"],
        bins_per_octave,
    )


def _accompaniment_mixer(
    experiment: dict, spec: windows.WindowSpec, first: DatasetPaths, feature_shape: tuple
) -> augment.AccompanimentMixer | None:
    """``training.augment.mix``: the mixer over the accompaniment dataset's tracks of the
    parts trained on (``accompaniment_sets``, resolved by ``mirlab.planning``); None unset."""
    mix = (experiment["training"].get("augment") or {}).get("mix")
    if not mix:
        return None
    key = "training.augment.mix.accompaniment"
    if spec.input == "frames" and not experiment["input"]["feature_params"].get("log", True):
        raise InputError("training.augment.mix", "mixing feature windows needs dB features (log)")
    accompaniments = []
    for paths, part in mix["accompaniment_sets"]:
        data = DatasetPaths.from_mapping(paths)
        if (data.sr, data.hop_length) != (first.sr, first.hop_length):
            raise InputError(key, f"{data.name!r} is not on the frame grid of the training data")
        for path in data.input_files(data.track_ids(part)):
            array = windows.open_array(path)
            if array.shape[1:] != feature_shape:
                raise InputError(
                    key,
                    f"{path}: input rows of shape {array.shape[1:]}, the training inputs' are "
                    f"{feature_shape}",
                )
            accompaniments.append(array)
    return augment.AccompanimentMixer(
        accompaniments, spec.input, mix["ratio_db"], mix["probability"]
    )


def _mix_then_normalize(
    x: np.ndarray,
    f0: np.ndarray,
    rng: np.random.Generator,
    mixer: augment.AccompanimentMixer,
    normalize: windows.Normalize,
    then: Sequence,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``augment_pair`` of a mixing experiment, whose windows come unnormalised: mix the
    window as cached, normalise it as ``WindowBatches`` would have (``normalize``), then the
    other augmentations (``then``: ``(augment, augment_pair)``, each None or the hook) with
    the same ``rng``."""
    x = windows.normalize_batch(mixer(x, rng)[None], normalize)[0]
    spec_masks, pair = then
    if spec_masks is not None:
        x = spec_masks(x, rng)
    if pair is not None:
        x, f0 = pair(x, f0, rng)
    return x, f0


def train_experiment(
    experiment: dict,
    seed: int,
    train_sets: list[tuple[DatasetPaths, str]],
    valid_sets: list[tuple[DatasetPaths, str]],
    work_dir: str | Path,
    model_dir: str | Path,
    command: str,
    excerpts: Sequence[Mapping] = (),
) -> None:
    """Train one experiment with one seed and store the model with its tuned voicing threshold.

    ``train_sets``/``valid_sets``: (dataset, split part) pairs. ``excerpts``: configured
    excerpts (name, dataset, track, start and end in s); each one whose track lies in a
    validated part is a small validation set of its own (scalars, images, best model).
    ``work_dir`` holds checkpoints and TensorBoard logs (a rerun resumes from there);
    ``model_dir`` receives the model bundle (``model.keras``, config, summary, parameter
    count, versions, command) and ``decoding.json``. The model shipped is the best of the
    first validation set by ``training.metric`` (the last one without a validation set).
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
        targets += data.grid_f0(track_ids)
    n_units = [features.open_feature(path).shape[0] for path in inputs]
    n_frames = [len(f0) for f0 in targets]
    for path, units, frames in zip(inputs, n_units, n_frames, strict=True):
        if spec.n_frames_of(units) != frames:
            raise InputError(path, f"{spec.n_frames_of(units)} input frames, {frames} annotated")
    index = windows.build_index(n_frames, spec, voiced=targets, voiced_only=training["voiced_only"])
    log.info("training on %d tracks, %d windows", len(inputs), len(index))
    feature_shape = features.open_feature(inputs[0]).shape[1:]
    normalize = input_normalization(experiment)
    masks, pair = _augment(experiment, spec), _augment_pair(experiment, spec)
    mixer = _accompaniment_mixer(experiment, spec, first, feature_shape)
    if mixer is not None:  # mixing reads the windows as cached: it normalises them itself
        pair = partial(_mix_then_normalize, mixer=mixer, normalize=normalize, then=(masks, pair))
        masks, normalize = None, None
    train_data = windows.WindowBatches(
        inputs,
        targets,
        index,
        spec,
        training["batch_size"],
        seed=seed,
        normalize=normalize,
        augment=masks,
        augment_pair=pair,
        target_fn=partial(
            f0_to_target, bins=bins, blur_semitones=experiment["target"]["blur"] or None
        ),
        drop_remainder=True,
    )
    model = build_experiment_model(experiment, spec, feature_shape)
    scaling = input_normalization(experiment)  # of the windows the validators read
    validators = {
        f"{data.name}.{part}": MelodyValidator(data, part, spec, bins, normalize=scaling)
        for data, part in valid_sets
    }
    excerpt_validators = _excerpt_validators(excerpts, valid_sets, spec, bins, scaling)
    result = train_experiment_model(
        model,
        train_data,
        _loss(experiment, bins, list(model.output) if isinstance(model.output, dict) else ()),
        optimizer_from_config(training),
        training,
        work_dir,
        {**validators, **excerpt_validators},
    )
    threshold = _tune_threshold(model, list(validators.values()))
    with atomic_directory(model_dir) as tmp:
        save_model_bundle(model, tmp, experiment, command)
        write_json(
            {"voicing_threshold": threshold, "radius_bins": RADIUS_BINS, "training": result},
            tmp / DECODING,
        )


class MelodyValidator:
    """Validation with the final evaluator, at the best voicing threshold.

    Called with a model, it predicts every track of ``data``'s ``part``, tunes the voicing
    threshold on the frame grid (as the final model will be), and returns the mean of every
    ``melody_metrics`` score against the original references, plus ``voicing_threshold``.
    A fixed threshold would score an early model whose salience peaks stay below it as
    "all unvoiced", whatever its pitch accuracy.

    With an ``excerpt`` (track, start and end in s), the set is the frames of that one track
    whose centres lie in ``[start, end)``, scored against the reference cut to the same
    interval; the model sees the track around them, as in the full-track validation.
    ``normalize``: the windows' normalisation, as in training.
    """

    def __init__(
        self,
        data: DatasetPaths,
        part: str,
        spec: windows.WindowSpec,
        bins: PitchBins,
        excerpt: Mapping | None = None,
        normalize: windows.Normalize = "window",
    ):
        self.spec, self.bins, self.normalize = spec, bins, normalize
        self.track_ids = data.track_ids(part) if excerpt is None else [excerpt["track"]]
        self.inputs = data.input_files(self.track_ids)
        grids = data.grid_f0(self.track_ids)
        self.n_frames = [len(grid) for grid in grids]
        self.references = data.references(self.track_ids)
        self.frame_period = data.frame_period
        self.frames = slice(None)
        if excerpt is not None:
            first, stop = feature_excerpt_frames(
                len(grids[0]), data.sr, data.hop_length, excerpt["start"], excerpt["end"]
            )
            self.frames = slice(first, stop)
            times, f0 = self.references[excerpt["track"]]
            self.references = {
                excerpt["track"]: cut_annotation(
                    times, f0, first * self.frame_period, stop * self.frame_period
                )
            }
        self.grids = [grid[self.frames] for grid in grids]

    def decode(self, model: keras.Model) -> list[tuple[np.ndarray, np.ndarray]]:
        """(f0 Hz, confidence) per track, before any voicing decision."""
        decoded = [
            decode_output(
                windows.predict_track(
                    model, path, self.spec, normalize=self.normalize, n_frames=n_frames
                ),
                self.bins,
            )
            for path, n_frames in zip(self.inputs, self.n_frames, strict=True)
        ]
        return [(f0[self.frames], confidence[self.frames]) for f0, confidence in decoded]

    def __call__(self, model: keras.Model) -> dict[str, float]:
        decoded = self.decode(model)
        threshold = tune_voicing_threshold(
            [confidence for _, confidence in decoded], [f0 for f0, _ in decoded], self.grids
        )
        scores = evaluate_tracks(
            (
                track_id,
                *self.references[track_id],
                np.arange(len(f0)) * self.frame_period,
                apply_voicing(f0, confidence, threshold),
            )
            for track_id, (f0, confidence) in zip(self.track_ids, decoded, strict=True)
        )
        self.last_estimates = {
            track_id: (
                np.arange(len(f0)) * self.frame_period,
                apply_voicing(f0, confidence, threshold),
            )
            for track_id, (f0, confidence) in zip(self.track_ids, decoded, strict=True)
        }
        means = scores.drop(columns="track_id").mean()
        return {
            **{name: float(value) for name, value in means.items()},
            "voicing_threshold": float(threshold),
        }

    def images(self) -> dict[str, bytes]:
        """PNGs of the last evaluation: the pianoroll of the first seconds of the first
        validation track (the small excerpt), and the confusion matrix and error histogram
        over every validation frame."""
        return figures.validation_images(self.references, self.last_estimates)


def _excerpt_validators(
    excerpts: Sequence[Mapping],
    valid_sets: list[tuple[DatasetPaths, str]],
    spec: windows.WindowSpec,
    bins: PitchBins,
    normalize: windows.Normalize = "window",
) -> dict[str, MelodyValidator]:
    """``excerpt.<name>``: a validator for each excerpt whose track lies in a validated part.

    Excerpts of other tracks (training or test tracks) would leak into model selection, so
    they are left out, and the log says so.
    """
    validators = {}
    for excerpt in excerpts:
        parts = [
            (data, part)
            for data, part in valid_sets
            if data.name == excerpt["dataset"] and excerpt["track"] in data.track_ids(part)
        ]
        if not parts:
            log.info(
                "excerpt %s (%s of %s) is not in a validation part: not a validation set",
                excerpt["name"],
                excerpt["track"],
                excerpt["dataset"],
            )
            continue
        data, part = parts[0]
        validators[f"excerpt.{excerpt['name']}"] = MelodyValidator(
            data, part, spec, bins, excerpt, normalize
        )
    return validators


def _tune_threshold(model: keras.Model, validators: list[MelodyValidator]) -> float:
    """Voicing threshold maximising overall accuracy over all validation tracks' frame grids."""
    if not validators:
        log.warning("no validation set: voicing threshold left at 0.5")
        return 0.5
    confidences, f0s, grids = [], [], []
    for validator in validators:
        for (f0, confidence), grid in zip(validator.decode(model), validator.grids, strict=True):
            confidences.append(confidence)
            f0s.append(f0)
            grids.append(grid)
    return float(tune_voicing_threshold(confidences, f0s, grids))


def predict_experiment(
    experiment: dict, model_dir: str | Path, data: DatasetPaths, part: str, output: str | Path
) -> None:
    """Write a MIREX CSV of the trained model's melody for every track of ``data``'s ``part``."""
    model_dir = Path(model_dir)
    model = keras.saving.load_model(model_dir / "model.keras")
    decoding = json.loads((model_dir / DECODING).read_text())
    bins = pitch_bins(experiment)
    spec = window_spec(experiment, data.hop_length)
    track_ids = data.track_ids(part)
    with atomic_directory(output) as tmp:
        for track_id, path in zip(track_ids, data.input_files(track_ids), strict=True):
            prediction = windows.predict_track(
                model, path, spec, normalize=input_normalization(experiment)
            )
            f0, confidence = decode_output(prediction, bins, decoding["radius_bins"])
            f0 = apply_voicing(f0, confidence, decoding["voicing_threshold"])
            times = np.arange(len(f0)) * data.frame_period
            write_estimate_csv(times, f0, tmp / f"{track_id}.csv")

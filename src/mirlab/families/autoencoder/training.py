"""Training jobs: the seed's autoencoder (``train_model``), PCA and the mean patch.

Every model dir holds ``code.json`` (``model``, ``latent_values`` per patch, ``log``: the
representation, see :mod:`~mirlab.families.autoencoder.codecs`) beside the code itself:
``model.keras`` (with the bundle of ``save_model_bundle``) or ``code.npz`` (PCA components
and mean patch, :class:`~mirlab.families.autoencoder.codecs.LinearCode`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path

import keras
import numpy as np

from mirlab.data.cache import DatasetPaths
from mirlab.data.excerpts import feature_excerpt_frames
from mirlab.data.features import open_feature
from mirlab.errors import InputError
from mirlab.families.autoencoder import codecs, plots
from mirlab.families.autoencoder.metrics import reconstruction_metrics
from mirlab.learning import windows
from mirlab.learning.autoencoders import (
    AUTOENCODER_NAME,
    PATCH_SHAPE,
    feature_front,
    latent_values,
    spectrogram_autoencoder,
)
from mirlab.learning.train import (
    enable_determinism,
    optimizer_from_config,
    save_model_bundle,
    train_experiment_model,
)
from mirlab.storage import atomic_directory, write_json

log = logging.getLogger(__name__)

CODE_JSON, LINEAR_CODE = codecs.CODE_JSON, codecs.LINEAR_CODE


def build_autoencoder(model_args: Mapping, log_input: bool) -> keras.Model:
    """The seed's autoencoder over feature patches ``(batch, 32, 256)``: a dB feature is
    mapped to the representation by a ``Rescaling`` layer (``dB / 20 + 5``); the output is
    the reconstruction in the representation, ``(batch, 32, 256)``."""
    inner = spectrogram_autoencoder(**model_args)
    inputs = keras.Input(PATCH_SHAPE, name="feature")
    y = keras.layers.Reshape(PATCH_SHAPE)(inner(feature_front(inputs, log_input)))
    return keras.Model(inputs, y, name="autoencoder")


def reconstruction_loss(name: str, log_input: bool):
    """``mse`` or ``l1`` on the representation (log-magnitude for a dB feature), or
    ``mse_linear``: MSE of the linear magnitudes (``10 ** (L - 5)`` for log-magnitudes)."""
    import tensorflow as tf

    def magnitude(values):
        return tf.pow(10.0, values + codecs.FEATURE_FLOOR_DB / 20) if log_input else values

    losses = {
        "mse": lambda y, p: tf.reduce_mean(tf.square(y - p)),
        "l1": lambda y, p: tf.reduce_mean(tf.abs(y - p)),
        "mse_linear": lambda y, p: tf.reduce_mean(tf.square(magnitude(y) - magnitude(p))),
    }
    if name not in losses:
        raise InputError("config key training.loss", f"{name!r} is not one of {sorted(losses)}")
    return losses[name]


class ReconstructionValidator:
    """Mean reconstruction metrics of a code over every track of ``data``'s ``part`` (or of
    one excerpt's frames), and TensorBoard images of the first track's first patches."""

    def __init__(
        self, data: DatasetPaths, part: str, log_input: bool, excerpt: Mapping | None = None
    ):
        self.log_input = log_input
        track_ids = data.track_ids(part) if excerpt is None else [excerpt["track"]]
        self.features = [open_feature(path) for path in data.input_files(track_ids)]
        self.frames = slice(None)
        if excerpt is not None:
            first, stop = feature_excerpt_frames(
                len(self.features[0]), data.sr, data.hop_length, excerpt["start"], excerpt["end"]
            )
            self.frames = slice(first, stop)

    def __call__(self, model: keras.Model) -> dict[str, float]:
        code = codecs.keras_code(model)
        self.last = []
        for feature in self.features:
            feature = np.asarray(feature[self.frames])
            reference = codecs.to_magnitude(
                codecs.to_representation(feature, self.log_input), self.log_input
            )
            estimate = codecs.to_magnitude(codecs.reconstruct_track(code, feature), self.log_input)
            self.last.append((reference, estimate))
        scores = [reconstruction_metrics(reference, estimate) for reference, estimate in self.last]
        return {name: float(np.mean([s[name] for s in scores])) for name in scores[0]}

    def images(self) -> dict[str, bytes]:
        reference, estimate = self.last[0]
        return {"reconstruction": plots.reconstruction_png(reference[:128], estimate[:128])}


def _training_files(train_sets: Sequence[tuple[DatasetPaths, str]]) -> tuple[list[Path], bool]:
    files, logs = [], set()
    for data, part in train_sets:
        logs.add(bool(codecs.stft_params(data)["log"]))
        files += data.input_files(data.track_ids(part))
    if len(logs) != 1:
        raise InputError("config key train", "training datasets mix log and linear features")
    return files, logs.pop()


def train_experiment(
    experiment: dict,
    seed: int,
    train_sets: Sequence[tuple[DatasetPaths, str]],
    valid_sets: Sequence[tuple[DatasetPaths, str]],
    work_dir: Path,
    model_dir: Path,
    command: str,
    excerpts: Sequence[Mapping] = (),
) -> None:
    """Fit the experiment's code on the training patches and write ``model_dir``."""
    enable_determinism(seed)
    files, log_input = _training_files(train_sets)
    hop = experiment["window"]["hop"]
    if experiment["model"] in ("pca", "mean_patch"):
        patches = codecs.training_patches(files, hop)
        n_components = experiment["model_args"].get("n_components", 0)
        if experiment["model"] == "mean_patch":
            n_components = 0
        log.info(
            "fitting %s (%d components) on %d patches",
            experiment["model"],
            n_components,
            len(patches),
        )
        code = codecs.fit_linear_code(patches, n_components, log_input, seed)
        with atomic_directory(model_dir) as tmp:
            code.save(tmp / LINEAR_CODE)
            write_json(experiment, tmp / "config.json")
            write_json(
                {
                    "model": experiment["model"],
                    "latent_values": code.latent_values,
                    "log": log_input,
                },
                tmp / CODE_JSON,
            )
        return
    training = experiment["training"]
    spec = windows.WindowSpec(n_frames=PATCH_SHAPE[0], hop=hop)
    n_frames = [len(open_feature(path)) for path in files]
    # Only patches wholly inside a track: zero padding is 0 dB (full scale) in a dB feature.
    index = np.concatenate(
        [
            np.column_stack([np.full(len(s), track), s])
            for track, s in enumerate(codecs.patch_starts(n, hop) for n in n_frames)
        ]
    ).astype(np.int64)
    log.info("training on %d tracks, %d patches", len(files), len(index))
    train_data = windows.WindowBatches(
        files,
        files,
        index,
        spec,
        training["batch_size"],
        seed=seed,
        normalize=None,
        target_fn=partial(codecs.to_representation, log=log_input),
        drop_remainder=True,
    )
    model = build_autoencoder(experiment["model_args"], log_input)
    validators = {
        f"{data.name}.{part}": ReconstructionValidator(data, part, log_input)
        for data, part in valid_sets
    }
    for excerpt in excerpts:
        for data, part in valid_sets:
            if data.name == excerpt["dataset"] and excerpt["track"] in data.track_ids(part):
                validators[f"excerpt.{excerpt['name']}"] = ReconstructionValidator(
                    data, part, log_input, excerpt
                )
                break
    result = train_experiment_model(
        model,
        train_data,
        reconstruction_loss(training["loss"], log_input),
        optimizer_from_config(training),
        training,
        work_dir,
        validators,
        mode="min",
    )
    inner = model.get_layer(AUTOENCODER_NAME)
    with atomic_directory(model_dir) as tmp:
        save_model_bundle(model, tmp, experiment, command)
        write_json(
            {
                "model": experiment["model"],
                "latent_values": latent_values(inner),
                "log": log_input,
                "training": result,
            },
            tmp / CODE_JSON,
        )

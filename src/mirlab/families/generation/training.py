"""Training a sample-level GRU: stateful truncated back-propagation over parallel streams,
through the family-neutral :func:`mirlab.learning.train.train_model`.

The model trained is stateful (``batch_size`` streams, see
:class:`~mirlab.families.generation.streams.StreamBatches`); validation computes the held-out
code length in bits per sample in NumPy from its weights, leaving the streams' state alone;
every checkpoint also writes a sample generated from the weights of that step
(``<work_dir>/samples/step-<N>.wav``). The model shipped is the best on the first validation
set, stored as a stateless copy (any batch size) beside the training audio's frame levels
(the reference of the generated-audio statistics).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import keras
import numpy as np
import soundfile

from mirlab.data.cache import DatasetPaths
from mirlab.families.generation.audio import code_frame_levels, track_codes
from mirlab.families.generation.model import build_gru
from mirlab.families.generation.mulaw import mu_law_decode
from mirlab.families.generation.sampling import GruWeights, generate, tracks_bits_per_sample
from mirlab.families.generation.streams import StreamBatches
from mirlab.learning.train import (
    enable_determinism,
    make_optimizer,
    save_model_bundle,
    train_experiment_model,
)
from mirlab.storage import atomic_directory, atomic_path, write_json

log = logging.getLogger(__name__)

#: Files of a trained model folder besides the bundle.
TRAINING_LEVELS = "training_levels.npz"
TRAINING_RESULT = "training.json"


class NllValidator:
    """Mean over tracks of the held-out code length (bits per sample) of code streams."""

    def __init__(self, tracks: Sequence[np.ndarray]):
        self.tracks = list(tracks)

    def __call__(self, model: keras.Model) -> dict[str, float]:
        bits = tracks_bits_per_sample(GruWeights.from_model(model), self.tracks)
        return {"bits_per_sample": float(np.mean(bits))}


class CheckpointSampler:
    """``on_checkpoint`` of :func:`train_model`: a WAV of ``seconds`` generated at
    ``temperature`` from the weights of the step (seeded by the step, so a resumed run
    writes the same file)."""

    def __init__(self, folder: Path, sr: int, seconds: float, temperature: float, seed: int):
        self.folder, self.sr, self.seconds = Path(folder), sr, seconds
        self.temperature, self.seed = temperature, seed

    def __call__(self, model: keras.Model, step: int) -> None:
        n = int(round(self.seconds * self.sr))
        if n < 1:
            return
        codes, _ = generate(
            GruWeights.from_model(model), n, self.temperature, seed=self.seed * 1_000_003 + step
        )
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"step-{step:09d}.wav"
        with atomic_path(path) as tmp:
            soundfile.write(tmp, mu_law_decode(codes[0]), self.sr, format="WAV")
        log.info("step %d: generated sample %s", step, path)


def _optimizer(training: Mapping) -> keras.optimizers.Optimizer:
    """RMSProp with gradient-norm clipping; the learning rate halved after each step of
    ``halve_at`` (the seed's schedule), else ``lr_decay`` per ``decay_steps``."""
    if training["halve_at"]:
        schedule, rate = "piecewise", 0.5
    else:
        schedule = "constant" if training["lr_decay"] == 1.0 else "exponential"
        rate = training["lr_decay"]
    return make_optimizer(
        "rmsprop",
        training["learning_rate"],
        schedule=schedule,
        decay_steps=training["decay_steps"],
        decay_rate=rate,
        clipnorm=training.get("clipnorm"),
        boundaries=training["halve_at"],
    )


def train_experiment(
    experiment: dict,
    seed: int,
    train_sets: Sequence[tuple[DatasetPaths, str]],
    valid_sets: Sequence[tuple[DatasetPaths, str]],
    work_dir: str | Path,
    model_dir: str | Path,
    command: str,
) -> None:
    """Train one generation experiment with one seed; write the model folder (bundle of a
    stateless copy, ``training_levels.npz``, ``training.json``)."""
    enable_determinism(seed)
    work_dir = Path(work_dir)
    training, signal = experiment["training"], experiment["signal"]
    sr = experiment["input"]["audio_sr"]
    tracks = [
        codes
        for data, part in train_sets
        for codes in track_codes(data, data.track_ids(part), signal)
    ]
    streams = StreamBatches(tracks, training["batch_size"], training["seq_length"], seed)
    log.info(
        "training on %d tracks (%d samples): %d streams, %d updates per epoch",
        len(tracks),
        sum(map(len, tracks)),
        streams.n_streams,
        streams.batches_per_epoch,
    )
    model_args = dict(experiment["model_args"])
    model = build_gru(**model_args, batch_size=training["batch_size"], stateful=True)
    validators = {
        f"{data.name}.{part}": NllValidator(track_codes(data, data.track_ids(part), signal))
        for data, part in valid_sets
    }
    generate_args = experiment["generate"]
    result = train_experiment_model(
        model,
        streams,
        keras.losses.sparse_categorical_crossentropy,
        _optimizer(training),
        training,
        work_dir,
        validators,
        mode="min",
        on_checkpoint=CheckpointSampler(
            work_dir / "samples",
            sr,
            training["sample_seconds"],
            generate_args["temperature"],
            seed,
        ),
    )
    stateless = build_gru(**model_args)
    stateless.set_weights(model.get_weights())
    levels = code_frame_levels(tracks, sr, experiment["input"]["hop_length"])
    with atomic_directory(model_dir) as tmp:
        save_model_bundle(stateless, tmp, experiment, command)
        np.savez(tmp / TRAINING_LEVELS, **levels)
        write_json(result, tmp / TRAINING_RESULT)

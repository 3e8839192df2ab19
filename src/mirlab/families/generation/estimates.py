"""Estimates of the generation family: one ``<track_id>.json`` per test track holding the
code length of the track's mu-law stream under the method (``bits_per_sample``), and, for a
trained model, the audio it generates (``generated/``).

Layout of a trained model's prediction folder::

    <track_id>.json             bits_per_sample, n_samples, sr, method, signal
    generated/clip-<k>.wav      prime (if any) then the generated continuation
    generated/clip-<k>.npz      codes, prime codes, tempered output distribution (first
                                DISTRIBUTION_SAMPLES generated samples, float16)
    generated/levels.npz        frame levels of the clips, the training and the test audio
    generated/statistics.csv    silent fraction, level and centroid, distances to training
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

import librosa
import numpy as np
import pandas as pd
import soundfile

from mirlab.data.cache import DatasetPaths
from mirlab.data.preprocess import read_manifest
from mirlab.errors import InputError
from mirlab.evaluation.evaluate import estimate_files
from mirlab.families.generation.audio import (
    code_frame_levels,
    level_statistics,
    track_codes,
)
from mirlab.families.generation.codecs import baseline_bits_per_sample
from mirlab.families.generation.mulaw import encode_track, mu_law_decode
from mirlab.storage import atomic_directory, write_csv, write_json

log = logging.getLogger(__name__)

SUFFIX = ".json"
GENERATED = "generated"
#: Generated samples whose output distribution is kept for the heatmap (0.125 s at 8 kHz,
#: the span of the seed's figure 2).
DISTRIBUTION_SAMPLES = 1000


def _write_estimates(folder: Path, track_ids: Sequence[str], bits: Sequence[float], info: dict):
    for track_id, value, n in zip(track_ids, bits, info.pop("n_samples"), strict=True):
        write_json(
            {"track_id": track_id, "bits_per_sample": value, "n_samples": int(n), **info},
            folder / f"{track_id}{SUFFIX}",
        )


def predict(
    experiment: dict,
    data: DatasetPaths,
    part: str,
    output: str | Path,
    model_dir: str | Path | None = None,
    feature_params: dict | None = None,
    valid_sets: Sequence = (),
) -> None:
    """Write ``<track_id>.json`` for every track of ``data``'s ``part``: the trained model's
    code length (and its generated audio), or a codec baseline's; see the module docstring."""
    track_ids = data.track_ids(part)
    signal = experiment["signal"]
    codes = track_codes(data, track_ids, signal)
    sr = data.sr
    info = {
        "sr": sr,
        "signal": signal,
        "n_samples": [len(c) for c in codes],
    }
    with atomic_directory(output) as tmp:
        if experiment["method"] == "train":
            if model_dir is None:
                raise InputError("predict", "a trained method needs its model folder")
            bits = _predict_trained(experiment, Path(model_dir), codes, sr, tmp)
            _write_estimates(tmp, track_ids, bits, {**info, "method": "gru"})
        elif experiment["method"] == "baseline":
            name = experiment["baseline"]
            bits = [baseline_bits_per_sample(name, c, sr) for c in codes]
            _write_estimates(tmp, track_ids, bits, {**info, "method": name})
        else:
            raise InputError(
                "config key method", "a generation experiment is method train or baseline"
            )
    log.info("%d tracks: mean %.4f bits per sample", len(track_ids), float(np.mean(bits)))


def _predict_trained(
    experiment: dict, model_dir: Path, codes: Sequence[np.ndarray], sr: int, folder: Path
) -> list[float]:
    """Bits per sample of each track under the trained model; writes the generated clips
    into ``folder/generated``. (TensorFlow is imported here only: baselines skip it.)"""
    import keras

    from mirlab.families.generation.model import OneHot
    from mirlab.families.generation.sampling import GruWeights, tracks_bits_per_sample
    from mirlab.families.generation.training import TRAINING_LEVELS

    model = keras.saving.load_model(model_dir / "model.keras", custom_objects={"OneHot": OneHot})
    weights = GruWeights.from_model(model)
    with np.load(model_dir / TRAINING_LEVELS) as training:
        reference = {key: training[key] for key in training.files}
    _generate_clips(experiment, weights, codes, sr, reference, folder / GENERATED)
    return tracks_bits_per_sample(weights, codes)


def _primes(generate_args: dict, codes: Sequence[np.ndarray], sr: int, signal: dict):
    """One prime per clip (code arrays of equal length), or None."""
    n = generate_args["n_samples"]
    if "prime_file" in generate_args:
        path = Path(generate_args["prime_file"])
        if not path.is_file():
            raise InputError("config key generate.prime_file", f"{path} does not exist")
        samples, _ = librosa.load(path, sr=sr, mono=True)
        if generate_args["prime_seconds"] > 0:
            samples = samples[: int(round(generate_args["prime_seconds"] * sr))]
        if samples.size == 0:
            raise InputError(path, "empty prime audio")
        return [encode_track(samples, signal["normalize"], signal.get("level_db"))] * n
    length = int(round(generate_args["prime_seconds"] * sr))
    if length == 0:
        return None
    if min(map(len, codes)) < length:
        raise InputError("config key generate.prime_seconds", "longer than a test track")
    return [codes[k % len(codes)][:length] for k in range(n)]


def _generate_clips(
    experiment: dict, weights, codes: Sequence[np.ndarray], sr: int, reference: dict, folder: Path
) -> None:
    from mirlab.families.generation.sampling import generate

    args = experiment["generate"]
    hop = experiment["input"]["hop_length"]
    primes = _primes(args, codes, sr, experiment["signal"])
    n = int(round(args["seconds"] * sr))
    generated, distribution = generate(
        weights,
        n,
        args["temperature"],
        primes,
        batch=args["n_samples"],
        seed=args["seed"],
        keep_distribution=DISTRIBUTION_SAMPLES,
    )
    folder.mkdir()
    rows, levels = [], {}
    test_levels = code_frame_levels(codes, sr, hop)
    for k, clip in enumerate(generated):
        prime = primes[k] if primes is not None else np.zeros(0, np.int64)
        soundfile.write(
            folder / f"clip-{k}.wav", mu_law_decode(np.concatenate([prime, clip])), sr, "PCM_16"
        )
        np.savez(
            folder / f"clip-{k}.npz",
            codes=clip.astype(np.uint8),
            prime=prime.astype(np.uint8),
            distribution=distribution[k].astype(np.float16),
            sr=sr,
            temperature=args["temperature"],
        )
        clip_levels = code_frame_levels([clip], sr, hop)
        levels.update({f"clip-{k}.{key}": value for key, value in clip_levels.items()})
        rows.append({"audio": f"clip-{k}", **level_statistics(clip_levels, reference)})
    rows.append({"audio": "training", **level_statistics(reference, reference)})
    rows.append({"audio": "test", **level_statistics(test_levels, reference)})
    levels.update({f"training.{key}": value for key, value in reference.items()})
    levels.update({f"test.{key}": value for key, value in test_levels.items()})
    np.savez(folder / "levels.npz", **levels)
    frame = pd.DataFrame(rows)
    frame.insert(1, "temperature", args["temperature"])
    write_csv(frame, folder / "statistics.csv")


def read_estimates(folder: str | Path, track_ids: Sequence[str]) -> dict[str, dict]:
    """``{track_id: estimate}`` of a folder of ``<track_id>.json`` files (every track's file
    present, each with a finite ``bits_per_sample``)."""
    estimates = {}
    for track_id, path in estimate_files(folder, track_ids, SUFFIX).items():
        try:
            estimate = json.loads(path.read_text())
            value = float(estimate["bits_per_sample"])
        except (ValueError, KeyError, TypeError) as error:
            raise InputError(path, f"not a generation estimate: {error}") from None
        if not np.isfinite(value) or value < 0:
            raise InputError(path, f"bits_per_sample must be finite and >= 0, got {value}")
        estimates[track_id] = estimate
    return estimates


def score(predictions: str | Path, data: DatasetPaths, part: str) -> pd.DataFrame:
    """Per-track ``bits_per_sample`` of a folder of estimates; each estimate must cover its
    track's whole cached audio (``n_samples``)."""
    track_ids = data.track_ids(part)
    estimates = read_estimates(predictions, track_ids)
    manifest = read_manifest(data.inputs).set_index("track_id")
    for track_id, estimate in estimates.items():
        expected = int(manifest.at[track_id, "n_samples"])
        if int(estimate.get("n_samples", -1)) != expected:
            raise InputError(
                Path(predictions) / f"{track_id}{SUFFIX}",
                f"covers {estimate.get('n_samples')} samples, the track has {expected}",
            )
    return pd.DataFrame(
        {
            "track_id": track_ids,
            "bits_per_sample": [float(estimates[t]["bits_per_sample"]) for t in track_ids],
        }
    )

"""Estimates (one ``<track_id>.npz`` per track) and their scores.

An estimate file holds ``magnitude`` (the reconstructed linear STFT magnitude,
``(n_frames, 256)`` float32, on the feature's frame grid) and ``latent_values`` (values of
the code per 32 x 256 patch). The reference is the track's cached input feature itself, as
linear magnitude.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mirlab.data.cache import DatasetPaths
from mirlab.data.features import open_feature
from mirlab.errors import InputError
from mirlab.families.autoencoder import codecs
from mirlab.families.autoencoder.metrics import reconstruction_metrics
from mirlab.storage import atomic_directory, atomic_path

SUFFIX = ".npz"


def write_estimate(magnitude: np.ndarray, latent_values: int, path: Path) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, magnitude=np.asarray(magnitude, np.float32), latent_values=latent_values)


def read_estimate(path: Path) -> tuple[np.ndarray, int]:
    """(magnitude ``(n_frames, n_bins)``, latent values per patch) of an estimate file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "estimate file does not exist")
    try:
        with np.load(path) as stored:
            return stored["magnitude"], int(stored["latent_values"])
    except (ValueError, OSError, KeyError) as error:
        raise InputError(
            path, f"not an autoencoder estimate (magnitude, latent_values): {error}"
        ) from error


def reference_magnitude(data: DatasetPaths, track_id: str) -> np.ndarray:
    """The cached input feature of ``track_id`` as linear magnitude."""
    log = bool(codecs.stft_params(data)["log"])
    feature = np.asarray(open_feature(data.input_files([track_id])[0]))
    return codecs.to_magnitude(codecs.to_representation(feature, log), log)


def predict(
    experiment: dict,
    data: DatasetPaths,
    part: str,
    output: Path,
    model_dir: Path | None = None,
    feature_params: dict | None = None,
    valid_sets=(),
) -> None:
    """Reconstruct every track of ``data``'s ``part`` with the trained code in ``model_dir``."""
    if experiment["method"] != "train" or model_dir is None:
        raise InputError("config key method", "autoencoder experiments are trained (method train)")
    code, info = codecs.load_code(model_dir)
    log = bool(codecs.stft_params(data)["log"])
    if log != info["log"]:
        raise InputError(data.inputs, "the model was trained on the other compression (log/linear)")
    track_ids = data.track_ids(part)
    with atomic_directory(output) as tmp:
        for track_id, path in zip(track_ids, data.input_files(track_ids), strict=True):
            values = codecs.reconstruct_track(code, np.asarray(open_feature(path)))
            write_estimate(
                codecs.to_magnitude(values, log), info["latent_values"], tmp / f"{track_id}{SUFFIX}"
            )


def score(predictions: Path, data: DatasetPaths, part: str) -> pd.DataFrame:
    """Per-track metrics (:mod:`~mirlab.families.autoencoder.metrics`), ``latent_values``
    and ``compression_ratio`` (input values 8,192 per patch over latent values; inf for
    the mean patch, which keeps none)."""
    rows = []
    for track_id in data.track_ids(part):
        estimate, latent = read_estimate(Path(predictions) / f"{track_id}{SUFFIX}")
        reference = reference_magnitude(data, track_id)
        if estimate.shape != reference.shape:
            raise InputError(
                Path(predictions) / f"{track_id}{SUFFIX}",
                f"shape {estimate.shape}, the track's feature has {reference.shape}",
            )
        rows.append(
            {
                "track_id": track_id,
                **reconstruction_metrics(reference, estimate),
                "latent_values": float(latent),
                "compression_ratio": codecs.PATCH_VALUES / latent if latent else float("inf"),
            }
        )
    return pd.DataFrame(rows)

"""Spectrogram autoencoders (``task: autoencoder``): the seed's convolutional autoencoder
(:func:`mirlab.learning.autoencoders.spectrogram_autoencoder`) and, at the same number of
latent values, PCA and the training-set mean patch.

Input: 32-frame x 256-bin patches of a cached ``stft`` feature (``n_fft`` 510), dB or linear
(:mod:`~mirlab.families.autoencoder.codecs`). Estimates: one ``.npz`` per track with the
reconstructed linear magnitude; scored against the input by spectral convergence,
log-spectral distance and RMSE in dB (:mod:`~mirlab.families.autoencoder.metrics`), with
the code's latent values per patch and the compression ratio as columns.
"""

from __future__ import annotations

from pathlib import Path

from mirlab.errors import InputError
from mirlab.families.base import Family

METRICS = (
    "spectral_convergence",
    "log_spectral_distance",
    "rmse_db",
    "latent_values",
    "compression_ratio",
)


def check_experiment(name: str, experiment: dict, config: dict) -> None:
    """Trained methods only, on an stft feature with n_fft 510 (256 bins)."""
    key = f"config key experiments.{name}"
    if experiment["method"] != "train":
        raise InputError(f"{key}.method", "autoencoder experiments are trained (method train)")
    feature = config["features"].get(experiment.get("input", {}).get("feature"), {})
    if feature.get("kind") != "stft" or feature.get("n_fft") != 510:
        raise InputError(f"{key}.input", "the autoencoder reads an stft feature with n_fft 510")
    if experiment["model"] == "pca" and "n_components" not in experiment["model_args"]:
        raise InputError(f"{key}.model_args", "pca needs n_components (latent values per patch)")


FAMILY = Family(
    name="autoencoder",
    schema=Path(__file__).with_name("schema.yaml"),
    reference_kind=lambda dataset: dataset["reference"],
    metrics=METRICS,
    headline_metrics=("spectral_convergence", "log_spectral_distance", "rmse_db"),
    estimate_suffix=".npz",
    models=("spectrogram_autoencoder", "pca", "mean_patch"),
    baselines=(),
    check_experiment=check_experiment,
    jobs="mirlab.families.autoencoder.jobs",
)

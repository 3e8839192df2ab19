"""A tiny end-to-end run of autoencoder experiments: the seed's model at a small size, PCA
and the mean patch, from the config to estimates, scores, the results table, figures and
audio."""

import numpy as np
import pandas as pd
import pytest
import soundfile

from tests.workflow_utils import snakemake, write_config

pytestmark = pytest.mark.workflow

PARTS = {
    "train": [{"dataset": "tiny", "part": "train"}],
    "validate": [{"dataset": "tiny", "part": "valid"}],
    "test": [{"dataset": "tiny", "part": "test"}],
}
COMMON = {"task": "autoencoder", "method": "train", "input": {"feature": "stft_ae"}, **PARTS}


def tiny_config() -> dict:
    return {
        "datasets": {
            "tiny": {
                "loader": "synth",
                "generate": {"n_tracks": 6, "duration": 2.0, "seed": 3, "n_artists": 3},
                "split": {"seeded": {"fractions": {"train": 0.34, "valid": 0.33, "test": 0.33}}},
            }
        },
        "features": {
            "stft_ae": {"kind": "stft", "sr": 22050, "hop_length": 256, "n_fft": 510},
        },
        "audio_rates": [],
        "experiments": {
            "ae": {
                **COMMON,
                "model": "spectrogram_autoencoder",
                "model_args": {"width": 1 / 32, "latent_channels": 1},
                "window": {"n_frames": 32, "hop": 16},
                "training": {"steps": 4, "batch_size": 2, "eval_every": 2, "checkpoint_every": 2},
                "grid": {"model_args.latent_channels": [1, 4]},
            },
            "pca": {**COMMON, "model": "pca", "model_args": {"n_components": 4}},
            "mean": {**COMMON, "model": "mean_patch"},
        },
        "compare": [{"a": "ae-latent_channels4", "b": "pca", "dataset": "tiny"}],
    }


def test_autoencoder_experiments_end_to_end(tmp_path):
    write_config(tmp_path, tiny_config())
    snakemake(tmp_path, "--cores", "2")
    results = pd.read_csv(tmp_path / "reports" / "results.csv")
    rows = results.set_index("experiment")
    assert sorted(rows.index) == ["ae-latent_channels1", "ae-latent_channels4", "mean", "pca"]
    assert rows.loc["ae-latent_channels1", "latent_values"] == 16
    assert rows.loc["ae-latent_channels4", "compression_ratio"] == 8192 / 64
    assert rows.loc["pca", "compression_ratio"] == 8192 / 4
    assert np.isinf(rows.loc["mean", "compression_ratio"])
    for metric in ("spectral_convergence", "log_spectral_distance", "rmse_db"):
        assert np.all(np.isfinite(rows[metric])) and np.all(rows[metric] >= 0)
    per_track = pd.read_csv(
        tmp_path / "results" / "pca" / "seed0" / "eval" / "tiny" / "per_track.csv"
    )
    assert len(per_track) == 2  # the two test tracks
    figures = tmp_path / "reports" / "figures" / "ae-latent_channels4" / "seed0" / "tiny"
    pngs = sorted(figures.glob("reconstruction-*.png"))
    assert len(pngs) == 1
    name = pngs[0].stem.removeprefix("reconstruction-")
    lengths = set()
    for kind in ("input", "griffinlim", "original_phase"):
        audio, sr = soundfile.read(figures / f"{name}-{kind}.wav")
        assert sr == 22050 and np.abs(audio).max() > 0
        lengths.add(len(audio))
    assert len(lengths) == 1
    assert (
        tmp_path / "reports" / "figures" / "compare" / "tiny" / "ae-latent_channels4" / "pca.png"
    ).is_file()

"""A tiny end-to-end run of a generation experiment and its codec baselines: checkpoints
with generated samples, estimates, per-track and summary CSVs, rows in the results table,
figures with the generated WAVs, and a temperature sweep through ``grid``."""

import json

import numpy as np
import pandas as pd
import pytest
import soundfile

from tests.workflow_utils import snakemake, write_config

pytestmark = pytest.mark.workflow

SETS = {"test": [{"dataset": "tiny", "part": "test"}]}
INPUT = {"audio_sr": 8000, "hop_length": 80}
BASELINES = ("flac", "xz", "entropy0", "entropy1")


def tiny_config() -> dict:
    return {
        "datasets": {
            "tiny": {
                "loader": "synth",
                "generate": {"n_tracks": 6, "duration": 1.0, "seed": 3, "n_artists": 3},
                "split": {"seeded": {"fractions": {"train": 0.34, "valid": 0.33, "test": 0.33}}},
            }
        },
        "experiments": {
            "gru": {
                "task": "generation",
                "method": "train",
                "model": "gru",
                "model_args": {"hidden": 8, "layers": 2},
                "input": INPUT,
                "training": {
                    "steps": 4,
                    "batch_size": 4,
                    "seq_length": 20,
                    "halve_at": [2],
                    "checkpoint_every": 2,
                    "eval_every": 2,
                    "sample_seconds": 0.01,
                },
                "generate": {"n_samples": 2, "seconds": 0.05, "prime_seconds": 0.02},
                "train": [{"dataset": "tiny", "part": "train"}],
                "validate": [{"dataset": "tiny", "part": "valid"}],
                **SETS,
                "grid": {"generate.temperature": [0.5, 1.0]},
            },
            **{
                name: {
                    "task": "generation",
                    "method": "baseline",
                    "baseline": name,
                    "input": INPUT,
                    **SETS,
                }
                for name in BASELINES
            },
        },
    }


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("generation")
    write_config(workdir, tiny_config())
    snakemake(workdir, "--cores", "2")
    return workdir


def test_results_table_has_the_model_and_the_four_baselines(workdir):
    results = pd.read_csv(workdir / "reports" / "results.csv")
    names = ["gru-temperature0.5", "gru-temperature1.0", *BASELINES]
    assert sorted(results["experiment"]) == sorted(names)
    assert results["bits_per_sample"].between(0, 9).all()
    assert {"bits_per_sample.ci_low", "bits_per_sample.ci_high"} <= set(results.columns)


def test_estimates_are_one_json_per_test_track(workdir):
    folder = workdir / "results" / "flac" / "seed0" / "predictions" / "tiny"
    files = sorted(folder.glob("*.json"))
    per_track = pd.read_csv(
        workdir / "results" / "flac" / "seed0" / "eval" / "tiny" / "per_track.csv"
    )
    assert len(files) == len(per_track) == 2
    estimate = json.loads(files[0].read_text())
    assert estimate["n_samples"] == 8000 and estimate["method"] == "flac"
    assert estimate["signal"] == {"normalize": "peak"}


def test_checkpoints_write_generated_samples(workdir):
    samples = sorted(
        (workdir / "results" / "gru-temperature0.5" / "seed0" / "training").glob(
            "*/samples/step-*.wav"
        )
    )
    assert [path.name for path in samples] == ["step-000000002.wav", "step-000000004.wav"]
    audio, sr = soundfile.read(samples[0])
    assert sr == 8000 and len(audio) == 80


def test_figures_hold_clips_heatmaps_and_statistics(workdir):
    folder = workdir / "reports" / "figures" / "gru-temperature1.0" / "seed0" / "tiny"
    names = sorted(path.name for path in folder.iterdir() if not path.name.startswith("."))
    assert names == sorted(
        ["bits_per_sample.png", "statistics.png", "statistics.csv"]
        + [f"clip-{k}.{ext}" for k in range(2) for ext in ("png", "wav")]
    )
    audio, sr = soundfile.read(folder / "clip-0.wav")
    assert sr == 8000 and len(audio) == 160 + 400  # prime, then the generated samples
    statistics = pd.read_csv(folder / "statistics.csv")
    assert statistics["audio"].tolist() == ["clip-0", "clip-1", "training", "test"]
    assert statistics["silent_fraction"].between(0, 1).all()
    assert np.all(statistics["temperature"] == 1.0)
    baseline = workdir / "reports" / "figures" / "xz" / "seed0" / "tiny"
    assert [path.name for path in baseline.glob("*.png")] == ["bits_per_sample.png"]


def test_trained_model_folder(workdir):
    folder = workdir / "results" / "gru-temperature0.5" / "seed0" / "model"
    params = json.loads((folder / "params.json").read_text())
    assert params["parameters"]["total"] == 3 * 8 * (256 + 9) + 3 * 8 * 17 + 8 * 256 + 256
    training = json.loads((folder / "training.json").read_text())
    assert training["step"] == 4 and training["shipped"]["metric"] == "bits_per_sample"

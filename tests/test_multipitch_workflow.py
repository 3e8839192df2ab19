"""A tiny end-to-end multi-pitch run: a trained HCNN, both baselines and the reference as an
external method, through estimates, evaluation, the results table and the figures."""

import json

import numpy as np
import pandas as pd
import pytest

from mirlab.data.datasets import load_dataset
from mirlab.data.readers import read_annotation
from mirlab.families.multipitch.metrics import METRICS, read_estimate, write_estimate
from tests.workflow_utils import snakemake, write_config

pytestmark = pytest.mark.workflow

PARTS = {
    "validate": [{"dataset": "tiny", "part": "valid"}],
    "test": [{"dataset": "tiny", "part": "test"}],
}


def tiny_config(estimates: str) -> dict:
    return {
        "datasets": {
            "tiny": {
                "loader": "synth",
                "generate": {"n_tracks": 6, "duration": 2.0, "seed": 3, "n_artists": 3},
                "split": {"seeded": {"fractions": {"train": 0.34, "valid": 0.33, "test": 0.33}}},
            }
        },
        "excerpts": {"first": {"dataset": "tiny", "track": "synth_0000", "start": 0.5, "end": 1.5}},
        "features": {
            "hcqt": {"kind": "hcqt", "sr": 22050, "hop_length": 256},
            "cqt": {"kind": "cqt", "sr": 22050, "hop_length": 256},
        },
        "experiments": {
            "hcnn": {
                "task": "multipitch",
                "method": "train",
                "model": "hcnn",
                "model_args": {"filters": [4, 4, 4]},
                "input": {"feature": "cqt"},
                "window": {"n_frames": 16, "hop": 16},
                "training": {"steps": 4, "batch_size": 4, "checkpoint_every": 2, "eval_every": 2},
                "train": [{"dataset": "tiny", "part": "train"}],
                **PARTS,
            },
            "salience": {
                "task": "multipitch",
                "method": "baseline",
                "baseline": "salience_peak",
                "input": {"feature": "hcqt"},
                **PARTS,
            },
            "basic_pitch": {
                "task": "multipitch",
                "method": "baseline",
                "baseline": "basic_pitch",
                "input": {"audio_sr": 22050, "hop_length": 256},
                "test": PARTS["test"],
            },
            "oracle": {
                "task": "multipitch",
                "method": "external",
                "estimates": estimates,
                "test": PARTS["test"],
            },
        },
        "compare": [{"a": "hcnn", "b": "salience", "dataset": "tiny"}],
    }


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    pytest.importorskip("basic_pitch")
    workdir = tmp_path_factory.mktemp("multipitch")
    estimates = workdir / "estimates" / "tiny"
    write_config(workdir, tiny_config(str(workdir / "estimates" / "{dataset}")))
    snakemake(workdir, "--cores", "2", "--until", "generate_synth")
    (raw,) = workdir.glob("data/generated/synth-*")
    # The external "method" is the multi-f0 reference itself: it must score 1.
    for track in load_dataset("synth", raw):
        times, freqs = read_annotation(track.annotations["multif0"])
        write_estimate(times, freqs, estimates / f"{track.track_id}.txt")
    snakemake(workdir, "--cores", "2")
    return workdir


def test_results_table_has_the_multipitch_metrics_of_every_method(workdir):
    table = pd.read_csv(workdir / "reports" / "results.csv").set_index("experiment")
    assert sorted(table.index) == ["basic_pitch", "hcnn", "oracle", "salience"]
    for metric in ("precision", "recall", "f_measure", "accuracy", "chroma_accuracy"):
        assert table[metric].between(0, 1).all(), metric
    assert set(METRICS) <= set(table.columns)
    assert table.loc["oracle", "f_measure"] == pytest.approx(1.0)
    assert table.loc["oracle", "accuracy"] == pytest.approx(1.0)
    assert table.loc["oracle", "total_error"] == pytest.approx(0.0)


def test_thresholds_are_tuned_on_validation_and_stored(workdir):
    decoding = json.loads((workdir / "results/hcnn/seed0/model/decoding.json").read_text())
    assert 0 < decoding["threshold"] < 1
    assert decoding["training"]["shipped"]["metric"] == "accuracy"
    (tuned,) = workdir.glob("results/salience/seed0/predictions/tiny/tuned.json")
    assert 0 < json.loads(tuned.read_text())["threshold"] < 1


def test_estimates_are_mirex_multif0_files(workdir):
    files = sorted(workdir.glob("results/hcnn/seed0/predictions/tiny/*.txt"))
    assert len(files) == 2
    for path in files:
        times, freqs = read_estimate(path)
        # frame centres k * hop / sr, written to the microsecond
        np.testing.assert_allclose(times, np.arange(len(times)) * 256 / 22050, atol=1e-6)
        assert len(freqs) == len(times) and any(len(frame) for frame in freqs)


def test_figures_are_drawn(workdir):
    figures = workdir / "reports" / "figures"
    pianorolls = sorted(p.name for p in (figures / "hcnn" / "seed0" / "tiny").glob("*.png"))
    assert len(pianorolls) >= 2 and all(name.startswith("pianoroll-") for name in pianorolls)
    assert list((figures / "compare" / "tiny" / "hcnn").glob("salience.png"))
    assert list((figures / "results").glob("metric-f_measure.png"))

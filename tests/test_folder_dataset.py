"""A user's own recordings through the DAG: a folder of WAVs and MIREX CSVs, paired by name
(the ``folder`` loader), trained on and scored like any dataset, with no renaming."""

import numpy as np
import pandas as pd
import pytest
import soundfile

from mirlab.families.melody.metrics import write_estimate_csv
from tests.workflow_utils import snakemake, write_config

pytestmark = pytest.mark.workflow


def _take(folder, name: str, f0: float, sr: int = 16000, seconds: float = 1.5) -> None:
    """A sung-like harmonic tone with a rest, and its time,f0 annotation (10 ms hop)."""
    t = np.arange(int(sr * seconds)) / sr
    voiced = t < 1.0
    y = voiced * sum(0.3 / h * np.sin(2 * np.pi * h * f0 * t) for h in (1, 2, 3))
    soundfile.write(folder / "audio" / f"{name}.wav", y.astype(np.float32), sr)
    times = np.arange(0, seconds - 0.05, 0.01)
    write_estimate_csv(times, np.where(times < 1.0, f0, 0.0), folder / "f0" / f"{name}.f0.csv")


def test_a_folder_of_wavs_and_csvs_goes_through_the_dag(tmp_path):
    takes = tmp_path / "my_takes"
    (takes / "audio").mkdir(parents=True)
    (takes / "f0").mkdir()
    for name, f0 in (("anna_take1", 196.0), ("anna_take2", 220.0), ("ben_take1", 147.0),
                     ("carl_take1", 262.0)):  # fmt: skip
        _take(takes, name, f0)
    config = {
        "datasets": {
            "mine": {
                "loader": "folder",
                "root": str(takes),
                "reference": "pitch",
                "options": {
                    "audio": "audio/*.wav",
                    "annotations": {"pitch": {"glob": "f0/*.f0.csv", "format": "mirex_csv"}},
                    "artist_pattern": "^(?P<artist>[^_]+)_",
                },
                "split": {"seeded": {"fractions": {"train": 0.0, "valid": 0.0, "test": 1.0}}},
            }
        },
        "features": {},
        "audio_rates": [],
        "experiments": {
            "pyin": {
                "task": "pitch",
                "method": "baseline",
                "baseline": "pyin",
                "input": {"audio_sr": 16000, "hop_length": 160},
                "test": [{"dataset": "mine", "part": "test"}],
            }
        },
    }
    write_config(tmp_path / "run", config)
    snakemake(tmp_path / "run", "--cores", "2", "reports/results.csv")
    table = pd.read_csv(tmp_path / "run" / "reports" / "results.csv")
    assert table["n_tracks"].tolist() == [4]
    assert table["raw_pitch_accuracy"].iloc[0] > 0.95
    per_track = pd.read_csv(tmp_path / "run" / "results/pyin/seed0/eval/mine/per_track.csv")
    assert sorted(per_track["track_id"]) == ["anna_take1", "anna_take2", "ben_take1", "carl_take1"]

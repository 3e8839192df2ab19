"""The ``mirlab`` command, end to end through a subprocess (issue: a tool used every day)."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile

from mirlab.families.melody.metrics import read_estimate_csv, write_estimate_csv
from tests.workflow_utils import REPO

MIRLAB = Path(sys.executable).with_name("mirlab")


def mirlab(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(MIRLAB), *args], capture_output=True, text=True, cwd=cwd, timeout=600
    )


def _tone(path: Path, f0: float, sr: int = 44100, seconds: float = 1.0) -> None:
    """A stereo harmonic tone at ``f0`` Hz (three harmonics), as a real file would be."""
    t = np.arange(int(sr * seconds)) / sr
    y = sum(0.3 / h * np.sin(2 * np.pi * h * f0 * t) for h in (1, 2, 3))
    soundfile.write(path, np.column_stack([y, 0.5 * y]), sr)


@pytest.mark.parametrize("command", ["predict", "evaluate", "results"])
def test_every_subcommand_has_help(command):
    result = mirlab(command, "--help")
    assert result.returncode == 0 and "usage: mirlab" in result.stdout


def test_predict_with_a_baseline_writes_a_mirex_csv_per_file(tmp_path):
    _tone(tmp_path / "low.wav", 147.0)
    _tone(tmp_path / "high.flac", 440.0, sr=32000)
    result = mirlab("predict", "pyin", str(tmp_path / "low.wav"), str(tmp_path / "high.flac"),
                    "-o", str(tmp_path / "out"))  # fmt: skip
    assert result.returncode == 0, result.stderr
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == ["high.csv", "low.csv"]
    for name, f0 in (("low", 147.0), ("high", 440.0)):
        times, est = read_estimate_csv(tmp_path / "out" / f"{name}.csv")
        voiced = est[est > 0]
        assert len(voiced) > 0.8 * len(est)
        assert np.median(voiced) == pytest.approx(f0, rel=0.01)


def test_predict_names_a_missing_file_and_exits_2(tmp_path):
    result = mirlab("predict", "pyin", str(tmp_path / "nope.wav"), "-o", str(tmp_path))
    assert result.returncode == 2
    assert "nope.wav" in result.stderr and "does not exist" in result.stderr


def test_predict_refuses_a_trained_experiment_name(tmp_path):
    _tone(tmp_path / "a.wav", 220.0)
    result = mirlab("predict", "hcnn", str(tmp_path / "a.wav"), "-o", str(tmp_path))
    assert result.returncode == 2 and "model folder" in result.stderr


def test_evaluate_files_and_folders_with_mir_eval_scores(tmp_path):
    times = np.arange(100) * 0.01
    ref = np.where(times < 0.5, 220.0, 0.0)
    est = np.where(times < 0.25, 220.0, np.where(times < 0.5, 440.0, 0.0))
    for folder in ("ref", "est"):
        (tmp_path / folder).mkdir()
    write_estimate_csv(times, ref, tmp_path / "ref" / "a.csv")
    write_estimate_csv(times, est, tmp_path / "est" / "a.csv")
    write_estimate_csv(times, ref, tmp_path / "ref" / "b.csv")
    write_estimate_csv(times, ref, tmp_path / "est" / "b.csv")
    result = mirlab("evaluate", str(tmp_path / "ref" / "a.csv"), str(tmp_path / "est" / "a.csv"))
    assert result.returncode == 0, result.stderr
    scores = {line.split()[0]: float(line.split()[1]) for line in result.stdout.splitlines()}
    assert scores["raw_pitch_accuracy"] == pytest.approx(0.5)
    assert scores["raw_chroma_accuracy"] == pytest.approx(1.0)
    assert scores["voicing_false_alarm"] == 0.0
    result = mirlab("evaluate", str(tmp_path / "ref"), str(tmp_path / "est"),
                    "--per-track", str(tmp_path / "per_track.csv"))  # fmt: skip
    assert result.returncode == 0, result.stderr
    per_track = pd.read_csv(tmp_path / "per_track.csv")
    assert per_track["track_id"].tolist() == ["a", "b"]
    assert per_track["raw_pitch_accuracy"].tolist() == pytest.approx([0.5, 1.0])
    assert "[" in result.stdout  # a confidence interval over the two tracks
    (tmp_path / "est" / "b.csv").unlink()
    result = mirlab("evaluate", str(tmp_path / "ref"), str(tmp_path / "est"))
    assert result.returncode == 2 and "b.csv" in result.stderr


def test_results_sorts_filters_and_picks_columns(tmp_path):
    table = pd.DataFrame(
        {
            "experiment": ["a", "b", "c"],
            "seed": [0, 0, 0],
            "dataset": ["synth", "synth", "real"],
            "split": ["test"] * 3,
            "param.model": ["hcnn", "crepe", "crepe"],
            "overall_accuracy": [0.5, 0.9, 0.7],
            "overall_accuracy.ci_low": [0.4, 0.8, 0.6],
        }
    )
    table.to_csv(tmp_path / "results.csv", index=False)
    args = ("results", "--table", str(tmp_path / "results.csv"), "--width", "200")
    result = mirlab(*args, "--sort", "overall_accuracy")
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if "synth" in line or "real" in line]
    assert [row.split()[1] for row in rows] == ["b", "c", "a"]
    assert "ci_low" not in result.stdout and "param.model" not in result.stdout
    result = mirlab(*args, "--where", "dataset=synth", "--columns", "experiment", "param.model")
    assert "crepe" in result.stdout and "real" not in result.stdout
    assert mirlab(*args, "--sort", "nope").returncode == 2


def test_predict_with_a_trained_model_folder(tmp_path):
    """A model folder as training writes it (bundle, decoding.json, resolved config)."""
    from mirlab.families.melody.training import DECODING, RADIUS_BINS
    from mirlab.learning.train import save_model_bundle
    from mirlab.pitch.experiment import build_experiment_model, window_spec

    feature = {"kind": "cqt", "sr": 22050, "hop_length": 256, "bins_per_octave": 60,
               "n_octaves": 6}  # fmt: skip
    experiment = {
        "task": "melody",
        "method": "train",
        "model": "hcnn",
        "model_args": {"filters": [4, 4, 4]},
        "input": {"feature": "cqt", "feature_params": feature},
        "window": {"n_frames": 16, "hop": 8, "context": 0},
        "target": {"bins_per_semitone": 5, "lowest_note": 24, "n_bins": 360, "blur": 0.25},
    }
    spec = window_spec(experiment, 256)
    model = build_experiment_model(experiment, spec, (360,))
    folder = tmp_path / "model"
    save_model_bundle(model, folder, experiment, "test")
    decoding = {"voicing_threshold": 0.0, "radius_bins": RADIUS_BINS}
    (folder / DECODING).write_text(json.dumps(decoding))
    _tone(tmp_path / "a.wav", 220.0, sr=22050)
    result = mirlab("predict", str(folder), str(tmp_path / "a.wav"), "-o", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    times, f0 = read_estimate_csv(tmp_path / "out" / "a.csv")
    assert len(times) == 22050 // 256 + 1  # one frame per hop of the 1 s file
    assert times[1] == pytest.approx(256 / 22050)

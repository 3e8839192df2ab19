"""Jobs of the activity family (see the package docstring)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from mirlab.evaluation.evaluate import estimate_files
from mirlab.storage import atomic_directory, atomic_path, write_json

CANDIDATES_DB = np.arange(-80.0, 1.0, 1.0)


def _levels_db(data, track_id: str) -> np.ndarray:
    """RMS level (dB) of each frame of a track's cached audio."""
    (path,) = data.input_files([track_id])
    audio = np.load(path).astype(np.float64)
    n_frames = len(audio) // data.hop_length + 1
    padded = np.pad(audio, (0, n_frames * data.hop_length - len(audio)))
    rms = np.sqrt(np.mean(padded.reshape(n_frames, data.hop_length) ** 2, axis=1))
    return 20 * np.log10(np.maximum(rms, 1e-10))


def train(experiment, seed, train_sets, valid_sets, work_dir, model_dir, command, excerpts=()):
    levels, active = [], []
    for data, part in train_sets:
        track_ids = data.track_ids(part)
        for track_id, f0 in zip(track_ids, data.grid_f0(track_ids), strict=True):
            level = _levels_db(data, track_id)[: len(f0)]
            levels.append(level)
            active.append(f0[: len(level)] > 0)
    levels, active = np.concatenate(levels), np.concatenate(active)
    accuracy = [np.mean((levels >= t) == active) for t in CANDIDATES_DB]
    with atomic_directory(model_dir) as tmp:
        write_json({"threshold_db": float(CANDIDATES_DB[int(np.argmax(accuracy))])}, tmp / "t.json")


def predict(experiment, data, part, output, model_dir=None, feature_params=None, valid_sets=()):
    if experiment["method"] == "train":
        threshold = json.loads((Path(model_dir) / "t.json").read_text())["threshold_db"]
    else:
        threshold = experiment["threshold_db"]
    with atomic_directory(output) as tmp:
        for track_id in data.track_ids(part):
            level = _levels_db(data, track_id)
            times = np.arange(len(level)) * data.frame_period
            rows = np.column_stack([times, level >= threshold])
            np.savetxt(tmp / f"{track_id}.txt", rows, fmt=["%.9f", "%d"])


def _on_reference(path: Path, times: np.ndarray) -> np.ndarray:
    est = np.loadtxt(path, ndmin=2)
    index = np.clip(np.searchsorted(est[:, 0], times), 0, len(est) - 1)
    return est[index, 1] > 0


def score(predictions, data, part):
    track_ids = data.track_ids(part)
    files = estimate_files(predictions, track_ids, ".txt")
    rows = []
    for track_id, (times, f0) in data.references(track_ids).items():
        est, ref = _on_reference(files[track_id], times), f0 > 0
        hits = np.sum(est & ref)
        rows.append(
            {
                "track_id": track_id,
                "precision": hits / max(est.sum(), 1),
                "recall": hits / max(ref.sum(), 1),
                "accuracy": np.mean(est == ref),
            }
        )
    return pd.DataFrame(rows)


def figures(predictions, data, part, excerpts, output):
    track_id = data.track_ids(part)[0]
    times, f0 = data.references([track_id])[track_id]
    fig = Figure(figsize=(6, 2))
    ax = fig.subplots()
    ax.plot(times, f0 > 0, label="reference")
    ax.plot(times, _on_reference(Path(predictions) / f"{track_id}.txt", times), label="estimate")
    ax.legend()
    with atomic_directory(output) as tmp:
        fig.savefig(tmp / f"activity-{track_id}.png")


def compare_figure(predictions_a, predictions_b, names, data, part, output):
    track_id = data.track_ids(part)[0]
    times, _ = data.references([track_id])[track_id]
    fig = Figure(figsize=(6, 2))
    ax = fig.subplots()
    for folder, name in zip((predictions_a, predictions_b), names, strict=True):
        ax.plot(times, _on_reference(Path(folder) / f"{track_id}.txt", times), label=name)
    ax.legend()
    with atomic_path(output) as tmp:
        fig.savefig(tmp, format="png")

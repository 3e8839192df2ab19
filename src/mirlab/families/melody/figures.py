"""The melody family's figures: load predictions and references, call
``mirlab.families.melody.plots``, write PNGs. Estimates are put on the reference's time grid
(mir_eval's resampling) so that every frame of the original annotation is drawn and
classified."""

from __future__ import annotations

import logging
from pathlib import Path

import mir_eval
import numpy as np
from matplotlib.figure import Figure

from mirlab.data.cache import DatasetPaths
from mirlab.evaluation.plots import figure_to_png
from mirlab.families.melody import plots
from mirlab.families.melody.metrics import read_estimate_csv
from mirlab.storage import atomic_directory, atomic_path

log = logging.getLogger(__name__)

#: Seconds of each of the first test tracks drawn as a pianoroll.
PIANOROLL_SECONDS = 6.0
PIANOROLL_TRACKS = 2


def estimate_on_reference(ref_times, est_times, est_f0) -> np.ndarray:
    """``est_f0`` (Hz, <= 0 unvoiced) resampled onto ``ref_times`` (s), unvoiced kept at 0."""
    est_f0 = np.asarray(est_f0, dtype=np.float64)
    voicing = (est_f0 > 0).astype(float)
    f0, voiced = mir_eval.melody.resample_melody_series(
        np.asarray(est_times, dtype=np.float64), np.abs(est_f0), voicing, ref_times
    )
    return np.where(np.asarray(voiced) > 0.5, f0, 0.0)


def _save(fig: Figure, path: Path) -> None:
    fig.savefig(path, dpi=100)


def _excerpt(times, *series, start: float, end: float):
    keep = (times >= start) & (times < end)
    return (times[keep], *(np.asarray(s)[keep] for s in series))


def experiment_figures(
    predictions: str | Path, data: DatasetPaths, part: str, excerpts: list[dict], output: str | Path
) -> None:
    """Figures of one method on one test set, written into the folder ``output``:

    ``confusion.png``, ``error_histogram.png`` and ``per_note_accuracy.png`` over all frames
    of the set; ``pianoroll-<track>.png`` for the first seconds of the first test tracks and
    ``pianoroll-<excerpt>.png`` for every configured excerpt (name, track, start, end) whose
    track is in the set.
    """
    track_ids = data.track_ids(part)
    references = data.references(track_ids)
    estimates = {}
    for track_id in track_ids:
        ref_times, _ = references[track_id]
        est_times, est_f0 = read_estimate_csv(Path(predictions) / f"{track_id}.csv")
        estimates[track_id] = estimate_on_reference(ref_times, est_times, est_f0)
    ref_all = np.concatenate([references[t][1] for t in track_ids])
    est_all = np.concatenate([estimates[t] for t in track_ids])
    views = [
        (f"pianoroll-{track_id}", track_id, 0.0, PIANOROLL_SECONDS)
        for track_id in track_ids[:PIANOROLL_TRACKS]
    ]
    views += [
        (f"pianoroll-{e['name']}", e["track"], e["start"], e["end"])
        for e in excerpts
        if e["track"] in references
    ]
    with atomic_directory(output) as tmp:
        _save(plots.confusion_figure(ref_all, est_all), tmp / "confusion.png")
        _save(plots.error_histogram(ref_all, est_all), tmp / "error_histogram.png")
        _save(plots.per_note_accuracy_figure(ref_all, est_all), tmp / "per_note_accuracy.png")
        for name, track_id, start, end in views:
            ref_times, ref_f0 = references[track_id]
            times, ref, est = _excerpt(ref_times, ref_f0, estimates[track_id], start=start, end=end)
            title = f"{track_id} {start:g}-{end:g} s"
            _save(plots.pianoroll(times, ref, est, title=title), tmp / f"{name}.png")


def compare_figure(
    predictions_a: str | Path,
    predictions_b: str | Path,
    names: tuple[str, str],
    data: DatasetPaths,
    part: str,
    output: str | Path,
) -> None:
    """Two methods side by side on the first seconds of the first test track (one PNG)."""
    track_id = data.track_ids(part)[0]
    ref_times, ref_f0 = data.references([track_id])[track_id]
    series = []
    for folder in (predictions_a, predictions_b):
        est_times, est_f0 = read_estimate_csv(Path(folder) / f"{track_id}.csv")
        series.append(estimate_on_reference(ref_times, est_times, est_f0))
    times, ref, est_a, est_b = _excerpt(
        ref_times, ref_f0, *series, start=0.0, end=PIANOROLL_SECONDS
    )
    fig = plots.compare_figure(times, ref, est_a, est_b, *names)
    fig.suptitle(f"{track_id}, first {PIANOROLL_SECONDS:g} s")
    with atomic_path(output) as tmp:
        fig.savefig(tmp, format="png", dpi=100)


def validation_images(
    references: dict[str, tuple[np.ndarray, np.ndarray]],
    estimates: dict[str, tuple[np.ndarray, np.ndarray]],
) -> dict[str, bytes]:
    """TensorBoard images of a validation pass: ``pianoroll`` of the first
    ``PIANOROLL_SECONDS`` of the first track, ``confusion`` and ``error_histogram`` over all
    tracks (PNG bytes; estimates put on each reference's grid)."""
    on_reference = {
        track_id: estimate_on_reference(references[track_id][0], *estimates[track_id])
        for track_id in estimates
    }
    ref_all = np.concatenate([references[t][1] for t in on_reference])
    est_all = np.concatenate(list(on_reference.values()))
    first = next(iter(on_reference))
    times, ref, est = _excerpt(
        references[first][0],
        references[first][1],
        on_reference[first],
        start=0.0,
        end=PIANOROLL_SECONDS,
    )
    return {
        "pianoroll": figure_to_png(plots.pianoroll(times, ref, est, title=first), dpi=60),
        "confusion": figure_to_png(plots.confusion_figure(ref_all, est_all), dpi=60),
        "error_histogram": figure_to_png(plots.error_histogram(ref_all, est_all), dpi=60),
    }

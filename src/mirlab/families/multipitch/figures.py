"""The multi-pitch family's figures: a pianoroll of reference against estimate, each pitch
coloured as a true positive, a false positive or a miss, the way ``mir_eval.multipitch``
counts them.

Estimates are put on the reference's time grid (``mir_eval.multipitch.resample_multipitch``)
and matched frame by frame (``mir_eval.util.match_events``: a maximum matching of pitches
within half a semitone), as ``mir_eval.multipitch.compute_num_true_positives`` does. Figures
are built as :class:`matplotlib.figure.Figure` objects directly (never through ``pyplot``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import librosa
import mir_eval
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from mirlab.data.cache import DatasetPaths
from mirlab.evaluation.plots import figure_to_png
from mirlab.families.multipitch.metrics import read_estimate, references
from mirlab.storage import atomic_directory, atomic_path

#: Seconds of each of the first test tracks drawn, and how many tracks.
PIANOROLL_SECONDS = 6.0
PIANOROLL_TRACKS = 2
#: Okabe-Ito colours (distinguishable with the common forms of colour blindness).
COLOURS = {"true positive": "#009E73", "false positive": "#D55E00", "miss": "#0072B2"}


def classify_frames(
    ref_freqs: Sequence[np.ndarray], est_freqs: Sequence[np.ndarray], window: float = 0.5
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per class (``true positive``, ``false positive``, ``miss``) the ``(frame index, MIDI)``
    points of two multi-f0 series (Hz) on one grid: estimated pitches matched to a reference
    pitch within ``window`` semitones are true positives, the other estimated pitches false
    positives, the unmatched reference pitches misses."""
    if len(ref_freqs) != len(est_freqs):
        raise ValueError(f"{len(ref_freqs)} reference frames, {len(est_freqs)} estimated")
    points: dict[str, tuple[list, list]] = {name: ([], []) for name in COLOURS}

    def add(name: str, frame: int, midi: np.ndarray) -> None:
        points[name][0].extend([frame] * len(midi))
        points[name][1].extend(midi)

    for frame, (ref, est) in enumerate(zip(ref_freqs, est_freqs, strict=True)):
        ref_midi = librosa.hz_to_midi(np.asarray(ref, dtype=np.float64))
        est_midi = librosa.hz_to_midi(np.asarray(est, dtype=np.float64))
        matched = mir_eval.util.match_events(ref_midi, est_midi, window)
        ref_hit = np.zeros(ref_midi.size, dtype=bool)
        est_hit = np.zeros(est_midi.size, dtype=bool)
        for i, j in matched:
            ref_hit[i] = est_hit[j] = True
        add("true positive", frame, est_midi[est_hit])
        add("false positive", frame, est_midi[~est_hit])
        add("miss", frame, ref_midi[~ref_hit])
    return {name: (np.asarray(f, dtype=int), np.asarray(m)) for name, (f, m) in points.items()}


def _draw(ax: Axes, times: np.ndarray, ref: Sequence, est: Sequence) -> None:
    classes = classify_frames(ref, est)
    for name, (frames, midi) in classes.items():
        ax.scatter(times[frames], midi, s=4, marker="s", color=COLOURS[name], label=name)
    drawn = np.concatenate([midi for _, midi in classes.values()])
    if drawn.size:
        low, high = np.floor(drawn.min()) - 1, np.ceil(drawn.max()) + 1
        ax.set_ylim(low, high)
        ticks = np.arange(12 * np.ceil(low / 12), high + 1, 12)
        ax.set_yticks(ticks, [librosa.midi_to_note(int(t)) for t in ticks])
    if times.size > 1:
        ax.set_xlim(times[0], times[-1])
    ax.set_ylabel("pitch")
    ax.grid(axis="y", alpha=0.3)


def _on_reference(ref_times: np.ndarray, est_times: np.ndarray, est_freqs: Sequence):
    return mir_eval.multipitch.resample_multipitch(est_times, list(est_freqs), ref_times)


def _cut(times: np.ndarray, start: float, end: float, *series: Sequence):
    keep = np.flatnonzero((times >= start) & (times < end))
    return (times[keep], *([s[i] for i in keep] for s in series))


def pianoroll(
    ref_times: np.ndarray,
    ref_freqs: Sequence[np.ndarray],
    est_times: np.ndarray,
    est_freqs: Sequence[np.ndarray],
    start: float = 0.0,
    end: float = PIANOROLL_SECONDS,
    title: str | None = None,
) -> Figure:
    """Pianoroll of ``[start, end)`` s of a multi-f0 reference and estimate (times s, f0s Hz
    per frame): true positives, false positives and misses coloured (:data:`COLOURS`)."""
    est_on_ref = _on_reference(ref_times, est_times, est_freqs)
    times, ref, est = _cut(np.asarray(ref_times), start, end, ref_freqs, est_on_ref)
    fig = Figure(figsize=(10, 4), layout="constrained")
    ax = fig.subplots()
    _draw(ax, times, ref, est)
    ax.set_xlabel("time (s)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", markerscale=3)
    if title is not None:
        ax.set_title(title)
    return fig


def pianoroll_png(ref_times, ref_freqs, est_times, est_freqs, title: str) -> bytes:
    """:func:`pianoroll` of the first seconds as PNG bytes (TensorBoard images)."""
    return figure_to_png(pianoroll(ref_times, ref_freqs, est_times, est_freqs, title=title), 60)


def experiment_figures(
    predictions: str | Path,
    data: DatasetPaths,
    part: str,
    excerpts: Sequence[Mapping],
    output: str | Path,
) -> None:
    """``pianoroll-<track>.png`` for the first seconds of the first test tracks and
    ``pianoroll-<excerpt>.png`` for every configured excerpt (name, dataset, track, start,
    end in s) whose track is in the set, in the folder ``output``."""
    track_ids = data.track_ids(part)
    views = [(f"pianoroll-{t}", t, 0.0, PIANOROLL_SECONDS) for t in track_ids[:PIANOROLL_TRACKS]]
    views += [
        (f"pianoroll-{e['name']}", e["track"], e["start"], e["end"])
        for e in excerpts
        if e["track"] in track_ids and e.get("dataset", data.name) == data.name
    ]
    refs = references(data, sorted({track_id for _, track_id, _, _ in views}))
    with atomic_directory(output) as tmp:
        for name, track_id, start, end in views:
            estimate = read_estimate(Path(predictions) / f"{track_id}.txt")
            fig = pianoroll(
                *refs[track_id], *estimate, start, end, title=f"{track_id} {start:g}-{end:g} s"
            )
            fig.savefig(tmp / f"{name}.png", dpi=100)


def compare_figure(
    predictions_a: str | Path,
    predictions_b: str | Path,
    names: tuple[str, str],
    data: DatasetPaths,
    part: str,
    output: str | Path,
) -> None:
    """Two methods' pianorolls, one above the other, on the first seconds of the first test
    track (one PNG)."""
    track_id = data.track_ids(part)[0]
    ref_times, ref_freqs = references(data, [track_id])[track_id]
    fig = Figure(figsize=(10, 6.5), layout="constrained")
    axes = fig.subplots(2, 1, sharex=True)
    for ax, folder, name in zip(axes, (predictions_a, predictions_b), names, strict=True):
        est = _on_reference(ref_times, *read_estimate(Path(folder) / f"{track_id}.txt"))
        times, ref, est = _cut(np.asarray(ref_times), 0.0, PIANOROLL_SECONDS, ref_freqs, est)
        _draw(ax, times, ref, est)
        ax.set_title(name)
    axes[0].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", markerscale=3)
    axes[1].set_xlabel("time (s)")
    fig.suptitle(f"{track_id}, first {PIANOROLL_SECONDS:g} s")
    with atomic_path(output) as tmp:
        fig.savefig(tmp, format="png", dpi=100)

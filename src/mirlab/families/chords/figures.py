"""The chord family's figures: chord timelines (reference vs estimate, wrong pieces marked),
the quality confusion matrix and the class-wise recall over the 14 qualities (also as CSV).

Figures are built as :class:`matplotlib.figure.Figure` objects (no pyplot state). A piece of
the timeline is wrong when ``mir_eval.chord.majmin`` says so (pieces that majmin cannot judge,
such as ``X`` references, are drawn grey).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import mir_eval
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from mirlab.data.cache import DatasetPaths
from mirlab.evaluation.evaluate import quiet_mir_eval
from mirlab.families.chords import metrics
from mirlab.families.chords.vocabulary import QUALITIES, encode_label
from mirlab.storage import atomic_directory, atomic_path, write_csv

#: Seconds of the first test tracks drawn as timelines, and how many tracks.
TIMELINE_SECONDS = 30.0
TIMELINE_TRACKS = 2
#: Rows/columns of the quality confusion matrix: the 14 qualities, then N and X.
QUALITY_CLASSES = (*QUALITIES, "N", "X")


def _segments_row(ax, intervals, labels, y: float, start: float, end: float) -> None:
    for (first, last), label in zip(intervals, labels, strict=True):
        if last <= start or first >= end:
            continue
        first, last = max(first, start), min(last, end)
        root = encode_label(label)[1]  # 0: no root (N, X)
        colour = f"C{(root - 1) % 10}" if root else "0.85"
        ax.barh(y, last - first, left=first, height=0.8, color=colour, edgecolor="white")
        if last - first > (end - start) / 40:
            ax.text((first + last) / 2, y, label, ha="center", va="center", fontsize=6)


def timeline_figure(reference, estimate, title: str, start: float, end: float) -> Figure:
    """Reference (top) and estimate (middle) segments between ``start`` and ``end`` s, with
    the pieces majmin judges wrong marked red and unjudged ones grey (bottom row)."""
    fig = Figure(figsize=(12, 2.6))
    ax = fig.add_subplot()
    _segments_row(ax, *reference, 2, start, end)
    _segments_row(ax, *estimate, 1, start, end)
    ref_intervals = np.asarray(reference[0])
    with quiet_mir_eval():
        est_intervals, est_labels = mir_eval.util.adjust_intervals(
            np.asarray(estimate[0]).reshape(-1, 2),
            list(estimate[1]),
            ref_intervals.min(),
            ref_intervals.max(),
            "N",
            "N",
        )
        pieces, ref_cut, est_cut = mir_eval.util.merge_labeled_intervals(
            ref_intervals, list(reference[1]), est_intervals, est_labels
        )
        judged = mir_eval.chord.majmin(ref_cut, est_cut)
    for (first, last), score in zip(pieces, judged, strict=True):
        if last <= start or first >= end:
            continue
        colour = "0.6" if score < 0 else ("tab:red" if score == 0 else "tab:green")
        ax.barh(
            0, min(last, end) - max(first, start), left=max(first, start), height=0.5, color=colour
        )
    ax.set_yticks([0, 1, 2], ["majmin wrong (red)", "estimate", "reference"])
    ax.set_xlim(start, min(end, ref_intervals.max()))
    ax.set_xlabel("time (s)")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def _quality_index(tags: pd.Series) -> np.ndarray:
    tags = tags.to_numpy()
    return np.where(tags >= 2, (tags - 2) % len(QUALITIES), np.where(tags == 0, 14, 15))


def quality_confusion(durations: pd.DataFrame) -> np.ndarray:
    """Seconds per (reference, estimated) class of :data:`QUALITY_CLASSES` (16 x 16) of
    :func:`mirlab.families.chords.metrics.tag_durations` rows, whatever the roots."""
    matrix = np.zeros((len(QUALITY_CLASSES), len(QUALITY_CLASSES)))
    np.add.at(
        matrix,
        (_quality_index(durations["ref_tag"]), _quality_index(durations["est_tag"])),
        durations["duration"].to_numpy(),
    )
    return matrix


def confusion_figure(matrix: np.ndarray) -> Figure:
    """The quality confusion matrix, each row normalised to the reference time of its class."""
    totals = matrix.sum(axis=1, keepdims=True)
    share = np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)
    fig = Figure(figsize=(7, 6))
    ax = fig.add_subplot()
    image = ax.imshow(share, vmin=0, vmax=1, cmap="Blues")
    ticks = range(len(QUALITY_CLASSES))
    ax.set_xticks(ticks, QUALITY_CLASSES, rotation=90)
    ax.set_yticks(ticks, QUALITY_CLASSES)
    ax.set_xlabel("estimated quality")
    ax.set_ylabel("reference quality")
    fig.colorbar(image, ax=ax, label="share of the reference time")
    fig.tight_layout()
    return fig


def recall_figure(recall: pd.DataFrame) -> Figure:
    """Class-wise recall per quality (bars; qualities absent from the reference left empty)."""
    fig = Figure(figsize=(8, 3.5))
    ax = fig.add_subplot()
    ax.bar(recall["quality"], recall["recall"].fillna(0.0), color="tab:blue")
    for x, (value, seconds) in enumerate(zip(recall["recall"], recall["seconds"], strict=True)):
        ax.text(
            x, 0.02 if np.isnan(value) else value + 0.02, f"{seconds:.0f}s", ha="center", fontsize=6
        )
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("recall (tag right)")
    ax.tick_params(axis="x", rotation=90)
    fig.tight_layout()
    return fig


def _load(predictions: Path, data: DatasetPaths, track_ids: Sequence[str]):
    return metrics.reference_segments(data, track_ids), metrics.read_estimates(
        predictions, track_ids
    )


def experiment_figures(
    predictions: str | Path, data: DatasetPaths, part: str, excerpts: list[dict], output: str | Path
) -> None:
    """Figures of one method on one test set, into the folder ``output``: ``confusion.png``,
    ``quality_recall.png`` with ``quality_recall.csv`` (all tracks, duration-weighted), and
    ``timeline-<track>.png`` for the first test tracks and ``timeline-<excerpt>.png`` for the
    configured excerpts of the set."""
    track_ids = data.track_ids(part)
    references, estimates = _load(Path(predictions), data, track_ids)
    durations = (
        pd.concat([metrics.tag_durations(*references[t], *estimates[t]) for t in track_ids])
        .groupby(["ref_tag", "est_tag"], as_index=False)["duration"]
        .sum()
    )
    recall = metrics.quality_recall(durations)
    views = [(f"timeline-{t}", t, 0.0, TIMELINE_SECONDS) for t in track_ids[:TIMELINE_TRACKS]]
    views += [
        (f"timeline-{e['name']}", e["track"], e["start"], e["end"])
        for e in excerpts
        if e["track"] in references
    ]
    with atomic_directory(output) as tmp:
        confusion_figure(quality_confusion(durations)).savefig(tmp / "confusion.png", dpi=100)
        recall_figure(recall).savefig(tmp / "quality_recall.png", dpi=100)
        write_csv(recall, tmp / "quality_recall.csv")
        for name, track_id, start, end in views:
            fig = timeline_figure(
                references[track_id],
                estimates[track_id],
                f"{track_id} {start:g}-{end:g} s",
                start,
                end,
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
    """Two methods' timelines on the first seconds of the first test track (one PNG)."""
    track_id = data.track_ids(part)[0]
    reference = metrics.reference_segments(data, [track_id])[track_id]
    fig = Figure(figsize=(12, 3.4))
    ax = fig.add_subplot()
    _segments_row(ax, *reference, 2, 0.0, TIMELINE_SECONDS)
    for y, folder in ((1, predictions_a), (0, predictions_b)):
        estimate = metrics.read_estimates(Path(folder), [track_id])[track_id]
        _segments_row(ax, *estimate, y, 0.0, TIMELINE_SECONDS)
    ax.set_yticks([0, 1, 2], [names[1], names[0], "reference"])
    ax.set_xlim(0.0, TIMELINE_SECONDS)
    ax.set_xlabel("time (s)")
    ax.set_title(f"{track_id}, first {TIMELINE_SECONDS:g} s")
    fig.tight_layout()
    with atomic_path(output) as tmp:
        fig.savefig(tmp, format="png", dpi=100)

"""Chord metrics (``mir_eval.chord``), duration-weighted per track, and the class-wise
recall over the vocabulary's 14 qualities."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import mir_eval
import numpy as np
import pandas as pd

from mirlab.data.annotations import chords_from_frame
from mirlab.data.readers import read_lab_chords
from mirlab.evaluation.evaluate import estimate_files, quiet_mir_eval
from mirlab.families.chords import METRICS
from mirlab.families.chords.vocabulary import QUALITIES, encode_labels

#: ``mir_eval.chord`` comparisons, the per-track metric columns (defined with the family,
#: which planning imports without mir_eval).
CHORD_METRICS: tuple[str, ...] = METRICS


def merged_segments(
    ref_intervals: np.ndarray,
    ref_labels: Sequence[str],
    est_intervals: np.ndarray,
    est_labels: Sequence[str],
) -> tuple[np.ndarray, list[str], list[str]]:
    """Reference and estimate cut at the union of their boundaries: durations (s) and the
    two labels of each piece. The estimate is trimmed/padded with ``N`` to the reference span
    (``mir_eval.util.adjust_intervals``), as ``mir_eval.chord.evaluate`` does."""
    ref_intervals = np.asarray(ref_intervals, dtype=np.float64)
    with quiet_mir_eval():
        est_intervals, est_labels = mir_eval.util.adjust_intervals(
            np.asarray(est_intervals, dtype=np.float64).reshape(-1, 2),
            list(est_labels),
            ref_intervals.min(),
            ref_intervals.max(),
            mir_eval.chord.NO_CHORD,
            mir_eval.chord.NO_CHORD,
        )
        intervals, ref_cut, est_cut = mir_eval.util.merge_labeled_intervals(
            ref_intervals, list(ref_labels), est_intervals, est_labels
        )
    return mir_eval.util.intervals_to_durations(intervals), ref_cut, est_cut


def chord_metrics(
    ref_intervals: np.ndarray,
    ref_labels: Sequence[str],
    est_intervals: np.ndarray,
    est_labels: Sequence[str],
) -> dict[str, float]:
    """Duration-weighted chord accuracies of :data:`CHORD_METRICS`, as ``mir_eval.chord.evaluate``.

    Intervals are ``(n, 2)`` arrays of (start, end) in seconds, labels are Harte chord labels.
    Each comparison is weighted by the duration of the merged pieces
    (:func:`merged_segments`); reference pieces that a vocabulary cannot judge (``X``, or a
    9th chord for ``sevenths``) are left out of that vocabulary's score. The same steps as
    ``mir_eval.chord.evaluate`` minus its segmentation scores, which reject the 1e-13 s
    overlaps that real annotations (Billboard) carry.
    """
    durations, ref_cut, est_cut = merged_segments(
        ref_intervals, ref_labels, est_intervals, est_labels
    )
    chord = mir_eval.chord
    with quiet_mir_eval():
        return {
            name: float(chord.weighted_accuracy(getattr(chord, name)(ref_cut, est_cut), durations))
            for name in CHORD_METRICS
        }


def tag_durations(
    ref_intervals: np.ndarray,
    ref_labels: Sequence[str],
    est_intervals: np.ndarray,
    est_labels: Sequence[str],
) -> pd.DataFrame:
    """Seconds spent in each (reference tag, estimate tag) pair of vocabulary classes (see
    :mod:`mirlab.families.chords.vocabulary`): columns ``ref_tag, est_tag, duration``."""
    durations, ref_cut, est_cut = merged_segments(
        ref_intervals, ref_labels, est_intervals, est_labels
    )
    table = pd.DataFrame(
        {
            "ref_tag": encode_labels(ref_cut)[:, 0] if ref_cut else [],
            "est_tag": encode_labels(est_cut)[:, 0] if est_cut else [],
            "duration": durations,
        }
    )
    return table.groupby(["ref_tag", "est_tag"], as_index=False)["duration"].sum()


def quality_recall(durations: pd.DataFrame) -> pd.DataFrame:
    """Class-wise recall over the 14 qualities (McFee & Bello 2017, fig. 3) from
    :func:`tag_durations` rows (of one or many tracks): for each quality, the fraction of the
    reference time in chords of that quality whose estimated tag is the reference tag (root
    and quality right). Columns ``quality, recall, seconds`` (recall NaN where a quality
    never occurs in the reference)."""
    chords = durations[durations["ref_tag"] >= 2]
    quality = (chords["ref_tag"] - 2) % len(QUALITIES)
    correct = chords["duration"].where(chords["ref_tag"] == chords["est_tag"], 0.0)
    total = chords["duration"].groupby(quality).sum().reindex(range(len(QUALITIES)), fill_value=0)
    right = correct.groupby(quality).sum().reindex(range(len(QUALITIES)), fill_value=0)
    recall = (right / total.where(total > 0)).to_numpy()
    return pd.DataFrame({"quality": QUALITIES, "recall": recall, "seconds": total.to_numpy()})


def read_estimates(predictions: Path, track_ids: Sequence[str]) -> dict:
    """``{track_id: (intervals, labels)}`` of a folder of ``<track_id>.lab`` estimates."""
    files = estimate_files(predictions, track_ids, ".lab")
    return {track_id: read_lab_chords(path) for track_id, path in files.items()}


def reference_segments(data, track_ids: Sequence[str]) -> dict:
    """``{track_id: (intervals, labels)}``: ``data``'s original chord annotations."""
    tables = data.annotation_tables("original", list(track_ids))
    return {track_id: chords_from_frame(tables[track_id], track_id) for track_id in track_ids}


def evaluate_tracks(
    references: Mapping[str, tuple], estimates: Mapping[str, tuple]
) -> pd.DataFrame:
    """Per-track table ``track_id`` + :data:`CHORD_METRICS` of ``estimates`` against
    ``references`` (both ``{track_id: (intervals, labels)}``), in reference order."""
    rows = [
        {"track_id": track_id, **chord_metrics(*references[track_id], *estimates[track_id])}
        for track_id in references
    ]
    return pd.DataFrame(rows, columns=["track_id", *CHORD_METRICS])


def evaluate_directory(predictions: Path, data, part: str) -> pd.DataFrame:
    """Per-track scores of a folder of ``.lab`` estimates against ``data``'s ``part``."""
    track_ids = data.track_ids(part)
    return evaluate_tracks(
        reference_segments(data, track_ids), read_estimates(predictions, track_ids)
    )

"""Frame posteriors -> chord segments -> ``.lab`` files (the chord family's estimate format).

Frame ``i`` of a track is centred at ``i * frame_period`` seconds (the feature grid); a run of
frames ``a .. b`` with one tag becomes the segment ``[(a - 1/2) p, (b + 1/2) p]`` clipped at
0 s, so consecutive segments touch. Estimates are ``.lab`` files: one ``start end label`` line
per segment (seconds, tab separated, Harte labels), read back with
``mirlab.data.readers.read_lab_chords``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import librosa
import mir_eval
import numpy as np

from mirlab.errors import InputError
from mirlab.families.chords.vocabulary import N_ROOTS, VOCABULARY
from mirlab.storage import atomic_path

#: Harte degree of a chord tone this many semitones above the root, for inversions
#: (``mir_eval.chord`` judges the bass by its semitone, whatever the spelling).
BASS_DEGREES = ("1", "b2", "2", "b3", "3", "4", "b5", "5", "#5", "6", "b7", "7")


def decode_tags(posteriors: np.ndarray, self_transition: float | None = None) -> np.ndarray:
    """Tag class per frame of ``posteriors`` ``(n_frames, n_classes)`` (rows: probabilities).

    ``self_transition`` None: the frame-wise argmax. Otherwise the Viterbi path of
    ``librosa.sequence.viterbi_discriminative`` under a uniform-switch transition matrix
    (``librosa.sequence.transition_loop``: stay with ``self_transition``, move to each other
    class with ``(1 - self_transition) / (n_classes - 1)``), which removes short flickers.
    """
    posteriors = np.asarray(posteriors, dtype=np.float64)
    if posteriors.ndim != 2 or posteriors.shape[1] < 2:
        raise InputError("posteriors", f"need (n_frames, n_classes >= 2), got {posteriors.shape}")
    if len(posteriors) == 0:
        return np.zeros(0, dtype=np.int64)
    if self_transition is None:
        return posteriors.argmax(axis=1)
    if not 0.0 < self_transition < 1.0:
        raise InputError("decoding.self_transition", f"must be in (0, 1), got {self_transition}")
    n_classes = posteriors.shape[1]
    transition = librosa.sequence.transition_loop(n_classes, self_transition)
    # viterbi_discriminative wants each frame's column to sum to 1.
    probabilities = np.clip(posteriors, 1e-12, None)
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    return librosa.sequence.viterbi_discriminative(probabilities.T, transition).astype(np.int64)


def tags_to_segments(
    tags: np.ndarray, frame_period: float, bass: np.ndarray | None = None
) -> tuple[np.ndarray, list[str]]:
    """Runs of equal tags as segments: ``(n, 2)`` intervals (s) and Harte labels (frame
    times as in the module docstring).

    ``bass``: the bass head's posteriors ``(n_frames, 13)``; a run's bass is the argmax of
    their mean over the run, and when it is a chord tone other than the root the label
    carries it as an inversion (``C:maj/3``), which the ``_inv`` metrics judge.
    """
    tags = np.asarray(tags, dtype=np.int64).reshape(-1)
    if frame_period <= 0:
        raise InputError("frame_period", f"must be > 0 s, got {frame_period}")
    if bass is not None and np.shape(bass) != (len(tags), N_ROOTS):
        raise InputError("bass", f"shape {np.shape(bass)}, expected ({len(tags)}, {N_ROOTS})")
    if len(tags) == 0:
        return np.zeros((0, 2)), []
    starts = np.flatnonzero(np.r_[True, tags[1:] != tags[:-1]])
    stops = np.r_[starts[1:], len(tags)]
    intervals = np.column_stack(
        [np.maximum((starts - 0.5) * frame_period, 0.0), (stops - 0.5) * frame_period]
    )
    labels = []
    for first, stop in zip(starts, stops, strict=True):
        label = VOCABULARY[tags[first]]
        if bass is not None and tags[first] >= 2:
            label += _inversion(label, int(np.mean(bass[first:stop], axis=0).argmax()))
        labels.append(label)
    return intervals, labels


def _inversion(label: str, bass_class: int) -> str:
    """``/degree`` of bass class ``bass_class`` (1 + pitch class) over chord ``label``, or
    ``""`` when it is the root, no chord tone, or none."""
    if bass_class == 0:
        return ""
    root, bitmap, _ = mir_eval.chord.encode(label)
    semitones = (bass_class - 1 - root) % 12
    return f"/{BASS_DEGREES[semitones]}" if semitones and bitmap[semitones] else ""


def write_lab(intervals: np.ndarray, labels: Sequence[str], path: str | Path) -> None:
    """Write chord segments as a ``.lab`` file (``start\\tend\\tlabel``, s to 6 decimals)."""
    intervals = np.asarray(intervals, dtype=np.float64).reshape(-1, 2)
    if len(intervals) != len(labels):
        raise InputError(path, f"{len(intervals)} intervals for {len(labels)} labels")
    lines = [
        f"{start:.6f}\t{end:.6f}\t{label}\n"
        for (start, end), label in zip(intervals, labels, strict=True)
    ]
    with atomic_path(path) as tmp:
        Path(tmp).write_text("".join(lines))

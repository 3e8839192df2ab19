"""Multi-f0 decoding: salience peaks with their strengths, and the threshold tuned on
validation data to maximise ``mir_eval.multipitch`` accuracy.

Every multi-pitch method here (trained salience models, the HCQT salience baseline,
basic-pitch's note activations) gives per frame candidate f0s (Hz) with a strength in
[0, 1]; a frame's estimate is the candidates whose strength is at least the threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import mir_eval
import numpy as np
import scipy.signal

from mirlab.errors import InputError

#: Thresholds :func:`tune_threshold` tries: 0.02, 0.04, ..., 0.98.
THRESHOLDS = np.round(np.arange(1, 50) * 0.02, 2)


@dataclass(frozen=True)
class Candidates:
    """Per-frame candidate f0s of one track: ``freqs[i]`` (Hz) and ``strengths[i]`` (0..1)
    of frame ``i`` at ``times[i]`` (s)."""

    times: np.ndarray
    freqs: list[np.ndarray]
    strengths: list[np.ndarray]

    def at(self, threshold: float) -> list[np.ndarray]:
        """Each frame's f0s (Hz) whose strength is at least ``threshold``."""
        return [f[s >= threshold] for f, s in zip(self.freqs, self.strengths, strict=True)]


def salience_peaks(
    salience: np.ndarray, bin_hz: np.ndarray, times: np.ndarray, floor: float = 0.0
) -> Candidates:
    """Local maxima along the bin axis of a salience ``(n_frames, n_bins)`` with values in
    [0, 1] (``scipy.signal.find_peaks``: a flat peak counts once, the end bins never), each at
    its bin centre ``bin_hz`` (Hz), strength its salience; peaks below ``floor`` are dropped.

    At any threshold >= ``floor`` the result is that of
    :func:`mirlab.pitch.decode.decode_multif0` at that threshold.
    """
    salience = np.asarray(salience, dtype=np.float64)
    bin_hz = np.asarray(bin_hz, dtype=np.float64)
    if salience.ndim != 2 or salience.shape[1] != bin_hz.size:
        raise InputError("salience", f"shape {salience.shape} for {bin_hz.size} pitch bins")
    if len(times) != salience.shape[0]:
        raise InputError("times", f"{len(times)} times for {salience.shape[0]} frames")
    freqs, strengths = [], []
    for frame in salience:
        peaks, properties = scipy.signal.find_peaks(frame, height=floor)
        freqs.append(bin_hz[peaks])
        strengths.append(properties["peak_heights"])
    return Candidates(np.asarray(times, dtype=np.float64), freqs, strengths)


def _count_matches(ref_midi: np.ndarray, est_midi: np.ndarray, window: float) -> int:
    """Size of a maximum matching of two sorted pitch lists (MIDI), pairs at most ``window``
    semitones apart: on a line, the greedy sweep that pairs the lowest compatible pitches
    (and drops the lower pitch of an incompatible pair) is maximal."""
    i = j = matches = 0
    while i < ref_midi.size and j < est_midi.size:
        if abs(ref_midi[i] - est_midi[j]) <= window:
            matches, i, j = matches + 1, i + 1, j + 1
        elif ref_midi[i] < est_midi[j]:
            i += 1
        else:
            j += 1
    return matches


def _frame_steps(ref_hz: np.ndarray, freqs: np.ndarray, strengths: np.ndarray, window: float):
    """One frame's candidate strengths in descending order and the true positives with the
    ``k`` strongest candidates active, ``k = 0 .. n``."""
    order = np.argsort(-strengths, kind="stable")
    ref_midi = np.sort(mir_eval.multipitch.frequencies_to_midi([ref_hz])[0])
    est_midi = mir_eval.multipitch.frequencies_to_midi([freqs[order]])[0]
    steps = [0] + [
        _count_matches(ref_midi, np.sort(est_midi[:k]), window) if ref_midi.size else 0
        for k in range(1, order.size + 1)
    ]
    return strengths[order], np.asarray(steps)


def threshold_accuracies(
    candidates: Sequence[Candidates],
    references: Sequence[tuple[np.ndarray, Sequence[np.ndarray]]],
    thresholds: np.ndarray = THRESHOLDS,
    window: float = 0.5,
) -> np.ndarray:
    """Mean over tracks of the ``mir_eval.multipitch`` accuracy of each track's candidates at
    each threshold, against its reference ``(times s, f0s Hz per frame)``: one value per
    threshold.

    The same numbers as ``mir_eval.multipitch.evaluate``'s ``Accuracy`` (candidates moved onto
    the reference times by ``resample_multipitch`` when their times differ; true positives a
    maximum matching within ``window`` semitones; ``TP / (N_est + N_ref - TP)`` per track),
    counted once per track for every threshold at once instead of once per threshold.
    """
    thresholds = np.asarray(thresholds, dtype=np.float64)
    if not candidates or len(candidates) != len(references):
        raise InputError("references", f"{len(references)} references for {len(candidates)} tracks")
    accuracies = []
    for track, (ref_times, ref_freqs) in zip(candidates, references, strict=True):
        freqs, strengths = track.freqs, track.strengths
        ref_times = np.asarray(ref_times, dtype=np.float64)
        if track.times.size != ref_times.size or not np.allclose(track.times, ref_times):
            freqs = mir_eval.multipitch.resample_multipitch(track.times, freqs, ref_times)
            strengths = mir_eval.multipitch.resample_multipitch(track.times, strengths, ref_times)
        tp = np.zeros(thresholds.size)
        n_est = np.zeros(thresholds.size)
        for ref, f, s in zip(ref_freqs, freqs, strengths, strict=True):
            if not f.size:
                continue
            descending, steps = _frame_steps(np.asarray(ref, np.float64), f, s, window)
            active = np.searchsorted(-descending, -thresholds, side="right")
            tp += steps[active]
            n_est += active
        n_ref = sum(np.asarray(ref).size for ref in ref_freqs)
        denominator = n_est + n_ref - tp
        accuracies.append(np.where(denominator > 0, tp / np.maximum(denominator, 1), 0.0))
    return np.mean(accuracies, axis=0)


def tune_threshold(
    candidates: Sequence[Candidates],
    references: Sequence[tuple[np.ndarray, Sequence[np.ndarray]]],
    thresholds: np.ndarray = THRESHOLDS,
) -> tuple[float, float]:
    """``(threshold, mean accuracy)``: the threshold of ``thresholds`` maximising the mean
    ``mir_eval.multipitch`` accuracy over tracks (:func:`threshold_accuracies`); ties go to
    the lowest threshold."""
    scores = threshold_accuracies(candidates, references, thresholds)
    best = int(np.argmax(scores))
    return float(np.asarray(thresholds)[best]), float(scores[best])

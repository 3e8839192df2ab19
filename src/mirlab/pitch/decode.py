"""Decoding salience (model output over pitch bins) into f0 contours, and voicing.

Salience is ``(n_frames, n_bins)`` with values in [0, 1] over the axis of a
:class:`mirlab.pitch.targets.PitchBins`. Output f0 follows the MIREX convention: 0 Hz is unvoiced.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import librosa
import mir_eval
import numpy as np
import scipy.signal

from mirlab.errors import InputError
from mirlab.pitch.targets import PitchBins

#: The voicing thresholds :func:`tune_voicing_threshold` tries unless told otherwise.
DEFAULT_THRESHOLDS = np.round(np.linspace(0.0, 1.0, 101), 2)


def _validate_salience(salience, bins: PitchBins) -> np.ndarray:
    values = np.asarray(salience)
    if values.ndim != 2 or values.shape[1] != bins.n_bins:
        raise InputError(
            "salience", f"expected shape (n_frames, {bins.n_bins}), got {values.shape}"
        )
    if not np.all(np.isfinite(values)):
        raise InputError("salience", "contains NaN or infinite values")
    if np.any(values < 0):
        raise InputError("salience", "contains negative values (expected sigmoid outputs)")
    return values


def decode_salience(
    salience: np.ndarray, bins: PitchBins, radius_bins: int = 4
) -> tuple[np.ndarray, np.ndarray]:
    """f0 (Hz) and confidence per frame from a salience matrix ``(n_frames, n_bins)``.

    As CREPE: take the peak (argmax) bin, then the salience-weighted average pitch (linear
    in cents) of the bins within ``radius_bins`` bins of it (clipped at the axis ends;
    CREPE uses 4, i.e. 9 bins of 20 cents). Confidence is the peak salience value.

    Every frame gets a positive f0, so that a voicing decision can be taken afterwards
    (:func:`apply_voicing`); a frame whose weights sum to 0 gets the peak bin's centre.
    Returns float64 ``(n_frames,)`` arrays: f0 in Hz and confidence.
    """
    values = _validate_salience(salience, bins).astype(np.float64)
    if isinstance(radius_bins, bool) or not isinstance(radius_bins, int) or radius_bins < 0:
        raise InputError("radius_bins", f"must be a non-negative integer, got {radius_bins!r}")

    peak = np.argmax(values, axis=1)
    confidence = values[np.arange(values.shape[0]), peak]
    neighbours = peak[:, None] + np.arange(-radius_bins, radius_bins + 1)[None, :]
    inside = (neighbours >= 0) & (neighbours < bins.n_bins)
    neighbours = np.clip(neighbours, 0, bins.n_bins - 1)
    weights = np.take_along_axis(values, neighbours, axis=1) * inside
    weight_sum = weights.sum(axis=1)
    midi = bins.midi()
    peak_midi = midi[peak]
    average = (weights * midi[neighbours]).sum(axis=1) / np.where(weight_sum > 0, weight_sum, 1)
    f0_midi = np.where(weight_sum > 0, average, peak_midi)
    return librosa.midi_to_hz(f0_midi), confidence


def apply_voicing(f0_hz: np.ndarray, confidence: np.ndarray, threshold: float) -> np.ndarray:
    """f0 (Hz) in the MIREX convention, voiced iff ``confidence >= threshold``.

    Voiced frames keep their f0; unvoiced frames carry their pitch guess as a negative value
    (MIREX: "unvoiced, but this pitch if it were voiced"), so that ``mir_eval``'s raw pitch
    and chroma accuracy judge the pitch apart from the voicing decision, as the CREPE and
    deep salience papers report them. Voicing metrics and overall accuracy only look at the
    sign. ``f0_hz`` must be positive on every frame (a decoded salience peak always is).
    """
    f0 = np.asarray(f0_hz, dtype=np.float64)
    conf = np.asarray(confidence, dtype=np.float64)
    if f0.shape != conf.shape or f0.ndim != 1:
        raise InputError(
            "confidence",
            f"expected 1-D f0 and confidence of equal length, got {f0.shape} and {conf.shape}",
        )
    if not np.all(f0 > 0):
        # A non-positive f0 would turn its sign, and so its voicing, around.
        raise InputError("f0_hz", "must be positive Hz on every frame (a pitch before voicing)")
    return np.where(conf >= threshold, f0, -f0)


def _as_tracks(values, name: str) -> list[np.ndarray]:
    if isinstance(values, np.ndarray) and values.ndim == 1:
        values = [values]
    tracks = [np.asarray(track, dtype=np.float64) for track in values]
    for index, track in enumerate(tracks):
        if track.ndim != 1:
            raise InputError(name, f"track {index} is not a 1-D array (shape {track.shape})")
        if not np.all(np.isfinite(track)):
            raise InputError(name, f"track {index} contains NaN or infinite values")
    return tracks


def _voicing_accuracy(ref_voicing, ref_cent, est_voicing, est_cent) -> float:
    return float(np.mean((ref_voicing > 0) == (est_voicing > 0)))


#: Metrics :func:`tune_voicing_threshold` can maximise; each takes mir_eval's
#: (ref_voicing, ref_cent, est_voicing, est_cent) frame arrays.
THRESHOLD_METRICS = {
    "overall_accuracy": mir_eval.melody.overall_accuracy,
    "voicing_accuracy": _voicing_accuracy,
}


def tune_voicing_threshold(
    confidences: np.ndarray | Sequence[np.ndarray],
    f0s_hz: np.ndarray | Sequence[np.ndarray],
    reference_f0s_hz: np.ndarray | Sequence[np.ndarray],
    candidates: np.ndarray | None = None,
    metric: str = "overall_accuracy",
) -> float:
    """The voicing threshold that maximises ``metric`` on a validation set.

    Each argument is one 1-D array (one track) or a sequence of them (one per track). For
    each track, ``confidences`` and ``f0s_hz`` come from :func:`decode_salience` (the f0
    before any voicing decision, so every frame carries its pitch guess) and
    ``reference_f0s_hz`` is the reference on the same frame grid (f0 <= 0 unvoiced).

    For each candidate threshold (default: 0.00, 0.01, ..., 1.00), frames with confidence
    >= threshold are voiced; the metric is computed per track with ``mir_eval.melody``
    (50-cent tolerance) and averaged over tracks, as the final evaluation summarises.
    ``metric`` is ``"overall_accuracy"`` (mir_eval OA) or ``"voicing_accuracy"`` (fraction of
    frames whose voicing decision is right). Ties go to the lowest threshold.
    """
    if metric not in THRESHOLD_METRICS:
        raise InputError("metric", f"unknown metric {metric!r}; known: {sorted(THRESHOLD_METRICS)}")
    conf_tracks = _as_tracks(confidences, "confidences")
    f0_tracks = _as_tracks(f0s_hz, "f0s_hz")
    ref_tracks = _as_tracks(reference_f0s_hz, "reference_f0s_hz")
    if not conf_tracks or not (len(conf_tracks) == len(f0_tracks) == len(ref_tracks)):
        raise InputError(
            "confidences",
            f"need the same non-zero number of tracks for confidences, f0s and references, got "
            f"{len(conf_tracks)}, {len(f0_tracks)} and {len(ref_tracks)}",
        )
    thresholds = DEFAULT_THRESHOLDS if candidates is None else np.asarray(candidates, float)
    if thresholds.ndim != 1 or thresholds.size == 0 or not np.all(np.isfinite(thresholds)):
        raise InputError("candidates", "must be a non-empty 1-D array of finite thresholds")

    prepared = []
    for index, (conf, f0, ref) in enumerate(zip(conf_tracks, f0_tracks, ref_tracks, strict=True)):
        if not conf.size == f0.size == ref.size:
            raise InputError(
                "reference_f0s_hz",
                f"track {index}: confidences, f0s and reference have different lengths "
                f"({conf.size}, {f0.size}, {ref.size}); put them on one frame grid first",
            )
        ref_freq, ref_voicing = mir_eval.melody.freq_to_voicing(ref)
        est_cent = mir_eval.melody.hz2cents(np.abs(f0))
        prepared.append((conf, ref_voicing, mir_eval.melody.hz2cents(ref_freq), est_cent))

    score = THRESHOLD_METRICS[metric]
    with warnings.catch_warnings():
        # high candidate thresholds unvoice whole tracks: expected in a sweep, not news
        warnings.filterwarnings("ignore", "Estimated melody has no voiced frames")
        scores = [
            np.mean(
                [
                    score(ref_voicing, ref_cent, (conf >= threshold).astype(float), est_cent)
                    for conf, ref_voicing, ref_cent, est_cent in prepared
                ]
            )
            for threshold in thresholds
        ]
    return float(thresholds[int(np.argmax(scores))])


def decode_multif0(salience: np.ndarray, bins: PitchBins, threshold: float) -> list[np.ndarray]:
    """All salience peaks at or above ``threshold``, per frame, as f0s in Hz.

    Peaks are local maxima along the bin axis (``scipy.signal.find_peaks``; a flat peak
    counts once, at its middle; the two end bins are never peaks). Each peak gives its bin
    centre. Returns one float64 array per frame, in ascending pitch, in the
    ``mir_eval.multipitch`` layout (an empty array for a frame with no pitch).
    """
    values = _validate_salience(salience, bins)
    centres = bins.hz()
    frames = []
    for frame in values:
        peaks, _ = scipy.signal.find_peaks(frame, height=threshold)
        frames.append(centres[peaks])
    return frames

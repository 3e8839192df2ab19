"""Excerpts (track, start, end): audio, annotations and features cut consistently.

An excerpt covers ``[start, end)`` seconds of a track. For audio, ``start`` and ``end`` are
rounded to the nearest sample, and the excerpt's time 0 is its first sample; annotation
rows whose times fall inside the rounded interval are kept and shifted onto that time base.
For features, the frames whose centres (``i * hop_length / sr``) lie in ``[start, end)`` are
kept; slicing a memory-mapped feature reads only those frames.
"""

from __future__ import annotations

import numpy as np

from mirlab.errors import InputError

# Boundaries are compared with this slack (in frames, and in seconds for annotation times)
# so that a time computed in floating point (e.g. 256 / 44100 * k) is not lost to rounding.
_SLACK = 1e-6
_SLACK_S = 1e-9


def cut_excerpt(
    y: np.ndarray,
    sr: int,
    times: np.ndarray,
    values: np.ndarray,
    start: float,
    end: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut audio ``y`` (``sr`` Hz) and a time series annotation to ``[start, end)`` seconds.

    ``start`` and ``end`` are rounded to the nearest sample; ``times`` (s, increasing) index
    the first axis of ``values`` (e.g. f0 in Hz, or one row per time). Returns
    ``(y_cut, times_cut, values_cut)`` with ``times_cut`` relative to the first sample of
    ``y_cut``. ``InputError`` if the interval is reversed, shorter than a sample or not
    inside the track.
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise InputError("excerpt", f"audio must be mono (1-D), got shape {y.shape}")
    _check_interval(start, end, y.size / sr, "track duration")
    first, stop = round(start * sr), round(end * sr)
    if stop <= first:
        raise InputError("excerpt", f"start={start} s to end={end} s is shorter than one sample")
    times_cut, values_cut = cut_annotation(times, values, first / sr, stop / sr)
    return y[first:stop], times_cut, values_cut


def cut_annotation(
    times: np.ndarray, values: np.ndarray, start: float, end: float
) -> tuple[np.ndarray, np.ndarray]:
    """Rows of a time series with ``start <= time < end`` (s), times shifted by ``-start``.

    For an annotation without its audio; ``cut_excerpt`` calls it with the sample-rounded
    interval so that both share one time base.
    """
    _check_interval(start, end, np.inf, "track duration")
    times = np.asarray(times, dtype=np.float64)
    values = np.asarray(values)
    if times.ndim != 1 or values.shape[:1] != times.shape:
        raise InputError(
            "excerpt", f"annotation times {times.shape} and values {values.shape} do not match"
        )
    inside = (times >= start - _SLACK_S) & (times < end - _SLACK_S)
    shifted = np.maximum(times[inside] - start, 0.0)  # the slack must not give negative times
    return shifted, values[inside]


def cut_feature_excerpt(
    feature: np.ndarray, sr: int, hop_length: int, start: float, end: float
) -> np.ndarray:
    """Frames of ``feature`` (frames first) whose centre times lie in ``[start, end)`` s.

    Frame ``i`` is centred at ``i * hop_length / sr``; the result's first frame is frame
    ``ceil(start * sr / hop_length)``. Use ``feature_excerpt_frames`` for the same slice of
    a gridded annotation. ``InputError`` if the interval is reversed or not inside the
    feature's ``n_frames * hop_length / sr`` seconds, or holds no frame centre.
    """
    first, stop = feature_excerpt_frames(len(feature), sr, hop_length, start, end)
    return feature[first:stop]


def feature_excerpt_frames(
    n_frames: int, sr: int, hop_length: int, start: float, end: float
) -> tuple[int, int]:
    """Frame range ``(first, stop)`` (stop exclusive) with centres in ``[start, end)`` s."""
    _check_interval(start, end, n_frames * hop_length / sr, "feature duration")
    first = int(np.ceil(start * sr / hop_length - _SLACK))
    stop = min(int(np.ceil(end * sr / hop_length - _SLACK)), n_frames)
    if stop <= first:
        raise InputError(
            "excerpt", f"start={start} s to end={end} s holds no frame centre at hop {hop_length}"
        )
    return first, stop


def _check_interval(start: float, end: float, duration: float, what: str) -> None:
    """``0 <= start < end <= duration`` (all finite), or an InputError naming the values."""
    if not (np.isfinite(start) and np.isfinite(end)):
        raise InputError("excerpt", f"start={start} and end={end} must be finite seconds")
    if start < 0:
        raise InputError("excerpt", f"start={start} s is before the start of the track")
    if end <= start:
        raise InputError("excerpt", f"end={end} s is not after start={start} s")
    if end > duration + 1e-9:  # tolerate float noise in an end computed as the duration
        raise InputError("excerpt", f"end={end} s is past the {what} of {duration:.6f} s")

"""Melody metrics and the MIREX melody estimate format.

Estimates are always scored against the **original** reference series: the estimate is
resampled onto the reference time grid by ``mir_eval.melody.to_cent_voicing`` (zero-order hold
for voicing, linear interpolation of the pitch in cents), exactly as ``mir_eval.melody.evaluate``
does. Conventions, all mir_eval's:

- frequencies in Hz; ``f0 <= 0`` is unvoiced, and a negative value is the MIREX "unvoiced, but
  this would be the pitch" guess: it counts for the raw pitch/chroma/harmonic accuracies, which
  ignore the voicing decision, and as unvoiced everywhere else;
- a reference that does not start at 0 s gets a copy of its first frame inserted at 0 s, and an
  estimate shorter than the reference is padded with unvoiced frames;
- a pitch is correct when it is strictly less than the tolerance (cents) away from the reference;
- a reference with no voiced frame scores 0 in the raw pitch/chroma/harmonic accuracies and 1 in
  voicing recall (mir_eval's values). mir_eval's ``UserWarning`` for such degenerate series (and
  for the non-uniform estimate grid that rounding times to microseconds produces) is silenced:
  the scores above are the documented answer, and a warning per track would drown the logs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import mir_eval
import numpy as np
import pandas as pd

from mirlab.errors import InputError
from mirlab.evaluation.evaluate import estimate_files, quiet_mir_eval
from mirlab.families.melody import METRICS
from mirlab.storage import atomic_path

#: Suffix of a melody estimate file (MIREX: ``time,f0`` rows).
ESTIMATE_SUFFIX = ".csv"
#: Highest harmonic number scored by the raw harmonic accuracies (``_h2`` ... ``_h5``).
MAX_HARMONIC = 5

#: Melody metric names, in the column order of per-track tables.
MELODY_METRICS = METRICS

_SEPARATOR = re.compile(r"[,\s]+")


def _check_series(times: np.ndarray, f0: np.ndarray, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Validate a (times in s, f0 in Hz) melody series; return float64 copies."""
    times = np.asarray(times, dtype=np.float64)
    f0 = np.asarray(f0, dtype=np.float64)
    if times.ndim != 1 or f0.ndim != 1 or times.shape != f0.shape:
        raise InputError(
            where, f"times {times.shape} and f0 {f0.shape} must be 1-D of the same length"
        )
    if times.size == 0:
        raise InputError(where, "series holds no frames")
    if not (np.all(np.isfinite(times)) and np.all(np.isfinite(f0))):
        raise InputError(where, "series holds NaN or infinite values")
    if times[0] < 0:
        raise InputError(where, f"first time is negative ({times[0]} s)")
    steps = np.flatnonzero(np.diff(times) <= 0)
    if steps.size:
        raise InputError(where, f"time is not increasing at frame {steps[0] + 1}")
    return times, f0


def read_estimate_csv(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Read a MIREX-format melody file: one ``time, f0`` row per frame (s, Hz).

    Columns are separated by a comma and/or whitespace (tabs as in ORCHSET); a non-numeric first
    line is taken as a header and skipped; blank lines are ignored. ``f0 <= 0`` means unvoiced.
    Raises ``InputError`` naming the file (and line) when it is missing or not text, holds no
    rows, a row does not have exactly two numbers, a value is NaN/infinite, or time is negative
    or not strictly increasing.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "estimate file does not exist")
    times: list[float] = []
    f0: list[float] = []
    header_allowed = True
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(path, "not a UTF-8 text file") from None
    for line_number, line in enumerate(text.splitlines(), 1):
        fields = [field for field in _SEPARATOR.split(line.strip()) if field]
        if not fields:
            continue
        try:
            values = [float(field) for field in fields]
        except ValueError:
            if header_allowed:
                header_allowed = False
                continue
            raise InputError(path, f"line {line_number}: cannot parse {line.strip()!r}") from None
        header_allowed = False
        if len(values) != 2:
            raise InputError(
                path, f"line {line_number}: {len(values)} columns, expected 2 (time, f0)"
            )
        if not all(np.isfinite(values)):
            raise InputError(path, f"line {line_number}: NaN or infinite value")
        if values[0] < 0:
            raise InputError(path, f"line {line_number}: negative time {values[0]}")
        if times and values[0] <= times[-1]:
            raise InputError(path, f"line {line_number}: time is not increasing")
        times.append(values[0])
        f0.append(values[1])
    if not times:
        raise InputError(path, "holds no (time, f0) rows")
    return np.array(times, dtype=np.float64), np.array(f0, dtype=np.float64)


def write_estimate_csv(times: np.ndarray, f0: np.ndarray, path: str | Path) -> None:
    """Write a MIREX-format melody file atomically: ``time,f0`` rows, ``%.9f``, no header.

    ``times`` in seconds, ``f0`` in Hz (``<= 0`` unvoiced). The fixed format makes the bytes
    depend only on the values; nine decimals keep a frame grid such as k * 256 / 22050 s
    uniform to mir_eval's check, which warns on every resampling of a coarser rounding.
    """
    times, f0 = _check_series(times, f0, str(path))
    with atomic_path(path) as tmp:
        np.savetxt(tmp, np.column_stack([times, f0]), fmt="%.9f", delimiter=",", newline="\n")


def _overall_chroma_accuracy(
    ref_voicing: np.ndarray,
    ref_cent: np.ndarray,
    est_voicing: np.ndarray,
    est_cent: np.ndarray,
    cent_tolerance: float = 50,
) -> float:
    """``mir_eval.melody.overall_accuracy`` with the pitch judged modulo the octave."""
    nonzero = (est_cent != 0) & (ref_cent != 0)
    diff = np.abs(ref_cent - est_cent)[nonzero]
    octave = 1200.0 * np.floor(diff / 1200.0 + 0.5)
    correct = np.abs(diff - octave) < cent_tolerance
    ref_binary = (ref_voicing > 0).astype(np.float64)
    # Same reward normalisation as mir_eval (ratio is 1 for binary voicing).
    ratio = ref_binary.sum() / ref_voicing.sum() if ref_voicing.sum() > 0 else 0.0
    hits = ratio * np.sum(ref_voicing[nonzero] * est_voicing[nonzero] * correct)
    rejections = np.sum((1.0 - ref_binary) * (1.0 - est_voicing))
    return float((hits + rejections) / len(ref_voicing))


def _raw_harmonic_accuracy(
    ref_voicing: np.ndarray,
    ref_cent: np.ndarray,
    est_cent: np.ndarray,
    max_harmonic: int,
    cent_tolerance: float = 50,
) -> float:
    """Fraction of voiced reference frames whose estimate is a harmonic or subharmonic.

    A frame counts as correct when the estimate is within ``cent_tolerance`` cents of
    ``ref * h`` or ``ref / h`` for some h in 1..``max_harmonic`` (h = 1 is the raw pitch
    accuracy itself). Like the raw pitch accuracy, the voicing decision is ignored and a
    reference without voiced frames scores 0.
    """
    if ref_voicing.sum() == 0:
        return 0.0
    nonzero = (est_cent != 0) & (ref_cent != 0)
    distance = np.abs(est_cent - ref_cent)[nonzero]
    offsets = 1200.0 * np.log2(np.arange(1, max_harmonic + 1))
    correct = np.min(np.abs(distance[:, None] - offsets[None, :]), axis=1) < cent_tolerance
    return float(np.sum(ref_voicing[nonzero] * correct) / np.sum(ref_voicing))


def melody_metrics(
    ref_times: np.ndarray, ref_f0: np.ndarray, est_times: np.ndarray, est_f0: np.ndarray
) -> dict[str, float]:
    """Score one melody estimate against its original reference series.

    Times in seconds, f0 in Hz (``<= 0`` unvoiced). Returns the metrics of
    :data:`MELODY_METRICS`, all fractions in [0, 1]:

    - ``voicing_recall``, ``voicing_false_alarm``, ``raw_pitch_accuracy``,
      ``raw_chroma_accuracy``, ``overall_accuracy``: ``mir_eval.melody`` at 50 cents;
    - ``voicing_accuracy``: fraction of reference frames whose voiced/unvoiced decision is right;
    - ``overall_chroma_accuracy``: overall accuracy with pitch judged modulo the octave;
    - ``raw_{pitch,chroma}_accuracy_{25,10}c``: mir_eval with ``cent_tolerance`` 25 and 10;
    - ``raw_harmonic_accuracy_hH`` (H = 2..5): fraction of voiced reference frames whose
      estimate lies within 50 cents of ``ref * h`` or ``ref / h`` for **any** h in 1..H, so each
      includes the raw pitch accuracy and the lower harmonics (cumulative, non-decreasing in H);
      octave errors count from ``_h2`` on, fifth-above-the-octave errors from ``_h3``.

    Raises ``InputError`` ("reference" or "estimate") on empty, ragged, non-finite or
    non-increasing series. Edge cases follow mir_eval; see the module docstring.
    """
    ref_times, ref_f0 = _check_series(ref_times, ref_f0, "reference")
    est_times, est_f0 = _check_series(est_times, est_f0, "estimate")
    melody = mir_eval.melody
    with quiet_mir_eval():
        ref_v, ref_c, est_v, est_c = melody.to_cent_voicing(ref_times, ref_f0, est_times, est_f0)
        recall, false_alarm = melody.voicing_measures(ref_v, est_v)
        scores = {
            "voicing_recall": recall,
            "voicing_false_alarm": false_alarm,
            "voicing_accuracy": np.mean((ref_v > 0) == (est_v > 0)),
            "raw_pitch_accuracy": melody.raw_pitch_accuracy(ref_v, ref_c, est_v, est_c),
            "raw_chroma_accuracy": melody.raw_chroma_accuracy(ref_v, ref_c, est_v, est_c),
            "overall_accuracy": melody.overall_accuracy(ref_v, ref_c, est_v, est_c),
            "overall_chroma_accuracy": _overall_chroma_accuracy(ref_v, ref_c, est_v, est_c),
        }
        for tolerance in (25, 10):
            scores[f"raw_pitch_accuracy_{tolerance}c"] = melody.raw_pitch_accuracy(
                ref_v, ref_c, est_v, est_c, cent_tolerance=tolerance
            )
            scores[f"raw_chroma_accuracy_{tolerance}c"] = melody.raw_chroma_accuracy(
                ref_v, ref_c, est_v, est_c, cent_tolerance=tolerance
            )
    for harmonic in range(2, MAX_HARMONIC + 1):
        scores[f"raw_harmonic_accuracy_h{harmonic}"] = _raw_harmonic_accuracy(
            ref_v, ref_c, est_c, harmonic
        )
    return {name: float(scores[name]) for name in MELODY_METRICS}


def evaluate_tracks(
    pairs: Iterable[tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
) -> pd.DataFrame:
    """Score many tracks: ``pairs`` yields ``(track_id, ref_times, ref_f0, est_times, est_f0)``.

    Returns one row per track, columns ``track_id`` + :data:`MELODY_METRICS`, sorted by
    ``track_id``. A bad series raises ``InputError`` naming the track; a repeated track id
    raises ``ValueError``.
    """
    rows = []
    seen: set[str] = set()
    for track_id, ref_times, ref_f0, est_times, est_f0 in pairs:
        if track_id in seen:
            raise ValueError(f"track {track_id!r} is given twice")
        seen.add(track_id)
        try:
            scores = melody_metrics(ref_times, ref_f0, est_times, est_f0)
        except InputError as error:
            raise InputError(f"track {track_id} ({error.where})", error.problem) from None
        rows.append({"track_id": track_id, **scores})
    frame = pd.DataFrame(rows, columns=["track_id", *MELODY_METRICS])
    return frame.sort_values("track_id", kind="stable", ignore_index=True)


def evaluate_directory(
    estimates_dir: str | Path, references: Mapping[str, tuple[np.ndarray, np.ndarray]]
) -> pd.DataFrame:
    """Score a folder of MIREX CSVs named ``<track_id>.csv`` (any method's estimates).

    ``references`` maps each track id to its original ``(times in s, f0 in Hz)`` reference;
    the folder must hold exactly one estimate per reference track
    (:func:`mirlab.evaluation.evaluate.estimate_files`). Returns the per-track table of
    :func:`evaluate_tracks`.
    """
    files = estimate_files(estimates_dir, references, ESTIMATE_SUFFIX)
    return evaluate_tracks(
        (track_id, *references[track_id], *read_estimate_csv(files[track_id]))
        for track_id in sorted(references)
    )

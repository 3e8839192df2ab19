"""Multi-pitch metrics (``mir_eval.multipitch``), the MIREX multi-f0 estimate format, and the
references a multi-pitch experiment scores against.

An estimate is one text file per track (``<track_id>.txt``): one row per frame, the time (s)
then the f0s (Hz) sounding in it, tab separated; a row with a time only is a frame without
pitch. ``mir_eval.io.load_ragged_time_series`` reads it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import mir_eval
import numpy as np
import pandas as pd

from mirlab.data.annotations import multif0_from_frame, notes_from_frame, notes_to_grid
from mirlab.data.cache import DatasetPaths
from mirlab.errors import InputError
from mirlab.evaluation.evaluate import estimate_files, quiet_mir_eval
from mirlab.families.multipitch import METRICS as FAMILY_METRICS
from mirlab.storage import atomic_path

#: File suffix of a multi-f0 estimate.
ESTIMATE_SUFFIX = ".txt"
#: Frame period (s) at which a note-list reference is sampled: MIREX multi-f0's 10 ms.
NOTES_REFERENCE_HOP = 0.01

#: Per-track metric columns of :func:`multipitch_metrics`, in order (defined with the
#: family, which planning imports without mir_eval).
METRICS = FAMILY_METRICS


def _snake_case(name: str) -> str:
    return name.lower().replace(" ", "_")


def _f_measure(precision: float, recall: float) -> float:
    """F = 2PR / (P + R); 0 where P + R = 0."""
    return 2.0 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0


def multipitch_metrics(
    ref_times: np.ndarray,
    ref_freqs: Sequence[np.ndarray],
    est_times: np.ndarray,
    est_freqs: Sequence[np.ndarray],
) -> dict[str, float]:
    """``mir_eval.multipitch.evaluate`` with snake_case names (``precision``, ``recall``,
    ``accuracy``, ``substitution_error``, ..., ``chroma_total_error``), plus ``f_measure``
    and ``chroma_f_measure`` (2PR / (P + R), which mir_eval does not report).

    Times in seconds; ``ref_freqs``/``est_freqs`` hold one array of active frequencies (Hz,
    possibly empty) per frame. The estimate is resampled onto the reference grid by mir_eval.
    """
    with quiet_mir_eval():
        scores = mir_eval.multipitch.evaluate(
            np.asarray(ref_times, dtype=np.float64),
            [np.asarray(f, dtype=np.float64) for f in ref_freqs],
            np.asarray(est_times, dtype=np.float64),
            [np.asarray(f, dtype=np.float64) for f in est_freqs],
        )
    values = {_snake_case(name): float(value) for name, value in scores.items()}
    for prefix in ("", "chroma_"):
        values[f"{prefix}f_measure"] = _f_measure(
            values[f"{prefix}precision"], values[f"{prefix}recall"]
        )
    return {name: values[name] for name in METRICS}


def write_estimate(times: np.ndarray, freqs: Sequence[np.ndarray], path: str | Path) -> None:
    """Write a MIREX multi-f0 file: per frame the time (s) then its f0s (Hz), tab separated.

    ``times`` increasing and non-negative; each frame's f0s finite and > 0 (an empty array is
    a frame without pitch). Written atomically.
    """
    times = np.asarray(times, dtype=np.float64)
    if times.ndim != 1 or len(freqs) != times.size:
        raise InputError(path, f"{len(freqs)} frames of f0s for {times.size} times")
    if not np.all(np.isfinite(times)) or np.any(times < 0) or np.any(np.diff(times) <= 0):
        raise InputError(path, "frame times must be finite, non-negative and increasing")
    lines = []
    for time, frame in zip(times, freqs, strict=True):
        frame = np.asarray(frame, dtype=np.float64).reshape(-1)
        if not np.all(np.isfinite(frame)) or np.any(frame <= 0):
            raise InputError(path, f"frame at {time:.6f} s: f0s must be finite and > 0 Hz")
        lines.append("\t".join([f"{time:.6f}", *(f"{f:.4f}" for f in frame)]))
    with atomic_path(path) as tmp:
        Path(tmp).write_text("\n".join(lines) + "\n")


def read_estimate(path: str | Path) -> tuple[np.ndarray, list[np.ndarray]]:
    """Read a MIREX multi-f0 file: ``(times s, one f0 array in Hz per frame)``.

    ``InputError`` naming the file for a missing or empty file, an unparsable row, times that
    do not increase, or an f0 that is not a positive finite number.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "multi-f0 estimate file does not exist")
    try:
        times, freqs = mir_eval.io.load_ragged_time_series(str(path), header=False)
    except ValueError as error:
        raise InputError(
            path, f"not a multi-f0 file (time, then f0s, tab separated): {error}"
        ) from error
    times = np.asarray(times, dtype=np.float64)
    if times.size == 0:
        raise InputError(path, "multi-f0 estimate file has no rows")
    if not np.all(np.isfinite(times)) or np.any(times < 0) or np.any(np.diff(times) <= 0):
        raise InputError(path, "times must be finite, non-negative and increasing")
    freqs = [np.asarray(frame, dtype=np.float64) for frame in freqs]
    for time, frame in zip(times, freqs, strict=True):
        if not np.all(np.isfinite(frame)) or np.any(frame <= 0):
            raise InputError(path, f"row at {time:.6f} s: f0s must be finite and > 0 Hz")
    return times, freqs


def _table_multif0(
    data: DatasetPaths, table: pd.DataFrame, track_id: str
) -> tuple[np.ndarray, list[np.ndarray]]:
    """One track's original reference as multi-f0 frames (a note list sampled every 10 ms)."""
    if data.reference == "notes" and "start" in table.columns:
        intervals, pitches = notes_from_frame(table, track_id)
        end = float(intervals[:, 1].max(initial=0.0))
        times = np.arange(0.0, end + NOTES_REFERENCE_HOP, NOTES_REFERENCE_HOP)
        return times, notes_to_grid(intervals, pitches, times, where=f"notes of {track_id!r}")
    return multif0_from_frame(table, track_id)


def references(
    data: DatasetPaths, track_ids: Sequence[str]
) -> dict[str, tuple[np.ndarray, list[np.ndarray]]]:
    """Original references ``(times s, f0s Hz per frame)`` of ``track_ids``: what evaluation
    scores against. A ``notes`` reference is sampled at :data:`NOTES_REFERENCE_HOP`."""
    tables = data.annotation_tables("original", list(track_ids))
    return {track_id: _table_multif0(data, tables[track_id], track_id) for track_id in track_ids}


def grid_references(data: DatasetPaths, track_ids: Sequence[str]) -> list[list[np.ndarray]]:
    """The reference f0s (Hz) of each frame of the experiment's frame grid, per track."""
    tables = data.annotation_tables("grid", list(track_ids))
    return [multif0_from_frame(tables[track_id], track_id)[1] for track_id in track_ids]


def evaluate_tracks(
    rows: Iterable[tuple[str, np.ndarray, Sequence, np.ndarray, Sequence]],
) -> pd.DataFrame:
    """Per-track table (``track_id`` then :data:`METRICS`) of ``(track_id, ref_times,
    ref_freqs, est_times, est_freqs)`` rows."""
    records = [{"track_id": track_id, **multipitch_metrics(*series)} for track_id, *series in rows]
    return pd.DataFrame(records, columns=["track_id", *METRICS])


def evaluate_directory(
    estimates_dir: str | Path, refs: Mapping[str, tuple[np.ndarray, list[np.ndarray]]]
) -> pd.DataFrame:
    """Score a folder of multi-f0 files ``<track_id>.txt``, exactly one per reference track
    (:func:`mirlab.evaluation.evaluate.estimate_files`), against ``refs``."""
    files = estimate_files(estimates_dir, refs, ESTIMATE_SUFFIX)
    return evaluate_tracks(
        (track_id, *refs[track_id], *read_estimate(files[track_id])) for track_id in sorted(refs)
    )

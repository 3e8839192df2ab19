"""Annotations on the model frame grid, and as columnar (Parquet-ready) tables.

Grid conversion uses mir_eval's own resamplers, so a gridded reference means exactly what
mir_eval means by it: ``melody_to_grid`` wraps ``mir_eval.melody.resample_melody_series``
(linear pitch, zero-order-hold voicing), ``multif0_to_grid`` wraps
``mir_eval.multipitch.resample_multipitch`` (nearest neighbour), and ``chords_to_grid``
wraps ``mir_eval.util.interpolate_intervals``. Times are in seconds, frequencies in Hz;
input melodies follow the MIREX convention (f0 <= 0 is unvoiced, a negative value may carry
a pitch guess) and gridded melodies mark unvoiced frames with 0.

Tables have one row per annotation sample (or chord segment) and a ``track_id`` column, so
one Parquet file can hold a whole dataset:

- melody: ``track_id, time, f0``
- multi-f0: ``track_id, time, f0s`` (``f0s`` is a list of Hz values, possibly empty)
- chords: ``track_id, start, end, label`` (Harte syntax)
- notes: ``track_id, start, end, pitch`` (s, s, Hz)

``to_grid`` turns one track's rows of any of these tables into the same table on the frame
grid: ``track_id, time, f0`` for f0 kinds (melody, pitch, bass), ``track_id, time, f0s`` for
multif0 and notes (the pitches of the notes sounding at each frame), ``track_id, time,
label`` for chords.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import mir_eval
import numpy as np
import pandas as pd

from mirlab.errors import InputError

#: Label of frames outside every chord segment (mir_eval's "no chord").
NO_CHORD = "N"

MELODY_COLUMNS = ("track_id", "time", "f0")
MULTIF0_COLUMNS = ("track_id", "time", "f0s")
CHORD_COLUMNS = ("track_id", "start", "end", "label")
NOTE_COLUMNS = ("track_id", "start", "end", "pitch")
#: Annotation kinds stored as one f0 value per time stamp (melody_frame tables).
F0_KINDS = ("melody", "pitch", "bass")


def melody_to_grid(
    times: np.ndarray,
    f0: np.ndarray,
    frame_times: np.ndarray,
    *,
    where: str | Path = "melody annotation",
) -> np.ndarray:
    """Melody f0 (Hz, MIREX convention) at ``times`` (s) -> f0 at ``frame_times`` (s).

    Uses ``mir_eval.melody.resample_melody_series`` (linear in Hz, voicing held from the
    previous sample) on the frames inside the annotated span ``[times[0], times[-1]]``;
    frames outside it are unvoiced. Unvoiced frames are 0 in the output. ``where`` names
    the source in errors.
    """
    times, f0 = _time_series(times, f0, where, min_rows=2)
    frame_times = _frame_times(frame_times)
    freqs, voicing = mir_eval.melody.freq_to_voicing(f0)
    out = np.zeros(frame_times.shape, dtype=np.float64)
    # Outside the annotated span mir_eval would fail (before it) or hold the last voicing
    # up to the last frame (after it); neither frame is annotated, so both stay unvoiced.
    # Rounding as mir_eval does keeps a frame that coincides with an end sample.
    rounded = np.round(frame_times, 10)
    inside = (rounded >= np.round(times[0], 10)) & (rounded <= np.round(times[-1], 10))
    if np.any(inside):
        freqs_new, voicing_new = mir_eval.melody.resample_melody_series(
            times, freqs, voicing, frame_times[inside]
        )
        out[inside] = np.where(voicing_new > 0.5, freqs_new, 0.0)
    return out


def multif0_to_grid(
    times: np.ndarray,
    freqs_list: Sequence[np.ndarray],
    frame_times: np.ndarray,
    *,
    where: str | Path = "multi-f0 annotation",
) -> list[np.ndarray]:
    """Multi-f0 (a list of Hz arrays per time in ``times``) -> one Hz array per frame.

    Uses ``mir_eval.multipitch.resample_multipitch`` (nearest sample); frames outside the
    annotated time range get an empty array.
    """
    freqs_list = [np.asarray(f, dtype=np.float64).reshape(-1) for f in freqs_list]
    times, _ = _time_series(times, np.zeros(len(freqs_list)), where, min_rows=0)
    for row, freqs in enumerate(freqs_list):
        if not np.all(np.isfinite(freqs)) or np.any(freqs <= 0):
            raise InputError(where, f"row {row}: frequencies must be finite and > 0 Hz")
    return mir_eval.multipitch.resample_multipitch(times, freqs_list, _frame_times(frame_times))


def chords_to_grid(
    intervals: np.ndarray,
    labels: Sequence[str],
    frame_times: np.ndarray,
    *,
    where: str | Path = "chord annotation",
) -> np.ndarray:
    """Chord label of the segment containing each frame time, ``"N"`` outside all segments.

    ``intervals`` is ``(n, 2)`` start/end in seconds; a frame at ``start <= t <= end`` gets
    the segment's label, and where segments touch or overlap the later one wins (so
    contiguous segments act as ``[start, end)``). Via ``mir_eval.util.interpolate_intervals``.
    Returns an array of str.
    """
    intervals, labels = _chord_segments(intervals, labels, where)
    aligned = mir_eval.util.interpolate_intervals(
        intervals, labels, _frame_times(frame_times), fill_value=NO_CHORD
    )
    return np.asarray(aligned, dtype=str)


def notes_to_grid(
    intervals: np.ndarray,
    pitches: np.ndarray,
    frame_times: np.ndarray,
    *,
    where: str | Path = "note annotation",
) -> list[np.ndarray]:
    """Pitches (Hz) of the notes sounding at each frame time: ``start <= t < end``.

    ``intervals`` is ``(n, 2)`` onset/offset in seconds and ``pitches`` one Hz value per note.
    Returns one array per frame, in note order, empty where no note sounds.
    """
    intervals, pitches = _note_events(intervals, pitches, where)
    frame_times = _frame_times(frame_times)
    first = np.searchsorted(frame_times, intervals[:, 0], side="left")
    stop = np.searchsorted(frame_times, intervals[:, 1], side="left")
    sounding: list[list[float]] = [[] for _ in frame_times]
    for begin, end, pitch in zip(first, stop, pitches, strict=True):
        for frame in range(begin, end):
            sounding[frame].append(pitch)
    return [np.asarray(values, dtype=np.float64) for values in sounding]


def to_grid(kind: str, track_id: str, rows: pd.DataFrame, frame_times: np.ndarray) -> pd.DataFrame:
    """One track's annotation table rows of ``kind`` resampled onto ``frame_times`` (s).

    f0 kinds give ``track_id, time, f0`` (unvoiced 0), multif0 and notes give
    ``track_id, time, f0s``, chords give ``track_id, time, label``.
    """
    where = f"{kind} annotation of track {track_id!r}"
    frame_times = _frame_times(frame_times)
    if kind in F0_KINDS:
        times, f0 = melody_from_frame(rows, track_id)
        return melody_frame(
            track_id, frame_times, melody_to_grid(times, f0, frame_times, where=where)
        )
    if kind == "multif0":
        times, freqs = multif0_from_frame(rows, track_id)
        gridded = multif0_to_grid(times, freqs, frame_times, where=where)
        return multif0_frame(track_id, frame_times, gridded)
    if kind == "notes":
        intervals, pitches = notes_from_frame(rows, track_id)
        gridded = notes_to_grid(intervals, pitches, frame_times, where=where)
        return multif0_frame(track_id, frame_times, gridded)
    if kind == "chords":
        intervals, labels = chords_from_frame(rows, track_id)
        return pd.DataFrame(
            {
                "track_id": pd.Series([track_id] * frame_times.size, dtype="string"),
                "time": frame_times,
                "label": pd.Series(
                    chords_to_grid(intervals, labels, frame_times, where=where), dtype="string"
                ),
            }
        )
    raise InputError(where, f"no grid conversion for annotation kind {kind!r}")


def melody_frame(track_id: str, times: np.ndarray, f0: np.ndarray) -> pd.DataFrame:
    """Melody as a table with columns ``track_id, time, f0`` (s, Hz; MIREX voicing kept)."""
    times, f0 = _time_series(times, f0, track_id, min_rows=0)
    return pd.DataFrame(
        {
            "track_id": pd.Series([track_id] * times.size, dtype="string"),
            "time": times,
            "f0": f0,
        }
    )


def melody_from_frame(df: pd.DataFrame, track_id: str) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of ``melody_frame`` for one track of a (possibly multi-track) table."""
    rows = _track_rows(df, track_id, MELODY_COLUMNS)
    return rows["time"].to_numpy(np.float64), rows["f0"].to_numpy(np.float64)


def multif0_frame(
    track_id: str, times: np.ndarray, freqs_list: Sequence[np.ndarray]
) -> pd.DataFrame:
    """Multi-f0 as a table ``track_id, time, f0s`` with ``f0s`` a list<double> column (Hz)."""
    times, _ = _time_series(times, np.zeros(len(freqs_list)), track_id, min_rows=0)
    # float64 arrays (not Python lists) make pyarrow store list<double> even when a row, or
    # every row, is empty; an ArrowDtype column would not survive pd.read_parquet (pandas 3)
    f0s = [np.asarray(f, dtype=np.float64).reshape(-1) for f in freqs_list]
    return pd.DataFrame(
        {
            "track_id": pd.Series([track_id] * times.size, dtype="string"),
            "time": times,
            "f0s": pd.Series(f0s, dtype=object),
        }
    )


def multif0_from_frame(df: pd.DataFrame, track_id: str) -> tuple[np.ndarray, list[np.ndarray]]:
    """Inverse of ``multif0_frame``: times (s) and one Hz array per time."""
    rows = _track_rows(df, track_id, MULTIF0_COLUMNS)
    freqs = [np.asarray(f, dtype=np.float64).reshape(-1) for f in rows["f0s"]]
    return rows["time"].to_numpy(np.float64), freqs


def chords_frame(track_id: str, intervals: np.ndarray, labels: Sequence[str]) -> pd.DataFrame:
    """Chord segments as a table ``track_id, start, end, label`` (s, Harte labels)."""
    intervals, labels = _chord_segments(intervals, labels, track_id)
    return pd.DataFrame(
        {
            "track_id": pd.Series([track_id] * len(labels), dtype="string"),
            "start": intervals[:, 0],
            "end": intervals[:, 1],
            "label": pd.Series(labels, dtype="string"),
        }
    )


def notes_frame(track_id: str, intervals: np.ndarray, pitches: np.ndarray) -> pd.DataFrame:
    """Notes as a table ``track_id, start, end, pitch`` (s, s, Hz)."""
    intervals, pitches = _note_events(intervals, pitches, track_id)
    return pd.DataFrame(
        {
            "track_id": pd.Series([track_id] * pitches.size, dtype="string"),
            "start": intervals[:, 0],
            "end": intervals[:, 1],
            "pitch": pitches,
        }
    )


def notes_from_frame(df: pd.DataFrame, track_id: str) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of ``notes_frame``: ``(n, 2)`` intervals (s) and pitches (Hz)."""
    rows = _track_rows(df, track_id, NOTE_COLUMNS)
    intervals = rows[["start", "end"]].to_numpy(np.float64).reshape(-1, 2)
    return intervals, rows["pitch"].to_numpy(np.float64)


def chords_from_frame(df: pd.DataFrame, track_id: str) -> tuple[np.ndarray, list[str]]:
    """Inverse of ``chords_frame``: ``(n, 2)`` intervals (s) and labels."""
    rows = _track_rows(df, track_id, CHORD_COLUMNS)
    intervals = rows[["start", "end"]].to_numpy(np.float64).reshape(-1, 2)
    return intervals, [str(label) for label in rows["label"]]


# --- internals -------------------------------------------------------------------------------


def _time_series(
    times: np.ndarray, values: np.ndarray, where: str | Path, min_rows: int
) -> tuple[np.ndarray, np.ndarray]:
    """Validated (times, values) as float64: finite, times >= 0 and strictly increasing."""
    times = np.asarray(times, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    if times.ndim != 1 or values.ndim != 1 or times.shape != values.shape:
        raise InputError(
            where,
            f"times and values must be 1-D of equal length, got {times.shape}, {values.shape}",
        )
    if times.size < min_rows:
        raise InputError(where, f"needs at least {min_rows} rows, got {times.size}")
    bad_time = ~np.isfinite(times) | (times < 0)
    if np.any(bad_time):
        row = int(np.argmax(bad_time))
        raise InputError(where, f"time at row {row} is NaN, infinite or negative ({times[row]})")
    if np.any(np.diff(times) <= 0):
        row = int(np.argmax(np.diff(times) <= 0)) + 1
        raise InputError(where, f"time column is not increasing at row {row} ({times[row]} s)")
    if not np.all(np.isfinite(values)):
        row = int(np.argmax(~np.isfinite(values)))
        raise InputError(where, f"value at row {row} is NaN or infinite ({values[row]})")
    return times, values


def _frame_times(frame_times: np.ndarray) -> np.ndarray:
    frame_times = np.asarray(frame_times, dtype=np.float64)
    if frame_times.ndim != 1 or np.any(np.diff(frame_times) < 0):
        raise InputError("frame_times", "must be a 1-D non-decreasing array of seconds")
    return frame_times


def _chord_segments(
    intervals: np.ndarray, labels: Sequence[str], where: str | Path
) -> tuple[np.ndarray, list[str]]:
    intervals = np.asarray(intervals, dtype=np.float64)
    labels = [str(label) for label in labels]
    # an empty annotation may arrive as shape (0,) from a reader
    if intervals.size == 0:
        intervals = intervals.reshape(0, 2)
    if intervals.ndim != 2 or intervals.shape[1] != 2 or len(intervals) != len(labels):
        raise InputError(
            where, f"need (n, 2) intervals and n values, got {intervals.shape} and {len(labels)}"
        )
    if not np.all(np.isfinite(intervals)):
        raise InputError(where, "interval times must be finite")
    try:
        mir_eval.util.validate_intervals(intervals)
    except ValueError as error:
        raise InputError(where, f"invalid intervals ({error})") from error
    return intervals, labels


def _note_events(
    intervals: np.ndarray, pitches: np.ndarray, where: str | Path
) -> tuple[np.ndarray, np.ndarray]:
    pitches = np.asarray(pitches, dtype=np.float64).reshape(-1)
    intervals, _ = _chord_segments(intervals, [""] * pitches.size, where)
    if not np.all(np.isfinite(pitches)) or np.any(pitches <= 0):
        raise InputError(where, "note pitches must be finite and > 0 Hz")
    return intervals, pitches


def _track_rows(df: pd.DataFrame, track_id: str, columns: Sequence[str]) -> pd.DataFrame:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError("annotation table", f"missing columns {missing}; has {list(df.columns)}")
    rows = df[df["track_id"] == track_id]
    if rows.empty:
        raise InputError("annotation table", f"has no rows for track {track_id!r}")
    return rows

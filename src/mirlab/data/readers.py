"""Readers of native annotation files: times in seconds, frequencies in Hz.

``READERS`` holds one reader per native annotation format; each validates what it reads
(missing, unparseable or empty file, NaN or negative times, a time column that is not
strictly increasing, NaN f0, reversed or overlapping chord segments, bad chord labels) and
raises :class:`~mirlab.errors.InputError` naming the file and the problem. f0 follows the
MIREX convention (f0 <= 0 means unvoiced). :func:`read_annotation` reads a
:class:`~mirlab.data.datasets.Annotation` with the reader of its format.

The file formats are parsed with ``mir_eval.io``, so an annotation means what mir_eval
means by it. (This module, not :mod:`mirlab.data.datasets`, imports mir_eval: a job that only
handles audio need not pay for it.)
"""

from __future__ import annotations

import inspect
import io
import warnings
from collections.abc import Callable
from pathlib import Path

import librosa
import mir_eval
import numpy as np
import scipy.io

from mirlab.data.datasets import Annotation
from mirlab.errors import InputError

#: Hop of the iKala ``.pv`` pitch labels in seconds; frame i is centred at (i + 1/2) hops.
IKALA_HOP_S = 0.032
#: Hop of the Bach10 ground-truth f0 in seconds (441 samples at 44.1 kHz).
BACH10_HOP_S = 0.010
#: Centre of the first Bach10 frame in seconds: half of its 46 ms (2048-sample) window.
BACH10_FIRST_FRAME_S = 0.023
#: Consecutive chord segments may overlap by this much (s): the Billboard ``.lab`` files
#: carry float round-off of ~1e-14 s at segment joins.
CHORD_OVERLAP_TOLERANCE_S = 1e-3
#: How far (s) an annotation may run past the end of its audio: more than the longest hop
#: of any supported format (iKala, 32 ms) plus 50 ms for segment ends rounded by annotators.
END_TOLERANCE_S = 0.1


class _NamedText(io.StringIO):
    """The text of a file, whose ``str`` is the file's path so mir_eval's errors name it."""

    def __init__(self, text: str, path: Path):
        super().__init__(text)
        self.path = path

    def __str__(self) -> str:
        return str(self.path)


def _read_text(path: Path, strip_trailing: str = "", header: str | None = None) -> _NamedText:
    """The text of an annotation file, ready for ``mir_eval.io``.

    Blank lines become comment lines, which mir_eval skips while keeping its line numbers;
    ``strip_trailing`` characters are removed from the end of each line. With ``header``,
    a first line that starts with it (a column header such as MAPS' ``OnsetTime``) becomes
    a comment line too.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "annotation file does not exist")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise InputError(path, f"cannot read annotation file ({error})") from error
    except UnicodeDecodeError as error:
        raise InputError(path, "not a text annotation file (not valid UTF-8)") from error
    if not text.strip():
        raise InputError(path, "annotation file is empty")
    lines = [line.rstrip().rstrip(strip_trailing) or "#" for line in text.splitlines()]
    if header is not None and lines and lines[0].lstrip().startswith(header):
        lines[0] = "#"
    return _NamedText("\n".join(lines) + "\n", path)


def _parse(
    path: Path,
    load: Callable,
    *args,
    strip_trailing: str = "",
    header: str | None = None,
    **kwargs,
):
    """Call a ``mir_eval.io`` loader on ``path``; a parse error becomes an ``InputError``."""
    handle = _read_text(path, strip_trailing, header)
    try:
        with warnings.catch_warnings():
            # mir_eval only warns about bad intervals; the readers check them with row numbers
            warnings.simplefilter("ignore", UserWarning)
            return load(handle, *args, **kwargs)
    except ValueError as error:
        detail = str(error).strip().splitlines()[0].replace(f"{path}:", "line ").rstrip(":")
        raise InputError(path, f"cannot parse annotation: {detail}") from error


def _check_not_empty(path: Path, n_rows: int) -> None:
    if n_rows == 0:
        raise InputError(path, "annotation file holds no data rows")


def _check_finite(path: Path, values: np.ndarray, what: str) -> None:
    """``values`` (one per data row) must be finite; the error names the first bad row."""
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise InputError(path, f"{what} is {values[bad[0]]} at data row {bad[0] + 1}")


def _check_times(path: Path, times: np.ndarray) -> None:
    """Frame times must be finite, non-negative and strictly increasing."""
    _check_finite(path, times, "time")
    negative = np.flatnonzero(times < 0)
    if negative.size:
        row = negative[0]
        raise InputError(path, f"negative time {times[row]} s at data row {row + 1}")
    steps = np.flatnonzero(np.diff(times) <= 0)
    if steps.size:
        row = steps[0] + 1
        raise InputError(
            path,
            f"time column is not strictly increasing at data row {row + 1} "
            f"({times[row]} s after {times[row - 1]} s)",
        )


def _check_intervals(path: Path, intervals: np.ndarray, overlap_tolerance: float | None) -> None:
    """Segments must have finite, non-negative times and end no earlier than they start;
    with ``overlap_tolerance`` not None, each must also start after the previous one ends."""
    _check_finite(path, intervals[:, 0], "start time")
    _check_finite(path, intervals[:, 1], "end time")
    negative = np.flatnonzero(intervals[:, 0] < 0)
    if negative.size:
        raise InputError(path, f"negative start time at data row {negative[0] + 1}")
    reversed_rows = np.flatnonzero(intervals[:, 1] < intervals[:, 0])
    if reversed_rows.size:
        row = reversed_rows[0]
        raise InputError(
            path,
            f"segment ends before it starts at data row {row + 1} "
            f"({intervals[row, 0]} s to {intervals[row, 1]} s)",
        )
    if overlap_tolerance is None:
        return
    overlaps = np.flatnonzero(intervals[1:, 0] < intervals[:-1, 1] - overlap_tolerance)
    if overlaps.size:
        row = overlaps[0] + 1
        raise InputError(
            path,
            f"segment at data row {row + 1} starts at {intervals[row, 0]} s, before the "
            f"previous one ends ({intervals[row - 1, 1]} s): segments overlap or are unsorted",
        )


def _read_time_f0(path: str | Path, delimiter: str) -> tuple[np.ndarray, np.ndarray]:
    """Two columns, time (s) and f0 (Hz), split by the ``delimiter`` regular expression."""
    path = Path(path)
    times, f0 = _parse(path, mir_eval.io.load_time_series, delimiter=delimiter)
    _check_not_empty(path, len(times))
    _check_times(path, times)
    _check_finite(path, f0, "f0")
    return times, f0


def read_medleydb_melody(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Headerless CSV ``time,f0`` (MedleyDB MELODY1/2 and pitch, MDB-*-synth ``.csv``).

    Returns (times [s], f0 [Hz]); f0 <= 0 is unvoiced (negative values, a pitch guess for
    an unvoiced frame, are kept as they are, as ``mir_eval.melody`` expects).
    """
    return _read_time_f0(path, ",")


def read_orchset_mel(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """ORCHSET ``GT/*.mel``: tab separated ``time f0``; returns (times [s], f0 [Hz])."""
    return _read_time_f0(path, "\t")


def read_mirex_txt(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """ADC2004 / MIREX05 ``*REF.txt``: whitespace separated ``time f0`` (s, Hz)."""
    return _read_time_f0(path, r"\s+")


def read_wjazzd_f0(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """WJazzD ``*_FINAL_f0.csv``: headerless ``time,f0`` rows (s, Hz).

    Assumed layout (the format is not publicly documented): two columns, separated by a
    comma and/or whitespace, no header line; f0 <= 0 is unvoiced.
    """
    return _read_time_f0(path, r"[,\s]+")


def _read_ragged_f0(path: Path) -> tuple[np.ndarray, list[np.ndarray]]:
    times, values = _parse(
        path, mir_eval.io.load_ragged_time_series, delimiter=",", strip_trailing=","
    )
    _check_not_empty(path, len(times))
    _check_times(path, times)
    for row, frame in enumerate(values):
        if not np.all(np.isfinite(frame)):
            raise InputError(path, f"f0 is not a finite number at data row {row + 1}")
    return times, values


def read_medleydb_multif0(path: str | Path) -> tuple[np.ndarray, list[np.ndarray]]:
    """MedleyDB MELODY3: CSV ``time,f0_1,...,f0_k`` with k fixed, 0 where a line is silent.

    Returns (times [s], one array per frame of its positive f0 values [Hz]).
    """
    path = Path(path)
    times, values = _read_ragged_f0(path)
    widths = np.array([len(frame) for frame in values])
    changed = np.flatnonzero(widths != widths[0])
    if changed.size:
        raise InputError(
            path,
            f"data row {changed[0] + 1} has {widths[changed[0]]} f0 columns, "
            f"the first row {widths[0]}",
        )
    return times, [frame[frame > 0] for frame in values]


def read_mdb_mf0(path: str | Path) -> tuple[np.ndarray, list[np.ndarray]]:
    """Ragged CSV ``time[,f0,...]`` (MDB-mf0-synth, synth ``_MULTIF0.csv``).

    A row may hold any number of f0 values (none: silence) and may end with a comma.
    Returns (times [s], one array per frame of its positive f0 values [Hz]).
    """
    times, values = _read_ragged_f0(Path(path))
    return times, [frame[frame > 0] for frame in values]


def _midi_to_hz(midi: np.ndarray) -> np.ndarray:
    """MIDI note numbers to Hz, with 0 (silence) mapped to 0 Hz (unvoiced)."""
    return np.where(midi > 0, librosa.midi_to_hz(midi), 0.0)


def read_ikala_pv(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """iKala ``PitchLabel/*.pv``: one MIDI number per line, 0 = unvoiced, 32 ms hop.

    Frame i is centred at ``(i + 1/2) * 32 ms`` (the first at 16 ms, as mirdata reads it).
    Returns (times [s], f0 [Hz]).
    """
    path = Path(path)
    midi = np.asarray(_parse(path, mir_eval.io.load_delimited, [float]), dtype=float)
    _check_not_empty(path, len(midi))
    _check_finite(path, midi, "MIDI pitch")
    times = IKALA_HOP_S * (np.arange(len(midi)) + 0.5)
    return times, _midi_to_hz(midi)


def read_bach10_mat(
    path: str | Path, part: int | None = None
) -> tuple[np.ndarray, list[np.ndarray]] | tuple[np.ndarray, np.ndarray]:
    """Bach10 ``<piece>-GTF0s.mat``: a ``GTF0s`` matrix of MIDI pitches, one row per part
    (violin, clarinet, saxophone, bassoon), one column per 10 ms frame, 0 = silent.

    Frame i is centred at ``23 ms + i * 10 ms`` (46 ms windows, 10 ms hop). With
    ``part=None`` returns multi-f0 (times [s], one array of f0 [Hz] per frame); with a row
    index returns that part's (times [s], f0 [Hz]) with 0 Hz where it is silent.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "annotation file does not exist")
    try:
        contents = scipy.io.loadmat(path)
    except (ValueError, TypeError, OSError, scipy.io.matlab.MatReadError) as error:
        raise InputError(path, f"cannot read MATLAB file ({error})") from error
    if "GTF0s" not in contents:
        raise InputError(path, "no GTF0s matrix in the MATLAB file")
    midi = np.asarray(contents["GTF0s"], dtype=float)
    if midi.ndim != 2 or midi.size == 0:
        raise InputError(path, f"GTF0s must be a non-empty 2-D matrix, not shape {midi.shape}")
    for row in range(midi.shape[0]):
        _check_finite(path, midi[row], f"MIDI pitch of part {row}")
    times = BACH10_FIRST_FRAME_S + BACH10_HOP_S * np.arange(midi.shape[1])
    f0 = _midi_to_hz(midi)
    if part is None:
        return times, [frame[frame > 0] for frame in f0.T]
    if not 0 <= part < f0.shape[0]:
        raise InputError(path, f"part {part} asked for, but GTF0s has {f0.shape[0]} rows")
    return times, f0[part]


def read_lab_chords(path: str | Path) -> tuple[np.ndarray, list[str]]:
    """Chord ``.lab`` (Billboard, Isophonics, synth): ``start end label`` per line,
    whitespace or tab separated, Harte syntax labels.

    Returns (intervals [s] (n, 2), labels). Segments may not overlap (up to
    ``CHORD_OVERLAP_TOLERANCE_S``) or be reversed; every label must parse with
    ``mir_eval.chord``.
    """
    path = Path(path)
    intervals, labels = _parse(path, mir_eval.io.load_labeled_intervals)
    _check_not_empty(path, len(labels))
    _check_intervals(path, intervals, CHORD_OVERLAP_TOLERANCE_S)
    for row, label in enumerate(labels):
        try:
            mir_eval.chord.encode(label)
        except mir_eval.chord.InvalidChordException as error:
            raise InputError(
                path, f"invalid Harte chord label {label!r} at data row {row + 1}"
            ) from error
    return intervals, labels


def read_notes_csv(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Headerless CSV ``onset,offset,f0`` (s, s, Hz), one note per row, in any order.

    Returns (intervals [s] (n, 2), pitches [Hz]); a note must not end before it starts and
    its f0 must be positive.
    """
    path = Path(path)
    intervals, pitches = _parse(path, mir_eval.io.load_valued_intervals, delimiter=",")
    _check_not_empty(path, len(pitches))
    _check_intervals(path, intervals, overlap_tolerance=None)
    _check_finite(path, pitches, "f0")
    bad = np.flatnonzero(pitches <= 0)
    if bad.size:
        raise InputError(
            path, f"note f0 {pitches[bad[0]]} Hz is not positive at data row {bad[0] + 1}"
        )
    return intervals, pitches


#: Readers by format name: each takes a path and returns validated arrays (see
#: ``mirlab.data.datasets.ANNOTATION_KINDS`` for what each kind returns).
READERS: dict[str, Callable] = {
    "medleydb_melody": read_medleydb_melody,
    "medleydb_multif0": read_medleydb_multif0,
    "mdb_mf0": read_mdb_mf0,
    "orchset_mel": read_orchset_mel,
    "mirex_txt": read_mirex_txt,
    "wjazzd_f0": read_wjazzd_f0,
    "ikala_pv": read_ikala_pv,
    "bach10_mat": read_bach10_mat,
    "lab_chords": read_lab_chords,
    "notes_csv": read_notes_csv,
}


def read_annotation(annotation: Annotation):
    """Read ``annotation`` with the reader of its format (validated arrays, see ``READERS``)."""
    reader = READERS.get(annotation.format)
    if reader is None:
        raise InputError(
            annotation.path,
            f"unknown annotation format {annotation.format!r} (known: {', '.join(READERS)})",
        )
    if annotation.part is None:
        return reader(annotation.path)
    if "part" not in inspect.signature(reader).parameters:
        raise InputError(annotation.path, f"format {annotation.format!r} has no parts")
    return reader(annotation.path, part=annotation.part)


def annotation_end(annotation: Annotation) -> float:
    """The last time (s) ``annotation`` covers: its last frame, or its latest segment end."""
    first = np.asarray(read_annotation(annotation)[0])
    return float(first[:, 1].max() if first.ndim == 2 else first[-1])


def check_annotation_fits_audio(
    annotation: Annotation,
    audio_duration_s: float,
    audio_path: str | Path | None = None,
    tolerance_s: float = END_TOLERANCE_S,
) -> None:
    """Raise ``InputError`` if ``annotation`` runs past its audio by more than ``tolerance_s``.

    ``audio_duration_s`` is the audio's duration in seconds; the message names the
    annotation file and, when given, ``audio_path``.
    """
    end = annotation_end(annotation)
    if end > audio_duration_s + tolerance_s:
        audio = f"its audio {audio_path}" if audio_path is not None else "its audio"
        raise InputError(
            annotation.path,
            f"annotation runs to {end:.3f} s, past the end of {audio} "
            f"({audio_duration_s:.3f} s, tolerance {tolerance_s} s)",
        )

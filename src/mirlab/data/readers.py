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
import pandas as pd
import scipy.io

from mirlab.data.annotations import notes_to_grid
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


def _read_ragged_f0(path: Path, delimiter: str = ",") -> tuple[np.ndarray, list[np.ndarray]]:
    strip = "," if delimiter == "," else ""
    times, values = _parse(
        path, mir_eval.io.load_ragged_time_series, delimiter=delimiter, strip_trailing=strip
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


def read_mirex_multif0_txt(path: str | Path) -> tuple[np.ndarray, list[np.ndarray]]:
    """MIREX multi-f0 rows: whitespace (tab) separated ``time [f0 ...]``, any number of f0
    values per row (none: silence), the format of MIREX multi-f0 references and estimates.

    Returns (times [s], one array per frame of its positive f0 values [Hz]).
    """
    times, values = _read_ragged_f0(Path(path), delimiter=r"\s+")
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
    _check_chord_labels(path, labels)
    return intervals, labels


def _check_chord_labels(path: Path, labels: list[str]) -> None:
    for row, label in enumerate(labels):
        try:
            mir_eval.chord.encode(label)
        except mir_eval.chord.InvalidChordException as error:
            raise InputError(
                path, f"invalid Harte chord label {label!r} at data row {row + 1}"
            ) from error


def _jams_annotation(path: Path, namespace: str):
    """The first annotation of ``namespace`` in a JAMS file (``jams`` does the parsing and
    the namespace conversion, e.g. ``chord_harte`` read as ``chord``)."""
    import jams

    if not path.is_file():
        raise InputError(path, "annotation file does not exist")
    try:
        document = jams.load(str(path), validate=False)
        found = document.search(namespace=namespace)
        if not found:
            found = [jams.nsconvert.convert(a, namespace) for a in document.annotations
                     if jams.nsconvert.can_convert(a, namespace)]  # fmt: skip
    except (ValueError, TypeError, KeyError, OSError, jams.exceptions.JamsError) as error:
        raise InputError(path, f"cannot read JAMS file ({error})") from error
    if not found:
        raise InputError(path, f"holds no {namespace!r} annotation")
    return found[0]


def read_jams_chords(path: str | Path) -> tuple[np.ndarray, list[str]]:
    """Chords of a ``.jams`` file: its first ``chord`` annotation (or one convertible to it,
    e.g. ``chord_harte``). Returns (intervals [s] (n, 2), Harte labels), checked as
    :func:`read_lab_chords` checks a ``.lab``."""
    path = Path(path)
    intervals, labels = _jams_annotation(path, "chord").to_interval_values()
    intervals = np.asarray(intervals, dtype=np.float64).reshape(-1, 2)
    labels = [str(label) for label in labels]
    _check_not_empty(path, len(labels))
    _check_intervals(path, intervals, CHORD_OVERLAP_TOLERANCE_S)
    _check_chord_labels(path, labels)
    return intervals, labels


def read_jams_pitch(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """f0 of a ``.jams`` file: its first ``pitch_contour`` annotation (time s, frequency
    Hz, ``voiced``). Returns (times [s], f0 [Hz], unvoiced frames <= 0: their frequency
    negated, the MIREX pitch guess)."""
    path = Path(path)
    rows = _jams_annotation(path, "pitch_contour").data
    _check_not_empty(path, len(rows))
    times = np.array([row.time for row in rows], dtype=np.float64)
    f0 = np.array(
        [abs(row.value["frequency"]) * (1 if row.value["voiced"] else -1) for row in rows],
        dtype=np.float64,
    )
    _check_finite(path, f0, "frequency")
    _check_times(path, times)
    return times, f0


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


# --- note lists --------------------------------------------------------------------------


def _midi_notes(
    path: Path, intervals: np.ndarray, midi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Validated notes from onset/offset times (s) and MIDI numbers: (intervals, Hz)."""
    intervals = np.asarray(intervals, dtype=float).reshape(-1, 2)
    midi = np.asarray(midi, dtype=float)
    _check_not_empty(path, len(midi))
    _check_intervals(path, intervals, overlap_tolerance=None)
    _check_finite(path, midi, "MIDI pitch")
    bad = np.flatnonzero((midi < 0) | (midi > 127))
    if bad.size:
        raise InputError(
            path, f"MIDI pitch {midi[bad[0]]} is outside 0-127 at data row {bad[0] + 1}"
        )
    return intervals, librosa.midi_to_hz(midi)


def read_maps_txt(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """MAPS note list ``<name>.txt``: a header ``OnsetTime OffsetTime MidiPitch``, then one
    tab separated ``onset offset midi`` row per note (s, s, MIDI number).

    Returns (intervals [s] (n, 2), pitches [Hz]).
    """
    path = Path(path)
    intervals, midi = _parse(path, mir_eval.io.load_valued_intervals, header="OnsetTime")
    return _midi_notes(path, intervals, midi)


def read_madmom_notes(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """madmom ``.notes``: whitespace separated ``onset midi duration [velocity]`` rows
    (s, MIDI number, s), ``#`` comment lines.

    Returns (intervals [s] (n, 2), pitches [Hz]).
    """
    path = Path(path)
    rows = [
        line.split()
        for line in _read_text(path).getvalue().splitlines()
        if not line.lstrip().startswith("#")
    ]
    _check_not_empty(path, len(rows))
    if len(rows[0]) not in (3, 4):
        raise InputError(
            path,
            "a madmom note list has 3 or 4 columns (onset midi duration [velocity]), "
            f"the first data row has {len(rows[0])}",
        )
    columns = _parse(path, mir_eval.io.load_delimited, [float] * len(rows[0]))
    onset, midi, duration = (np.asarray(column, dtype=float) for column in columns[:3])
    _check_finite(path, duration, "duration")
    return _midi_notes(path, np.stack([onset, onset + duration], axis=1), midi)


#: Sample rate the MusicNet label times count in (samples of the 44.1 kHz recordings).
MUSICNET_SR = 44100
#: Columns of a MusicNet label CSV that the reader needs.
MUSICNET_COLUMNS = ("start_time", "end_time", "note")


def read_musicnet_csv(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """MusicNet ``<id>.csv`` labels: a header ``start_time,end_time,instrument,note,
    start_beat,end_beat,note_value``, one note per row; times in samples at 44.1 kHz,
    ``note`` a MIDI number.

    Returns (intervals [s] (n, 2), pitches [Hz]), in file order.
    """
    path = Path(path)
    text = _read_text(path)
    try:
        frame = pd.read_csv(text, comment="#", skipinitialspace=True)
    except (ValueError, pd.errors.ParserError) as error:
        detail = str(error).strip().splitlines()[0]
        raise InputError(path, f"cannot parse annotation: {detail}") from error
    missing = [column for column in MUSICNET_COLUMNS if column not in frame.columns]
    if missing:
        raise InputError(
            path,
            f"no {', '.join(missing)} column in the header (MusicNet labels start with "
            "start_time,end_time,instrument,note,...)",
        )
    _check_not_empty(path, len(frame))
    start, end, midi = (
        pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        for column in MUSICNET_COLUMNS
    )
    _check_finite(path, start, "start_time")
    _check_finite(path, end, "end_time")
    return _midi_notes(path, np.stack([start, end], axis=1) / MUSICNET_SR, midi)


def read_midi_notes_csv(
    path: str | Path, more_paths: tuple[Path, ...] = ()
) -> tuple[np.ndarray, np.ndarray]:
    """Headerless CSV ``onset,offset,midi`` (s, s, MIDI number), one note per row (the
    Dagstuhl ChoirSet score representation); ``more_paths`` are further files of the same
    recording (one per voice), whose notes join those of ``path``.

    Returns (intervals [s] (n, 2), pitches [Hz]), file by file.
    """
    intervals, pitches = [], []
    for file in (Path(path), *map(Path, more_paths)):
        segments, midi = _parse(file, mir_eval.io.load_valued_intervals, delimiter=",")
        segments, hz = _midi_notes(file, segments, midi)
        intervals.append(segments)
        pitches.append(hz)
    return np.concatenate(intervals), np.concatenate(pitches)


def read_midi(path: str | Path, more_paths: tuple[Path, ...] = ()) -> tuple[np.ndarray, np.ndarray]:
    """Standard MIDI files (Slakh2100 ``MIDI/Sxx.mid`` stems, MAPS ``.mid``): the notes of
    every non-drum instrument of ``path`` and of ``more_paths``, with the files' tempo maps.

    Returns (intervals [s] (n, 2), pitches [Hz]) sorted by onset. Needs the ``pretty_midi``
    package.
    """
    try:
        import pretty_midi
    except ImportError as error:
        raise InputError(
            path,
            "reading MIDI needs the pretty_midi package, which is not installed "
            "(pip install pretty_midi)",
        ) from error
    notes = []
    for file in (Path(path), *map(Path, more_paths)):
        if not file.is_file():
            raise InputError(file, "annotation file does not exist")
        try:
            with warnings.catch_warnings():
                # pretty_midi warns about tempo/key events on non-zero tracks, common in MIDI
                warnings.simplefilter("ignore", RuntimeWarning)
                midi = pretty_midi.PrettyMIDI(str(file))
        except Exception as error:  # noqa: BLE001 (pretty_midi and mido raise many kinds)
            raise InputError(file, f"cannot read MIDI file ({error})") from error
        notes += [
            (note.start, note.end, note.pitch)
            for instrument in midi.instruments
            if not instrument.is_drum
            for note in instrument.notes
        ]
    if not notes:
        raise InputError(path, "MIDI holds no pitched (non-drum) notes")
    table = np.asarray(sorted(notes), dtype=float)  # by onset, then offset and pitch
    return _midi_notes(Path(path), table[:, :2], table[:, 2])


# --- multi-f0 from several voices ----------------------------------------------------------


def read_f0_voices_csv(
    path: str | Path, more_paths: tuple[Path, ...] = ()
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Multi-f0 from one headerless ``time,f0`` CSV per voice (``path`` and ``more_paths``;
    Dagstuhl ChoirSet ``annotations_csv_F0_manual/<take>_<voice>_LRX.csv``).

    The voices share one hop (their time stamps may differ by rounding): frame i of the
    result is at ``start + i * hop``, ``start`` the earliest time of any voice and ``hop``
    the smallest of the voices' hops, and holds every voice's positive f0 (Hz) at that
    frame. A voice whose times are off that grid by more than a quarter hop is an error.
    """
    voices = [(file, *_read_time_f0(file, ",")) for file in (Path(path), *map(Path, more_paths))]
    hops = [
        (times[-1] - times[0]) / round((times[-1] - times[0]) / np.median(np.diff(times)))
        for _, times, _ in voices
        if len(times) > 1
    ]
    if not hops:
        raise InputError(path, "every voice has a single row: their common hop is unknown")
    hop = min(hops)
    start = min(times[0] for _, times, _ in voices)
    end = max(times[-1] for _, times, _ in voices)
    frames: list[list[float]] = [[] for _ in range(int(round((end - start) / hop)) + 1)]
    for file, times, f0 in voices:
        index = np.round((times - start) / hop).astype(int)
        off = np.flatnonzero(np.abs(times - (start + index * hop)) > hop / 4)
        if off.size:
            raise InputError(
                file,
                f"time {times[off[0]]} s at data row {off[0] + 1} is off the "
                f"{1000 * hop:.3f} ms hop grid the voices share (from {start} s)",
            )
        twice = np.flatnonzero(np.diff(index) == 0)
        if twice.size:
            raise InputError(
                file,
                f"data rows {twice[0] + 1} and {twice[0] + 2} fall on the same "
                f"{1000 * hop:.3f} ms frame",
            )
        for frame, value in zip(index, f0, strict=True):
            if value > 0:
                frames[frame].append(float(value))
    times = start + hop * np.arange(len(frames))
    return times, [np.asarray(values, dtype=np.float64) for values in frames]


#: Hop (s) of the multi-f0 frames a note list is read as (kind ``multif0`` of a format in
#: ``NOTE_FORMATS``): the 10 ms of the MIREX multi-f0 task.
NOTES_MULTIF0_HOP_S = 0.010


def notes_to_multif0(
    intervals: np.ndarray,
    pitches: np.ndarray,
    where: str | Path = "note annotation",
    hop_s: float = NOTES_MULTIF0_HOP_S,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Notes -> multi-f0 on frames ``0, hop_s, ...`` up to the last offset, through
    :func:`mirlab.data.annotations.notes_to_grid` (a note sounds at ``onset <= t < offset``).
    """
    intervals = np.asarray(intervals, dtype=np.float64).reshape(-1, 2)
    last = float(intervals[:, 1].max()) if len(intervals) else 0.0
    times = hop_s * np.arange(int(np.floor(last / hop_s + 1e-9)) + 1)
    return times, notes_to_grid(intervals, pitches, times, where=where)


#: Readers by format name: each takes a path and returns validated arrays (see
#: ``mirlab.data.datasets.ANNOTATION_KINDS`` for what each kind returns).
READERS: dict[str, Callable] = {
    "medleydb_melody": read_medleydb_melody,
    "medleydb_multif0": read_medleydb_multif0,
    "mdb_mf0": read_mdb_mf0,
    "mirex_multif0_txt": read_mirex_multif0_txt,
    "orchset_mel": read_orchset_mel,
    "mirex_txt": read_mirex_txt,
    "wjazzd_f0": read_wjazzd_f0,
    "ikala_pv": read_ikala_pv,
    "bach10_mat": read_bach10_mat,
    "lab_chords": read_lab_chords,
    "jams_chords": read_jams_chords,
    "jams_pitch": read_jams_pitch,
    "notes_csv": read_notes_csv,
    "maps_txt": read_maps_txt,
    "madmom_notes": read_madmom_notes,
    "musicnet_csv": read_musicnet_csv,
    "midi_notes_csv": read_midi_notes_csv,
    "midi": read_midi,
    "f0_voices_csv": read_f0_voices_csv,
}

#: What each format holds: ``f0`` (one f0 per time: kinds melody, pitch, bass), ``multif0``,
#: ``notes`` (also readable as kind multif0, see ``NOTE_FORMATS``) or ``chords``.
#: (``bach10_mat`` is multi-f0 read whole, one part's f0 with ``part``.)
FORMAT_CONTENTS: dict[str, str] = {
    "medleydb_melody": "f0",
    "medleydb_multif0": "multif0",
    "mdb_mf0": "multif0",
    "mirex_multif0_txt": "multif0",
    "orchset_mel": "f0",
    "mirex_txt": "f0",
    "wjazzd_f0": "f0",
    "ikala_pv": "f0",
    "bach10_mat": "multif0",
    "lab_chords": "chords",
    "jams_chords": "chords",
    "jams_pitch": "f0",
    "notes_csv": "notes",
    "maps_txt": "notes",
    "madmom_notes": "notes",
    "musicnet_csv": "notes",
    "midi_notes_csv": "notes",
    "midi": "notes",
    "f0_voices_csv": "multif0",
}
#: Note-list formats: read as kind ``notes`` they give the notes, as kind ``multif0`` the
#: notes sounding on a ``NOTES_MULTIF0_HOP_S`` frame grid (:func:`notes_to_multif0`).
NOTE_FORMATS = tuple(name for name, contents in FORMAT_CONTENTS.items() if contents == "notes")
#: The annotation kinds each kind of contents can be read as.
CONTENT_KINDS: dict[str, tuple[str, ...]] = {
    "f0": ("melody", "pitch", "bass"),
    "multif0": ("multif0",),
    "notes": ("notes", "multif0"),
    "chords": ("chords",),
}


def read_annotation(annotation: Annotation):
    """Read ``annotation`` with the reader of its format (validated arrays, see ``READERS``).

    ``part`` and ``more_paths`` go to readers that take them; a note-list format read as
    kind ``multif0`` gives the notes on a frame grid (:func:`notes_to_multif0`).
    """
    reader = READERS.get(annotation.format)
    if reader is None:
        raise InputError(
            annotation.path,
            f"unknown annotation format {annotation.format!r} (known: {', '.join(READERS)})",
        )
    parameters = inspect.signature(reader).parameters
    options: dict[str, object] = {}
    if annotation.part is not None:
        if "part" not in parameters:
            raise InputError(annotation.path, f"format {annotation.format!r} has no parts")
        options["part"] = annotation.part
    if annotation.more_paths:
        if "more_paths" not in parameters:
            raise InputError(
                annotation.path,
                f"format {annotation.format!r} reads one file, not "
                f"{1 + len(annotation.more_paths)}",
            )
        options["more_paths"] = tuple(annotation.more_paths)
    data = reader(annotation.path, **options)
    if annotation.kind == "multif0" and annotation.format in NOTE_FORMATS:
        return notes_to_multif0(*data, where=annotation.path)
    return data


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
    annotation file (of an annotation of several files, the first that runs past) and, when
    given, ``audio_path``.
    """
    end = annotation_end(annotation)
    if end > audio_duration_s + tolerance_s:
        where = annotation.path
        for path in annotation.paths if annotation.more_paths else ():
            single = Annotation(annotation.kind, path, annotation.format, annotation.part)
            if annotation_end(single) > audio_duration_s + tolerance_s:
                where, end = path, annotation_end(single)
                break
        audio = f"its audio {audio_path}" if audio_path is not None else "its audio"
        raise InputError(
            where,
            f"annotation runs to {end:.3f} s, past the end of {audio} "
            f"({audio_duration_s:.3f} s, tolerance {tolerance_s} s)",
        )

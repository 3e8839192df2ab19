"""Melody figures for notebooks and TensorBoard: pianorolls and pitch-error views.

Every function returns a :class:`matplotlib.figure.Figure` built directly (never through
``pyplot``): nothing is registered globally, nothing is shown.

Conventions, as in :mod:`mirlab.families.melody.metrics`:

- f0 series are in Hz on one shared frame grid; ``f0 <= 0`` is unvoiced (a negative estimate,
  MIREX's "unvoiced, but this would be the pitch", is unvoiced here);
- pitch axes are in MIDI note numbers (a log-frequency axis, 1 unit = 1 semitone) and are
  labelled with note names (``librosa.midi_to_note``), so the y coordinate of a drawn point is
  its MIDI pitch;
- a pitch is within tolerance when it is strictly less than ``cent_tolerance`` cents away.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

import librosa
import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from mirlab.errors import InputError


class FrameClass(enum.IntEnum):
    """The outcome of one estimated frame against the reference frame on the same grid."""

    CORRECT = 0
    OCTAVE_ERROR = 1
    OTHER_PITCH_ERROR = 2
    VOICING_FALSE_ALARM = 3
    VOICING_MISS = 4
    UNVOICED_CORRECT = 5


#: Display name of each frame class (legend labels).
CLASS_NAMES: dict[FrameClass, str] = {
    FrameClass.CORRECT: "correct",
    FrameClass.OCTAVE_ERROR: "octave error",
    FrameClass.OTHER_PITCH_ERROR: "other pitch error",
    FrameClass.VOICING_FALSE_ALARM: "voicing false alarm",
    FrameClass.VOICING_MISS: "voicing miss",
    FrameClass.UNVOICED_CORRECT: "unvoiced (correct)",
}

#: Colour of each frame class: the Okabe-Ito palette, distinguishable with the common forms of
#: colour blindness.
CLASS_COLOURS: dict[FrameClass, str] = {
    FrameClass.CORRECT: "#009E73",  # bluish green
    FrameClass.OCTAVE_ERROR: "#E69F00",  # orange
    FrameClass.OTHER_PITCH_ERROR: "#D55E00",  # vermillion
    FrameClass.VOICING_FALSE_ALARM: "#CC79A7",  # reddish purple
    FrameClass.VOICING_MISS: "#0072B2",  # blue
    FrameClass.UNVOICED_CORRECT: "#BBBBBB",  # grey
}

#: The classes a pianoroll draws, in legend order (correctly unvoiced frames are not drawn).
DRAWN_CLASSES: tuple[FrameClass, ...] = (
    FrameClass.CORRECT,
    FrameClass.OCTAVE_ERROR,
    FrameClass.OTHER_PITCH_ERROR,
    FrameClass.VOICING_FALSE_ALARM,
    FrameClass.VOICING_MISS,
)

#: Legend label of the reference band in pianorolls.
REFERENCE_LABEL = "reference"

_REFERENCE_COLOUR = "#000000"
# Semitones of empty space kept above and below the drawn pitches.
_PITCH_MARGIN = 1.0


# --- validation ---------------------------------------------------------------------------


def _f0_array(values, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise InputError(name, f"expected a 1-D f0 series (Hz), got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise InputError(name, "contains NaN or infinite values (unvoiced frames are <= 0 Hz)")
    return array


def _f0_pair(ref_f0, est_f0, est_name: str = "est_f0") -> tuple[np.ndarray, np.ndarray]:
    ref = _f0_array(ref_f0, "ref_f0")
    est = _f0_array(est_f0, est_name)
    if ref.shape != est.shape:
        raise InputError(
            est_name, f"has {est.size} frames but ref_f0 has {ref.size}; both must share a grid"
        )
    return ref, est


def _times_array(times, n_frames: int) -> np.ndarray:
    array = np.asarray(times, dtype=np.float64)
    if n_frames == 0:
        raise InputError("ref_f0", "has no frames to draw")
    if array.ndim != 1 or array.size != n_frames:
        raise InputError("times", f"expected {n_frames} frame times (s), got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise InputError("times", "contains NaN or infinite values")
    if np.any(np.diff(array) <= 0):
        raise InputError("times", "frame times must be strictly increasing")
    return array


def _check_tolerance(cent_tolerance: float) -> float:
    # At 600 cents or more the "correct" and "octave error" zones overlap.
    if not 0 < cent_tolerance < 600:
        raise InputError("cent_tolerance", f"must be in (0, 600) cents, got {cent_tolerance!r}")
    return float(cent_tolerance)


# --- frame-level analysis -----------------------------------------------------------------


def _midi(f0: np.ndarray) -> np.ndarray:
    """MIDI pitch of voiced frames, NaN where unvoiced (avoids log of <= 0)."""
    midi = np.full(f0.shape, np.nan)
    voiced = f0 > 0
    midi[voiced] = librosa.hz_to_midi(f0[voiced])
    return midi


def frame_classes(ref_f0, est_f0, cent_tolerance: float = 50.0) -> np.ndarray:
    """Classify each frame of an estimate against the reference on the same frame grid.

    ``ref_f0`` and ``est_f0`` are f0 series in Hz (``<= 0`` unvoiced) of equal length.
    Returns one :class:`FrameClass` code per frame (``int8``):

    - ``CORRECT``: both voiced, estimate within ``cent_tolerance`` cents of the reference;
    - ``OCTAVE_ERROR``: both voiced, within tolerance of ``ref * 2**k`` for some ``k != 0``;
    - ``OTHER_PITCH_ERROR``: both voiced, neither of the above;
    - ``VOICING_FALSE_ALARM``: reference unvoiced, estimate voiced;
    - ``VOICING_MISS``: reference voiced, estimate unvoiced;
    - ``UNVOICED_CORRECT``: both unvoiced.

    ``cent_tolerance`` must be in (0, 600) cents so that the classes cannot overlap.
    """
    ref, est = _f0_pair(ref_f0, est_f0)
    tolerance = _check_tolerance(cent_tolerance)
    ref_voiced, est_voiced = ref > 0, est > 0
    classes = np.full(ref.shape, FrameClass.UNVOICED_CORRECT, dtype=np.int8)
    classes[~ref_voiced & est_voiced] = FrameClass.VOICING_FALSE_ALARM
    classes[ref_voiced & ~est_voiced] = FrameClass.VOICING_MISS

    both = ref_voiced & est_voiced
    cents = 1200.0 * np.log2(est[both] / ref[both])
    octaves = np.round(cents / 1200.0)
    near_octave = np.abs(cents - 1200.0 * octaves) < tolerance
    voiced_classes = np.full(cents.shape, FrameClass.OTHER_PITCH_ERROR, dtype=np.int8)
    voiced_classes[near_octave & (octaves != 0)] = FrameClass.OCTAVE_ERROR
    voiced_classes[near_octave & (octaves == 0)] = FrameClass.CORRECT
    classes[both] = voiced_classes
    return classes


def pitch_errors(ref_f0, est_f0) -> np.ndarray:
    """Signed pitch error ``est - ref`` in semitones on the frames where both are voiced.

    Positive errors are estimates above the reference; an octave error is +-12.
    """
    ref, est = _f0_pair(ref_f0, est_f0)
    both = (ref > 0) & (est > 0)
    return 12.0 * np.log2(est[both] / ref[both])


def _nearest_notes(f0: np.ndarray) -> np.ndarray:
    """Nearest MIDI note of voiced f0 values (Hz); ties round to even (``np.rint``)."""
    return np.rint(librosa.hz_to_midi(f0)).astype(np.int64)


def _note_names(midi: np.ndarray) -> list[str]:
    return [str(name) for name in np.atleast_1d(librosa.midi_to_note(midi))]


def note_confusion(ref_f0, est_f0) -> tuple[np.ndarray, list[str]]:
    """Confusion counts of estimated vs reference notes over frames where both are voiced.

    Each frame's f0 (Hz) is mapped to its nearest MIDI note. Returns ``(matrix, note_labels)``:
    ``matrix[i, j]`` (``int64``) counts frames with reference note ``note_labels[i]`` and
    estimated note ``note_labels[j]``. The notes are the contiguous range from the lowest to the
    highest note present in either series; no frame voiced in both gives a ``(0, 0)`` matrix.
    """
    ref, est = _f0_pair(ref_f0, est_f0)
    both = (ref > 0) & (est > 0)
    if not both.any():
        return np.zeros((0, 0), dtype=np.int64), []
    ref_notes, est_notes = _nearest_notes(ref[both]), _nearest_notes(est[both])
    low = int(min(ref_notes.min(), est_notes.min()))
    high = int(max(ref_notes.max(), est_notes.max()))
    size = high - low + 1
    matrix = np.zeros((size, size), dtype=np.int64)
    np.add.at(matrix, (ref_notes - low, est_notes - low), 1)
    return matrix, _note_names(np.arange(low, high + 1))


def per_note_accuracy(ref_f0, est_f0, cent_tolerance: float = 50.0) -> pd.DataFrame:
    """Accuracy per reference note over the frames where the reference is voiced.

    Frames are grouped by the reference's nearest MIDI note; ``accuracy`` is the fraction of
    them whose :func:`frame_classes` class is ``CORRECT`` (a voicing miss counts as wrong).
    Columns ``note`` (name), ``midi``, ``n_frames``, ``accuracy``; one row per note present,
    sorted by pitch.
    """
    ref, est = _f0_pair(ref_f0, est_f0)
    classes = frame_classes(ref, est, cent_tolerance)
    voiced = ref > 0
    frame = pd.DataFrame(
        {
            "midi": _nearest_notes(ref[voiced]),
            "correct": classes[voiced] == FrameClass.CORRECT,
        }
    )
    table = (
        frame.groupby("midi", sort=True)["correct"]
        .agg(n_frames="size", accuracy="mean")
        .reset_index()
    )
    table.insert(0, "note", _note_names(table["midi"].to_numpy()))
    return table.astype({"midi": np.int64, "n_frames": np.int64, "accuracy": np.float64})


# --- axis helpers -------------------------------------------------------------------------


def _note_ticks(axis, low: float, high: float, max_ticks: int = 12) -> None:
    """Put note-name ticks on a MIDI ``axis`` (ax.xaxis or ax.yaxis) spanning [low, high]."""
    span = high - low
    step = next((s for s in (1, 2, 3, 4, 6, 12, 24, 36) if span / s <= max_ticks), 48)
    ticks = np.arange(np.ceil(low / step) * step, np.floor(high / step) * step + 1, step)
    axis.set_ticks(ticks, _note_names(ticks.astype(np.int64)))


def _pitch_limits(*midi_series: np.ndarray) -> tuple[float, float]:
    values = np.concatenate([np.ravel(series) for series in midi_series])
    values = values[np.isfinite(values)]
    if values.size == 0:
        # Nothing voiced: show an ordinary melody range so the axes still read as pitch.
        return 48.0, 72.0
    return float(np.floor(values.min()) - _PITCH_MARGIN), float(
        np.ceil(values.max()) + _PITCH_MARGIN
    )


def _class_handles() -> list[Artist]:
    handles = [
        Patch(
            facecolor=_REFERENCE_COLOUR,
            alpha=0.2,
            edgecolor=_REFERENCE_COLOUR,
            label=REFERENCE_LABEL,
        )
    ]
    handles += [
        Line2D(
            [],
            [],
            linestyle="none",
            marker="o",
            markersize=6,
            color=CLASS_COLOURS[c],
            label=CLASS_NAMES[c],
        )
        for c in DRAWN_CLASSES
    ]
    return handles


def _draw_pianoroll(
    ax: Axes, times: np.ndarray, ref: np.ndarray, est: np.ndarray, tolerance: float
) -> tuple[np.ndarray, np.ndarray]:
    """Draw reference band and classified estimate points; return the drawn pitches (MIDI)."""
    classes = frame_classes(ref, est, tolerance)
    ref_midi, est_midi = _midi(ref), _midi(est)
    # A miss has no estimated pitch: draw it on the reference so the gap is visible.
    drawn_midi = np.where(classes == FrameClass.VOICING_MISS, ref_midi, est_midi)

    half_width = tolerance / 100.0
    ax.fill_between(
        times,
        ref_midi - half_width,
        ref_midi + half_width,
        where=np.isfinite(ref_midi),
        step="mid",
        color=_REFERENCE_COLOUR,
        alpha=0.2,
        linewidth=0,
        label=REFERENCE_LABEL,
    )
    ax.plot(
        times, ref_midi, drawstyle="steps-mid", color=_REFERENCE_COLOUR, linewidth=0.6, alpha=0.6
    )
    for frame_class in DRAWN_CLASSES:
        selected = classes == frame_class
        ax.scatter(
            times[selected],
            drawn_midi[selected],
            s=6,
            linewidths=0,
            color=CLASS_COLOURS[frame_class],
            label=CLASS_NAMES[frame_class],
            zorder=3,
        )
    ax.set_xlabel("time (s)")
    ax.set_ylabel("note")
    ax.grid(axis="y", alpha=0.3)
    return ref_midi, drawn_midi


def _set_pitch_axis(ax: Axes, low: float, high: float) -> None:
    ax.set_ylim(low, high)
    _note_ticks(ax.yaxis, low, high)


# --- pianorolls ---------------------------------------------------------------------------


def pianoroll(
    times,
    ref_f0,
    est_f0,
    salience=None,
    salience_frequencies=None,
    title: str | None = None,
    cent_tolerance: float = 50.0,
) -> Figure:
    """Pianoroll of a reference and an estimate, each estimated frame coloured by its class.

    ``times`` (s) is the shared frame grid of ``ref_f0`` and ``est_f0`` (Hz, ``<= 0``
    unvoiced). The reference is a grey band of +-``cent_tolerance`` around its pitch (points
    inside it are correct); each frame of :data:`DRAWN_CLASSES` is a point in
    :data:`CLASS_COLOURS`: at the estimated pitch, except a voicing miss, drawn at the
    reference pitch. Each class is one scatter collection labelled with its
    :data:`CLASS_NAMES` entry (empty classes too, so the legend is the same in every figure).
    The y axis is in MIDI numbers with note-name ticks.

    ``salience`` ``(n_frames, n_bins)`` with ``salience_frequencies`` ``(n_bins,)`` (Hz,
    increasing) adds a panel below, sharing the time axis.
    """
    ref, est = _f0_pair(ref_f0, est_f0)
    times = _times_array(times, ref.size)
    tolerance = _check_tolerance(cent_tolerance)
    if salience is None:
        if salience_frequencies is not None:
            raise InputError("salience_frequencies", "given without salience")
        fig = Figure(figsize=(10, 4), layout="constrained")
        ax = fig.subplots()
    else:
        salience_values, salience_midi = _salience_arrays(salience, salience_frequencies, ref.size)
        fig = Figure(figsize=(10, 6.5), layout="constrained")
        ax, salience_ax = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
        salience_ax.pcolormesh(
            times, salience_midi, salience_values.T, shading="nearest", cmap="magma"
        )
        salience_ax.set_xlabel("time (s)")
        salience_ax.set_ylabel("salience (note)")
        _note_ticks(salience_ax.yaxis, salience_midi[0], salience_midi[-1])

    ref_midi, drawn_midi = _draw_pianoroll(ax, times, ref, est, tolerance)
    _set_pitch_axis(ax, *_pitch_limits(ref_midi, drawn_midi))
    if salience is not None:
        ax.set_xlabel("")
    if times.size > 1:
        ax.set_xlim(times[0], times[-1])
    ax.legend(
        handles=_class_handles(), loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small"
    )
    if title is not None:
        ax.set_title(title)
    return fig


def _salience_arrays(salience, frequencies, n_frames: int) -> tuple[np.ndarray, np.ndarray]:
    values = np.asarray(salience, dtype=np.float64)
    if frequencies is None:
        raise InputError("salience_frequencies", "required with salience (bin centres in Hz)")
    freqs = np.asarray(frequencies, dtype=np.float64)
    if values.ndim != 2 or values.shape[0] != n_frames:
        raise InputError("salience", f"expected shape ({n_frames}, n_bins), got {values.shape}")
    if freqs.shape != (values.shape[1],):
        raise InputError(
            "salience_frequencies", f"expected {values.shape[1]} bin frequencies, got {freqs.shape}"
        )
    if not np.all(freqs > 0) or np.any(np.diff(freqs) <= 0):
        raise InputError("salience_frequencies", "must be positive and strictly increasing (Hz)")
    return values, librosa.hz_to_midi(freqs)


def compare_figure(
    times, ref_f0, est_a, est_b, name_a: str, name_b: str, cent_tolerance: float = 50.0
) -> Figure:
    """Two methods side by side on the same excerpt: two pianoroll panels sharing both axes.

    Arguments as in :func:`pianoroll`; ``est_a`` and ``est_b`` are the two estimates (Hz) on
    the grid of ``ref_f0``. The panels are titled ``name_a`` and ``name_b``; one legend serves
    both.
    """
    ref, first = _f0_pair(ref_f0, est_a, "est_a")
    _, second = _f0_pair(ref, est_b, "est_b")
    times = _times_array(times, ref.size)
    tolerance = _check_tolerance(cent_tolerance)
    fig = Figure(figsize=(14, 4), layout="constrained")
    axes = fig.subplots(1, 2, sharex=True, sharey=True)
    drawn = []
    for ax, estimate, name in zip(axes, (first, second), (name_a, name_b), strict=True):
        drawn.extend(_draw_pianoroll(ax, times, ref, estimate, tolerance))
        ax.set_title(name)
    axes[1].set_ylabel("")
    _set_pitch_axis(axes[0], *_pitch_limits(*drawn))
    if times.size > 1:
        axes[0].set_xlim(times[0], times[-1])
    fig.legend(handles=_class_handles(), loc="outside right upper", fontsize="small")
    return fig


# --- pitch-error figures ------------------------------------------------------------------


def _no_data(ax: Axes, message: str) -> None:
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center")


def confusion_figure(ref_f0, est_f0, annotate_max: int = 24) -> Figure:
    """Heat map of :func:`note_confusion`: reference notes (y) against estimated notes (x).

    Counts are written in the cells when the matrix has at most ``annotate_max`` notes.
    """
    matrix, labels = note_confusion(ref_f0, est_f0)
    size = max(4.0, min(12.0, 2.0 + 0.35 * len(labels)))
    fig = Figure(figsize=(size + 1.5, size), layout="constrained")
    ax = fig.subplots()
    ax.set_xlabel("estimated note")
    ax.set_ylabel("reference note")
    if not labels:
        _no_data(ax, "no frame voiced in both")
        return fig
    low = int(librosa.note_to_midi(labels[0]))
    high = low + len(labels) - 1
    # Extent in MIDI numbers so cell centres sit on integer notes, like the other pitch axes.
    image = ax.imshow(
        matrix,
        origin="lower",
        cmap="Blues",
        interpolation="nearest",
        extent=(low - 0.5, high + 0.5, low - 0.5, high + 0.5),
    )
    fig.colorbar(image, ax=ax, label="frames")
    _note_ticks(ax.xaxis, low, high, max_ticks=annotate_max)
    _note_ticks(ax.yaxis, low, high, max_ticks=annotate_max)
    ax.tick_params(axis="x", labelrotation=90)
    if len(labels) <= annotate_max:
        threshold = matrix.max() / 2.0
        for i, j in zip(*np.nonzero(matrix), strict=True):
            ax.text(
                low + j,
                low + i,
                str(matrix[i, j]),
                ha="center",
                va="center",
                fontsize="small",
                color="white" if matrix[i, j] > threshold else "black",
            )
    return fig


def error_limits(errors: np.ndarray) -> tuple[float, float]:
    """Symmetric axis limits (semitones) covering ``errors`` with a small margin.

    ``+-(m + max(0.05 m, 0.25))`` with ``m`` the largest absolute error; ``+-0.25`` for no
    errors.
    """
    largest = float(np.max(np.abs(errors))) if np.size(errors) else 0.0
    limit = largest + max(0.05 * largest, 0.25)
    return -limit, limit


def error_histogram(ref_f0, est_f0, bins: int | Sequence[float] = 101, log: bool = True) -> Figure:
    """Histogram of :func:`pitch_errors` (semitones) with x limits taken from the data.

    The x axis is symmetric around 0 (see :func:`error_limits`). ``bins`` is a number of equal
    bins over those limits (odd puts one bin centred on 0) or explicit bin edges (semitones).
    ``log`` draws counts on a log scale: exact frames dominate and would hide the errors.
    Dashed lines mark whole octaves inside the limits.
    """
    errors = pitch_errors(ref_f0, est_f0)
    low, high = error_limits(errors)
    edges = np.linspace(low, high, int(bins) + 1) if np.ndim(bins) == 0 else np.asarray(bins)
    fig = Figure(figsize=(7, 3.5), layout="constrained")
    ax = fig.subplots()
    ax.set_xlabel("pitch error (semitones, estimate - reference)")
    ax.set_ylabel("frames")
    ax.set_xlim(low, high)
    if errors.size == 0:
        _no_data(ax, "no frame voiced in both")
        return fig
    ax.hist(errors, bins=edges, log=log, color=CLASS_COLOURS[FrameClass.OTHER_PITCH_ERROR])
    for octave in np.arange(12.0, high, 12.0):
        for position in (-octave, octave):
            ax.axvline(position, color="0.4", linestyle="--", linewidth=0.8)
    return fig


def per_note_accuracy_figure(ref_f0, est_f0, cent_tolerance: float = 50.0) -> Figure:
    """Bar chart of :func:`per_note_accuracy`: one bar per reference note at its MIDI number.

    Each bar is labelled with its number of frames.
    """
    table = per_note_accuracy(ref_f0, est_f0, cent_tolerance)
    fig = Figure(figsize=(max(5.0, 1.5 + 0.3 * len(table)), 3.5), layout="constrained")
    ax = fig.subplots()
    ax.set_ylabel(f"accuracy ({cent_tolerance:g} cents)")
    ax.set_xlabel("reference note")
    ax.set_ylim(0.0, 1.1)
    if table.empty:
        _no_data(ax, "no voiced reference frame")
        return fig
    midi = table["midi"].to_numpy()
    bars = ax.bar(midi, table["accuracy"], width=0.8, color=CLASS_COLOURS[FrameClass.CORRECT])
    ax.bar_label(bars, labels=[str(n) for n in table["n_frames"]], fontsize="x-small")
    _note_ticks(ax.xaxis, midi.min() - 0.5, midi.max() + 0.5, max_ticks=24)
    ax.tick_params(axis="x", labelrotation=90)
    return fig

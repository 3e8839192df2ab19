"""Pitch bins and training targets: f0 contours (Hz) to salience targets over pitch bins.

A pitch-bin axis is equally spaced in pitch (MIDI / cents). The default axis is the one of
the CQT/HCQT features: 5 bins per semitone (20 cents, 60 bins per octave), 360 bins = six
octaves starting at C1 (MIDI 24, 32.70 Hz), so that bin i of a model output lines up with
CQT bin i. :func:`crepe_bins` gives CREPE's own axis (Kim et al. 2018).

Unvoiced frames follow the MIREX convention: f0 <= 0 Hz means unvoiced.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral, Real

import librosa
import numpy as np

from mirlab.errors import InputError

#: CREPE's first bin centre, in cents above 10 Hz (``crepe.core.to_local_average_cents``).
CREPE_FIRST_BIN_CENTS = 1997.3794084376191

#: The reference frequency of the cent scale used by CREPE and ``mir_eval`` (Hz).
CENTS_REFERENCE_HZ = 10.0


@dataclass(frozen=True)
class PitchBins:
    """An axis of ``n_bins`` pitch bins, ``bins_per_semitone`` per semitone.

    ``lowest_note`` is the centre of bin 0 as a (possibly fractional) MIDI note number;
    bin ``i`` is centred at MIDI ``lowest_note + i / bins_per_semitone``. The defaults
    (5 bins per semitone from C1 = MIDI 24, 360 bins, i.e. up to B6 + 80 cents, 1975.5 Hz
    for the top centre) match the default CQT/HCQT (60 bins per octave, 6 octaves from C1).
    """

    bins_per_semitone: int = 5
    lowest_note: float = 24.0
    n_bins: int = 360

    def __post_init__(self):
        if isinstance(self.bins_per_semitone, bool) or not isinstance(
            self.bins_per_semitone, Integral
        ):
            raise InputError(
                "PitchBins.bins_per_semitone",
                f"must be a positive integer, got {self.bins_per_semitone!r}",
            )
        if self.bins_per_semitone < 1:
            raise InputError(
                "PitchBins.bins_per_semitone", f"must be >= 1, got {self.bins_per_semitone}"
            )
        if isinstance(self.n_bins, bool) or not isinstance(self.n_bins, Integral):
            raise InputError("PitchBins.n_bins", f"must be a positive integer, got {self.n_bins!r}")
        if self.n_bins < 1:
            raise InputError("PitchBins.n_bins", f"must be >= 1, got {self.n_bins}")
        if (
            isinstance(self.lowest_note, bool)
            or not isinstance(self.lowest_note, Real)
            or not math.isfinite(self.lowest_note)
        ):
            raise InputError(
                "PitchBins.lowest_note", f"must be a finite MIDI number, got {self.lowest_note!r}"
            )

    @property
    def cents_per_bin(self) -> float:
        """Width of one bin in cents."""
        return 100.0 / self.bins_per_semitone

    @property
    def highest_note(self) -> float:
        """Centre of the last bin, MIDI."""
        return self.lowest_note + (self.n_bins - 1) / self.bins_per_semitone

    def midi(self) -> np.ndarray:
        """Bin centres as fractional MIDI note numbers, float64 ``(n_bins,)``."""
        return self.lowest_note + np.arange(self.n_bins) / self.bins_per_semitone

    def hz(self) -> np.ndarray:
        """Bin centres in Hz (A4 = 440 Hz), float64 ``(n_bins,)``."""
        return librosa.midi_to_hz(self.midi())

    def cents(self) -> np.ndarray:
        """Bin centres in cents above 10 Hz (CREPE's and mir_eval's scale), float64 (n_bins,)."""
        return 1200.0 * np.log2(self.hz() / CENTS_REFERENCE_HZ)

    def fractional_bin(self, f0_hz: np.ndarray) -> np.ndarray:
        """Position of each f0 on the bin axis (bin i is at i), float64; NaN where f0 <= 0.

        Positions outside ``[-0.5, n_bins - 0.5)`` are outside the axis.
        """
        f0 = np.asarray(f0_hz, dtype=np.float64)
        position = np.full(f0.shape, np.nan)
        voiced = f0 > 0
        position[voiced] = (librosa.hz_to_midi(f0[voiced]) - self.lowest_note) * (
            self.bins_per_semitone
        )
        return position


def crepe_bins() -> PitchBins:
    """CREPE's output axis: 360 bins of 20 cents, the first at 1997.3794 cents above 10 Hz.

    That first centre is 31.70 Hz (MIDI 23.46); the last is 1997.38 + 7180 cents (2005.5 Hz).
    """
    # MIDI = 69 + (cents re 10 Hz - cents of 440 Hz re 10 Hz) / 100
    cents_a4 = 1200.0 * math.log2(440.0 / CENTS_REFERENCE_HZ)
    return PitchBins(
        bins_per_semitone=5, lowest_note=69.0 + (CREPE_FIRST_BIN_CENTS - cents_a4) / 100.0
    )


def _validate_f0(f0_hz, where: str) -> np.ndarray:
    f0 = np.asarray(f0_hz, dtype=np.float64)
    if f0.ndim != 1:
        raise InputError(where, f"expected a 1-D array of f0 values (Hz), got shape {f0.shape}")
    if not np.all(np.isfinite(f0)):
        raise InputError(where, f"f0 contains NaN or infinite values at index {_first_bad(f0)}")
    return f0


def _first_bad(values: np.ndarray) -> int:
    return int(np.flatnonzero(~np.isfinite(values))[0])


def _validate_blur(blur_semitones: float | None) -> None:
    if blur_semitones is not None and not (
        isinstance(blur_semitones, Real) and math.isfinite(blur_semitones) and blur_semitones > 0
    ):
        raise InputError(
            "blur_semitones", f"must be a positive number or None, got {blur_semitones!r}"
        )


def f0_to_target(
    f0_hz: np.ndarray,
    bins: PitchBins,
    blur_semitones: float | None = None,
    out_of_range: str = "zero",
) -> np.ndarray:
    """Salience target for an f0 contour: float32 ``(n_frames, n_bins)``.

    Parameters
    ----------
    f0_hz : (n_frames,) f0 per frame in Hz; f0 <= 0 is unvoiced.
    bins : the pitch-bin axis of the model output.
    blur_semitones : None for a one-hot target at the nearest bin; otherwise the standard
        deviation sigma, in semitones, of a Gaussian around the exact f0: bin i gets
        ``exp(-d_i**2 / (2 * sigma**2))`` with d_i the distance in semitones from the f0 to
        the centre of bin i. Not normalised: the value is 1 where a bin centre equals the f0
        exactly (CREPE uses sigma = 25 cents = 0.25 semitones).
    out_of_range : what to do with a voiced f0 whose nearest bin is off the axis (further
        than half a bin beyond an end bin centre): ``"zero"`` (default) gives the frame an
        all-zero target, i.e. the same target as an unvoiced frame, since the model cannot
        represent that pitch; ``"raise"`` raises an InputError naming the first such frame.

    Unvoiced frames (f0 <= 0) get an all-zero target.
    """
    f0 = _validate_f0(f0_hz, "f0_hz")
    _validate_blur(blur_semitones)
    if out_of_range not in ("zero", "raise"):
        raise InputError("out_of_range", f"must be 'zero' or 'raise', got {out_of_range!r}")

    position = bins.fractional_bin(f0)
    voiced = f0 > 0
    in_range = voiced & (position >= -0.5) & (position < bins.n_bins - 0.5)
    if out_of_range == "raise" and np.any(voiced & ~in_range):
        frame = int(np.flatnonzero(voiced & ~in_range)[0])
        raise InputError(
            "f0_hz",
            f"frame {frame} has f0 {f0[frame]:.3f} Hz, outside the pitch bins "
            f"({bins.hz()[0]:.3f}-{bins.hz()[-1]:.3f} Hz)",
        )

    target = np.zeros((f0.size, bins.n_bins), dtype=np.float32)
    rows = np.flatnonzero(in_range)
    if blur_semitones is None:
        target[rows, np.floor(position[rows] + 0.5).astype(np.int64)] = 1.0
    else:
        distance = (np.arange(bins.n_bins)[None, :] - position[rows, None]) / bins.bins_per_semitone
        target[rows] = np.exp(-(distance**2) / (2.0 * blur_semitones**2))
    return target


def f0s_to_target(
    f0s_hz: Sequence[np.ndarray],
    bins: PitchBins,
    blur_semitones: float | None = None,
    out_of_range: str = "zero",
) -> np.ndarray:
    """Multi-f0 salience target: float32 ``(n_frames, n_bins)``.

    ``f0s_hz`` holds one array per frame with the f0s (Hz) sounding in it (the
    ``mir_eval.multipitch`` layout; an empty array or values <= 0 mean no pitch). Each f0
    gets the target of :func:`f0_to_target` (same ``blur_semitones`` and ``out_of_range``)
    and the frame's target is their element-wise maximum.
    """
    arrays = [np.atleast_1d(np.asarray(frame, dtype=np.float64)) for frame in f0s_hz]
    for index, frame in enumerate(arrays):
        if frame.ndim != 1:
            raise InputError("f0s_hz", f"frame {index} is not a 1-D array (shape {frame.shape})")
        if not np.all(np.isfinite(frame)):
            raise InputError("f0s_hz", f"frame {index} contains NaN or infinite f0 values")
    counts = np.array([frame.size for frame in arrays], dtype=np.int64)
    flat = np.concatenate(arrays) if arrays else np.zeros(0)
    per_f0 = f0_to_target(flat, bins, blur_semitones, out_of_range)
    target = np.zeros((len(arrays), bins.n_bins), dtype=np.float32)
    np.maximum.at(target, np.repeat(np.arange(len(arrays)), counts), per_f0)
    return target


def voicing_target(f0_hz: np.ndarray) -> np.ndarray:
    """Voicing target for a separate voicing head: float32 ``(n_frames,)``, 1 where f0 > 0 Hz."""
    return (_validate_f0(f0_hz, "f0_hz") > 0).astype(np.float32)

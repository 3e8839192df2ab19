"""Training augmentations of pitch windows (SPEC 2.4): pitch shift and additive noise.

Each function is pure: it returns new arrays and draws only from the ``rng`` it is given.
A window is what :class:`mirlab.learning.windows.WindowBatches` hands its ``augment_pair``
hook: the (normalised) input window and its target frames, f0 in Hz per annotation frame
(``<= 0`` unvoiced, the MIREX convention). ``window_augmenter`` builds that hook.

* Pitch shift on CQT/HCQT windows ``(time, bins[, harmonics])`` is exact up to the edges:
  the bins move by ``k`` (``bins_per_octave / 12`` per semitone; every HCQT harmonic moves
  alike, since a transposition moves every partial by the same log-frequency interval), the
  bins shifted in at an edge get the feature's floor, and each voiced f0 is multiplied by
  ``2 ** (k / bins_per_octave)``.
* Pitch shift on raw audio resamples the window (``scipy.signal.resample_poly``) around its
  centre: played ``r`` times faster it sounds ``r`` times higher and ``r`` times shorter, so
  the f0 is multiplied by the rational ``r`` actually used and the target frames are
  re-timed around the window centre (nearest frame). A shift up shortens the audio: the
  window is then padded with silence at both ends, and target frames that fall outside the
  original window are unvoiced.
* Additive white Gaussian noise at an SNR in dB relative to the window's mean power (raw
  audio only: a normalised log-frequency window no longer holds the linear magnitudes that
  noise adds to).

Mixing (a melody stem over another track's accompaniment) is not here: the window reader
gives one cached input per track (the mix's feature or audio), not its stems.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from functools import partial
from typing import Literal

import numpy as np
from scipy.signal import resample_poly

from mirlab.errors import InputError

#: Largest denominator of the rational resampling ratio: within 5 cents of the shift asked
#: for (0.03 cents at whole semitones up to 3); the f0 is scaled by the ratio used, so the
#: target stays exact.
MAX_DENOMINATOR = 200


def scale_f0(f0: np.ndarray, ratio: float) -> np.ndarray:
    """Voiced f0 (Hz, ``> 0``) multiplied by ``ratio``; unvoiced values (``<= 0``) unchanged."""
    f0 = np.asarray(f0)
    return np.where(f0 > 0, f0 * ratio, f0).astype(f0.dtype)


def shift_bins(x: np.ndarray, n_bins: int, fill: float | None = None) -> np.ndarray:
    """A ``(time, bins, ...)`` window with its bins moved up by ``n_bins`` (down if negative).

    Bin ``b`` of the result is bin ``b - n_bins`` of ``x``; the ``|n_bins|`` bins shifted in
    at an edge are set to ``fill``, by default the window's minimum per channel (over time and
    bins; the feature's floor, e.g. -100 dB before normalisation, wherever the window reaches
    it). Returns a copy.
    """
    x = np.asarray(x)
    if x.ndim < 2:
        raise InputError("augment.pitch_shift", "shifting bins needs a (time, bins, ...) window")
    n_bins = int(n_bins)
    if fill is None:
        floor = x.min(axis=(0, 1), keepdims=True)
    else:
        floor = np.full((1, 1, *x.shape[2:]), fill, dtype=x.dtype)
    out = np.broadcast_to(floor, x.shape).astype(x.dtype, copy=True)
    size = x.shape[1]
    if abs(n_bins) < size:
        if n_bins >= 0:
            out[:, n_bins:] = x[:, : size - n_bins]
        else:
            out[:, :n_bins] = x[:, -n_bins:]
    return out


def shift_feature_window(
    x: np.ndarray, f0: np.ndarray, n_bins: int, bins_per_octave: int, fill: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Pitch shift of a CQT/HCQT window by ``n_bins`` bins with its f0 frames (Hz) alike:
    ``(shift_bins(x, n_bins, fill), scale_f0(f0, 2 ** (n_bins / bins_per_octave)))``."""
    if not isinstance(bins_per_octave, int | np.integer) or bins_per_octave < 12:
        raise InputError("bins_per_octave", f"must be an integer >= 12, got {bins_per_octave!r}")
    return shift_bins(x, n_bins, fill), scale_f0(f0, 2.0 ** (n_bins / bins_per_octave))


def resampling_ratio(semitones: float) -> Fraction:
    """The rational pitch ratio (output pitch / input pitch) nearest ``2 ** (semitones / 12)``
    with a denominator of at most ``MAX_DENOMINATOR``."""
    return Fraction(2.0 ** (semitones / 12.0)).limit_denominator(MAX_DENOMINATOR)


def shift_audio_window(
    x: np.ndarray, f0: np.ndarray, semitones: float
) -> tuple[np.ndarray, np.ndarray, float]:
    """Pitch shift of a raw-audio window ``(samples,)`` by resampling, with its f0 frames.

    The audio is resampled by ``1 / r`` (``r = resampling_ratio(semitones)``) and cut or
    zero-padded to its length around the centre, so sample ``d`` from the centre holds what
    was at ``d * r``. The ``n`` target frames are evenly spaced around the window centre
    (as in :class:`~mirlab.learning.windows.WindowSpec`), so frame ``j`` takes the f0 of
    frame ``c + (j - c) * r`` (nearest; ``c = (n - 1) / 2``; outside the window: unvoiced,
    0 Hz) times ``r``. Returns ``(audio, f0, r)``.
    """
    x = np.asarray(x, dtype=np.float32)
    f0 = np.asarray(f0)
    if x.ndim != 1:
        raise InputError("augment.pitch_shift", f"raw audio window must be 1-D, got {x.shape}")
    ratio = resampling_ratio(semitones)
    resampled = resample_poly(x, ratio.denominator, ratio.numerator).astype(np.float32)
    length = len(x)
    if len(resampled) >= length:
        first = (len(resampled) - length) // 2
        audio = resampled[first : first + length]
    else:
        audio = np.zeros(length, dtype=np.float32)
        first = (length - len(resampled)) // 2
        audio[first : first + len(resampled)] = resampled
    centre = (len(f0) - 1) / 2
    source = np.rint(centre + (np.arange(len(f0)) - centre) * float(ratio)).astype(np.int64)
    inside = (source >= 0) & (source < len(f0))
    retimed = np.zeros_like(f0)
    retimed[inside] = f0[source[inside]]
    return audio, scale_f0(retimed, float(ratio)), float(ratio)


def add_noise(x: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """``x`` plus white Gaussian noise whose power is the mean power of ``x`` (mean square
    over the window) divided by ``10 ** (snr_db / 10)``. A silent window stays silent."""
    x = np.asarray(x, dtype=np.float32)
    power = float(np.mean(np.square(x, dtype=np.float64)))
    noise = rng.standard_normal(x.shape) * math.sqrt(power / 10.0 ** (snr_db / 10.0))
    return (x + noise).astype(np.float32)


def augment_window(
    x: np.ndarray,
    f0: np.ndarray,
    rng: np.random.Generator,
    input: Literal["frames", "samples"],
    pitch_shift: float,
    noise_snr_db: Sequence[float] | None,
    probability: float,
    bins_per_octave: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """One window and its f0 frames, pitch shifted and noised (the ``augment_pair`` hook).

    Draws, in this order and every time (so each window uses the same number of draws
    whatever is applied): whether to shift (``probability``), the shift (feature windows: an
    integer number of bins uniform in ``-m .. m``, ``m = floor(pitch_shift *
    bins_per_octave / 12)``; audio: semitones uniform in ``[-pitch_shift, pitch_shift]``),
    whether to add noise (``probability``), and the SNR (dB, uniform in ``noise_snr_db``);
    then the noise itself if added.
    """
    shift_drawn = rng.random() < probability
    if input == "frames":
        max_bins = math.floor(pitch_shift * bins_per_octave / 12) if pitch_shift else 0
        shift = int(rng.integers(-max_bins, max_bins + 1))
    else:
        shift = float(rng.uniform(-pitch_shift, pitch_shift))
    noise_drawn = rng.random() < probability
    snr_db = float(rng.uniform(*noise_snr_db)) if noise_snr_db is not None else 0.0
    if shift_drawn and shift != 0:
        if input == "frames":
            x, f0 = shift_feature_window(x, f0, shift, bins_per_octave)
        else:
            x, f0, _ = shift_audio_window(x, f0, shift)
    if noise_drawn and noise_snr_db is not None:
        x = add_noise(x, snr_db, rng)
    return x, f0


def window_augmenter(
    input: Literal["frames", "samples"],
    pitch_shift: float = 0.0,
    noise_snr_db: Sequence[float] | None = None,
    probability: float = 1.0,
    bins_per_octave: int | None = None,
) -> Callable[[np.ndarray, np.ndarray, np.random.Generator], tuple[np.ndarray, np.ndarray]]:
    """The ``augment_pair(x, f0, rng)`` of ``WindowBatches`` for ``augment_window``'s options.

    ``input``: ``"frames"`` (CQT/HCQT windows, needs ``bins_per_octave``) or ``"samples"``
    (raw audio). ``pitch_shift``: largest shift in semitones (0: none). ``noise_snr_db``:
    ``[lo, hi]`` SNR range in dB (None: no noise; raw audio only). ``probability``: of each
    augmentation per window. Bad options raise ``InputError`` naming the ``training.augment``
    key.
    """
    key = "training.augment"
    if input not in ("frames", "samples"):
        raise InputError(f"{key}", f"input {input!r} is not 'frames' or 'samples'")
    if not 0 <= pitch_shift <= 12:
        raise InputError(f"{key}.pitch_shift", f"must be in [0, 12] semitones, got {pitch_shift}")
    if not 0 <= probability <= 1:
        raise InputError(f"{key}.probability", f"must be in [0, 1], got {probability}")
    if noise_snr_db is not None:
        if len(noise_snr_db) != 2 or noise_snr_db[0] > noise_snr_db[1]:
            raise InputError(f"{key}.noise_snr_db", f"must be [lo, hi] dB, got {noise_snr_db}")
        if input != "samples":
            raise InputError(
                f"{key}.noise_snr_db",
                "additive noise needs raw-audio input: a normalised log-frequency window "
                "no longer holds the linear magnitudes that noise adds to",
            )
        noise_snr_db = (float(noise_snr_db[0]), float(noise_snr_db[1]))
    if input == "frames" and pitch_shift:
        if not isinstance(bins_per_octave, int | np.integer) or bins_per_octave < 12:
            raise InputError(
                "input.feature_params.bins_per_octave",
                f"pitch shift of a feature window needs bins_per_octave >= 12, got "
                f"{bins_per_octave!r}",
            )
    return partial(
        augment_window,
        input=input,
        pitch_shift=float(pitch_shift),
        noise_snr_db=noise_snr_db,
        probability=float(probability),
        bins_per_octave=bins_per_octave,
    )

"""Training augmentations of pitch windows (SPEC 2.4): pitch shift, additive noise, mixing.

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
* Mixing (``AccompanimentMixer``): a melody-stem window plus a window of the same length
  from a random track and offset of an accompaniment dataset, scaled so that the
  melody-to-accompaniment ratio (RMS over the window) is the one drawn; the f0 is unchanged.
  It works on the windows as cached, before their normalisation (the melody family's
  training normalises each window after mixing it). Raw audio is summed exactly. Feature
  windows (dB, floor -100 dB, see :mod:`mirlab.data.features`) are summed as linear
  magnitudes, ``10 ** (dB / 20)``, and turned back to dB with the floor: an approximation,
  since the phases of the two signals are ignored (the magnitude of a sum is at most the sum
  of the magnitudes).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from functools import partial
from typing import Literal

import numpy as np
from scipy.signal import resample_poly

from mirlab.data.features import FLOOR_DB as FEATURE_FLOOR_DB
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


# --- mixing ----------------------------------------------------------------------------------


def window_rms(x: np.ndarray) -> float:
    """Root mean square over every value of a window (float64)."""
    return math.sqrt(float(np.mean(np.square(np.asarray(x), dtype=np.float64))))


def accompaniment_gain(melody_rms: float, accompaniment_rms: float, ratio_db: float) -> float:
    """The gain ``g`` that puts an accompaniment of RMS ``accompaniment_rms`` at ``ratio_db``
    below a melody of RMS ``melody_rms``: ``20 * log10(melody_rms / (g * accompaniment_rms))
    == ratio_db``. 0 when either is silent (no ratio to reach: the window is left as it is)."""
    if melody_rms <= 0 or accompaniment_rms <= 0:
        return 0.0
    return melody_rms / (accompaniment_rms * 10.0 ** (ratio_db / 20.0))


def mix_audio_window(x: np.ndarray, accompaniment: np.ndarray, ratio_db: float) -> np.ndarray:
    """Raw audio ``x + g * accompaniment`` with the melody-to-accompaniment ratio (RMS over
    the window) ``ratio_db`` (see ``accompaniment_gain``); exact up to float32 rounding."""
    x = np.asarray(x, dtype=np.float32)
    accompaniment = np.asarray(accompaniment, dtype=np.float32)
    if accompaniment.shape != x.shape:
        raise InputError("augment.mix", f"accompaniment {accompaniment.shape}, window {x.shape}")
    gain = accompaniment_gain(window_rms(x), window_rms(accompaniment), ratio_db)
    if gain == 0.0:
        return x.copy()
    return (x.astype(np.float64) + gain * accompaniment.astype(np.float64)).astype(np.float32)


def db_to_magnitude(x_db: np.ndarray, floor_db: float = FEATURE_FLOOR_DB) -> np.ndarray:
    """Linear magnitudes ``10 ** (dB / 20)`` of a dB window (float64); values at or below
    ``floor_db`` are 0 (the feature could not tell them from silence)."""
    x_db = np.asarray(x_db, dtype=np.float64)
    return np.where(x_db > floor_db, 10.0 ** (x_db / 20.0), 0.0)


def mix_feature_window(
    x_db: np.ndarray,
    accompaniment_db: np.ndarray,
    ratio_db: float,
    floor_db: float = FEATURE_FLOOR_DB,
) -> np.ndarray:
    """A dB feature window (CQT, HCQT, STFT magnitudes) mixed with an accompaniment window of
    the same shape, in the magnitude domain.

    With ``m = db_to_magnitude(x_db)`` and ``a = db_to_magnitude(accompaniment_db)``, the
    result is ``max(20 * log10(m + g * a), floor_db)`` with ``g`` the gain that puts the RMS
    of ``g * a`` (over the window) ``ratio_db`` below that of ``m``. This approximates the
    feature of the summed audio: the phases are ignored. The magnitude of a sum is at most
    the sum of the magnitudes (equal when the two are in phase), so where both signals have
    energy in a bin the result is up to 3 dB above the power sum that unrelated phases give
    on average; bins where one of them dominates come out right.
    """
    x_db = np.asarray(x_db, dtype=np.float32)
    accompaniment_db = np.asarray(accompaniment_db, dtype=np.float32)
    if accompaniment_db.shape != x_db.shape:
        raise InputError(
            "augment.mix", f"accompaniment {accompaniment_db.shape}, window {x_db.shape}"
        )
    melody, accompaniment = (
        db_to_magnitude(x_db, floor_db),
        db_to_magnitude(accompaniment_db, floor_db),
    )
    gain = accompaniment_gain(window_rms(melody), window_rms(accompaniment), ratio_db)
    if gain == 0.0:
        return x_db.copy()
    floor = 10.0 ** (floor_db / 20.0)
    return (20.0 * np.log10(np.maximum(melody + gain * accompaniment, floor))).astype(np.float32)


class AccompanimentMixer:
    """Mixing a window (as cached: audio samples or dB features) with a random window of
    accompaniment, the ``mix`` augmentation; ``mixer(x, rng)`` returns the mixed window.

    ``accompaniments``: the accompaniment tracks' cached inputs (arrays, or anything with
    ``len`` and ``[start:stop]`` row slices such as ``mirlab.learning.windows.NpyRows``), of
    the same frame grid and feature shape as the windows. Draws, in this order and every time
    (each window uses four draws of ``rng.random``/``rng.uniform`` whatever is applied):
    whether to mix (``probability``), the track (uniform over the tracks), the offset (uniform
    over the offsets where the window lies inside the track; a track shorter than the window
    is read from its start and padded with silence: zeros or ``floor_db``), and the ratio
    (dB, uniform in ``ratio_db``). Then ``mix_audio_window`` (``input="samples"``) or
    ``mix_feature_window`` (``input="frames"``).
    """

    def __init__(
        self,
        accompaniments: Sequence,
        input: Literal["frames", "samples"],
        ratio_db: Sequence[float],
        probability: float = 1.0,
        floor_db: float = FEATURE_FLOOR_DB,
    ):
        key = "training.augment.mix"
        if input not in ("frames", "samples"):
            raise InputError(key, f"input {input!r} is not 'frames' or 'samples'")
        if len(ratio_db) != 2 or not ratio_db[0] <= ratio_db[1]:
            raise InputError(
                f"{key}.ratio_db", f"must be [lo, hi] dB with lo <= hi, got {ratio_db}"
            )
        if not 0 <= probability <= 1:
            raise InputError(f"{key}.probability", f"must be in [0, 1], got {probability}")
        if not accompaniments:
            raise InputError(f"{key}.accompaniment", "no accompaniment track")
        self.accompaniments = list(accompaniments)
        self.input = input
        self.ratio_db = (float(ratio_db[0]), float(ratio_db[1]))
        self.probability = float(probability)
        self.floor_db = float(floor_db)

    def draw(self, rng: np.random.Generator, length: int) -> tuple[bool, np.ndarray, float]:
        """(whether to mix, an accompaniment window of ``length`` rows, ratio in dB)."""
        mixed = rng.random() < self.probability
        track = self.accompaniments[
            min(int(rng.random() * len(self.accompaniments)), len(self.accompaniments) - 1)
        ]
        last = max(len(track) - length, 0)
        offset = min(int(rng.random() * (last + 1)), last)
        ratio_db = float(rng.uniform(*self.ratio_db))
        fill = self.floor_db if self.input == "frames" else 0.0
        window = np.full((length, *track.shape[1:]), fill, dtype=np.float32)
        rows = np.asarray(track[offset : offset + length], dtype=np.float32)
        window[: len(rows)] = rows
        return mixed, window, ratio_db

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        mixed, accompaniment, ratio_db = self.draw(rng, len(x))
        if not mixed:
            return np.asarray(x, dtype=np.float32)
        if accompaniment.shape != np.shape(x):
            raise InputError(
                "training.augment.mix.accompaniment",
                f"accompaniment windows {accompaniment.shape}, training windows {np.shape(x)}",
            )
        if self.input == "samples":
            return mix_audio_window(x, accompaniment, ratio_db)
        return mix_feature_window(x, accompaniment, ratio_db, self.floor_db)

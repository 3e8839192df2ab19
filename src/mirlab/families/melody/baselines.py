"""Non-learned melody / pitch baselines, each giving a MIREX-format ``(times, f0)`` series.

Times are frame centres in seconds, f0 in Hz in the MIREX convention (> 0 voiced; an unvoiced
frame negative with the method's pitch guess where it has one, else 0), so every baseline is
scored by :mod:`mirlab.evaluation.evaluate` exactly like a trained model. :data:`BASELINES`
names them for the pipeline.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import librosa
import numpy as np
import soxr

from mirlab.pitch.salience import DEFAULT_HARMONIC_WEIGHTS, harmonic_summation

#: pYIN search range: C2 to C7 (Hz), the range of librosa's own pYIN examples.
PYIN_FMIN = float(librosa.note_to_hz("C2"))
PYIN_FMAX = float(librosa.note_to_hz("C7"))


class OptionalDependencyError(RuntimeError):
    """A baseline needs a package from an optional extra that is not installed."""


def _check_audio(y: np.ndarray, sr: int, hop_length: int) -> np.ndarray:
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"audio must be a non-empty 1-D array, got shape {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ValueError("audio holds NaN or infinite samples")
    if sr <= 0 or hop_length <= 0:
        raise ValueError(f"sr ({sr}) and hop_length ({hop_length}) must be positive")
    return y


def pyin_f0(
    y: np.ndarray,
    sr: int,
    hop_length: int,
    fmin: float = PYIN_FMIN,
    fmax: float = PYIN_FMAX,
    frame_length: int = 2048,
) -> tuple[np.ndarray, np.ndarray]:
    """Monophonic f0 with ``librosa.pyin`` (probabilistic YIN with HMM voicing).

    ``y`` mono audio at ``sr`` Hz; ``hop_length`` and ``frame_length`` in samples; ``fmin``,
    ``fmax`` the search range in Hz. Frames are centred (frame k at ``k * hop_length / sr`` s,
    ``librosa.times_like``). Returns ``(times in s, f0 in Hz)``; where pYIN says unvoiced, its
    best pitch guess is negative (MIREX convention, see :func:`mirlab.pitch.decode.apply_voicing`).
    """
    y = _check_audio(y, sr, hop_length)
    f0, voiced, _ = librosa.pyin(
        y,
        fmin=fmin,
        fmax=fmax,
        sr=sr,
        frame_length=frame_length,
        hop_length=hop_length,
        fill_na=None,
    )
    times = librosa.times_like(f0, sr=sr, hop_length=hop_length)
    f0 = np.where(np.isfinite(f0), f0, 0.0)
    return times, np.where(voiced, f0, -f0)


def _parabolic_offset(salience: np.ndarray, peak: np.ndarray) -> np.ndarray:
    """Sub-bin offset in [-0.5, 0.5] of each frame's peak, from a parabola through 3 bins."""
    offset = np.zeros(peak.shape, dtype=np.float64)
    rows = np.flatnonzero((peak > 0) & (peak < salience.shape[1] - 1))
    left = salience[rows, peak[rows] - 1]
    centre = salience[rows, peak[rows]]
    right = salience[rows, peak[rows] + 1]
    curvature = left - 2.0 * centre + right
    # A flat top (zero curvature) has no better estimate than the argmax bin itself.
    safe = np.where(curvature < 0, curvature, -1.0)
    offset[rows] = np.where(curvature < 0, 0.5 * (left - right) / safe, 0.0)
    return np.clip(offset, -0.5, 0.5)


def salience_peak_contour(
    hcqt: np.ndarray,
    bin_frequencies: np.ndarray,
    harmonic_weights: Sequence[float] = DEFAULT_HARMONIC_WEIGHTS,
    in_db: bool = True,
    refine: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Pitch guess and confidence of every frame, before any voicing decision.

    The f0 of a frame is the bin of highest :func:`harmonic_summation` salience, refined
    (``refine``) by a parabola through it and its two neighbours, interpolated on the
    log-frequency axis. Its confidence is that peak salience divided by the highest peak
    salience of the track, in [0, 1] (all 0 for a silent track). ``bin_frequencies`` are the
    increasing centre frequencies (Hz) of the ``h = 1`` channel
    (:func:`mirlab.data.features.feature_bin_frequencies`). Returns float64 ``(n_frames,)`` arrays:
    f0 in Hz (always positive) and confidence; the same shape that
    :func:`mirlab.pitch.decode.tune_voicing_threshold` tunes a threshold on.
    """
    bin_frequencies = np.asarray(bin_frequencies, dtype=np.float64)
    salience = harmonic_summation(hcqt, harmonic_weights, in_db)
    n_frames, n_bins = salience.shape
    if bin_frequencies.shape != (n_bins,):
        raise ValueError(f"{bin_frequencies.size} bin frequencies for {n_bins} HCQT bins")
    if np.any(bin_frequencies <= 0) or np.any(np.diff(bin_frequencies) <= 0):
        raise ValueError("bin_frequencies must be positive and increasing (Hz)")
    peak = np.argmax(salience, axis=1)
    peak_salience = salience[np.arange(n_frames), peak]
    position = peak + (_parabolic_offset(salience, peak) if refine else 0.0)
    f0 = np.exp2(np.interp(position, np.arange(n_bins), np.log2(bin_frequencies)))
    top = peak_salience.max(initial=0.0)
    confidence = peak_salience / top if top > 0 else np.zeros(n_frames)
    return f0, confidence


def salience_peak_f0(
    hcqt: np.ndarray,
    bin_frequencies: np.ndarray,
    frame_times: np.ndarray,
    harmonic_weights: Sequence[float] = DEFAULT_HARMONIC_WEIGHTS,
    threshold: float = 0.3,
    in_db: bool = True,
    refine: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Non-learned melody: HCQT harmonic summation, argmax per frame, relative threshold.

    ``hcqt`` is ``(n_frames, n_bins, n_harmonics)`` (see :func:`harmonic_summation`),
    ``frame_times`` the frame centres in seconds. A frame is voiced when its confidence from
    :func:`salience_peak_contour` (peak salience relative to the track's highest) is at least
    ``threshold``; tune the threshold on the validation set with
    :func:`mirlab.pitch.decode.tune_voicing_threshold` on those confidences.
    Returns ``(frame_times in s, f0 in Hz)``: an unvoiced frame carries its salience peak as a
    negative pitch guess (MIREX convention), 0 where the frame has no salience at all.
    """
    frame_times = np.asarray(frame_times, dtype=np.float64)
    if frame_times.shape != (np.shape(hcqt)[0],):
        raise ValueError(f"{frame_times.size} frame times for {np.shape(hcqt)[0]} HCQT frames")
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be in [0, 1] (relative to the track's peak): {threshold}")
    f0, confidence = salience_peak_contour(hcqt, bin_frequencies, harmonic_weights, in_db, refine)
    voiced = (confidence > 0) & (confidence >= threshold)
    return frame_times, np.where(voiced, f0, np.where(confidence > 0, -f0, 0.0))


def _to_frame_grid(
    times: np.ndarray, f0: np.ndarray, n_frames: int, sr: int, hop_length: int
) -> tuple[np.ndarray, np.ndarray]:
    """Move a tracker's ``(times in s, f0 in Hz)`` onto frames ``k * hop_length / sr``.

    ``f0`` follows the MIREX convention: > 0 voiced, < 0 an unvoiced frame's pitch guess, 0
    unvoiced without a guess. A grid frame takes the voicing (and guess) of the nearest tracker
    frame. Its pitch is interpolated on the log-frequency axis between the two tracker frames
    around it when both are voiced, and is the nearest frame's otherwise: a tracker's pitch on
    its unvoiced frames is only a guess, so blending it in would drag the f0 at voicing
    boundaries. Grid frames past either end of ``times`` take the end frame. ``times`` must be
    increasing.
    """
    grid = np.arange(n_frames) * hop_length / sr
    position = np.interp(grid, times, np.arange(times.size, dtype=np.float64))
    left = np.floor(position).astype(int)
    right = np.minimum(left + 1, times.size - 1)
    weight = position - left
    nearest = np.where(weight < 0.5, left, right)
    voiced = f0 > 0
    log_f0 = np.log2(np.where(f0 != 0, np.abs(f0), 1.0))
    blended = (1.0 - weight) * log_f0[left] + weight * log_f0[right]
    pitch = np.exp2(np.where(voiced[left] & voiced[right], blended, log_f0[nearest]))
    return grid, np.where(f0[nearest] != 0, np.sign(f0[nearest]) * pitch, 0.0)


def _n_frames(n_samples: int, hop_length: int) -> int:
    """Frames of a centred framing, as ``librosa.times_like`` counts them for pYIN."""
    return 1 + n_samples // hop_length


#: Melodia's parameters (frame 2048, hop 128 samples) are essentia's defaults, tuned at 44.1 kHz.
MELODIA_SR = 44100


def melodia_f0(y: np.ndarray, sr: int, hop_length: int) -> tuple[np.ndarray, np.ndarray]:
    """Melodia (Salamon & Gomez 2012) through essentia's ``PredominantPitchMelodia``.

    ``y`` mono audio at ``sr`` Hz, resampled (soxr) to 44100 Hz, the rate Melodia's parameters
    are tuned for and one essentia's equal-loudness filter accepts; Melodia runs there with its
    own 128-sample (2.9 ms) hop, its first frame centred at 0. Its output is then moved onto
    the frame grid ``k * hop_length / sr`` s, ``1 + len(y) // hop_length`` frames as for
    :func:`pyin_f0` (see :func:`_to_frame_grid`). Returns ``(times in s, f0 in Hz)``, 0 for
    unvoiced. Needs the optional ``melodia`` extra: ``OptionalDependencyError`` without it.
    """
    try:
        import essentia.standard as essentia_standard
    except ImportError as error:
        raise OptionalDependencyError(
            "essentia is not installed; install the 'melodia' extra "
            "(pip install 'mirlab[melodia]') to run the Melodia baseline"
        ) from error
    y = _check_audio(y, sr, hop_length)
    audio = soxr.resample(y, sr, MELODIA_SR, quality="HQ") if sr != MELODIA_SR else y
    audio = essentia_standard.EqualLoudness(sampleRate=MELODIA_SR)(audio)
    melodia = essentia_standard.PredominantPitchMelodia(sampleRate=MELODIA_SR)
    pitch, _confidence = melodia(audio)
    pitch = np.asarray(pitch, dtype=np.float64)
    times = np.arange(pitch.size) * melodia.paramValue("hopSize") / MELODIA_SR
    return _to_frame_grid(times, pitch, _n_frames(y.size, hop_length), sr, hop_length)


def swift_f0(
    y: np.ndarray,
    sr: int,
    hop_length: int,
    fmin: float | None = None,
    fmax: float | None = None,
    confidence_threshold: float = 0.5,
) -> tuple[np.ndarray, np.ndarray]:
    """SwiftF0, a small pretrained CNN pitch tracker (ONNX model shipped in ``swift_f0``).

    ``y`` mono audio at ``sr`` Hz; SwiftF0 resamples it (soxr) to 16 kHz and gives a pitch and a
    voicing confidence every 256 samples (16 ms), frame j centred at ``j * 0.016`` s. A frame is
    voiced when its confidence is at least ``confidence_threshold`` (0.5 is the model's
    calibrated point). ``fmin``, ``fmax`` (Hz) narrow the search inside the model's range,
    46.875 to 2093.75 Hz (``None``: the model's bound). The output is moved onto the frame grid
    ``k * hop_length / sr`` s, ``1 + len(y) // hop_length`` frames as for :func:`pyin_f0`, so
    it lines up with every other baseline and model (see :func:`_to_frame_grid`). Returns
    ``(times in s, f0 in Hz)``, the pitch of unvoiced frames negative (MIREX pitch guesses).
    Needs the optional ``swift`` extra:
    ``OptionalDependencyError`` without it.
    """
    try:
        from swift_f0 import SwiftF0
    except ImportError as error:
        raise OptionalDependencyError(
            "swift-f0 is not installed; install the 'swift' extra "
            "(pip install 'mirlab[swift]') to run the SwiftF0 baseline"
        ) from error
    y = _check_audio(y, sr, hop_length)
    if not 0.0 <= confidence_threshold <= 1.0:
        raise ValueError(f"confidence_threshold must be in [0, 1]: {confidence_threshold}")
    # spin=False: the pipeline runs jobs side by side, and a spinning thread pool would busy-wait.
    result = SwiftF0(spin=False).detect(y, sr, fmin=fmin, fmax=fmax)
    pitch = np.where(result.confidence >= confidence_threshold, result.pitch_hz, -result.pitch_hz)
    return _to_frame_grid(result.timestamps, pitch, _n_frames(y.size, hop_length), sr, hop_length)


@dataclass(frozen=True)
class Baseline:
    """A baseline the pipeline can run by name.

    ``input`` says what ``function`` takes first: ``"audio"`` means ``(y, sr, hop_length)``,
    ``"hcqt"`` means ``(hcqt, bin_frequencies, frame_times)``; both return ``(times, f0)``.
    ``tuned`` names the keyword argument tuned on the validation set, if any (for
    ``salience_peak``: ``threshold``, tuned by :func:`mirlab.pitch.decode.tune_voicing_threshold` on
    the confidences of :func:`salience_peak_contour`).
    """

    function: Callable[..., tuple[np.ndarray, np.ndarray]]
    input: Literal["audio", "hcqt"]
    description: str
    tuned: str | None = None


BASELINES: dict[str, Baseline] = {
    "pyin": Baseline(pyin_f0, "audio", "librosa.pyin, monophonic probabilistic YIN"),
    "salience_peak": Baseline(
        salience_peak_f0,
        "hcqt",
        "HCQT harmonic summation, argmax per frame, relative voicing threshold",
        tuned="threshold",
    ),
    "melodia": Baseline(melodia_f0, "audio", "Melodia via essentia (optional 'melodia' extra)"),
    "swift_f0": Baseline(
        swift_f0, "audio", "SwiftF0 pretrained CNN pitch tracker (optional 'swift' extra)"
    ),
}

"""Reconstruction metrics of a magnitude spectrogram, per track (numpy only).

Every function takes the reference and the reconstruction as linear STFT magnitudes of the
same shape ``(n_frames, n_bins)`` (non-negative; any unit, the ratios do not depend on it).

- :func:`spectral_convergence`: ``||S - S_hat||_F / ||S||_F`` on linear magnitude
  (0 is perfect, 1 is what an all-zero reconstruction scores).
- :func:`log_spectral_distance`: the mean over frames of the RMS over bins of the dB
  difference, in dB.
- :func:`rmse_db`: the RMS of the dB difference over all frames and bins, in dB.

Both dB metrics clip both spectrograms at a floor :data:`FLOOR_DB` below the reference
track's maximum before comparing (:func:`floored_db`). Without a floor, the silent and
near-silent bins dominate: their dB values run down to -inf (or to whatever tiny constant
guards the logarithm), so a reconstruction that puts 1e-9 where the reference holds 1e-12 is
"30 dB wrong" in bins no one can hear, and the score measures the numerical noise floor of
each method rather than the spectrogram. 80 dB below the maximum is about the dynamic range
of a good recording; every bin quieter than that counts as equal to the floor.
"""

from __future__ import annotations

import numpy as np

from mirlab.errors import InputError

#: dB below the reference track's maximum at which both spectrograms are clipped.
FLOOR_DB = 80.0
#: Guards ``log10(0)`` (a silent track's floor is then 20 * log10(1e-30) - FLOOR_DB).
_TINY = 1e-30


def _check(reference: np.ndarray, estimate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    reference = np.asarray(reference, dtype=np.float64)
    estimate = np.asarray(estimate, dtype=np.float64)
    if reference.shape != estimate.shape or reference.ndim != 2 or reference.size == 0:
        raise InputError(
            "reconstruction", f"shape {estimate.shape}, reference {reference.shape} (frames, bins)"
        )
    for name, values in (("reference", reference), ("reconstruction", estimate)):
        if not np.all(np.isfinite(values)) or values.min() < 0:
            raise InputError(name, "magnitudes must be finite and >= 0")
    return reference, estimate


def floored_db(
    magnitude: np.ndarray, reference_max: float, floor_db: float = FLOOR_DB
) -> np.ndarray:
    """``20 log10(magnitude)`` in dB, clipped below at ``20 log10(reference_max) - floor_db``."""
    floor = 20.0 * np.log10(max(float(reference_max), _TINY)) - floor_db
    return np.maximum(20.0 * np.log10(np.maximum(magnitude, _TINY)), floor)


def spectral_convergence(reference: np.ndarray, estimate: np.ndarray) -> float:
    """``||S - S_hat||_F / ||S||_F`` of linear magnitudes (dimensionless; inf for a silent
    reference with a non-silent reconstruction, 0 when both are silent)."""
    reference, estimate = _check(reference, estimate)
    error = np.linalg.norm(reference - estimate)
    norm = np.linalg.norm(reference)
    if norm == 0:
        return 0.0 if error == 0 else float("inf")
    return float(error / norm)


def _db_difference(reference: np.ndarray, estimate: np.ndarray, floor_db: float) -> np.ndarray:
    reference, estimate = _check(reference, estimate)
    top = reference.max()
    return floored_db(reference, top, floor_db) - floored_db(estimate, top, floor_db)


def log_spectral_distance(
    reference: np.ndarray, estimate: np.ndarray, floor_db: float = FLOOR_DB
) -> float:
    """Mean over frames of ``sqrt(mean over bins of (dB_ref - dB_est)^2)``, in dB, both
    spectrograms floored ``floor_db`` below the reference's maximum (module docstring)."""
    difference = _db_difference(reference, estimate, floor_db)
    return float(np.sqrt(np.mean(difference**2, axis=1)).mean())


def rmse_db(reference: np.ndarray, estimate: np.ndarray, floor_db: float = FLOOR_DB) -> float:
    """``sqrt(mean over frames and bins of (dB_ref - dB_est)^2)``, in dB, with the same floor."""
    difference = _db_difference(reference, estimate, floor_db)
    return float(np.sqrt(np.mean(difference**2)))


def reconstruction_metrics(reference: np.ndarray, estimate: np.ndarray) -> dict[str, float]:
    """The three per-track metrics of linear magnitudes ``(n_frames, n_bins)``."""
    return {
        "spectral_convergence": spectral_convergence(reference, estimate),
        "log_spectral_distance": log_spectral_distance(reference, estimate),
        "rmse_db": rmse_db(reference, estimate),
    }

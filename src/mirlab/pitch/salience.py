"""Harmonic summation over an HCQT: the non-learned pitch salience shared by the melody and
multi-pitch families' ``salience_peak`` baselines."""

from __future__ import annotations

from collections.abc import Sequence

import librosa
import numpy as np

#: Harmonic-summation weights for the default HCQT channels, harmonics (0.5, 1, 2, 3, 4, 5).
#: Harmonic h >= 1 weighs 0.8 ** (h - 1) (the decay of Salamon & Gomez 2012). The 0.5 channel
#: gets 0: it holds the energy an octave below the candidate, which for the true f0 is only
#: noise but for the octave above is the true f0, so counting it would reward octave errors.
DEFAULT_HARMONIC_WEIGHTS: tuple[float, ...] = (0.0, 1.0, 0.8, 0.64, 0.512, 0.4096)


def harmonic_summation(
    hcqt: np.ndarray,
    harmonic_weights: Sequence[float] = DEFAULT_HARMONIC_WEIGHTS,
    in_db: bool = True,
) -> np.ndarray:
    """Weighted sum of the HCQT harmonic channels: salience of shape ``(n_frames, n_bins)``.

    Channel ``c`` of an HCQT holds, at bin k, the magnitude at ``harmonics[c] * f_k``, so
    summing the channels at bin k adds up the partials of a tone whose f0 is ``f_k``. The sum is
    taken over **linear** magnitudes, so scaling the audio scales the salience and a threshold
    relative to the track maximum does not depend on the level. ``in_db=True`` (the default,
    as :func:`mirlab.data.features.compute_feature` stores the HCQT: dB re 1.0) converts the
    values with ``librosa.db_to_amplitude`` first; ``in_db=False`` takes non-negative linear
    magnitudes.
    """
    hcqt = np.asarray(hcqt, dtype=np.float64)
    weights = np.asarray(harmonic_weights, dtype=np.float64)
    if hcqt.ndim != 3:
        raise ValueError(f"hcqt must be (n_frames, n_bins, n_harmonics), got shape {hcqt.shape}")
    if weights.shape != (hcqt.shape[2],):
        raise ValueError(
            f"{weights.size} harmonic weights for an HCQT with {hcqt.shape[2]} harmonic channels"
        )
    if not np.all(np.isfinite(hcqt)):
        raise ValueError("hcqt holds NaN or infinite values")
    if in_db:
        hcqt = librosa.db_to_amplitude(hcqt)
    elif np.any(hcqt < 0):
        raise ValueError("hcqt holds negative magnitudes; pass in_db=True for decibels")
    return hcqt @ weights

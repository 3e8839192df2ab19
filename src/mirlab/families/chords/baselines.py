"""Non-learned chord baseline: chroma templates with Viterbi smoothing.

The CQT feature (log magnitude, dB) is folded to a 12-bin chroma
(``librosa.feature.chroma_cqt`` from the magnitudes), each frame compared with a binary
template of every chord of the vocabulary (cosine similarity of the chord's pitch classes,
from ``mir_eval.chord``), the similarities turned into posteriors by a softmax of
temperature ``1 / sharpness``, and the frame sequence decoded as the models' posteriors are
(:func:`mirlab.families.chords.decode.decode_tags`). ``N`` scores ``no_chord`` (a
cosine-similarity level) and wins over quiet frames (below ``silence_db``); ``X`` is never
chosen.
"""

from __future__ import annotations

from collections.abc import Mapping

import librosa
import numpy as np

from mirlab.errors import InputError
from mirlab.families.chords.vocabulary import N_CLASS, VOCABULARY, X_CLASS, encode_labels


def chord_templates() -> np.ndarray:
    """Unit-norm pitch-class templates ``(170, 12)`` of the vocabulary's tags (zero for N, X)."""
    pitches = encode_labels(VOCABULARY)[:, 3:].astype(np.float64)
    norms = np.linalg.norm(pitches, axis=1, keepdims=True)
    return np.divide(pitches, norms, out=np.zeros_like(pitches), where=norms > 0)


def cqt_chroma(cqt_db: np.ndarray, feature_params: Mapping) -> np.ndarray:
    """Chroma ``(n_frames, 12)`` (C first, unit max per frame) of a dB CQT ``(n_frames, bins)``."""
    if cqt_db.ndim != 2:
        raise InputError("feature", f"need a (n_frames, n_bins) CQT, got shape {cqt_db.shape}")
    magnitude = np.power(10.0, cqt_db.astype(np.float64) / 20.0).T
    chroma = librosa.feature.chroma_cqt(
        C=magnitude,
        fmin=feature_params["fmin"],
        bins_per_octave=feature_params["bins_per_octave"],
        n_chroma=12,
    )
    return chroma.T


def template_posteriors(
    cqt_db: np.ndarray,
    feature_params: Mapping,
    sharpness: float = 20.0,
    no_chord: float = 0.6,
    silence_db: float = -60.0,
) -> np.ndarray:
    """Tag posteriors ``(n_frames, 170)`` of a dB CQT by chroma-template matching."""
    chroma = cqt_chroma(cqt_db, feature_params)
    norms = np.linalg.norm(chroma, axis=1, keepdims=True)
    unit = np.divide(chroma, norms, out=np.zeros_like(chroma), where=norms > 0)
    scores = unit @ chord_templates().T
    quiet = cqt_db.max(axis=1) < silence_db
    scores[:, N_CLASS] = np.where(quiet, 1.0, no_chord)
    scores[quiet, N_CLASS + 1 :] = 0.0
    logits = sharpness * scores
    logits[:, X_CLASS] = -np.inf
    logits -= logits.max(axis=1, keepdims=True)
    posteriors = np.exp(logits)
    return posteriors / posteriors.sum(axis=1, keepdims=True)

"""mu-law companding of audio to 256 levels (ITU-T G.711 mu-law curve, as in WaveNet), and
the level normalisation that precedes it.

The continuous mu-law curve ``F(x) = sign(x) ln(1 + mu |x|) / ln(1 + mu)`` maps ``[-1, 1]``
onto itself; its output is quantised uniformly to ``mu + 1 = 256`` codes,
``code = floor((F(x) + 1) / 2 * mu + 1/2)``, so that code 0 is -1, code 255 is +1 and the
levels are densest near silence. Decoding takes a code to the centre of its level,
``F^-1(2 code / mu - 1)``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from mirlab.errors import InputError

#: mu of the companding curve; ``MU + 1`` quantisation levels (8 bits).
MU = 255
N_LEVELS = MU + 1
#: Default target level (dBFS) of each normalisation: peak and RMS.
DEFAULT_LEVEL_DB = {"peak": -1.0, "rms": -20.0}

Normalisation = Literal["peak", "rms", "none"]


def mu_law_compress(x: np.ndarray, mu: int = MU) -> np.ndarray:
    """The mu-law curve ``F(x)`` of samples ``x`` (clipped to [-1, 1] first), in [-1, 1]."""
    x = np.clip(np.asarray(x, dtype=np.float64), -1.0, 1.0)
    return np.sign(x) * np.log1p(mu * np.abs(x)) / np.log1p(mu)


def mu_law_expand(y: np.ndarray, mu: int = MU) -> np.ndarray:
    """The inverse curve ``F^-1(y)`` for ``y`` in [-1, 1]."""
    y = np.asarray(y, dtype=np.float64)
    return np.sign(y) * np.expm1(np.abs(y) * np.log1p(mu)) / mu


def mu_law_encode(x: np.ndarray, mu: int = MU) -> np.ndarray:
    """Integer codes 0..mu (``uint8`` for mu = 255) of samples ``x`` (full scale 1.0;
    values beyond +-1 clip to the end codes)."""
    codes = np.floor((mu_law_compress(x, mu) + 1.0) / 2.0 * mu + 0.5)
    return codes.astype(np.uint8 if mu < 256 else np.int32)


def mu_law_decode(codes: np.ndarray, mu: int = MU) -> np.ndarray:
    """Samples (float32, full scale 1.0) at the centres of the levels ``codes`` (0..mu)."""
    codes = np.asarray(codes)
    if codes.size and (codes.min() < 0 or codes.max() > mu):
        raise InputError("codes", f"mu-law codes must lie in 0..{mu}")
    return mu_law_expand(2.0 * codes.astype(np.float64) / mu - 1.0, mu).astype(np.float32)


def normalise(
    samples: np.ndarray, mode: Normalisation = "peak", level_db: float | None = None
) -> np.ndarray:
    """Scale a track so that its peak (``peak``) or RMS (``rms``) lies at ``level_db`` dBFS
    (default :data:`DEFAULT_LEVEL_DB`), then clip to [-1, 1]; ``none`` only clips. A silent
    track stays silent. Returns float32."""
    samples = np.asarray(samples, dtype=np.float64)
    if mode not in ("peak", "rms", "none"):
        raise InputError("config key signal.normalize", f"{mode!r} is not peak, rms or none")
    if mode != "none":
        level = DEFAULT_LEVEL_DB[mode] if level_db is None else level_db
        if level > 0:
            raise InputError("config key signal.level_db", f"must be <= 0 dBFS, got {level}")
        current = np.max(np.abs(samples)) if mode == "peak" else np.sqrt(np.mean(samples**2))
        if current > 0:
            samples = samples * (10.0 ** (level / 20.0) / current)
    return np.clip(samples, -1.0, 1.0).astype(np.float32)


def encode_track(
    samples: np.ndarray, mode: Normalisation = "peak", level_db: float | None = None
) -> np.ndarray:
    """The 8-bit mu-law code stream of one track after :func:`normalise`: what every method
    (model and codec baselines alike) codes."""
    return mu_law_encode(normalise(samples, mode, level_db))

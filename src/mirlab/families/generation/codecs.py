"""Baselines that frame a model's likelihood: bits per sample of the same 8-bit mu-law code
stream under lossless coders (FLAC, xz) and its empirical zeroth- and first-order entropies.

A model learns something about the audio only if it codes the stream in fewer bits than
these. The coders' figures are real file sizes (headers included) divided by the number of
samples; the entropies are in-sample (they know the track's own histogram, which a real
coder would have to transmit), hence lower bounds for memoryless and one-sample-context
coders.
"""

from __future__ import annotations

import io
import lzma

import numpy as np
import soundfile

from mirlab.errors import InputError
from mirlab.families.generation.mulaw import N_LEVELS

#: Baseline name -> what it measures (``baseline`` of a ``task: generation`` experiment).
BASELINES = {
    "flac": "FLAC (level 8), 8-bit PCM of the codes",
    "xz": "xz/LZMA (preset 9 extreme) of the code bytes",
    "entropy0": "zeroth-order empirical entropy of the codes",
    "entropy1": "first-order (previous-code) empirical conditional entropy",
}


def _check(codes: np.ndarray) -> np.ndarray:
    codes = np.asarray(codes)
    if codes.ndim != 1 or codes.size == 0:
        raise InputError("codes", f"expected a non-empty 1-D code stream, got {codes.shape}")
    if codes.min() < 0 or codes.max() >= N_LEVELS:
        raise InputError("codes", f"codes must lie in 0..{N_LEVELS - 1}")
    return codes.astype(np.int64)


def flac_bits_per_sample(codes: np.ndarray, sr: int = 8000) -> float:
    """Size of the codes as an 8-bit mono FLAC file (signed: code - 128), bits per sample."""
    codes = _check(codes)
    buffer = io.BytesIO()
    pcm = (codes - 128).astype(np.int16) * 256  # PCM_S8 reads 16-bit input's high byte
    soundfile.write(buffer, pcm, sr, format="FLAC", subtype="PCM_S8", compression_level=1.0)
    return 8.0 * buffer.getbuffer().nbytes / codes.size


def xz_bits_per_sample(codes: np.ndarray) -> float:
    """Size of the code bytes compressed by xz (LZMA2, preset 9 extreme), bits per sample."""
    codes = _check(codes)
    packed = lzma.compress(codes.astype(np.uint8).tobytes(), preset=9 | lzma.PRESET_EXTREME)
    return 8.0 * len(packed) / codes.size


def _entropy(counts: np.ndarray) -> float:
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log2(p)).sum())


def entropy0_bits_per_sample(codes: np.ndarray) -> float:
    """``H(X)`` of the codes' empirical histogram, bits per sample."""
    return _entropy(np.bincount(_check(codes), minlength=N_LEVELS).astype(np.float64))


def entropy1_bits_per_sample(codes: np.ndarray) -> float:
    """``H(X_t | X_{t-1})`` from the empirical pair counts, bits per sample (the first
    sample at ``H(X)``, averaged in)."""
    codes = _check(codes)
    if codes.size == 1:
        return 0.0
    pairs = np.bincount(codes[:-1] * N_LEVELS + codes[1:], minlength=N_LEVELS**2)
    joint = _entropy(pairs.astype(np.float64))
    previous = _entropy(np.bincount(codes[:-1], minlength=N_LEVELS).astype(np.float64))
    conditional = joint - previous
    return float((entropy0_bits_per_sample(codes) + (codes.size - 1) * conditional) / codes.size)


def baseline_bits_per_sample(name: str, codes: np.ndarray, sr: int) -> float:
    """Bits per sample of the code stream under baseline ``name`` (one of :data:`BASELINES`)."""
    if name == "flac":
        return flac_bits_per_sample(codes, sr)
    functions = {
        "xz": xz_bits_per_sample,
        "entropy0": entropy0_bits_per_sample,
        "entropy1": entropy1_bits_per_sample,
    }
    if name not in functions:
        raise InputError("config key baseline", f"{name!r} is not one of {', '.join(BASELINES)}")
    return functions[name](codes)

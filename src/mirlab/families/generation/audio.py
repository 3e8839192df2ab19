"""A dataset's audio as mu-law code streams, and frame statistics of audio that catch the
known failures of sample-level generators (mostly silence, wrong brightness or level)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import librosa
import numpy as np
import scipy.stats

from mirlab.data.cache import DatasetPaths
from mirlab.errors import InputError
from mirlab.families.generation.mulaw import encode_track, mu_law_decode

#: A frame whose RMS is below this level (dBFS) is near-silent.
SILENT_DB = -50.0
#: FFT size of the spectral centroid (samples).
N_FFT = 256


def track_codes(data: DatasetPaths, track_ids: Sequence[str], signal: Mapping) -> list[np.ndarray]:
    """The mu-law code stream (uint8) of each track's cached audio after the experiment's
    ``signal`` normalisation."""
    codes = []
    for path in data.input_files(list(track_ids)):
        samples = np.load(path)
        if samples.ndim != 1 or samples.size == 0:
            raise InputError(path, f"expected non-empty mono audio, got shape {samples.shape}")
        codes.append(encode_track(samples, signal["normalize"], signal.get("level_db")))
    return codes


def frame_levels(samples: np.ndarray, sr: int, hop_length: int) -> dict[str, np.ndarray]:
    """Per frame of ``hop_length`` samples: ``rms_db`` (dBFS, floored at -120) and
    ``centroid_hz`` (spectral centroid, NaN for near-silent frames)."""
    samples = np.asarray(samples, np.float32)
    rms = librosa.feature.rms(y=samples, frame_length=2 * hop_length, hop_length=hop_length)[0]
    rms_db = 20 * np.log10(np.maximum(rms, 1e-6))
    centroid = librosa.feature.spectral_centroid(
        y=samples, sr=sr, n_fft=N_FFT, hop_length=hop_length
    )[0]
    n = min(len(rms_db), len(centroid))
    rms_db, centroid = rms_db[:n], centroid[:n].astype(np.float64)
    centroid[rms_db < SILENT_DB] = np.nan
    return {"rms_db": rms_db.astype(np.float64), "centroid_hz": centroid}


def code_frame_levels(codes: Sequence[np.ndarray], sr: int, hop_length: int) -> dict:
    """:func:`frame_levels` of decoded code streams, frames of all streams pooled."""
    levels = [frame_levels(mu_law_decode(c), sr, hop_length) for c in codes]
    return {key: np.concatenate([level[key] for level in levels]) for key in levels[0]}


def level_statistics(levels: Mapping[str, np.ndarray], reference: Mapping | None = None) -> dict:
    """Summary of frame levels: ``silent_fraction`` (frames below :data:`SILENT_DB`),
    ``median_level_db``, ``median_centroid_hz`` (non-silent frames); with ``reference``
    levels (the training audio), the 1-D Wasserstein distances of the level (dB) and
    centroid (Hz) distributions from it."""
    rms_db, centroid = levels["rms_db"], levels["centroid_hz"]
    voiced = centroid[np.isfinite(centroid)]
    stats = {
        "silent_fraction": float(np.mean(rms_db < SILENT_DB)),
        "median_level_db": float(np.median(rms_db)),
        "median_centroid_hz": float(np.median(voiced)) if voiced.size else float("nan"),
    }
    if reference is not None:
        ref_centroid = reference["centroid_hz"][np.isfinite(reference["centroid_hz"])]
        stats["level_distance_db"] = float(
            scipy.stats.wasserstein_distance(rms_db, reference["rms_db"])
        )
        stats["centroid_distance_hz"] = (
            float(scipy.stats.wasserstein_distance(voiced, ref_centroid))
            if voiced.size and ref_centroid.size
            else float("nan")
        )
    return stats

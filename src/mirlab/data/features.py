"""Time-frequency features on the model frame grid: STFT, mel, CQT and HCQT.

Every feature is a float32 array with **frames first**: ``(n_frames, n_bins)`` for
``stft``, ``mel`` and ``cqt``, ``(n_frames, n_bins, n_harmonics)`` for ``hcqt``, so that a
training window is one contiguous slice of a memory-mapped ``.npy`` cache file.

Frame grid: frame ``i`` is centred on sample ``i * hop_length`` (librosa ``center=True``),
i.e. at ``i * hop_length / sr`` seconds, and a signal of ``n`` samples has exactly
``n_frames_for(n, hop_length) = 1 + n // hop_length`` frames for every kind.

Log compression (``log=True``, the default) is decibels relative to 1.0 with no top-dB
clipping: ``20 * log10(max(|X|, 1e-5))`` for magnitudes (stft, cqt, hcqt) and
``10 * log10(max(P, 1e-10))`` for the mel power spectrogram, so every kind floors at -100 dB.
The reference is fixed (not the track maximum) so that an excerpt and the whole track give
the same values for the same frames.

HCQT (Bittner et al. 2017): harmonic ``h`` is a CQT starting at ``h * fmin`` with the same
number of bins. Harmonics whose starting bins lie on a common log-frequency grid
(``bins_per_octave * log2(h / h')`` an integer, e.g. 0.5, 1, 2 and 4 at 60 bins/octave) are
sliced out of one wider CQT, which librosa computes octave by octave at decreasing sample
rates, so it costs little more than one CQT. Harmonics off that grid (3 and 5, since
``60 * log2(3)`` = 95.1 bins) get their own CQT: their bin centres then stay exactly at
``h * f`` instead of being rounded to the nearest bin (up to 10 cents off).
The sliced channels match separate ``librosa.cqt`` calls to within a fraction of a dB except
in low-energy valleys; ``tests/test_features.py`` checks it.

Speed: librosa computes the lower CQT octaves at halved sample rates only while
``hop_length`` stays divisible by 2, so a hop with many factors of 2 (256 at 22050 Hz) is far
faster than an odd one (441 at 44100 Hz); the frame grid is the same either way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import librosa
import numpy as np

from mirlab.errors import InputError
from mirlab.storage import write_npy

#: Lowest CQT frequency by default: C1 in Hz.
C1_HZ = float(librosa.note_to_hz("C1"))

_DB_AMIN_MAGNITUDE = 1e-5  # -100 dB floor for magnitudes
_DB_AMIN_POWER = 1e-10  # -100 dB floor for powers
#: dB of the floor of every log feature (magnitudes floored at 1e-5, powers at 1e-10).
FLOOR_DB = -100.0

#: Feature kinds, and for each the parameters it accepts with their defaults.
#: hop_length and n_fft in samples; fmin and fmax in Hz (fmax None: sr / 2);
#: harmonics as multiples of fmin; log switches the dB compression described above.
FEATURE_KINDS: Mapping[str, Mapping[str, object]] = {
    "stft": {"hop_length": 256, "n_fft": 2048, "log": True},
    "mel": {
        "hop_length": 256,
        "n_fft": 2048,
        "n_mels": 128,
        "fmin": 0.0,
        "fmax": None,
        "log": True,
    },
    "cqt": {
        "hop_length": 256,
        "fmin": C1_HZ,
        "bins_per_octave": 60,
        "n_octaves": 6,
        "log": True,
    },
    "hcqt": {
        "hop_length": 256,
        "fmin": C1_HZ,
        "bins_per_octave": 60,
        "n_octaves": 6,
        "harmonics": (0.5, 1.0, 2.0, 3.0, 4.0, 5.0),
        "log": True,
    },
}


def n_frames_for(n_samples: int, hop_length: int) -> int:
    """Number of frames (librosa ``center=True``) for a signal of ``n_samples`` samples."""
    if n_samples < 0:
        raise InputError("n_samples", f"must be >= 0, got {n_samples}")
    _check_positive_int("hop_length", hop_length)
    return 1 + int(n_samples) // int(hop_length)


def frame_times(n_frames: int, sr: int, hop_length: int) -> np.ndarray:
    """Centre time in seconds of each of ``n_frames`` frames: ``i * hop_length / sr``."""
    _check_positive_int("sr", sr)
    _check_positive_int("hop_length", hop_length)
    return librosa.frames_to_time(np.arange(int(n_frames)), sr=sr, hop_length=hop_length)


def feature_params(kind: str, **params: object) -> dict[str, object]:
    """All parameters of ``kind`` with defaults filled in, validated (sr-independent checks).

    The result is what identifies the bytes of a feature (with the sample rate): use it
    for cache keys. ``harmonics`` comes back as a tuple of floats.
    """
    if kind not in FEATURE_KINDS:
        raise InputError("feature kind", f"unknown kind {kind!r}; known: {sorted(FEATURE_KINDS)}")
    defaults = FEATURE_KINDS[kind]
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise InputError(
            f"feature parameter {unknown[0]!r}",
            f"not accepted by kind {kind!r}; accepted: {sorted(defaults)}",
        )
    resolved = {**defaults, **params}
    for name in ("hop_length", "n_fft", "n_mels", "bins_per_octave", "n_octaves"):
        if name in resolved:
            _check_positive_int(name, resolved[name])
    if not isinstance(resolved["log"], bool):
        raise InputError(
            "feature parameter 'log'", f"must be true or false, got {resolved['log']!r}"
        )
    if "fmin" in resolved:
        fmin = resolved["fmin"]
        # a mel filter bank may start at 0 Hz, a CQT cannot
        if not _is_real(fmin) or not np.isfinite(fmin) or fmin < 0 or (fmin == 0 and kind != "mel"):
            raise InputError(
                "feature parameter 'fmin'", f"must be a finite frequency > 0 Hz, got {fmin!r}"
            )
        resolved["fmin"] = float(fmin)
    if "harmonics" in resolved:
        resolved["harmonics"] = _check_harmonics(resolved["harmonics"])
    return resolved


def feature_bin_frequencies(kind: str, sr: int, **params: object) -> np.ndarray:
    """Centre frequency in Hz of each bin of feature ``kind`` (for hcqt: of harmonic 1).

    Channel ``h`` of an HCQT has the frequencies ``h * feature_bin_frequencies("hcqt", ...)``.
    """
    p = _validated(kind, sr, params)
    if kind == "stft":
        return librosa.fft_frequencies(sr=sr, n_fft=p["n_fft"])
    if kind == "mel":
        # librosa's mel filter i is the triangle peaking at the (i+1)-th of n_mels+2 edges
        edges = librosa.mel_frequencies(n_mels=p["n_mels"] + 2, fmin=p["fmin"], fmax=p["fmax"])
        return edges[1:-1]
    return librosa.cqt_frequencies(
        p["n_octaves"] * p["bins_per_octave"], fmin=p["fmin"], bins_per_octave=p["bins_per_octave"]
    )


def compute_feature(y: np.ndarray, sr: int, kind: str, **params: object) -> np.ndarray:
    """Feature ``kind`` of mono audio ``y`` (float, sample rate ``sr`` Hz), frames first.

    Returns float32 ``(n_frames, n_bins)`` or, for ``hcqt``, ``(n_frames, n_bins, n_harmonics)``
    with ``n_frames == n_frames_for(len(y), hop_length)``. Parameters and their defaults are
    listed in ``FEATURE_KINDS``; a bad value raises ``InputError`` naming the parameter.
    """
    p = _validated(kind, sr, params)
    y = np.asarray(y)
    if y.ndim != 1 or y.size == 0:
        raise InputError("audio", f"must be a non-empty mono signal, got shape {y.shape}")
    if not np.issubdtype(y.dtype, np.floating):
        raise InputError("audio", f"must hold floating-point samples, got dtype {y.dtype}")
    if not np.all(np.isfinite(y)):
        raise InputError("audio", "holds non-finite samples (NaN or inf)")
    n_frames = n_frames_for(y.size, p["hop_length"])

    if kind == "hcqt":
        channels = _hcqt_magnitudes(y, sr, p)
        out = np.empty((n_frames, channels[0].shape[0], len(channels)), dtype=np.float32)
        for k, magnitude in enumerate(channels):
            out[:, :, k] = _to_frames(magnitude, n_frames, p["log"], power=False)
        return out
    if kind == "stft":
        spec = np.abs(librosa.stft(y, n_fft=p["n_fft"], hop_length=p["hop_length"], center=True))
        return _to_frames(spec, n_frames, p["log"], power=False)
    if kind == "mel":
        spec = librosa.feature.melspectrogram(
            y=y,
            sr=sr,
            n_fft=p["n_fft"],
            hop_length=p["hop_length"],
            n_mels=p["n_mels"],
            fmin=p["fmin"],
            fmax=p["fmax"],
            power=2.0,
            center=True,
        )
        return _to_frames(spec, n_frames, p["log"], power=True)
    n_bins = p["n_octaves"] * p["bins_per_octave"]
    spec = _cqt_magnitude(y, sr, p["hop_length"], p["fmin"], n_bins, p["bins_per_octave"])
    return _to_frames(spec, n_frames, p["log"], power=False)


def save_feature(array: np.ndarray, path: str | Path) -> None:
    """Write a feature array to ``path`` as ``.npy``, atomically (readable memory-mapped)."""
    write_npy(np.ascontiguousarray(array), path)


def open_feature(path: str | Path) -> np.memmap:
    """Open a cached feature read-only and memory-mapped (nothing is read until sliced).

    A missing, truncated or otherwise corrupt file raises ``InputError`` naming it.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "feature cache file does not exist")
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise InputError(path, f"corrupt or truncated .npy feature file ({error})") from error
    if not isinstance(array, np.memmap):
        raise InputError(path, "not a single-array .npy feature file")
    return array


# --- internals -------------------------------------------------------------------------------


def _validated(kind: str, sr: int, params: Mapping[str, object]) -> dict[str, object]:
    """``feature_params`` plus the checks that need the sample rate (Nyquist limits)."""
    _check_positive_int("sr", sr)
    p = feature_params(kind, **params)
    nyquist = sr / 2.0
    if kind == "mel":
        fmax = nyquist if p["fmax"] is None else p["fmax"]
        if not _is_real(fmax) or not p["fmin"] < fmax <= nyquist:
            raise InputError(
                "feature parameter 'fmax'",
                f"must satisfy fmin={p['fmin']} < fmax <= Nyquist={nyquist} Hz, got {p['fmax']!r}",
            )
        p["fmax"] = float(fmax)
    if kind in ("cqt", "hcqt"):
        harmonics = p.get("harmonics", (1.0,))
        n_bins = p["n_octaves"] * p["bins_per_octave"]
        for h in harmonics:
            freqs = librosa.cqt_frequencies(
                n_bins, fmin=p["fmin"] * h, bins_per_octave=p["bins_per_octave"]
            )
            # librosa refuses a basis whose top filter's pass band crosses Nyquist
            _, cutoff = librosa.filters.wavelet_lengths(freqs=freqs, sr=sr)
            if cutoff > nyquist:
                name = "harmonics" if kind == "hcqt" else "n_octaves"
                raise InputError(
                    f"feature parameter {name!r}",
                    f"top CQT bin {freqs[-1]:.1f} Hz (filter cutoff {cutoff:.1f} Hz) for harmonic "
                    f"{h:g} exceeds the Nyquist frequency {nyquist:g} Hz at sr={sr} "
                    f"(fmin={p['fmin']:g} Hz, n_octaves={p['n_octaves']}, "
                    f"bins_per_octave={p['bins_per_octave']})",
                )
    return p


def _hcqt_magnitudes(y: np.ndarray, sr: int, p: Mapping[str, object]) -> list[np.ndarray]:
    """One CQT magnitude ``(n_bins, n_frames_librosa)`` per harmonic, in ``harmonics`` order."""
    bpo = p["bins_per_octave"]
    n_bins = p["n_octaves"] * bpo
    harmonics = p["harmonics"]
    channels: list[np.ndarray | None] = [None] * len(harmonics)
    for group in _harmonic_groups(harmonics, bpo):
        lowest = min(harmonics[k] for k in group)
        offsets = {k: int(round(bpo * np.log2(harmonics[k] / lowest))) for k in group}
        wide = _cqt_magnitude(
            y, sr, p["hop_length"], p["fmin"] * lowest, n_bins + max(offsets.values()), bpo
        )
        for k, offset in offsets.items():
            channels[k] = wide[offset : offset + n_bins]
    return channels


def _harmonic_groups(harmonics: Sequence[float], bins_per_octave: int) -> list[list[int]]:
    """Indices of harmonics grouped so that each group lies on one CQT bin grid."""
    groups: list[list[int]] = []
    for k, h in enumerate(harmonics):
        for group in groups:
            shift = bins_per_octave * np.log2(h / harmonics[group[0]])
            if abs(shift - round(shift)) < 1e-6:
                group.append(k)
                break
        else:
            groups.append([k])
    return groups


def _cqt_magnitude(
    y: np.ndarray, sr: int, hop_length: int, fmin: float, n_bins: int, bins_per_octave: int
) -> np.ndarray:
    """``|librosa.cqt|`` with fixed tuning (no per-track tuning estimate), float32."""
    spec = librosa.cqt(
        y,
        sr=sr,
        hop_length=hop_length,
        fmin=fmin,
        n_bins=n_bins,
        bins_per_octave=bins_per_octave,
        tuning=0.0,
    )
    return np.abs(spec).astype(np.float32, copy=False)


def _to_frames(spec: np.ndarray, n_frames: int, log: bool, power: bool) -> np.ndarray:
    """(bins, frames) magnitude or power -> (n_frames, bins) float32, dB if ``log``."""
    spec = librosa.util.fix_length(spec, size=n_frames, axis=-1)
    if log:
        if power:
            spec = librosa.power_to_db(spec, ref=1.0, amin=_DB_AMIN_POWER, top_db=None)
        else:
            spec = librosa.amplitude_to_db(spec, ref=1.0, amin=_DB_AMIN_MAGNITUDE, top_db=None)
    return np.ascontiguousarray(spec.T, dtype=np.float32)


def _check_harmonics(harmonics: object) -> tuple[float, ...]:
    if isinstance(harmonics, str | bytes) or not isinstance(harmonics, Sequence | np.ndarray):
        raise InputError(
            "feature parameter 'harmonics'", f"must be a list of numbers, got {harmonics!r}"
        )
    values = tuple(harmonics)
    if not values or not all(_is_real(h) and np.isfinite(h) and h > 0 for h in values):
        raise InputError(
            "feature parameter 'harmonics'",
            f"must be a non-empty list of numbers > 0, got {harmonics!r}",
        )
    if len(set(values)) != len(values):
        raise InputError("feature parameter 'harmonics'", f"has repeated values: {harmonics!r}")
    return tuple(float(h) for h in values)


def _check_positive_int(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
        raise InputError(
            f"feature parameter {name!r}", f"must be a positive integer, got {value!r}"
        )


def _is_real(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)

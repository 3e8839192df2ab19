"""Audio input: reading any supported file, mono downmix or channel pick, and soxr resampling."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile
import soxr

from mirlab.errors import InputError


@dataclass(frozen=True)
class AudioSource:
    """One audio signal of a track: a file, and optionally one channel of it.

    ``channel=None`` means the mono downmix of all channels (e.g. iKala's full mix);
    an integer picks one channel (iKala keeps the voice alone in channel 1).
    """

    path: Path
    channel: int | None = None


def audio_info(path: str | Path) -> soundfile._SoundFileInfo:
    """Header of an audio file; an ``InputError`` naming the file if it is missing or unreadable."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "audio file does not exist")
    try:
        return soundfile.info(str(path))
    except (RuntimeError, soundfile.LibsndfileError) as error:
        raise InputError(path, f"cannot read audio ({error})") from error


def audio_duration(path: str | Path) -> float:
    """Duration of an audio file in seconds, from its header."""
    info = audio_info(path)
    return info.frames / info.samplerate


def load_audio(source: AudioSource, sr: int) -> np.ndarray:
    """Read ``source`` as mono float32 at ``sr`` Hz (soxr, high quality).

    Raises ``InputError`` naming the file when it is missing, unreadable, empty, has
    fewer channels than asked for, or holds non-finite samples.
    """
    path = Path(source.path)
    audio_info(path)
    try:
        samples, native_sr = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, soundfile.LibsndfileError) as error:
        raise InputError(path, f"cannot decode audio ({error})") from error
    if samples.shape[0] == 0:
        raise InputError(path, "audio file holds no samples")
    if source.channel is None:
        mono = samples.mean(axis=1)
    elif source.channel < samples.shape[1]:
        mono = samples[:, source.channel]
    else:
        raise InputError(
            path, f"channel {source.channel} asked for, but the file has {samples.shape[1]}"
        )
    if not np.all(np.isfinite(mono)):
        raise InputError(path, "audio holds NaN or infinite samples")
    if native_sr != sr:
        mono = soxr.resample(mono, native_sr, sr, quality="HQ")
    return np.ascontiguousarray(mono, dtype=np.float32)

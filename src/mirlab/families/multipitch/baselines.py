"""Multi-pitch baselines, each giving per-frame candidate f0s with strengths
(:class:`~mirlab.families.multipitch.decoding.Candidates`) that a threshold tuned on
validation data turns into the estimate.

- ``salience_peak``: non-learned HCQT harmonic summation
  (:func:`mirlab.pitch.salience.harmonic_summation`), relative to the track's maximum, every
  local maximum along pitch a candidate.
- ``basic_pitch``: Spotify's pretrained basic-pitch (Bittner et al. 2022, ICASSP), its ONNX
  model (shipped in the ``basic-pitch`` wheel) run through onnxruntime with basic-pitch's own
  framing; each of its 88 piano-key note activations is a candidate at the key's frequency.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import soxr

from mirlab.errors import InputError
from mirlab.families.multipitch.decoding import Candidates, salience_peaks
from mirlab.pitch.salience import harmonic_summation

#: basic-pitch's framing (``basic_pitch.constants`` and ``basic_pitch.inference``): audio at
#: 22050 Hz, hop 256 samples, windows of 2 s less one hop, 30 overlapping output frames.
BP_SR = 22050
BP_HOP = 256
BP_WINDOW = BP_SR * 2 - BP_HOP
BP_FRAMES_PER_WINDOW = 2 * (BP_SR // BP_HOP)
BP_OVERLAP_FRAMES = 30
BP_LOWEST_HZ = 27.5
BP_N_KEYS = 88
#: basic-pitch's default frame threshold (``frame_threshold`` of its ``predict``).
BP_DEFAULT_THRESHOLD = 0.3
BP_MODEL = Path("saved_models/icassp_2022/nmp.onnx")
BP_INPUT = "serving_default_input_2:0"
BP_NOTE_OUTPUT = "StatefulPartitionedCall:1"


def salience_peak_candidates(
    hcqt: np.ndarray, bin_frequencies: np.ndarray, frame_times: np.ndarray
) -> Candidates:
    """Harmonic-summation salience peaks of an HCQT ``(n_frames, n_bins, n_harmonics)`` (dB,
    as stored), strengths relative to the track's highest salience (0..1; all 0 for a silent
    track); ``bin_frequencies`` the Hz of the ``h = 1`` channel, ``frame_times`` in s."""
    salience = harmonic_summation(hcqt)
    top = salience.max(initial=0.0)
    salience = salience / top if top > 0 else np.zeros_like(salience)
    return salience_peaks(salience, bin_frequencies, frame_times, floor=1e-3)


def basic_pitch_model_path() -> Path:
    """The ONNX model file inside the installed ``basic_pitch`` package (found without
    importing it: its ``__init__`` imports TensorFlow); ``InputError`` when it is missing."""
    spec = importlib.util.find_spec("basic_pitch")
    if spec is None or not spec.submodule_search_locations:
        raise InputError(
            "baseline basic_pitch",
            "basic-pitch is not installed (pip install --no-deps basic-pitch==0.4.0)",
        )
    path = Path(next(iter(spec.submodule_search_locations))) / BP_MODEL
    if not path.is_file():
        raise InputError(path, "basic-pitch's ONNX model is missing from its package")
    return path


@cache
def _session():
    import onnxruntime

    options = onnxruntime.SessionOptions()
    # Pipeline jobs run side by side: one thread each.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(
        str(basic_pitch_model_path()), options, providers=["CPUExecutionProvider"]
    )


def basic_pitch_frame_times(n_frames: int) -> np.ndarray:
    """Times (s) of basic-pitch's output frames (``note_creation.model_frames_to_time``:
    hop frames, shifted back per 2-s window by the frames its windows do not cover, with its
    0.0018 s alignment constant)."""
    frames = np.arange(n_frames)
    offset = (BP_HOP / BP_SR) * (BP_FRAMES_PER_WINDOW - BP_WINDOW / BP_HOP) + 0.0018
    return frames * BP_HOP / BP_SR - offset * np.floor(frames / BP_FRAMES_PER_WINDOW)


def basic_pitch_notes(y: np.ndarray, sr: int, batch_size: int = 8) -> np.ndarray:
    """basic-pitch's note activations ``(n_frames, 88)`` (0..1, key 0 = A0) of mono audio
    ``y`` at ``sr`` Hz, framed as ``basic_pitch.inference.run_inference``: resampled (soxr)
    to 22050 Hz, ``overlap / 2`` zeros in front, windows every ``window - overlap`` samples,
    half the overlapping frames cut from each end of each window's output, trimmed to
    ``floor(n_samples * 86 / 22050)`` frames."""
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1 or y.size == 0 or not np.all(np.isfinite(y)):
        raise InputError("audio", f"must be non-empty finite mono samples, got shape {y.shape}")
    if sr != BP_SR:
        y = soxr.resample(y, sr, BP_SR, quality="HQ").astype(np.float32)
    overlap = BP_OVERLAP_FRAMES * BP_HOP
    hop = BP_WINDOW - overlap
    padded = np.concatenate([np.zeros(overlap // 2, dtype=np.float32), y])
    starts = range(0, padded.size, hop)
    windows = np.stack(
        [
            np.pad(padded[s : s + BP_WINDOW], (0, max(0, s + BP_WINDOW - padded.size)))
            for s in starts
        ]
    )[..., None]
    session = _session()
    outputs = [
        session.run([BP_NOTE_OUTPUT], {BP_INPUT: windows[i : i + batch_size]})[0]
        for i in range(0, len(windows), batch_size)
    ]
    half = BP_OVERLAP_FRAMES // 2
    notes = np.concatenate(outputs)[:, half:-half, :]
    n_frames = int(np.floor(y.size * (BP_SR // BP_HOP) / BP_SR))
    return notes.reshape(-1, BP_N_KEYS)[:n_frames].astype(np.float64)


def basic_pitch_candidates(y: np.ndarray, sr: int) -> Candidates:
    """Every piano key of every basic-pitch frame as a candidate: its equal-tempered
    frequency (A0 = 27.5 Hz upward), strength its note activation."""
    notes = basic_pitch_notes(y, sr)
    keys = BP_LOWEST_HZ * 2.0 ** (np.arange(BP_N_KEYS) / 12.0)
    return Candidates(basic_pitch_frame_times(len(notes)), [keys] * len(notes), list(notes))


@dataclass(frozen=True)
class Baseline:
    """A multi-pitch baseline: ``candidates`` takes an HCQT (``input`` ``"hcqt"``:
    ``(hcqt, bin_frequencies, frame_times)``) or audio (``"audio"``: ``(y, sr)``);
    ``threshold`` is the one used without a validation set to tune it on."""

    candidates: Callable[..., Candidates]
    input: str
    threshold: float
    description: str


BASELINES: dict[str, Baseline] = {
    "salience_peak": Baseline(
        salience_peak_candidates,
        "hcqt",
        0.3,
        "HCQT harmonic summation, every salience peak above a tuned relative threshold",
    ),
    "basic_pitch": Baseline(
        basic_pitch_candidates,
        "audio",
        BP_DEFAULT_THRESHOLD,
        "basic-pitch (Spotify, ICASSP 2022) ONNX note activations above a tuned threshold",
    ),
}

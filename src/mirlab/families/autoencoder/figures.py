"""Figures and audio of one method on one test set.

For every configured excerpt of a track in the set (or, without one, the first
:data:`DEFAULT_SECONDS` s of the first test track, or all of it when shorter):
``reconstruction-<name>.png`` (input, reconstruction and error spectrograms) and three
WAV files beside it:
``<name>-input.wav`` (the cached audio), ``<name>-griffinlim.wav`` (the reconstructed
magnitude with a phase estimated by Griffin-Lim, ``librosa.griffinlim``) and
``<name>-original_phase.wav`` (the reconstructed magnitude with the input's own STFT phase:
the upper bound of what the magnitude allows).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import librosa
import numpy as np
import soundfile

from mirlab.data import preprocess
from mirlab.data.cache import DatasetPaths
from mirlab.data.excerpts import feature_excerpt_frames
from mirlab.errors import InputError
from mirlab.evaluation.plots import figure_to_png
from mirlab.families.autoencoder import codecs, plots
from mirlab.families.autoencoder.estimates import SUFFIX, read_estimate, reference_magnitude
from mirlab.storage import atomic_directory, atomic_path

DEFAULT_SECONDS = 3.0
GRIFFIN_LIM_ITERATIONS = 32


def track_audio(data: DatasetPaths, track_id: str) -> np.ndarray:
    """The cached mono audio of ``track_id`` at the feature's rate (the preprocessing
    stage's ``audio/sr<rate>`` folder beside ``features/``)."""
    folder = Path(data.inputs).parent.parent / "audio" / f"sr{data.sr}"
    manifest = preprocess.read_manifest(folder).set_index("track_id")
    if track_id not in manifest.index:
        raise InputError(folder, f"no cached audio of track {track_id!r}")
    return np.load(folder / manifest.at[track_id, "file"])


def griffin_lim(magnitude: np.ndarray, params: Mapping, length: int) -> np.ndarray:
    """Audio of a linear magnitude ``(n_frames, n_bins)`` with a Griffin-Lim phase."""
    return librosa.griffinlim(
        magnitude.T.astype(np.float32),
        n_iter=GRIFFIN_LIM_ITERATIONS,
        hop_length=params["hop_length"],
        n_fft=params["n_fft"],
        length=length,
        random_state=0,
    )


def with_original_phase(magnitude: np.ndarray, audio: np.ndarray, params: Mapping) -> np.ndarray:
    """Audio of a linear magnitude ``(n_frames, n_bins)`` with ``audio``'s own STFT phase."""
    stft = librosa.stft(audio, n_fft=params["n_fft"], hop_length=params["hop_length"])
    stft = librosa.util.fix_length(stft, size=len(magnitude), axis=-1)
    phase = np.exp(1j * np.angle(stft))
    return librosa.istft(
        magnitude.T * phase,
        hop_length=params["hop_length"],
        n_fft=params["n_fft"],
        length=len(audio),
    )


def _excerpts(data: DatasetPaths, part: str, excerpts: Sequence[Mapping]) -> list[dict]:
    track_ids = data.track_ids(part)
    chosen = [
        dict(excerpt)
        for excerpt in excerpts
        if excerpt["dataset"] == data.name and excerpt["track"] in track_ids
    ]
    return chosen or [
        {"name": track_ids[0], "track": track_ids[0], "start": 0.0, "end": DEFAULT_SECONDS}
    ]


def _write_wav(audio: np.ndarray, sr: int, path: Path) -> None:
    peak = max(float(np.max(np.abs(audio))), 1.0)
    with atomic_path(path) as tmp:
        soundfile.write(tmp, (audio / peak).astype(np.float32), sr, subtype="FLOAT", format="WAV")


def experiment_figures(
    predictions: Path, data: DatasetPaths, part: str, excerpts: Sequence[Mapping], output: Path
) -> None:
    params = codecs.stft_params(data)
    with atomic_directory(output) as tmp:
        for excerpt in _excerpts(data, part, excerpts):
            estimate, _ = read_estimate(Path(predictions) / f"{excerpt['track']}{SUFFIX}")
            reference = reference_magnitude(data, excerpt["track"])
            first, stop = feature_excerpt_frames(
                len(reference),
                data.sr,
                data.hop_length,
                excerpt["start"],
                min(excerpt["end"], len(reference) * data.frame_period),
            )
            reference, estimate = reference[first:stop], estimate[first:stop]
            fig = plots.reconstruction_figure(
                reference, {"model": estimate}, data.frame_period, data.sr / 2
            )
            with atomic_path(tmp / f"reconstruction-{excerpt['name']}.png") as png:
                png.write_bytes(figure_to_png(fig))
            audio = track_audio(data, excerpt["track"])
            # k frames (librosa center=True) are the STFT of (k - 1) * hop samples
            begin = first * data.hop_length
            audio = audio[begin : begin + (len(estimate) - 1) * data.hop_length]
            _write_wav(audio, data.sr, tmp / f"{excerpt['name']}-input.wav")
            rendered = {
                "griffinlim": griffin_lim(estimate, params, len(audio)),
                "original_phase": with_original_phase(estimate, audio, params),
            }
            for name, signal in rendered.items():
                _write_wav(signal, data.sr, tmp / f"{excerpt['name']}-{name}.wav")


def compare_figure(
    predictions_a: Path,
    predictions_b: Path,
    names: tuple[str, str],
    data: DatasetPaths,
    part: str,
    output: Path,
) -> None:
    """Input and both methods' reconstructions and errors on the first seconds of the first
    test track (one PNG)."""
    track_id = data.track_ids(part)[0]
    stop = int(round(DEFAULT_SECONDS / data.frame_period))
    reference = reference_magnitude(data, track_id)[:stop]
    estimates = {
        name: read_estimate(Path(folder) / f"{track_id}{SUFFIX}")[0][:stop]
        for name, folder in zip(names, (predictions_a, predictions_b), strict=True)
    }
    fig = plots.reconstruction_figure(reference, estimates, data.frame_period, data.sr / 2)
    with atomic_path(output) as png:
        png.write_bytes(figure_to_png(fig))

"""Chord inference speed, audio file in and ``.lab`` out, in seconds of audio per second.

Each method reads the same WAV file, computes its input and writes a ``.lab``: CR2+S (read
the file, resample to 44.1 kHz, the 216-bin log-CQT at hop 4096, the model over 8 s windows,
Viterbi decoding; its weights do not change its speed, so it is built untrained unless
``--model`` names a trained ``model.keras``), the chroma-template baseline (same CQT), and
madmom's pretrained CNN + CRF when the optional extra is installed (the reference the issue
names). Wall-clock time (``time.perf_counter``) of the best of ``--repeats`` runs after one
warm-up run (TensorFlow traces, librosa caches its filter bases); ratios are against the
template baseline measured in the same run.

    python benchmarks/bench_chords.py --output benchmarks/out/chords.json
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import keras
import librosa
import numpy as np
import soundfile as sf

from mirlab.data import features
from mirlab.families.chords import baselines, decode, pretrained, training
from mirlab.families.chords.vocabulary import encode_label
from mirlab.learning import windows
from mirlab.storage import write_json

SR = 44100
CQT = {"hop_length": 4096, "bins_per_octave": 36, "n_octaves": 6}
DECODING = {"viterbi": True, "self_transition": 0.9, "inversions": True}


def bench_audio(path: Path, seconds: float, sr: int) -> None:
    """A chord progression of harmonic tones (2 s per chord) as a WAV file at ``sr``."""
    t = np.arange(int(2.0 * sr)) / sr
    progression = ["C:maj", "A:min7", "F:maj7", "G:7"]
    parts = []
    for i in range(int(np.ceil(seconds / 2.0))):
        notes = 48 + np.flatnonzero(encode_label(progression[i % 4])[3:])
        parts.append(
            sum(
                np.sin(2 * np.pi * k * librosa.midi_to_hz(n) * t) / k
                for n in notes
                for k in (1, 2, 3)
            )
        )
    y = np.concatenate(parts)[: int(seconds * sr)]
    sf.write(path, (0.2 * y / np.abs(y).max()).astype(np.float32), sr)


def read_cqt(audio: Path) -> np.ndarray:
    y, sr = sf.read(audio, dtype="float32", always_2d=True)
    y = librosa.resample(y.mean(axis=1), orig_sr=sr, target_sr=SR)
    return features.compute_feature(y, SR, "cqt", **CQT)


def model_method(model: keras.Model) -> Callable[[Path, Path], None]:
    spec = windows.WindowSpec(n_frames=86, hop=86)

    def run(audio: Path, output: Path) -> None:
        cqt = read_cqt(audio)
        intervals, labels = training.predict_segments(
            model, cqt, spec, CQT["hop_length"] / SR, DECODING
        )
        decode.write_lab(intervals, labels, output)

    return run


def template(audio: Path, output: Path) -> None:
    posteriors = baselines.template_posteriors(
        read_cqt(audio), features.feature_params("cqt", **CQT)
    )
    tags = decode.decode_tags(posteriors, DECODING["self_transition"])
    decode.write_lab(*decode.tags_to_segments(tags, CQT["hop_length"] / SR), output)


def madmom_method() -> Callable[[Path, Path], None]:
    recogniser = pretrained.madmom_recogniser()

    def run(audio: Path, output: Path) -> None:
        decode.write_lab(*pretrained.madmom_chords(audio, recogniser=recogniser), output)

    return run


def wall_seconds(run: Callable[[], object], repeats: int) -> float:
    run()
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, required=True, help="JSON file for the figures")
    parser.add_argument("--seconds", type=float, default=60.0, help="audio length (s)")
    parser.add_argument("--sr", type=int, default=22050, help="sample rate of the file (Hz)")
    parser.add_argument("--model", type=Path, help="a trained model.keras (default: untrained)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    if args.model:
        model = keras.saving.load_model(args.model)
    else:
        experiment = {"model": "cr2_s", "model_args": {}}
        model = training.build_experiment_model(experiment, (216,))
    methods = {"cr2_s": model_method(model), "template": template}
    try:
        methods["madmom"] = madmom_method()
    except Exception as error:  # the optional extra is missing: measured without it
        print(f"madmom not measured: {error}")
    with tempfile.TemporaryDirectory() as scratch:
        audio = Path(scratch) / "bench.wav"
        bench_audio(audio, args.seconds, args.sr)
        results = {}
        for name, method in methods.items():
            seconds = wall_seconds(
                lambda m=method, lab=Path(scratch) / f"{name}.lab": m(audio, lab), args.repeats
            )
            results[name] = {"wall_s": seconds, "audio_s_per_s": args.seconds / seconds}
    for name, result in results.items():
        result["ratio_to_template"] = result["audio_s_per_s"] / results["template"]["audio_s_per_s"]
        speed, ratio = result["audio_s_per_s"], result["ratio_to_template"]
        print(f"{name:10s} {speed:8.1f} s audio/s  ({ratio:.2f}x template)")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_json(
        {
            "seconds": args.seconds,
            "sr": args.sr,
            "machine": platform.processor() or platform.machine(),
            "results": results,
        },
        args.output,
    )


if __name__ == "__main__":
    main()

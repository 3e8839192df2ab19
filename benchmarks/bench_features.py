"""HCQT extraction speed against one plain ``librosa.cqt`` on the same audio.

Speed is seconds of audio per CPU second (``time.process_time``, all threads of this
process), best of ``--repeats`` runs after one warm-up run (librosa builds and caches its
filter bases on first use). The reference is a single CQT with the same hop, fmin and
bins as one HCQT channel; the HCQT computes 6 of them, so a ratio of 1/6 would mean no
saving over computing each harmonic separately, which is also measured ("naive").

    python benchmarks/bench_features.py --output benchmarks/out/features.json
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable
from pathlib import Path

import librosa
import numpy as np

from mirlab.data import features
from mirlab.storage import write_json


def bench_signal(seconds: float, sr: int, seed: int) -> np.ndarray:
    """Noise plus a few steady and gliding harmonic tones, float32 mono."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    y = 0.05 * rng.standard_normal(t.size)
    for f0 in (110.0, 220.0 * 2 ** (np.sin(2 * np.pi * 0.2 * t) / 12), 523.25):
        phase = 2 * np.pi * np.cumsum(np.broadcast_to(f0, t.shape)) / sr
        y += sum(0.3 / k * np.sin(k * phase) for k in range(1, 6))
    return (y / np.max(np.abs(y))).astype(np.float32)


def cpu_seconds(run: Callable[[], object], repeats: int) -> float:
    run()  # warm-up: filter bases, FFT plans
    best = np.inf
    for _ in range(repeats):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, required=True, help="JSON file for the figures")
    parser.add_argument("--seconds", type=float, default=30.0, help="audio length (s)")
    parser.add_argument("--sr", type=int, default=22050, help="sample rate (Hz)")
    parser.add_argument("--hop-length", type=int, default=256, help="samples")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    y = bench_signal(args.seconds, args.sr, args.seed)
    params = features.feature_params("hcqt", hop_length=args.hop_length)
    n_bins = params["n_octaves"] * params["bins_per_octave"]

    def one_cqt(h: float = 1.0) -> np.ndarray:
        return librosa.cqt(
            y,
            sr=args.sr,
            hop_length=args.hop_length,
            fmin=params["fmin"] * h,
            n_bins=n_bins,
            bins_per_octave=params["bins_per_octave"],
            tuning=0.0,
        )

    timings = {
        "librosa_cqt": cpu_seconds(one_cqt, args.repeats),
        "hcqt": cpu_seconds(
            lambda: features.compute_feature(y, args.sr, "hcqt", hop_length=args.hop_length),
            args.repeats,
        ),
        "hcqt_naive": cpu_seconds(
            lambda: [np.abs(one_cqt(h)) for h in params["harmonics"]], args.repeats
        ),
    }
    speed = {name: args.seconds / cpu for name, cpu in timings.items()}
    report = {
        "audio_seconds": args.seconds,
        "sr": args.sr,
        "hop_length": args.hop_length,
        "harmonics": list(params["harmonics"]),
        "bins_per_octave": params["bins_per_octave"],
        "n_bins": n_bins,
        "cpu_seconds": timings,
        "audio_seconds_per_cpu_second": speed,
        "hcqt_over_one_cqt": speed["hcqt"] / speed["librosa_cqt"],
        "hcqt_speedup_over_naive": speed["hcqt"] / speed["hcqt_naive"],
        "librosa": librosa.__version__,
        "numpy": np.__version__,
        "machine": platform.machine(),
        "python": platform.python_version(),
    }
    for name, value in speed.items():
        print(f"{name:12s} {value:8.1f} s of audio per CPU second ({timings[name]:.3f} CPU s)")
    print(f"hcqt / one cqt speed: {report['hcqt_over_one_cqt']:.3f} (6 separate CQTs: ~1/6)")
    print(f"hcqt speedup over 6 separate CQTs: {report['hcqt_speedup_over_naive']:.2f}x")
    write_json(report, args.output)
    print(json.dumps({"written": str(args.output)}))


if __name__ == "__main__":
    main()

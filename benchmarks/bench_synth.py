"""Speed of the synthetic-dataset generator, against ``librosa.cqt`` on the same audio.

Speeds are seconds of audio per CPU-second (``time.process_time``, all threads of this
process), so they are comparable across machines only as the ratio to the CQT reference.

    .venv/bin/python benchmarks/bench_synth.py --output /tmp/bench_synth.json
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import librosa

from mirlab.data.synth import SynthParams, generate_track, write_synth_dataset


def _cpu_seconds(function) -> tuple[float, object]:
    start = time.process_time()
    result = function()
    return time.process_time() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, required=True, help="JSON file for the figures")
    parser.add_argument("--tracks", type=int, default=20, help="number of tracks")
    parser.add_argument("--duration", type=float, default=10.0, help="track length (s)")
    parser.add_argument("--sr", type=int, default=22050, help="sample rate (Hz)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    params = SynthParams(sr=args.sr, duration=args.duration)
    audio_seconds = args.tracks * args.duration
    generate_cpu, tracks = _cpu_seconds(
        lambda: [generate_track(i, args.seed, params) for i in range(args.tracks)]
    )
    cqt_cpu, _ = _cpu_seconds(lambda: [librosa.cqt(t.mix, sr=args.sr) for t in tracks])
    with tempfile.TemporaryDirectory() as folder:
        write_cpu, _ = _cpu_seconds(
            lambda: write_synth_dataset(Path(folder), args.tracks, args.seed, params)
        )

    rows = {
        "generate_track": generate_cpu,
        "write_synth_dataset (generate + WAV/CSV)": write_cpu,
        "librosa.cqt (reference)": cqt_cpu,
    }
    speeds = {name: audio_seconds / cpu for name, cpu in rows.items()}
    print(f"{args.tracks} tracks x {args.duration:g} s at {args.sr} Hz")
    print(f"{'step':<42}{'CPU s':>8}{'x real time':>13}{'/ cqt':>8}")
    for name, cpu in rows.items():
        ratio = speeds[name] / speeds["librosa.cqt (reference)"]
        print(f"{name:<42}{cpu:>8.2f}{speeds[name]:>13.1f}{ratio:>8.2f}")
    result = {
        "tracks": args.tracks,
        "duration_s": args.duration,
        "sr": args.sr,
        "audio_seconds": audio_seconds,
        "cpu_seconds": rows,
        "audio_seconds_per_cpu_second": speeds,
        "generate_over_cqt": speeds["generate_track"] / speeds["librosa.cqt (reference)"],
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()

"""Inference speed of every trained model and baseline: file in, f0 CSV out.

For one audio file, each method runs the whole path the pipeline runs (read and resample the
audio, compute its input feature, predict, decode with the tuned voicing threshold, write a
MIREX CSV) and the figure is seconds of audio per second of wall time, beside pyin, Melodia,
SwiftF0 and the HCQT salience peak on the same file. Trained models are read from a finished
default run (``results/<experiment>/seed0/model``); run ``make run`` first.

    .venv/bin/python benchmarks/bench_inference.py --output benchmarks/out/bench_inference.json
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import keras
import numpy as np
import yaml

from mirlab.data import features
from mirlab.data.audio import AudioSource, audio_duration, load_audio
from mirlab.data.synth import SynthParams, write_synth_dataset
from mirlab.families.melody import baselines
from mirlab.families.melody.metrics import write_estimate_csv
from mirlab.families.melody.training import decode_output
from mirlab.learning import windows
from mirlab.pitch.decode import apply_voicing
from mirlab.pitch.experiment import pitch_bins, window_spec

REPO = Path(__file__).resolve().parents[1]


def trained_method(
    experiment: dict, model_dir: Path, feature_params: dict | None, stages: dict[str, list]
):
    """The run of a trained model; appends each call's feature and model seconds to
    ``stages`` (where the time goes)."""
    model = keras.saving.load_model(model_dir / "model.keras")
    decoding = json.loads((model_dir / "decoding.json").read_text())
    bins = pitch_bins(experiment)
    spec_input = experiment["input"]
    sr = feature_params["sr"] if feature_params else spec_input["audio_sr"]
    hop = feature_params["hop_length"] if feature_params else spec_input["hop_length"]
    spec = window_spec(experiment, hop)

    def run(path: Path, output: Path) -> None:
        y = load_audio(AudioSource(path), sr)
        start = time.perf_counter()
        if feature_params:
            kwargs = {k: v for k, v in feature_params.items() if k not in ("kind", "sr")}
            x = features.compute_feature(y, sr, feature_params["kind"], **kwargs)
        else:
            x = y
        stages.setdefault("feature_s", []).append(time.perf_counter() - start)
        start = time.perf_counter()
        prediction = windows.predict_track(model, x, spec)
        stages.setdefault("model_s", []).append(time.perf_counter() - start)
        f0, confidence = decode_output(prediction, bins, decoding["radius_bins"])
        f0 = apply_voicing(f0, confidence, decoding["voicing_threshold"])
        write_estimate_csv(np.arange(len(f0)) * hop / sr, f0, output)

    return run


def baseline_method(name: str, sr: int, hop: int, feature_params: dict | None = None):
    baseline = baselines.BASELINES[name]

    def run(path: Path, output: Path) -> None:
        y = load_audio(AudioSource(path), sr)
        if baseline.input == "hcqt":
            kwargs = {k: v for k, v in feature_params.items() if k not in ("kind", "sr")}
            hcqt = features.compute_feature(y, sr, "hcqt", **kwargs)
            frequencies = features.feature_bin_frequencies("hcqt", sr, **kwargs)
            times = features.frame_times(len(hcqt), sr, hop)
            times, f0 = baseline.function(hcqt, frequencies, times)
        else:
            times, f0 = baseline.function(y, sr, hop)
        write_estimate_csv(times, f0, output)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, required=True, help="JSON file for the figures")
    parser.add_argument("--duration", type=float, default=30.0, help="audio length (s)")
    parser.add_argument("--repeats", type=int, default=2, help="runs per method (median)")
    args = parser.parse_args()

    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    methods, stages = {}, {}
    for name, experiment in config["experiments"].items():
        feature = config["features"].get(experiment.get("input", {}).get("feature"))
        if experiment["task"] not in ("melody", "pitch"):
            continue  # the other families' inference is measured by their own benchmarks
        if experiment["method"] == "train":
            model_dir = REPO / "results" / name / "seed0" / "model"
            if model_dir.is_dir():
                experiment = json.loads((model_dir / "config.json").read_text())
                stages[name] = {}
                methods[name] = trained_method(experiment, model_dir, feature, stages[name])
            else:
                print(f"skipped {name}: no trained model at {model_dir} (run `make run` first)")
    hcqt = config["features"]["hcqt"]
    methods["pyin"] = baseline_method("pyin", 22050, 256)
    methods["melodia"] = baseline_method("melodia", 22050, 256)
    methods["swift_f0"] = baseline_method("swift_f0", 22050, 256)
    methods["salience_peak"] = baseline_method("salience_peak", 22050, 256, hcqt)

    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        write_synth_dataset(
            scratch / "audio", 1, seed=123, params=SynthParams(duration=args.duration)
        )
        (path,) = (scratch / "audio" / "audio").glob("*_MIX.wav")
        seconds = audio_duration(path)
        results = {}
        for name, run in methods.items():
            run(path, scratch / "warm-up.csv")  # first call pays for graph building and numba
            walls = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                run(path, scratch / f"{name}.csv")
                walls.append(time.perf_counter() - start)
            wall = float(np.median(walls))
            results[name] = {"wall_s": wall, "audio_s_per_wall_s": seconds / wall}
            for stage, values in stages.get(name, {}).items():
                results[name][stage] = float(np.median(values[1:]))  # without the warm-up
    print(f"{'method':<16} {'wall s':>8} {'x real time':>12} {'feature s':>10} {'model s':>8}")
    for name, result in results.items():
        split = [
            f"{result[s]:>10.2f}" if s in result else f"{'':>10}" for s in ("feature_s", "model_s")
        ]
        print(
            f"{name:<16} {result['wall_s']:>8.2f} {result['audio_s_per_wall_s']:>12.1f}",
            *split,
        )
    print(f"({seconds:.0f} s of audio)")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"audio_seconds": seconds, "methods": results}, indent=2))


if __name__ == "__main__":
    main()

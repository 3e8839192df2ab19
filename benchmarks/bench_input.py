"""Training from on-disk windows: speed against in-memory ``model.fit``, memory against size.

Writes a feature cache (``.npy`` features ``(n_frames, n_bins)`` and f0 per frame, turned
into salience targets per batch) and trains a small conv model on it:

- speed: examples per second (wall clock) and per CPU-second of ``train_model`` and of
  ``model.fit`` on ``WindowBatches`` datasets (windows read from disk in a global shuffle),
  over those of ``model.fit`` on the same windows held in memory as arrays (target: ratio
  >= 0.9). On a shared machine the CPU-second figures are the steadier ones;
- memory: peak RSS (``getrusage``) of a child process that trains one epoch over the cache,
  against the same with a cache 10x larger (target: ratio <= 1.2); also the peaks of
  anonymous and file-backed RSS, sampled from ``/proc/self/status``.

    .venv/bin/python benchmarks/bench_input.py --output benchmarks/out/bench_input.json
"""

from __future__ import annotations

import argparse
import functools
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from mirlab.learning.train import enable_determinism, make_optimizer, train_model
from mirlab.learning.windows import (
    NpyRows,
    WindowBatches,
    WindowSpec,
    build_index,
    normalize_windows,
    read_target,
    read_window,
)
from mirlab.pitch.targets import PitchBins, f0_to_target
from mirlab.storage import write_json, write_npy

BINS = PitchBins(bins_per_semitone=1, lowest_note=36, n_bins=72)


def write_cache(folder: Path, n_tracks: int, n_frames: int, seed: int) -> None:
    """``n_tracks`` random feature tracks ``x<i>.npy`` and melody f0 tracks ``f0_<i>.npy``."""
    rng = np.random.default_rng(seed)
    for track in range(n_tracks):
        notes = rng.integers(-8, BINS.n_bins, n_frames // 20 + 1)  # negative: rest
        pitch = np.repeat(notes, 20)[:n_frames]
        f0 = np.where(pitch >= 0, BINS.hz()[np.maximum(pitch, 0)], 0.0).astype(np.float32)
        features = f0_to_target(f0, BINS, 0.5) + rng.random((n_frames, BINS.n_bins))
        write_npy(features.astype(np.float32), folder / f"x{track}.npy")
        write_npy(f0, folder / f"f0_{track}.npy")


def cache_batches(folder: Path, spec: WindowSpec, batch_size: int, seed: int) -> WindowBatches:
    """The windows of the cache in ``folder``, read from disk, f0 turned into targets per batch."""
    n_tracks = len(list(folder.glob("x*.npy")))
    inputs = [folder / f"x{i}.npy" for i in range(n_tracks)]
    targets = [folder / f"f0_{i}.npy" for i in range(n_tracks)]
    index = build_index([len(NpyRows(path)) for path in targets], spec)
    target_fn = functools.partial(f0_to_target, bins=BINS, blur_semitones=0.5)
    return WindowBatches(
        inputs, targets, index, spec, batch_size, seed, target_fn=target_fn, drop_remainder=True
    )


def small_model(spec: WindowSpec) -> keras.Model:
    """Two valid convolutions eat the context; dense sigmoid per pitch bin (~240k params)."""
    inputs = keras.Input((spec.input_length, BINS.n_bins))
    width = spec.context + 1
    x = keras.layers.Conv1D(128, width, activation="relu")(inputs)
    x = keras.layers.Conv1D(128, width, activation="relu")(x)
    return keras.Model(inputs, keras.layers.Dense(BINS.n_bins, activation="sigmoid")(x))


def _clock() -> np.ndarray:
    """Wall-clock and CPU seconds (all threads of this process)."""
    return np.array([time.perf_counter(), time.process_time()])


def measure_speed(folder: Path, spec: WindowSpec, batch_size: int, epochs: int, seed: int) -> dict:
    """Wall-clock and CPU seconds per epoch of three ways to train on the same windows.

    The three take turns epoch by epoch, so that the load of a shared machine affects them
    alike: ``train_model`` evaluates a "validation set" after each epoch, and that evaluation
    runs one epoch of each of the other two (evaluation time is not ``train_model``'s). Each
    method first has one untimed warm-up epoch (tracing); results are medians over ``epochs``.
    """
    data = cache_batches(folder, spec, batch_size, seed)
    n_batches, loss = data.batches_per_epoch, keras.losses.BinaryCrossentropy()

    # In memory: the same windows, normalised, with their targets, as arrays.
    arrays = [np.asarray(array[0 : len(array)]) for array in data.arrays]
    f0s = [np.asarray(array[0 : len(array)]) for array in data.target_arrays]
    x = normalize_windows(np.stack([read_window(arrays[t], s, spec) for t, s in data.index]))
    frames = np.concatenate([read_target(f0s[t], s, spec) for t, s in data.index])
    y = f0_to_target(frames, BINS, 0.5).reshape(len(data.index), spec.n_frames, BINS.n_bins)
    x, y = x[: n_batches * batch_size], y[: n_batches * batch_size]
    from_disk = data.dataset(epoch=0)  # one dataset, read again by each fit call

    fits = {}
    for name in ("fit_in_memory", "fit_from_disk"):
        fits[name] = small_model(spec)
        fits[name].compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss)
    runs = {
        "fit_in_memory": lambda: fits["fit_in_memory"].fit(
            x, y, batch_size=batch_size, epochs=1, shuffle=True, verbose=0
        ),
        "fit_from_disk": lambda: fits["fit_from_disk"].fit(from_disk, epochs=1, verbose=0),
    }
    seconds = {name: [] for name in (*runs, "train_model_from_disk")}
    last = [None]

    def interleave(model: keras.Model) -> dict[str, float]:
        if last[0] is not None:  # not after train_model's warm-up epoch
            seconds["train_model_from_disk"].append(_clock() - last[0])
        for name, run in runs.items():
            start = _clock()
            run()
            if last[0] is not None:
                seconds[name].append(_clock() - start)
        last[0] = _clock()
        return {"overall_accuracy": 0.0}

    with tempfile.TemporaryDirectory() as out_dir:
        train_model(
            small_model(spec), data, loss, make_optimizer("adam", 1e-3), out_dir,
            (epochs + 1) * n_batches, valid_sets={"interleave": interleave},
            checkpoint_every=10**9, eval_every=n_batches, log_every=10**9,
        )  # fmt: skip
    examples = n_batches * batch_size
    result = {"windows": int(len(data.index)), "batches_per_epoch": n_batches, "epochs": epochs}
    result["parameters"] = int(small_model(spec).count_params())
    for name, times in seconds.items():
        wall, cpu = np.median(times, axis=0)
        result[name] = {"examples_per_s": examples / wall, "examples_per_cpu_s": examples / cpu}
    for name in ("fit_from_disk", "train_model_from_disk"):
        for key in ("examples_per_s", "examples_per_cpu_s"):
            ratio = result[name][key] / result["fit_in_memory"][key]
            result[name][f"{key}_over_in_memory"] = ratio
    return result


def _sample_rss(stop: threading.Event, peaks: dict[str, int]) -> None:
    """Peak of each ``Rss*`` line of ``/proc/self/status`` (KiB), sampled every 20 ms."""
    while not stop.wait(0.02):
        for line in Path("/proc/self/status").read_text().splitlines():
            key = line.split(":")[0]
            if key in peaks:
                peaks[key] = max(peaks[key], int(line.split()[1]))


def child_memory(folder: Path, spec: WindowSpec, batch_size: int, seed: int, output: Path) -> None:
    """Train one epoch over the cache in ``folder``; write peak memory (KiB) to ``output``."""
    data = cache_batches(folder, spec, batch_size, seed)
    steps = data.batches_per_epoch
    stop, peaks = threading.Event(), {"RssAnon": 0, "RssFile": 0}
    sampler = threading.Thread(target=_sample_rss, args=(stop, peaks), daemon=True)
    sampler.start()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as out_dir:
        train_model(
            small_model(spec), data, keras.losses.BinaryCrossentropy(),
            make_optimizer("adam", 1e-3), out_dir, steps, checkpoint_every=10**9,
            eval_every=10**9, log_every=10**9,
        )  # fmt: skip
    stop.set()
    sampler.join()
    write_json(
        {
            "steps": steps,
            "seconds": time.perf_counter() - start,
            "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            "peak_anonymous_rss_kib": peaks["RssAnon"],
            "peak_file_rss_kib": peaks["RssFile"],
        },
        output,
    )


def measure_memory(small: Path, large: Path, args: argparse.Namespace, scratch: Path) -> dict:
    result = {}
    for name, folder in (("small", small), ("large", large)):
        output = scratch / f"memory_{name}.json"
        command = [sys.executable, __file__, "--child-memory", str(folder), "--output", str(output)]
        command += ["--n-frames", str(args.n_frames), "--context", str(args.context)]
        command += ["--batch-size", str(args.batch_size), "--seed", str(args.seed)]
        subprocess.run(command, check=True)
        result[name] = json.loads(output.read_text())
        result[name]["cache_mib"] = sum(p.stat().st_size for p in folder.iterdir()) / 2**20
    for key in ("peak_rss_kib", "peak_anonymous_rss_kib", "peak_file_rss_kib"):
        result[f"{key.removesuffix('_kib')}_large_over_small"] = (
            result["large"][key] / result["small"][key]
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, required=True, help="JSON file for the figures")
    parser.add_argument("--tracks", type=int, default=16, help="tracks in the small cache")
    parser.add_argument("--frames", type=int, default=4000, help="frames per track")
    parser.add_argument("--scale", type=int, default=10, help="large cache / small cache")
    parser.add_argument("--n-frames", type=int, default=16, help="annotation frames per window")
    parser.add_argument("--context", type=int, default=8, help="context frames on each side")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per speed run")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child-memory", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    spec = WindowSpec(n_frames=args.n_frames, context=args.context, hop=args.n_frames)
    enable_determinism(args.seed)
    if args.child_memory:
        child_memory(args.child_memory, spec, args.batch_size, args.seed, args.output)
        return

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        small, large = scratch / "small", scratch / "large"
        write_cache(small, args.tracks, args.frames, args.seed)
        write_cache(large, args.tracks * args.scale, args.frames, args.seed)
        speed = measure_speed(small, spec, args.batch_size, args.epochs, args.seed)
        memory = measure_memory(small, large, args, scratch)

    result = {
        "settings": {key: value for key, value in vars(args).items() if key != "child_memory"},
        "device": tf.config.list_physical_devices()[-1].device_type,
        "speed": speed,
        "memory": memory,
        "seconds": time.perf_counter() - started,
    }
    print(f"windows of {spec.input_length} frames x {BINS.n_bins} bins, batch {args.batch_size}")
    print(f"{'':<34}{'examples/s':>10}{'/ in memory':>13}{'per CPU-s':>11}{'/ in memory':>13}")
    for name in ("fit_in_memory", "fit_from_disk", "train_model_from_disk"):
        row = [speed[name][key] for key in ("examples_per_s", "examples_per_cpu_s")]
        ratios = [
            value / speed["fit_in_memory"][key]
            for value, key in zip(row, ("examples_per_s", "examples_per_cpu_s"), strict=True)
        ]
        print(f"{name:<34}{row[0]:>10.0f}{ratios[0]:>13.3f}{row[1]:>11.0f}{ratios[1]:>13.3f}")
    print(f"{'peak memory, one epoch (MiB)':<34}{'small':>10}{'large':>10}{'ratio':>8}")
    for key in ("peak_rss_kib", "peak_anonymous_rss_kib", "peak_file_rss_kib"):
        small_mib, large_mib = memory["small"][key] / 1024, memory["large"][key] / 1024
        ratio = large_mib / small_mib
        print(f"{key.removesuffix('_kib'):<34}{small_mib:>10.0f}{large_mib:>10.0f}{ratio:>8.3f}")
    cache = f"{memory['small']['cache_mib']:.0f} / {memory['large']['cache_mib']:.0f}"
    print(f"cache size (MiB): {cache}; total {result['seconds']:.0f} s")
    write_json(result, args.output)


if __name__ == "__main__":
    main()

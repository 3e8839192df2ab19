"""Training from on-disk windows: speed against in-memory ``model.fit``, memory against size.

Writes a feature cache (memory-mapped ``.npy`` features ``(n_frames, n_bins)`` and f0 per
frame, turned into salience targets per window) and trains a small conv model on it:

- speed: examples/s of ``train_model`` and of ``model.fit`` on ``make_dataset`` (windows
  read from disk in a global shuffle), over examples/s of ``model.fit`` on the same windows
  held in memory as arrays (target: ratio >= 0.9);
- memory: peak RSS of a child process that trains one epoch over the cache, against the same
  with a cache 10x larger (target: ratio <= 1.2). Also reported: peak anonymous RSS (sampled),
  since the pages of a memory map that were read count in RSS but are page cache the kernel
  may drop at any time.

    .venv/bin/python benchmarks/bench_input.py --output benchmarks/out/bench_input.json
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
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

from mirlab.storage import write_json, write_npy
from mirlab.targets import PitchBins, f0_to_target
from mirlab.train import enable_determinism, make_optimizer, train_model
from mirlab.windows import (
    WindowSpec,
    build_index,
    make_dataset,
    normalize_windows,
    read_target,
    read_window,
)

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


def cache_dataset(folder: Path, spec: WindowSpec, batch_size: int):
    """``(train_data, index, inputs, targets)`` for the cache in ``folder``."""
    n_tracks = len(list(folder.glob("x*.npy")))
    inputs = [folder / f"x{i}.npy" for i in range(n_tracks)]
    targets = [folder / f"f0_{i}.npy" for i in range(n_tracks)]
    lengths = [len(np.load(path, mmap_mode="r")) for path in targets]
    index = build_index(lengths, spec)
    train_data = functools.partial(
        make_dataset,
        inputs,
        targets,
        index,
        spec,
        batch_size,
        target_fn=functools.partial(f0_to_target, bins=BINS, blur_semitones=0.5),
        drop_remainder=True,
    )
    return train_data, index, inputs, targets


def small_model(spec: WindowSpec) -> keras.Model:
    """Two valid convolutions eat the context; dense sigmoid per pitch bin (~240k params)."""
    inputs = keras.Input((spec.input_length, BINS.n_bins))
    width = spec.context + 1
    x = keras.layers.Conv1D(128, width, activation="relu")(inputs)
    x = keras.layers.Conv1D(128, width, activation="relu")(x)
    return keras.Model(inputs, keras.layers.Dense(BINS.n_bins, activation="sigmoid")(x))


class _Rates(logging.Handler):
    """Collects the examples/s of ``train_model``'s progress lines."""

    def __init__(self):
        super().__init__()
        self.rates: list[float] = []

    def emit(self, record: logging.LogRecord) -> None:
        if "examples/s" in record.msg:
            self.rates.append(float(record.args[3]))


def measure_speed(folder: Path, spec: WindowSpec, batch_size: int, epochs: int) -> dict:
    """Examples/s of the three ways of training on the same windows (first epoch is warm-up)."""
    train_data, index, inputs, targets = cache_dataset(folder, spec, batch_size)
    n_batches = len(index) // batch_size
    loss = keras.losses.BinaryCrossentropy()
    result = {"windows": int(len(index)), "batches_per_epoch": n_batches}

    # In memory: the same windows, normalised and with targets, as arrays.
    arrays = [np.load(path) for path in inputs]
    f0s = [np.load(path) for path in targets]
    x = normalize_windows(np.stack([read_window(arrays[t], s, spec) for t, s in index]))
    y = np.stack([f0_to_target(read_target(f0s[t], s, spec), BINS, 0.5) for t, s in index]).astype(
        np.float32
    )
    model = small_model(spec)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss)
    result["parameters"] = int(model.count_params())
    model.fit(x, y, batch_size=batch_size, epochs=1, shuffle=True, verbose=0)
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch_size, epochs=epochs - 1, shuffle=True, verbose=0)
    result["fit_in_memory"] = (epochs - 1) * len(x) / (time.perf_counter() - start)
    del x, y, arrays, f0s

    # From disk through model.fit: epochs 1.. concatenated into one dataset.
    model = small_model(spec)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss)
    model.fit(train_data(epoch=0), epochs=1, verbose=0)
    timed = functools.reduce(
        lambda a, b: a.concatenate(b), [train_data(epoch=e) for e in range(1, epochs)]
    )
    start = time.perf_counter()
    model.fit(timed, epochs=1, verbose=0)
    result["fit_from_disk"] = (epochs - 1) * n_batches * batch_size / (time.perf_counter() - start)

    # From disk through train_model, which reports examples/s once per epoch here.
    rates = _Rates()
    logging.getLogger("mirlab.train").addHandler(rates)
    logging.getLogger("mirlab.train").setLevel(logging.INFO)
    with tempfile.TemporaryDirectory() as out_dir:
        train_model(
            small_model(spec), train_data, loss, make_optimizer("adam", 1e-3), out_dir,
            epochs * n_batches, checkpoint_every=10**9, eval_every=10**9, log_every=n_batches,
        )  # fmt: skip
    logging.getLogger("mirlab.train").removeHandler(rates)
    result["train_model_from_disk"] = float(np.mean(rates.rates[1:]))
    for name in ("fit_from_disk", "train_model_from_disk"):
        result[f"{name}_over_in_memory"] = result[name] / result["fit_in_memory"]
    return result


def _sample_rss(stop: threading.Event, peaks: dict[str, int]) -> None:
    """Peak of each ``Rss*`` line of ``/proc/self/status`` (KiB), sampled every 20 ms."""
    while not stop.wait(0.02):
        for line in Path("/proc/self/status").read_text().splitlines():
            key = line.split(":")[0]
            if key in peaks:
                peaks[key] = max(peaks[key], int(line.split()[1]))


def child_memory(folder: Path, spec: WindowSpec, batch_size: int, output: Path) -> None:
    """Train one epoch over the cache in ``folder``; write peak memory (KiB) to ``output``."""
    train_data, index, _, _ = cache_dataset(folder, spec, batch_size)
    steps = len(index) // batch_size
    stop, peaks = threading.Event(), {"RssAnon": 0, "RssFile": 0}
    sampler = threading.Thread(target=_sample_rss, args=(stop, peaks), daemon=True)
    sampler.start()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as out_dir:
        train_model(
            small_model(spec), train_data, keras.losses.BinaryCrossentropy(),
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
    for key in ("peak_rss_kib", "peak_anonymous_rss_kib"):
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
    parser.add_argument("--epochs", type=int, default=4, help="speed runs (first: warm-up)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child-memory", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    spec = WindowSpec(n_frames=args.n_frames, context=args.context, hop=args.n_frames)
    enable_determinism(args.seed)
    if args.child_memory:
        child_memory(args.child_memory, spec, args.batch_size, args.output)
        return

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        small, large = scratch / "small", scratch / "large"
        write_cache(small, args.tracks, args.frames, args.seed)
        write_cache(large, args.tracks * args.scale, args.frames, args.seed)
        speed = measure_speed(small, spec, args.batch_size, args.epochs)
        memory = measure_memory(small, large, args, scratch)

    result = {
        "settings": {key: value for key, value in vars(args).items() if key != "child_memory"},
        "device": tf.config.list_physical_devices()[-1].device_type,
        "speed_examples_per_s": speed,
        "memory": memory,
        "seconds": time.perf_counter() - started,
    }
    result["settings"]["output"] = str(args.output)
    print(f"windows of {spec.input_length} frames x {BINS.n_bins} bins, batch {args.batch_size}")
    print(f"{'examples/s':<34}{'value':>10}{'/ in memory':>13}")
    for name in ("fit_in_memory", "fit_from_disk", "train_model_from_disk"):
        ratio = speed[name] / speed["fit_in_memory"]
        print(f"{name:<34}{speed[name]:>10.0f}{ratio:>13.3f}")
    print(f"{'peak memory, one epoch (MiB)':<34}{'small':>10}{'large':>10}{'ratio':>8}")
    for key in ("peak_rss_kib", "peak_anonymous_rss_kib"):
        small_mib, large_mib = memory["small"][key] / 1024, memory["large"][key] / 1024
        ratio = large_mib / small_mib
        print(f"{key.removesuffix('_kib'):<34}{small_mib:>10.0f}{large_mib:>10.0f}{ratio:>8.3f}")
    cache = f"{memory['small']['cache_mib']:.0f} / {memory['large']['cache_mib']:.0f}"
    print(f"cache size (MiB): {cache}; total {result['seconds']:.0f} s")
    write_json(result, args.output)


if __name__ == "__main__":
    main()

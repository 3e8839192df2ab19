"""Autoencoder training from on-disk patches: speed against in-memory ``model.fit``.

The default autoencoder of ``config/config.yaml`` (experiment ``autoencoder``: its
``model_args``, ``window.hop``, ``training`` batch size, learning rate and loss, and its input
feature, ``stft_ae``: 256 bins, dB) on a feature cache written here: synthetic tracks
(``mirlab.data.synth.generate_track``) turned into that feature by
``mirlab.data.features.compute_feature``, one ``.npy`` per track. Three ways to train on the
same patches, taking turns epoch by epoch so that the load of a shared machine affects them
alike, each after one untimed warm-up epoch (tracing), medians over ``--repeats`` epochs:

- ``train_model_from_disk``: the pipeline's way, ``train_model`` on the ``WindowBatches`` that
  ``mirlab.families.autoencoder.training.train_experiment`` builds (patches wholly inside a
  track every ``hop`` frames, no normalisation, input and target windows both read from the
  ``.npy`` files, targets through ``codecs.to_representation``);
- ``fit_from_disk``: ``model.fit`` on that ``WindowBatches``' ``tf.data`` dataset;
- ``fit_in_memory`` (the reference): ``model.fit`` on the same patches and targets held in
  memory as arrays, shuffled by Keras.

Figures: patches per second (wall clock) and per CPU-second (all threads of this process) of
each, and their ratios to ``fit_in_memory``. On a shared machine the CPU-second figures are the
steadier ones.

    .venv/bin/python benchmarks/bench_autoencoder.py --output benchmarks/out/autoencoder.json
"""

from __future__ import annotations

import argparse
import tempfile
import time
from functools import partial
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
import yaml

from mirlab.data.features import compute_feature, open_feature
from mirlab.data.synth import SynthParams, generate_track
from mirlab.families.autoencoder import codecs
from mirlab.families.autoencoder.training import build_autoencoder, reconstruction_loss
from mirlab.learning.autoencoders import PATCH_SHAPE
from mirlab.learning.train import enable_determinism, make_optimizer, train_model
from mirlab.learning.windows import WindowBatches, WindowSpec, read_window
from mirlab.storage import write_json, write_npy

REPO = Path(__file__).resolve().parent.parent
METHODS = ("fit_in_memory", "fit_from_disk", "train_model_from_disk")


def experiment_settings(name: str) -> dict:
    """The experiment ``name`` of ``config/config.yaml`` and its input feature's parameters."""
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    experiment = config["experiments"].get(name)
    if experiment is None or experiment.get("task") != "autoencoder":
        raise SystemExit(f"--experiment: {name!r} is not an autoencoder experiment of the config")
    if experiment.get("model") != "spectrogram_autoencoder":
        raise SystemExit(
            f"--experiment: {name!r} is a {experiment.get('model')}, not a Keras model"
        )
    feature = dict(config["features"][experiment["input"]["feature"]])
    if feature.pop("kind") != "stft":
        raise SystemExit(f"--experiment: {name!r} does not read an stft feature")
    training = experiment["training"]
    return {
        "experiment": name,
        "model_args": experiment.get("model_args", {}),
        "hop": experiment["window"]["hop"],
        "batch_size": training["batch_size"],
        "learning_rate": training["learning_rate"],
        "loss": training.get("loss", "mse"),  # the family schema's default
        "feature": feature,
    }


def write_cache(folder: Path, n_tracks: int, duration: float, feature: dict, seed: int) -> None:
    """``n_tracks`` synthetic mixes of ``duration`` s as the feature ``x<i>.npy`` (frames first)."""
    params = {key: value for key, value in feature.items() if key != "sr"}
    synth = SynthParams(sr=feature["sr"], duration=duration)
    for track in range(n_tracks):
        mix = generate_track(track, seed, synth).mix
        array = compute_feature(mix, feature["sr"], "stft", **params)
        write_npy(np.ascontiguousarray(array, dtype=np.float32), folder / f"x{track}.npy")


def cache_batches(folder: Path, settings: dict, seed: int) -> WindowBatches:
    """The training batches of ``train_experiment`` over the cache in ``folder``."""
    files = sorted(folder.glob("x*.npy"), key=lambda path: int(path.stem[1:]))
    hop = settings["hop"]
    starts = [codecs.patch_starts(len(open_feature(path)), hop) for path in files]
    index = np.concatenate(
        [np.column_stack([np.full(len(s), track), s]) for track, s in enumerate(starts)]
    ).astype(np.int64)
    return WindowBatches(
        files,
        files,
        index,
        WindowSpec(n_frames=PATCH_SHAPE[0], hop=hop),
        settings["batch_size"],
        seed=seed,
        normalize=None,
        target_fn=partial(codecs.to_representation, log=settings["feature"]["log"]),
        drop_remainder=True,
    )


def _clock() -> np.ndarray:
    """Wall-clock and CPU seconds (all threads of this process)."""
    return np.array([time.perf_counter(), time.process_time()])


def measure_speed(folder: Path, settings: dict, repeats: int, seed: int) -> dict:
    """Wall-clock and CPU seconds per epoch of the three ways to train on the same patches.

    ``train_model`` evaluates a "validation set" after each epoch, and that evaluation runs
    one epoch of each of the other two (evaluation time is not ``train_model``'s).
    """
    data = cache_batches(folder, settings, seed)
    log_input = settings["feature"]["log"]
    n_batches, batch_size = data.batches_per_epoch, settings["batch_size"]

    def model() -> keras.Model:
        return build_autoencoder(settings["model_args"], log_input)

    def loss():
        return reconstruction_loss(settings["loss"], log_input)

    def optimizer() -> keras.optimizers.Optimizer:
        return make_optimizer("adam", settings["learning_rate"])

    # In memory: the same patches with their targets, as arrays (what fit shuffles).
    arrays = [np.asarray(array[0 : len(array)]) for array in data.arrays]
    x = np.stack([read_window(arrays[t], s, data.spec) for t, s in data.index])
    x = x[: n_batches * batch_size]
    y = codecs.to_representation(x, log_input)
    from_disk = data.dataset(epoch=0)  # one dataset, read again by each fit call

    fits = {}
    for name in ("fit_in_memory", "fit_from_disk"):
        fits[name] = model()
        fits[name].compile(optimizer=optimizer(), loss=loss())
    runs = {
        "fit_in_memory": lambda: fits["fit_in_memory"].fit(
            x, y, batch_size=batch_size, epochs=1, shuffle=True, verbose=0
        ),
        "fit_from_disk": lambda: fits["fit_from_disk"].fit(
            from_disk, epochs=1, shuffle=False, verbose=0
        ),
    }
    seconds = {name: [] for name in METHODS}
    last = [None]

    def interleave(_: keras.Model) -> dict[str, float]:
        if last[0] is not None:  # not after train_model's warm-up epoch
            seconds["train_model_from_disk"].append(_clock() - last[0])
        for name, run in runs.items():
            start = _clock()
            run()
            if last[0] is not None:
                seconds[name].append(_clock() - start)
        last[0] = _clock()
        return {"unused": 0.0}

    with tempfile.TemporaryDirectory() as out_dir:
        train_model(
            model(), data, loss(), optimizer(), out_dir, (repeats + 1) * n_batches,
            valid_sets={"interleave": interleave}, checkpoint_every=10**9,
            eval_every=n_batches, log_every=10**9,
        )  # fmt: skip
    patches = n_batches * batch_size
    result = {
        "patches": int(len(data.index)),
        "batches_per_epoch": n_batches,
        "patches_per_epoch": patches,
        "repeats": repeats,
        "parameters": int(model().count_params()),
        "cache_mib": sum(path.stat().st_size for path in folder.iterdir()) / 2**20,
    }
    for name, times in seconds.items():
        wall, cpu = np.median(times, axis=0)
        result[name] = {
            "patches_per_s": patches / wall,
            "patches_per_cpu_s": patches / cpu,
            "wall_s_per_epoch": [float(t[0]) for t in times],
            "cpu_s_per_epoch": [float(t[1]) for t in times],
        }
    for name in ("fit_from_disk", "train_model_from_disk"):
        for key in ("patches_per_s", "patches_per_cpu_s"):
            result[name][f"{key}_over_in_memory"] = result[name][key] / result["fit_in_memory"][key]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, required=True, help="JSON file for the figures")
    parser.add_argument("--experiment", default="autoencoder", help="of config/config.yaml")
    parser.add_argument("--tracks", type=int, default=16, help="synthetic tracks in the cache")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per track")
    parser.add_argument("--repeats", type=int, default=3, help="timed epochs of each (median)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    settings = experiment_settings(args.experiment)
    enable_determinism(args.seed)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        cache = Path(scratch) / "cache"
        write_cache(cache, args.tracks, args.duration, settings["feature"], args.seed)
        cache_seconds = time.perf_counter() - started
        speed = measure_speed(cache, settings, args.repeats, args.seed)

    result = {
        "settings": vars(args) | {"config": settings},
        "device": tf.config.list_physical_devices()[-1].device_type,
        "speed": speed,
        "cache_seconds": cache_seconds,
        "seconds": time.perf_counter() - started,
    }
    print(
        f"{args.experiment}: {speed['parameters']:,} parameters, patches {PATCH_SHAPE}, "
        f"batch {settings['batch_size']}, {speed['patches_per_epoch']} patches per epoch "
        f"({args.tracks} tracks x {args.duration:g} s, hop {settings['hop']})"
    )
    print(f"{'':<24}{'patches/s':>10}{'/ in memory':>13}{'per CPU-s':>11}{'/ in memory':>13}")
    for name in METHODS:
        row = [speed[name][key] for key in ("patches_per_s", "patches_per_cpu_s")]
        reference = [speed["fit_in_memory"][key] for key in ("patches_per_s", "patches_per_cpu_s")]
        ratios = [value / ref for value, ref in zip(row, reference, strict=True)]
        print(f"{name:<24}{row[0]:>10.1f}{ratios[0]:>13.3f}{row[1]:>11.1f}{ratios[1]:>13.3f}")
    print(
        f"cache {speed['cache_mib']:.1f} MiB, written in {cache_seconds:.0f} s; "
        f"total {result['seconds']:.0f} s"
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_json(result, args.output)


if __name__ == "__main__":
    main()

"""The training loop shared by all experiments: checkpoints, resume, validation, model bundles.

``train_model`` runs a custom TensorFlow loop over the batches of a ``windows.WindowBatches``,
whose order is a pure function of its seed and the (epoch, batch) position, so that a run
killed at any step and started again reads the same batches in the same order and ends with
the same weights as an uninterrupted run (on CPU, after ``enable_determinism``).

Layout under ``out_dir``::

    checkpoints/step-000001000/   variables.npz (model, optimizer and recurrent-state
                                  variables), state.json
    best/<valid_set>/<metric>.weights.h5 (+ .json: value, step)
    tensorboard/                  scalars: train/*, <valid_set>/<metric>

A checkpoint folder is built under a temporary name and renamed into place when complete, so
a folder named ``step-*`` is always whole; older ones are removed after a new one is written.

Stateful sequence training (Keras layers with ``stateful=True``, e.g. GRUs over ``b``
parallel streams): the layers' states live outside ``model.variables``; the loop checkpoints
them with the others and resets them at the start of every epoch of ``train_data``, where its
streams end, so that a resumed run carries the same state as an uninterrupted one.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import shutil
import signal
import struct
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Literal, Protocol

import keras
import numpy as np
import tensorflow as tf
from tensorflow.core.framework import summary_pb2

from mirlab.errors import InputError
from mirlab.storage import atomic_directory, atomic_path, write_json

log = logging.getLogger(__name__)

_CHECKPOINT = re.compile(r"^step-(\d+)$")
_SET_NAME = re.compile(r"^[A-Za-z0-9_.=-]+$")

#: Validation: a function of the model returning metric name -> value (e.g. mean over tracks).
Validator = Callable[[keras.Model], Mapping[str, float]]


class TrainingData(Protocol):
    """What ``train_model`` reads batches from (``windows.WindowBatches`` is one)."""

    seed: int
    batches_per_epoch: int

    def dataset(self, epoch: int, skip_batches: int, epochs: int | None) -> tf.data.Dataset:
        """``(x, y)`` batches from batch ``skip_batches`` of ``epoch`` on (``None``: endless)."""


class TrainingInterrupted(RuntimeError):
    """Training stopped on SIGTERM after writing a checkpoint at ``step``; run again to resume."""

    def __init__(self, step: int):
        self.step = step
        super().__init__(f"training stopped by SIGTERM; checkpoint written at step {step}")


def enable_determinism(seed: int) -> None:
    """Seed Python, NumPy, TensorFlow and Keras from ``seed`` and make TF ops deterministic.

    Call it once at the start of a job, before building the model (it is global state).
    """
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def make_optimizer(
    name: Literal["adam", "sgd", "rmsprop"] = "adam",
    learning_rate: float = 1e-3,
    schedule: Literal["constant", "exponential", "step", "cosine", "piecewise"] = "constant",
    decay_steps: int = 10000,
    decay_rate: float = 0.5,
    clipnorm: float | None = None,
    boundaries: Sequence[int] = (),
) -> keras.optimizers.Optimizer:
    """A Keras optimizer with a learning-rate schedule over training steps.

    ``exponential``: ``lr * decay_rate ** (step / decay_steps)``; ``step``: the same with the
    exponent floored (drops by ``decay_rate`` every ``decay_steps``); ``cosine``: cosine decay
    over ``decay_steps`` down to ``decay_rate * lr``; ``piecewise``: multiplied by
    ``decay_rate`` after each step of ``boundaries`` (increasing; e.g. halved at 7500, 8000,
    9000 and 9500). ``clipnorm`` clips each gradient's norm.
    """
    if learning_rate <= 0:
        raise InputError("learning_rate", f"must be > 0, got {learning_rate}")
    if clipnorm is not None and clipnorm <= 0:
        raise InputError("clipnorm", f"must be > 0 or None, got {clipnorm}")
    schedules = keras.optimizers.schedules
    if schedule == "constant":
        rate = learning_rate
    elif schedule in ("exponential", "step"):
        rate = schedules.ExponentialDecay(
            learning_rate, decay_steps, decay_rate, staircase=schedule == "step"
        )
    elif schedule == "cosine":
        rate = schedules.CosineDecay(learning_rate, decay_steps, alpha=decay_rate)
    elif schedule == "piecewise":
        boundaries = [int(b) for b in boundaries]
        if not boundaries or np.any(np.diff(boundaries) <= 0):
            raise InputError("boundaries", f"must be increasing steps, got {boundaries}")
        values = [learning_rate * decay_rate**i for i in range(len(boundaries) + 1)]
        rate = schedules.PiecewiseConstantDecay(boundaries, values)
    else:
        raise InputError("schedule", f"unknown learning-rate schedule {schedule!r}")
    optimizers = {
        "adam": keras.optimizers.Adam,
        "sgd": keras.optimizers.SGD,
        "rmsprop": keras.optimizers.RMSprop,
    }
    if name not in optimizers:
        raise InputError("optimizer", f"{name!r} is not one of {', '.join(optimizers)}")
    return optimizers[name](learning_rate=rate, clipnorm=clipnorm)


# --- losses of several outputs --------------------------------------------------------------


def weighted_losses(
    losses: Mapping[str, Callable], weights: Mapping[str, float] | None = None
) -> Callable:
    """One loss over a model with a dict of outputs: ``sum(weights[k] * losses[k](y[k], p[k]))``.

    ``losses`` maps each output name to its loss (per example or per frame; the loop takes
    the mean); ``weights`` defaults to 1 for every output. A family with several heads (chord
    root, bass, pitch classes and tag) passes this to :func:`train_model`, whose ``y`` is then
    a dict with the same keys.
    """
    weights = dict(weights or {})
    unknown = sorted(set(weights) - set(losses))
    if unknown:
        raise InputError("loss_weights", f"no output named {', '.join(unknown)}")
    for name, weight in weights.items():
        if weight < 0:
            raise InputError(f"loss_weights.{name}", f"must be >= 0, got {weight}")

    def loss(y_true: Mapping, y_pred: Mapping) -> tf.Tensor:
        return tf.add_n(
            [
                weights.get(name, 1.0) * tf.reduce_mean(function(y_true[name], y_pred[name]))
                for name, function in losses.items()
            ]
        )

    return loss


# --- checkpoints -----------------------------------------------------------------------------


def _variable_shapes(variables: Sequence) -> list[list[int]]:
    # Shapes, not paths: Keras numbers automatic layer names per process, so the same
    # architecture may carry other names when the job is started again.
    return [list(v.shape) for v in variables]


def _stateful_layers(model: keras.Model) -> list:
    """Layers of ``model`` (those of nested models included) that keep a state between calls."""
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found += _stateful_layers(layer)
        elif getattr(layer, "stateful", False) and getattr(layer, "states", None) is not None:
            found.append(layer)
    return found


def _state_variables(model: keras.Model) -> list:
    """The state variables of the stateful layers (e.g. a stateful GRU's last state per
    stream), which ``model.variables`` does not hold."""
    return [v for layer in _stateful_layers(model) for v in layer.states]


def _reset_states(model: keras.Model) -> None:
    for layer in _stateful_layers(model):
        layer.reset_state()


def _save_checkpoint(
    directory: Path,
    model: keras.Model,
    optimizer: keras.optimizers.Optimizer,
    state: dict,
    keep: int,
) -> None:
    """Write ``directory/step-N`` atomically, then remove all but the ``keep - 1`` newest
    older checkpoints."""
    arrays = {f"model_{i}": np.asarray(v.numpy()) for i, v in enumerate(model.variables)}
    for i, variable in enumerate(optimizer.variables):
        arrays[f"optimizer_{i}"] = np.asarray(variable.numpy())
    for i, variable in enumerate(_state_variables(model)):
        arrays[f"state_{i}"] = np.asarray(variable.numpy())
    shapes = {
        "model_variables": _variable_shapes(model.variables),
        "optimizer_variables": _variable_shapes(optimizer.variables),
        "state_variables": _variable_shapes(_state_variables(model)),
    }
    with atomic_directory(directory / f"step-{state['step']:09d}") as tmp:
        np.savez(tmp / "variables.npz", **arrays)
        write_json({**state, **shapes}, tmp / "state.json")
    older = [path for step, path in _list_checkpoints(directory) if step < state["step"]]
    for old in older[keep - 1 :]:
        # Renamed first so that a crash halfway through deleting never leaves a partial
        # folder under a checkpoint name.
        doomed = old.with_name(f".deleting-{old.name}")
        os.replace(old, doomed)
        shutil.rmtree(doomed)


def _remove_stale(directory: Path) -> None:
    """Remove what a killed job left: half-written and half-deleted checkpoint folders."""
    if directory.is_dir():
        for path in directory.iterdir():
            if path.name.startswith((".step-", ".deleting-")):
                shutil.rmtree(path)


def _list_checkpoints(directory: Path) -> list[tuple[int, Path]]:
    if not directory.is_dir():
        return []
    found = [
        (int(match.group(1)), path)
        for path in directory.iterdir()
        if path.is_dir() and (match := _CHECKPOINT.match(path.name))
    ]
    return sorted(found, reverse=True)


def latest_checkpoint(directory: str | Path) -> Path | None:
    """The newest complete checkpoint folder under ``directory`` (None if there is none)."""
    for _, path in _list_checkpoints(Path(directory)):
        if (path / "state.json").is_file() and (path / "variables.npz").is_file():
            return path
    return None


def _load_checkpoint(path: Path, model: keras.Model, optimizer: keras.optimizers.Optimizer) -> dict:
    state = json.loads((path / "state.json").read_text())
    groups = {
        "model": model.variables,
        "optimizer": optimizer.variables,
        "state": _state_variables(model),
    }
    # Checkpoints written before state variables were saved hold none.
    state.setdefault("state_variables", [])
    for group, variables in groups.items():
        if state[f"{group}_variables"] != _variable_shapes(variables):
            raise InputError(path, f"{group} variables do not match the model being trained")
    with np.load(path / "variables.npz") as arrays:
        for group, variables in groups.items():
            for i, variable in enumerate(variables):
                variable.assign(arrays[f"{group}_{i}"])
    return state


def _save_keras_file(save: Callable[[Path], None], path: Path) -> None:
    """Atomically write a file that Keras insists on naming itself (``.keras``, ``.weights.h5``)."""
    with atomic_path(path) as tmp, tempfile.TemporaryDirectory(dir=path.parent) as scratch:
        staged = Path(scratch) / path.name
        save(staged)
        os.replace(staged, tmp)


# --- the loop --------------------------------------------------------------------------------


@contextmanager
def _stop_requests() -> Iterator[list[int]]:
    """Turn SIGTERM/SIGINT into a request that the loop honours between steps.

    An exception raised in the middle of a step could leave the weights updated and the step
    counter not, so signals only set a flag (main thread only: Python delivers them there).
    """
    requests: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield requests
        return
    previous = {}
    for signum in (signal.SIGTERM, signal.SIGINT):
        previous[signum] = signal.signal(signum, lambda number, frame: requests.append(number))
    try:
        yield requests
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


# TensorBoard's scalar-plugin tag, written with TF's core summary op so that logging works
# without the tensorboard package (tensorflow-cpu 2.21 no longer pulls it in).
_SCALAR_METADATA = summary_pb2.SummaryMetadata(
    plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars")
).SerializeToString()


_IMAGE_METADATA = summary_pb2.SummaryMetadata(
    plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="images")
)


def _write_image(tag: str, png: bytes, step: int) -> None:
    """A PNG as a TensorBoard image (``tf.summary.image``'s format: width, height, PNG)."""
    width, height = struct.unpack(">II", png[16:24])
    tensor = tf.constant([str(width).encode(), str(height).encode(), png])
    tf.summary.write(tag, tensor, step=step, metadata=_IMAGE_METADATA)


def _write_scalar(tag: str, value: float, step: int) -> None:
    """A TensorBoard scalar on the default summary writer (``tf.summary.scalar``'s format)."""
    tf.summary.write(tag, tf.constant(value, tf.float32), step=step, metadata=_SCALAR_METADATA)


def _l2_penalty(model: keras.Model) -> Callable[[], tf.Tensor]:
    # Kernels only: biases, batch-norm scales and embeddings' offsets are not regularised.
    kernels = [v for v in model.trainable_variables if v.path.endswith("kernel")]

    def penalty() -> tf.Tensor:
        return tf.add_n([tf.reduce_sum(tf.square(v)) for v in kernels]) if kernels else 0.0

    return penalty


def train_model(
    model: keras.Model,
    train_data: TrainingData,
    loss: Callable,
    optimizer: keras.optimizers.Optimizer,
    out_dir: str | Path,
    steps: int,
    *,
    valid_sets: Mapping[str, Validator] | None = None,
    best_metrics: Mapping[str, Literal["max", "min"]] | None = None,
    l2: float = 0.0,
    checkpoint_every: int = 1000,
    eval_every: int = 1000,
    log_every: int = 100,
    keep_checkpoints: int = 1,
    on_checkpoint: Callable[[keras.Model, int], None] | None = None,
) -> dict:
    """Train ``model`` for ``steps`` optimizer steps, resuming from ``out_dir`` if it holds a run.

    ``train_data`` (a ``windows.WindowBatches``) gives the ``(x, y)`` batches, epoch after
    epoch, in an order fixed by its seed. The loss minimised is
    ``mean(loss(y, model(x))) + sum(model.losses) + l2 * sum(kernel ** 2)``; gradient clipping
    and the learning-rate schedule belong to ``optimizer`` (see ``make_optimizer``).

    Every ``checkpoint_every`` steps, at the end, and on SIGTERM/SIGINT (after the current
    step) a checkpoint holds every model and optimizer variable (dropout seed states and the
    step counter of the schedule included), the step, the data seed and the epoch/batch
    position. On SIGTERM
    the loop then raises ``TrainingInterrupted``, on SIGINT ``KeyboardInterrupt``. Calling
    ``train_model`` again with the same arguments resumes from the newest complete checkpoint
    (the model's own weights are overwritten) and reaches the same final weights; a checkpoint
    of another data seed is refused.

    Stateful layers' states are checkpointed too and reset at the start of every epoch (see
    the module docstring). ``on_checkpoint(model, step)``, if given, runs after each
    checkpoint is written (e.g. to write a generated sample); it must leave the model's
    variables and states as it found them.

    Every ``eval_every`` steps and at the end, each ``valid_sets[name](model)`` is computed,
    written to TensorBoard as ``<name>/<metric>``, and for each ``metric, mode`` in
    ``best_metrics`` (the family's metric for the shipped model) an improvement over that set's
    own best saves ``best/<name>/<metric>.weights.h5``.

    Returns ``{"step", "epoch", "loss", "metrics": {set: {metric: value}}, "best": {set:
    {metric: {"value", "step"}}}}``; ``loss`` is the mean training loss of the last log interval
    (None when nothing was trained in this call).
    """
    for key, value, minimum in (
        ("steps", steps, 1),
        ("checkpoint_every", checkpoint_every, 1),
        ("eval_every", eval_every, 1),
        ("log_every", log_every, 1),
        ("keep_checkpoints", keep_checkpoints, 1),
    ):
        if not isinstance(value, int) or value < minimum:
            raise InputError(key, f"must be an integer >= {minimum}, got {value!r}")
    if l2 < 0:
        raise InputError("l2", f"must be >= 0, got {l2}")
    valid_sets = dict(valid_sets or {})
    best_metrics = dict(best_metrics or {})
    for name in valid_sets:
        if not _SET_NAME.match(name):
            raise InputError("valid_sets", f"set name {name!r} must be a plain file name")
    for metric, mode in best_metrics.items():
        if mode not in ("max", "min") or not _SET_NAME.match(metric):
            raise InputError("best_metrics", f"{metric!r}: {mode!r} is not 'max' or 'min'")

    out_dir = Path(out_dir)
    checkpoints = out_dir / "checkpoints"
    optimizer.build(model.trainable_variables)
    _remove_stale(checkpoints)
    seed = train_data.seed
    state = {"step": 0, "epoch": 0, "batch": 0, "seed": seed, "loss": None, "best": {}}
    resume_from = latest_checkpoint(checkpoints)
    if resume_from is not None:
        saved = _load_checkpoint(resume_from, model, optimizer)
        if saved["seed"] != seed:
            raise InputError(resume_from, f"was trained with seed {saved['seed']}, not {seed}")
        state.update({key: saved[key] for key in state})
        log.info("resumed from %s (step %d, epoch %d)", resume_from, state["step"], state["epoch"])

    penalty = _l2_penalty(model)

    @tf.function(reduce_retracing=True)
    def train_step(x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            data_loss = tf.reduce_mean(loss(y, model(x, training=True)))
            total = data_loss + l2 * penalty()
            if model.losses:
                total += tf.add_n(model.losses)
        gradients = tape.gradient(total, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
        return data_loss

    writer = tf.summary.create_file_writer(str(out_dir / "tensorboard"))
    metrics: dict[str, dict[str, float]] = {}

    def evaluate() -> None:
        for name, validator in valid_sets.items():
            metrics[name] = {key: float(value) for key, value in validator(model).items()}
            # A validator may also draw figures of its last evaluation (``images()``:
            # tag -> PNG bytes), written beside the scalars.
            images = validator.images() if hasattr(validator, "images") else {}
            with writer.as_default():
                for key, value in metrics[name].items():
                    _write_scalar(f"{name}/{key}", value, state["step"])
                for tag, png in images.items():
                    _write_image(f"{name}/{tag}", png, state["step"])
            for metric, mode in best_metrics.items():
                _keep_best(model, out_dir / "best" / name, metric, mode, metrics[name], state)
            shown = {key: metrics[name][key] for key in best_metrics or metrics[name]}
            log.info("step %d %s: %s", state["step"], name, _format_metrics(shown))

    def report(losses: list[tf.Tensor], examples: int, seconds: float) -> None:
        state["loss"] = float(np.mean([float(value) for value in losses]))
        if not math.isfinite(state["loss"]):
            raise FloatingPointError(f"training loss is {state['loss']} at step {state['step']}")
        rate = examples / max(seconds, 1e-9)
        eta = (steps - state["step"]) * seconds / len(losses)
        log.info(
            "step %d/%d loss %.5f, %.1f examples/s, ETA %s",
            *(state["step"], steps, state["loss"], rate, _format_seconds(eta)),
        )
        with writer.as_default():
            _write_scalar("train/loss", state["loss"], state["step"])
            _write_scalar("train/examples_per_second", rate, state["step"])
            _write_scalar("train/learning_rate", float(optimizer.learning_rate), state["step"])

    first_step = state["step"]
    losses: list[tf.Tensor] = []
    examples, seconds = 0, 0.0
    with _stop_requests() as requests:
        started = time.perf_counter()
        # One dataset for the whole run (see WindowBatches.dataset); it starts where the
        # checkpoint left off.
        batches = train_data.dataset(state["epoch"], state["batch"], epochs=None)
        for x, y in batches if state["step"] < steps else ():
            if state["batch"] == 0:
                _reset_states(model)  # the streams of a stateful model end with the epoch
            losses.append(train_step(x, y))
            examples += int(x.shape[0])
            state["step"] += 1
            state["epoch"], state["batch"] = divmod(
                state["epoch"] * train_data.batches_per_epoch + state["batch"] + 1,
                train_data.batches_per_epoch,
            )
            last = state["step"] == steps
            if state["step"] % log_every == 0 or last:
                report(losses, examples, seconds + time.perf_counter() - started)
                losses, examples, seconds = [], 0, 0.0
                started = time.perf_counter()
            # Evaluation and checkpoints are not training time (examples/s, ETA).
            seconds += time.perf_counter() - started
            if state["step"] % eval_every == 0 or last:
                evaluate()
            if state["step"] % checkpoint_every == 0 or last or requests:
                _save_checkpoint(checkpoints, model, optimizer, state, keep_checkpoints)
                if on_checkpoint is not None:
                    on_checkpoint(model, state["step"])
            started = time.perf_counter()
            if last or requests:
                break
    writer.close()
    if requests and state["step"] < steps:
        if requests[0] == signal.SIGINT:
            raise KeyboardInterrupt
        raise TrainingInterrupted(state["step"])
    log.info("trained steps %d..%d of %d", first_step, state["step"], steps)
    return {
        "step": state["step"],
        "epoch": state["epoch"],
        "loss": state["loss"] if state["step"] > first_step else None,
        "metrics": metrics,
        "best": state["best"],
    }


def optimizer_from_config(training: Mapping, name: str = "adam") -> keras.optimizers.Optimizer:
    """:func:`make_optimizer` from an experiment's family-neutral ``training`` keys:
    ``learning_rate``, ``lr_decay`` per ``decay_steps`` (1: constant) and ``clipnorm``."""
    return make_optimizer(
        name,
        training["learning_rate"],
        schedule="constant" if training["lr_decay"] == 1.0 else "exponential",
        decay_steps=training["decay_steps"],
        decay_rate=training["lr_decay"],
        clipnorm=training.get("clipnorm"),
    )


def train_experiment_model(
    model: keras.Model,
    train_data: TrainingData,
    loss: Callable,
    optimizer: keras.optimizers.Optimizer,
    training: Mapping,
    work_dir: str | Path,
    valid_sets: Mapping[str, Validator],
    mode: Literal["max", "min"] = "max",
    **options,
) -> dict:
    """:func:`train_model` with an experiment's family-neutral ``training`` keys (``steps``,
    ``l2``, ``checkpoint_every``, ``eval_every``, ``metric``), then the model shipped: the best
    of the first of ``valid_sets`` by ``training["metric"]`` (``mode``: higher or lower is
    better), restored into ``model`` and recorded as ``result["shipped"]``; the last step's
    weights when there is no validation set. ``options`` go to :func:`train_model`."""
    result = train_model(
        model,
        train_data,
        loss,
        optimizer,
        work_dir,
        training["steps"],
        valid_sets=valid_sets,
        best_metrics={training["metric"]: mode},
        l2=training["l2"],
        checkpoint_every=training["checkpoint_every"],
        eval_every=training["eval_every"],
        log_every=max(1, min(100, training["steps"] // 20)),
        **options,
    )
    if valid_sets:
        shipped = next(iter(valid_sets))
        result["shipped"] = {
            "valid_set": shipped,
            "metric": training["metric"],
            **restore_best(model, work_dir, shipped, training["metric"]),
        }
    return result


def _keep_best(
    model: keras.Model,
    directory: Path,
    metric: str,
    mode: str,
    values: Mapping[str, float],
    state: dict,
) -> None:
    """Save ``<metric>.weights.h5`` (+ ``.json``) in ``directory`` if ``metric`` improved on the
    best of this set (``state["best"][set][metric]``); ties keep the earlier model."""
    if metric not in values:
        raise InputError("best_metrics", f"{metric!r} is not a metric of set {directory.name!r}")
    value = values[metric]
    best = state["best"].setdefault(directory.name, {}).get(metric)
    if best is not None and not (value > best["value"] if mode == "max" else value < best["value"]):
        return
    record = {"value": value, "step": state["step"]}
    state["best"][directory.name][metric] = record
    _save_keras_file(model.save_weights, directory / f"{metric}.weights.h5")
    write_json(record, directory / f"{metric}.json")


def restore_best(model: keras.Model, out_dir: str | Path, valid_set: str, metric: str) -> dict:
    """Load the best weights of ``valid_set`` by ``metric`` (saved by :func:`train_model`
    under ``out_dir``) into ``model``; returns their record (``value``, ``step``).

    ``InputError`` when that set never saved a best model for that metric."""
    path = Path(out_dir) / "best" / valid_set / f"{metric}.weights.h5"
    if not path.is_file():
        raise InputError(path, f"no best model of set {valid_set!r} by {metric!r}")
    model.load_weights(path)
    return json.loads((path.parent / f"{metric}.json").read_text())


def _format_metrics(values: Mapping[str, float]) -> str:
    return ", ".join(f"{key} {value:.4f}" for key, value in values.items())


def _format_seconds(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:d}:{minutes:02d}:{secs:02d}"


# --- the stored model ------------------------------------------------------------------------


def library_versions() -> dict[str, str]:
    """Versions of the libraries that shape a trained model and its scores."""
    versions = {"python": sys.version.split()[0], "tensorflow": tf.__version__}
    for package in ("keras", "numpy", "librosa", "mir_eval"):
        versions[package] = metadata.version(package)
    return versions


def model_summary(model: keras.Model) -> str:
    """Keras' architecture summary of ``model`` as plain text."""
    lines: list[str] = []
    model.summary(print_fn=lambda line, line_break=True: lines.append(line), line_length=100)
    return "\n".join(lines) + "\n"


def save_model_bundle(
    model: keras.Model, out_dir: str | Path, resolved_config: dict, command: str
) -> None:
    """Store a trained model with everything needed to know and reproduce it.

    Writes (each atomically) ``model.keras``, ``config.json`` (the fully resolved config),
    ``summary.txt`` (architecture summary) and ``params.json`` (parameter counts, library
    versions and ``command``, the command line that reproduces the model).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _save_keras_file(model.save, out_dir / "model.keras")
    write_json(resolved_config, out_dir / "config.json")
    with atomic_path(out_dir / "summary.txt") as tmp:
        tmp.write_text(model_summary(model))
    trainable = int(sum(np.prod(v.shape) for v in model.trainable_weights))
    total = int(model.count_params())
    write_json(
        {
            "parameters": {
                "total": total,
                "trainable": trainable,
                "non_trainable": total - trainable,
            },
            "versions": library_versions(),
            "command": command,
        },
        out_dir / "params.json",
    )

"""The training loop: loss goes down, checkpoints resume to identical weights, best per set."""

from __future__ import annotations

import functools
import json
import os
import signal

import keras
import numpy as np
import pytest
import tensorflow as tf

from mirlab.errors import InputError
from mirlab.learning.train import (
    TrainingInterrupted,
    enable_determinism,
    latest_checkpoint,
    make_optimizer,
    save_model_bundle,
    train_model,
    weighted_losses,
)
from mirlab.learning.windows import WindowBatches, WindowSpec, build_index
from mirlab.pitch.targets import PitchBins, f0_to_target

BINS = PitchBins(bins_per_semitone=1, lowest_note=57, n_bins=6)  # A3 .. D4
SPEC = WindowSpec(n_frames=4, context=1, hop=4)
N_FEATURES = 6


def _data():
    """Two tracks whose 'spectrogram' shows the melody's pitch bin (plus noise)."""
    rng = np.random.default_rng(0)
    inputs, f0s = [], []
    for n_frames in (37, 23):
        pitch = rng.integers(-1, BINS.n_bins, n_frames)  # -1: unvoiced
        f0 = np.where(pitch >= 0, BINS.hz()[np.maximum(pitch, 0)], 0.0).astype(np.float32)
        features = f0_to_target(f0, BINS) + 0.3 * rng.random((n_frames, N_FEATURES))
        inputs.append(features.astype(np.float32))
        f0s.append(f0)
    return inputs, f0s


INPUTS, F0S = _data()
INDEX = build_index([len(f0) for f0 in F0S], SPEC)  # 10 + 6 = 16 windows: 4 batches of 4


def _tiny_model(dropout: float = 0.0) -> keras.Model:
    """Conv over time with features as channels, sigmoid per pitch bin: 156 parameters."""
    keras.backend.clear_session()
    enable_determinism(1)
    inputs = keras.Input((SPEC.input_length, N_FEATURES))
    x = keras.layers.Conv1D(6, 3, padding="valid", activation="relu", name="conv")(inputs)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    return keras.Model(inputs, keras.layers.Dense(BINS.n_bins, "sigmoid", name="out")(x))


LOSS = keras.losses.BinaryCrossentropy()


def _batches(seed: int = 3, shuffle: bool = True) -> WindowBatches:
    target_fn = functools.partial(f0_to_target, bins=BINS)
    return WindowBatches(
        INPUTS, F0S, INDEX, SPEC, 4, seed, shuffle, normalize=None, target_fn=target_fn
    )


def _full_loss(model: keras.Model) -> float:
    batches = _batches(shuffle=False).dataset()
    return float(np.mean([LOSS(y, model(x, training=False)) for x, y in batches]))


def _train(out_dir, steps, model=None, seed=3, **options):
    model = model or _tiny_model(dropout=0.2)
    defaults = {"checkpoint_every": 5, "eval_every": 1000, "log_every": 2}
    result = train_model(
        model, _batches(seed), LOSS, make_optimizer("adam", 0.05), out_dir, steps,
        **{**defaults, **options},
    )  # fmt: skip
    return model, result


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    """Weights after 14 uninterrupted steps (3.5 epochs of 4 batches)."""
    model, _ = _train(tmp_path_factory.mktemp("straight"), 14)
    return [w.copy() for w in model.get_weights()]


def _assert_same_weights(model, weights):
    for got, expected in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(got, expected)


def test_tiny_training_lowers_the_loss(tmp_path):
    model = _tiny_model()
    before = _full_loss(model)
    _, result = _train(tmp_path, 40, model=model)
    after = _full_loss(model)
    assert after < 0.6 * before
    # 40 steps are 10 epochs of 4 batches: the next batch is the first of epoch 10.
    assert result["step"] == 40 and result["epoch"] == 10 and result["loss"] is not None
    assert latest_checkpoint(tmp_path / "checkpoints").name == "step-000000040"


def test_resume_gives_the_weights_of_an_uninterrupted_run(tmp_path, straight):
    model, result = _train(tmp_path, 7)  # stops mid-epoch 1
    assert (result["step"], result["epoch"]) == (7, 1)
    # A checkpoint folder still being written, and one with its state missing, are ignored.
    (tmp_path / "checkpoints" / ".step-000000008.x1.tmp").mkdir()
    broken = tmp_path / "checkpoints" / "step-000000009"
    broken.mkdir()
    (broken / "variables.npz").write_bytes(b"half")
    assert latest_checkpoint(tmp_path / "checkpoints").name == "step-000000007"
    model, result = _train(tmp_path, 14)
    assert result["step"] == 14
    _assert_same_weights(model, straight)
    # Training again past the end is a no-op that reloads the final weights.
    model, result = _train(tmp_path, 14, model=_tiny_model(dropout=0.2))
    assert result["loss"] is None
    _assert_same_weights(model, straight)


def test_sigterm_checkpoints_and_resume_matches(tmp_path, straight):
    def terminate(model):
        os.kill(os.getpid(), signal.SIGTERM)
        return {"overall_accuracy": 0.0}

    with pytest.raises(TrainingInterrupted) as stopped:
        _train(tmp_path, 14, checkpoint_every=100, eval_every=9, valid_sets={"v": terminate})
    # The signal arrives during the evaluation after step 9 (mid-epoch 2).
    assert stopped.value.step == 9
    assert latest_checkpoint(tmp_path / "checkpoints").name == "step-000000009"
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    model, _ = _train(tmp_path, 14)
    _assert_same_weights(model, straight)


def test_resume_with_another_seed_is_refused(tmp_path):
    _train(tmp_path, 2)
    with pytest.raises(InputError, match="seed 3, not 4"):
        _train(tmp_path, 4, seed=4)


def test_best_model_is_kept_per_validation_set_and_metric(tmp_path):
    scores = {
        "a": [{"overall_accuracy": 0.5, "voicing_false_alarm": 0.3}] * 1
        + [{"overall_accuracy": 0.6, "voicing_false_alarm": 0.4}]
        + [{"overall_accuracy": 0.4, "voicing_false_alarm": 0.2}],
        "b": [{"overall_accuracy": v, "voicing_false_alarm": 0.1} for v in (0.9, 0.1, 0.95)],
    }
    seen = {"a": [], "b": []}

    def validator(name):
        def validate(model):
            seen[name].append([w.copy() for w in model.get_weights()])
            return scores[name][len(seen[name]) - 1]

        return validate

    model, result = _train(
        tmp_path, 6, valid_sets={"a": validator("a"), "b": validator("b")}, eval_every=2,
        best_metrics={"overall_accuracy": "max", "voicing_false_alarm": "min"},
    )  # fmt: skip
    expected = {
        ("a", "overall_accuracy"): (0.6, 4, 1),
        ("a", "voicing_false_alarm"): (0.2, 6, 2),
        ("b", "overall_accuracy"): (0.95, 6, 2),
        ("b", "voicing_false_alarm"): (0.1, 2, 0),  # ties keep the first
    }
    for (name, metric), (value, step, call) in expected.items():
        record = json.loads((tmp_path / "best" / name / f"{metric}.json").read_text())
        assert record == {"value": value, "step": step}
        assert result["best"][name][metric] == record
        model.load_weights(tmp_path / "best" / name / f"{metric}.weights.h5")
        _assert_same_weights(model, seen[name][call])
    assert result["metrics"]["b"]["overall_accuracy"] == 0.95
    tags = set()
    for event_file in (tmp_path / "tensorboard").iterdir():
        for event in tf.compat.v1.train.summary_iterator(str(event_file)):
            tags.update(value.tag for value in event.summary.value)
    assert {"a/overall_accuracy", "b/voicing_false_alarm", "train/loss"} <= tags


def test_l2_shrinks_kernels_only(tmp_path):
    model = _tiny_model()
    kernel, bias = (w.copy() for w in model.get_layer("conv").get_weights())

    def no_loss(y, prediction):
        return 0.0 * tf.reduce_mean(prediction)

    train_model(model, _batches(), no_loss, make_optimizer("sgd", 0.1), tmp_path, 3, l2=0.5)
    # SGD on 0.5 * |w|^2: w <- w - 0.1 * (2 * 0.5 * w) = 0.9 w per step.
    new_kernel, new_bias = model.get_layer("conv").get_weights()
    np.testing.assert_allclose(new_kernel, kernel * 0.9**3, rtol=1e-5)
    np.testing.assert_array_equal(new_bias, bias)


def test_learning_rate_schedules_and_clipping():
    optimizer = make_optimizer("sgd", 1.0, "step", decay_steps=10, decay_rate=0.5, clipnorm=2.0)
    schedule = optimizer._learning_rate
    assert [float(schedule(step)) for step in (0, 9, 10, 25)] == [1.0, 1.0, 0.5, 0.25]
    assert optimizer.clipnorm == 2.0
    cosine = make_optimizer("adam", 1.0, "cosine", decay_steps=10, decay_rate=0.1)._learning_rate
    assert float(cosine(10)) == pytest.approx(0.1)
    with pytest.raises(InputError, match="schedule"):
        make_optimizer(schedule="linear")


def test_weighted_losses_sum_each_head_with_its_weight():
    y_true = {"a": tf.constant([[1.0, 0.0]]), "b": tf.constant([[0.0, 1.0]])}
    y_pred = {"a": tf.constant([[0.0, 0.0]]), "b": tf.constant([[0.0, 0.0]])}
    squared = lambda t, p: tf.reduce_sum(tf.square(t - p), axis=-1)  # noqa: E731
    absolute = lambda t, p: 3.0 * tf.reduce_sum(tf.abs(t - p), axis=-1)  # noqa: E731
    loss = weighted_losses({"a": squared, "b": absolute}, {"b": 0.5})
    assert float(loss(y_true, y_pred)) == pytest.approx(1.0 + 0.5 * 3.0)
    with pytest.raises(InputError, match="no output named c"):
        weighted_losses({"a": squared}, {"c": 1.0})


def test_model_bundle_holds_model_config_summary_and_versions(tmp_path):
    model = _tiny_model()
    config = {"model": {"name": "tiny"}, "seed": 1}
    save_model_bundle(model, tmp_path / "bundle", config, "snakemake results/x/model")
    bundle = tmp_path / "bundle"
    assert sorted(p.name for p in bundle.iterdir()) == [
        "config.json", "model.keras", "params.json", "summary.txt",
    ]  # fmt: skip
    assert json.loads((bundle / "config.json").read_text()) == config
    params = json.loads((bundle / "params.json").read_text())
    # conv: 3 * 6 * 6 + 6, dense: 6 * 6 + 6
    assert params["parameters"] == {"total": 156, "trainable": 156, "non_trainable": 0}
    assert set(params["versions"]) >= {"tensorflow", "keras", "numpy", "librosa", "mir_eval"}
    assert params["command"] == "snakemake results/x/model"
    assert "conv" in (bundle / "summary.txt").read_text()
    loaded = keras.models.load_model(bundle / "model.keras")
    x = np.ones((1, SPEC.input_length, N_FEATURES), dtype=np.float32)
    np.testing.assert_array_equal(loaded.predict_on_batch(x), model.predict_on_batch(x))

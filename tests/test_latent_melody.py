"""Melody from the latent of a trained autoencoder (``latent_salience``, SPEC 3.2 and 5.3):
the model, its pretrained experiment in planning, and a tiny run through the pipeline."""

import copy

import keras
import numpy as np
import pandas as pd
import pytest

from mirlab.config import check_config
from mirlab.errors import InputError
from mirlab.families.autoencoder.training import build_autoencoder
from mirlab.families.melody.training import _loss, decode_output
from mirlab.learning.autoencoders import PATCH_SHAPE, encoder_of
from mirlab.pitch.experiment import input_normalization
from mirlab.pitch.models import latent_salience
from mirlab.pitch.targets import PitchBins
from mirlab.planning import Plan
from tests.workflow_utils import REPO, snakemake, write_config

SCHEMA = REPO / "config" / "schema.yaml"
N_BINS = 24


@pytest.fixture(scope="module")
def saved_autoencoder(tmp_path_factory):
    """A tiny feature autoencoder (dB input), saved and loaded as a training job does."""
    keras.utils.set_random_seed(0)
    model = build_autoencoder({"width": 1 / 32, "latent_channels": 2}, log_input=True)
    path = tmp_path_factory.mktemp("ae") / "model.keras"
    model.save(path)
    return path


def _load(path):
    return keras.saving.load_model(path)


def _patches(n: int = 4, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-100, 20, (n, *PATCH_SHAPE)).astype(np.float32)


def _targets(n: int = 4, seed: int = 1) -> np.ndarray:
    y = np.zeros((n, PATCH_SHAPE[0], N_BINS), dtype=np.float32)
    rows = np.random.default_rng(seed).integers(0, N_BINS, (n, PATCH_SHAPE[0]))
    np.put_along_axis(y, rows[..., None], 1.0, axis=-1)
    return y


def _train_step(model, loss, x, y):
    import tensorflow as tf

    optimizer = keras.optimizers.Adam(0.01)
    with tf.GradientTape() as tape:
        value = tf.reduce_mean(loss(y, model(x, training=True)))
    gradients = tape.gradient(value, model.trainable_variables)
    optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))


def _encoder_values(model, name: str) -> list[np.ndarray]:
    """Every variable (weights and BatchNorm statistics) of the nested encoder model."""
    return [np.array(v) for v in model.get_layer(name).variables]


def test_frozen_model_shapes_and_encoder_unchanged_by_training(saved_autoencoder):
    autoencoder = _load(saved_autoencoder)
    model = latent_salience(_load(saved_autoencoder), n_bins=N_BINS, hidden=[8, 8], kernel_size=3)
    x = _patches()
    assert model.input_shape == (None, *PATCH_SHAPE)
    assert model.output_shape == (None, PATCH_SHAPE[0], N_BINS)
    salience = np.asarray(model.predict_on_batch(x))
    assert salience.min() >= 0 and salience.max() <= 1
    # The latent is the autoencoder's own: its Rescaling of the dB feature, then its encoder.
    inner = autoencoder.get_layer("spectrogram_autoencoder")
    expected = encoder_of(inner).predict_on_batch((x / 20 + 5)[..., None])
    got = model.get_layer("frozen_encoder").predict_on_batch((x / 20 + 5)[..., None])
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    trainable = sum(int(np.prod(v.shape)) for v in model.trainable_variables)
    head = sum(
        int(np.prod(v.shape))
        for name in ("head1", "head2", "salience_logits")
        for v in model.get_layer(name).trainable_variables
    )
    assert trainable == head  # the encoder is frozen, BatchNorm statistics included
    before = _encoder_values(model, "frozen_encoder")
    head_before = np.array(model.get_layer("salience_logits").kernel)
    _train_step(model, _loss({"training": {"miss_weight": 0}}, None), x, _targets())
    for old, new in zip(before, _encoder_values(model, "frozen_encoder"), strict=True):
        np.testing.assert_array_equal(old, new)
    assert not np.array_equal(head_before, np.array(model.get_layer("salience_logits").kernel))


def test_joint_model_trains_its_encoder_with_the_reconstruction_loss(saved_autoencoder, tmp_path):
    model = latent_salience(
        _load(saved_autoencoder), n_bins=N_BINS, encoder="joint", reconstruction_weight=0.5
    )
    x = _patches()
    outputs = model.predict_on_batch(x)
    assert sorted(outputs) == ["reconstruction_loss", "salience"]
    assert outputs["salience"].shape == (4, PATCH_SHAPE[0], N_BINS)
    # Per frame: half the MSE of the reconstruction in the representation.
    reconstruction = _load(saved_autoencoder).predict_on_batch(x)
    expected = 0.5 * np.mean((reconstruction - (x / 20 + 5)) ** 2, axis=-1)
    np.testing.assert_allclose(outputs["reconstruction_loss"], expected, rtol=1e-4)
    loss = _loss({"training": {"miss_weight": 0}}, None, list(model.output))
    before = _encoder_values(model, "joint_autoencoder")
    _train_step(model, loss, x, _targets())
    changed = [
        not np.array_equal(old, new)
        for old, new in zip(before, _encoder_values(model, "joint_autoencoder"), strict=True)
    ]
    assert all(changed[:2])  # enc1's kernel and bias
    # The decoded output is the salience; the model saves and loads without custom objects.
    track = {name: value[0] for name, value in outputs.items()}
    f0, _ = decode_output(track, PitchBins(1, 60, N_BINS))
    assert f0.shape == (PATCH_SHAPE[0],)
    model.save(tmp_path / "joint.keras")
    loaded = keras.saving.load_model(tmp_path / "joint.keras")
    again, now = loaded.predict_on_batch(x), model.predict_on_batch(x)
    np.testing.assert_allclose(again["salience"], now["salience"], rtol=1e-5, atol=1e-6)
    # Weight 0: no decoder, a single output.
    plain = latent_salience(
        _load(saved_autoencoder), n_bins=N_BINS, encoder="joint", reconstruction_weight=0
    )
    assert not isinstance(plain.output, dict) and plain.get_layer("joint_encoder").trainable


def test_frozen_model_saves_and_loads_frozen(saved_autoencoder, tmp_path):
    model = latent_salience(_load(saved_autoencoder), n_bins=N_BINS)
    model.save(tmp_path / "frozen.keras")
    loaded = keras.saving.load_model(tmp_path / "frozen.keras")
    assert not loaded.get_layer("frozen_encoder").trainable
    x = _patches(2)
    np.testing.assert_allclose(
        loaded.predict_on_batch(x), model.predict_on_batch(x), rtol=1e-5, atol=1e-6
    )


def test_bad_arguments_and_a_model_without_an_autoencoder(saved_autoencoder):
    with pytest.raises(InputError, match="latent_salience.encoder"):
        latent_salience(_load(saved_autoencoder), encoder="thawed")
    with pytest.raises(InputError, match="latent_salience.reconstruction_weight"):
        latent_salience(_load(saved_autoencoder), reconstruction_weight=1.0)
    with pytest.raises(InputError, match="latent_salience.reconstruction_weight"):
        latent_salience(_load(saved_autoencoder), encoder="joint", reconstruction_weight=-1)
    other = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    with pytest.raises(InputError, match="holds no spectrogram_autoencoder"):
        latent_salience(other)
    assert input_normalization({"model": "latent_salience"}) is None
    assert input_normalization({"model": "hcnn"}) == "window"


# --- planning --------------------------------------------------------------------------------

PARTS = {
    "train": [{"dataset": "tiny", "part": "train"}],
    "validate": [{"dataset": "tiny", "part": "valid"}],
    "test": [{"dataset": "tiny", "part": "test"}],
}


def _config() -> dict:
    return {
        "datasets": {
            "tiny": {
                "loader": "synth",
                "generate": {"n_tracks": 6, "duration": 2.0, "seed": 3, "n_artists": 3},
                "split": {"seeded": {"fractions": {"train": 0.34, "valid": 0.33, "test": 0.33}}},
            }
        },
        "features": {
            "stft_ae": {"kind": "stft", "sr": 22050, "hop_length": 256, "n_fft": 510},
            "other_stft": {"kind": "stft", "sr": 22050, "hop_length": 128, "n_fft": 510},
        },
        "audio_rates": [],
        "experiments": {
            "ae": {
                "task": "autoencoder",
                "method": "train",
                "model": "spectrogram_autoencoder",
                "model_args": {"width": 1 / 32, "latent_channels": 2},
                "input": {"feature": "stft_ae"},
                "window": {"n_frames": 32, "hop": 16},
                "training": {"steps": 4, "batch_size": 2, "eval_every": 2, "checkpoint_every": 2},
                **PARTS,
            },
            "latent": {
                "task": "melody",
                "method": "train",
                "model": "latent_salience",
                "model_args": {"hidden": [8]},
                "pretrained": {"experiment": "ae"},
                "input": {"feature": "stft_ae"},
                "target": {"bins_per_semitone": 1, "n_bins": 72},
                "window": {"n_frames": 32, "hop": 16},
                "training": {"steps": 4, "batch_size": 2, "eval_every": 2, "checkpoint_every": 2},
                **PARTS,
            },
        },
    }


def _plan(config: dict) -> Plan:
    config = copy.deepcopy(config)
    check_config(config, SCHEMA)
    return Plan(config)


def test_the_training_job_reads_the_pretrained_model():
    plan = _plan(_config())
    assert "results/ae/seed0/model" in plan.train_input("latent")
    assert plan.job_experiment("latent")["pretrained"] == {
        "experiment": "ae",
        "seed": 0,
        "model_dir": "results/ae/seed0/model",
    }
    assert not any(path.startswith("results/") for path in plan.train_input("ae"))
    # A change to the autoencoder's training starts the latent model's training afresh.
    config = _config()
    config["experiments"]["ae"]["training"]["steps"] = 5
    assert _plan(config).training_dir("latent", 0) != plan.training_dir("latent", 0)
    assert _plan(config).training_dir("ae", 0) != plan.training_dir("ae", 0)


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        ({"pretrained": {"experiment": "nope"}}, "pretrained.experiment", "no experiment 'nope'"),
        ({"pretrained": {"experiment": "latent"}}, "pretrained.experiment", "a cycle"),
        ({"pretrained": {"experiment": "ae", "seed": 3}}, "pretrained.seed", "not 3"),
        ({"pretrained": {"experiment": "base"}}, "pretrained.experiment", "baseline method"),
        ({"pretrained": {"experiment": "pca"}}, "pretrained.experiment", "same feature"),
        ({"input": {"feature": "other_stft"}}, "pretrained.experiment", "same feature"),
        ({"window": {"n_frames": 16}}, "latent.window", "32-frame patch"),
    ],
)
def test_a_bad_pretrained_experiment_is_refused(change, key, message):
    config = _config()
    config["experiments"]["base"] = {
        "task": "melody",
        "method": "baseline",
        "baseline": "pyin",
        "input": {"audio_sr": 22050, "hop_length": 256},
        "test": PARTS["test"],
    }
    config["experiments"]["pca"] = {
        **config["experiments"]["ae"],
        "model": "pca",
        "model_args": {"n_components": 4},
        "input": {"feature": "other_stft"},
    }
    del config["experiments"]["pca"]["training"]
    config["experiments"]["latent"].update(change)
    with pytest.raises(InputError, match=f"{key}.*{message}"):
        _plan(config)


def test_pretrained_is_a_key_of_the_latent_model_only():
    config = _config()
    del config["experiments"]["latent"]["pretrained"]
    with pytest.raises(InputError, match="latent.pretrained.*name it"):
        _plan(config)
    config = _config()
    config["experiments"]["latent"]["model"] = "hcnn"
    with pytest.raises(InputError, match="latent.pretrained.*only latent_salience"):
        _plan(config)
    config = _config()
    config["experiments"]["ae"]["pretrained"] = {"experiment": "latent"}
    with pytest.raises(InputError, match="ae: unknown key 'pretrained'"):
        _plan(config)


def test_the_example_overlay_plans_over_the_default_config():
    import yaml
    from snakemake.utils import update_config

    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    overlay = REPO / "config" / "examples" / "latent_melody.yaml"
    update_config(config, yaml.safe_load(overlay.read_text()))
    plan = _plan(config)
    for mode in ("frozen", "joint"):
        name = f"latent_melody-encoder{mode}"
        assert "results/autoencoder/seed0/model" in plan.train_input(name)
        assert plan.experiment(name)["test"] == [{"dataset": "synth", "part": "test"}]


# --- the pipeline ----------------------------------------------------------------------------


@pytest.mark.workflow
def test_melody_from_the_latent_end_to_end(tmp_path):
    config = _config()
    del config["features"]["other_stft"]
    config["experiments"]["ae"]["test"] = []  # trained for the latent models only
    del config["experiments"]["ae"]["validate"]
    for experiment in config["experiments"].values():
        experiment["training"] = {"steps": 2, "batch_size": 2, "eval_every": 2}
    joint = copy.deepcopy(config["experiments"]["latent"])
    joint["model_args"] = {"hidden": [8], "encoder": "joint", "reconstruction_weight": 0.1}
    config["experiments"]["latent_joint"] = joint
    write_config(tmp_path, config)
    snakemake(tmp_path, "--cores", "2")
    rows = pd.read_csv(tmp_path / "reports" / "results.csv").set_index("experiment")
    assert sorted(rows.index) == ["latent", "latent_joint"]
    for name in ("latent", "latent_joint"):
        assert 0 <= rows.loc[name, "overall_accuracy"] <= 1
        folder = tmp_path / "results" / name / "seed0"
        assert len(pd.read_csv(folder / "eval" / "tiny" / "per_track.csv")) == 2
        assert (folder / "eval" / "tiny" / "summary.csv").is_file()
        assert len(list((folder / "predictions" / "tiny").glob("*.csv"))) == 2
        assert list((tmp_path / "reports" / "figures" / name / "seed0" / "tiny").glob("*.png"))

"""Mixing augmentation (SPEC 2.4: a melody stem over another track's accompaniment): the
ratio drawn is the ratio reached, hand-computed magnitude-domain mixes of dB features, seeded
draws, the ``accompaniment`` audio source of synth tracks (mix minus melody), planning (the
training job reads the accompaniment dataset; bad options name their key), a dry run of the
example overlay and one tiny real training run."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import yaml
from snakemake.utils import update_config

from mirlab.config import check_config
from mirlab.data import preprocess
from mirlab.data.preprocess import MANIFEST
from mirlab.errors import InputError
from mirlab.families.melody.training import _accompaniment_mixer, _mix_then_normalize
from mirlab.learning.windows import WindowBatches, WindowSpec, normalize_window
from mirlab.pitch.augment import (
    AccompanimentMixer,
    accompaniment_gain,
    augment_window,
    mix_audio_window,
    mix_feature_window,
    window_rms,
)
from mirlab.planning import Plan
from mirlab.storage import write_parquet
from tests.workflow_utils import REPO, snakemake, write_config

RATIO = (-3.0, 9.0)


def ratio_db(melody: np.ndarray, accompaniment: np.ndarray) -> float:
    return 20 * math.log10(window_rms(melody) / window_rms(accompaniment))


def test_the_ratio_drawn_is_reached_on_raw_audio_within_a_hundredth_of_a_db():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(2048).astype(np.float32) * 0.1
    accompaniment = rng.standard_normal(2048).astype(np.float32) * 0.7
    for target in (-6.0, 0.0, 3.5, 12.0):
        mixed = mix_audio_window(x, accompaniment, target)
        assert abs(ratio_db(x, mixed - x) - target) < 0.01
    # 0 dB on equal powers is the sum itself.
    np.testing.assert_allclose(mix_audio_window(x, 2 * x, 0.0), 2 * x, rtol=1e-6)
    assert accompaniment_gain(1.0, 2.0, 20 * math.log10(4.0)) == pytest.approx(0.125)


def test_the_mixer_draws_track_offset_and_ratio_from_the_rng_in_order():
    """Four draws per window: whether, which track, which offset, the ratio."""
    tracks = [np.arange(100, dtype=np.float32) + 1.0, -np.arange(50, dtype=np.float32) - 1.0]
    mixer = AccompanimentMixer(tracks, "samples", RATIO, probability=0.5)
    x = np.random.default_rng(1).standard_normal(16).astype(np.float32)
    seen = set()
    for seed in range(20):
        mixed = mixer(x, np.random.default_rng(seed))
        draws = np.random.default_rng(seed)
        whether, track_u, offset_u = draws.random(), draws.random(), draws.random()
        ratio = draws.uniform(*RATIO)
        if whether >= 0.5:
            np.testing.assert_array_equal(mixed, x)
            continue
        track = tracks[int(track_u * 2)]
        offset = int(offset_u * (len(track) - 16 + 1))
        window = track[offset : offset + 16]
        gain = accompaniment_gain(window_rms(x), window_rms(window), ratio)
        np.testing.assert_allclose(mixed, x + gain * window, rtol=1e-5, atol=1e-6)
        assert abs(ratio_db(x, mixed - x) - ratio) < 0.01
        seen.add(int(track_u * 2))
    assert seen == {0, 1}


def test_same_seed_same_mix_and_a_silent_accompaniment_leaves_the_window():
    rng = np.random.default_rng(2)
    tracks = [rng.standard_normal(300).astype(np.float32) for _ in range(3)]
    mixer = AccompanimentMixer(tracks, "samples", RATIO)
    x = rng.standard_normal(64).astype(np.float32)
    first = mixer(x, np.random.default_rng(7))
    np.testing.assert_array_equal(first, mixer(x, np.random.default_rng(7)))
    assert not np.array_equal(first, mixer(x, np.random.default_rng(8)))
    silent = AccompanimentMixer([np.zeros(300, dtype=np.float32)], "samples", RATIO)
    np.testing.assert_array_equal(silent(x, np.random.default_rng(7)), x)
    floor = AccompanimentMixer([np.full((40, 6), -100.0, dtype=np.float32)], "frames", RATIO)
    features = rng.uniform(-80, 0, (8, 6)).astype(np.float32)
    np.testing.assert_array_equal(floor(features, np.random.default_rng(7)), features)
    # A track shorter than the window: read from its start, padded with silence.
    short = AccompanimentMixer([np.ones(10, dtype=np.float32)], "samples", RATIO)
    _, window, _ = short.draw(np.random.default_rng(0), 16)
    np.testing.assert_array_equal(window, [1.0] * 10 + [0.0] * 6)


def test_feature_windows_mix_as_linear_magnitudes_back_to_db_with_the_floor():
    """Magnitudes 10 ** (dB / 20): x = [1, 1, 0, 0], a = [1, 0, 1, 0] (the floor is 0), equal
    RMS; at 0 dB the gain is 1: [2, 1, 1, 0] -> [6.02, 0, 0, -100] dB; at 20 dB it is 0.1."""
    x = np.array([[0.0, 0.0, -100.0, -100.0]], dtype=np.float32)
    accompaniment = np.array([[0.0, -100.0, 0.0, -100.0]], dtype=np.float32)
    np.testing.assert_allclose(
        mix_feature_window(x, accompaniment, 0.0),
        [[20 * math.log10(2.0), 0.0, 0.0, -100.0]],
        atol=1e-5,
    )
    np.testing.assert_allclose(
        mix_feature_window(x, accompaniment, 20.0),
        [[20 * math.log10(1.1), 0.0, -20.0, -100.0]],
        atol=1e-5,
    )
    # HCQT-shaped windows: every value counts in the RMS; the floor stays the floor.
    hcqt = np.full((2, 3, 2), -100.0, dtype=np.float32)
    hcqt[0, 0, 0] = -20.0  # magnitude 0.1
    other = np.full((2, 3, 2), -100.0, dtype=np.float32)
    other[1, 2, 1] = -40.0  # magnitude 0.01; at 6 dB the gain is 10 / 10 ** (6 / 20)
    mixed = mix_feature_window(hcqt, other, 6.0)
    expected = hcqt.copy()
    expected[1, 2, 1] = 20 * math.log10(0.1 / 10 ** (6 / 20))
    np.testing.assert_allclose(mixed, expected, atol=1e-5)


def test_bad_mixer_options_name_the_key():
    with pytest.raises(InputError, match="ratio_db"):
        AccompanimentMixer([np.zeros(4)], "samples", [3.0, -3.0])
    with pytest.raises(InputError, match="probability"):
        AccompanimentMixer([np.zeros(4)], "samples", RATIO, probability=1.5)
    with pytest.raises(InputError, match="accompaniment"):
        AccompanimentMixer([], "samples", RATIO)
    mixer = AccompanimentMixer([np.zeros((20, 4), dtype=np.float32)], "frames", RATIO)
    with pytest.raises(InputError, match="accompaniment"):
        mixer(np.zeros((5, 3), dtype=np.float32), np.random.default_rng(0))


def test_window_batches_mix_then_normalise_keep_f0_and_the_later_draws():
    """The training hook: windows arrive as cached, leave mixed and normalised; the f0 target
    is the melody's; pitch shift and noise draw after the mixer's four draws."""
    rng = np.random.default_rng(3)
    audio = [rng.standard_normal(4000).astype(np.float32) * 0.01 for _ in range(2)]
    f0 = [np.full(26, 220.0), np.full(26, 330.0)]
    spec = WindowSpec(n_frames=1, input="samples", hop_length=160, window_samples=1024)
    mixer = AccompanimentMixer([rng.standard_normal(5000).astype(np.float32)], "samples", RATIO)
    batches = WindowBatches(
        audio,
        f0,
        np.array([[0, 5], [1, 10], [0, 20]]),
        spec,
        batch_size=3,
        seed=4,
        normalize=None,
        augment_pair=lambda x, y, g: _mix_then_normalize(
            x, y, g, mixer=mixer, normalize="window", then=(None, None)
        ),
    )
    x, y = batches.read_batch(0, 0)
    np.testing.assert_allclose(x.mean(axis=1), 0.0, atol=1e-5)
    np.testing.assert_allclose(x.std(axis=1), 1.0, atol=1e-4)
    np.testing.assert_array_equal(y[:, 0], [220.0, 330.0, 220.0])
    np.testing.assert_array_equal(x, batches.read_batch(0, 0)[0])
    # Noise after mixing: its draws follow the mixer's four.
    window = audio[0][:1024]
    noise = {"pitch_shift": 0.0, "noise_snr_db": (20.0, 20.0), "probability": 1.0}
    pair = lambda x, y, g: augment_window(x, y, g, "samples", **noise)  # noqa: E731
    got, _ = _mix_then_normalize(
        window, f0[0][:1], np.random.default_rng(9), mixer, "window", (None, pair)
    )
    draws = np.random.default_rng(9)
    mixed = normalize_window(mixer(window, draws))
    want, _ = pair(mixed, f0[0][:1], draws)
    np.testing.assert_array_equal(got, want)


def test_the_accompaniment_source_of_a_synth_track_is_the_mix_minus_the_melody(tmp_path):
    root, index = tmp_path / "synth", tmp_path / "index.parquet"
    preprocess.generate_synth_dataset(root, {"n_tracks": 1, "seed": 5, "duration": 1.0})
    preprocess.index_dataset("synth", root, {}, index)
    cached = {}
    for source in ("mix", "melody", "accompaniment"):
        preprocess.resample_dataset(index, source, 16000, tmp_path / source)
        (file,) = preprocess.read_manifest(tmp_path / source)["file"]
        cached[source] = np.load(tmp_path / source / file)
    assert np.abs(cached["accompaniment"]).max() > 0.05
    # Equal up to the 16-bit rounding of each of the five files (a few LSBs of 1 / 32768).
    difference = cached["accompaniment"] - (cached["mix"] - cached["melody"])
    assert np.abs(difference).max() < 4e-4
    # Summed at preprocessing, never written by the generator.
    assert not [path for path in root.rglob("*") if "accompaniment" in path.name]
    with pytest.raises(InputError, match="no audio source 'vocals'"):
        preprocess.resample_dataset(index, "vocals", 16000, tmp_path / "vocals")


# --- planning and the workflow -----------------------------------------------------------


def mixing_config() -> dict:
    """The default config, whose ``crepe_tiny`` mixes melody stems over accompaniments."""
    return yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def test_the_default_crepe_trains_on_melody_stems_mixed_with_the_accompaniments_of_its_part():
    config = mixing_config()
    check_config(config, REPO / "config" / "schema.yaml")
    plan = Plan(config, REPO)
    assert config["datasets"]["synth_accompaniment"]["source"] == "accompaniment"
    assert config["datasets"]["synth_melody"]["generate"] == config["datasets"]["synth"]["generate"]
    name = "crepe_tiny"
    mix = plan.job_experiment(name)["training"]["augment"]["mix"]
    ((paths, part),) = mix["accompaniment_sets"]
    assert (paths["name"], part) == ("synth_accompaniment", "train")
    assert paths == plan.dataset_paths(name, "synth_accompaniment")
    assert {paths["inputs"], paths["split"]} <= set(plan.train_input(name))
    assert paths["inputs"].endswith("/audio/sr16000")
    # Other experiments are given what they were before.
    assert "mix" not in (plan.job_experiment("mp_hcnn")["training"].get("augment") or {})


@pytest.mark.parametrize(
    ("mix", "key"),
    [
        ({"accompaniment": "nowhere"}, "mix.accompaniment"),
        ({"accompaniment": "synth_accompaniment", "ratio_db": [6, -6]}, "mix.ratio_db"),
        ({"accompaniment": "synth_accompaniment", "probability": 2}, "probability"),
        ({"accompaniment": "synth_accompaniment", "ratios": [0, 1]}, "ratios"),
    ],
)
def test_bad_mix_options_are_errors_naming_the_key(mix, key):
    config = mixing_config()
    config["experiments"]["crepe_tiny"]["training"]["augment"]["mix"] = mix
    with pytest.raises(InputError, match=key):
        check_config(config, REPO / "config" / "schema.yaml")
        Plan(config, REPO)


def test_the_training_job_refuses_accompaniments_of_another_shape(tmp_path):
    folder = tmp_path / "inputs"
    folder.mkdir()
    np.save(folder / "a.npy", np.zeros((30, 8), dtype=np.float32))
    write_parquet(pd.DataFrame({"track_id": ["a"], "file": ["a.npy"]}), folder / MANIFEST)
    (tmp_path / "split.csv").write_text("track_id,part\na,train\n")
    paths = {"name": "acc", "inputs": str(folder), "grid": "", "original": "", "reference": ""}
    paths |= {"split": str(tmp_path / "split.csv"), "sr": 22050, "hop_length": 256}
    experiment = {
        "input": {"feature_params": {"kind": "cqt", "log": True}},
        "training": {"augment": {"mix": {"accompaniment_sets": [(paths, "train")]}}},
    }
    experiment["training"]["augment"]["mix"] |= {"ratio_db": [0, 0], "probability": 1}
    spec = WindowSpec(n_frames=4)
    first = SimpleNamespace(sr=22050, hop_length=256)
    assert _accompaniment_mixer(experiment, spec, first, (8,)) is not None
    with pytest.raises(InputError, match="training.augment.mix.accompaniment"):
        _accompaniment_mixer(experiment, spec, first, (9,))
    first.hop_length = 512
    with pytest.raises(InputError, match="frame grid"):
        _accompaniment_mixer(experiment, spec, first, (8,))


def tiny_config() -> dict:
    """Three 1 s synth tracks as melody stems and as accompaniments, one raw-audio model."""
    generate = {"n_tracks": 3, "duration": 1.0, "seed": 4, "n_artists": 3, "sr": 16000}
    split = {"seeded": {"fractions": {"train": 0.67, "valid": 0.33, "test": 0.0}}}
    return {
        "datasets": {
            name: {"loader": "synth", "source": source, "generate": generate, "split": split}
            for name, source in (("melody", "melody"), ("accompaniment", "accompaniment"))
        },
        "features": {},
        "audio_rates": [],
        "experiments": {
            "mixed": {
                "task": "melody",
                "method": "train",
                "model": "crepe",
                "model_args": {"capacity_multiplier": 1},
                "input": {"audio_sr": 16000, "hop_length": 160},
                "window": {"n_frames": 1, "hop": 4},
                "training": {
                    "steps": 2,
                    "batch_size": 4,
                    "eval_every": 2,
                    "checkpoint_every": 2,
                    "augment": {"mix": {"accompaniment": "accompaniment", "ratio_db": [0, 6]}},
                },
                "train": [{"dataset": "melody", "part": "train"}],
                "validate": [{"dataset": "melody", "part": "valid"}],
                "test": [],
            }
        },
    }


def test_a_dry_run_plans_the_accompaniment_audio_for_the_training_job(tmp_path):
    write_config(tmp_path, tiny_config())
    planned = snakemake(tmp_path, "-n", "results/mixed/seed0/model").stdout
    assert "data/accompaniment/" in planned and "/audio/sr16000" in planned
    assert planned.count("rule resample_audio:") == 2  # melody and accompaniment audio


@pytest.mark.workflow
def test_a_tiny_mixing_training_run_trains_a_model(tmp_path):
    write_config(tmp_path, tiny_config())
    snakemake(tmp_path, "--cores", "2", "results/mixed/seed0/model")
    model = tmp_path / "results/mixed/seed0/model"
    config = json.loads((model / "config.json").read_text())
    (sets,) = config["training"]["augment"]["mix"]["accompaniment_sets"]
    assert sets[1] == "train" and sets[0]["name"] == "accompaniment"
    (folder,) = Path(tmp_path, "data/accompaniment").glob("*/audio/sr16000")
    assert (folder / "manifest.parquet").is_file()


def test_the_transfer_example_trains_on_its_own_stems_and_tests_on_every_real_fixture():
    """``config/examples/transfer.yaml`` over the default and the real-fixture overlay, merged
    as Snakemake merges ``--configfile`` (mappings by key, lists replaced)."""
    config = mixing_config()
    for overlay in ("real_fixtures.yaml", "transfer.yaml"):
        update_config(config, yaml.safe_load((REPO / "config/examples" / overlay).read_text()))
    check_config(config, REPO / "config" / "schema.yaml")
    plan = Plan(config, REPO)
    experiment = plan.job_experiment("hcnn_transfer")
    generate = config["datasets"]["synth_transfer_melody"]["generate"]
    assert generate["seed"] != config["datasets"]["synth"]["generate"]["seed"]  # no shared track
    assert generate == config["datasets"]["synth_transfer_accompaniment"]["generate"]
    assert [s["dataset"] for s in experiment["train"]] == ["synth_transfer_melody"]
    ((paths, part),) = experiment["training"]["augment"]["mix"]["accompaniment_sets"]
    assert (paths["name"], part) == ("synth_transfer_accompaniment", "train")
    tests = [entry["dataset"] for entry in config["experiments"]["hcnn_transfer"]["test"]]
    assert tests == [entry["dataset"] for entry in config["experiments"]["hcnn"]["test"]]
    assert len(tests) == 7 and "mdb_stem_synth" in tests

"""Pitch augmentations: hand-computed bin shifts and f0 scaling, padding, resampled audio
measured with librosa.yin, seeded draws, noise SNR measured, the WindowBatches hook, the
melody family's ``training.augment`` option and the real-fixture config overlay."""

from __future__ import annotations

from pathlib import Path

import librosa
import numpy as np
import pytest
import yaml
from snakemake.utils import update_config

from mirlab.config import check_config, check_dataset_roots
from mirlab.errors import InputError
from mirlab.families.melody.training import _augment_pair
from mirlab.learning.windows import WindowBatches, WindowSpec
from mirlab.pitch.augment import (
    add_noise,
    augment_window,
    resampling_ratio,
    scale_f0,
    shift_audio_window,
    shift_bins,
    shift_feature_window,
    window_augmenter,
)
from mirlab.pitch.experiment import window_spec
from mirlab.planning import Plan

SEMITONE = 2.0 ** (1 / 12)


def one_hot_window(n_frames: int = 4, n_bins: int = 360, at: int = 100) -> np.ndarray:
    """A (time, bins) window at -100 (the dB floor) with bin ``at`` at 0 dB in every frame."""
    x = np.full((n_frames, n_bins), -100.0, dtype=np.float32)
    x[:, at] = 0.0
    return x


def test_one_semitone_moves_a_one_hot_bin_by_5_bins_at_60_per_octave_and_f0_by_a_semitone():
    f0 = np.array([220.0, 0.0, 440.0, -110.0])
    x, shifted = shift_feature_window(one_hot_window(), f0, 5, bins_per_octave=60)
    assert x.shape == (4, 360)
    assert (np.argmax(x, axis=1) == 105).all()
    np.testing.assert_allclose(shifted, [220.0 * SEMITONE, 0.0, 440.0 * SEMITONE, -110.0])
    x, shifted = shift_feature_window(one_hot_window(), f0, -10, bins_per_octave=60)
    assert (np.argmax(x, axis=1) == 90).all()
    np.testing.assert_allclose(shifted[0], 220.0 / SEMITONE**2)


def test_shift_pads_the_edge_with_the_floor_and_moves_every_harmonic_alike():
    x = np.arange(2 * 6 * 3, dtype=np.float32).reshape(2, 6, 3)  # (time, bins, harmonics)
    up = shift_bins(x, 2)
    np.testing.assert_array_equal(up[:, 2:], x[:, :4])
    # Floor: the window's minimum per harmonic channel (0, 1, 2).
    np.testing.assert_array_equal(up[:, :2], np.broadcast_to([0.0, 1.0, 2.0], (2, 2, 3)))
    down = shift_bins(x, -1, fill=-7.0)
    np.testing.assert_array_equal(down[:, :5], x[:, 1:])
    np.testing.assert_array_equal(down[:, 5], -7.0)
    np.testing.assert_array_equal(shift_bins(x, 6, fill=-1.0), -1.0)  # all shifted out
    np.testing.assert_array_equal(shift_bins(x, 0), x)


def test_scale_f0_keeps_unvoiced_frames():
    np.testing.assert_array_equal(scale_f0(np.array([0.0, 100.0, -50.0]), 2.0), [0, 200, -50])


def test_resampling_ratio_is_within_5_cents_and_a_tenth_at_whole_semitones_up_to_3():
    for semitones in np.linspace(-3.0, 3.0, 601):
        ratio = resampling_ratio(semitones)
        assert ratio.denominator <= 200
        assert abs(1200 * np.log2(float(ratio)) - 100 * semitones) < 5
    for semitones in range(-3, 4):
        assert abs(1200 * np.log2(float(resampling_ratio(semitones))) - 100 * semitones) < 0.1


@pytest.mark.parametrize("semitones", [2.0, -2.0])
def test_resampled_audio_sounds_at_the_scaled_f0(semitones):
    sr, f0 = 16000, 220.0
    t = np.arange(4096) / sr
    audio = (0.5 * np.sin(2 * np.pi * f0 * t)).astype(np.float32)
    shifted, target, ratio = shift_audio_window(audio, np.array([f0]), semitones)
    assert shifted.shape == audio.shape
    assert ratio == pytest.approx(SEMITONE**semitones, rel=1e-4)
    np.testing.assert_allclose(target, [f0 * ratio])

    # The middle of the window (away from padding) sounds as a sine at f0 * ratio does
    # (both measured by librosa's YIN, whose own bias cancels).
    def yin(audio: np.ndarray) -> float:
        return np.median(librosa.yin(audio[1024:3072], fmin=100, fmax=600, sr=sr))

    expected = yin(0.5 * np.sin(2 * np.pi * f0 * ratio * t))
    assert 1200 * abs(np.log2(yin(shifted) / expected)) < 1


def test_shift_up_pads_with_silence_and_retimes_the_frames():
    audio = np.ones(1000, dtype=np.float32)
    shifted, _, ratio = shift_audio_window(audio, np.array([100.0]), 12.0)
    assert ratio == 2.0
    # Half as long: 250 zeros on each side.
    np.testing.assert_array_equal(shifted[:240], 0.0)
    np.testing.assert_array_equal(shifted[-240:], 0.0)
    # Five frames around the centre: frame j takes frame 2 + (j - 2) * 2 (outside: unvoiced).
    f0 = np.array([100.0, 110.0, 120.0, 0.0, 140.0])
    _, target, _ = shift_audio_window(np.ones(2000, dtype=np.float32), f0, 12.0)
    np.testing.assert_allclose(target, [0.0, 200.0, 240.0, 280.0, 0.0])
    _, target, _ = shift_audio_window(np.ones(2000, dtype=np.float32), f0, -12.0)
    # Half the ratio: frame j takes frame rint(2 + (j - 2) / 2) = 1, 2, 2, 2, 3 (half to even).
    np.testing.assert_allclose(target, [55.0, 60.0, 60.0, 60.0, 0.0])


def test_noise_snr_is_the_one_drawn():
    rng = np.random.default_rng(0)
    x = np.sin(np.linspace(0, 200 * np.pi, 100_000)).astype(np.float32)
    for snr_db in (0.0, 10.0, 30.0):
        noisy = add_noise(x, snr_db, rng)
        measured = 10 * np.log10(np.mean(x**2) / np.mean((noisy - x) ** 2))
        assert measured == pytest.approx(snr_db, abs=0.1)
    silent = np.zeros(16, dtype=np.float32)
    np.testing.assert_array_equal(add_noise(silent, 10.0, rng), silent)


def test_same_seed_same_draws_and_every_window_uses_the_same_draws():
    x = np.random.default_rng(1).standard_normal(2048).astype(np.float32)
    f0 = np.array([200.0])
    options = dict(input="samples", pitch_shift=2.0, noise_snr_db=(10.0, 20.0))

    def run(seed: int, probability: float):
        rng = np.random.default_rng(seed)
        out = augment_window(x, f0, rng, probability=probability, **options)
        return out, rng.random()

    (a_x, a_f0), a_next = run(3, 1.0)
    (b_x, b_f0), b_next = run(3, 1.0)
    np.testing.assert_array_equal(a_x, b_x)
    np.testing.assert_array_equal(a_f0, b_f0)
    assert a_next == b_next
    assert not np.array_equal(run(4, 1.0)[0][0], a_x)
    # Probability 0 changes nothing but consumes the same draws (noise samples aside).
    (c_x, c_f0), _ = run(3, 0.0)
    np.testing.assert_array_equal(c_x, x)
    np.testing.assert_array_equal(c_f0, f0)


def test_feature_shift_draws_whole_bins_within_the_maximum():
    augment = window_augmenter("frames", pitch_shift=1.0, bins_per_octave=60)
    rng = np.random.default_rng(0)
    moves = set()
    for _ in range(200):
        x, f0 = augment(one_hot_window(n_frames=1), np.array([440.0]), rng)
        move = int(np.argmax(x[0])) - 100
        moves.add(move)
        np.testing.assert_allclose(f0, [440.0 * 2 ** (move / 60)])
    assert moves == set(range(-5, 6))


def test_bad_options_name_the_key():
    with pytest.raises(InputError, match="noise_snr_db"):
        window_augmenter("frames", noise_snr_db=[10, 20])
    with pytest.raises(InputError, match="noise_snr_db"):
        window_augmenter("samples", noise_snr_db=[20, 10])
    with pytest.raises(InputError, match="bins_per_octave"):
        window_augmenter("frames", pitch_shift=2.0)
    with pytest.raises(InputError, match="probability"):
        window_augmenter("samples", probability=1.5)
    with pytest.raises(InputError, match="pitch_shift"):
        window_augmenter("samples", pitch_shift=-1.0)


def test_window_batches_shift_windows_and_targets_together():
    """Through the augment_pair hook, each window's peak bin and its f0 move alike."""
    n_frames, n_bins = 40, 120
    feature = np.full((n_frames, n_bins), -100.0, dtype=np.float32)
    feature[:, 60] = 0.0
    f0 = np.full(n_frames, 440.0)
    batches = WindowBatches(
        [feature],
        [f0],
        np.array([[0, 0], [0, 8], [0, 16], [0, 24]]),
        WindowSpec(n_frames=8),
        batch_size=4,
        seed=5,
        normalize=None,
        augment_pair=window_augmenter("frames", pitch_shift=2.0, bins_per_octave=60),
    )
    x, y = batches.read_batch(0, 0)
    moves = np.argmax(x, axis=2) - 60  # (window, frame)
    assert (moves == moves[:, :1]).all()
    np.testing.assert_allclose(y, 440.0 * 2 ** (moves / 60), rtol=1e-6)
    x_again, _ = batches.read_batch(0, 0)
    np.testing.assert_array_equal(x, x_again)


REPO = Path(__file__).resolve().parents[1]
MELODY_EXPERIMENTS = ("hcnn", "deep_salience", "crepe_tiny", "pyin", "melodia", "swift_f0")


def default_config() -> dict:
    return yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def test_real_fixtures_overlay_adds_every_fixture_to_every_default_melody_method():
    """Merged as Snakemake merges --configfile (mappings by key, lists replaced)."""
    config = default_config()
    update_config(config, yaml.safe_load((REPO / "config/examples/real_fixtures.yaml").read_text()))
    check_config(config, REPO / "config" / "schema.yaml")
    check_dataset_roots(config["datasets"], REPO)
    fixtures = ["medleydb_mix", "medleydb_stem", "mdb_stem_synth", "orchset"]
    fixtures += ["ikala_mix", "ikala_voice"]
    melody = [n for n, e in config["experiments"].items() if e["task"] in ("melody", "pitch")]
    assert set(MELODY_EXPERIMENTS) | {"salience_peak"} <= set(melody)
    for name in melody:
        tests = [entry["dataset"] for entry in config["experiments"][name]["test"]]
        assert tests == ["synth", *fixtures], name
    # The rest of each experiment is the default one: nothing to retrain.
    assert config["experiments"]["hcnn"]["training"]["steps"] == 300
    assert config["datasets"]["ikala_voice"]["source"] == "vocals"


def augmented_experiment(name: str, augment: dict, feature: str | None = None) -> dict:
    config = default_config()
    config["experiments"][name]["training"]["augment"] = augment
    if feature:
        config["experiments"][name]["input"] = {"feature": feature}
    check_config(config, REPO / "config" / "schema.yaml")
    return Plan(config, REPO).job_experiment(name)


def test_melody_training_augment_option_shifts_hcqt_windows_by_whole_bins_of_its_feature():
    experiment = augmented_experiment("deep_salience", {"pitch_shift": 1.0})
    assert experiment["training"]["augment"]["probability"] == 1  # schema default
    augment = _augment_pair(experiment, window_spec(experiment, 256))
    rng = np.random.default_rng(0)
    moves = set()
    for _ in range(100):
        x = np.full((2, 360, 6), -100.0, dtype=np.float32)
        x[:, 200, :] = 0.0
        x, f0 = augment(x, np.array([440.0, 0.0]), rng)
        move = int(np.argmax(x[0, :, 0])) - 200
        assert (np.argmax(x, axis=1) == 200 + move).all()
        np.testing.assert_allclose(f0, [440.0 * 2 ** (move / 60), 0.0])
        moves.add(move)
    assert moves == set(range(-5, 6))  # 60 bins per octave: 5 bins per semitone


def test_melody_training_augment_option_on_raw_audio_and_bad_combinations():
    experiment = augmented_experiment(
        "crepe_tiny", {"pitch_shift": 2.0, "noise_snr_db": [10, 30], "probability": 0.5}
    )
    augment = _augment_pair(experiment, window_spec(experiment, 160))
    x, f0 = augment(np.ones(1024, dtype=np.float32), np.array([200.0]), np.random.default_rng(0))
    assert x.shape == (1024,) and f0.shape == (1,)
    unset = augmented_experiment("hcnn", {})
    assert _augment_pair(unset, window_spec(unset, 256)) is None
    mel = augmented_experiment("hcnn", {"pitch_shift": 1.0}, feature="mel")
    with pytest.raises(InputError, match="cqt or hcqt"):
        _augment_pair(mel, window_spec(mel, 256))
    noisy = augmented_experiment("hcnn", {"noise_snr_db": [0, 10]})
    with pytest.raises(InputError, match="raw-audio"):
        _augment_pair(noisy, window_spec(noisy, 256))
    with pytest.raises(InputError, match="augment"):
        augmented_experiment("hcnn", {"pitch_shift": 1.0, "semitones": 2})

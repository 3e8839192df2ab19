import importlib.util
import inspect
import sys

import librosa
import numpy as np
import pytest

from mirlab.data.audio import AudioSource, load_audio
from mirlab.data.datasets import load_mdb_stem_synth
from mirlab.data.readers import read_annotation
from mirlab.families.melody.baselines import (
    BASELINES,
    DEFAULT_HARMONIC_WEIGHTS,
    OptionalDependencyError,
    _to_frame_grid,
    harmonic_summation,
    melodia_f0,
    pyin_f0,
    salience_peak_contour,
    salience_peak_f0,
    swift_f0,
)
from mirlab.families.melody.metrics import melody_metrics, read_estimate_csv
from mirlab.pitch.decode import tune_voicing_threshold

HARMONICS = (0.5, 1.0, 2.0, 3.0, 4.0, 5.0)
BINS_PER_OCTAVE = 60
FREQS = librosa.cqt_frequencies(360, fmin=librosa.note_to_hz("C1"), bins_per_octave=60)
HAS_ESSENTIA = importlib.util.find_spec("essentia") is not None
HAS_SWIFT_F0 = importlib.util.find_spec("swift_f0") is not None


def cents_between(a, b):
    return 1200.0 * np.abs(np.log2(np.asarray(a) / np.asarray(b)))


def harmonic_tone(f0, seconds, sr):
    """Five partials of ``f0`` Hz at amplitudes 0.3 / m, float32."""
    t = np.arange(round(seconds * sr)) / sr
    return sum(0.3 / m * np.sin(2 * np.pi * m * f0 * t) for m in range(1, 6)).astype(np.float32)


def mdb_stem_synth_track(fixtures_dir, sr):
    """Audio at ``sr`` Hz and the original (times, f0) reference of the MDB-stem-synth fixture."""
    (track,) = load_mdb_stem_synth(fixtures_dir / "mdb_stem_synth")
    (source,) = track.audio.values()
    return load_audio(source, sr), read_annotation(track.annotations["pitch"])


def synthetic_hcqt(f0s, amplitudes=(0.6, 1.0, 0.5, 0.4, 0.3), gains=None, width_bins=1.0):
    """Linear-magnitude HCQT of harmonic tones: partial m of f0 at amplitude ``amplitudes[m-1]``.

    Channel h at bin k sees the magnitude at ``h * FREQS[k]``: a Gaussian bump (in bins) around
    every partial. f0 = 0 gives a frame of faint noise.
    """
    rng = np.random.default_rng(0)
    gains = np.ones(len(f0s)) if gains is None else gains
    hcqt = rng.uniform(0, 1e-3, (len(f0s), FREQS.size, len(HARMONICS)))
    for t, (f0, gain) in enumerate(zip(f0s, gains, strict=True)):
        if f0 <= 0:
            continue
        for c, h in enumerate(HARMONICS):
            for m, amplitude in enumerate(amplitudes, 1):
                distance = BINS_PER_OCTAVE * np.log2(h * FREQS / (m * f0))
                hcqt[t, :, c] += gain * amplitude * np.exp(-(distance**2) / (2 * width_bins**2))
    return hcqt


def test_pyin_finds_a_220_hz_tone_and_silence():
    sr, hop = 16000, 128
    tone = 0.5 * np.sin(2 * np.pi * 220.0 * np.arange(sr // 2) / sr)
    y = np.concatenate([tone, np.zeros(sr // 4)]).astype(np.float32)
    times, f0 = pyin_f0(y, sr, hop, fmin=100.0, fmax=500.0)
    np.testing.assert_allclose(times, np.arange(1 + y.size // hop) * hop / sr)
    in_tone = times < 0.45
    assert np.all(f0[in_tone] > 0)
    assert np.all(cents_between(f0[in_tone], 220.0) < 10)
    assert np.all(f0[times > 0.6] <= 0.0)  # unvoiced; pYIN's pitch guess is kept negative


def test_pyin_on_real_stem_fixture(fixtures_dir):
    folder = fixtures_dir / "mdb_stem_synth"
    stem = "AClassicEducation_NightOwl_STEM_08.RESYN"
    y = load_audio(AudioSource(folder / "audio_stems" / f"{stem}.wav"), 22050)
    ref_times, ref_f0 = read_estimate_csv(folder / "annotation_stems" / f"{stem}.csv")
    times, f0 = pyin_f0(y, 22050, 256, fmin=60.0, fmax=1000.0)
    scores = melody_metrics(ref_times, ref_f0, times, f0)
    # Measured 0.933 and 0.889: a clean resynthesised stem is easy for pYIN.
    assert scores["raw_pitch_accuracy"] > 0.9
    assert scores["overall_accuracy"] > 0.85


def test_salience_peak_finds_the_true_bin_despite_a_strong_octave():
    true_bin = 150
    hcqt = synthetic_hcqt([FREQS[true_bin]] * 3)
    # The second partial is the loudest, so the h = 1 channel alone peaks an octave up ...
    assert np.argmax(hcqt[0, :, 1]) == true_bin + BINS_PER_OCTAVE
    # ... while harmonic summation puts the peak on the f0.
    assert np.all(np.argmax(harmonic_summation(hcqt, in_db=False), axis=1) == true_bin)
    times = np.array([0.0, 0.01, 0.02])
    out_times, f0 = salience_peak_f0(hcqt, FREQS, times, in_db=False)
    np.testing.assert_array_equal(out_times, times)
    assert np.all(cents_between(f0, FREQS[true_bin]) < 0.5)


def test_parabolic_refinement_recovers_an_off_bin_f0():
    # 0.3 bins (6 cents) above bin 200.
    f0 = FREQS[200] * 2 ** (0.3 / BINS_PER_OCTAVE)
    hcqt = synthetic_hcqt([f0])
    coarse, _ = salience_peak_contour(hcqt, FREQS, in_db=False, refine=False)
    fine, _ = salience_peak_contour(hcqt, FREQS, in_db=False)
    assert coarse[0] == pytest.approx(FREQS[200], rel=1e-12)
    assert cents_between(fine[0], f0) < 1.5 < 5.0 < cents_between(coarse[0], f0)


def test_decibel_input_gives_the_same_contour():
    hcqt = synthetic_hcqt([110.0, 0.0, 247.0, 440.0])
    decibels = 20 * np.log10(np.maximum(hcqt, 1e-5))  # as mirlab.data.features stores the HCQT
    linear_f0, linear_conf = salience_peak_contour(hcqt, FREQS, in_db=False)
    db_f0, db_conf = salience_peak_contour(decibels, FREQS)
    np.testing.assert_allclose(db_f0, linear_f0, rtol=1e-9)
    np.testing.assert_allclose(db_conf, linear_conf, atol=1e-6)


def test_relative_threshold_and_tuning_on_a_validation_track():
    f0s = np.array([0.0, 130.0, 130.0, 0.0, 196.0, 196.0, 0.0, 0.0, 330.0, 0.0])
    gains = np.array([1, 1.0, 0.8, 1, 0.5, 0.4, 1, 1, 0.3, 1])
    hcqt = synthetic_hcqt(f0s, gains=gains)
    times = np.arange(f0s.size) * 0.01
    f0, confidence = salience_peak_contour(hcqt, FREQS, in_db=False)
    assert confidence.max() == 1.0 and confidence[f0s == 0].max() < 0.01
    threshold = tune_voicing_threshold(confidence, f0, f0s)
    _, estimate = salience_peak_f0(hcqt, FREQS, times, threshold=threshold, in_db=False)
    assert melody_metrics(times, f0s, times, estimate)["overall_accuracy"] == 1.0
    # The threshold is relative to the loudest frame: scaling the audio changes nothing.
    _, louder = salience_peak_f0(100.0 * hcqt, FREQS, times, threshold=threshold, in_db=False)
    np.testing.assert_array_equal(louder, estimate)
    _, strict = salience_peak_f0(hcqt, FREQS, times, threshold=0.9, in_db=False)
    assert np.count_nonzero(strict > 0) == 1


def test_silent_hcqt_is_all_unvoiced():
    hcqt = np.zeros((4, FREQS.size, len(HARMONICS)))
    _, f0 = salience_peak_f0(hcqt, FREQS, np.arange(4) * 0.01, threshold=0.0, in_db=False)
    np.testing.assert_array_equal(f0, 0.0)


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"harmonic_weights": (1.0, 1.0)}, "2 harmonic weights for an HCQT with 6"),
        ({"bin_frequencies": FREQS[:-1]}, "359 bin frequencies for 360"),
        ({"frame_times": np.zeros(3)}, "3 frame times for 2"),
        ({"threshold": 1.5}, "threshold must be in"),
        ({"in_db": False, "hcqt": -np.ones((2, 360, 6))}, "negative magnitudes"),
    ],
)
def test_salience_peak_rejects_bad_input(kwargs, problem):
    arguments = {"hcqt": np.ones((2, 360, 6)), "bin_frequencies": FREQS, "frame_times": [0, 1]}
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=problem):
        salience_peak_f0(**arguments)


def test_to_frame_grid_interpolates_log_pitch_and_keeps_voicing_of_the_nearest_frame():
    # Tracker frames every 10 ms; the grid every 2.5 ms (sr 400 Hz, hop 1 sample).
    grid, f0 = _to_frame_grid(
        np.array([0.0, 0.01, 0.02]), np.array([100.0, 400.0, 0.0]), 10, 400, 1
    )
    np.testing.assert_allclose(grid, np.arange(10) * 0.0025)
    # Between two voiced frames: a quarter, half, three quarters of the two octaves up.
    # Beside an unvoiced frame: the nearest frame's pitch, never a blend with the unvoiced one.
    # Past the last frame: that frame's decision.
    expected = [100, 100 * 2**0.5, 200, 100 * 2**1.5, 400, 400, 0, 0, 0, 0]
    np.testing.assert_allclose(f0, expected, rtol=1e-12)
    # An unvoiced frame's pitch guess (negative) is carried to its nearest grid frames as it
    # is, and not blended with the voiced neighbour.
    _, f0 = _to_frame_grid(np.array([0.0, 0.01, 0.02]), np.array([100.0, -400.0, 0.0]), 10, 400, 1)
    expected = [100, 100, -400, -400, -400, -400, 0, 0, 0, 0]
    np.testing.assert_allclose(f0, expected, rtol=1e-12)


@pytest.mark.skipif(not HAS_SWIFT_F0, reason="swift-f0 not installed")
def test_swift_f0_tracks_a_220_hz_tone_and_leaves_silence_unvoiced():
    sr, hop = 22050, 256
    y = np.concatenate([harmonic_tone(220.0, 1.0, sr), np.zeros(sr // 2, dtype=np.float32)])
    times, f0 = BASELINES["swift_f0"].function(y, sr, hop)
    np.testing.assert_allclose(times, np.arange(1 + y.size // hop) * hop / sr)
    assert times[0] == 0.0 and np.all(np.diff(times) > 0)
    inside = (times > 0.05) & (times < 0.95)
    assert np.count_nonzero(f0[inside] > 0) >= 0.9 * np.count_nonzero(inside)
    assert np.median(cents_between(f0[f0 > 0], 220.0)) < 20
    assert np.all(f0[times > 1.05] <= 0.0)
    _, silent = swift_f0(np.zeros(sr, dtype=np.float32), sr, hop)
    assert np.all(silent <= 0.0)


@pytest.mark.skipif(not HAS_SWIFT_F0, reason="swift-f0 not installed")
def test_swift_f0_on_real_stem_fixture(fixtures_dir):
    y, (ref_times, ref_f0) = mdb_stem_synth_track(fixtures_dir, 22050)
    scores = melody_metrics(ref_times, ref_f0, *swift_f0(y, 22050, 256))
    # Measured 0.994 and 0.987 (pYIN: 0.933 and 0.889).
    assert scores["raw_pitch_accuracy"] > 0.98
    assert scores["overall_accuracy"] > 0.97


def test_swift_f0_without_the_package_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "swift_f0", None)  # makes `import swift_f0` fail
    with pytest.raises(
        OptionalDependencyError, match=r"swift-f0 is not installed.*mirlab\[swift\]"
    ):
        swift_f0(np.zeros(2205, dtype=np.float32), 22050, 256)


@pytest.mark.skipif(not HAS_ESSENTIA, reason="essentia not installed")
def test_melodia_tracks_a_330_hz_tone_as_the_pipeline_calls_it():
    sr, hop = 22050, 256
    y = harmonic_tone(330.0, 0.5, sr)
    times, f0 = BASELINES["melodia"].function(y, sr, hop)
    np.testing.assert_allclose(times, np.arange(1 + y.size // hop) * hop / sr)
    voiced = f0 > 0
    assert np.count_nonzero(voiced) >= 0.8 * f0.size
    assert np.all(cents_between(f0[voiced], 330.0) < 20)


@pytest.mark.skipif(not HAS_ESSENTIA, reason="essentia not installed")
def test_melodia_on_real_stem_fixture(fixtures_dir):
    y, (ref_times, ref_f0) = mdb_stem_synth_track(fixtures_dir, 22050)
    scores = melody_metrics(ref_times, ref_f0, *melodia_f0(y, 22050, 256))
    # Measured 0.839 and 0.879: Melodia drops one short note and some note ends as unvoiced,
    # but where it voices, its pitch is right (10-cent accuracy 0.816), so its frames line up.
    assert scores["raw_pitch_accuracy"] > 0.8
    assert scores["raw_pitch_accuracy_10c"] > 0.78
    assert scores["voicing_false_alarm"] < 0.05


def test_melodia_without_essentia_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "essentia.standard", None)  # makes the import fail
    with pytest.raises(OptionalDependencyError, match="essentia is not installed.*'melodia' extra"):
        melodia_f0(np.zeros(4410, dtype=np.float32), 44100, 128)
    assert issubclass(OptionalDependencyError, RuntimeError)


def test_registry_names_runnable_baselines():
    assert set(BASELINES) == {"pyin", "salience_peak", "melodia", "swift_f0"}
    leading = {
        "audio": ["y", "sr", "hop_length"],
        "hcqt": ["hcqt", "bin_frequencies", "frame_times"],
    }
    for baseline in BASELINES.values():
        parameters = list(inspect.signature(baseline.function).parameters)
        assert parameters[:3] == leading[baseline.input]
        if baseline.tuned is not None:
            assert baseline.tuned in parameters
    hcqt = synthetic_hcqt([FREQS[100], 0.0])
    entry = BASELINES["salience_peak"]
    _, f0 = entry.function(hcqt, FREQS, np.array([0.0, 0.01]), in_db=False)
    assert cents_between(f0[0], FREQS[100]) < 0.5 and f0[1] <= 0.0
    assert len(DEFAULT_HARMONIC_WEIGHTS) == len(HARMONICS)

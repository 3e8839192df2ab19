import librosa
import numpy as np
import pytest

from mirlab.data import features
from mirlab.errors import InputError

# librosa warns when its per-octave FFT is longer than a 1 s test signal; expected here.
pytestmark = pytest.mark.filterwarnings("ignore:n_fft=.*is too large:UserWarning")

SR = 22050
HOP = 256


def tone(freq: float, seconds: float = 1.0, noise: float = 0.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    y = np.sin(2 * np.pi * freq * t)
    if noise:
        y += noise * np.random.default_rng(0).standard_normal(t.size)
    return y.astype(np.float32)


@pytest.fixture(scope="module")
def a440() -> np.ndarray:
    return tone(440.0, noise=0.05)


@pytest.fixture(scope="module")
def hcqt_a440(a440) -> np.ndarray:
    return features.compute_feature(a440, SR, "hcqt")


def test_n_frames_for_hand_cases():
    assert features.n_frames_for(0, 256) == 1
    assert features.n_frames_for(255, 256) == 1
    assert features.n_frames_for(256, 256) == 2
    assert features.n_frames_for(22050, 256) == 87  # 22050 // 256 = 86
    assert features.n_frames_for(44100, 441) == 101


def test_frame_times_are_hop_multiples():
    np.testing.assert_allclose(
        features.frame_times(4, 22050, 256), [0.0, 256 / 22050, 512 / 22050, 768 / 22050]
    )


@pytest.mark.parametrize(
    ("kind", "n_bins"), [("stft", 1025), ("mel", 128), ("cqt", 360), ("hcqt", 360)]
)
@pytest.mark.parametrize(("n_samples", "hop"), [(SR, 256), (SR + 100, 256), (5001, 441)])
def test_every_kind_has_the_frame_count_of_the_grid(kind, n_bins, n_samples, hop):
    y = tone(440.0, seconds=2.0)[:n_samples]
    x = features.compute_feature(y, SR, kind, hop_length=hop)
    expected = (features.n_frames_for(n_samples, hop), n_bins)
    assert x.shape == (expected + (6,) if kind == "hcqt" else expected)
    assert x.dtype == np.float32
    assert x.flags["C_CONTIGUOUS"]
    assert len(features.feature_bin_frequencies(kind, SR, hop_length=hop)) == n_bins


def test_bin_frequencies_hand_values():
    cqt = features.feature_bin_frequencies("cqt", SR)
    assert cqt[0] == pytest.approx(32.7032, abs=1e-3)  # C1
    assert cqt[60] / cqt[0] == pytest.approx(2.0)  # 60 bins per octave
    assert cqt[225] == pytest.approx(440.0)  # A4 is 45 semitones above C1
    np.testing.assert_allclose(features.feature_bin_frequencies("hcqt", SR), cqt)
    stft = features.feature_bin_frequencies("stft", SR, n_fft=1024)
    assert len(stft) == 513 and stft[-1] == SR / 2
    mel = features.feature_bin_frequencies("mel", SR, n_mels=40, fmax=8000.0)
    assert len(mel) == 40 and 0 < mel[0] < mel[-1] < 8000


def test_pure_tone_peaks_at_its_bin_in_every_2d_kind(a440):
    for kind in ("stft", "mel", "cqt"):
        x = features.compute_feature(a440, SR, kind)
        freqs = features.feature_bin_frequencies(kind, SR)
        peak = freqs[np.argmax(x[10:-10].mean(axis=0))]
        nearest = freqs[np.argmin(np.abs(freqs - 440.0))]
        # the mel peak may fall one band off: the 440 Hz band and its neighbour overlap
        tolerance = 0.0 if kind != "mel" else np.max(np.diff(freqs)) + 1e-9
        assert abs(peak - nearest) <= tolerance, kind


def test_hcqt_channel_h_peaks_at_440_over_h(hcqt_a440):
    freqs = features.feature_bin_frequencies("hcqt", SR)
    harmonics = features.FEATURE_KINDS["hcqt"]["harmonics"]
    for k, h in enumerate(harmonics):
        peak_bin = np.argmax(hcqt_a440[10:-10, :, k].mean(axis=0))
        # channel h's bin b is centred at h * freqs[b]: 440 Hz lands where freqs is 440 / h
        assert peak_bin == np.argmin(np.abs(freqs * h - 440.0)), h
    assert freqs[np.argmax(hcqt_a440[10:-10, :, 2].mean(axis=0))] == pytest.approx(220.0)


def test_hcqt_channels_match_separate_librosa_cqts(a440, hcqt_a440):
    harmonics = features.FEATURE_KINDS["hcqt"]["harmonics"]
    for k, h in enumerate(harmonics):
        magnitude = np.abs(
            librosa.cqt(
                a440,
                sr=SR,
                hop_length=HOP,
                fmin=features.C1_HZ * h,
                n_bins=360,
                bins_per_octave=60,
                tuning=0.0,
            )
        )
        reference = librosa.amplitude_to_db(magnitude, ref=1.0, amin=1e-5, top_db=None).T
        diff = np.abs(hcqt_a440[:, :, k] - reference)
        if h in (3.0, 5.0):
            # off the 60-bins/octave grid of harmonic 1: computed on their own, identical
            np.testing.assert_allclose(hcqt_a440[:, :, k], reference, atol=1e-4)
        else:
            # sliced from one wide CQT: the same bins up to librosa's resampling error
            loud = reference > reference.max() - 40.0
            assert diff[loud].max() < 1.0, h
            assert np.median(diff) < 0.25, h


def test_log_is_decibels_of_the_linear_magnitude(a440):
    linear = features.compute_feature(a440, SR, "cqt", log=False)
    db = features.compute_feature(a440, SR, "cqt")
    assert linear.min() >= 0
    np.testing.assert_allclose(db, 20 * np.log10(np.maximum(linear, 1e-5)), atol=1e-3)
    assert db.min() >= -100.0
    power = features.compute_feature(a440, SR, "mel", log=False)
    np.testing.assert_allclose(
        features.compute_feature(a440, SR, "mel"),
        10 * np.log10(np.maximum(power, 1e-10)),
        atol=1e-3,
    )


def test_feature_params_fills_defaults_and_normalises_harmonics():
    params = features.feature_params("hcqt", harmonics=[1, 2])
    assert params["harmonics"] == (1.0, 2.0)
    assert params["bins_per_octave"] == 60 and params["n_octaves"] == 6
    assert params["fmin"] == pytest.approx(32.703, abs=1e-3)


@pytest.mark.parametrize(
    ("kind", "params", "named"),
    [
        ("hcqt", {"harmonics": (1, 2, 8)}, "harmonic 8"),
        ("cqt", {"n_octaves": 9}, "n_octaves"),
        ("cqt", {"hop_length": 0}, "hop_length"),
        ("cqt", {"fmin": -5.0}, "fmin"),
        ("mel", {"fmax": 20000.0}, "fmax"),
        ("stft", {"n_mels": 10}, "n_mels"),
        ("hcqt", {"harmonics": (1, 1)}, "harmonics"),
        ("hcqt", {"harmonics": []}, "harmonics"),
        ("wavelet", {}, "wavelet"),
    ],
)
def test_bad_parameters_are_named(kind, params, named):
    with pytest.raises(InputError, match=named):
        features.compute_feature(tone(440.0, 0.1), SR, kind, **params)


@pytest.mark.parametrize(
    "y", [np.zeros((2, 100), np.float32), np.array([0.0, np.nan]), np.zeros(0, np.float32)]
)
def test_bad_audio_is_refused(y):
    with pytest.raises(InputError, match="audio"):
        features.compute_feature(y, SR, "stft")


def test_save_and_open_memory_mapped(tmp_path, hcqt_a440):
    path = tmp_path / "cache" / "track.npy"
    features.save_feature(hcqt_a440, path)
    opened = features.open_feature(path)
    assert isinstance(opened, np.memmap)
    assert not opened.flags["WRITEABLE"]
    np.testing.assert_array_equal(opened[5:9], hcqt_a440[5:9])
    assert [p.name for p in path.parent.iterdir()] == ["track.npy"]  # no temporary left


def test_truncated_or_corrupt_cache_names_the_file(tmp_path, hcqt_a440):
    path = tmp_path / "track.npy"
    features.save_feature(hcqt_a440, path)
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(InputError, match="track.npy"):
        features.open_feature(path)
    path.write_bytes(b"not a numpy file at all")
    with pytest.raises(InputError, match="track.npy"):
        features.open_feature(path)
    with pytest.raises(InputError, match="missing.npy"):
        features.open_feature(tmp_path / "missing.npy")

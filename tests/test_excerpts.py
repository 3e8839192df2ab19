import librosa
import mir_eval
import numpy as np
import pytest
import scipy.signal
import soundfile

from mirlab.data import annotations, excerpts, features
from mirlab.errors import InputError

SR = 22050


def sweep(seconds: float = 2.0, f_start: float = 200.0, f_end: float = 1000.0):
    """A linear sine sweep and its exact f0 on MedleyDB's annotation grid (hop 256/44100 s)."""
    rate = (f_end - f_start) / seconds

    def f0_at(t):
        return f_start + rate * t

    t = np.arange(int(seconds * SR)) / SR
    y = np.sin(2 * np.pi * (f_start * t + rate * t**2 / 2)).astype(np.float32)
    times = np.arange(0.0, seconds, 256 / 44100)
    return y, times, f0_at(times), f0_at


def instantaneous_frequency(y: np.ndarray, at: np.ndarray, half_width: int = 64) -> np.ndarray:
    """Hz at samples ``at``, from the analytic signal's phase advance over +-half_width
    samples (exact at the centre for a linear sweep, and steadier than a 1-sample step)."""
    phase = np.unwrap(np.angle(scipy.signal.hilbert(y.astype(np.float64))))
    advance = phase[at + half_width] - phase[at - half_width]
    return advance / (2 * half_width) * SR / (2 * np.pi)


def test_cut_sweep_annotation_matches_the_audio_in_the_cut():
    y, times, f0, _ = sweep()
    y_cut, times_cut, f0_cut = excerpts.cut_excerpt(y, SR, times, f0, 0.5, 1.3)
    np.testing.assert_array_equal(y_cut, y[11025:28665])
    assert times_cut[0] >= 0 and times_cut[-1] < 0.8
    interior = (times_cut > 0.05) & (times_cut < 0.75)  # the Hilbert transform rings at edges
    at = np.round(times_cut[interior] * SR).astype(int)
    # 400 Hz/s: an annotation off by 2.5 ms would be off by 1 Hz
    np.testing.assert_allclose(instantaneous_frequency(y_cut, at), f0_cut[interior], atol=1.0)
    late = instantaneous_frequency(y_cut, at + round(0.005 * SR))
    assert np.min(np.abs(late - f0_cut[interior])) > 1.0  # so a 5 ms misalignment fails


def test_rows_exactly_inside_start_end_are_kept_and_shifted():
    times = np.arange(100) * 0.01
    values = np.arange(100.0)
    y = np.zeros(1000, np.float32)
    y_cut, times_cut, values_cut = excerpts.cut_excerpt(y, 1000, times, values, 0.1, 0.2)
    assert y_cut.size == 100
    np.testing.assert_allclose(times_cut, np.arange(10) * 0.01, atol=1e-12)
    np.testing.assert_array_equal(values_cut, np.arange(10, 20))  # 0.2 s itself excluded


def test_start_is_rounded_to_a_sample_and_annotation_follows():
    times = np.array([0.0995, 0.1, 0.1004, 0.101])
    y = np.arange(1000, dtype=np.float32)
    y_cut, times_cut, values_cut = excerpts.cut_excerpt(y, 1000, times, np.arange(4), 0.1004, 0.5)
    assert y_cut[0] == 100  # 0.1004 s rounds to sample 100 = 0.100 s
    np.testing.assert_array_equal(values_cut, [1, 2, 3])
    np.testing.assert_allclose(times_cut, [0.0, 0.0004, 0.001], atol=1e-12)


def test_cut_annotation_alone():
    times = np.array([0.5, 1.0, 1.5, 2.0])
    rows = np.array([[1, 2], [3, 4], [5, 6], [7, 8]])
    times_cut, rows_cut = excerpts.cut_annotation(times, rows, 1.0, 2.0)
    np.testing.assert_allclose(times_cut, [0.0, 0.5])
    np.testing.assert_array_equal(rows_cut, [[3, 4], [5, 6]])


def test_mdb_stem_synth_excerpt_pitch_matches_annotation(fixtures_dir):
    folder = fixtures_dir / "mdb_stem_synth"
    y, sr = soundfile.read(next((folder / "audio_stems").glob("*.wav")), dtype="float32")
    times, f0 = mir_eval.io.load_time_series(
        str(next((folder / "annotation_stems").glob("*.csv"))), delimiter=","
    )
    y_cut, times_cut, f0_cut = excerpts.cut_excerpt(y, sr, times, f0, 1.0, 2.0)
    estimate = librosa.yin(y_cut, fmin=60, fmax=1000, sr=sr, frame_length=2048, hop_length=128)
    grid = np.arange(estimate.size) * 128 / sr
    with pytest.warns(UserWarning, match="Non-uniform"):  # the CSV rounds times to 1 us
        reference = annotations.melody_to_grid(times_cut, f0_cut, grid)
    voiced = reference > 0
    assert voiced.mean() > 0.9
    cents = 1200 * np.abs(np.log2(estimate[voiced] / reference[voiced]))
    # a 20 ms misalignment already gives a median of ~12 cents on this track
    assert np.median(cents) < 5
    assert np.mean(cents < 50) > 0.98


@pytest.mark.filterwarnings("ignore:n_fft=.*is too large:UserWarning")
def test_feature_excerpt_frames_and_pitch_alignment():
    y, _, _, f0_at = sweep()
    cqt = features.compute_feature(y, SR, "cqt", hop_length=256)
    first, stop = excerpts.feature_excerpt_frames(len(cqt), SR, 256, 1.0, 1.5)
    assert (first, stop) == (87, 130)  # ceil(1.0 * 22050 / 256) and ceil(1.5 * 22050 / 256)
    cut = excerpts.cut_feature_excerpt(cqt, SR, 256, 1.0, 1.5)
    np.testing.assert_array_equal(cut, cqt[87:130])
    centres = features.frame_times(len(cqt), SR, 256)[87:130]
    assert centres[0] >= 1.0 and centres[-1] < 1.5
    freqs = features.feature_bin_frequencies("cqt", SR)
    peak = freqs[np.argmax(cut, axis=1)]
    cents = 1200 * np.abs(np.log2(peak / f0_at(centres)))
    assert np.max(cents) < 40  # a 5-frame shift would be ~60 cents off


def test_feature_excerpt_of_a_memory_mapped_cache(tmp_path):
    feature = np.arange(200 * 3, dtype=np.float32).reshape(200, 3)
    features.save_feature(feature, tmp_path / "f.npy")
    cached = features.open_feature(tmp_path / "f.npy")
    cut = excerpts.cut_feature_excerpt(cached, 100, 10, 0.5, 1.0)  # frames every 0.1 s
    assert isinstance(cut, np.memmap)
    np.testing.assert_array_equal(cut, feature[5:10])


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (-0.5, 1.0, "start=-0.5"),
        (1.0, 0.5, "end=0.5 s is not after start=1.0"),
        (1.0, 1.0, "end=1.0 s is not after start=1.0"),
        (0.5, 2.5, "end=2.5 s is past"),
        (float("nan"), 1.0, "start=nan"),
    ],
)
def test_bad_intervals_name_the_values(start, end, message):
    y, times, f0, _ = sweep()
    with pytest.raises(InputError, match=message):
        excerpts.cut_excerpt(y, SR, times, f0, start, end)
    with pytest.raises(InputError, match=message):
        excerpts.cut_feature_excerpt(np.zeros((173, 4)), SR, 256, start, end)


def test_feature_interval_without_a_frame_centre():
    with pytest.raises(InputError, match="no frame centre"):
        excerpts.cut_feature_excerpt(np.zeros((10, 4)), 100, 10, 0.01, 0.05)

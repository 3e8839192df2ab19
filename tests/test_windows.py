"""Training windows: hand-computed spans, padding, index filtering, global shuffle, batches."""

from __future__ import annotations

import numpy as np
import pytest

from mirlab.errors import InputError
from mirlab.learning.windows import (
    NpyRows,
    WindowBatches,
    WindowSpec,
    build_index,
    feature_statistics,
    normalize_batch,
    normalize_window,
    predict_track,
    read_target,
    read_window,
    shuffled_order,
    spec_augment,
    window_starts,
)
from mirlab.pitch.targets import PitchBins, f0_to_target
from mirlab.storage import write_npy


def rows(n: int, width: int = 2) -> np.ndarray:
    """Feature array whose row i holds i + 1 in every column (0 is padding)."""
    return np.repeat(np.arange(1, n + 1, dtype=np.float32)[:, None], width, axis=1)


def test_frame_window_context_and_padding_at_both_ends():
    spec = WindowSpec(n_frames=3, context=2, hop=3)
    array = rows(10)
    assert spec.input_length == 7
    # Frames 4..6 with 2 frames of context each side: input frames 2..8 -> values 3..9.
    np.testing.assert_array_equal(read_window(array, 4, spec)[:, 0], [3, 4, 5, 6, 7, 8, 9])
    # Start of the track: frames -2, -1 are zeros.
    np.testing.assert_array_equal(read_window(array, 0, spec)[:, 1], [0, 0, 1, 2, 3, 4, 5])
    # End of the track (10 frames): frames 10.. are zeros.
    np.testing.assert_array_equal(read_window(array, 9, spec)[:, 0], [8, 9, 10, 0, 0, 0, 0])
    assert read_window(array, 9, spec).dtype == np.float32


def test_target_window_is_padded_unvoiced_past_the_end():
    spec = WindowSpec(n_frames=3, hop=3)
    f0 = np.array([100.0, 0.0, 220.0, 230.0], dtype=np.float32)
    np.testing.assert_array_equal(read_target(f0, 0, spec), [100.0, 0.0, 220.0])
    np.testing.assert_array_equal(read_target(f0, 3, spec), [230.0, 0.0, 0.0])
    salience = np.ones((4, 5), dtype=np.float32)
    np.testing.assert_array_equal(read_target(salience, 3, spec).sum(axis=1), [5, 0, 0])


def test_window_starts_every_hop_covering_the_track():
    np.testing.assert_array_equal(window_starts(10, WindowSpec(n_frames=4, hop=4)), [0, 4, 8])
    np.testing.assert_array_equal(window_starts(3, WindowSpec(n_frames=1)), [0, 1, 2])
    assert window_starts(0, WindowSpec(n_frames=4)).size == 0
    spec = WindowSpec(n_frames=4, hop=3)
    covered = {s + k for s in window_starts(11, spec) for k in range(spec.n_frames)}
    assert covered >= set(range(11))


def test_crepe_sample_window_is_centred_on_the_frame_time():
    # CREPE: 1024 samples centred on sample i * 160 (10 ms at 16 kHz).
    spec = WindowSpec(n_frames=1, input="samples", hop_length=160, window_samples=1024)
    audio = np.arange(1, 16001, dtype=np.float32)  # value = sample index + 1
    window = read_window(audio, 10, spec)
    assert window.shape == (1024,)
    assert window[512] == audio[1600]
    assert window[0] == audio[1600 - 512] and window[-1] == audio[1600 + 511]
    # Frame 0 is centred on sample 0: the first 512 samples are padding.
    first = read_window(audio, 0, spec)
    assert np.all(first[:512] == 0) and first[512] == audio[0]


def test_sample_window_of_several_frames_with_context():
    spec = WindowSpec(n_frames=2, context=1, hop=2, input="samples", hop_length=4, window_samples=8)
    assert spec.input_length == 8 + 4 + 2
    audio = np.arange(1, 41, dtype=np.float32)
    window = read_window(audio, 3, spec)
    # Frame 3 is centred on sample 12, frame 4 on 16; window = samples 12-4-1 = 7 .. 20.
    np.testing.assert_array_equal(window, audio[7:21])
    for k in range(spec.n_frames):
        assert window[spec.context + 8 // 2 + k * 4] == audio[(3 + k) * 4]
    np.testing.assert_array_equal(read_window(audio, 0, spec)[:6], [0, 0, 0, 0, 0, 1])
    # 40 samples, last frame (10) centred on sample 40, past the end.
    assert spec.n_frames_of(40) == 11
    np.testing.assert_array_equal(read_window(audio, 10, spec)[:5], [36, 37, 38, 39, 40])
    assert np.all(read_window(audio, 10, spec)[5:] == 0)


def test_window_spec_rejects_inconsistent_settings():
    with pytest.raises(InputError, match="window.hop_length"):
        WindowSpec(n_frames=1, input="samples", window_samples=1024)
    with pytest.raises(InputError, match="window.window_samples"):
        WindowSpec(n_frames=1, window_samples=1024)
    with pytest.raises(InputError, match="window.n_frames"):
        WindowSpec(n_frames=0)


def test_index_lists_every_window_and_filters_voiced():
    spec = WindowSpec(n_frames=2, hop=2)
    index = build_index([6, 4], spec)
    np.testing.assert_array_equal(index, [[0, 0], [0, 2], [0, 4], [1, 0], [1, 2]])
    voiced = [np.array([0, 0, 0, 110.0, 0, 0]), np.array([100.0, 120.0, 0, 0])]
    kept = build_index([6, 4], spec, voiced=voiced, voiced_only=True)
    np.testing.assert_array_equal(kept, [[0, 2], [1, 0]])
    all_voiced = build_index([6, 4], spec, voiced, voiced_only=True, min_voiced_fraction=1.0)
    np.testing.assert_array_equal(all_voiced, [[1, 0]])


def test_index_counts_padding_as_unvoiced():
    spec = WindowSpec(n_frames=2, hop=2)
    voiced = [np.array([False, False, False, False, True])]
    np.testing.assert_array_equal(build_index([5], spec, voiced, voiced_only=True), [[0, 4]])
    assert len(build_index([5], spec, voiced, voiced_only=True, min_voiced_fraction=1.0)) == 0
    with pytest.raises(InputError, match="voiced"):
        build_index([5], spec, voiced_only=True)
    with pytest.raises(InputError, match=r"voiced\[0\]"):
        build_index([6], spec, voiced, voiced_only=True)


def test_global_shuffle_is_a_permutation_per_seed_and_epoch():
    order = shuffled_order(1000, seed=3, epoch=0)
    np.testing.assert_array_equal(np.sort(order), np.arange(1000))
    np.testing.assert_array_equal(order, shuffled_order(1000, seed=3, epoch=0))
    assert not np.array_equal(order, shuffled_order(1000, seed=3, epoch=1))
    assert not np.array_equal(order, shuffled_order(1000, seed=4, epoch=0))
    # Global: the first tenth of the order draws from the whole range, not a local buffer.
    assert order[:100].max() > 900 and order[:100].min() < 100


def test_normalize_window_and_silence():
    x = np.array([[1.0, 2.0], [3.0, 6.0]], dtype=np.float32)
    out = normalize_window(x)
    assert abs(out.mean()) < 1e-6 and abs(out.std() - 1) < 1e-5
    np.testing.assert_array_equal(normalize_window(np.zeros((3, 2))), np.zeros((3, 2)))


def test_normalize_batch_per_window_and_by_dataset_statistics():
    windows = np.stack([np.arange(6.0).reshape(3, 2), 10 * np.arange(6.0).reshape(3, 2)])
    per_window = normalize_batch(windows, "window")
    np.testing.assert_allclose(per_window[0], per_window[1], rtol=1e-6)
    np.testing.assert_allclose(per_window[0], normalize_window(windows[0]))
    mean, std = np.array([1.0, 2.0]), np.array([2.0, 4.0])
    np.testing.assert_allclose(
        normalize_batch(windows, (mean, std))[0, 2], [(4 - 1) / 2, (5 - 2) / 4]
    )
    assert normalize_batch(windows, None) is windows
    with pytest.raises(InputError, match="normalize"):
        normalize_batch(windows, "track")


def test_npy_rows_reads_slices_like_the_array(tmp_path):
    hcqt = np.random.default_rng(0).random((9, 5, 3)).astype(np.float32)
    write_npy(hcqt, tmp_path / "hcqt.npy")
    rows_ = NpyRows(tmp_path / "hcqt.npy")
    assert (len(rows_), rows_.shape, rows_.dtype) == (9, (9, 5, 3), np.float32)
    np.testing.assert_array_equal(rows_[2:7], hcqt[2:7])
    np.testing.assert_array_equal(rows_[7:20], hcqt[7:])
    np.testing.assert_array_equal(
        read_window(rows_, 0, WindowSpec(3, context=2)),
        read_window(hcqt, 0, WindowSpec(3, context=2)),
    )
    with pytest.raises(TypeError):
        rows_[::2]
    audio = np.arange(100, dtype=np.float64)
    write_npy(audio, tmp_path / "audio.npy")
    np.testing.assert_array_equal(NpyRows(tmp_path / "audio.npy")[95:100], audio[95:])
    with pytest.raises(InputError, match="missing.npy"):
        NpyRows(tmp_path / "missing.npy")


def test_spec_augment_masks_whole_rows_and_columns_deterministically():
    x = np.ones((20, 10, 2), dtype=np.float32)
    out = spec_augment(x, np.random.default_rng(0), 1, 3, 0, 0)
    masked_rows = np.flatnonzero(np.all(out == 0, axis=(1, 2)))
    assert np.all(out[np.setdiff1d(np.arange(20), masked_rows)] == 1)
    assert len(masked_rows) <= 3 and np.all(np.diff(masked_rows) == 1)
    out = spec_augment(x, np.random.default_rng(5), 0, 0, 2, 4)
    masked_cols = np.flatnonzero(np.all(out == 0, axis=(0, 2)))
    assert 0 < len(masked_cols) <= 8 and np.all(out[:, np.setdiff1d(np.arange(10), masked_cols)])
    again = spec_augment(x, np.random.default_rng(5), 0, 0, 2, 4)
    np.testing.assert_array_equal(out, again)
    assert np.all(x == 1)  # the input is not modified


def test_feature_statistics_match_numpy(tmp_path):
    rng = np.random.default_rng(1)
    tracks = [rng.normal(3, 2, (n, 4)).astype(np.float32) for n in (7, 13)]
    write_npy(tracks[1], tmp_path / "b.npy")
    mean, std = feature_statistics([tracks[0], tmp_path / "b.npy"], chunk_frames=5)
    joined = np.concatenate(tracks).astype(np.float64)
    np.testing.assert_allclose(mean, joined.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(std, joined.std(axis=0), rtol=1e-4)


def _tracks(tmp_path):
    spec = WindowSpec(n_frames=2, context=1, hop=2)
    arrays = [rows(5, 3), rows(4, 3) * 10]
    f0 = [np.array([0, 110, 220, 0, 440.0]), np.array([110.0, 0, 0, 220])]
    paths = []
    for i, (array, target) in enumerate(zip(arrays, f0, strict=True)):
        write_npy(array, tmp_path / f"x{i}.npy")
        write_npy(target.astype(np.float32), tmp_path / f"f0_{i}.npy")
        paths.append((tmp_path / f"x{i}.npy", tmp_path / f"f0_{i}.npy"))
    index = build_index([5, 4], spec)  # (0,0) (0,2) (0,4) (1,0) (1,2)
    return spec, arrays, f0, paths, index


def test_dataset_batches_in_index_order_from_memory_maps(tmp_path):
    spec, arrays, f0, paths, index = _tracks(tmp_path)
    dataset = WindowBatches(
        [p[0] for p in paths], [p[1] for p in paths], index, spec, 2, shuffle=False, normalize=None
    ).dataset(0)
    batches = [(x.numpy(), y.numpy()) for x, y in dataset]
    assert [len(x) for x, _ in batches] == [2, 2, 1]
    x_all = np.concatenate([x for x, _ in batches])
    y_all = np.concatenate([y for _, y in batches])
    expected_x = [read_window(arrays[t], s, spec) for t, s in index]
    expected_y = [read_target(f0[t], s, spec) for t, s in index]
    np.testing.assert_array_equal(x_all, expected_x)
    np.testing.assert_array_equal(y_all, expected_y)
    # Window (0, 4): frame 4 and one padding frame, context frame 3 and one padding frame.
    np.testing.assert_array_equal(x_all[2, :, 0], [4, 5, 0, 0])
    np.testing.assert_array_equal(y_all[2], [440, 0])


def test_dataset_global_shuffle_targets_and_resume_position(tmp_path):
    spec, arrays, f0, paths, index = _tracks(tmp_path)
    bins = PitchBins(bins_per_semitone=1, lowest_note=45, n_bins=40)

    def target_fn(window):
        return f0_to_target(window, bins)

    def epoch_batches(epoch, skip=0, **options):
        batches = WindowBatches(arrays, f0, index, spec, 2, seed=7, target_fn=target_fn, **options)
        dataset = batches.dataset(epoch, skip)
        return [(x.numpy(), y.numpy()) for x, y in dataset]

    batches = epoch_batches(0)
    order = shuffled_order(len(index), seed=7, epoch=0)
    x_all = np.concatenate([x for x, _ in batches])
    y_all = np.concatenate([y for _, y in batches])
    for row, position in enumerate(order):
        track, start = index[position]
        np.testing.assert_allclose(
            x_all[row], normalize_window(read_window(arrays[track], start, spec))
        )
        np.testing.assert_array_equal(
            y_all[row], f0_to_target(read_target(f0[track], start, spec), bins)
        )
    assert y_all.shape == (5, 2, 40)
    # Resuming at batch 1 gives the rest of the same epoch; another epoch has another order.
    for (x, y), (x_skip, y_skip) in zip(batches[1:], epoch_batches(0, skip=1), strict=True):
        np.testing.assert_array_equal(x, x_skip)
        np.testing.assert_array_equal(y, y_skip)
    assert not np.array_equal(x_all, np.concatenate([x for x, _ in epoch_batches(1)]))
    assert len(epoch_batches(0, drop_remainder=True)) == 2


def test_one_dataset_runs_on_across_epochs_from_a_resume_position(tmp_path):
    spec, arrays, f0, paths, index = _tracks(tmp_path)
    batches = WindowBatches(arrays, f0, index, spec, 2, seed=5)
    assert batches.batches_per_epoch == 3
    endless = [(x.numpy(), y.numpy()) for x, y in batches.dataset(1, 1, epochs=None).take(5)]
    per_epoch = [
        (x.numpy(), y.numpy())
        for epoch, skip in ((1, 1), (2, 0))
        for x, y in WindowBatches(arrays, f0, index, spec, 2, seed=5).dataset(epoch, skip)
    ]
    for (x, y), (x_expected, y_expected) in zip(endless, per_epoch, strict=True):
        np.testing.assert_array_equal(x, x_expected)
        np.testing.assert_array_equal(y, y_expected)
    with pytest.raises(InputError, match="skip_batches"):
        batches.dataset(0, 4)
    # Readers at different epochs (e.g. two datasets of one WindowBatches) do not interfere.
    for epoch in (0, 3, 0, 5, 7, 0):
        np.testing.assert_array_equal(batches.order(epoch), shuffled_order(len(index), 5, epoch))


def test_dataset_augmentation_is_deterministic_and_survives_resume(tmp_path):
    spec, arrays, f0, paths, index = _tracks(tmp_path)

    def augment(x, rng):
        return x + rng.normal(size=x.shape).astype(np.float32)

    def run(skip):
        batches = WindowBatches(
            arrays, f0, index, spec, 2, seed=1, augment=augment, num_parallel_calls=3
        )
        dataset = batches.dataset(0, skip)
        return np.concatenate([x.numpy() for x, _ in dataset])

    full = run(0)
    np.testing.assert_array_equal(full, run(0))
    np.testing.assert_array_equal(full[2:], run(1))
    clean = np.concatenate(
        [x.numpy() for x, _ in WindowBatches(arrays, f0, index, spec, 2, seed=1).dataset(0)]
    )
    assert not np.allclose(full, clean)


class _CentreFrames:
    """A 'model' returning the centre frames of each window (the input minus its context)."""

    def __init__(self, spec: WindowSpec, squeeze: bool = False):
        self.spec, self.squeeze = spec, squeeze

    def predict_on_batch(self, x):
        centre = x[:, self.spec.context : self.spec.context + self.spec.n_frames]
        return centre[:, 0] if self.squeeze else centre


@pytest.mark.parametrize(("n_frames", "squeeze"), [(3, False), (1, False), (1, True)])
def test_predict_track_reassembles_the_track(n_frames, squeeze):
    spec = WindowSpec(n_frames=n_frames, context=2, hop=n_frames)
    array = rows(10, 4)
    out = predict_track(_CentreFrames(spec, squeeze), array, spec, batch_size=2, normalize=None)
    np.testing.assert_array_equal(out, array)


def test_voiced_index_on_a_real_annotation(fixtures_dir):
    """MDB-stem-synth f0 (hop 128/44100 s): voiced-only windows keep every voiced frame."""
    csv = (
        fixtures_dir
        / "mdb_stem_synth/annotation_stems/AClassicEducation_NightOwl_STEM_08.RESYN.csv"
    )
    f0 = np.loadtxt(csv, delimiter=",")[:, 1]
    spec = WindowSpec(n_frames=32, hop=32)
    everything = build_index([len(f0)], spec)
    kept = build_index([len(f0)], spec, [f0], voiced_only=True)
    assert 0 < len(kept) < len(everything) == -(-len(f0) // 32)
    voiced_in = {start: np.any(read_target(f0, start, spec) > 0) for _, start in everything}
    assert {start for _, start in kept} == {s for s, voiced in voiced_in.items() if voiced}

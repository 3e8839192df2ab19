"""The multi-pitch family: metrics, estimate format, references, decoding, baselines, figures."""

import importlib.util

import librosa
import mir_eval
import numpy as np
import pandas as pd
import pytest

from mirlab.data.annotations import multif0_frame, notes_frame
from mirlab.data.cache import DatasetPaths
from mirlab.data.features import compute_feature, feature_bin_frequencies, frame_times
from mirlab.errors import InputError
from mirlab.families.multipitch import FAMILY, METRICS, check_experiment
from mirlab.families.multipitch.baselines import (
    BP_SR,
    basic_pitch_candidates,
    basic_pitch_frame_times,
    salience_peak_candidates,
)
from mirlab.families.multipitch.decoding import (
    Candidates,
    salience_peaks,
    threshold_accuracies,
    tune_threshold,
)
from mirlab.families.multipitch.figures import classify_frames, pianoroll
from mirlab.families.multipitch.metrics import (
    METRICS as METRIC_COLUMNS,
)
from mirlab.families.multipitch.metrics import (
    evaluate_directory,
    grid_references,
    multipitch_metrics,
    read_estimate,
    references,
    write_estimate,
)
from mirlab.families.registry import get_family
from mirlab.pitch.decode import decode_multif0
from mirlab.pitch.targets import PitchBins

TIMES10 = np.arange(10) * 0.01
HAS_BASIC_PITCH = importlib.util.find_spec("basic_pitch") is not None


def test_multipitch_metrics_wrap_mir_eval():
    times = TIMES10[:4]
    ref = [np.array([220.0, 330.0]), np.array([220.0]), np.array([]), np.array([440.0])]
    est = [np.array([220.0, 660.0]), np.array([220.0]), np.array([100.0]), np.array([880.0])]
    scores = multipitch_metrics(times, ref, times, est)
    # 4 reference notes; 2 estimated exactly; 660 and 880 are octave (chroma) hits; 100 is extra.
    assert scores["precision"] == pytest.approx(2 / 5)
    assert scores["recall"] == pytest.approx(2 / 4)
    assert scores["chroma_recall"] == pytest.approx(4 / 4)
    assert set(scores) >= {"accuracy", "total_error", "chroma_total_error"}
    # F = 2PR / (P + R) = 2 * 0.4 * 0.5 / 0.9; chroma: P = 4/5, R = 1.
    assert scores["f_measure"] == pytest.approx(0.4 / 0.9)
    assert scores["chroma_f_measure"] == pytest.approx(2 * 0.8 / 1.8)
    # accuracy = TP / (TP + FP + FN) = 2 / (2 + 3 + 2)
    assert scores["accuracy"] == pytest.approx(2 / 7)
    assert tuple(scores) == METRIC_COLUMNS == METRICS == FAMILY.metrics


def test_family_is_registered_with_its_metrics_and_reference_kind():
    family = get_family("multipitch")
    assert family is FAMILY and family.estimate_suffix == ".txt"
    assert family.reference_kind({"reference": "melody"}) == "multif0"
    assert family.reference_kind({"reference": "notes"}) == "notes"
    assert set(family.headline_metrics) <= set(family.metrics)


def test_estimate_round_trip_and_mir_eval_reads_it(tmp_path):
    path = tmp_path / "track.txt"
    freqs = [np.array([220.0, 330.5]), np.array([]), np.array([440.25])]
    write_estimate(TIMES10[:3], freqs, path)
    assert path.read_text().splitlines()[0] == "0.000000\t220.0000\t330.5000"
    times, read = read_estimate(path)
    np.testing.assert_allclose(times, TIMES10[:3])
    assert [list(f) for f in read] == [[220.0, 330.5], [], [440.25]]
    mir_times, mir_freqs = mir_eval.io.load_ragged_time_series(str(path))
    np.testing.assert_allclose(mir_times, times)
    assert [list(f) for f in mir_freqs] == [list(f) for f in read]


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "no rows"),
        ("0.0\t220\nabc\t330\n", "not a multi-f0 file"),
        ("0.1\t220\n0.05\t330\n", "increasing"),
        ("0.0\t-220\n", "> 0 Hz"),
        ("0.0\tnan\n", "> 0 Hz"),
    ],
)
def test_bad_estimate_files_name_the_file(tmp_path, text, message):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(InputError, match=message) as error:
        read_estimate(path)
    assert "bad.txt" in str(error.value)


def test_missing_estimate_and_bad_writes_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_estimate(tmp_path / "none.txt")
    with pytest.raises(InputError, match="2 frames of f0s for 3 times"):
        write_estimate(TIMES10[:3], [np.array([1.0]), np.array([])], tmp_path / "x.txt")
    with pytest.raises(InputError, match="> 0 Hz"):
        write_estimate(TIMES10[:1], [np.array([0.0])], tmp_path / "x.txt")
    assert not (tmp_path / "x.txt").exists()


def _dataset(tmp_path, reference: str, original: pd.DataFrame, grid: pd.DataFrame):
    for folder, table in (("original", original), ("grid", grid)):
        (tmp_path / folder).mkdir()
        table.to_parquet(tmp_path / folder / f"{reference}.parquet")
    pd.DataFrame({"track_id": ["a"], "part": ["test"]}).to_csv(tmp_path / "split.csv")
    return DatasetPaths(
        "d",
        tmp_path,
        tmp_path / "grid",
        tmp_path / "original",
        tmp_path / "split.csv",
        reference,
        22050,
        256,
    )


def test_references_from_multif0_and_from_notes(tmp_path):
    freqs = [np.array([220.0]), np.array([220.0, 330.0]), np.array([])]
    table = multif0_frame("a", TIMES10[:3], freqs)
    (tmp_path / "m").mkdir()
    data = _dataset(tmp_path / "m", "multif0", table, table)
    times, read = references(data, ["a"])["a"]
    np.testing.assert_allclose(times, TIMES10[:3])
    assert [list(f) for f in read] == [[220.0], [220.0, 330.0], []]
    assert [list(f) for f in grid_references(data, ["a"])[0]] == [list(f) for f in read]
    # A note list is sampled every 10 ms: start <= t < end.
    notes = notes_frame("a", np.array([[0.0, 0.025], [0.01, 0.03]]), np.array([440.0, 660.0]))
    (tmp_path / "n").mkdir()
    data = _dataset(tmp_path / "n", "notes", notes, table)
    times, read = references(data, ["a"])["a"]
    np.testing.assert_allclose(times, [0.0, 0.01, 0.02, 0.03])
    assert [list(f) for f in read] == [[440.0], [440.0, 660.0], [440.0, 660.0], []]


def test_evaluate_directory_scores_each_track(tmp_path):
    ref = {"a": (TIMES10[:2], [np.array([220.0]), np.array([330.0])])}
    write_estimate(TIMES10[:2], [np.array([220.0]), np.array([])], tmp_path / "a.txt")
    table = evaluate_directory(tmp_path, ref)
    assert list(table.columns) == ["track_id", *METRICS]
    assert table.loc[0, "recall"] == pytest.approx(0.5)
    assert table.loc[0, "precision"] == pytest.approx(1.0)
    (tmp_path / "a.txt").unlink()
    with pytest.raises(InputError, match="no estimate for track 'a'"):
        evaluate_directory(tmp_path, ref)


def test_salience_peaks_at_a_threshold_are_decode_multif0():
    bins = PitchBins(n_bins=20)
    rng = np.random.default_rng(0)
    salience = rng.random((5, 20))
    candidates = salience_peaks(salience, bins.hz(), TIMES10[:5], floor=0.01)
    for threshold in (0.02, 0.3, 0.6, 0.9):
        for got, want in zip(
            candidates.at(threshold), decode_multif0(salience, bins, threshold), strict=True
        ):
            np.testing.assert_array_equal(got, want)


def test_tune_threshold_maximises_accuracy():
    # Frame 0: the true 220 Hz has strength 0.5, a spurious 500 Hz 0.2: a threshold in
    # (0.2, 0.5] is exact; a higher one misses, a lower one false-alarms.
    track = Candidates(
        TIMES10[:2],
        [np.array([220.0, 500.0]), np.array([330.0])],
        [np.array([0.5, 0.2]), np.array([0.7])],
    )
    reference = (TIMES10[:2], [np.array([220.0]), np.array([330.0])])
    threshold, score = tune_threshold([track], [reference], np.array([0.1, 0.2, 0.3, 0.6]))
    assert (threshold, score) == (0.3, 1.0)
    with pytest.raises(InputError):
        tune_threshold([track], [])


def test_threshold_accuracies_are_mir_eval_accuracies():
    rng = np.random.default_rng(1)
    thresholds = np.array([0.0, 0.2, 0.5, 0.8])
    tracks, refs = [], []
    for offset in (0.0, 0.003):  # the second track's candidates lie off the reference grid
        times = np.arange(40) * 0.01
        # close pitches (semitones 0-7 around A4, quarter-tone jitter) make matchings ambiguous
        ref = [440.0 * 2 ** (rng.integers(0, 8, rng.integers(0, 4)) / 12) for _ in times]
        freqs = [440.0 * 2 ** (rng.uniform(-0.5, 8, rng.integers(0, 5)) / 12) for _ in times]
        strengths = [rng.random(f.size) for f in freqs]
        tracks.append(Candidates(times + offset, freqs, strengths))
        refs.append((times, ref))
    want = [
        np.mean(
            [
                multipitch_metrics(*r, t.times, t.at(threshold))["accuracy"]
                for t, r in zip(tracks, refs, strict=True)
            ]
        )
        for threshold in thresholds
    ]
    np.testing.assert_allclose(threshold_accuracies(tracks, refs, thresholds), want)


def _tones(midis, seconds=1.0, sr=22050):
    t = np.arange(int(seconds * sr)) / sr
    y = sum(
        0.5**h * np.sin(2 * np.pi * h * librosa.midi_to_hz(m) * t)
        for m in midis
        for h in range(1, 5)
    )
    return (0.3 * y / np.max(np.abs(y))).astype(np.float32)


def test_salience_peak_finds_both_notes_of_a_chord():
    sr, hop = 22050, 256
    hcqt = compute_feature(_tones([60, 64]), sr, "hcqt", hop_length=hop)
    freqs = feature_bin_frequencies("hcqt", sr)
    track = salience_peak_candidates(hcqt, freqs, frame_times(len(hcqt), sr, hop))
    middle = len(hcqt) // 2
    strongest = track.freqs[middle][np.argsort(track.strengths[middle])[-2:]]
    assert sorted(np.round(librosa.hz_to_midi(strongest))) == [60, 64]
    assert max(s.max(initial=0) for s in track.strengths) == pytest.approx(1.0)


def test_basic_pitch_frame_times_follow_its_window_offsets():
    times = basic_pitch_frame_times(173)
    assert times[1] == pytest.approx(256 / 22050)
    # Frame 172 opens the second 2-s window: shifted back by 256/22050 * (172 - 43844/256)
    # + 0.0018 s (basic_pitch.note_creation.model_frames_to_time).
    shift = 256 / 22050 * (172 - 43844 / 256) + 0.0018
    assert times[172] == pytest.approx(172 * 256 / 22050 - shift)


@pytest.mark.skipif(not HAS_BASIC_PITCH, reason="basic-pitch is not installed")
def test_basic_pitch_transcribes_a_chord():
    y = _tones([57, 64], seconds=3.0)
    track = basic_pitch_candidates(y, BP_SR)
    assert len(track.times) == int(np.floor(y.size * 86 / 22050))
    middle = track.at(0.3)[len(track.times) // 2]
    assert {57, 64} <= set(np.round(librosa.hz_to_midi(middle)).astype(int))


def test_pianoroll_classes_true_positives_false_positives_and_misses():
    ref = [np.array([440.0, 220.0]), np.array([330.0])]
    est = [np.array([441.0, 500.0]), np.array([])]
    classes = classify_frames(ref, est)
    midi = {name: list(np.round(m, 1)) for name, (_, m) in classes.items()}
    assert midi["true positive"] == [round(librosa.hz_to_midi(441.0), 1)]
    assert midi["false positive"] == [round(librosa.hz_to_midi(500.0), 1)]
    assert list(classes["miss"][0]) == [0, 1]
    fig = pianoroll(TIMES10[:2], ref, TIMES10[:2], est, title="t")
    labels = [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    assert labels == ["true positive", "false positive", "miss"]


def test_check_experiment_names_the_bad_key():
    config = {"features": {"cqt": {"kind": "cqt"}, "hcqt": {"kind": "hcqt"}}}
    with pytest.raises(InputError, match="experiments.x.input.*hcqt"):
        check_experiment("x", {"baseline": "salience_peak", "input": {"feature": "cqt"}}, config)
    with pytest.raises(InputError, match="audio"):
        check_experiment("x", {"baseline": "basic_pitch", "input": {"feature": "cqt"}}, config)
    train = {"method": "train", "input": {"feature": "cqt"}, "model_args": {"voicing_head": True}}
    with pytest.raises(InputError, match="voicing_head"):
        check_experiment("x", train, config)
    check_experiment("x", {**train, "model_args": {}}, config)

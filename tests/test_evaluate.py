import warnings

import mir_eval
import numpy as np
import pandas as pd
import pytest

from mirlab.errors import InputError
from mirlab.evaluation.evaluate import paired_test, summarize, write_results
from mirlab.families.melody.metrics import (
    MELODY_METRICS,
    evaluate_directory,
    evaluate_tracks,
    melody_metrics,
    read_estimate_csv,
    write_estimate_csv,
)

HOP = 0.01
TIMES10 = np.arange(10) * HOP


def cents(f0: float, offset: float) -> float:
    return f0 * 2.0 ** (offset / 1200.0)


def test_hand_counted_octave_errors_and_false_alarm():
    # Frames 0-7 voiced at 220 Hz, 8-9 unvoiced. Estimate: 0-4 right, 5-6 an octave up,
    # 7 missed (unvoiced), 8 a false alarm, 9 correctly unvoiced.
    ref = np.array([220.0] * 8 + [0.0, 0.0])
    est = np.array([220.0] * 5 + [440.0, 440.0, 0.0, 300.0, 0.0])
    scores = melody_metrics(TIMES10, ref, TIMES10, est)
    assert scores["voicing_recall"] == pytest.approx(7 / 8)
    assert scores["voicing_false_alarm"] == pytest.approx(1 / 2)
    assert scores["voicing_accuracy"] == pytest.approx(8 / 10)  # 0-6 and 9
    assert scores["raw_pitch_accuracy"] == pytest.approx(5 / 8)
    assert scores["raw_chroma_accuracy"] == pytest.approx(7 / 8)
    assert scores["overall_accuracy"] == pytest.approx(6 / 10)  # 0-4 and 9
    assert scores["overall_chroma_accuracy"] == pytest.approx(8 / 10)  # 0-6 and 9
    # The two octave errors count as harmonic hits from h2 on; frame 7 never does.
    for h in range(2, 6):
        assert scores[f"raw_harmonic_accuracy_h{h}"] == pytest.approx(7 / 8)
    assert list(scores) == list(MELODY_METRICS)


def test_negative_f0_is_unvoiced_but_counts_for_raw_pitch():
    # MIREX convention: -220 means "unvoiced, but the pitch would be 220 Hz".
    ref = np.full(10, 220.0)
    est = np.array([220.0] * 6 + [-220.0] * 4)
    scores = melody_metrics(TIMES10, ref, TIMES10, est)
    assert scores["voicing_recall"] == pytest.approx(0.6)
    assert scores["raw_pitch_accuracy"] == pytest.approx(1.0)
    assert scores["overall_accuracy"] == pytest.approx(0.6)


def test_harmonic_accuracy_counts_each_harmonic_from_its_own_order():
    # 10 voiced frames: 2 right, and 2 each at 2x, 1/3x, 4x, 5x the reference.
    ref = np.full(10, 200.0)
    est = np.array([200, 200, 400, 400, 200 / 3, 200 / 3, 800, 800, 1000, 1000], dtype=float)
    scores = melody_metrics(TIMES10, ref, TIMES10, est)
    assert scores["raw_pitch_accuracy"] == pytest.approx(0.2)
    assert scores["raw_harmonic_accuracy_h2"] == pytest.approx(0.4)
    assert scores["raw_harmonic_accuracy_h3"] == pytest.approx(0.6)
    assert scores["raw_harmonic_accuracy_h4"] == pytest.approx(0.8)
    assert scores["raw_harmonic_accuracy_h5"] == pytest.approx(1.0)


def test_tighter_tolerances_are_strictly_stricter():
    # Offsets of 5, 15 and 30 cents: all within 50, two within 25, one within 10.
    ref = np.full(9, 300.0)
    est = np.array([cents(300.0, c) for c in [5, 15, 30] * 3])
    scores = melody_metrics(TIMES10[:9], ref, TIMES10[:9], est)
    for kind in ("pitch", "chroma"):
        assert scores[f"raw_{kind}_accuracy"] == pytest.approx(1.0)
        assert scores[f"raw_{kind}_accuracy_25c"] == pytest.approx(2 / 3)
        assert scores[f"raw_{kind}_accuracy_10c"] == pytest.approx(1 / 3)


def test_standard_metrics_equal_mir_eval_on_random_series():
    rng = np.random.default_rng(7)
    ref_times = np.arange(500) * 0.0058
    ref_f0 = np.where(rng.random(500) < 0.7, rng.uniform(80, 800, 500), 0.0)
    # The estimate lives on a different grid (resampled by mir_eval), is often near the
    # reference, sometimes an octave off, sometimes unvoiced or negative.
    est_times = np.arange(300) * 0.01
    near = np.interp(est_times, ref_times, ref_f0) * 2.0 ** rng.normal(0, 0.05, 300)
    est_f0 = np.where(rng.random(300) < 0.2, 2 * near, near)
    est_f0 = np.where(rng.random(300) < 0.1, -est_f0, est_f0)
    ours = melody_metrics(ref_times, ref_f0, est_times, est_f0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = mir_eval.melody.evaluate(ref_times, ref_f0, est_times, est_f0)
    for name in ("Voicing Recall", "Voicing False Alarm", "Raw Pitch Accuracy"):
        assert ours[name.lower().replace(" ", "_")] == pytest.approx(theirs[name], abs=1e-12)
    assert ours["raw_chroma_accuracy"] == pytest.approx(theirs["Raw Chroma Accuracy"], abs=1e-12)
    assert ours["overall_accuracy"] == pytest.approx(theirs["Overall Accuracy"], abs=1e-12)
    assert 0 < ours["raw_pitch_accuracy"] < ours["raw_harmonic_accuracy_h2"] < 1
    assert ours["overall_chroma_accuracy"] > ours["overall_accuracy"]


def test_unvoiced_reference_scores_like_mir_eval_without_warnings():
    ref = np.zeros(10)
    est = np.array([0.0] * 7 + [100.0] * 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores = melody_metrics(TIMES10, ref, TIMES10, est)
    assert scores["raw_pitch_accuracy"] == 0.0
    assert scores["raw_harmonic_accuracy_h5"] == 0.0
    assert scores["voicing_recall"] == 1.0
    assert scores["voicing_false_alarm"] == pytest.approx(0.3)
    assert scores["overall_accuracy"] == pytest.approx(0.7)
    assert scores["voicing_accuracy"] == pytest.approx(0.7)


@pytest.mark.parametrize(
    ("times", "f0", "problem"),
    [
        ([], [], "no frames"),
        ([0.0, 0.01], [100.0], "same length"),
        ([0.0, 0.01], [100.0, np.nan], "NaN"),
        ([0.0, 0.02, 0.01], [1.0, 1.0, 1.0], "not increasing"),
    ],
)
def test_bad_series_are_rejected(times, f0, problem):
    with pytest.raises(InputError, match=f"estimate.*{problem}"):
        melody_metrics(TIMES10, np.ones(10), np.array(times), np.array(f0))


def test_estimate_csv_round_trip_is_byte_stable(tmp_path):
    times = np.arange(5) * (128 / 44100)
    f0 = np.array([0.0, 220.0, 220.5, -110.25, 0.0])
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    write_estimate_csv(times, f0, first)
    write_estimate_csv(times, f0, second)
    assert first.read_bytes() == second.read_bytes()
    assert first.read_text().splitlines()[:2] == [
        "0.000000000,0.000000000",
        "0.002902494,220.000000000",
    ]
    read_times, read_f0 = read_estimate_csv(first)
    np.testing.assert_allclose(read_times, times, atol=5e-10)
    np.testing.assert_array_equal(read_f0, f0)
    with warnings.catch_warnings():  # mir_eval's check for a uniform time grid
        warnings.simplefilter("error")
        mir_eval.melody.resample_melody_series(read_times, read_f0, read_f0 > 0, TIMES10 / 100)


def test_estimate_csv_accepts_header_whitespace_and_crlf(tmp_path):
    path = tmp_path / "est.txt"
    path.write_bytes(b"time\tfrequency\r\n0.00\t0\r\n\r\n0.01   440.5\r\n0.02, 441\r\n")
    times, f0 = read_estimate_csv(path)
    np.testing.assert_array_equal(times, [0.0, 0.01, 0.02])
    np.testing.assert_array_equal(f0, [0.0, 440.5, 441.0])


def test_real_fixture_scored_against_itself_is_perfect(fixtures_dir):
    path = (
        fixtures_dir
        / "mdb_stem_synth/annotation_stems/AClassicEducation_NightOwl_STEM_08.RESYN.csv"
    )
    times, f0 = read_estimate_csv(path)
    assert times.size == 1034 and np.any(f0 > 0)
    scores = melody_metrics(times, f0, times, f0)
    assert scores["overall_accuracy"] == 1.0
    assert scores["raw_pitch_accuracy_10c"] == 1.0
    assert scores["voicing_false_alarm"] == 0.0


def test_orchset_tab_separated_fixture_reads(fixtures_dir):
    times, f0 = read_estimate_csv(fixtures_dir / "orchset/GT/Beethoven-S3-I-ex1.mel")
    np.testing.assert_allclose(times, [0.07, 0.08, 0.09])
    np.testing.assert_allclose(f0, [0.0, 0.0, 622.254])


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("", "holds no \\(time, f0\\) rows"),
        ("time,f0\n", "holds no \\(time, f0\\) rows"),
        ("0.0,1.0\n0.01,nan\n", "line 2: NaN"),
        ("0.0,1.0\n0.02,1.0\n0.01,1.0\n", "line 3: time is not increasing"),
        ("0.0,1.0\n0.0,1.0\n", "line 2: time is not increasing"),
        ("0.0,1.0,0.5\n", "line 1: 3 columns"),
        ("0.0,1.0\n0.01,abc\n", "line 2: cannot parse"),
        ("-0.01,1.0\n", "line 1: negative time"),
    ],
)
def test_bad_estimate_files_name_the_file(tmp_path, content, problem):
    path = tmp_path / "broken_estimate.csv"
    path.write_text(content)
    with pytest.raises(InputError, match=f"broken_estimate.csv: {problem}"):
        read_estimate_csv(path)


def test_missing_estimate_file_is_named(tmp_path):
    with pytest.raises(InputError, match="nothing.csv: estimate file does not exist"):
        read_estimate_csv(tmp_path / "nothing.csv")


def test_evaluate_tracks_sorts_and_names_bad_tracks():
    ref = np.full(10, 220.0)
    pairs = [("b", TIMES10, ref, TIMES10, ref), ("a", TIMES10, ref, TIMES10, ref / 2)]
    table = evaluate_tracks(pairs)
    assert list(table.columns) == ["track_id", *MELODY_METRICS]
    assert list(table["track_id"]) == ["a", "b"]
    assert list(table["raw_pitch_accuracy"]) == [0.0, 1.0]
    with pytest.raises(InputError, match="track c \\(reference\\)"):
        evaluate_tracks([("c", TIMES10, ref[:5], TIMES10, ref)])
    with pytest.raises(ValueError, match="'a' is given twice"):
        evaluate_tracks(pairs + [pairs[1]])


def test_evaluate_directory(tmp_path):
    ref = np.full(10, 220.0)
    references = {"t1": (TIMES10, ref), "t2": (TIMES10, ref)}
    write_estimate_csv(TIMES10, ref, tmp_path / "t1.csv")
    with pytest.raises(InputError, match="t2.csv: no estimate for track 't2'"):
        evaluate_directory(tmp_path, references)
    write_estimate_csv(TIMES10, ref * 2, tmp_path / "t2.csv")
    (tmp_path / "notes.txt").write_text("ignored")
    table = evaluate_directory(tmp_path, references)
    assert list(table["track_id"]) == ["t1", "t2"]
    assert list(table["raw_pitch_accuracy"]) == [1.0, 0.0]
    assert list(table["raw_chroma_accuracy"]) == [1.0, 1.0]
    write_estimate_csv(TIMES10, ref, tmp_path / "t3.csv")
    with pytest.raises(InputError, match="t3.csv: estimate for unknown track 't3'"):
        evaluate_directory(tmp_path, references)


def per_track_table(values: np.ndarray, metric: str = "overall_accuracy") -> pd.DataFrame:
    return pd.DataFrame({"track_id": [f"t{i:02d}" for i in range(len(values))], metric: values})


def test_summary_bootstrap_interval_is_deterministic_and_holds_the_mean():
    rng = np.random.default_rng(3)
    values = rng.uniform(0.3, 0.9, 20)
    table = per_track_table(values)
    table["voicing_recall"] = rng.uniform(0.5, 1.0, 20)
    summary = summarize(table)
    assert list(summary.columns) == ["metric", "mean", "median", "ci_low", "ci_high", "n_tracks"]
    assert list(summary["metric"]) == ["overall_accuracy", "voicing_recall"]
    row = summary.iloc[0]
    assert row["mean"] == pytest.approx(values.mean())
    assert row["median"] == pytest.approx(np.median(values))
    assert row["ci_low"] < row["mean"] < row["ci_high"]
    assert row["n_tracks"] == 20
    pd.testing.assert_frame_equal(summary, summarize(table))
    assert summarize(table, seed=1).iloc[0]["ci_low"] != row["ci_low"]
    narrower = summarize(table, confidence=0.5).iloc[0]
    assert row["ci_low"] < narrower["ci_low"] < narrower["ci_high"] < row["ci_high"]


def test_summary_of_one_track_or_constant_scores_collapses():
    for values in (np.array([0.42]), np.full(5, 0.7)):
        row = summarize(per_track_table(values)).iloc[0]
        assert row["ci_low"] == row["mean"] == row["ci_high"] == pytest.approx(values[0])
    # An infinite score (the mean patch's compression ratio: 8192 values over 0) on one track.
    row = summarize(per_track_table(np.array([np.inf]))).iloc[0]
    assert row["ci_low"] == row["mean"] == row["ci_high"] == np.inf
    with pytest.raises(ValueError, match="empty"):
        summarize(per_track_table(np.array([])))
    with pytest.raises(ValueError, match="NaN"):
        summarize(per_track_table(np.array([0.1, np.nan])))


def test_paired_test_sign_and_shared_tracks():
    rng = np.random.default_rng(5)
    worse = rng.uniform(0.2, 0.6, 10)
    better = worse + rng.uniform(0.01, 0.1, 10)
    a, b = per_track_table(better), per_track_table(worse)
    result = paired_test(a, b, "overall_accuracy", names=("hcnn", "pyin"))
    assert result["n_tracks"] == 10
    assert result["mean_difference"] == pytest.approx(np.mean(better - worse))
    assert result["mean_difference"] > 0
    assert result["p_value"] == pytest.approx(2 / 2**10)  # exact: all 10 differences positive
    flipped = paired_test(b, a, "overall_accuracy")
    assert flipped["mean_difference"] == pytest.approx(-result["mean_difference"])
    assert flipped["p_value"] == pytest.approx(result["p_value"])
    partial = paired_test(a.iloc[:4], b.iloc[2:], "overall_accuracy")
    assert partial["n_tracks"] == 2
    disjoint = b.assign(track_id=[f"x{i}" for i in range(10)])
    with pytest.raises(ValueError, match="'hcnn' and 'pyin' share no track.*overall_accuracy"):
        paired_test(a, disjoint, "overall_accuracy", names=("hcnn", "pyin"))
    with pytest.raises(ValueError, match="'pyin' has no metric 'voicing_recall'"):
        paired_test(a.assign(voicing_recall=1.0), b, "voicing_recall", names=("hcnn", "pyin"))


def test_write_results_is_byte_stable(tmp_path):
    table = per_track_table(np.array([0.5, 1 / 3]))
    summary = summarize(table)
    write_results(table, summary, tmp_path / "per_track.csv", tmp_path / "summary.csv")
    text = (tmp_path / "per_track.csv").read_text()
    assert text == "track_id,overall_accuracy\nt00,0.500000\nt01,0.333333\n"
    assert (
        (tmp_path / "summary.csv")
        .read_text()
        .startswith(
            "metric,mean,median,ci_low,ci_high,n_tracks\noverall_accuracy,0.416667,0.416667,"
        )
    )

import mir_eval
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from mirlab.data import annotations
from mirlab.data.features import frame_times
from mirlab.errors import InputError
from mirlab.storage import write_parquet


def test_melody_to_grid_hand_case():
    times = [0.0, 0.1, 0.2, 0.3]
    f0 = [100.0, 200.0, 0.0, 300.0]
    grid = [0.0, 0.05, 0.15, 0.25, 0.3, 0.35]
    # linear pitch between voiced samples, voicing held from the previous sample,
    # and nothing after the last annotated time
    np.testing.assert_allclose(
        annotations.melody_to_grid(times, f0, grid), [100, 150, 200, 0, 300, 0]
    )


def test_melody_to_grid_mirex_negative_f0_is_unvoiced_but_guides_the_pitch():
    grid = [0.0, 0.05, 0.15]
    np.testing.assert_allclose(
        annotations.melody_to_grid([0.0, 0.1, 0.2], [100.0, -200.0, 0.0], grid), [100, 150, 0]
    )


def test_melody_to_grid_before_first_annotation_is_unvoiced():
    out = annotations.melody_to_grid([0.02, 0.04], [440.0, 440.0], [0.0, 0.01, 0.02, 0.03])
    np.testing.assert_allclose(out, [0, 0, 440, 440])


def test_melody_to_grid_matches_mir_eval_on_medleydb_hop(fixtures_dir):
    # MedleyDB's grid (hop 256 at 44100 Hz) onto the model grid (hop 256 at 22050 Hz)
    hop = 256 / 44100
    times = np.arange(200) * hop
    f0 = 220.0 * 2 ** (np.sin(np.arange(200) / 15.0) / 6)
    f0[40:60] = 0.0
    f0[120:125] = -f0[120:125]
    grid = frame_times(90, 22050, 256)
    inside = grid <= times[-1]
    freqs, voicing = mir_eval.melody.freq_to_voicing(f0)
    expected_f, expected_v = mir_eval.melody.resample_melody_series(
        times, freqs, voicing, grid[inside]
    )
    out = annotations.melody_to_grid(times, f0, grid)
    np.testing.assert_allclose(out[inside], np.where(expected_v > 0.5, expected_f, 0.0))
    assert np.all(out[~inside] == 0)
    # and a real MedleyDB annotation file goes through
    path = fixtures_dir / "medleydb_melody/melody2/MusicDelta_Beethoven_MELODY2.csv"
    real_times, real_f0 = mir_eval.io.load_time_series(str(path), delimiter=",")
    real = annotations.melody_to_grid(real_times, real_f0, frame_times(10, 22050, 256))
    assert real.shape == (10,) and np.all(real >= 0)


def test_multif0_to_grid_nearest_sample_and_empty_outside():
    times = np.array([0.0, 0.1, 0.2])
    freqs = [np.array([100.0]), np.array([100.0, 150.0]), np.array([])]
    grid = np.array([0.0, 0.04, 0.06, 0.16, 0.3])
    out = annotations.multif0_to_grid(times, freqs, grid)
    expected = mir_eval.multipitch.resample_multipitch(times, freqs, grid)
    assert [list(a) for a in out] == [list(a) for a in expected]
    assert [list(a) for a in out] == [[100], [100], [100, 150], [], []]


def test_chords_to_grid_hand_case():
    intervals = [[0.0, 1.0], [1.0, 2.5], [3.0, 4.0]]
    labels = ["C:maj", "A:min", "G:7"]
    grid = [0.0, 0.5, 1.0, 2.4, 2.5, 2.7, 3.0, 3.99, 4.0, 4.5]
    assert list(annotations.chords_to_grid(intervals, labels, grid)) == [
        "C:maj",
        "C:maj",
        "A:min",  # the later of two touching segments wins
        "A:min",
        "A:min",
        "N",  # the gap between segments
        "G:7",
        "G:7",
        "G:7",
        "N",
    ]


def test_chords_to_grid_on_a_real_lab_file(fixtures_dir):
    lab = next((fixtures_dir / "beatles/annotations/chordlab").rglob("*.lab"))
    intervals, labels = mir_eval.io.load_labeled_intervals(str(lab))
    grid = frame_times(1000, 22050, 256)  # 11.6 s
    out = annotations.chords_to_grid(intervals, labels, grid)
    for t, label in zip(grid[::50], out[::50], strict=True):
        covering = [lab for (a, b), lab in zip(intervals, labels, strict=True) if a <= t <= b]
        assert label == (covering[-1] if covering else "N")


def test_notes_to_grid_sounding_notes():
    out = annotations.notes_to_grid([[0.0, 1.0], [0.5, 2.0]], [100.0, 200.0], [0, 0.5, 1, 2, 3])
    assert [list(a) for a in out] == [[100], [100, 200], [200], [], []]


def test_tables_round_trip_through_parquet(tmp_path):
    times = np.array([0.0, 0.01, 0.02])
    melody = pd.concat(
        [
            annotations.melody_frame("a", times, [0.0, 220.0, -220.0]),
            annotations.melody_frame("b", times[:2], [110.0, 0.0]),
        ],
        ignore_index=True,
    )
    write_parquet(melody, tmp_path / "melody.parquet")
    back = pd.read_parquet(tmp_path / "melody.parquet")
    assert list(back.columns) == ["track_id", "time", "f0"]
    t, f0 = annotations.melody_from_frame(back, "a")
    np.testing.assert_array_equal(t, times)
    np.testing.assert_array_equal(f0, [0.0, 220.0, -220.0])  # MIREX sign kept

    mf0 = annotations.multif0_frame("a", times, [[], [220.0, 330.0], [110.0]])
    write_parquet(mf0, tmp_path / "multif0.parquet")
    schema = pq.read_schema(tmp_path / "multif0.parquet")
    assert str(schema.field("f0s").type) == "list<element: double>"
    t, freqs = annotations.multif0_from_frame(pd.read_parquet(tmp_path / "multif0.parquet"), "a")
    assert [list(f) for f in freqs] == [[], [220.0, 330.0], [110.0]]
    silent = annotations.multif0_frame("s", times[:2], [[], []])
    write_parquet(silent, tmp_path / "silent.parquet")
    assert str(pq.read_schema(tmp_path / "silent.parquet").field("f0s").type) == (
        "list<element: double>"
    )

    chords = annotations.chords_frame("a", [[0.0, 1.5], [1.5, 3.0]], ["N", "E:min"])
    write_parquet(chords, tmp_path / "chords.parquet")
    intervals, labels = annotations.chords_from_frame(
        pd.read_parquet(tmp_path / "chords.parquet"), "a"
    )
    np.testing.assert_array_equal(intervals, [[0.0, 1.5], [1.5, 3.0]])
    assert labels == ["N", "E:min"]

    notes = annotations.notes_frame("a", [[0.0, 0.5]], [440.0])
    write_parquet(notes, tmp_path / "notes.parquet")
    intervals, pitches = annotations.notes_from_frame(
        pd.read_parquet(tmp_path / "notes.parquet"), "a"
    )
    np.testing.assert_array_equal(intervals, [[0.0, 0.5]])
    np.testing.assert_array_equal(pitches, [440.0])


def test_to_grid_gives_one_row_per_frame_for_each_kind():
    grid = np.array([0.0, 0.5, 1.0])
    melody = annotations.melody_frame("a", [0.0, 1.0], [100.0, 200.0])
    out = annotations.to_grid("melody", "a", melody, grid)
    assert list(out.columns) == ["track_id", "time", "f0"]
    np.testing.assert_allclose(out["f0"], [100, 150, 200])
    chords = annotations.chords_frame("a", [[0.0, 0.6]], ["C:maj"])
    assert list(annotations.to_grid("chords", "a", chords, grid)["label"]) == [
        "C:maj",
        "C:maj",
        "N",
    ]
    notes = annotations.notes_frame("a", [[0.4, 0.9]], [440.0])
    assert [list(f) for f in annotations.to_grid("notes", "a", notes, grid)["f0s"]] == [
        [],
        [440.0],
        [],
    ]
    with pytest.raises(InputError, match="beats"):
        annotations.to_grid("beats", "a", melody, grid)


@pytest.mark.parametrize(
    ("times", "f0", "message"),
    [
        ([0.0, 0.2, 0.1], [1.0, 1.0, 1.0], "not increasing at row 2"),
        ([0.0, np.nan], [1.0, 1.0], "row 1"),
        ([-0.1, 0.0], [1.0, 1.0], "negative"),
        ([0.0, 0.1], [1.0, np.inf], "value at row 1"),
        ([0.0, 0.1], [1.0], "equal length"),
        ([0.0], [1.0], "at least 2 rows"),
    ],
)
def test_bad_melody_series_is_an_input_error_naming_the_source(times, f0, message):
    with pytest.raises(InputError, match=message) as error:
        annotations.melody_to_grid(times, f0, [0.0], where="x_MELODY2.csv")
    assert error.value.where == "x_MELODY2.csv"


def test_bad_chords_and_missing_tracks_are_input_errors():
    with pytest.raises(InputError, match="strictly positive"):
        annotations.chords_to_grid([[1.0, 0.5]], ["C"], [0.0])
    with pytest.raises(InputError, match="n values"):
        annotations.chords_frame("a", [[0.0, 1.0]], ["C", "G"])
    table = annotations.melody_frame("a", [0.0, 0.1], [1.0, 1.0])
    with pytest.raises(InputError, match="'b'"):
        annotations.melody_from_frame(table, "b")
    with pytest.raises(InputError, match="missing columns"):
        annotations.chords_from_frame(table, "a")

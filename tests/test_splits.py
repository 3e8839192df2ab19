from collections import Counter
from pathlib import Path

import pytest

from mirlab.data import splits
from mirlab.errors import InputError

REPO = Path(__file__).resolve().parents[1]
FRACTIONS = {"train": 0.6, "valid": 0.2, "test": 0.2}


def dataset(n_artists: int = 12, seed: int = 0) -> tuple[list[str], list[str]]:
    """Track ids and artists: artist k has 1 + k % 4 tracks."""
    track_ids, artists = [], []
    for k in range(n_artists):
        for song in range(1 + k % 4):
            track_ids.append(f"Artist{k}_Song{song}")
            artists.append(f"Artist {k}")
    return track_ids, artists


def test_read_split_file(tmp_path):
    path = tmp_path / "split.yaml"
    path.write_text("train: [a, b]\nvalid: [c]\ntest: [d]\n")
    assert splits.read_split_file(path) == {"a": "train", "b": "train", "c": "valid", "d": "test"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("train: [a, b]\ntest: [b]\n", "'b' is listed in both 'train' and 'test'"),
        ("train: [a, a]\n", "'a' is listed twice in 'train'"),
        ("validation: [a]\n", "unknown part 'validation'"),
        ("train: a\n", "must be a list"),
        ("- a\n- b\n", "must be a mapping"),
        ("train: [a\n", "not valid YAML"),
        ("train: []\n", "names no tracks"),
    ],
)
def test_bad_split_files_name_file_and_problem(tmp_path, text, message):
    path = tmp_path / "split.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=message) as error:
        splits.read_split_file(path)
    assert error.value.where == str(path)


def test_shipped_medleydb_split_is_disjoint_with_published_counts():
    split = splits.read_split_file(REPO / "config/splits/medleydb_artist.yaml")
    # the published 67/15/27 lists one track in both train and test; see the file's header
    assert Counter(split.values()) == {"train": 66, "valid": 15, "test": 27}
    assert split["MatthewEntwistle_DontYouEver"] == "test"
    assert split["AClassicEducation_NightOwl"] == "test"
    assert split["LizNelson_Rainfall"] == "train"


def test_seeded_split_is_deterministic_and_order_independent():
    track_ids, artists = dataset()
    first = splits.seeded_split(track_ids, artists, FRACTIONS, seed=3)
    again = splits.seeded_split(track_ids[::-1], artists[::-1], FRACTIONS, seed=3)
    assert first == again
    assert set(first) == set(track_ids)
    others = [splits.seeded_split(track_ids, artists, FRACTIONS, seed=s) for s in range(4, 8)]
    assert any(other != first for other in others)


@pytest.mark.parametrize("seed", range(10))
def test_seeded_split_is_artist_disjoint_and_close_to_fractions(seed):
    track_ids, artists = dataset()
    split = splits.seeded_split(track_ids, artists, FRACTIONS, seed=seed)
    splits.check_split(split, track_ids, artists)  # no artist in two parts
    counts = Counter(split.values())
    largest_group = 4
    for part, share in FRACTIONS.items():
        assert counts[part] >= 1
        assert abs(counts[part] - share * len(track_ids)) <= largest_group


def test_seeded_split_fills_every_part_when_groups_allow():
    # one big artist and two single-track artists: a naive greedy would leave test empty
    track_ids = ["big1", "big2", "big3", "big4", "solo_a", "solo_b"]
    artists = ["Big"] * 4 + ["A", "B"]
    for seed in range(10):
        split = splits.seeded_split(
            track_ids, artists, {"train": 0.8, "valid": 0.1, "test": 0.1}, seed
        )
        assert set(split.values()) == {"train", "valid", "test"}
        splits.check_split(split, track_ids, artists)


def test_seeded_split_without_groups_splits_tracks():
    track_ids = [f"t{k}" for k in range(10)]
    split = splits.seeded_split(track_ids, None, FRACTIONS, seed=0)
    assert Counter(split.values()) == {"train": 6, "valid": 2, "test": 2}


@pytest.mark.parametrize(
    ("fractions", "message"),
    [
        ({"train": 0.5, "valid": 0.2, "test": 0.2}, "sum to 1"),
        ({"train": 0.8, "dev": 0.2}, "unknown part 'dev'"),
        ({"train": 1.2, "test": -0.2}, ">= 0"),
    ],
)
def test_bad_fractions(fractions, message):
    with pytest.raises(InputError, match=message):
        splits.seeded_split(["a", "b"], None, fractions, seed=0)


def test_check_split_errors():
    track_ids = ["a1", "a2", "b1"]
    artists = ["A", "A", "B"]
    with pytest.raises(InputError, match="'zz', which is not in the dataset"):
        splits.check_split({"a1": "train", "zz": "test"}, track_ids, artists)
    with pytest.raises(
        InputError, match=r"group 'A' is in both 'train' \('a1'\) and 'test' \('a2'\)"
    ):
        splits.check_split({"a1": "train", "a2": "test", "b1": "valid"}, track_ids, artists)
    with pytest.raises(InputError, match="unknown part 'holdout'"):
        splits.check_split({"a1": "holdout"}, track_ids)
    with pytest.raises(InputError, match="names no tracks"):
        splits.check_split({}, track_ids)
    # the same split is fine without artist metadata, and with missing artists
    splits.check_split({"a1": "train", "a2": "test", "b1": "valid"}, track_ids)
    splits.check_split({"a1": "train", "a2": "test"}, track_ids, [None, float("nan"), "B"])


def test_split_table():
    table = splits.split_table(
        {"b": "test", "a": "train", "c": "valid"}, ["a", "b", "c"], ["X", None, "Y"]
    )
    assert list(table.columns) == ["track_id", "artist", "part"]
    assert list(table["track_id"]) == ["a", "c", "b"]
    assert list(table["part"]) == ["train", "valid", "test"]
    assert table["artist"].isna().tolist() == [False, False, True]

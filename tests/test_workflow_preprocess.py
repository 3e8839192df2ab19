"""A tiny end-to-end run of the preprocessing DAG: synthetic and real-format datasets."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile

from mirlab.config import param_key
from tests.workflow_utils import snakemake, write_config

pytestmark = pytest.mark.workflow


def tiny_config(fixtures_dir: Path) -> dict:
    return {
        "data_dir": "data",
        "datasets": {
            "tiny": {
                "loader": "synth",
                "generate": {"n_tracks": 4, "duration": 2.0, "seed": 1},
                "split": {
                    "seeded": {"seed": 0, "fractions": {"train": 0.5, "valid": 0.25, "test": 0.25}}
                },
            },
            "stems": {
                "loader": "mdb_stem_synth",
                "root": str(fixtures_dir / "mdb_stem_synth"),
                "split": {"seeded": {"fractions": {"train": 0.0, "valid": 0.0, "test": 1.0}}},
            },
        },
        "features": {
            "cqt": {
                "kind": "cqt",
                "sr": 16000,
                "hop_length": 160,
                "n_octaves": 5,
                "bins_per_octave": 12,
            },
        },
        "audio_rates": [8000],
        "excerpts": {"first": {"dataset": "tiny", "track": "synth_0000", "start": 0.5, "end": 1.5}},
    }


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, fixtures_dir):
    workdir = tmp_path_factory.mktemp("preprocess")
    config = tiny_config(fixtures_dir)
    write_config(workdir, config)
    snakemake(workdir, "--cores", "2")
    return workdir


def only(pattern: str, workdir: Path) -> Path:
    matches = sorted(workdir.glob(pattern))
    assert len(matches) == 1, (pattern, matches)
    return matches[0]


def test_synthetic_dataset_is_generated_indexed_and_split(workdir):
    index = pd.read_parquet(only("data/tiny/*/index.parquet", workdir))
    assert index["track_id"].tolist() == [f"synth_{i:04d}" for i in range(4)]
    split = pd.read_csv(only("data/tiny/*/split-*.csv", workdir))
    assert sorted(split["track_id"]) == index["track_id"].tolist()
    assert set(split["part"]) == {"train", "valid", "test"}
    artists_per_part = split.groupby("artist")["part"].nunique()
    assert (artists_per_part == 1).all()


def test_audio_features_and_annotation_grid_agree(workdir):
    audio = only("data/tiny/*/audio/sr16000", workdir)
    manifest = pd.read_parquet(audio / "manifest.parquet")
    assert (manifest["n_samples"] == 32000).all()
    features = only("data/tiny/*/features/cqt-*", workdir)
    feature_manifest = pd.read_parquet(features / "manifest.parquet")
    grid = pd.read_parquet(
        only("data/tiny/*/annotations/sr16000_hop160", workdir) / "melody.parquet"
    )
    for row in feature_manifest.itertuples():
        cqt = np.load(features / row.file, mmap_mode="r")
        assert cqt.shape == (row.n_frames, 60)
        assert row.n_frames == 32000 // 160 + 1
        assert (grid["track_id"] == row.track_id).sum() == row.n_frames
    assert only("data/tiny/*/audio/sr8000", workdir).is_dir()


def test_real_format_dataset_goes_through_the_same_dag(workdir, fixtures_dir):
    index = pd.read_parquet(only("data/stems/*/index.parquet", workdir))
    assert index["track_id"].tolist() == ["AClassicEducation_NightOwl_STEM_08"]
    original = pd.read_parquet(only("data/stems/*/annotations/original", workdir) / "pitch.parquet")
    reference = np.loadtxt(
        fixtures_dir
        / "mdb_stem_synth/annotation_stems/AClassicEducation_NightOwl_STEM_08.RESYN.csv",
        delimiter=",",
    )
    np.testing.assert_allclose(original["f0"], reference[:, 1])


def test_excerpt_cuts_audio_and_annotation_together(workdir):
    excerpt = only("data/excerpts/first-*", workdir)
    audio, sr = soundfile.read(excerpt / "audio_sr16000.wav")
    assert sr == 16000 and len(audio) == 16000
    melody = pd.read_csv(excerpt / "melody.csv")
    assert melody["time"].min() >= 0 and melody["time"].max() < 1.0
    assert np.load(excerpt / "cqt.npy").shape[0] == pytest.approx(100, abs=1)


def test_rerun_is_a_no_op_and_a_parameter_change_reruns_only_its_dependents(workdir, fixtures_dir):
    assert "Nothing to be done" in snakemake(workdir, "-n").stdout
    config = tiny_config(fixtures_dir)
    config["features"]["cqt"]["hop_length"] = 320
    write_config(workdir, config)
    try:
        dry = snakemake(workdir, "-n", "--quiet", "rules").stdout
    finally:
        write_config(workdir, tiny_config(fixtures_dir))
    assert "extract_features" in dry and "grid_annotations" in dry
    for unaffected in ("generate_synth", "index_dataset", "resample_audio", "make_split"):
        assert unaffected not in dry
    key = param_key(config["features"]["cqt"])
    assert key not in {p.name.split("-")[-1] for p in workdir.glob("data/tiny/*/features/*")}


def test_lint_is_clean(workdir):
    result = snakemake(workdir, "--lint")
    assert "Congratulations, your workflow is in a good condition" in result.stdout + result.stderr


def test_bad_config_is_a_one_line_error_naming_the_key(tmp_path, fixtures_dir):
    config = tiny_config(fixtures_dir)
    config["datasets"]["tiny"]["generate"]["n_track"] = 3
    write_config(tmp_path, config)
    result = snakemake(tmp_path, "-n", check=False)
    assert result.returncode != 0
    assert (
        "config key datasets.tiny.generate: unknown key 'n_track'" in result.stdout + result.stderr
    )

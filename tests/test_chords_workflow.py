"""A tiny end-to-end chord run from a config: a trained CR2+S, the template baseline and an
external folder of .lab files, to estimates, per-track and summary CSVs, results rows and
figures."""

import pandas as pd
import pytest

from mirlab.data.readers import read_lab_chords
from mirlab.families.chords import FAMILY
from tests.workflow_utils import snakemake, write_config

pytestmark = pytest.mark.workflow

PARTS = {"test": [{"dataset": "tiny", "part": "test"}]}


def tiny_config(estimates: str) -> dict:
    return {
        "datasets": {
            "tiny": {
                "loader": "synth",
                "generate": {"n_tracks": 6, "duration": 6.0, "seed": 3, "n_artists": 3},
                "split": {"seeded": {"fractions": {"train": 0.34, "valid": 0.33, "test": 0.33}}},
            }
        },
        "features": {
            "cqt_chords": {
                "kind": "cqt",
                "sr": 44100,
                "hop_length": 4096,
                "bins_per_octave": 36,
                "n_octaves": 6,
            }
        },
        "experiments": {
            "cr2_s": {
                "task": "chords",
                "method": "train",
                "model": "cr2_s",
                "input": {"feature": "cqt_chords"},
                "window": {"n_frames": 32, "hop": 16},
                "training": {"steps": 2, "batch_size": 2, "eval_every": 2, "checkpoint_every": 2},
                "train": [{"dataset": "tiny", "part": "train"}],
                "validate": [{"dataset": "tiny", "part": "valid"}],
                **PARTS,
            },
            "template": {
                "task": "chords",
                "method": "baseline",
                "baseline": "template",
                "input": {"feature": "cqt_chords"},
                **PARTS,
            },
            "external": {"task": "chords", "method": "external", "estimates": estimates, **PARTS},
        },
    }


def test_chord_experiments_run_to_results_and_figures(tmp_path):
    # The external method's estimates: the template's, written by a first run.
    write_config(
        tmp_path, tiny_config(str(tmp_path / "results/template/seed0/predictions/{dataset}"))
    )
    snakemake(tmp_path, "--cores", "2", "results/template/seed0/predictions/tiny")
    snakemake(tmp_path, "--cores", "2")
    results = pd.read_csv(tmp_path / "reports/results.csv")
    assert sorted(results["experiment"]) == ["cr2_s", "external", "template"]
    assert set(FAMILY.metrics) <= set(results.columns)
    rows = results.set_index("experiment")
    assert rows.at["external", "majmin"] == pytest.approx(rows.at["template", "majmin"])
    for name in ("cr2_s", "template", "external"):
        labs = sorted((tmp_path / f"results/{name}/seed0/predictions/tiny").glob("*.lab"))
        assert len(labs) == 2
        for lab in labs:
            read_lab_chords(lab)
        per_track = pd.read_csv(tmp_path / f"results/{name}/seed0/eval/tiny/per_track.csv")
        assert list(per_track.columns) == ["track_id", *FAMILY.metrics] and len(per_track) == 2
        figures = tmp_path / f"reports/figures/{name}/seed0/tiny"
        assert {"confusion.png", "quality_recall.png", "quality_recall.csv"} <= {
            path.name for path in figures.iterdir()
        }
    assert (tmp_path / "results/cr2_s/seed0/model/model.keras").is_file()

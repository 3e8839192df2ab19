"""The family seam: registry, schema fragments, and a family defined in the tests run
through the whole pipeline (SPEC 5)."""

import pandas as pd
import pytest
import yaml

from mirlab.config import check_config
from mirlab.errors import InputError
from mirlab.families.base import Family
from mirlab.families.registry import FAMILIES, get_family
from tests.workflow_utils import REPO, snakemake, write_config

SCHEMA = REPO / "config" / "schema.yaml"
TOY = {"activity": "tests.families.activity"}


def _config(experiments: dict, families: dict | None = None) -> dict:
    return {
        "datasets": {
            "tiny": {
                "loader": "synth",
                "generate": {"n_tracks": 4, "duration": 2.0, "seed": 5, "n_artists": 4},
                "split": {"seeded": {"fractions": {"train": 0.5, "valid": 0.25, "test": 0.25}}},
            }
        },
        "features": {},
        "audio_rates": [],
        "families": families or {},
        "experiments": experiments,
    }


ACTIVITY = {
    "learned": {
        "task": "activity",
        "method": "train",
        "model": "threshold",
        "input": {"audio_sr": 8000, "hop_length": 80},
        "train": [{"dataset": "tiny", "part": "train"}],
        "test": [{"dataset": "tiny", "part": "test"}],
    },
    "fixed": {
        "task": "activity",
        "method": "baseline",
        "baseline": "rms",
        "threshold_db": -30,
        "input": {"audio_sr": 8000, "hop_length": 80},
        "test": [{"dataset": "tiny", "part": "test"}],
    },
}


def test_every_registered_family_loads_and_has_its_schema():
    assert len(set(FAMILIES.values())) >= 2
    for task in FAMILIES:
        family = get_family(task)
        assert isinstance(family, Family)
        assert family.schema.is_file(), task
        assert family.metrics and set(family.headline_metrics) <= set(family.metrics)


def test_an_unknown_task_names_the_known_ones():
    with pytest.raises(InputError, match="'nope' is not one of .*melody"):
        get_family("nope")


def test_a_key_of_another_family_is_an_unknown_key_of_this_one():
    experiment = dict(ACTIVITY["fixed"], target={"n_bins": 10})  # melody's key
    config = _config({"fixed": experiment}, TOY)
    with pytest.raises(InputError, match=r"experiments\.fixed: unknown key 'target'"):
        check_config(config, SCHEMA)


def test_a_family_fragment_sets_its_defaults():
    config = _config({"learned": dict(ACTIVITY["learned"])}, TOY)
    check_config(config, SCHEMA)
    assert config["experiments"]["learned"]["training"]["metric"] == "accuracy"
    melody = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    check_config(melody, SCHEMA)
    assert melody["experiments"]["hcnn"]["training"]["metric"] == "overall_accuracy"
    assert melody["experiments"]["hcnn"]["target"]["n_bins"] == 360


@pytest.mark.workflow
def test_a_family_defined_in_the_tests_runs_through_the_pipeline(tmp_path):
    write_config(tmp_path, _config(ACTIVITY, TOY))
    snakemake(tmp_path, "--cores", "2")
    table = pd.read_csv(tmp_path / "reports" / "results.csv")
    assert sorted(table["experiment"]) == ["fixed", "learned"]
    for metric in ("precision", "recall", "accuracy"):
        assert table[metric].between(0, 1).all() and f"{metric}.ci_low" in table
    assert table["n_tracks"].tolist() == [1, 1]  # the one test track, for both methods
    model = tmp_path / "results" / "learned" / "seed0" / "model" / "t.json"
    assert model.is_file()
    figures = list((tmp_path / "reports" / "figures").glob("*/seed0/tiny/activity-*.png"))
    assert len(figures) == 2
    assert (tmp_path / "reports" / "figures" / "results" / "metric-accuracy.png").is_file()

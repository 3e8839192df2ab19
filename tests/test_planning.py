"""Planning outside Snakemake: which inputs each job reads, its cache keys, what it is given."""

import copy

import pytest

from mirlab.config import check_config, param_key
from mirlab.errors import InputError
from mirlab.planning import Plan
from tests.test_families import TOY
from tests.workflow_utils import REPO

SCHEMA = REPO / "config" / "schema.yaml"


def _config() -> dict:
    config = {
        "datasets": {
            "tiny": {
                "loader": "synth",
                "generate": {"n_tracks": 4, "duration": 2.0, "seed": 5},
                "split": {"seeded": {"fractions": {"train": 0.5, "valid": 0.25, "test": 0.25}}},
            },
            "other": {
                "loader": "synth",
                "generate": {"n_tracks": 4, "duration": 2.0, "seed": 6},
                "split": {"seeded": {"fractions": {"train": 0.5, "valid": 0.25, "test": 0.25}}},
            },
        },
        "features": {"cqt": {"kind": "cqt", "sr": 22050, "hop_length": 256}},
        "audio_rates": [8000],
        "excerpts": {"bit": {"dataset": "tiny", "track": "synth_0001", "start": 0, "end": 1}},
        "families": TOY,
        "experiments": {
            "net": {
                "task": "melody",
                "method": "train",
                "model": "hcnn",
                "input": {"feature": "cqt"},
                "seeds": [0, 1],
                "train": [{"dataset": "tiny", "part": "train"}],
                "validate": [{"dataset": "tiny", "part": "valid"}],
                "test": [{"dataset": "tiny", "part": "test"}],
            },
            "pyin": {
                "task": "pitch",
                "method": "baseline",
                "baseline": "pyin",
                "input": {"audio_sr": 16000, "hop_length": 160},
                "validate": [{"dataset": "tiny", "part": "valid"}],
                "test": [{"dataset": "tiny", "part": "test"}, {"dataset": "other", "part": "all"}],
            },
            "fixed": {
                "task": "activity",
                "method": "baseline",
                "baseline": "rms",
                "input": {"audio_sr": 8000, "hop_length": 80},
                "test": [{"dataset": "other", "part": "all"}],
            },
        },
        "compare": [{"a": "net", "b": "pyin", "dataset": "tiny"}],
    }
    check_config(config, SCHEMA)
    return config


def test_dataset_paths_are_keyed_by_what_identifies_the_bytes():
    plan = Plan(_config())
    key = param_key(plan.dataset_params("tiny"))
    assert plan.dataset_dir("tiny") == f"data/tiny/{key}"
    assert plan.dataset_params("tiny")["generate"]["seed"] == 5
    fkey = param_key(_config()["features"]["cqt"])
    assert plan.feature_path("tiny", "cqt") == f"data/tiny/{key}/features/cqt-{fkey}"
    assert plan.current_dataset("tiny", key)["loader"] == "synth"
    with pytest.raises(InputError, match="stale cache key"):
        plan.current_dataset("tiny", "0" * 10)


def test_rates_and_grids_are_those_of_features_extra_rates_and_models():
    plan = Plan(_config())
    assert plan.audio_rates() == [8000, 16000, 22050]
    assert plan.frame_grids() == [(8000, 80), (16000, 160), (22050, 256)]


def test_jobs_are_given_the_experiment_without_seeds_and_test_sets():
    plan = Plan(_config())
    job = plan.job_experiment("net")
    assert "seeds" not in job and "test" not in job and job["model"] == "hcnn"
    config = _config()
    config["experiments"]["net"]["test"].append({"dataset": "other", "part": "all"})
    more = Plan(config)
    assert more.job_experiment("net") == job
    assert more.training_dir("net", 0) == plan.training_dir("net", 0)
    config["experiments"]["net"]["training"]["steps"] += 1
    assert Plan(config).training_dir("net", 0) != plan.training_dir("net", 0)


def test_inputs_of_training_prediction_and_evaluation():
    plan = Plan(_config())
    base = plan.dataset_dir("tiny")
    assert plan.train_input("net") == sorted(
        {
            plan.feature_path("tiny", "cqt"),
            f"{base}/annotations/sr22050_hop256",
            f"{base}/annotations/original",
            plan.split_path("tiny"),
        }
    )
    assert plan.predict_input("net", 1, "tiny")["model"] == "results/net/seed1/model"
    baseline = plan.predict_input("pyin", 0, "other")
    assert baseline["data"][0] == f"{plan.dataset_dir('other')}/audio/sr16000"
    assert f"{base}/audio/sr16000" in baseline["valid"]
    assert plan.evaluate_input("pyin", 0, "other")["predictions"] == (
        "results/pyin/seed0/predictions/other"
    )
    assert plan.test_part("pyin", "other") == "all"
    with pytest.raises(InputError, match="does not test dataset 'other'"):
        plan.predict_input("net", 0, "other")
    with pytest.raises(InputError, match="has no trained model"):
        plan.train_input("pyin")


def test_each_experiment_reads_its_familys_reference():
    plan = Plan(_config())
    assert plan.dataset_paths("net", "tiny")["reference"] == "melody"
    assert plan.family("fixed").name == "activity"
    assert plan.family_args("fixed") == {"task": "activity", "extra": TOY}
    assert plan.headline_metrics()["fixed"] == ("accuracy",)


def test_result_entries_and_targets():
    plan = Plan(_config())
    entries = plan.result_entries()
    assert [(e["experiment"], e["seed"], e["dataset"]) for e in entries] == [
        ("fixed", 0, "other"),
        ("net", 0, "tiny"),
        ("net", 1, "tiny"),
        ("pyin", 0, "tiny"),
        ("pyin", 0, "other"),
    ]
    assert entries[0]["summary"] == "results/fixed/seed0/eval/other/summary.csv"
    targets = plan.figure_targets()
    assert "reports/paired_tests/tiny/net/pyin.csv" in targets
    assert "reports/figures/compare/tiny/net/pyin.png" in targets
    assert plan.validation_excerpts("net")[0]["name"] == "bit"
    assert plan.excerpt_input("bit", param_key(plan.excerpt_identity("bit")))["index"].endswith(
        "index.parquet"
    )


def test_a_comparison_of_two_families_is_refused():
    config = _config()
    config["compare"] = [{"a": "net", "b": "fixed", "dataset": "other"}]
    config["experiments"]["net"]["test"].append({"dataset": "other", "part": "all"})
    with pytest.raises(InputError, match="compare.0.*different families"):
        Plan(config)


def test_a_model_of_another_family_is_refused():
    config = _config()
    config["experiments"]["fixed"] = copy.deepcopy(config["experiments"]["fixed"])
    config["experiments"]["fixed"]["baseline"] = "pyin"
    with pytest.raises(InputError, match="fixed.baseline.*not one of the activity family's rms"):
        Plan(config)

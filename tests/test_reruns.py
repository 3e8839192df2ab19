"""SPEC 2.3 and 7, reruns: on a completed run, a config change reruns exactly what depends on it.

Each test edits the config of a copy of the completed tiny run
(``test_determinism.completed_run``), lists the jobs of a dry run, and puts the config back.
"""

import copy
import re
from pathlib import Path

import pytest

from mirlab.config import param_key
from tests.test_determinism import EXPERIMENT, completed_run, copy_run, run_config
from tests.workflow_utils import snakemake, write_config

pytestmark = pytest.mark.workflow

# The jobs of one experiment (seed 0, dataset tiny) up to its scores, and what reads them all.
TRAINED_JOBS = {"train_model", "predict", "evaluate", "experiment_figures"}
BASELINE_JOBS = {"predict", "evaluate", "experiment_figures"}
TABLE_JOBS = {("results_table", ""), ("results_figures", "")}

_JOB = re.compile(r"^(?:local)?rule (\w+):$")
_WILDCARDS = re.compile(r"^\s+wildcards: (.*)$")


def planned_jobs(workdir: Path, *args: str) -> set[tuple[str, str]]:
    """(rule, wildcards as ``k=v, ...``) of every job that ``snakemake -n`` would run."""
    lines = snakemake(workdir, "-n", *args).stdout.splitlines()
    jobs, rule, wildcards = set(), None, ""
    for line in [*lines, ""]:
        if (match := _JOB.match(line)) or not line.strip():
            if rule is not None and rule != "all":
                jobs.add((rule, wildcards))
            rule, wildcards = (match.group(1), "") if match else (None, "")
        elif rule is not None and (match := _WILDCARDS.match(line)):
            wildcards = match.group(1).strip()
    return jobs


def experiment_jobs(rules: set[str], experiment: str) -> set[tuple[str, str]]:
    wildcards = {
        "train_model": f"experiment={experiment}, seed=0",
        "predict": f"experiment={experiment}, seed=0, dataset=tiny",
        "evaluate": f"experiment={experiment}, seed=0, dataset=tiny",
        "experiment_figures": f"experiment={experiment}, seed=0, dataset=tiny",
    }
    return {(rule, wildcards[rule]) for rule in rules}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return copy_run(completed_run(tmp_path_factory), tmp_path_factory.mktemp("reruns") / "run")


def jobs_after(workdir: Path, config: dict, *args: str) -> set[tuple[str, str]]:
    write_config(workdir, config)
    try:
        return planned_jobs(workdir, *args)
    finally:
        write_config(workdir, run_config())


def test_a_completed_run_has_nothing_to_do_and_no_changes(workdir):
    assert planned_jobs(workdir) == set()
    for kind in ("input", "code"):
        # (--list-changes params is not used: Snakemake 9.27 lists every file there.)
        listed = snakemake(workdir, "--list-changes", kind).stdout.split()
        assert not [line for line in listed if line.startswith(("data/", "results/"))], kind


@pytest.mark.parametrize(
    ("experiment", "key", "value", "rules"),
    [
        (EXPERIMENT, "training", {"learning_rate": 0.002}, TRAINED_JOBS),
        (EXPERIMENT, "window", {"context": 2}, TRAINED_JOBS),
        ("pyin", "input", {"hop_length": 320}, BASELINE_JOBS),
    ],
)
def test_an_experiment_parameter_reruns_that_experiment_and_the_table(
    workdir, experiment, key, value, rules
):
    config = run_config()
    config["experiments"][experiment][key] = {**config["experiments"][experiment][key], **value}
    jobs = jobs_after(workdir, config)
    # A new hop of the baseline's audio is a new frame grid: annotations resampled to it.
    grid = {grid_job(workdir, 16000, 320)} if key == "input" else set()
    assert jobs == experiment_jobs(rules, experiment) | TABLE_JOBS | grid


def test_a_new_experiment_runs_only_its_own_jobs_and_the_table(workdir):
    config = run_config()
    config["experiments"]["pyin_copy"] = copy.deepcopy(config["experiments"]["pyin"])
    jobs = jobs_after(workdir, config)
    assert jobs == experiment_jobs(BASELINE_JOBS, "pyin_copy") | TABLE_JOBS


def test_a_new_seed_runs_only_that_seed_and_the_table(workdir):
    config = run_config()
    config["experiments"][EXPERIMENT]["seeds"] = [0, 1]
    jobs = jobs_after(workdir, config)
    seed0 = experiment_jobs(TRAINED_JOBS, EXPERIMENT)
    seed1 = {(rule, wildcards.replace("seed=0", "seed=1")) for rule, wildcards in seed0}
    assert jobs == seed1 | TABLE_JOBS


def test_a_feature_parameter_reruns_the_feature_and_what_reads_it(workdir):
    config = run_config()
    config["features"]["cqt"]["hop_length"] = 512
    jobs = jobs_after(workdir, config)
    key = dataset_key(workdir)
    fkey = param_key(config["features"]["cqt"])
    preprocessing = {
        ("extract_features", f"dataset=tiny, key={key}, feature=cqt, fkey={fkey}"),
        grid_job(workdir, 22050, 512),
    }
    assert jobs == preprocessing | experiment_jobs(TRAINED_JOBS, EXPERIMENT) | TABLE_JOBS


def test_a_single_target_reruns_only_its_own_chain(workdir):
    config = run_config()
    config["experiments"]["pyin"]["input"]["hop_length"] = 320
    target = "results/pyin/seed0/eval/tiny/summary.csv"
    jobs = jobs_after(workdir, config, target)
    assert jobs == experiment_jobs({"predict", "evaluate"}, "pyin") | {
        grid_job(workdir, 16000, 320)
    }


def dataset_key(workdir: Path) -> str:
    (folder,) = (workdir / "data" / "tiny").iterdir()
    return folder.name


def grid_job(workdir: Path, sr: int, hop: int) -> tuple[str, str]:
    return ("grid_annotations", f"dataset=tiny, key={dataset_key(workdir)}, sr={sr}, hop={hop}")


def test_a_new_test_set_of_a_trained_experiment_plans_no_training(workdir):
    config = run_config()
    config["datasets"]["tiny2"] = copy.deepcopy(config["datasets"]["tiny"])
    config["datasets"]["tiny2"]["generate"]["seed"] = 4
    config["experiments"][EXPERIMENT]["test"] = [
        *config["experiments"][EXPERIMENT]["test"],
        {"dataset": "tiny2", "part": "test"},
    ]
    jobs = jobs_after(workdir, config)
    experiment = {(rule, w) for rule, w in jobs if f"experiment={EXPERIMENT}" in w}
    assert not [job for job in jobs if job[0] == "train_model"]
    assert experiment == {
        (rule, f"experiment={EXPERIMENT}, seed=0, dataset=tiny2")
        for rule in ("predict", "evaluate", "experiment_figures")
    }
    # Besides: tiny2's own preprocessing, and the table and figures that read every score.
    others = {rule for rule, w in jobs - experiment if "dataset=tiny2" not in w}
    assert others <= {"results_table", "results_figures", "generate_synth"}

from pathlib import Path

from mirlab.config import check_config, check_dataset_roots
from mirlab.planning import Plan

check_config(config, Path(workflow.basedir, "config", "schema.yaml"))
check_dataset_roots(config["datasets"], base=workflow.basedir)

PLAN = Plan(config, workflow.basedir)
DATA = PLAN.data
# Jobs that loop over the tracks of a dataset use a process pool of this many workers;
# Snakemake lowers it to --cores where fewer are available.
POOL_THREADS = 8


wildcard_constraints:
    dataset=r"[A-Za-z0-9][A-Za-z0-9_.-]*",
    feature=r"[A-Za-z0-9][A-Za-z0-9_.-]*",
    excerpt=r"[A-Za-z0-9][A-Za-z0-9_.-]*",
    key=r"[0-9a-f]{10}",
    a=r"[A-Za-z0-9][A-Za-z0-9_.-]*",
    b=r"[A-Za-z0-9][A-Za-z0-9_.-]*",
    fkey=r"[0-9a-f]{10}",
    gkey=r"[0-9a-f]{10}",
    skey=r"[0-9a-f]{10}",
    sr=r"[0-9]+",
    hop=r"[0-9]+",
    seed=r"[0-9]+",
    experiment=r"[A-Za-z0-9][A-Za-z0-9_.-]*",


# Input functions: thin wrappers over mirlab.planning.Plan, which holds the logic.


def current_dataset(wildcards):
    return PLAN.current_dataset(wildcards.dataset, wildcards.key)


def synth_generate_params(wildcards):
    return PLAN.synth_generate_params(wildcards.gkey)


def index_input(wildcards):
    return PLAN.index_input(wildcards.dataset, wildcards.key)


def split_params(wildcards):
    return current_dataset(wildcards)["split"]


def feature_params(wildcards):
    return PLAN.feature_params(
        wildcards.dataset, wildcards.key, wildcards.feature, wildcards.fkey
    )


def feature_audio(wildcards):
    return PLAN.feature_audio(wildcards.dataset, wildcards.key, wildcards.feature)


def excerpt_params(wildcards):
    return PLAN.excerpt_params(wildcards.excerpt, wildcards.key)


def excerpt_input(wildcards):
    return PLAN.excerpt_input(wildcards.excerpt, wildcards.key)


def job_experiment(wildcards):
    return PLAN.job_experiment(wildcards.experiment)


def family_args(wildcards):
    return PLAN.family_args(wildcards.experiment)


def train_input(wildcards):
    return PLAN.train_input(wildcards.experiment)


def training_dir(wildcards):
    return PLAN.training_dir(wildcards.experiment, wildcards.seed)


def experiment_sets(role):
    return lambda wildcards: PLAN.experiment_sets(wildcards.experiment, role)


def validation_excerpts(wildcards):
    return PLAN.validation_excerpts(wildcards.experiment)


def predict_input(wildcards):
    return PLAN.predict_input(wildcards.experiment, wildcards.seed, wildcards.dataset)


def evaluate_input(wildcards):
    return PLAN.evaluate_input(wildcards.experiment, wildcards.seed, wildcards.dataset)


def tested_paths(wildcards):
    return PLAN.dataset_paths(wildcards.experiment, wildcards.dataset)


def test_part(wildcards):
    return PLAN.test_part(wildcards.experiment, wildcards.dataset)


def feature_params_of(wildcards):
    return PLAN.feature_params_of(wildcards.experiment)


def dataset_excerpts(wildcards):
    return PLAN.dataset_excerpts(wildcards.dataset)

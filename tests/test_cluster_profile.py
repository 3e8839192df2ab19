"""The gpu-cluster profile: what each job asks SLURM for (dry run), and a real run through
snakemake-executor-plugin-slurm against stand-in SLURM commands that record every submission
and run the jobs on this machine."""

import copy
import json
import os
import re
import stat
import sys
from pathlib import Path

import pytest
from snakemake.cli import parse_args
from snakemake.utils import available_cpu_count
from snakemake_executor_plugin_slurm.validation import get_forbidden_slurm_options

from tests.test_workflow_experiments import tiny_config
from tests.workflow_utils import REPO, snakemake, write_config

pytestmark = pytest.mark.workflow

PROFILE = ["--profile", str(REPO / "gpu-cluster")]
SITE = {
    "MIRLAB_PARTITION": "cpu-part",
    "MIRLAB_GPU_PARTITION": "gpu-part",
    "MIRLAB_ACCOUNT": "mirlab",
    "MIRLAB_GPU_MODEL": "a100",
}
# What the profile asks for, per rule (runtime in minutes, memory in MB, at attempt 1).
DEFAULT = {"runtime": 60, "mem_mb": 4000}
PER_RULE = {
    "generate_synth": {"runtime": 60, "mem_mb": 16000},
    "resample_audio": {"runtime": 60, "mem_mb": 16000},
    "extract_features": {"runtime": 120, "mem_mb": 16000},
    "train_model": {"runtime": 480, "mem_mb": 16000},
    "predict": {"runtime": 120, "mem_mb": 8000},
}


def run(workdir, env, *args):
    """Run snakemake through the profile with ``env`` added to (None: removed from) ours."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            if value is None:
                patch.delenv(name, raising=False)
            else:
                patch.setenv(name, value)
        return snakemake(workdir, *PROFILE, *args)


@pytest.mark.parametrize("cluster", [False, True])
def test_local_profile_caps_cores_only_without_the_cluster_profile(monkeypatch, cluster):
    # profiles/default is read under --profile too, and wins there; its `cores: all` would cap
    # every cluster job's threads at this machine's CPU count.
    argv = ["--snakefile", str(REPO / "Snakefile"), *(PROFILE if cluster else []), "-n"]
    monkeypatch.setattr(sys, "argv", ["snakemake", *argv])
    monkeypatch.delenv("SNAKEMAKE_PROFILE", raising=False)
    _, args = parse_args(argv)
    assert args.cores == (None if cluster else available_cpu_count())
    assert args.rerun_incomplete and args.printshellcmds
    assert args.executor == ("slurm" if cluster else None)


# --- dry run ---------------------------------------------------------------------------------


def dry_run_jobs(stdout: str) -> list[dict]:
    """(rule, wildcards, resources) of every job in ``snakemake -n`` output."""
    jobs = []
    for block in re.split(r"\n(?=\[[^\n]*\]\n(?:local)?rule )", stdout):
        rule = re.search(r"^(?:local)?rule (\w+):", block, re.MULTILINE)
        resources = re.search(r"^\s+resources: (.*)$", block, re.MULTILINE)
        if not rule or not resources:
            continue
        wildcards = re.search(r"^\s+wildcards: (.*)$", block, re.MULTILINE)
        jobs.append(
            {
                "rule": rule.group(1),
                "wildcards": dict(item.split("=", 1) for item in wildcards.group(1).split(", "))
                if wildcards
                else {},
                "resources": dict(item.split("=", 1) for item in resources.group(1).split(", ")),
            }
        )
    return jobs


@pytest.fixture(scope="module")
def dry_workdir(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("cluster-dry")
    write_config(workdir, tiny_config(str(workdir / "estimates" / "{dataset}")))
    return workdir


TRAINED = {"hcnn-context0", "hcnn-context2", "hcnn_voicing", "crepe"}


def test_dry_run_gives_every_job_runtime_memory_partition_and_gpus(dry_workdir):
    jobs = dry_run_jobs(run(dry_workdir, SITE, "-n").stdout)
    rules = {job["rule"] for job in jobs}
    assert {"generate_synth", "extract_features", "train_model", "predict", "evaluate"} <= rules
    assert len([job for job in jobs if job["rule"] == "train_model"]) == len(TRAINED)
    for job in jobs:
        if job["rule"] == "all":  # no script: never submitted
            continue
        resources, where = job["resources"], (job["rule"], job["wildcards"])
        gpu = job["rule"] == "train_model" or (
            job["rule"] == "predict" and job["wildcards"]["experiment"] in TRAINED
        )
        expected = PER_RULE.get(job["rule"], DEFAULT)
        assert int(resources["runtime"]) == expected["runtime"], where
        assert int(resources["mem_mb"]) == expected["mem_mb"], where
        assert resources["slurm_account"] == "mirlab", where
        assert resources["slurm_partition"] == ("gpu-part" if gpu else "cpu-part"), where
        assert int(resources.get("gpu", 0)) == int(gpu), where
        assert resources.get("gpu_model") == ("a100" if gpu else None), where
        assert "slurm_extra" not in resources, where


def test_dry_run_without_site_settings_leaves_partition_and_account_to_slurm(dry_workdir):
    # Only the GPU partition is named: CPU jobs go to the cluster's default partition.
    env = {name: None for name in SITE} | {"MIRLAB_GPU_PARTITION": "gpu-part"}
    jobs = [job for job in dry_run_jobs(run(dry_workdir, env, "-n").stdout) if job["rule"] != "all"]
    gpu_jobs = [job for job in jobs if job["resources"].get("gpu") == "1"]
    n = len(TRAINED)
    assert sorted(job["rule"] for job in gpu_jobs) == ["predict"] * n + ["train_model"] * n
    for job in jobs:
        resources = job["resources"]
        assert "slurm_account" not in resources and "gpu_model" not in resources, job
        assert resources.get("slurm_partition") == ("gpu-part" if job in gpu_jobs else None), job


# --- a run against stand-in SLURM commands ---------------------------------------------------

# One script answers as sbatch, srun, sacct, squeue, scancel, sinfo or sacctmgr (its file name).
# sbatch records its arguments, runs the --wrap command at once in the -D folder, and records
# the job as COMPLETED or FAILED; the first job whose --comment starts with the text in
# `fail_once` is recorded as OUT_OF_MEMORY without running. sacct/squeue answer the plugin's
# status query (--name <run id>) with "<job id>|<state>" lines, the --parsable2 format of
# `--format=JobIdRaw,State` and of squeue's `--format=%i|%T`, and other queries with nothing.
FAKE_SLURM = r"""
import fcntl, json, os, subprocess, sys
from pathlib import Path

STATE = Path(os.environ["FAKE_SLURM_DIR"])
COMMAND = Path(sys.argv[0]).name
ARGS = sys.argv[1:]


def option(name):
    for i, arg in enumerate(ARGS):
        if arg == name:
            return ARGS[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def add_job(line_of_id):
    with open(STATE / "jobs.tsv", "a+") as table:
        fcntl.flock(table, fcntl.LOCK_EX)
        table.seek(0)
        job_id = str(100 + len({line.split("\t")[0] for line in table if line.strip()}))
        table.write(line_of_id(job_id))
    return job_id


def set_state(job_id, state):
    with open(STATE / "jobs.tsv", "a") as table:
        fcntl.flock(table, fcntl.LOCK_EX)
        table.write(f"{job_id}\t{option('--job-name')}\t{state}\n")


with open(STATE / f"{COMMAND}.jsonl", "a") as calls:
    calls.write(json.dumps(ARGS) + "\n")

if COMMAND == "sbatch":
    job_id = add_job(lambda job_id: f"{job_id}\t{option('--job-name')}\tRUNNING\n")
    fail_once = STATE / "fail_once"
    if fail_once.exists() and (option("--comment") or "").startswith(fail_once.read_text()):
        fail_once.unlink()
        set_state(job_id, "OUT_OF_MEMORY")
    else:
        log = Path(option("--output").replace("%j", job_id))
        env = {**os.environ, "SLURM_JOB_ID": job_id}
        with open(log, "w") as out:
            done = subprocess.run(["sh", "-c", option("--wrap")], cwd=option("-D"), env=env,
                                  stdout=out, stderr=subprocess.STDOUT)
        set_state(job_id, "COMPLETED" if done.returncode == 0 else "FAILED")
    print(job_id)
elif COMMAND == "srun":
    command = ARGS[next(i for i, arg in enumerate(ARGS) if not arg.startswith("-")):]
    os.execvp(command[0], command)
elif COMMAND in ("sacct", "squeue") and option("--name"):
    states = {}
    for line in (STATE / "jobs.tsv").read_text().splitlines():
        job_id, name, state = line.split("\t")
        if name == option("--name"):
            states[job_id] = state
    print("\n".join(f"{job_id}|{state}" for job_id, state in states.items()))
elif COMMAND == "sinfo":
    print("PARTITION\ncpu*\ngpu")
elif COMMAND == "sacctmgr":
    print("mirlab")
"""
COMMANDS = ("sbatch", "srun", "sacct", "squeue", "scancel", "sinfo", "sacctmgr")


def install_fake_slurm(folder: Path) -> dict:
    """Write the stand-in commands to ``folder/bin``; the environment that puts them on PATH."""
    (folder / "bin").mkdir(parents=True)
    (folder / "state").mkdir()
    for name in COMMANDS:
        path = folder / "bin" / name
        path.write_text(f"#!{sys.executable}\n{FAKE_SLURM}")
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return {
        "PATH": f"{folder / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "FAKE_SLURM_DIR": str(folder / "state"),
    }


def calls(folder: Path, command: str) -> list[list[str]]:
    path = folder / "state" / f"{command}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def flag(argv: list[str], name: str) -> str | None:
    """Value of ``name value`` or ``name=value`` in ``argv``; None if absent."""
    for i, arg in enumerate(argv):
        if arg == name:
            return argv[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def rule_of(argv: list[str]) -> str:
    return re.match(r"rule_([a-z_]+?)(?:_wildcards_|$)", flag(argv, "--comment")).group(1)


@pytest.fixture(scope="module")
def cluster_run(tmp_path_factory):
    """Preprocessing runs locally; then features, training (killed once for memory, then
    retried) and predictions run through the profile."""
    folder = tmp_path_factory.mktemp("cluster-run")
    config = tiny_config(str(folder / "unused"))
    config["features"] = {"cqt": config["features"]["cqt"]}
    hcnn = copy.deepcopy(config["experiments"]["hcnn"])
    del hcnn["grid"]
    config["experiments"] = {"hcnn": hcnn}
    config["datasets"]["tiny"]["generate"]["n_tracks"] = 3
    workdir = folder / "work"
    write_config(workdir, config)
    snakemake(workdir, "--cores", "2", "--until", "make_split", "grid_annotations")
    env = install_fake_slurm(folder) | SITE
    (folder / "state" / "fail_once").write_text("rule_train_model")
    fast = ["--slurm-init-seconds-before-status-checks", "1", "--latency-wait", "5"]
    result = run(workdir, env, *fast, "results/hcnn/seed0/predictions/tiny")
    return folder, workdir, result


def test_jobs_run_through_sbatch_and_srun_and_finish(cluster_run):
    folder, workdir, _ = cluster_run
    assert (workdir / "results/hcnn/seed0/model").is_dir()
    assert len(list((workdir / "results/hcnn/seed0/predictions/tiny").glob("*.csv"))) == 1
    submitted = [rule_of(argv) for argv in calls(folder, "sbatch")]
    assert submitted == ["extract_features", "train_model", "train_model", "predict"]
    # Each job that ran went through the plugin's job step: srun inside the allocation.
    assert len(calls(folder, "srun")) == 3
    assert any("--name" in argv for argv in calls(folder, "sacct")), "states come from sacct"


def test_gpu_jobs_ask_for_a_gpu_on_the_gpu_partition(cluster_run):
    folder, _, _ = cluster_run
    for argv in calls(folder, "sbatch"):
        comment = flag(argv, "--comment")
        gpu = rule_of(argv) in ("train_model", "predict")
        assert flag(argv, "--gpus") == ("a100:1" if gpu else None), comment
        assert flag(argv, "-p") == ("gpu-part" if gpu else "cpu-part"), comment
        assert flag(argv, "-A") == "mirlab", comment
    extract = next(argv for argv in calls(folder, "sbatch") if rule_of(argv) == "extract_features")
    # The dataset passes get their 8 worker threads, whatever this machine's CPU count.
    assert flag(extract, "--cpus-per-task") == "8" and flag(extract, "--ntasks") == "1"
    steps = calls(folder, "srun")
    assert sum("--gpus=1" in argv for argv in steps) == 2  # training and its predictions


def test_retry_after_out_of_memory_doubles_memory_and_runtime(cluster_run):
    folder, _, _ = cluster_run
    first, second = (argv for argv in calls(folder, "sbatch") if rule_of(argv) == "train_model")
    assert (flag(first, "--mem"), flag(first, "-t")) == ("16000", "480")
    assert (flag(second, "--mem"), flag(second, "-t")) == ("32000", "960")


def test_no_submission_repeats_a_flag_the_plugin_manages(cluster_run):
    # The plugin sets these flags itself and refuses them in slurm_extra; each may appear once.
    folder, _, _ = cluster_run
    for argv in calls(folder, "sbatch"):
        options = " ".join(arg for arg in argv if not arg.startswith("--wrap=")) + " "
        assert flag(argv, "--wrap") is not None
        for pattern, name in get_forbidden_slurm_options().items():
            assert len(re.findall(pattern, options)) <= 1, (name, argv)

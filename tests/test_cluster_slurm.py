"""The gpu-cluster profile on a real SLURM: Debian's slurmctld, slurmd and munge (and, in the
second variant, slurmdbd with mariadb) on localhost, run as root under a temporary folder.

A tiny workflow goes through ``--profile gpu-cluster``: feature extraction on the ``cpu``
partition, training and prediction on the ``gpu`` partition, whose node has a count-only GPU
(``File=/dev/null``). The tests check the outputs against a local run, what SLURM recorded for
each job (partition, CPUs, memory, time limit, GPU), that the profile picks a job status
command that works with and without accounting, and that a run stopped at a time limit ends
and leaves nothing behind. Without root or the packages (``.ci/run`` installs them), they are
skipped. The stand-in tests in test_cluster_profile.py cover what one node cannot show (a
retry after running out of memory: nothing enforces memory here).
"""

import copy
import filecmp
import os
import shutil
import time
from pathlib import Path

import pytest

from tests.slurm.cluster import ACCOUNT, NODE, Cluster, run_bounded, unavailable, wait_for
from tests.test_cluster_profile import PER_RULE, PROFILE
from tests.test_workflow_experiments import tiny_config
from tests.workflow_utils import REPO, SNAKEMAKE, snakemake, write_config

pytestmark = pytest.mark.workflow

TARGET = "results/hcnn/seed0/predictions/tiny"
SITE = {"MIRLAB_PARTITION": "cpu", "MIRLAB_GPU_PARTITION": "gpu", "MIRLAB_ACCOUNT": ACCOUNT}
# CPUs are the rules' threads; GPU: what the profile asks for.
CPUS = {"extract_features": 8, "train_model": 2, "predict": 1}
GPU = {"extract_features": False, "train_model": True, "predict": True}
# Status checks every few seconds, not every 40 (the plugin's default start).
FAST = ["--slurm-init-seconds-before-status-checks", "2", "--latency-wait", "5"]
RUN_LIMIT = 420  # seconds: a backstop; a run takes about 40-60 on 2 idle cores, 200 when busy


def bounded_snakemake(workdir: Path, env: dict, *args: str, limit=RUN_LIMIT, **bounds):
    """``snakemake --profile gpu-cluster`` under a time limit (see run_bounded)."""
    command = [str(SNAKEMAKE), "-s", str(REPO / "Snakefile"), "-d", str(workdir), *PROFILE, *args]
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("SLURM_", "MIRLAB_"))}
    environment |= {"PYTHONHASHSEED": "0", "TF_CPP_MIN_LOG_LEVEL": "2", **env}
    logs = workdir.parent / f"{workdir.name}-logs"
    return run_bounded(command, limit, logs, cwd=workdir, env=environment, **bounds)


def describe(result) -> str:
    return (
        f"rc={result.returncode} after {result.seconds:.0f} s, stopped by {result.stopped_by} "
        f"(exited {result.stop_seconds} s after it), leftovers {result.leftovers}\n"
        f"{result.stdout[-3000:]}\n{result.stderr[-6000:]}"
    )


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """A preprocessed tiny workdir (3 tracks, one feature, one trained model) to copy, and
    the predictions of a local run of the rest."""
    folder = tmp_path_factory.mktemp("slurm-prepared")
    config = tiny_config(str(folder / "unused"))
    config["features"] = {"cqt": config["features"]["cqt"]}
    hcnn = copy.deepcopy(config["experiments"]["hcnn"])
    del hcnn["grid"]
    config["experiments"] = {"hcnn": hcnn}
    config["datasets"]["tiny"]["generate"]["n_tracks"] = 3
    template = folder / "template"
    write_config(template, config)
    snakemake(template, "--cores", "2", "--until", "make_split", "grid_annotations")
    local = folder / "local"
    shutil.copytree(template, local, symlinks=True)
    snakemake(local, "--cores", "2", TARGET)
    return template, local


@pytest.fixture(scope="module", params=[False, True], ids=["no-accounting", "accounting"])
def cluster(request, tmp_path_factory):
    accounting = request.param
    reason = unavailable(accounting)
    if reason:
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("slurm-accounting" if accounting else "slurm-plain")
    with Cluster(folder / "cluster", accounting=accounting) as running:
        yield running
    # Every daemon it started has been stopped, by the PID it was started with.
    for daemon in running.daemons:
        assert daemon.process.returncode is not None, daemon.name
        assert not Path(f"/proc/{daemon.process.pid}").exists(), daemon.name


@pytest.fixture(scope="module")
def cluster_run(cluster, prepared):
    template, _ = prepared
    workdir = cluster.root.parent / "work"
    shutil.copytree(template, workdir, symlinks=True)
    started = time.monotonic()
    result = bounded_snakemake(workdir, SITE, *FAST, TARGET)
    print(f"run through the profile: {time.monotonic() - started:.0f} s")
    assert result.returncode == 0 and result.stopped_by is None, describe(result)
    return workdir, result


def test_workflow_through_the_profile_matches_a_local_run(cluster_run, prepared):
    workdir, result = cluster_run
    _, local = prepared
    assert not result.leftovers, result.leftovers
    assert (workdir / "results/hcnn/seed0/model/model.keras").is_file()
    expected = sorted(path.relative_to(local) for path in (local / "results").rglob("*.csv"))
    assert expected and expected == sorted(
        path.relative_to(workdir) for path in (workdir / "results").rglob("*.csv")
    )
    for path in expected:
        assert filecmp.cmp(local / path, workdir / path, shallow=False), path


def test_profile_picks_the_status_command_that_works(cluster, cluster_run):
    # sacct needs slurmdbd; without it the plugin would never learn that a job ended.
    _, result = cluster_run
    if cluster.accounting:
        said = "AccountingStorageType=accounting_storage/slurmdbd: job states come from sacct"
    else:
        said = "AccountingStorageType=accounting_storage/none: job states come from squeue"
    assert said in result.stderr
    assert "could not check status" not in result.stderr.lower()


def rule_of(job: dict) -> str:
    return job["Comment"].removeprefix("rule_").split("_wildcards_")[0]


def hours(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}:00"


def test_each_job_ran_on_its_partition_with_the_resources_the_profile_asks_for(
    cluster, cluster_run
):
    jobs = [job for job in cluster.jobs() if job.get("Comment", "").startswith("rule_")]
    assert sorted(rule_of(job) for job in jobs) == sorted(CPUS)
    assert len({job["JobName"] for job in jobs}) == 1  # the run's id: what status checks ask
    for job in jobs:
        rule = rule_of(job)
        assert job["JobState"] == "COMPLETED" and job["NodeList"] == NODE, job
        assert job["Partition"] == ("gpu" if GPU[rule] else "cpu"), job
        assert int(job["NumCPUs"]) == CPUS[rule], job
        assert job["MinMemoryNode"] == f"{PER_RULE[rule]['mem_mb']}M", job
        assert job["TimeLimit"] == hours(PER_RULE[rule]["runtime"]), job
        assert job.get("TresPerJob", "") == ("gres:gpu:1" if GPU[rule] else ""), job
        # With accounting the plugin checked the account with sacctmgr; without, sacctmgr
        # fails, sshare answers nothing, and the account goes to sbatch unchecked.
        assert job["Account"] == ACCOUNT, job


def test_accounting_recorded_each_job_and_its_job_step(cluster, cluster_run):
    if not cluster.accounting:
        pytest.skip("no slurmdbd in this variant")
    ids = {job["JobId"]: rule_of(job) for job in cluster.jobs() if job.get("Comment")}
    fields = (
        "JobIDRaw",
        "Partition",
        "ReqCPUS",
        "ReqMem",
        "Timelimit",
        "AllocTRES",
        "Account",
        "State",
    )

    def recorded():
        rows = [row for row in cluster.sacct(*fields) if row["JobIDRaw"] in ids]
        return (
            rows if len(rows) == len(ids) and all(r["State"] == "COMPLETED" for r in rows) else None
        )

    for row in wait_for("sacct records every job", recorded, 30):
        rule = ids[row["JobIDRaw"]]
        assert row["Partition"] == ("gpu" if GPU[rule] else "cpu"), row
        assert int(row["ReqCPUS"]) == CPUS[rule], row
        assert row["ReqMem"] == f"{PER_RULE[rule]['mem_mb']}M", row
        assert row["Timelimit"] == hours(PER_RULE[rule]["runtime"]), row
        assert ("gres/gpu=1" in row["AllocTRES"].split(",")) == GPU[rule], row
        assert row["Account"] == ACCOUNT, row
    # The plugin's srun job step ran inside each allocation.
    steps = cluster.command("sacct", "-a", "-P", "-n", "-S", "now-1days", "--format=JobID,State")
    for job_id in ids:
        assert f"{job_id}.0|COMPLETED" in steps.splitlines(), steps


def test_a_run_stopped_at_its_time_limit_cancels_its_jobs_and_leaves_nothing_running(
    cluster, prepared
):
    # Once is enough: the no-accounting variant, where a run used to hang and ignore SIGTERM.
    if cluster.accounting:
        pytest.skip("run in the no-accounting variant")
    # The node is drained: the first job stays pending and the run cannot end by itself. The
    # time limit is its submission (or, as a backstop, 120 s).
    template, _ = prepared
    workdir = cluster.root.parent / "stopped"
    shutil.copytree(template, workdir, symlinks=True)
    before = {job["JobId"] for job in cluster.jobs()}

    def submitted():
        return any(job["JobId"] not in before for job in cluster.jobs())

    cluster.command("scontrol", "update", f"NodeName={NODE}", "State=DRAIN", "Reason=test")
    try:
        result = bounded_snakemake(workdir, SITE, *FAST, TARGET, limit=120, stop_when=submitted)
    finally:
        cluster.command("scontrol", "update", f"NodeName={NODE}", "State=RESUME")
    # SIGINT was enough: Snakemake exited by itself within the grace period.
    assert result.stopped_by == "SIGINT" and result.stop_seconds < 30, describe(result)
    assert result.returncode != 0, describe(result)
    assert "Terminating processes on user request" in result.stderr, describe(result)
    assert not result.leftovers, describe(result)
    new = [job for job in cluster.jobs() if job["JobId"] not in before]
    assert [rule_of(job) for job in new] == ["extract_features"], describe(result)
    assert new[0]["JobState"] == "CANCELLED", new  # Snakemake's scancel on the way out
    assert cluster.command("squeue", "-h") == ""  # nothing pending or running

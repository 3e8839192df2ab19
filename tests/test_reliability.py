"""SPEC 2.1 and 7, reliability: bad inputs and faults through the pipeline (not only the
library). Each ends with a clear message naming the file or config key, and nothing lost or
half-written. The counts are in ``tests/RELIABILITY.md``.

The faults start from copies of the completed tiny run (``test_determinism.completed_run``).
"""

import errno
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mirlab import storage
from tests.test_determinism import (
    EXPERIMENT,
    completed_run,
    copy_run,
    run_config,
    start_snakemake,
)
from tests.workflow_utils import snakemake, write_config

pytestmark = pytest.mark.workflow

MODEL = f"results/{EXPERIMENT}/seed0/model"
LOCKED = "Directory cannot be locked"


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    return completed_run(tmp_path_factory)


@pytest.fixture
def run(reference, tmp_path) -> Path:
    """A private copy of the completed run, free to break."""
    return copy_run(reference, tmp_path / "run")


def wait_for(process: subprocess.Popen, found, what: str, timeout: float = 300):
    """Poll ``found()`` until it returns something true, while ``process`` runs."""
    deadline = time.monotonic() + timeout
    while not (result := found()):
        if process.poll() is not None:
            pytest.fail(f"snakemake ended ({process.returncode}) before {what}")
        if time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail(f"{what}: not within {timeout} s")
        time.sleep(0.01)
    return result


def failure_text(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0, result.stdout[-2000:]
    return result.stdout + result.stderr


def dataset_folder(workdir: Path) -> Path:
    (folder,) = (workdir / "data" / "tiny").iterdir()
    return folder


def track_ids(workdir: Path, part: str) -> list[str]:
    (split,) = dataset_folder(workdir).glob("split-*.csv")
    table = pd.read_csv(split)
    return sorted(table.loc[table["part"] == part, "track_id"])


def leftovers(folder: Path) -> list[str]:
    """Temporary names that an atomic writer leaves only when it is killed."""
    return sorted(str(path) for path in folder.rglob(".*") if path.name.endswith(".tmp"))


# --- bad inputs: config ------------------------------------------------------------------------


def _rename(mapping: dict, old: str, new: str) -> None:
    mapping[new] = mapping.pop(old)


BAD_CONFIGS = {
    "unknown model": (
        lambda c: c["experiments"][EXPERIMENT].update(model="resnet"),
        f"config key experiments.{EXPERIMENT}.model: 'resnet' is not one of",
    ),
    "unknown dataset": (
        lambda c: c["experiments"]["pyin"].update(test=[{"dataset": "nosuch", "part": "test"}]),
        "config key experiments.pyin.test: no dataset 'nosuch'",
    ),
    "unknown feature": (
        lambda c: c["experiments"][EXPERIMENT]["input"].update(feature="mel"),
        f"config key experiments.{EXPERIMENT}.input.feature: no feature 'mel'",
    ),
    "dataset name with a slash": (
        lambda c: _rename(c["datasets"], "tiny", "../tiny"),
        "config key datasets: '../tiny' does not match",
    ),
    "experiment name with a slash": (
        lambda c: _rename(c["experiments"], "pyin", "pyin/../../x"),
        "config key experiments: 'pyin/../../x' does not match",
    ),
}


@pytest.mark.parametrize("case", BAD_CONFIGS)
def test_a_bad_config_is_refused_naming_the_key(tmp_path, case):
    edit, message = BAD_CONFIGS[case]
    config = run_config()
    edit(config)
    write_config(tmp_path, config)
    assert message in failure_text(snakemake(tmp_path, "-n", check=False))


# --- bad inputs: targets ---------------------------------------------------------------------

TWO_DATASETS = {"other": {**run_config()["datasets"]["tiny"]}}

BAD_TARGETS = {
    "parent folder in the experiment": (
        "results/../x/seed0/model",
        "No rule to produce x/seed0/model",
    ),
    "parent folders in the dataset": (
        "data/tiny/../../../etc/index.parquet",
        "No rule to produce ../etc/index.parquet",
    ),
    "unknown experiment": ("results/nosuch/seed0/model", "no experiment 'nosuch'"),
    "model of a baseline": ("results/pyin/seed0/model", "experiments.pyin: a baseline method"),
    "unknown dataset of an experiment": (
        "results/pyin/seed0/predictions/nosuch",
        "does not test dataset 'nosuch'",
    ),
    "dataset an experiment does not test": (
        "results/pyin/seed0/eval/other/summary.csv",
        "does not test dataset 'other'",
    ),
}


@pytest.mark.parametrize(
    ("target", "message"),
    [
        *BAD_TARGETS.values(),
    ],
    ids=[*BAD_TARGETS],
)
def test_a_bad_target_is_refused_with_a_clear_message(tmp_path, target, message):
    config = run_config()
    config["datasets"].update(TWO_DATASETS)
    write_config(tmp_path, config)
    text = failure_text(snakemake(tmp_path, "-n", target, check=False))
    assert message in text
    # A clear message is Snakemake's or ours, not a bare Python exception.
    assert "KeyError" not in text and "StopIteration" not in text and "IndexError" not in text


# --- bad inputs: a corrupt cache ---------------------------------------------------------------


def test_a_truncated_feature_file_fails_training_naming_the_file(run):
    features = next(dataset_folder(run).glob("features/cqt-*"))
    corrupt = features / f"{track_ids(run, 'train')[0]}.npy"
    os.truncate(corrupt, corrupt.stat().st_size // 2)
    for folder in (MODEL, f"results/{EXPERIMENT}/seed0/training"):
        shutil.rmtree(run / folder)
    result = snakemake(run, "--cores", "2", MODEL, check=False)
    assert not (run / MODEL).exists()
    text = failure_text(result)
    assert f"logs/results/{EXPERIMENT}/seed0/train_model.log" in text
    assert str(corrupt.relative_to(run)) in text


# --- faults ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def killed_preprocessing(reference, tmp_path_factory):
    """A feature extraction job killed after writing one track's array, then run again."""
    run = copy_run(reference, tmp_path_factory.mktemp("killed") / "run")
    features = next(dataset_folder(run).glob("features/cqt-*"))
    shutil.rmtree(features)
    target = str(features.relative_to(run))
    process = start_snakemake(run, "--cores", "2", target)
    partial = wait_for(
        process,
        lambda: next(features.parent.glob(f".{features.name}.*.tmp/*.npy"), None),
        "a feature file was written",
    )
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    seen = {"partial": partial.exists(), "output": features.exists()}
    snakemake(run, "--unlock")
    snakemake(run, "--cores", "2", "--rerun-incomplete", target)
    return {**seen, "run": run, "features": features}


def test_a_preprocessing_job_killed_mid_write_is_redone_whole(killed_preprocessing, reference):
    # Killed with one track's array written: nothing under the output's name.
    assert killed_preprocessing["partial"] and not killed_preprocessing["output"]
    features = killed_preprocessing["features"]
    expected = next(dataset_folder(reference).glob("features/cqt-*"))
    names = sorted(path.name for path in expected.iterdir())
    assert sorted(path.name for path in features.iterdir()) == names
    for name in names:
        assert (features / name).read_bytes() == (expected / name).read_bytes(), name


def test_a_killed_job_leaves_no_temporary_files_after_the_rerun(killed_preprocessing):
    assert leftovers(killed_preprocessing["run"] / "data") == []


def test_a_second_snakemake_on_the_same_folder_is_refused(run, reference):
    features = next(dataset_folder(run).glob("features/cqt-*"))
    shutil.rmtree(features)
    target = str(features.relative_to(run))
    first = start_snakemake(run, "--cores", "2", target)
    # Wait until the first one is inside its job (its temporary output exists): it holds the
    # lock until the job ends, so pausing it now cannot let it finish in between.
    wait_for(
        first,
        lambda: next(features.parent.glob(f".{features.name}.*.tmp"), None),
        "its job started",
    )
    os.killpg(first.pid, signal.SIGSTOP)
    try:
        second = snakemake(run, "--cores", "2", target, check=False)
    finally:
        os.killpg(first.pid, signal.SIGCONT)
    assert LOCKED in failure_text(second)
    assert first.wait(timeout=600) == 0, (run / "snakemake.out").read_text()[-3000:]
    expected = next(dataset_folder(reference).glob("features/cqt-*"))
    for path in expected.iterdir():
        assert (features / path.name).read_bytes() == path.read_bytes(), path.name


@pytest.fixture
def small_disk(tmp_path):
    """Mount a 64 KiB tmpfs; skipped where mounting is not allowed (not root, no tmpfs)."""

    def mount(folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        command = ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)]
        try:
            result = subprocess.run(command, capture_output=True, text=True)
        except FileNotFoundError:
            pytest.skip("no mount command")
        if result.returncode != 0:
            pytest.skip(f"cannot mount a small tmpfs here: {result.stderr.strip()}")
        mounted.append(folder)

    mounted: list[Path] = []
    yield mount
    for folder in mounted:
        if os.path.ismount(folder):
            subprocess.run(["umount", "-l", str(folder)], check=True)


def test_a_full_disk_fails_training_cleanly_and_the_job_is_planned_again(run, small_disk):
    seed = run / "results" / EXPERIMENT / "seed0"
    shutil.rmtree(seed)
    small_disk(seed)
    result = snakemake(run, "--cores", "2", MODEL, check=False)
    text = failure_text(result)
    log = f"logs/results/{EXPERIMENT}/seed0/train_model.log"
    assert log in text and "No space left on device" in (run / log).read_text()
    assert not (run / MODEL).exists()
    for checkpoint in seed.glob("training/*/checkpoints/step-*"):
        assert json.loads((checkpoint / "state.json").read_text())
        np.load(checkpoint / "variables.npz").close()
    # With space again, the job is simply redone (the preemption tests show it ends the same).
    subprocess.run(["umount", "-l", str(seed)], check=True)
    dry_run = snakemake(run, "-n", "--rerun-incomplete", MODEL).stdout
    assert "train_model" in dry_run and f"Missing output files: {MODEL}" in dry_run


# --- faults in the atomic writers, where they happen ------------------------------------------


def test_writers_on_a_full_disk_leave_nothing_behind(tmp_path, small_disk):
    disk = tmp_path / "disk"
    small_disk(disk)
    big = np.zeros((200, 1000), np.float32)  # 800 kB, more than the disk holds
    # (numpy reports "200000 requested and 16352 written", without errno ENOSPC.)
    with pytest.raises(OSError):
        storage.write_npy(big, disk / "big.npy")
    with pytest.raises(OSError):
        storage.write_csv(pd.DataFrame({"x": np.arange(20000.0)}), disk / "big.csv")
    with pytest.raises(OSError), storage.atomic_directory(disk / "folder") as tmp:
        np.save(tmp / "big.npy", big)
    assert list(disk.iterdir()) == []


def test_a_failed_rewrite_keeps_the_previous_output(tmp_path, monkeypatch):
    storage.write_csv(pd.DataFrame({"x": [1.0]}), tmp_path / "table.csv")
    with storage.atomic_directory(tmp_path / "folder") as tmp:
        (tmp / "a.txt").write_text("old")
    before = {path.name: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()}

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pd.DataFrame, "to_csv", no_space)
    with pytest.raises(OSError):
        storage.write_csv(pd.DataFrame({"x": [2.0]}), tmp_path / "table.csv")
    with pytest.raises(OSError), storage.atomic_directory(tmp_path / "folder") as tmp:
        (tmp / "a.txt").write_text("new, half")
        no_space()
    after = {path.name: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()}
    assert after == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["folder", "table.csv"]

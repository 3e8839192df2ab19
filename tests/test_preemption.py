"""SPEC 7, preemption-safe training: a training job killed at any point and started again
resumes from its last complete checkpoint and ends with the same model (and the same result
CSVs) as an uninterrupted run; a half-written checkpoint is never loaded.

One training job of the completed tiny run (``test_determinism.completed_run``) is redone in a
copy of it, killed twice on the way:

1. SIGKILL to the whole Snakemake process group as soon as checkpoint ``step-000000002`` is
   in place (the controller dies too, as on a lost node; ``--unlock`` then clears its lock);
2. SIGKILL to the training job alone halfway through writing ``variables.npz`` of checkpoint
   ``step-000000006`` (as a scheduler preempting a job), by a ``sitecustomize`` hook on
   ``numpy.savez`` that the job process imports;
3. a last run with ``--rerun-incomplete`` that finishes.
"""

import json
import os
import shutil
import signal
import subprocess
import time
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from tests.test_determinism import (
    EXPERIMENT,
    TRAINING,
    checkpoints_folder,
    completed_run,
    copy_run,
    result_csvs,
    start_snakemake,
)
from tests.workflow_utils import snakemake

pytestmark = pytest.mark.workflow

MODEL = f"results/{EXPERIMENT}/seed0/model"
TRAINING_DIR = f"results/{EXPERIMENT}/seed0/training"
LOG = f"logs/results/{EXPERIMENT}/seed0/train_model.log"
KILL_WHILE_WRITING = 6

# Imported by every Python process whose PYTHONPATH holds its folder; active only in processes
# with MIRLAB_KILL_IN_CHECKPOINT set. It writes the checkpoint's arrays, cuts the file in half
# and kills its own process: what a preemption in the middle of the write leaves behind.
SITECUSTOMIZE = """
import os

if os.environ.get("MIRLAB_KILL_IN_CHECKPOINT"):
    import signal

    import numpy

    _savez = numpy.savez
    _marker = f".step-{int(os.environ['MIRLAB_KILL_IN_CHECKPOINT']):09d}."

    def savez(file, *args, **kwargs):
        _savez(file, *args, **kwargs)
        if _marker in str(file):
            os.truncate(file, os.path.getsize(file) // 2)
            os.kill(os.getpid(), signal.SIGKILL)

    numpy.savez = savez
"""


def kill_when(process: subprocess.Popen, folder: Path, pattern: str, timeout: float = 300) -> Path:
    """SIGKILL ``process``'s whole process group as soon as a path matching ``pattern``
    exists under ``folder``; returns that path."""
    deadline = time.monotonic() + timeout
    while (path := next(folder.glob(pattern), None)) is None:
        if process.poll() is not None:
            pytest.fail(f"snakemake ended ({process.returncode}) before {pattern} appeared")
        if time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail(f"{pattern} did not appear within {timeout} s")
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    return path


def checkpoint_arrays(folder: Path) -> dict[str, np.ndarray]:
    with np.load(folder / "variables.npz") as arrays:
        return {name: arrays[name] for name in arrays.files}


def keras_weights(model_file: Path) -> dict[str, np.ndarray]:
    """Every weight array stored in a ``.keras`` file, by its HDF5 path."""
    weights = {}

    def keep(name: str, item: h5py.Dataset | h5py.Group) -> None:
        if isinstance(item, h5py.Dataset):
            weights[name] = item[()]

    with zipfile.ZipFile(model_file) as archive, archive.open("model.weights.h5") as raw:
        with h5py.File(raw, "r") as h5:
            h5.visititems(keep)
    return weights


def checkpoint_folders(checkpoints: Path) -> list[str]:
    return sorted(path.name for path in checkpoints.iterdir())


def whole_checkpoint(folder: Path) -> bool:
    """Whether ``folder`` holds the state and every array of the step it is named after."""
    try:
        state = json.loads((folder / "state.json").read_text())
        arrays = checkpoint_arrays(folder)
    except (OSError, ValueError):
        return False
    expected = len(state["model_variables"]) + len(state["optimizer_variables"])
    return folder.name == f"step-{state['step']:09d}" and len(arrays) == expected


def named_checkpoints_are_whole(checkpoints: Path) -> dict[str, bool]:
    return {path.name: whole_checkpoint(path) for path in checkpoints.glob("step-*")}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The interrupted and resumed training job, and what each step left behind."""
    reference = completed_run(tmp_path_factory)
    workdir = copy_run(reference, tmp_path_factory.mktemp("preempted") / "run")
    for folder in (MODEL, TRAINING_DIR):
        shutil.rmtree(workdir / folder)
    hooks = tmp_path_factory.mktemp("hooks")
    (hooks / "sitecustomize.py").write_text(SITECUSTOMIZE)

    # 1. The whole Snakemake process group killed just after the first checkpoint.
    first = start_snakemake(workdir, "--cores", "2", MODEL)
    checkpoints = kill_when(first, workdir, f"{TRAINING_DIR}/*/checkpoints/step-000000002").parent
    seen = {"reference": reference, "workdir": workdir, "checkpoints": checkpoints}
    seen["after_first_kill"] = checkpoint_folders(checkpoints)
    seen["whole_after_first_kill"] = named_checkpoints_are_whole(checkpoints)
    seen["model_after_first_kill"] = (workdir / MODEL).exists()
    snakemake(workdir, "--unlock")

    # 2. The job alone killed halfway through writing a checkpoint.
    pythonpath = os.pathsep.join(filter(None, [str(hooks), os.environ.get("PYTHONPATH")]))
    env = {"MIRLAB_KILL_IN_CHECKPOINT": str(KILL_WHILE_WRITING), "PYTHONPATH": pythonpath}
    second = start_snakemake(workdir, "--cores", "2", "--rerun-incomplete", MODEL, env=env)
    seen["second_returncode"] = second.wait(timeout=600)
    seen["second_log"] = (workdir / LOG).read_text()
    seen["after_second_kill"] = checkpoint_folders(checkpoints)
    seen["whole_after_second_kill"] = named_checkpoints_are_whole(checkpoints)
    seen["half_written"] = {
        path.name: sorted(child.name for child in path.iterdir())
        for path in checkpoints.glob(f".step-{KILL_WHILE_WRITING:09d}.*")
    }
    seen["model_after_second_kill"] = (workdir / MODEL).exists()

    # 3. Started again: resumes and finishes, then predicts and scores with the new model
    # (named as a target: a missing intermediate alone does not make Snakemake redo the scores).
    scores = f"results/{EXPERIMENT}/seed0/eval/tiny/summary.csv"
    snakemake(workdir, "--cores", "2", "--rerun-incomplete", MODEL, scores)
    seen["third_log"] = (workdir / LOG).read_text()
    return seen


def test_a_killed_job_leaves_no_model_and_only_whole_checkpoints(runs):
    assert not runs["model_after_first_kill"] and not runs["model_after_second_kill"]
    assert runs["second_returncode"] != 0
    assert "step-000000002" in runs["whole_after_first_kill"]
    for kill in ("first", "second"):
        assert all(runs[f"whole_after_{kill}_kill"].values()), runs[f"whole_after_{kill}_kill"]


def test_restart_resumes_from_the_last_complete_checkpoint(runs):
    resumed = [line for line in runs["second_log"].splitlines() if "resumed from" in line]
    assert len(resumed) == 1, runs["second_log"]
    assert "step-000000002" in resumed[0] or "step-000000004" in resumed[0]
    assert "trained steps" not in runs["second_log"]


def test_a_half_written_checkpoint_is_never_loaded(runs):
    # The kill hit the write: the temporary folder holds a truncated variables.npz only,
    # beside the previous complete checkpoint.
    assert list(runs["half_written"].values()) == [["variables.npz"]], runs["half_written"]
    assert f"step-{KILL_WHILE_WRITING - 2:09d}" in runs["after_second_kill"]
    resumed = [line for line in runs["third_log"].splitlines() if "resumed from" in line]
    assert len(resumed) == 1 and f"step-{KILL_WHILE_WRITING - 2:09d}" in resumed[0]
    assert f"trained steps {KILL_WHILE_WRITING - 2}..{TRAINING['steps']}" in runs["third_log"]
    # ... and the remains are cleared away.
    assert checkpoint_folders(runs["checkpoints"]) == [f"step-{TRAINING['steps']:09d}"]


def test_resumed_run_ends_with_the_weights_and_results_of_an_uninterrupted_run(runs):
    reference, workdir = runs["reference"], runs["workdir"]
    final = f"step-{TRAINING['steps']:09d}"
    expected = checkpoint_arrays(reference / checkpoints_folder(reference) / final)
    actual = checkpoint_arrays(runs["checkpoints"] / final)
    assert sorted(actual) == sorted(expected)
    for name in expected:  # model and optimizer variables alike
        np.testing.assert_array_equal(actual[name], expected[name], err_msg=name)
    expected = keras_weights(reference / MODEL / "model.keras")
    actual = keras_weights(workdir / MODEL / "model.keras")
    assert expected and sorted(actual) == sorted(expected)
    for name in expected:
        np.testing.assert_array_equal(actual[name], expected[name], err_msg=name)
    prefix = f"results/{EXPERIMENT}/"
    expected = {k: v for k, v in result_csvs(reference).items() if k.startswith(prefix)}
    actual = {k: v for k, v in result_csvs(workdir).items() if k.startswith(prefix)}
    assert expected and actual == expected

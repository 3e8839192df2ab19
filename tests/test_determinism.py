"""SPEC 7, determinism: two clean runs of one config on CPU give byte-identical result CSVs.

This module also builds the one completed tiny run that the preemption, reliability and rerun
tests start from (``completed_run``): a session builds it once, and each test module copies it
before changing anything.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.workflow_utils import REPO, SNAKEMAKE, snakemake, write_config

pytestmark = pytest.mark.workflow

EXPERIMENT = "hcnn"
# 8 steps with a checkpoint every 2: room to kill a job between checkpoints (test_preemption).
TRAINING = {"steps": 8, "batch_size": 4, "checkpoint_every": 2, "eval_every": 4}
PARTS = {
    "train": [{"dataset": "tiny", "part": "train"}],
    "validate": [{"dataset": "tiny", "part": "valid"}],
    "test": [{"dataset": "tiny", "part": "test"}],
}


def run_config() -> dict:
    """Preprocessing, one tiny trained model, one baseline, evaluation, table and figures."""
    return {
        "datasets": {
            "tiny": {
                "loader": "synth",
                "generate": {"n_tracks": 5, "duration": 2.0, "seed": 3, "n_artists": 5},
                "split": {"seeded": {"fractions": {"train": 0.4, "valid": 0.2, "test": 0.4}}},
            }
        },
        "features": {"cqt": {"kind": "cqt", "sr": 22050, "hop_length": 256}},
        "audio_rates": [],
        "experiments": {
            EXPERIMENT: {
                "task": "melody",
                "method": "train",
                "model": "hcnn",
                "model_args": {"filters": [4, 4, 4]},
                "input": {"feature": "cqt"},
                "window": {"n_frames": 16, "hop": 8},
                "training": TRAINING,
                **PARTS,
            },
            "pyin": {
                "task": "melody",
                "method": "baseline",
                "baseline": "pyin",
                "input": {"audio_sr": 16000, "hop_length": 160},
                "test": PARTS["test"],
            },
        },
    }


def run_pipeline(workdir: Path, config: dict, *targets: str) -> Path:
    """Write ``config`` into ``workdir`` and run snakemake on 2 cores to ``targets`` (or all)."""
    write_config(workdir, config)
    snakemake(workdir, "--cores", "2", *targets)
    return workdir


_COMPLETED: dict[str, Path] = {}


def completed_run(tmp_path_factory) -> Path:
    """A workdir where ``snakemake --cores 2`` of ``run_config()`` has finished (built once per
    session). Never change it: copy it with ``copy_run`` first."""
    if "run" not in _COMPLETED:
        _COMPLETED["run"] = run_pipeline(tmp_path_factory.mktemp("completed"), run_config())
    return _COMPLETED["run"]


def copy_run(source: Path, destination: Path) -> Path:
    """A copy of a finished workdir, Snakemake's records and file times included, so that
    Snakemake sees it as up to date."""
    shutil.copytree(source, destination, symlinks=True)
    return destination


def start_snakemake(workdir: Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    """Snakemake started in the background, in a process group of its own (its jobs included,
    so that ``os.killpg`` stops them all), its output appended to ``workdir/snakemake.out``."""
    command = [str(SNAKEMAKE), "-s", str(REPO / "Snakefile"), "-d", str(workdir), *args]
    env = {**os.environ, "PYTHONHASHSEED": "0", "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})}
    with open(workdir / "snakemake.out", "a") as out:
        return subprocess.Popen(
            command, cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip


def checkpoints_folder(workdir: Path) -> str:
    """Where the trained experiment (seed 0) of a completed run keeps its checkpoints, relative
    to ``workdir`` (the training folder is keyed by the experiment and its data)."""
    (folder,) = workdir.glob(f"results/{EXPERIMENT}/seed0/training/*/checkpoints")
    return str(folder.relative_to(workdir))


def result_csvs(workdir: Path) -> dict[str, bytes]:
    """The bytes of every CSV under ``results/`` and of ``reports/results.csv``, by path."""
    paths = sorted(workdir.glob("results/**/*.csv")) + [workdir / "reports" / "results.csv"]
    return {str(path.relative_to(workdir)): path.read_bytes() for path in paths}


def test_two_clean_runs_give_byte_identical_result_csvs(tmp_path_factory):
    first = result_csvs(completed_run(tmp_path_factory))
    # The second run stops at the table: figures write no CSV.
    workdir = tmp_path_factory.mktemp("second")
    second = result_csvs(run_pipeline(workdir, run_config(), "reports/results.csv"))
    # The comparison covers predictions, per-track and summary scores of both methods.
    for method in (EXPERIMENT, "pyin"):
        assert f"results/{method}/seed0/eval/tiny/per_track.csv" in first
        assert f"results/{method}/seed0/eval/tiny/summary.csv" in first
        assert any(p.startswith(f"results/{method}/seed0/predictions/tiny/") for p in first)
    assert sorted(first) == sorted(second)
    differing = [path for path in first if first[path] != second[path]]
    assert not differing, f"result CSVs differ between two clean runs: {differing}"

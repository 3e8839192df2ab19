"""The generation family's jobs (:class:`mirlab.families.base.FamilyJobs`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from mirlab.data.cache import DatasetPaths
from mirlab.families.generation import estimates
from mirlab.families.generation.figures import compare_figure, experiment_figures


def train(
    experiment: dict,
    seed: int,
    train_sets: Sequence[tuple[DatasetPaths, str]],
    valid_sets: Sequence[tuple[DatasetPaths, str]],
    work_dir: Path,
    model_dir: Path,
    command: str,
    excerpts: Sequence[Mapping] = (),
) -> None:
    """Train a GRU (excerpts are not validation sets here: the held-out likelihood is over
    whole validation tracks)."""
    # Imported here: TensorFlow's import costs seconds that the other jobs skip.
    from mirlab.families.generation.training import train_experiment

    train_experiment(experiment, seed, train_sets, valid_sets, work_dir, model_dir, command)


predict = estimates.predict
score = estimates.score
figures = experiment_figures
__all__ = ["compare_figure", "figures", "predict", "score", "train"]

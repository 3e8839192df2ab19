"""The autoencoder family's jobs (:class:`mirlab.families.base.FamilyJobs`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from mirlab.data.cache import DatasetPaths
from mirlab.families.autoencoder.estimates import predict, score
from mirlab.families.autoencoder.figures import compare_figure, experiment_figures


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
    # Imported here: TensorFlow's import costs seconds that the other jobs skip.
    from mirlab.families.autoencoder.training import train_experiment

    train_experiment(
        experiment, seed, list(train_sets), list(valid_sets), work_dir, model_dir, command, excerpts
    )


figures = experiment_figures
__all__ = ["compare_figure", "figures", "predict", "score", "train"]

"""The melody family's jobs (:class:`mirlab.families.base.FamilyJobs`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from mirlab.data.cache import DatasetPaths
from mirlab.families.melody import estimates
from mirlab.families.melody.figures import compare_figure, experiment_figures
from mirlab.families.melody.metrics import evaluate_directory


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
    from mirlab.families.melody.training import train_experiment

    train_experiment(
        experiment, seed, list(train_sets), list(valid_sets), work_dir, model_dir, command, excerpts
    )


predict = estimates.predict


def score(predictions: Path, data: DatasetPaths, part: str) -> pd.DataFrame:
    return evaluate_directory(predictions, data.references(data.track_ids(part)))


figures = experiment_figures
__all__ = ["compare_figure", "figures", "predict", "score", "train"]

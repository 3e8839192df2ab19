"""The chord family's jobs (:class:`mirlab.families.base.FamilyJobs`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from mirlab.data.cache import DatasetPaths
from mirlab.families.chords import estimates
from mirlab.families.chords.figures import compare_figure, experiment_figures
from mirlab.families.chords.metrics import evaluate_directory


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
    from mirlab.families.chords.training import train_experiment

    train_experiment(
        experiment, seed, list(train_sets), list(valid_sets), work_dir, model_dir, command
    )


predict = estimates.predict


def score(predictions: Path, data: DatasetPaths, part: str) -> pd.DataFrame:
    return evaluate_directory(predictions, data, part)


figures = experiment_figures
__all__ = ["compare_figure", "figures", "predict", "score", "train"]

"""The family interface: what an experiment family gives the family-neutral layers.

An experiment's ``task`` names its family. A family is one package under
``mirlab/families/`` (or any importable module named in the config's ``families`` section)
whose ``FAMILY`` attribute is a :class:`Family`. The layers below (data, learning,
evaluation and report, the rules) only ever see this object:

- ``schema``: the YAML fragment merged into ``config/schema.yaml``'s experiment entry; a key
  of another family is an unknown key of this one, named in the error.
- ``reference_kind``: which annotation kind of a dataset the family trains on and scores
  against (melody: the dataset's ``reference``, ``melody`` or ``pitch``; multi-pitch:
  ``multif0``; chords will read ``chords``). Its frame-grid copy gives the targets.
- ``metrics``: the per-track metric columns, hence the results-table columns;
  ``headline_metrics`` are drawn in the results figures.
- ``estimate_suffix``: the family's estimate file format, one file per track
  (melody: MIREX ``.csv``; multi-pitch: MIREX multi-f0 rows ``.txt``; chords: ``.lab``).
- ``models`` and ``baselines``: the names ``model`` and ``baseline`` may take.
- ``check_experiment``: cross-checks an expanded experiment against the config (e.g. a
  baseline that needs an HCQT feature); raises ``InputError`` naming the key.
- ``jobs``: the module with the job functions (:class:`FamilyJobs`), imported only by the
  jobs that call them so that planning never imports TensorFlow.

How the families still to come use it:

- several outputs, one loss each, with weights (chord heads): the family's ``train`` builds
  a model with a dict of outputs and passes ``mirlab.learning.train.weighted_losses`` of its
  per-head losses to ``train_model``; its validator scores decoded chords.
- a target that is the input itself (autoencoder): its training data is a
  ``windows.WindowBatches`` whose ``target_fn`` returns the window's own input.
- stateful sequence training over raw samples (generation): its training data yields
  consecutive chunks of ``b`` parallel streams in order, and the model's stateful layers keep
  their state in variables that the loop checkpoints with the others.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import pandas as pd


class FamilyJobs(Protocol):
    """The job functions of a family (its ``jobs`` module). Paths are folders or files the
    job writes atomically; ``data`` is a ``mirlab.data.cache.DatasetPaths``."""

    def train(
        self,
        experiment: dict,
        seed: int,
        train_sets: Sequence,
        valid_sets: Sequence,
        work_dir: Path,
        model_dir: Path,
        command: str,
        excerpts: Sequence[Mapping] = (),
    ) -> None:
        """Train through ``mirlab.learning.train.train_model`` and write the model folder."""

    def predict(
        self,
        experiment: dict,
        data,
        part: str,
        output: Path,
        model_dir: Path | None = None,
        feature_params: dict | None = None,
        valid_sets: Sequence = (),
    ) -> None:
        """Write one estimate file per track of ``data``'s ``part`` for any method (train,
        baseline, external)."""

    def score(self, predictions: Path, data, part: str) -> pd.DataFrame:
        """Per-track scores of a folder of estimates against the original references:
        ``track_id`` then one column per metric of ``Family.metrics``."""

    def figures(
        self, predictions: Path, data, part: str, excerpts: Sequence[Mapping], output: Path
    ) -> None:
        """Figures of one method on one test set, as PNGs in the folder ``output``."""

    def compare_figure(
        self,
        predictions_a: Path,
        predictions_b: Path,
        names: tuple[str, str],
        data,
        part: str,
        output: Path,
    ) -> None:
        """Two methods side by side on the first test track (one PNG)."""


@dataclass(frozen=True)
class Family:
    """One experiment family (see the module docstring for each field)."""

    name: str
    schema: Path
    reference_kind: Callable[[Mapping], str]
    metrics: tuple[str, ...]
    headline_metrics: tuple[str, ...]
    estimate_suffix: str
    models: tuple[str, ...]
    baselines: tuple[str, ...]
    check_experiment: Callable[[str, dict, dict], None]
    jobs: str

    def load_jobs(self) -> FamilyJobs | ModuleType:
        """The family's job module (imported on first use)."""
        return importlib.import_module(self.jobs)

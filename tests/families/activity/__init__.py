"""A tiny experiment family defined in the tests (``task: activity``): is the melody
sounding in each frame? It proves that a family is one folder: this package, a registry
entry (the config's ``families: {activity: tests.families.activity}``) and its test.

``baseline: rms`` calls a frame active when its RMS level reaches ``threshold_db``;
``method: train`` with ``model: threshold`` learns that level on the training tracks.
Estimates are ``<track>.txt`` rows ``time active``; metrics are frame precision, recall and
accuracy of the activity against the dataset's reference f0 (voiced = active).
"""

from pathlib import Path

from mirlab.families.base import Family


def _check(name: str, experiment: dict, config: dict) -> None:
    """Nothing to cross-check."""


FAMILY = Family(
    name="activity",
    schema=Path(__file__).with_name("schema.yaml"),
    reference_kind=lambda dataset: dataset["reference"],
    metrics=("precision", "recall", "accuracy"),
    headline_metrics=("accuracy",),
    estimate_suffix=".txt",
    models=("threshold",),
    baselines=("rms",),
    check_experiment=_check,
    jobs="tests.families.activity.jobs",
)

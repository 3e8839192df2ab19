"""Multi-pitch (multi-f0) estimation (``task: multipitch``).

Estimates are MIREX multi-f0 files (``<track>.txt``: time, then the f0s sounding, tab
separated), scored by ``mir_eval.multipitch`` against the dataset's ``multif0`` annotation
(or its ``notes``, with ``reference: notes``). Models: deep salience and HCNN over HCQT/CQT
frames (:mod:`mirlab.pitch.models`), salience peaks above a threshold tuned on validation;
baselines: HCQT harmonic-summation salience peaks, and the pretrained basic-pitch.
"""

from __future__ import annotations

from pathlib import Path

from mirlab.errors import InputError
from mirlab.families.base import Family

#: Per-track metric columns, in the order of
#: :func:`mirlab.families.multipitch.metrics.multipitch_metrics` (here, so that planning does
#: not import mir_eval).
METRICS = (
    "precision",
    "recall",
    "f_measure",
    "accuracy",
    "substitution_error",
    "miss_error",
    "false_alarm_error",
    "total_error",
    "chroma_precision",
    "chroma_recall",
    "chroma_f_measure",
    "chroma_accuracy",
    "chroma_substitution_error",
    "chroma_miss_error",
    "chroma_false_alarm_error",
    "chroma_total_error",
)


def reference_kind(dataset: dict) -> str:
    """``notes`` for a dataset with ``reference: notes`` (a note list), else ``multif0``."""
    return "notes" if dataset.get("reference") == "notes" else "multif0"


def check_experiment(name: str, experiment: dict, config: dict) -> None:
    """Feature models and ``salience_peak`` read a feature, basic-pitch reads audio, and the
    model is one salience output (no voicing head)."""
    where = f"config key experiments.{name}"
    spec = experiment.get("input", {})
    feature = config["features"].get(spec.get("feature"), {})
    if experiment.get("baseline") == "salience_peak" and feature.get("kind") != "hcqt":
        raise InputError(f"{where}.input", "the salience_peak baseline reads an hcqt feature")
    if experiment.get("baseline") == "basic_pitch" and "audio_sr" not in spec:
        raise InputError(f"{where}.input", "the basic_pitch baseline reads audio (audio_sr)")
    if experiment.get("method") == "train":
        if "feature" not in spec:
            raise InputError(f"{where}.input", "multi-pitch models read a feature (hcqt or cqt)")
        if experiment.get("model_args", {}).get("voicing_head"):
            raise InputError(f"{where}.model_args.voicing_head", "multi-pitch has no voicing")


FAMILY = Family(
    name="multipitch",
    schema=Path(__file__).with_name("schema.yaml"),
    reference_kind=reference_kind,
    metrics=METRICS,
    headline_metrics=("f_measure", "accuracy", "precision", "recall", "chroma_accuracy"),
    estimate_suffix=".txt",
    models=("deep_salience", "hcnn"),
    baselines=("salience_peak", "basic_pitch"),
    check_experiment=check_experiment,
    jobs="mirlab.families.multipitch.jobs",
)

"""Melody extraction and monophonic pitch tracking (``task: melody`` or ``pitch``).

Estimates are MIREX CSVs (``time,f0``; ``f0 <= 0`` unvoiced, negative: the pitch guess),
scored by ``mir_eval.melody`` against the dataset's ``reference`` annotation (``melody`` or
``pitch``). Models: CREPE, deep salience, HCNN, WaveNet, perceptron, and melody from the
latent of a trained autoencoder (``latent_salience``, which names that experiment in
``pretrained``) (:mod:`mirlab.pitch.models`); baselines: pyin, HCQT salience peak, Melodia,
SwiftF0.
"""

from __future__ import annotations

from pathlib import Path

from mirlab.errors import InputError
from mirlab.families.base import Family

#: Per-track metric columns, as :func:`mirlab.families.melody.metrics.melody_metrics` gives
#: them (kept here so that planning does not import mir_eval).
METRICS = (
    "voicing_recall",
    "voicing_false_alarm",
    "voicing_accuracy",
    "raw_pitch_accuracy",
    "raw_chroma_accuracy",
    "overall_accuracy",
    "overall_chroma_accuracy",
    "raw_pitch_accuracy_25c",
    "raw_chroma_accuracy_25c",
    "raw_pitch_accuracy_10c",
    "raw_chroma_accuracy_10c",
    *(f"raw_harmonic_accuracy_h{h}" for h in range(2, 6)),
)


#: Frames of the autoencoder patch that ``latent_salience`` reads
#: (``mirlab.learning.autoencoders.PATCH_SHAPE``; not imported: planning imports no Keras).
LATENT_PATCH_FRAMES = 32


def check_experiment(name: str, experiment: dict, config: dict) -> None:
    """The HCQT salience baseline reads an ``hcqt`` feature; ``latent_salience`` (and only
    it) reads a ``pretrained`` model, through a feature (the pretrained one's, checked by
    planning) in windows of one 32-frame patch."""
    where = f"config key experiments.{name}"
    if experiment.get("model") == "latent_salience":
        if "pretrained" not in experiment:
            raise InputError(
                f"{where}.pretrained", "latent_salience reads a trained autoencoder: name it"
            )
        if "feature" not in experiment["input"]:
            raise InputError(f"{where}.input", "latent_salience reads the autoencoder's feature")
        window = experiment["window"]
        if (window["n_frames"], window["context"]) != (LATENT_PATCH_FRAMES, 0):
            raise InputError(
                f"{where}.window",
                f"latent_salience reads one {LATENT_PATCH_FRAMES}-frame patch per window: "
                f"n_frames {LATENT_PATCH_FRAMES}, context 0",
            )
    elif "pretrained" in experiment:
        raise InputError(f"{where}.pretrained", "only latent_salience reads a pretrained model")
    if experiment.get("baseline") == "salience_peak":
        feature = config["features"].get(experiment["input"].get("feature"), {})
        if feature.get("kind") != "hcqt":
            raise InputError(
                f"config key experiments.{name}.input",
                "the salience_peak baseline reads an hcqt feature",
            )


FAMILY = Family(
    name="melody",
    schema=Path(__file__).with_name("schema.yaml"),
    reference_kind=lambda dataset: dataset["reference"],
    metrics=METRICS,
    headline_metrics=(
        "overall_accuracy",
        "raw_pitch_accuracy",
        "raw_chroma_accuracy",
        "voicing_recall",
        "voicing_false_alarm",
    ),
    estimate_suffix=".csv",
    models=("crepe", "deep_salience", "hcnn", "wavenet", "perceptron", "latent_salience"),
    baselines=("pyin", "salience_peak", "melodia", "swift_f0"),
    check_experiment=check_experiment,
    jobs="mirlab.families.melody.jobs",
)

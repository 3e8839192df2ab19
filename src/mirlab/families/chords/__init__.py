"""Chord recognition (``task: chords``), after McFee & Bello (2017), "structured training".

Estimates are ``.lab`` files (``start end label``, Harte syntax), scored by
``mir_eval.chord`` (root, thirds, triads, tetrads, sevenths, majmin, mirex and the ``_inv``
variants, duration-weighted per track) against the dataset's ``chords`` annotation. Models
(:mod:`mirlab.families.chords.models`): the seed's CNN + Bi-GRU, CR1, CR2 (``_s``: with the
structured pitch/root/bass heads) and a fully convolutional U-Net; baselines: chroma
templates with Viterbi smoothing, and madmom's pretrained CNN + CRF (optional extra, see
:mod:`mirlab.families.chords.pretrained`). The vocabulary:
:mod:`mirlab.families.chords.vocabulary`.
"""

from __future__ import annotations

from pathlib import Path

from mirlab.errors import InputError
from mirlab.families.base import Family

#: Per-track metric columns, as :func:`mirlab.families.chords.metrics.chord_metrics` gives
#: them (kept here so that planning does not import mir_eval).
METRICS = (
    "root",
    "thirds",
    "thirds_inv",
    "triads",
    "triads_inv",
    "tetrads",
    "tetrads_inv",
    "sevenths",
    "sevenths_inv",
    "majmin",
    "majmin_inv",
    "mirex",
)


def check_experiment(name: str, experiment: dict, config: dict) -> None:
    """Models read a ``cqt`` feature (or an ``hcqt``: one channel per harmonic, e.g. the
    seed's 216 x 3 input) and the template baseline a ``cqt``, with a whole number of bins per
    semitone (the pitch shift and the chroma need it); madmom reads 44.1 kHz audio."""
    if experiment["method"] == "external":
        return
    if experiment.get("baseline") == "madmom":
        if experiment.get("input", {}).get("audio_sr") != 44100:
            raise InputError(
                f"config key experiments.{name}.input",
                "the madmom baseline reads raw audio: {audio_sr: 44100, hop_length: 4410}",
            )
        return
    feature = config["features"].get(experiment.get("input", {}).get("feature"), {})
    kinds = ("cqt",) if experiment["method"] == "baseline" else ("cqt", "hcqt")
    if feature.get("kind") not in kinds or feature.get("bins_per_octave", 60) % 12:
        raise InputError(
            f"config key experiments.{name}.input",
            f"this chord method reads a {' or '.join(kinds)} feature with 12k bins per octave",
        )


FAMILY = Family(
    name="chords",
    schema=Path(__file__).with_name("schema.yaml"),
    reference_kind=lambda dataset: "chords",
    metrics=METRICS,
    headline_metrics=("root", "majmin", "sevenths", "tetrads", "mirex"),
    estimate_suffix=".lab",
    models=("seed", "cr1", "cr1_s", "cr2", "cr2_s", "unet"),
    baselines=("template", "madmom"),
    check_experiment=check_experiment,
    jobs="mirlab.families.chords.jobs",
)

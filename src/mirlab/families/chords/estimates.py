"""Estimates of every chord method as ``.lab`` files: pipeline jobs.

A trained model, the template baseline, madmom's pretrained recogniser and an external
method's folder all end as one ``<track_id>.lab`` per track, scored by one evaluator against
the original references. Only trained models need TensorFlow, so this module does not
import it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mirlab.data import features
from mirlab.data.cache import DatasetPaths
from mirlab.data.readers import read_lab_chords
from mirlab.evaluation.evaluate import copy_external
from mirlab.families.chords import baselines, decode, pretrained
from mirlab.storage import atomic_directory


def run_baseline(
    experiment: dict, data: DatasetPaths, part: str, output: str | Path, feature_params: dict
) -> None:
    """Write a ``.lab`` of the chroma-template baseline for every track of ``data``'s ``part``
    (``feature_params``: the CQT's entry of the config's features section)."""
    template = experiment["template"]
    cqt = features.feature_params(
        "cqt", **{key: value for key, value in feature_params.items() if key not in ("kind", "sr")}
    )
    decoding = experiment["decoding"]
    self_transition = decoding["self_transition"] if decoding["viterbi"] else None
    track_ids = data.track_ids(part)
    with atomic_directory(output) as tmp:
        for track_id, path in zip(track_ids, data.input_files(track_ids), strict=True):
            posteriors = baselines.template_posteriors(np.load(path), cqt, **template)
            tags = decode.decode_tags(posteriors, self_transition)
            intervals, labels = decode.tags_to_segments(tags, data.frame_period)
            decode.write_lab(intervals, labels, tmp / f"{track_id}.lab")


def run_madmom(data: DatasetPaths, part: str, output: str | Path) -> None:
    """Write a ``.lab`` of madmom's pretrained CNN + CRF recogniser for every track of
    ``data``'s ``part`` (raw audio input at 44.1 kHz)."""
    recogniser = pretrained.madmom_recogniser()
    track_ids = data.track_ids(part)
    with atomic_directory(output) as tmp:
        for track_id, path in zip(track_ids, data.input_files(track_ids), strict=True):
            intervals, labels = pretrained.madmom_chords(np.load(path), data.sr, recogniser)
            decode.write_lab(intervals, labels, tmp / f"{track_id}.lab")


def predict(
    experiment: dict,
    data: DatasetPaths,
    part: str,
    output: str | Path,
    model_dir: str | Path | None = None,
    feature_params: dict | None = None,
    valid_sets=(),
) -> None:
    """Estimates of any method (``experiment["method"]``: train, baseline or external)."""
    method = experiment["method"]
    if method == "train":
        # Imported here: TensorFlow's import costs seconds that the other methods' jobs skip.
        from mirlab.families.chords.training import predict_experiment

        predict_experiment(experiment, model_dir, data, part, output)
    elif method == "baseline" and experiment["baseline"] == "madmom":
        run_madmom(data, part, output)
    elif method == "baseline":
        run_baseline(experiment, data, part, output, feature_params)
    else:
        copy_external(experiment, data, part, output, read_lab_chords, decode.write_lab, ".lab")

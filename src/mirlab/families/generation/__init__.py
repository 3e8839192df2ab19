"""Sample-level audio generation (``task: generation``): stacked GRUs over 8-bit mu-law audio.

The input is a dataset's audio at ``input.audio_sr`` (8 kHz as in the seed), normalised
(``signal``) and mu-law coded to 256 levels. A ``gru`` model (``model_args``: ``hidden``,
``layers``) is trained by stateful truncated back-propagation over ``training.batch_size``
parallel streams of ``training.seq_length`` samples, with RMSProp and gradient clipping.
Estimates are one JSON per track (``<track_id>.json``: ``bits_per_sample``, the code length
of the track's mu-law stream under the method); baselines code the same stream with FLAC,
xz, or give its zeroth- and first-order empirical entropies. A trained model's prediction
job also generates audio (``generate``), drawn by the figures job.
"""

from __future__ import annotations

from pathlib import Path

from mirlab.errors import InputError
from mirlab.families.base import Family

METRICS = ("bits_per_sample",)


def check_experiment(name: str, experiment: dict, config: dict) -> None:
    """Generation reads raw audio: ``input`` must give ``audio_sr`` (and ``hop_length``, the
    frame hop of the generated-audio statistics)."""
    if "audio_sr" not in experiment.get("input", {}):
        raise InputError(
            f"config key experiments.{name}.input", "a generation experiment reads audio_sr"
        )


FAMILY = Family(
    name="generation",
    schema=Path(__file__).with_name("schema.yaml"),
    # Generation reads audio only; the dataset's reference kind is what the grid stage has.
    reference_kind=lambda dataset: dataset["reference"],
    metrics=METRICS,
    headline_metrics=METRICS,
    estimate_suffix=".json",
    models=("gru",),
    baselines=("flac", "xz", "entropy0", "entropy1"),
    check_experiment=check_experiment,
    jobs="mirlab.families.generation.jobs",
)

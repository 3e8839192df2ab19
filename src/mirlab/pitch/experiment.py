"""The pitch layer's experiment plumbing, shared by the melody and multi-pitch families.

An experiment mapping (see ``config/schema.yaml``) names a model of
:mod:`mirlab.pitch.models`, its window and its pitch-bin target axis; these functions turn
it into the :class:`~mirlab.pitch.targets.PitchBins`, the
:class:`~mirlab.learning.windows.WindowSpec` and the windowed Keras model that training and
prediction use.
"""

from __future__ import annotations

from pathlib import Path

import keras

from mirlab.errors import InputError
from mirlab.learning import windows
from mirlab.pitch.models import build_model
from mirlab.pitch.targets import PitchBins

#: Models that read raw audio (1-D windows of samples); the others read feature frames.
RAW_AUDIO_MODELS = ("crepe", "wavenet", "perceptron")
#: Models built on a trained model of another experiment (the experiment's ``pretrained``,
#: whose ``model_dir`` planning resolves), given to the builder as ``autoencoder``; they
#: read their input as it is cached (the pretrained model's own scaling), not normalised
#: per window.
PRETRAINED_MODELS = ("latent_salience",)


def pitch_bins(experiment: dict) -> PitchBins:
    """The pitch-bin axis of the experiment's ``target`` (its model's output bins)."""
    target = experiment["target"]
    return PitchBins(target["bins_per_semitone"], target["lowest_note"], target["n_bins"])


def window_spec(experiment: dict, hop_length: int) -> windows.WindowSpec:
    """The training/prediction window of ``experiment`` (``hop_length``: samples per frame)."""
    window = experiment["window"]
    if experiment["model"] in RAW_AUDIO_MODELS:
        n_frames = window["n_frames"]
        # Several output frames per window: each frame owns hop_length samples of the window.
        window_samples = window.get("window_samples", 1024) if n_frames == 1 else hop_length
        return windows.WindowSpec(
            n_frames=n_frames,
            context=window["context"],
            hop=window["hop"],
            input="samples",
            hop_length=hop_length,
            window_samples=window_samples,
        )
    return windows.WindowSpec(
        n_frames=window["n_frames"], context=window["context"], hop=window["hop"]
    )


def input_normalization(experiment: dict) -> windows.Normalize:
    """How the experiment's windows are normalised, in training and prediction alike:
    ``"window"`` (zero mean, unit variance), or None for :data:`PRETRAINED_MODELS`."""
    return None if experiment["model"] in PRETRAINED_MODELS else "window"


def load_pretrained(experiment: dict) -> keras.Model:
    """The trained model that the experiment's ``pretrained`` names (``model_dir``, resolved
    by planning: ``results/<experiment>/seed<seed>/model``)."""
    pretrained = experiment.get("pretrained") or {}
    if "model_dir" not in pretrained:
        raise InputError(
            "config key pretrained", f"model {experiment['model']!r} needs a pretrained model"
        )
    path = Path(pretrained["model_dir"]) / "model.keras"
    if not path.is_file():
        raise InputError(path, "no trained model here (train the pretrained experiment first)")
    return keras.saving.load_model(path)


def build_experiment_model(
    experiment: dict, spec: windows.WindowSpec, feature_shape: tuple
) -> keras.Model:
    """Build the experiment's model for windows of ``spec`` over inputs of ``feature_shape``.

    Raw-audio models get their window and context from ``spec``; a feature model gets a
    channel axis when it expects one, and its output is cropped to the window's frames when
    the window carries context frames.
    """
    name = experiment["model"]
    kwargs = {"n_bins": experiment["target"]["n_bins"], **experiment["model_args"]}
    if name in PRETRAINED_MODELS:
        kwargs["autoencoder"] = load_pretrained(experiment)
    if name in RAW_AUDIO_MODELS:
        window = spec.input_length - 2 * spec.context
        if name == "perceptron":
            kwargs.update(input_size=spec.input_length, n_output_frames=spec.n_frames)
        else:
            kwargs.update(window=window, context=spec.context, n_output_frames=spec.n_frames)
        return build_model(name, **kwargs)
    inner = build_model(name, **kwargs)
    expected = tuple(inner.input_shape[2:])
    with_channel = (*feature_shape, 1) if len(expected) == len(feature_shape) + 1 else feature_shape
    if tuple(with_channel) != expected:
        raise InputError(
            "config key input.feature",
            f"model {name!r} reads frames of shape {expected}, the feature has {feature_shape}",
        )
    inputs = keras.Input((spec.input_length, *feature_shape))
    x = inputs
    if with_channel != feature_shape:
        x = keras.layers.Reshape((spec.input_length, *with_channel))(x)
    y = inner(x)
    if spec.context:
        crop = keras.layers.Cropping1D((spec.context, spec.context))
        if isinstance(y, dict):  # a voicing head: (batch, frames) beside the salience
            voicing = keras.layers.Reshape((-1, 1))(y["voicing"])
            voicing = keras.layers.Reshape((-1,), name="voicing")(crop(voicing))
            y = {"salience": crop(y["salience"]), "voicing": voicing}
        else:
            y = crop(y)
    return keras.Model(inputs, y, name=f"{name}_windowed")

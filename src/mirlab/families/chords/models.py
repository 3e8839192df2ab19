"""Chord recognition models (Keras 3): McFee & Bello's structured CNN + Bi-GRU and a fully
convolutional U-Net with the same structured heads.

Every builder returns a model from ``(batch, time, n_bins, n_channels)`` log-CQT frames to a
dict of per-frame outputs ``(batch, time, classes)``: ``tag`` (170, softmax) and, with the
structured heads, ``pitch`` (12, sigmoid), ``root`` (13, softmax) and ``bass`` (13, softmax),
whose outputs the tag head reads beside the network's features (see
:mod:`mirlab.families.chords.vocabulary` for the class order). ``time`` may be any length.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers

from mirlab.errors import InputError
from mirlab.families.chords.vocabulary import N_PITCHES, N_ROOTS, N_TAGS


def _front_end(x, n_bins: int):
    """BatchNorm -> Conv 5x5 (1 filter, relu) -> Conv 1 x n_bins (36 filters, relu) ->
    squeeze frequency: ``(batch, time, 36)``."""
    x = layers.BatchNormalization()(x)
    x = layers.Conv2D(1, (5, 5), padding="same", activation="relu")(x)
    x = layers.Conv2D(36, (1, n_bins), padding="valid", activation="relu")(x)
    return layers.Reshape((-1, 36))(x)


def _structured_outputs(features, structured: bool, dense: bool) -> dict:
    """Heads over ``features`` ``(batch, time, d)`` (``dense``: Dense layers; else 1x1
    convolutions): pitch, root, bass, then the tag over their concatenation with the
    features (structured), or the tag alone."""

    def head(units: int, activation: str, name: str, extra: dict | None = None):
        if dense:
            return layers.Dense(units, activation=activation, name=name, **(extra or {}))
        return layers.Conv1D(units, 1, activation=activation, name=name, **(extra or {}))

    tag_args = {"bias_regularizer": keras.regularizers.L2(0.01)}
    if not structured:
        return {"tag": head(N_TAGS, "softmax", "chord_tag", tag_args)(features)}
    pitch = head(N_PITCHES, "sigmoid", "chord_pitch")(features)
    root = head(N_ROOTS, "softmax", "chord_root")(features)
    bass = head(N_ROOTS, "softmax", "chord_bass")(features)
    codec = layers.Concatenate()([features, pitch, root, bass])
    tag = head(N_TAGS, "softmax", "chord_tag", tag_args)(codec)
    return {"tag": tag, "pitch": pitch, "root": root, "bass": bass}


def recurrent_model(
    n_bins: int = 216,
    n_channels: int = 1,
    gru_units: Sequence[int] = (128, 128),
    structured: bool = True,
    reset_after: bool = False,
    name: str = "chords_crnn",
) -> keras.Model:
    """The CNN + Bi-GRU chord model of McFee & Bello (2017).

    Front end (:func:`_front_end`) -> one bidirectional GRU per entry of ``gru_units``
    (units per direction, sequences returned) -> heads. ``structured``: the pitch, root and
    bass heads feed the tag head (``+S``); otherwise the tag head alone. ``reset_after``:
    Keras's GRU variant (False: the original formulation, as in the paper's Keras 2 code).
    The tag head's bias carries an L2 penalty (Keras's default factor 0.01), as in the seed.
    """
    if not gru_units or any(int(units) < 1 for units in gru_units):
        raise InputError("model_args.gru_units", f"must be positive integers, got {gru_units!r}")
    inputs = keras.Input((None, n_bins, n_channels), name="cqt")
    x = _front_end(inputs, n_bins)
    for units in gru_units:
        gru = layers.GRU(int(units), return_sequences=True, reset_after=reset_after)
        x = layers.Bidirectional(gru)(x)
    return keras.Model(inputs, _structured_outputs(x, structured, dense=True), name=name)


def seed_model(n_bins: int = 216, n_channels: int = 3) -> keras.Model:
    """The seed's model exactly: input ``n_bins x n_channels`` (216 x 3), one Bi-GRU of 64
    per direction (``reset_after=False``), structured heads: 79,976 parameters, 6 of them
    (the batch-norm statistics) non-trainable."""
    return recurrent_model(n_bins, n_channels, (64,), True, reset_after=False, name="chords_seed")


def cr1(n_bins: int = 216, n_channels: int = 1, structured: bool = False) -> keras.Model:
    """CR1: one Bi-GRU of 256 per direction (``structured``: CR1+S)."""
    return recurrent_model(n_bins, n_channels, (256,), structured, name="chords_cr1")


def cr2(n_bins: int = 216, n_channels: int = 1, structured: bool = False) -> keras.Model:
    """CR2: two Bi-GRUs of 128 per direction (``structured``: CR2+S)."""
    return recurrent_model(n_bins, n_channels, (128, 128), structured, name="chords_cr2")


def _conv_block(x, filters: int, time_kernel: int):
    for _ in range(2):
        x = layers.Conv2D(filters, (time_kernel, 3), padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
    return x


def unet_model(
    n_bins: int = 216,
    n_channels: int = 1,
    filters: int = 8,
    depth: int = 3,
    time_kernel: int = 5,
    features: int = 64,
    structured: bool = True,
) -> keras.Model:
    """Fully convolutional U-Net with the structured heads: no recurrent or dense layer.

    The U-Net pools and upsamples the frequency axis only (``depth`` times by 2, so
    ``n_bins`` must be divisible by ``2 ** depth``; 216 = 27 * 8), keeping every frame;
    blocks are two ``time_kernel x 3`` convolutions with batch norm and relu, ``filters *
    2 ** level`` filters, with skip connections. The answer to the seed's question: the
    heads predict per frame, so a convolution spanning the whole frequency axis (``1 x
    n_bins``, ``features`` filters, as in the recurrent front end) reduces it to
    ``(batch, time, features)`` before them; the heads are 1x1 convolutions over that
    sequence (a per-frame Dense without a Dense layer), the tag head reading the
    concatenation of the features with the pitch, root and bass heads (``structured``).
    """
    if n_bins % (2**depth):
        raise InputError("model_args.depth", f"n_bins {n_bins} is not divisible by 2**{depth}")
    inputs = keras.Input((None, n_bins, n_channels), name="cqt")
    x = layers.BatchNormalization()(inputs)
    skips = []
    for level in range(depth):
        x = _conv_block(x, filters * 2**level, time_kernel)
        skips.append(x)
        x = layers.MaxPooling2D((1, 2))(x)
    x = _conv_block(x, filters * 2**depth, time_kernel)
    for level in reversed(range(depth)):
        x = layers.UpSampling2D((1, 2))(x)
        x = layers.Concatenate()([x, skips[level]])
        x = _conv_block(x, filters * 2**level, time_kernel)
    x = layers.Conv2D(features, (1, n_bins), padding="valid", activation="relu")(x)
    x = layers.Reshape((-1, features))(x)
    outputs = _structured_outputs(x, structured, dense=False)
    return keras.Model(inputs, outputs, name="chords_unet")


#: Model names of the family's ``model`` key -> builder and its fixed keyword arguments.
MODELS = {
    "seed": (seed_model, {}),
    "cr1": (cr1, {"structured": False}),
    "cr1_s": (cr1, {"structured": True}),
    "cr2": (cr2, {"structured": False}),
    "cr2_s": (cr2, {"structured": True}),
    "unet": (unet_model, {}),
}


def build_model(name: str, n_bins: int, n_channels: int, **model_args) -> keras.Model:
    """Model ``name`` of :data:`MODELS` over ``n_bins x n_channels`` frames."""
    if name not in MODELS:
        raise InputError("config key model", f"{name!r} is not one of {', '.join(MODELS)}")
    builder, fixed = MODELS[name]
    clash = sorted(set(fixed) & set(model_args))
    if clash:
        raise InputError(f"config key model_args.{clash[0]}", f"fixed by model {name!r}")
    return builder(n_bins=n_bins, n_channels=n_channels, **fixed, **model_args)

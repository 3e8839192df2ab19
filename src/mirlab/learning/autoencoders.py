"""Convolutional spectrogram autoencoders (Keras builders; no family imports).

:func:`spectrogram_autoencoder` is the model of the experiment record bc7db4a2 (seed
``001``): a ``32 x 256`` (frames x frequency bins) non-negative spectrogram patch is encoded
by convolutions to a latent of ``latent_channels x 16`` values in (-1, 1) and decoded by the
mirrored transposed convolutions to a softplus output. Layers (seed notation: ksize and
padding as time x frequency; Keras here is channels-last, ``(batch, time, freq, channels)``):

====  =====================  ========  ========  ======  ==========  =============
name  layer                  channels  kernel    stride  padding     output (t x f)
====  =====================  ========  ========  ======  ==========  =============
enc1  Conv                   32        7 x 7     1       3           32 x 256
enc2  Conv                   64        4 x 4     2       1           16 x 128
enc3  Conv                   64        1 x 4     1 x 2   0 x 1       16 x 64
enc4  Conv                   64        1 x 4     1 x 2   0 x 1       16 x 32
enc5  Conv                   64        1 x 4     1 x 2   0 x 1       16 x 16
enc6  Conv                   1024      1 x 9     1       0           16 x 8
enc7  Conv                   4096      1 x 8     1       0           16 x 1
enc8  Conv, tanh -> latent   4096      1 x 1     1       0           16 x 1
dec8  Conv                   4096      1 x 1     1       0           16 x 1
dec7  Deconv                 1024      1 x 8     1       0           16 x 8
dec6  Deconv                 64        1 x 9     1       0           16 x 16
dec5  Deconv                 64        1 x 4     1 x 2   0 x 1       16 x 32
dec4  Deconv                 64        1 x 4     1 x 2   0 x 1       16 x 64
dec3  Deconv                 64        1 x 4     1 x 2   0 x 1       16 x 128
dec2  Deconv                 32        4 x 4     2       1           32 x 256
dec1  Conv, softplus         1         7 x 7     1       3           32 x 256
====  =====================  ========  ========  ======  ==========  =============

Every layer but ``dec1`` is convolution (with bias), then LeakyReLU (tanh for ``enc8``),
then BatchNormalization, in the seed's order. The seed gives the latent as the tanh output
in (-1, 1) *and* a BatchNormalization after that tanh, so the latent (layer ``latent``) is
taken between the two: ``enc8``'s BatchNormalization is the first operation the decoder
applies. Chainer (whose ``Deconvolution2D``/``ksize`` vocabulary the record uses) has a
LeakyReLU slope of 0.2 and a BatchNormalization decay of 0.9, used here (Keras's default
momentum, 0.99, leaves the moving statistics far behind a model trained for minutes).
The explicit paddings equal Keras ``same`` padding for these kernels and strides
(``(k - s) / 2`` on each side), and the unpadded ones ``valid``.
At full width (``width=1``, ``latent_channels=4096``) the model has 102,084,481 parameters,
102,054,657 of them trainable (the rest are BatchNorm moving statistics).

``width`` multiplies every hidden channel count (32, 64, 1024, 4096; at least one channel
each); ``latent_channels`` sets ``enc8``'s channels, hence ``latent_channels * 16`` latent
values per patch.
"""

from __future__ import annotations

import keras

from mirlab.data.features import FLOOR_DB as FEATURE_FLOOR_DB
from mirlab.errors import InputError

#: Input patch (frames, frequency bins) of the seed's model.
PATCH_SHAPE = (32, 256)
#: LeakyReLU negative slope (Chainer's default).
LEAKY_SLOPE = 0.2
#: BatchNormalization momentum of the moving statistics (Chainer's default decay, 0.9).
BN_MOMENTUM = 0.9
#: Name of the latent layer (the tanh output of ``enc8``).
LATENT_LAYER = "latent"
#: Name of the model :func:`spectrogram_autoencoder` builds (a layer of a feature autoencoder).
AUTOENCODER_NAME = "spectrogram_autoencoder"


def _channels(full: int, width: float) -> int:
    return max(1, round(full * width))


def _block(x, layer, name: str, activation: str = "leaky_relu"):
    x = layer(x)
    if activation == "leaky_relu":
        x = keras.layers.LeakyReLU(LEAKY_SLOPE, name=f"{name}_act")(x)
    else:
        x = keras.layers.Activation(activation, name=LATENT_LAYER)(x)
    return x


def _bn(x, name: str):
    return keras.layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}_bn")(x)


def spectrogram_autoencoder(width: float = 1.0, latent_channels: int = 4096) -> keras.Model:
    """The seed's convolutional autoencoder (module docstring) over ``(32, 256, 1)`` patches.

    ``width``: multiplier of the hidden channel counts (> 0); ``latent_channels``: channels
    of the latent (``latent_channels * 16`` values per patch). Input and output are
    ``(batch, 32, 256, 1)``, the output in (0, inf) (softplus).
    """
    if isinstance(width, bool) or not isinstance(width, int | float) or not width > 0:
        raise InputError("model_args.width", f"must be a number > 0, got {width!r}")
    if isinstance(latent_channels, bool) or not isinstance(latent_channels, int):
        raise InputError(
            "model_args.latent_channels", f"must be an integer, got {latent_channels!r}"
        )
    if latent_channels < 1:
        raise InputError("model_args.latent_channels", f"must be >= 1, got {latent_channels}")
    c32, c64 = _channels(32, width), _channels(64, width)
    c1024, c4096 = _channels(1024, width), _channels(4096, width)
    conv, deconv = keras.layers.Conv2D, keras.layers.Conv2DTranspose
    inputs = keras.Input((*PATCH_SHAPE, 1), name="spectrogram")
    x = inputs
    encoder = [
        ("enc1", conv(c32, 7, padding="same", name="enc1")),
        ("enc2", conv(c64, 4, strides=2, padding="same", name="enc2")),
        *(
            (f"enc{k}", conv(c64, (1, 4), strides=(1, 2), padding="same", name=f"enc{k}"))
            for k in (3, 4, 5)
        ),
        ("enc6", conv(c1024, (1, 9), name="enc6")),
        ("enc7", conv(c4096, (1, 8), name="enc7")),
    ]
    for name, layer in encoder:
        x = _bn(_block(x, layer, name), name)
    x = _block(x, conv(latent_channels, 1, name="enc8"), "enc8", activation="tanh")
    x = _bn(x, "enc8")
    decoder = [
        ("dec8", conv(c4096, 1, name="dec8")),
        ("dec7", deconv(c1024, (1, 8), name="dec7")),
        ("dec6", deconv(c64, (1, 9), name="dec6")),
        *(
            (f"dec{k}", deconv(c64, (1, 4), strides=(1, 2), padding="same", name=f"dec{k}"))
            for k in (5, 4, 3)
        ),
        ("dec2", deconv(c32, 4, strides=2, padding="same", name="dec2")),
    ]
    for name, layer in decoder:
        x = _bn(_block(x, layer, name), name)
    outputs = conv(1, 7, padding="same", activation="softplus", name="dec1")(x)
    return keras.Model(inputs, outputs, name=AUTOENCODER_NAME)


def feature_front(x, log_input: bool):
    """Feature patches ``(batch, 32, 256)`` -> the input of a :func:`spectrogram_autoencoder`,
    ``(batch, 32, 256, 1)`` in the representation: a ``Reshape``, then for a dB feature a
    ``Rescaling`` to the log-magnitude in decades above the floor, ``dB / 20 + 5``. The front
    of a *feature autoencoder*: ``feature_front``, the spectrogram autoencoder, a ``Reshape``
    back to ``(batch, 32, 256)``."""
    x = keras.layers.Reshape((*PATCH_SHAPE, 1))(x)
    if log_input:
        x = keras.layers.Rescaling(1 / 20, offset=-FEATURE_FLOOR_DB / 20)(x)
    return x


def feature_autoencoder_parts(autoencoder: keras.Model) -> tuple[list, keras.Model]:
    """The front layers (:func:`feature_front`'s, in order) and the inner
    :func:`spectrogram_autoencoder` of a (trained, loaded) feature autoencoder: applied to
    feature patches, the front layers give exactly the input the inner model was trained on.
    ``InputError`` when ``autoencoder`` holds no spectrogram autoencoder."""
    names = [layer.name for layer in autoencoder.layers]
    if AUTOENCODER_NAME not in names:
        raise InputError(
            "config key pretrained",
            f"model {autoencoder.name!r} holds no {AUTOENCODER_NAME} (layers: {names})",
        )
    front = autoencoder.layers[1 : names.index(AUTOENCODER_NAME)]
    return front, autoencoder.get_layer(AUTOENCODER_NAME)


def encoder_of(autoencoder: keras.Model, name: str = "encoder") -> keras.Model:
    """The encoder of a :func:`spectrogram_autoencoder`: patch -> latent ``(16, 1, channels)``."""
    return keras.Model(autoencoder.input, autoencoder.get_layer(LATENT_LAYER).output, name=name)


def latent_and_output_of(autoencoder: keras.Model, name: str = "encoder_decoder") -> keras.Model:
    """A :func:`spectrogram_autoencoder` with two outputs, ``[latent, reconstruction]`` (one
    pass through its layers, shared with ``autoencoder``)."""
    latent = autoencoder.get_layer(LATENT_LAYER).output
    return keras.Model(autoencoder.input, [latent, autoencoder.output], name=name)


def latent_values(autoencoder: keras.Model) -> int:
    """Values of the latent per patch (e.g. 4096 * 16 = 65,536 for the seed's model)."""
    shape = autoencoder.get_layer(LATENT_LAYER).output.shape[1:]
    size = 1
    for dim in shape:
        size *= int(dim)
    return size

"""Keras 3 melody / pitch models, each built by a plain function from explicit arguments.

Every builder returns an uncompiled ``keras.Model`` made only of built-in layers (so it
saves and loads without custom objects). Conventions shared by all of them:

- the salience output is named ``"salience"``, shape ``(batch, n_frames, n_bins)``, sigmoid
  values in [0, 1] over a :class:`mirlab.pitch.targets.PitchBins` axis; targets come from
  :func:`mirlab.pitch.targets.f0_to_target` on that axis;
- raw-audio models (CREPE, WaveNet) take ``(batch, window + 2 * context)`` mono audio and
  normalise each input to zero mean and unit variance inside the model (``normalize_input``);
  their ``n_output_frames`` output frames split the central ``window`` samples into equal
  hops: frame k is centred on input sample ``context + (k + 1/2) * window / n_output_frames``
  (CREPE: one frame at the centre of a 1024-sample window);
- spectrogram models (deep salience, HCNN) take ``(batch, n_frames, n_bins, channels)``
  log-magnitude features on the pitch-bin axis, any number of frames, and give one
  salience frame per input frame; the latent model (``latent_salience``) reads 32-frame
  patches of an autoencoder's feature, ``(batch, 32, n_feature_bins)``, as they are cached;
- with a voicing head the model has two outputs, a dict ``{"salience", "voicing"}``, the
  latter ``(batch, n_frames)`` sigmoid voicing probabilities.

:data:`MODELS` maps model names to builders; :func:`build_model` builds one by name.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Sequence

import keras
from keras import layers

from mirlab.errors import InputError
from mirlab.learning.autoencoders import (
    LATENT_LAYER,
    PATCH_SHAPE,
    encoder_of,
    feature_autoencoder_parts,
    latent_and_output_of,
)

#: Per-layer filter counts of CREPE, as multiples of the capacity multiplier.
CREPE_FILTER_MULTIPLES = (32, 4, 4, 4, 8, 16)

#: Window normalisation epsilon: small enough not to rescale quiet but non-silent audio.
NORMALIZATION_EPSILON = 1e-8


def _positive_int(where: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(where, f"must be a positive integer, got {value!r}")
    return value


def _non_negative_int(where: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(where, f"must be a non-negative integer, got {value!r}")
    return value


def _positive_ints(where: str, values, allow_empty: bool = False) -> tuple[int, ...]:
    if (
        isinstance(values, str | bytes)
        or not isinstance(values, Sequence)
        or not (values or allow_empty)
    ):
        raise InputError(where, f"must be a non-empty list of positive integers, got {values!r}")
    return tuple(_positive_int(where, value) for value in values)


def _dropout_rate(where: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
        raise InputError(where, f"must be a number in [0, 1), got {value!r}")
    return float(value)


def _normalize_window(x, normalize_input: bool):
    """Per-window zero mean, unit variance over the sample axis (no trainable parameters)."""
    if not normalize_input:
        return x
    return layers.LayerNormalization(
        axis=-1,
        epsilon=NORMALIZATION_EPSILON,
        center=False,
        scale=False,
        name="window_normalization",
    )(x)


def _frames_head(x, n_output_frames: int, n_bins: int):
    """Dense sigmoid output for all frames at once, reshaped to (n_output_frames, n_bins)."""
    x = layers.Dense(n_output_frames * n_bins, activation="sigmoid", name="classifier")(x)
    return layers.Reshape((n_output_frames, n_bins), name="salience")(x)


def crepe(
    capacity_multiplier: int = 32,
    window: int = 1024,
    context: int = 0,
    n_output_frames: int = 1,
    first_layer_kernels: Sequence[int] = (512,),
    dropout: float = 0.25,
    n_bins: int = 360,
    normalize_input: bool = True,
) -> keras.Model:
    """CREPE (Kim et al. 2018), with the melody-extraction extensions.

    Input: ``(batch, window + 2 * context)`` raw mono audio at 16 kHz (CREPE: 1024 samples
    = 64 ms, no context). Output ``"salience"``: ``(batch, n_output_frames, n_bins)``; with
    the defaults n_bins = 360 bins of 20 cents on :func:`mirlab.pitch.targets.crepe_bins`, trained
    with Gaussian-blurred targets (sigma 25 cents) and
    :func:`mirlab.pitch.losses.salience_crossentropy`.

    Architecture: per-window normalisation, six blocks of Conv1D (ReLU) -> BatchNorm ->
    MaxPool(2) -> Dropout with ``capacity_multiplier`` x (32, 4, 4, 4, 8, 16) filters,
    kernels 512 (stride 4) then 64 (stride 1), "same" padding; flatten; dense sigmoid.
    Capacity 4, 8, 16, 24, 32 are CREPE's tiny, small, medium, large, full (full: 22.2M
    parameters).

    Arguments
    ---------
    capacity_multiplier : filter-count multiplier (32 = full CREPE).
    window : samples (16 kHz) covered by the output frames (see the module docstring for
        where each frame is centred); a multiple of ``n_output_frames``.
    context : extra samples of audio on each side of the window (wider context).
    n_output_frames : salience frames predicted per input window (melody variant).
    first_layer_kernels : kernel sizes (samples) of parallel first-layer convolutions; more
        than one gives the multi-resolution first layer, e.g. (512, 256, 128, 64), whose
        outputs (``32 * capacity_multiplier // len(kernels)`` filters each) are concatenated.
    dropout : dropout rate after every block.
    n_bins : output pitch bins per frame.
    normalize_input : z-normalise each input window (as CREPE).
    """
    capacity_multiplier = _positive_int("crepe.capacity_multiplier", capacity_multiplier)
    window = _positive_int("crepe.window", window)
    context = _non_negative_int("crepe.context", context)
    n_output_frames = _positive_int("crepe.n_output_frames", n_output_frames)
    first_layer_kernels = _positive_ints("crepe.first_layer_kernels", first_layer_kernels)
    dropout = _dropout_rate("crepe.dropout", dropout)
    n_bins = _positive_int("crepe.n_bins", n_bins)
    if window % n_output_frames:
        raise InputError("crepe.n_output_frames", f"must divide the window ({window} samples)")
    n_samples = window + 2 * context
    # "same" convolutions keep the length; the first stride and six pools shrink it
    remaining = math.ceil(n_samples / 4)
    for _ in CREPE_FILTER_MULTIPLES:
        remaining //= 2
    if remaining < 1:
        raise InputError(
            "crepe.window", f"window + 2 * context = {n_samples} samples is too short (>= 253)"
        )
    first_filters = CREPE_FILTER_MULTIPLES[0] * capacity_multiplier // len(first_layer_kernels)
    if first_filters < 1:
        raise InputError("crepe.first_layer_kernels", "more kernels than first-layer filters")

    inputs = keras.Input(shape=(n_samples,), name="audio")
    x = _normalize_window(inputs, normalize_input)
    x = layers.Reshape((n_samples, 1), name="add_channel")(x)
    branches = [
        layers.Conv1D(
            first_filters,
            kernel,
            strides=4,
            padding="same",
            activation="relu",
            name="conv1" if len(first_layer_kernels) == 1 else f"conv1_k{kernel}",
        )(x)
        for kernel in first_layer_kernels
    ]
    x = branches[0] if len(branches) == 1 else layers.Concatenate(name="conv1")(branches)
    for block, multiple in enumerate(CREPE_FILTER_MULTIPLES, start=1):
        if block > 1:
            x = layers.Conv1D(
                multiple * capacity_multiplier,
                64,
                padding="same",
                activation="relu",
                name=f"conv{block}",
            )(x)
        x = layers.BatchNormalization(name=f"conv{block}_bn")(x)
        x = layers.MaxPooling1D(2, name=f"conv{block}_maxpool")(x)
        x = layers.Dropout(dropout, name=f"conv{block}_dropout")(x)
    x = layers.Flatten(name="flatten")(x)
    return keras.Model(inputs, _frames_head(x, n_output_frames, n_bins), name="crepe")


def deep_salience(
    n_bins: int = 360, n_harmonics: int = 6, filters: Sequence[int] = (128, 64, 64, 64, 8)
) -> keras.Model:
    """Deep salience (Bittner et al. 2017), layer for layer as the ismir2017-deepsalience repo.

    Input ``"hcqt"``: ``(batch, n_frames, n_bins, n_harmonics)``, the log-magnitude HCQT
    (harmonics 0.5, 1, 2, 3, 4, 5; 60 bins per octave over 6 octaves from C1, i.e. the
    default :class:`mirlab.pitch.targets.PitchBins`) with frames first. Output ``"salience"``:
    ``(batch, n_frames, n_bins)`` on the same bin axis; trained on Gaussian-blurred targets
    and decoded by peak picking.

    Architecture: BatchNorm on the input, then Conv2D (ReLU, "same") -> BatchNorm with
    128 5x5, 64 5x5, 64 3x3, 64 3x3, 8 of 3 frames x 70 bins (a bit over one octave), and a
    1x1 sigmoid convolution. 406,921 parameters at the defaults (406,253 trainable).

    Arguments
    ---------
    n_bins : frequency bins of the input = pitch bins of the output.
    n_harmonics : HCQT channels.
    filters : filters of the five convolutions (the paper's by default); smaller values give
        the same architecture at a fraction of the cost (the laptop default config).
    """
    n_bins = _positive_int("deep_salience.n_bins", n_bins)
    n_harmonics = _positive_int("deep_salience.n_harmonics", n_harmonics)
    filters = [_positive_int("deep_salience.filters", value) for value in filters]
    if len(filters) != 5:
        raise InputError("deep_salience.filters", f"needs 5 values, got {len(filters)}")
    inputs = keras.Input(shape=(None, n_bins, n_harmonics), name="hcqt")
    x = layers.BatchNormalization(name="input_bn")(inputs)
    names = ("bendy1", "bendy2", "smoothy1", "smoothy2", "distribute")
    kernels = ((5, 5), (5, 5), (3, 3), (3, 3), (3, 70))
    for name, width, kernel in zip(names, filters, kernels, strict=True):
        x = layers.Conv2D(width, kernel, padding="same", activation="relu", name=name)(x)
        x = layers.BatchNormalization(name=f"{name}_bn")(x)
    x = layers.Conv2D(1, (1, 1), activation="sigmoid", name="squishy")(x)
    outputs = layers.Reshape((-1, n_bins), name="salience")(x)
    return keras.Model(inputs, outputs, name="deep_salience")


def harmonic_shift(harmonic: float, bins_per_semitone: int) -> int:
    """Bins between a pitch and its ``harmonic``-th partial: ``round(12 log2(h) * bps)``."""
    return round(12 * math.log2(harmonic) * bins_per_semitone)


def _harmonic_stack(x, shifts: Sequence[int], name: str):
    """Stack copies of ``x`` (frames, bins, channels) shifted along bins, as channels.

    The copy for shift s holds at bin f what ``x`` has at bin f + s (zero off the axis), so
    channel group k of bin f sees the k-th harmonic of the pitch of bin f.
    """
    copies = []
    for index, shift in enumerate(shifts):
        if shift == 0:
            copies.append(x)
            continue
        cut, pad = ((shift, 0), (0, shift)) if shift > 0 else ((0, -shift), (-shift, 0))
        shifted = layers.Cropping2D(((0, 0), cut), name=f"{name}_crop{index}")(x)
        copies.append(layers.ZeroPadding2D(((0, 0), pad), name=f"{name}_pad{index}")(shifted))
    if len(copies) == 1:
        return copies[0]
    return layers.Concatenate(axis=-1, name=name)(copies)


def hcnn(
    n_bins: int = 360,
    bins_per_semitone: int = 5,
    harmonics: Sequence[float] = (0.5, 1, 2, 3),
    filters: Sequence[int] = (16, 16, 16),
    dilations: Sequence[int] = (1, 2, 4),
    kernel_size: Sequence[int] = (3, 3),
    head_filters: int = 8,
    voicing_head: bool = False,
) -> keras.Model:
    """Harmonic CNN: a tiny CQT model with harmonic stacking between its conv layers.

    Input ``"cqt"``: ``(batch, n_frames, n_bins, 1)`` log-magnitude CQT with
    ``bins_per_semitone`` bins per semitone (the default 60 bins per octave from C1 matches
    the default :class:`mirlab.pitch.targets.PitchBins`). Output ``"salience"``:
    ``(batch, n_frames, n_bins)`` on the same axis; with ``voicing_head`` also
    ``"voicing"``: ``(batch, n_frames)``.

    Architecture: BatchNorm on the input; per block, harmonic stacking (for each harmonic h
    the feature map shifted by ``round(12 log2(h) * bins_per_semitone)`` bins, stacked as
    channels) -> Conv2D (ReLU, "same", ``kernel_size`` frames x bins, dilated by the block's
    dilation along time only, for temporal context) -> BatchNorm, plus a residual
    connection when the block keeps the channel count; then a harmonic-stacked head conv
    (``head_filters``) -> BatchNorm -> 1x1 sigmoid. The voicing head is a dense sigmoid over
    the bins of the pre-sigmoid salience of each frame. 23,909 parameters at the defaults
    (time receptive field 17 frames).

    Arguments
    ---------
    n_bins : CQT bins = output pitch bins.
    bins_per_semitone : CQT resolution, for the harmonic shifts.
    harmonics : partials to stack (0.5 is the sub-octave).
    filters, dilations : per block, filter count and dilation along time (frames).
    kernel_size : (frames, bins) of every block's convolution and the head's.
    head_filters : filters of the last harmonic-stacked convolution.
    voicing_head : add the ``"voicing"`` output.
    """
    n_bins = _positive_int("hcnn.n_bins", n_bins)
    bins_per_semitone = _positive_int("hcnn.bins_per_semitone", bins_per_semitone)
    filters = _positive_ints("hcnn.filters", filters)
    dilations = _positive_ints("hcnn.dilations", dilations)
    kernel_size = _positive_ints("hcnn.kernel_size", kernel_size)
    head_filters = _positive_int("hcnn.head_filters", head_filters)
    if len(filters) != len(dilations):
        raise InputError(
            "hcnn.dilations", f"needs one dilation per block: {len(filters)} filters given"
        )
    if len(kernel_size) != 2:
        raise InputError("hcnn.kernel_size", f"must be (frames, bins), got {kernel_size!r}")
    if isinstance(harmonics, str | bytes) or not isinstance(harmonics, Sequence) or not harmonics:
        raise InputError("hcnn.harmonics", f"must be a non-empty list, got {harmonics!r}")
    if any(isinstance(h, bool) or not isinstance(h, int | float) or h <= 0 for h in harmonics):
        raise InputError("hcnn.harmonics", f"must be positive numbers, got {list(harmonics)!r}")
    shifts = [harmonic_shift(h, bins_per_semitone) for h in harmonics]
    if max(abs(shift) for shift in shifts) >= n_bins:
        raise InputError(
            "hcnn.harmonics", f"a harmonic shift ({max(map(abs, shifts))} bins) exceeds n_bins"
        )

    inputs = keras.Input(shape=(None, n_bins, 1), name="cqt")
    x = layers.BatchNormalization(name="input_bn")(inputs)
    for block, (n_filters, dilation) in enumerate(zip(filters, dilations, strict=True), 1):
        residual = x
        x = _harmonic_stack(x, shifts, name=f"block{block}_harmonics")
        x = layers.Conv2D(
            n_filters,
            kernel_size,
            dilation_rate=(dilation, 1),
            padding="same",
            activation="relu",
            name=f"block{block}_conv",
        )(x)
        x = layers.BatchNormalization(name=f"block{block}_bn")(x)
        if residual.shape[-1] == n_filters:
            x = layers.Add(name=f"block{block}_residual")([residual, x])
    x = _harmonic_stack(x, shifts, name="head_harmonics")
    x = layers.Conv2D(
        head_filters, kernel_size, padding="same", activation="relu", name="head_conv"
    )(x)
    x = layers.BatchNormalization(name="head_bn")(x)
    x = layers.Conv2D(1, (1, 1), name="salience_logits")(x)
    logits = layers.Reshape((-1, n_bins), name="salience_logits_frames")(x)
    salience = layers.Activation("sigmoid", name="salience")(logits)
    if not voicing_head:
        return keras.Model(inputs, salience, name="hcnn")
    voicing = layers.Dense(1, activation="sigmoid", name="voicing_dense")(logits)
    voicing = layers.Reshape((-1,), name="voicing")(voicing)
    return keras.Model(inputs, {"salience": salience, "voicing": voicing}, name="hcnn")


def wavenet(
    n_bins: int = 360,
    window: int = 1024,
    context: int = 0,
    n_output_frames: int = 1,
    residual_channels: int = 32,
    skip_channels: int = 64,
    n_layers: int = 10,
    n_stacks: int = 1,
    kernel_size: int = 2,
    initial_kernel_size: int = 32,
    causal: bool = False,
    head_channels: Sequence[int] = (256,),
    head_kernel_size: int = 3,
    normalize_input: bool = True,
) -> keras.Model:
    """WaveNet-style raw-audio pitch model: gated dilated convolutions, residual and skips.

    Input ``"audio"``: ``(batch, window + 2 * context)`` raw mono audio (16 kHz in the
    experiments). Output ``"salience"``: ``(batch, n_output_frames, n_bins)``; frame k
    pools samples ``[context + k * hop, context + (k + 1) * hop)`` of the skip outputs,
    ``hop = window / n_output_frames`` (``window`` must be a multiple of n_output_frames).

    Architecture: per-window normalisation; Conv1D(``residual_channels``,
    ``initial_kernel_size``); ``n_stacks`` x ``n_layers`` residual layers with dilations
    1, 2, 4, ..., 2**(n_layers - 1): ``tanh(conv_f(x)) * sigmoid(conv_g(x))`` (kernel
    ``kernel_size``), a 1x1 conv to ``skip_channels`` (skip) and a 1x1 conv back to
    ``residual_channels`` added to x (residual). Post-processing head: ReLU of the summed
    skips, crop the context, average-pool each output frame's hop, then Conv1D (ReLU)
    layers of ``head_channels`` and a sigmoid Conv1D to ``n_bins``, all with kernel
    ``head_kernel_size`` over output frames. ``causal`` makes every audio convolution
    causal (left padding) instead of centred.
    """
    n_bins = _positive_int("wavenet.n_bins", n_bins)
    window = _positive_int("wavenet.window", window)
    context = _non_negative_int("wavenet.context", context)
    n_output_frames = _positive_int("wavenet.n_output_frames", n_output_frames)
    residual_channels = _positive_int("wavenet.residual_channels", residual_channels)
    skip_channels = _positive_int("wavenet.skip_channels", skip_channels)
    n_layers = _positive_int("wavenet.n_layers", n_layers)
    n_stacks = _positive_int("wavenet.n_stacks", n_stacks)
    kernel_size = _positive_int("wavenet.kernel_size", kernel_size)
    initial_kernel_size = _positive_int("wavenet.initial_kernel_size", initial_kernel_size)
    head_kernel_size = _positive_int("wavenet.head_kernel_size", head_kernel_size)
    head_channels = _positive_ints("wavenet.head_channels", head_channels, allow_empty=True)
    if window % n_output_frames:
        raise InputError("wavenet.n_output_frames", f"must divide the window ({window} samples)")
    padding = "causal" if causal else "same"
    n_samples = window + 2 * context

    inputs = keras.Input(shape=(n_samples,), name="audio")
    x = _normalize_window(inputs, normalize_input)
    x = layers.Reshape((n_samples, 1), name="add_channel")(x)
    x = layers.Conv1D(residual_channels, initial_kernel_size, padding=padding, name="initial")(x)
    skips = []
    for stack in range(n_stacks):
        for layer in range(n_layers):
            name = f"s{stack}_l{layer}"
            conv = {"kernel_size": kernel_size, "dilation_rate": 2**layer, "padding": padding}
            signal = layers.Conv1D(
                residual_channels, activation="tanh", name=f"{name}_filter", **conv
            )(x)
            gate = layers.Conv1D(
                residual_channels, activation="sigmoid", name=f"{name}_gate", **conv
            )(x)
            gated = layers.Multiply(name=f"{name}_gated")([signal, gate])
            skips.append(layers.Conv1D(skip_channels, 1, name=f"{name}_skip")(gated))
            residual = layers.Conv1D(residual_channels, 1, name=f"{name}_residual")(gated)
            x = layers.Add(name=f"{name}_add")([x, residual])
    y = skips[0] if len(skips) == 1 else layers.Add(name="skip_sum")(skips)
    y = layers.ReLU(name="skip_relu")(y)
    if context:
        y = layers.Cropping1D((context, context), name="crop_context")(y)
    hop = window // n_output_frames
    y = layers.AveragePooling1D(hop, name="frame_pool")(y)
    for index, channels in enumerate(head_channels):
        y = layers.Conv1D(
            channels, head_kernel_size, padding="same", activation="relu", name=f"head{index}"
        )(y)
    outputs = layers.Conv1D(
        n_bins, head_kernel_size, padding="same", activation="sigmoid", name="salience"
    )(y)
    return keras.Model(inputs, outputs, name="wavenet")


def perceptron(
    input_size: int = 1024,
    hidden_units: int = 512,
    n_bins: int = 360,
    n_output_frames: int = 1,
    normalize_input: bool = True,
) -> keras.Model:
    """Baseline: one hidden ReLU layer, to show the task is not trivial.

    Input ``"input"``: ``(batch, input_size)``, a flat vector (a raw-audio window, e.g.
    1024 samples at 16 kHz, or flattened feature frames). Output ``"salience"``:
    ``(batch, n_output_frames, n_bins)``, dense sigmoid. ``normalize_input`` z-normalises
    each input vector.
    """
    input_size = _positive_int("perceptron.input_size", input_size)
    hidden_units = _positive_int("perceptron.hidden_units", hidden_units)
    n_bins = _positive_int("perceptron.n_bins", n_bins)
    n_output_frames = _positive_int("perceptron.n_output_frames", n_output_frames)
    inputs = keras.Input(shape=(input_size,), name="input")
    x = _normalize_window(inputs, normalize_input)
    x = layers.Dense(hidden_units, activation="relu", name="hidden")(x)
    return keras.Model(inputs, _frames_head(x, n_output_frames, n_bins), name="perceptron")


#: How :func:`latent_salience` treats the pretrained encoder.
ENCODER_MODES = ("frozen", "joint")


def latent_salience(
    autoencoder: keras.Model,
    n_bins: int = 360,
    encoder: str = "frozen",
    hidden: Sequence[int] = (256,),
    kernel_size: int = 1,
    dropout: float = 0.0,
    reconstruction_weight: float | None = None,
) -> keras.Model:
    """Melody salience from the latent of a trained feature autoencoder (the "reconstruction
    bottleneck": does the latent keep the melody?).

    ``autoencoder``: a trained feature autoencoder (see
    :func:`mirlab.learning.autoencoders.feature_autoencoder_parts`), read by its own front
    layers (the dB feature rescaled to the representation it was trained on) and the encoder
    of its spectrogram autoencoder. Input ``"feature"``: ``(batch, 32, 256)`` patches of the
    same cached feature, not normalised. The latent ``(batch, 16, 1, C)`` (one step per two
    frames) goes through ``hidden`` Conv1D layers over the latent steps (ReLU, ``kernel_size``
    steps, 1: a dense layer per step; each followed by ``dropout``), then a dense layer gives
    the salience of the step's two frames: output ``"salience"`` ``(batch, 32, n_bins)``,
    sigmoid, on the pitch-bin axis of the targets.

    ``encoder``: ``frozen`` (the autoencoder's weights and BatchNorm statistics stay as
    trained; only the head learns) or ``joint`` (encoder and decoder train with the melody
    loss plus ``reconstruction_weight`` (default 1; frozen: not allowed) times the
    reconstruction MSE in the representation). A joint model with a weight > 0 has a second
    output ``"reconstruction_loss"`` ``(batch, 32)``: the weighted MSE of each frame, which
    the training loss adds to the salience loss.
    """
    n_bins = _positive_int("latent_salience.n_bins", n_bins)
    if encoder not in ENCODER_MODES:
        raise InputError(
            "latent_salience.encoder", f"must be one of {', '.join(ENCODER_MODES)}, got {encoder!r}"
        )
    hidden = _positive_ints("latent_salience.hidden", hidden, allow_empty=True)
    kernel_size = _positive_int("latent_salience.kernel_size", kernel_size)
    dropout = _dropout_rate("latent_salience.dropout", dropout)
    if encoder == "frozen" and reconstruction_weight is not None:
        raise InputError(
            "latent_salience.reconstruction_weight", "a frozen encoder has no reconstruction loss"
        )
    weight = 1.0 if reconstruction_weight is None else reconstruction_weight
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not weight >= 0:
        raise InputError(
            "latent_salience.reconstruction_weight", f"must be a number >= 0, got {weight!r}"
        )
    front, inner = feature_autoencoder_parts(autoencoder)
    n_steps, _, channels = inner.get_layer(LATENT_LAYER).output.shape[1:]
    frames = PATCH_SHAPE[0]
    per_step = frames // n_steps

    inputs = keras.Input(shape=PATCH_SHAPE, name="feature")
    representation = inputs
    for layer in front:
        representation = layer(representation)
    reconstruction = None
    if encoder == "frozen":
        latent_model = encoder_of(inner, name="frozen_encoder")
        latent_model.trainable = False
        latent = latent_model(representation)
    elif weight > 0:
        latent, reconstruction = latent_and_output_of(inner, name="joint_autoencoder")(
            representation
        )
    else:
        latent = encoder_of(inner, name="joint_encoder")(representation)
    x = layers.Reshape((n_steps, channels), name="latent_steps")(latent)
    for number, units in enumerate(hidden, 1):
        x = layers.Conv1D(
            units, kernel_size, padding="same", activation="relu", name=f"head{number}"
        )(x)
        if dropout:
            x = layers.Dropout(dropout, name=f"head{number}_dropout")(x)
    x = layers.Dense(per_step * n_bins, name="salience_logits")(x)
    x = layers.Reshape((frames, n_bins), name="salience_logits_frames")(x)
    salience = layers.Activation("sigmoid", name="salience")(x)
    if reconstruction is None:
        return keras.Model(inputs, salience, name="latent_salience")
    error = layers.Subtract(name="reconstruction_difference")([reconstruction, representation])
    error = layers.Multiply(name="reconstruction_squared")([error, error])
    error = layers.Reshape(PATCH_SHAPE, name="reconstruction_frames")(error)
    error = layers.GlobalAveragePooling1D(data_format="channels_first", name="frame_mse")(error)
    loss = layers.Rescaling(float(weight), name="reconstruction_loss")(error)
    outputs = {"salience": salience, "reconstruction_loss": loss}
    return keras.Model(inputs, outputs, name="latent_salience")


#: Model name -> builder function.
MODELS = {
    "crepe": crepe,
    "deep_salience": deep_salience,
    "hcnn": hcnn,
    "wavenet": wavenet,
    "perceptron": perceptron,
    "latent_salience": latent_salience,
}


def build_model(name: str, **kwargs) -> keras.Model:
    """Build the model ``name`` of :data:`MODELS` with keyword arguments ``kwargs``.

    Raises InputError for an unknown model (listing the known ones) or an argument the
    builder does not take (listing those it takes).
    """
    if name not in MODELS:
        raise InputError("model", f"unknown model {name!r}; known models: {sorted(MODELS)}")
    builder = MODELS[name]
    accepted = list(inspect.signature(builder).parameters)
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise InputError(
            f"model.{name}", f"unknown argument(s) {unknown}; {name} accepts {accepted}"
        )
    return builder(**kwargs)

"""The sample-level model: one-hot mu-law codes -> stacked GRUs -> softmax over 256 codes.

GRUs in the original formulation of Cho et al. (2014), Keras ``GRU(reset_after=False)``: the
reset gate scales the previous state before its matrix product, and each layer of ``h`` units
over ``n_in`` inputs has ``3 h (n_in + h + 1)`` parameters, as in the seed's table.
"""

from __future__ import annotations

import keras

from mirlab.errors import InputError
from mirlab.families.generation.mulaw import N_LEVELS


@keras.saving.register_keras_serializable(package="mirlab.generation")
class OneHot(keras.layers.Layer):
    """Integer codes ``(batch, time)`` -> one-hot float32 ``(batch, time, n_levels)`` (any
    time length, 1 included: Keras' ``CategoryEncoding`` drops a unit last axis)."""

    def __init__(self, n_levels: int = N_LEVELS, **kwargs):
        super().__init__(**kwargs)
        self.n_levels = n_levels

    def call(self, codes):
        return keras.ops.one_hot(keras.ops.cast(codes, "int32"), self.n_levels)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.n_levels)

    def get_config(self):
        return {**super().get_config(), "n_levels": self.n_levels}


def build_gru(
    hidden: int = 256,
    layers: int = 3,
    batch_size: int | None = None,
    stateful: bool = False,
    n_levels: int = N_LEVELS,
) -> keras.Model:
    """Stacked GRUs over one-hot codes with a dense softmax over the next sample's code.

    Input: integer codes ``(batch, time)`` in 0..n_levels-1; output: probabilities
    ``(batch, time, n_levels)`` of the code that follows each input sample. ``stateful``
    (training over parallel streams) needs a fixed ``batch_size``: each layer then keeps its
    last state, per stream, in a variable that the next call starts from.
    """
    if not isinstance(hidden, int) or hidden < 1:
        raise InputError("config key model_args.hidden", f"must be an integer >= 1, got {hidden!r}")
    if not isinstance(layers, int) or layers < 1:
        raise InputError("config key model_args.layers", f"must be an integer >= 1, got {layers!r}")
    if stateful and batch_size is None:
        raise InputError("batch_size", "a stateful model needs a fixed batch size")
    codes = keras.Input(batch_shape=(batch_size, None), dtype="int32", name="codes")
    x = OneHot(n_levels, name="one_hot")(codes)
    for layer in range(layers):
        x = keras.layers.GRU(
            hidden,
            reset_after=False,
            return_sequences=True,
            stateful=stateful,
            name=f"gru_{layer + 1}",
        )(x)
    probabilities = keras.layers.Dense(n_levels, activation="softmax", name="next_code")(x)
    return keras.Model(codes, probabilities, name=f"gru_h{hidden}_l{layers}")


def gru_parameter_count(hidden: int, layers: int, n_levels: int = N_LEVELS) -> int:
    """Parameters of :func:`build_gru` by the seed's formula: ``3 h (n_in + h + 1)`` per layer
    (``n_in`` = 256 for the first, ``h`` above it) plus the dense ``h * 256 + 256``."""
    recurrent = sum(
        3 * hidden * ((n_levels if layer == 0 else hidden) + hidden + 1) for layer in range(layers)
    )
    return recurrent + hidden * n_levels + n_levels

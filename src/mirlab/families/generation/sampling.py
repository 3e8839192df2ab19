"""The trained GRU stepped in NumPy: held-out likelihood and sampling with temperature.

A Keras call per sample costs milliseconds; the recursion here costs one small matrix
product per layer and sample. The input projection of the first layer is a row lookup (its
input is one-hot) and the projections of the upper layers and of the output are computed
for a whole chunk of time at once, so that only ``state @ recurrent_kernel`` is in the loop.
The loops run with one BLAS thread: their matrices are far too small to share out, and a
second thread costs more than it brings (tens of times more on a busy machine).
The equations are Keras' ``GRUCell`` with ``reset_after=False`` (gate order z, r, h)::

    z = sigmoid(x Wz + h Uz + bz)     r = sigmoid(x Wr + h Ur + br)
    c = tanh(x Wh + (r * h) Uh + bh)  h' = z * h + (1 - z) * c
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import keras
import numpy as np
from threadpoolctl import threadpool_limits

from mirlab.errors import InputError
from mirlab.families.generation.mulaw import N_LEVELS, mu_law_encode

#: The code of silence (0.0), the first input when generation has no prime.
SILENCE_CODE = int(mu_law_encode(np.zeros(1))[0])
#: Samples per chunk in :func:`bits_per_sample` (bounds memory: chunk * batch * hidden).
CHUNK = 4096


@dataclass(frozen=True)
class GruWeights:
    """Weights of a :func:`mirlab.families.generation.model.build_gru` model, float32:
    per layer ``(kernel (n_in, 3h), recurrent_kernel (h, 3h), bias (3h,))``, and the output
    ``dense_kernel (h, n_levels)``, ``dense_bias (n_levels,)``."""

    layers: tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...]
    dense_kernel: np.ndarray
    dense_bias: np.ndarray

    @classmethod
    def from_model(cls, model: keras.Model) -> GruWeights:
        grus = [layer for layer in model.layers if isinstance(layer, keras.layers.GRU)]
        dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
        if not grus or len(dense) != 1 or any(layer.cell.reset_after for layer in grus):
            raise InputError(model.name, "not a stacked GRU(reset_after=False) + dense model")
        layers = tuple(
            tuple(np.asarray(v.numpy(), np.float32) for v in layer.cell.weights) for layer in grus
        )
        kernel, bias = (np.asarray(v.numpy(), np.float32) for v in dense[0].weights)
        return cls(layers, kernel, bias)

    @property
    def hidden(self) -> list[int]:
        return [recurrent.shape[0] for _, recurrent, _ in self.layers]

    def zero_state(self, batch: int) -> list[np.ndarray]:
        return [np.zeros((batch, h), np.float32) for h in self.hidden]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _gru_step(projected: np.ndarray, state: np.ndarray, recurrent: np.ndarray) -> np.ndarray:
    """One GRU step: ``projected`` = ``x W + b`` (batch, 3h), ``state`` (batch, h)."""
    h = state.shape[1]
    zr = _sigmoid(projected[:, : 2 * h] + state @ recurrent[:, : 2 * h])
    z, r = zr[:, :h], zr[:, h:]
    candidate = np.tanh(projected[:, 2 * h :] + (r * state) @ recurrent[:, 2 * h :])
    return z * state + (1.0 - z) * candidate


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def run_sequence(
    weights: GruWeights, codes: np.ndarray, state: list[np.ndarray]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Feed ``codes`` (batch, time) through the GRUs from ``state`` (one (batch, h) array per
    layer); returns the top layer's states (time, batch, h) and the final state per layer.
    The output distribution after input ``t`` is ``softmax(top[t] @ dense_kernel + bias)``."""
    codes = np.asarray(codes)
    if codes.ndim != 2:
        raise InputError("codes", f"expected (batch, time), got shape {codes.shape}")
    new_state = []
    sequence = None
    for number, ((kernel, recurrent, bias), h0) in enumerate(
        zip(weights.layers, state, strict=True)
    ):
        # (time, batch, 3h): a row lookup for one-hot input, one matrix product above it.
        projected = kernel[codes.T] + bias if number == 0 else sequence @ kernel + bias
        sequence = np.empty((codes.shape[1], codes.shape[0], h0.shape[1]), np.float32)
        h = h0
        with threadpool_limits(1, user_api="blas"):
            for t in range(codes.shape[1]):
                h = _gru_step(projected[t], h, recurrent)
                sequence[t] = h
        new_state.append(h)
    return sequence, new_state


def next_code_probabilities(
    weights: GruWeights, code: np.ndarray, state: list[np.ndarray]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """One step: the distribution (batch, n_levels) of the code after ``code`` (batch,), and
    the new state."""
    x = np.asarray(code)
    new_state = []
    for number, ((kernel, recurrent, bias), h) in enumerate(
        zip(weights.layers, state, strict=True)
    ):
        projected = kernel[x] + bias if number == 0 else x @ kernel + bias
        x = _gru_step(projected, h, recurrent)
        new_state.append(x)
    return np.exp(_log_softmax(x @ weights.dense_kernel + weights.dense_bias)), new_state


def code_log2_likelihoods(weights: GruWeights, codes: np.ndarray) -> np.ndarray:
    """``log2 p(c[t] | c[:t])`` of every code after the first, from a zero state: shape
    ``(n - 1,)`` for one track ``(n,)``, ``(batch, n - 1)`` for equal-length tracks
    ``(batch, n)`` run side by side; computed in chunks of :data:`CHUNK` samples."""
    codes = np.asarray(codes)
    batch = codes.reshape(1, -1) if codes.ndim == 1 else codes
    state = weights.zero_state(len(batch))
    out = []
    for start in range(0, batch.shape[1] - 1, CHUNK):
        inputs = batch[:, start : start + CHUNK]
        targets = batch[:, start + 1 : start + 1 + inputs.shape[1]]
        top, state = run_sequence(weights, inputs, state)
        top = top[: targets.shape[1]].transpose(1, 0, 2)
        log_p = _log_softmax(top @ weights.dense_kernel + weights.dense_bias)
        out.append(np.take_along_axis(log_p, targets[..., None], axis=-1)[..., 0] / np.log(2.0))
    log2 = np.concatenate(out, axis=1) if out else np.zeros((len(batch), 0))
    return log2[0] if codes.ndim == 1 else log2


def bits_per_sample(weights: GruWeights, codes: np.ndarray) -> float:
    """Code length of a track under the model, bits per sample: the first code at 8 bits
    (uniform), each later one at ``-log2 p(c[t] | c[:t])``; what an arithmetic coder driven by
    the model would spend, comparable to a lossless coder's file size."""
    return tracks_bits_per_sample(weights, [codes])[0]


def tracks_bits_per_sample(weights: GruWeights, tracks: Sequence[np.ndarray]) -> list[float]:
    """:func:`bits_per_sample` of each track; tracks of equal length run as one batch."""
    result = [0.0] * len(tracks)
    lengths = [np.asarray(codes).size for codes in tracks]
    if 0 in lengths:
        raise InputError("codes", "empty track")
    for length in sorted(set(lengths)):
        group = [i for i, n in enumerate(lengths) if n == length]
        log2 = code_log2_likelihoods(weights, np.stack([np.asarray(tracks[i]) for i in group]))
        for i, row in zip(group, log2, strict=True):
            result[i] = float((np.log2(N_LEVELS) - row.sum()) / length)
    return result


def apply_temperature(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """``p ** (1 / tau)`` renormalised over the last axis; ``tau = 0``: one-hot of the
    argmax (the limit ``tau -> 0``)."""
    if temperature < 0:
        raise InputError("config key generate.temperature", f"must be >= 0, got {temperature}")
    p = np.asarray(probabilities, np.float64)
    if temperature == 1:
        return p / p.sum(axis=-1, keepdims=True)
    if temperature == 0:
        return np.eye(p.shape[-1])[p.argmax(axis=-1)]
    log_p = np.log(np.maximum(p, 1e-300)) / temperature
    log_p -= log_p.max(axis=-1, keepdims=True)
    scaled = np.exp(log_p)
    return scaled / scaled.sum(axis=-1, keepdims=True)


def draw(probabilities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One code per row of ``probabilities`` (batch, n_levels) by inverse CDF."""
    cdf = np.cumsum(probabilities, axis=-1)
    u = rng.random(len(cdf)) * cdf[:, -1]
    return np.minimum((cdf < u[:, None]).sum(axis=-1), probabilities.shape[-1] - 1)


def generate(
    weights: GruWeights,
    n_samples: int,
    temperature: float = 1.0,
    primes: Sequence[np.ndarray] | None = None,
    batch: int = 1,
    seed: int = 0,
    keep_distribution: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Generate ``n_samples`` codes for each of ``batch`` streams at ``temperature``.

    ``primes``: one code array per stream (equal lengths) that the model reads first and
    then continues; without one, every stream starts from :data:`SILENCE_CODE`. Returns the
    generated codes (batch, n_samples), the prime not included, and the (tempered) output
    distributions of the first ``keep_distribution`` generated samples (batch, k, n_levels).
    """
    if n_samples < 1:
        raise InputError("config key generate.seconds", "must give at least one sample")
    rng = np.random.default_rng(seed)
    state = weights.zero_state(batch)
    code = np.full(batch, SILENCE_CODE)
    if primes is not None:
        prime = np.stack([np.asarray(p) for p in primes])
        if prime.shape[0] != batch or prime.shape[1] == 0:
            raise InputError("prime", f"need {batch} non-empty primes of equal length")
        if prime.shape[1] > 1:
            _, state = run_sequence(weights, prime[:, :-1], state)
        code = prime[:, -1]
    codes = np.empty((batch, n_samples), np.int64)
    kept = np.empty((batch, min(keep_distribution, n_samples), N_LEVELS), np.float32)
    with threadpool_limits(1, user_api="blas"):
        for t in range(n_samples):
            probabilities, state = next_code_probabilities(weights, code, state)
            probabilities = apply_temperature(probabilities, temperature)
            if t < kept.shape[1]:
                kept[:, t] = probabilities
            code = draw(probabilities, rng)
            codes[:, t] = code
    return codes, kept

"""Training data for stateful truncated back-propagation: ``b`` parallel streams over the
training audio's code stream, read ``t`` samples at a time in order.

The tracks' code streams are joined in track order and cut into ``b`` contiguous streams
of equal length; batch ``i`` of an epoch is samples ``i t .. (i + 1) t`` of every stream
(inputs) and the same shifted by one sample (targets). A stateful model carries each
stream's state from one batch to the next; the streams end together with the epoch, where
``mirlab.learning.train.train_model`` resets the state. The order is the same every epoch
(it is the audio's own order), so a resumed run reads exactly the batches it would have.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from mirlab.errors import InputError


class StreamBatches:
    """``(codes, next codes)`` batches of shape ``(n_streams, seq_length)``, int32."""

    def __init__(
        self, tracks: Sequence[np.ndarray], n_streams: int, seq_length: int, seed: int = 0
    ):
        if n_streams < 1 or seq_length < 1:
            raise InputError("config key training", "batch_size and seq_length must be >= 1")
        stream = np.concatenate([np.asarray(codes, np.int32) for codes in tracks])
        length = len(stream) // n_streams
        if length < seq_length + 1:
            raise InputError(
                "config key training.batch_size",
                f"{len(stream)} training samples give {n_streams} streams of {length} samples,"
                f" fewer than seq_length + 1 = {seq_length + 1}",
            )
        self.seed = seed
        self.n_streams, self.seq_length = n_streams, seq_length
        self.streams = stream[: n_streams * length].reshape(n_streams, length)
        self.batches_per_epoch = (length - 1) // seq_length

    def batch(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Batch ``index`` (0-based) of an epoch."""
        start = index * self.seq_length
        window = self.streams[:, start : start + self.seq_length + 1]
        return window[:, :-1], window[:, 1:]

    def dataset(self, epoch: int = 0, skip_batches: int = 0, epochs: int | None = 1):
        """Batches of ``epochs`` epochs (``None``: endless) from batch ``skip_batches`` of
        ``epoch`` on (every epoch reads the same batches)."""
        n, t = self.batches_per_epoch, self.seq_length
        inputs = self.streams[:, : n * t].reshape(self.n_streams, n, t).transpose(1, 0, 2)
        targets = self.streams[:, 1 : n * t + 1].reshape(self.n_streams, n, t).transpose(1, 0, 2)
        one_epoch = tf.data.Dataset.from_tensor_slices((inputs, targets))
        data = one_epoch.repeat() if epochs is None else one_epoch.repeat(epochs)
        return data.skip(skip_batches).prefetch(2)

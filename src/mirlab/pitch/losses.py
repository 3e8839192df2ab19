"""Keras losses for salience and voicing outputs, built by small factories.

Every factory returns a function ``loss(y_true, y_pred)`` usable as a Keras loss
(``model.compile(loss=...)``). Salience tensors are ``(..., n_bins)`` (e.g. ``(batch, n_bins)``
or ``(batch, n_frames, n_bins)``) with targets from :mod:`mirlab.pitch.targets` and sigmoid
outputs; the returned loss has one value per frame (the bin axis reduced) and Keras averages
it over frames and batch.

Unvoiced frames: a frame whose target is all zero is unvoiced. "Train unvoiced frames toward
zero" is simply that all-zero target with ``unvoiced_weight=1`` (the default); with a
separate voicing head one sets ``unvoiced_weight=0`` so that the salience output is trained
on voiced frames only and :func:`voicing_crossentropy` trains the voicing head
(:func:`with_voicing_head` combines the two).
"""

from __future__ import annotations

import math

from keras import ops

from mirlab.errors import InputError

BIN_REDUCTIONS = ("mean", "sum")


def _check_reduction(bin_reduction: str) -> None:
    if bin_reduction not in BIN_REDUCTIONS:
        raise InputError("bin_reduction", f"must be one of {BIN_REDUCTIONS}, got {bin_reduction!r}")


def _check_non_negative(name: str, value: float) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not (math.isfinite(value) and value >= 0)
    ):
        raise InputError(name, f"must be a finite non-negative number, got {value!r}")


def _frame_loss(y_true, y_pred, bin_weights, bin_reduction: str, unvoiced_weight: float):
    """Per-frame binary cross-entropy over bins, weighted per bin and per unvoiced frame."""
    per_bin = ops.binary_crossentropy(y_true, y_pred)
    if bin_weights is not None:
        per_bin = per_bin * bin_weights
    reduce = ops.mean if bin_reduction == "mean" else ops.sum
    per_frame = reduce(per_bin, axis=-1)
    voiced = ops.max(y_true, axis=-1) > 0
    return per_frame * ops.cast(ops.where(voiced, 1.0, unvoiced_weight), per_frame.dtype)


def salience_crossentropy(bin_reduction: str = "mean", unvoiced_weight: float = 1.0):
    """Binary cross-entropy between salience target and output, as CREPE.

    Per frame: ``sum_i or mean_i of -(y_i log p_i + (1 - y_i) log(1 - p_i))`` over bins i
    (``bin_reduction``: ``"mean"`` is what CREPE's Keras ``binary_crossentropy`` computes,
    ``"sum"`` the formula of the paper; they differ by the factor n_bins), with p clipped
    to [1e-7, 1 - 1e-7]. Frames with an all-zero target are multiplied by
    ``unvoiced_weight``.
    """
    _check_reduction(bin_reduction)
    _check_non_negative("unvoiced_weight", unvoiced_weight)

    def salience_crossentropy(y_true, y_pred):
        y_pred = ops.convert_to_tensor(y_pred)
        y_true = ops.cast(y_true, y_pred.dtype)
        return _frame_loss(y_true, y_pred, None, bin_reduction, unvoiced_weight)

    return salience_crossentropy


def miss_weighted_crossentropy(
    miss_weight: float,
    bins_per_semitone: int,
    tolerance_semitones: float = 0.5,
    bin_reduction: str = "mean",
    unvoiced_weight: float = 1.0,
):
    """:func:`salience_crossentropy` with weight ``miss_weight`` on bins far from the reference.

    Exact definition, per voiced frame: the reference bins are the local maxima of the
    target along the bin axis with a value > 0 (the nearest bin to each reference f0, for
    one-hot and Gaussian targets alike; several for a multi-f0 target). A bin is near the
    reference if it is fewer than ``tolerance_semitones * bins_per_semitone`` bins from a
    reference bin (default 0.5 semitone: the bins that would still count as a correct
    pitch at mir_eval's 50-cent tolerance). Near bins get weight 1, every other bin
    ``miss_weight``; the weighted per-bin cross-entropies are then reduced over bins
    (mean or sum). Unvoiced frames (all-zero target) have no reference: every bin gets
    weight 1, and the frame is multiplied by ``unvoiced_weight``. ``miss_weight=1`` is
    :func:`salience_crossentropy`.
    """
    _check_reduction(bin_reduction)
    _check_non_negative("miss_weight", miss_weight)
    _check_non_negative("unvoiced_weight", unvoiced_weight)
    if isinstance(bins_per_semitone, bool) or not isinstance(bins_per_semitone, int):
        raise InputError(
            "bins_per_semitone", f"must be a positive integer, got {bins_per_semitone!r}"
        )
    if bins_per_semitone < 1:
        raise InputError("bins_per_semitone", f"must be >= 1, got {bins_per_semitone}")
    if not isinstance(tolerance_semitones, int | float) or not tolerance_semitones > 0:
        raise InputError(
            "tolerance_semitones", f"must be a positive number, got {tolerance_semitones!r}"
        )
    # the largest whole number of bins strictly below the tolerance
    radius = math.ceil(tolerance_semitones * bins_per_semitone) - 1

    def miss_weighted_crossentropy(y_true, y_pred):
        y_pred = ops.convert_to_tensor(y_pred)
        y_true = ops.cast(y_true, y_pred.dtype)
        shape = ops.shape(y_true)
        column = ops.reshape(y_true, (-1, shape[-1], 1))
        local_max = ops.max_pool(column, pool_size=3, strides=1, padding="same")
        reference = ops.cast(ops.logical_and(column >= local_max, column > 0), y_pred.dtype)
        near = ops.max_pool(reference, pool_size=2 * radius + 1, strides=1, padding="same")
        near = ops.reshape(near, shape)
        voiced = ops.max(y_true, axis=-1, keepdims=True) > 0
        near_or_unvoiced = ops.logical_or(near > 0, ops.logical_not(voiced))
        bin_weights = ops.cast(ops.where(near_or_unvoiced, 1.0, miss_weight), y_pred.dtype)
        return _frame_loss(y_true, y_pred, bin_weights, bin_reduction, unvoiced_weight)

    return miss_weighted_crossentropy


def voicing_crossentropy():
    """Binary cross-entropy for a voicing head: target 1 voiced, 0 unvoiced, per frame.

    ``y_true`` is :func:`mirlab.pitch.targets.voicing_target` per frame, ``y_pred`` the sigmoid
    voicing output of the same shape; returns the per-frame loss (Keras averages it).
    """

    def voicing_crossentropy(y_true, y_pred):
        y_pred = ops.convert_to_tensor(y_pred)
        return ops.binary_crossentropy(ops.cast(y_true, y_pred.dtype), y_pred)

    return voicing_crossentropy


def with_voicing_head(salience_loss):
    """Loss of a model with outputs ``{"salience", "voicing"}`` against a salience target.

    ``salience_loss`` (built with ``unvoiced_weight=0``, so that the salience output learns
    pitch on voiced frames only) scores ``"salience"``; :func:`voicing_crossentropy` scores
    ``"voicing"`` against the target's own voicing (1 where the frame's target has a
    non-zero bin). Returns their per-frame sum.
    """
    voicing_loss = voicing_crossentropy()

    def with_voicing_head(y_true, y_pred):
        salience = ops.convert_to_tensor(y_pred["salience"])
        y_true = ops.cast(y_true, salience.dtype)
        voiced = ops.cast(ops.max(y_true, axis=-1) > 0, salience.dtype)
        return salience_loss(y_true, salience) + voicing_loss(voiced, y_pred["voicing"])

    return with_voicing_head

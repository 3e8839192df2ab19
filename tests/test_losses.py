import math

import keras
import numpy as np
import pytest

from mirlab.errors import InputError
from mirlab.pitch.losses import (
    miss_weighted_crossentropy,
    salience_crossentropy,
    voicing_crossentropy,
    with_voicing_head,
)
from mirlab.pitch.targets import PitchBins, f0_to_target

# one voiced frame (reference at bin 1) and one unvoiced frame, 3 bins
Y_TRUE = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]], dtype=np.float32)
Y_PRED = np.array([[0.2, 0.9, 0.4], [0.5, 0.1, 0.2]], dtype=np.float32)
# per-bin binary cross-entropy, by hand
CE = -np.log(np.array([[0.8, 0.9, 0.6], [0.5, 0.9, 0.8]]))


def numpy(tensor):
    return keras.ops.convert_to_numpy(tensor)


def test_salience_crossentropy_mean_and_sum_over_bins():
    np.testing.assert_allclose(numpy(salience_crossentropy()(Y_TRUE, Y_PRED)), CE.mean(1), 1e-5)
    np.testing.assert_allclose(
        numpy(salience_crossentropy("sum")(Y_TRUE, Y_PRED)), CE.sum(1), rtol=1e-5
    )


def test_unvoiced_weight_scales_all_zero_frames():
    loss = numpy(salience_crossentropy(unvoiced_weight=0.0)(Y_TRUE, Y_PRED))
    np.testing.assert_allclose(loss, [CE[0].mean(), 0.0], rtol=1e-5)
    loss = numpy(salience_crossentropy(unvoiced_weight=2.0)(Y_TRUE, Y_PRED))
    np.testing.assert_allclose(loss, [CE[0].mean(), 2 * CE[1].mean()], rtol=1e-5)


def test_frames_axis_is_kept():
    loss = numpy(salience_crossentropy()(Y_TRUE[None], Y_PRED[None]))
    assert loss.shape == (1, 2)
    np.testing.assert_allclose(loss[0], CE.mean(1), rtol=1e-5)


def test_miss_weight_on_bins_away_from_the_reference():
    # one bin per semitone, tolerance 0.5 semitone: only the reference bin is near
    loss = numpy(miss_weighted_crossentropy(3.0, bins_per_semitone=1)(Y_TRUE, Y_PRED))
    voiced = (3 * CE[0, 0] + CE[0, 1] + 3 * CE[0, 2]) / 3
    unvoiced = CE[1].mean()  # no reference: weight 1 everywhere
    np.testing.assert_allclose(loss, [voiced, unvoiced], rtol=1e-5)
    # miss_weight 1 is the plain loss
    np.testing.assert_allclose(
        numpy(miss_weighted_crossentropy(1.0, bins_per_semitone=1)(Y_TRUE, Y_PRED)),
        numpy(salience_crossentropy()(Y_TRUE, Y_PRED)),
        rtol=1e-6,
    )


def test_miss_weight_near_region_of_a_blurred_target():
    # 5 bins per semitone: bins fewer than 2.5 bins from the peak (peak +- 2) are near
    bins = PitchBins(bins_per_semitone=5, lowest_note=60, n_bins=12)
    y_true = f0_to_target(np.array([bins.hz()[5] * 2 ** (4 / 1200)]), bins, blur_semitones=0.25)
    y_pred = np.full_like(y_true, 0.5)
    loss = numpy(miss_weighted_crossentropy(10.0, bins_per_semitone=5)(y_true, y_pred))
    per_bin = numpy(keras.ops.binary_crossentropy(y_true, y_pred))[0]
    weights = np.full(12, 10.0)
    weights[3:8] = 1.0
    np.testing.assert_allclose(loss, [(weights * per_bin).mean()], rtol=1e-5)


def test_miss_weight_with_several_references():
    y_true = np.zeros((1, 9), dtype=np.float32)
    y_true[0, [1, 6]] = 1.0
    y_pred = np.full_like(y_true, 0.5)
    loss = numpy(
        miss_weighted_crossentropy(2.0, bins_per_semitone=2, bin_reduction="sum")(y_true, y_pred)
    )
    # bins_per_semitone 2: radius 0 bins; two reference bins of weight 1, seven of weight 2
    assert loss[0] == pytest.approx((2 * 1 + 7 * 2) * math.log(2), rel=1e-5)


def test_voicing_crossentropy():
    loss = numpy(voicing_crossentropy()(np.array([[1.0, 0.0]]), np.array([[0.8, 0.3]])))
    np.testing.assert_allclose(loss, [[-math.log(0.8), -math.log(0.7)]], rtol=1e-5)


def test_with_voicing_head_scores_salience_on_voiced_frames_and_the_head_on_voicing():
    loss = with_voicing_head(salience_crossentropy(unvoiced_weight=0.0))
    outputs = {"salience": Y_PRED[None], "voicing": np.array([[0.8, 0.3]], dtype=np.float32)}
    # Frame 0 is voiced (its target has a non-zero bin), frame 1 unvoiced.
    expected = [[CE[0].mean() - math.log(0.8), 0.0 - math.log(0.7)]]
    np.testing.assert_allclose(numpy(loss(Y_TRUE[None], outputs)), expected, rtol=1e-5)


def test_losses_work_in_a_compiled_keras_model():
    # output sigmoid(bias) in every frame, any number of frames: Keras reports the mean
    # of the per-frame losses
    inputs = keras.Input(shape=(None, 1))
    dense = keras.layers.Dense(3, activation="sigmoid", kernel_initializer="zeros")
    model = keras.Model(inputs, dense(inputs))
    dense.bias.assign(np.log(Y_PRED[0] / (1 - Y_PRED[0])))
    x, y = np.zeros((1, 2, 1)), Y_TRUE[None]
    unvoiced_ce = -np.log(1 - Y_PRED[0])  # frame 1: all-zero target, same output
    model.compile(loss=salience_crossentropy("sum"))
    expected = (CE[0].sum() + unvoiced_ce.sum()) / 2
    assert model.evaluate(x, y, verbose=0) == pytest.approx(expected, rel=1e-4)
    model.compile(loss=miss_weighted_crossentropy(3.0, bins_per_semitone=1))
    expected = ((3 * CE[0, 0] + CE[0, 1] + 3 * CE[0, 2]) / 3 + unvoiced_ce.mean()) / 2
    assert model.evaluate(x, y, verbose=0) == pytest.approx(expected, rel=1e-4)


def test_factory_arguments_are_validated():
    with pytest.raises(InputError, match="bin_reduction"):
        salience_crossentropy("max")
    with pytest.raises(InputError, match="miss_weight"):
        miss_weighted_crossentropy(-1.0, 5)
    with pytest.raises(InputError, match="bins_per_semitone"):
        miss_weighted_crossentropy(2.0, 0)
    with pytest.raises(InputError, match="unvoiced_weight"):
        salience_crossentropy(unvoiced_weight=float("nan"))
    with pytest.raises(InputError, match="miss_weight"):
        miss_weighted_crossentropy(float("inf"), 5)

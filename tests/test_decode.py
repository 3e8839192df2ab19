import mir_eval
import numpy as np
import pytest

from mirlab.errors import InputError
from mirlab.pitch.decode import (
    apply_voicing,
    decode_multif0,
    decode_salience,
    tune_voicing_threshold,
)
from mirlab.pitch.targets import PitchBins, crepe_bins, f0_to_target


@pytest.mark.parametrize("bins", [crepe_bins(), PitchBins()], ids=["crepe", "default"])
def test_blurred_target_decodes_back_within_one_cent(bins):
    rng = np.random.default_rng(0)
    f0 = 440 * 2 ** (rng.uniform(-2400, 2400, size=200) / 1200)
    estimate, confidence = decode_salience(f0_to_target(f0, bins, blur_semitones=0.25), bins)
    cents_error = 1200 * np.log2(estimate / f0)
    assert np.abs(cents_error).max() < 1.0
    # peak value of a 25-cent Gaussian at most 10 cents (half a bin) off
    assert confidence.min() >= np.exp(-(10**2) / (2 * 25**2)) - 1e-6


def test_weighted_average_between_two_bins():
    bins = PitchBins(bins_per_semitone=5, lowest_note=60, n_bins=20)
    salience = np.zeros((3, 20))
    salience[0, [7, 8]] = 0.5  # equal: halfway, 10 cents above bin 7
    salience[1, [7, 8]] = [0.75, 0.25]  # a quarter of the way: 5 cents above bin 7
    salience[2, [7, 15]] = [0.9, 0.8]  # bin 15 is outside the radius of 4 bins
    f0, confidence = decode_salience(salience, bins, radius_bins=4)
    np.testing.assert_allclose(1200 * np.log2(f0 / bins.hz()[7]), [10.0, 5.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(confidence, [0.5, 0.75, 0.9])


def test_radius_is_clipped_at_the_axis_end_and_zero_salience_gives_the_peak_bin():
    bins = PitchBins(bins_per_semitone=1, lowest_note=60, n_bins=5)
    salience = np.array([[1.0, 1.0, 0, 0, 0], [0, 0, 0, 0, 0]])
    f0, confidence = decode_salience(salience, bins, radius_bins=3)
    np.testing.assert_allclose(f0, [bins.hz()[0] * 2 ** (0.5 / 12), bins.hz()[0]])
    np.testing.assert_array_equal(confidence, [1.0, 0.0])


def test_apply_voicing_keeps_an_unvoiced_frames_pitch_guess_as_a_negative_f0():
    f0 = np.array([100.0, 200.0, 300.0])
    estimate = apply_voicing(f0, np.array([0.2, 0.5, 0.9]), 0.5)
    np.testing.assert_array_equal(estimate, [-100, 200, 300])
    # mir_eval, the oracle: the guess counts for raw pitch accuracy, not for overall accuracy.
    times = np.arange(3) * 0.01
    arrays = mir_eval.melody.to_cent_voicing(times, f0, times, estimate)
    assert mir_eval.melody.raw_pitch_accuracy(*arrays) == 1.0
    assert mir_eval.melody.overall_accuracy(*arrays) == pytest.approx(2 / 3)
    # An f0 that is not a positive pitch would turn its voicing around: refused.
    with pytest.raises(InputError, match="f0_hz"):
        apply_voicing(np.array([100.0, 0.0]), np.array([0.9, 0.2]), 0.5)


def test_tune_voicing_threshold_picks_the_obvious_one():
    reference = np.array([440.0] * 6 + [0.0] * 4)
    estimate = np.full(10, 440.0)
    confidence = np.array([0.6, 0.65, 0.7, 0.8, 0.9, 0.95, 0.1, 0.2, 0.3, 0.45])
    candidates = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    best = tune_voicing_threshold(confidence, estimate, reference, candidates)
    assert best == 0.5
    # the default candidate grid: 0.46 is the lowest threshold that gets every frame right
    assert tune_voicing_threshold(confidence, estimate, reference) == pytest.approx(0.46)
    # and it is right: mir_eval on the thresholded output gives OA 1
    times = np.arange(10) * 0.01
    voiced = apply_voicing(estimate, confidence, best)
    assert mir_eval.melody.evaluate(times, reference, times, voiced)["Overall Accuracy"] == 1.0


def test_tune_voicing_threshold_averages_over_tracks():
    # track A wants a low threshold (voiced, low confidence), track B a high one
    ref_a, ref_b = np.full(4, 220.0), np.array([220.0, 0, 0, 0])
    conf_a, conf_b = np.full(4, 0.3), np.array([0.9, 0.6, 0.6, 0.6])
    est = np.full(4, 220.0)
    candidates = [0.2, 0.7]
    # 0.2: A = 1.0, B = 0.25 -> 0.625; 0.7: A = 0.0, B = 1.0 -> 0.5
    assert tune_voicing_threshold([conf_a, conf_b], [est, est], [ref_a, ref_b], candidates) == 0.2
    # voicing accuracy gives the same numbers here
    assert (
        tune_voicing_threshold(
            [conf_a, conf_b], [est, est], [ref_a, ref_b], candidates, metric="voicing_accuracy"
        )
        == 0.2
    )


def test_tune_voicing_threshold_counts_wrong_pitches_as_errors():
    # frame 0 is voiced with a wrong pitch: voicing it gains nothing for OA, unvoicing the
    # confidently unvoiced frames 1-3 does
    reference = np.array([440.0, 0, 0, 0])
    estimate = np.array([880.0, 440, 440, 440])
    confidence = np.array([0.9, 0.5, 0.5, 0.5])
    assert tune_voicing_threshold(confidence, estimate, reference, [0.0, 0.6, 1.0]) == 0.6


def test_tune_voicing_threshold_errors():
    with pytest.raises(InputError, match="unknown metric"):
        tune_voicing_threshold(np.ones(2), np.ones(2), np.ones(2), metric="rpa")
    with pytest.raises(InputError, match="track 0"):
        tune_voicing_threshold(np.ones(2), np.ones(3), np.ones(2))
    with pytest.raises(InputError, match="number of tracks"):
        tune_voicing_threshold([np.ones(2)], [np.ones(2), np.ones(2)], [np.ones(2)])


def test_decode_multif0_peaks_above_threshold():
    bins = PitchBins(bins_per_semitone=1, lowest_note=60, n_bins=40)
    salience = np.full((3, 40), 0.1)
    salience[0, [10, 30]] = [0.9, 0.6]
    salience[1, 20:23] = 0.8  # flat peak: one pitch, the middle bin
    frames = decode_multif0(salience, bins, threshold=0.5)
    hz = bins.hz()
    np.testing.assert_allclose(frames[0], hz[[10, 30]])
    np.testing.assert_allclose(frames[1], hz[[21]])
    assert frames[2].size == 0
    np.testing.assert_allclose(decode_multif0(salience, bins, threshold=0.7)[0], hz[[10]])


def test_salience_validation():
    bins = PitchBins(bins_per_semitone=1, lowest_note=60, n_bins=4)
    with pytest.raises(InputError, match=r"\(n_frames, 4\)"):
        decode_salience(np.zeros((2, 5)), bins)
    with pytest.raises(InputError, match="NaN"):
        decode_salience(np.full((1, 4), np.nan), bins)
    with pytest.raises(InputError, match="negative"):
        decode_multif0(-np.ones((1, 4)), bins, 0.5)

import math

import numpy as np
import pytest

from mirlab.errors import InputError
from mirlab.pitch.targets import PitchBins, crepe_bins, f0_to_target, f0s_to_target, voicing_target


def test_default_bins_line_up_with_the_default_cqt():
    bins = PitchBins()
    assert bins.n_bins == 360 and bins.cents_per_bin == 20.0
    # C1 = 32.7032 Hz, 60 bins per octave
    assert bins.hz()[0] == pytest.approx(32.703195662574835)
    assert bins.hz()[60] == pytest.approx(2 * 32.703195662574835)
    assert bins.midi()[5] == 25.0
    assert bins.highest_note == pytest.approx(24 + 359 / 5)


def test_crepe_bins_are_crepes_360_bins_of_20_cents():
    expected = np.linspace(0, 7180, 360) + 1997.3794084376191  # crepe.core mapping
    np.testing.assert_allclose(crepe_bins().cents(), expected, rtol=0, atol=1e-9)
    assert crepe_bins().hz()[0] == pytest.approx(31.7)


def test_fractional_bin_and_unvoiced():
    bins = PitchBins(bins_per_semitone=5, lowest_note=69, n_bins=10)
    position = bins.fractional_bin(np.array([440.0, 440 * 2 ** (30 / 1200), 0.0, -440.0]))
    np.testing.assert_allclose(position[:2], [0.0, 1.5])
    assert np.isnan(position[2:]).all()


def test_one_hot_at_the_nearest_bin():
    bins = PitchBins(bins_per_semitone=5, lowest_note=69, n_bins=10)
    # 440 Hz -> bin 0; +45 cents -> 2.25 bins -> bin 2; +51 cents -> 2.55 -> bin 3
    f0 = 440 * 2 ** (np.array([0, 45, 51]) / 1200)
    target = f0_to_target(f0, bins)
    assert target.dtype == np.float32 and target.shape == (3, 10)
    assert [np.flatnonzero(row).tolist() for row in target] == [[0], [2], [3]]
    assert target.sum() == 3


def test_gaussian_values_mean_what_they_say():
    bins = PitchBins(bins_per_semitone=1, lowest_note=60, n_bins=5)
    target = f0_to_target(np.array([440 * 2 ** (-6 / 12)]), bins, blur_semitones=1.0)  # MIDI 63
    # distances to MIDI 60..64: 3, 2, 1, 0, 1 semitones; sigma = 1 semitone
    expected = np.exp(-np.array([9, 4, 1, 0, 1]) / 2)
    np.testing.assert_allclose(target[0], expected, rtol=1e-6)
    assert target[0, 2] == pytest.approx(math.exp(-0.5))
    assert target[0, 3] == 1.0  # exact f0 on a bin centre: peak 1, not normalised


def test_gaussian_between_bins_peaks_below_one():
    bins = PitchBins(bins_per_semitone=5, lowest_note=69, n_bins=10)
    target = f0_to_target(np.array([440 * 2 ** (10 / 1200)]), bins, blur_semitones=0.25)
    # 10 cents = 0.1 semitone from bins 0 and 1
    assert target[0, 0] == pytest.approx(math.exp(-(0.1**2) / (2 * 0.25**2)), rel=1e-6)
    assert target[0, 0] == pytest.approx(target[0, 1], rel=1e-6)


def test_unvoiced_and_out_of_range_frames_are_zero():
    bins = PitchBins(bins_per_semitone=5, lowest_note=69, n_bins=10)
    f0 = np.array([0.0, -220.0, 100.0, 2000.0, 440.0])
    for blur in (None, 0.5):
        target = f0_to_target(f0, bins, blur)
        assert not target[:4].any()
        assert target[4].max() == 1.0
    with pytest.raises(InputError, match="frame 2 has f0 100.000 Hz"):
        f0_to_target(f0, bins, out_of_range="raise")


def test_range_edges_are_half_a_bin():
    bins = PitchBins(bins_per_semitone=5, lowest_note=69, n_bins=10)
    inside, outside = 440 * 2 ** (np.array([-9.9, -10.1]) / 1200)
    assert f0_to_target(np.array([inside]), bins)[0, 0] == 1
    assert not f0_to_target(np.array([outside]), bins).any()


def test_multi_f0_target_is_the_maximum_over_notes():
    bins = PitchBins(bins_per_semitone=1, lowest_note=60, n_bins=8)
    c4, e4, g4 = 440 * 2 ** (np.array([-9, -5, -2]) / 12)
    frames = [np.array([c4, g4]), np.array([]), np.array([e4]), np.array([0.0])]
    one_hot = f0s_to_target(frames, bins)
    assert [np.flatnonzero(row).tolist() for row in one_hot] == [[0, 7], [], [4], []]
    blurred = f0s_to_target(frames, bins, blur_semitones=1.0)
    single = [f0_to_target(np.array([f0]), bins, 1.0)[0] for f0 in (c4, g4)]
    np.testing.assert_allclose(blurred[0], np.maximum(*single))
    np.testing.assert_allclose(blurred[2], f0_to_target(np.array([e4]), bins, 1.0)[0])


def test_voicing_target():
    np.testing.assert_array_equal(voicing_target(np.array([0, 220.0, -3])), [0, 1, 0])


@pytest.mark.parametrize(
    ("kwargs", "where"),
    [
        ({"bins_per_semitone": 0}, "bins_per_semitone"),
        ({"bins_per_semitone": 2.5}, "bins_per_semitone"),
        ({"n_bins": 0}, "n_bins"),
        ({"lowest_note": float("nan")}, "lowest_note"),
    ],
)
def test_bad_bins_are_input_errors(kwargs, where):
    with pytest.raises(InputError, match=where):
        PitchBins(**kwargs)


def test_bad_f0_is_an_input_error():
    with pytest.raises(InputError, match="NaN"):
        f0_to_target(np.array([440.0, np.nan]), PitchBins())
    with pytest.raises(InputError, match="1-D"):
        f0_to_target(np.zeros((2, 2)), PitchBins())
    with pytest.raises(InputError, match="blur_semitones"):
        f0_to_target(np.array([440.0]), PitchBins(), blur_semitones=0)
    with pytest.raises(InputError, match="frame 1"):
        f0s_to_target([np.array([440.0]), np.array([np.nan])], PitchBins())

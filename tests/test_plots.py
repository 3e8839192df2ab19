import librosa
import matplotlib.pyplot as plt
import mir_eval
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_rgba

from mirlab.errors import InputError
from mirlab.evaluation.plots import (
    figure_to_image,
    figure_to_png,
    metric_by_method,
    metric_vs_hyperparameters,
    per_track_distribution,
)
from mirlab.families.melody.plots import (
    CLASS_COLOURS,
    CLASS_NAMES,
    DRAWN_CLASSES,
    REFERENCE_LABEL,
    FrameClass,
    compare_figure,
    confusion_figure,
    error_histogram,
    error_limits,
    frame_classes,
    note_confusion,
    per_note_accuracy,
    per_note_accuracy_figure,
    pianoroll,
    pitch_errors,
)

A4, C5 = 440.0, librosa.midi_to_hz(72)


def cents(f0: float, offset: float) -> float:
    return f0 * 2.0 ** (offset / 1200.0)


# One frame of each class; the estimate of the miss is MIREX's negative "unvoiced guess".
REF = np.array([A4, A4, A4, A4, 0.0, A4, 0.0, A4])
EST = np.array([cents(A4, 30), cents(A4, -1190), cents(A4, 300), cents(A4, 1260), 300.0, -A4, 0, 0])
EXPECTED = [
    FrameClass.CORRECT,
    FrameClass.OCTAVE_ERROR,
    FrameClass.OTHER_PITCH_ERROR,
    FrameClass.OTHER_PITCH_ERROR,  # an octave plus 60 cents is not an octave error
    FrameClass.VOICING_FALSE_ALARM,
    FrameClass.VOICING_MISS,
    FrameClass.UNVOICED_CORRECT,
    FrameClass.VOICING_MISS,
]
TIMES = np.arange(REF.size) * 0.01


def scatter_by_label(ax) -> dict[str, PathCollection]:
    return {c.get_label(): c for c in ax.collections if isinstance(c, PathCollection)}


def tick_labels(axis) -> list[str]:
    return [label.get_text() for label in axis.get_ticklabels()]


def test_frame_classes_hand_made_frames():
    assert frame_classes(REF, EST).tolist() == EXPECTED


def test_frame_classes_tolerance_and_double_octave():
    ref = np.array([A4, A4, A4])
    est = np.array([cents(A4, 30), cents(A4, 2400 + 20), cents(A4, -49.5)])
    assert frame_classes(ref, est, cent_tolerance=25).tolist() == [
        FrameClass.OTHER_PITCH_ERROR,
        FrameClass.OCTAVE_ERROR,
        FrameClass.OTHER_PITCH_ERROR,
    ]
    assert frame_classes(ref, est, cent_tolerance=50).tolist() == [
        FrameClass.CORRECT,
        FrameClass.OCTAVE_ERROR,
        FrameClass.CORRECT,
    ]


def test_frame_classes_agree_with_mir_eval_raw_pitch_and_chroma():
    rng = np.random.default_rng(3)
    ref = np.where(rng.random(500) < 0.8, rng.uniform(100, 800, 500), 0.0)
    est = ref * 2.0 ** rng.choice([0, 0, 1, -1, 0.3, 0.02, -2], 500) * 2 ** rng.normal(0, 0.02, 500)
    est[ref == 0] = rng.uniform(100, 800, int((ref == 0).sum()))
    classes = frame_classes(ref, est)
    voiced = ref > 0
    args = (
        voiced.astype(float),
        mir_eval.melody.hz2cents(ref),
        np.ones_like(est),
        mir_eval.melody.hz2cents(est),
    )
    correct = classes[voiced] == FrameClass.CORRECT
    octave = classes[voiced] == FrameClass.OCTAVE_ERROR
    assert correct.mean() == pytest.approx(mir_eval.melody.raw_pitch_accuracy(*args))
    assert (correct | octave).mean() == pytest.approx(mir_eval.melody.raw_chroma_accuracy(*args))
    assert np.all(classes[~voiced] == FrameClass.VOICING_FALSE_ALARM)


def test_frame_classes_reject_bad_input():
    with pytest.raises(InputError, match="est_f0"):
        frame_classes(REF, EST[:-1])
    with pytest.raises(InputError, match="ref_f0"):
        frame_classes([np.nan, 440.0], [440.0, 440.0])
    with pytest.raises(InputError, match="cent_tolerance"):
        frame_classes(REF, EST, cent_tolerance=600)


def test_class_names_and_colours_cover_every_class_and_are_distinct():
    assert set(CLASS_NAMES) == set(FrameClass) == set(CLASS_COLOURS)
    assert len(set(CLASS_COLOURS.values())) == len(FrameClass)
    assert FrameClass.UNVOICED_CORRECT not in DRAWN_CLASSES


def test_pianoroll_points_have_class_colours_and_positions():
    fig = pianoroll(TIMES, REF, EST, title="track 1")
    ax = fig.axes[0]
    scatters = scatter_by_label(ax)
    assert set(scatters) == {CLASS_NAMES[c] for c in DRAWN_CLASSES}
    expected = np.array(EXPECTED)
    ref_midi = librosa.hz_to_midi(A4)
    for frame_class in DRAWN_CLASSES:
        collection = scatters[CLASS_NAMES[frame_class]]
        frames = np.flatnonzero(expected == frame_class)
        offsets = collection.get_offsets()
        np.testing.assert_allclose(offsets[:, 0], TIMES[frames])
        if frame_class == FrameClass.VOICING_MISS:
            # Drawn at the reference pitch, not at the (absent) estimate.
            np.testing.assert_allclose(offsets[:, 1], ref_midi)
        else:
            np.testing.assert_allclose(offsets[:, 1], librosa.hz_to_midi(EST[frames]))
        np.testing.assert_allclose(
            collection.get_facecolors(), [to_rgba(CLASS_COLOURS[frame_class])]
        )
    assert ax.get_title() == "track 1"


def test_pianoroll_legend_and_note_name_ticks():
    fig = pianoroll(TIMES, REF, EST)
    ax = fig.axes[0]
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == [REFERENCE_LABEL] + [CLASS_NAMES[c] for c in DRAWN_CLASSES]
    ticks = ax.get_yticks()
    names = tick_labels(ax.yaxis)
    assert len(names) >= 3
    assert [librosa.note_to_midi(name) for name in names] == pytest.approx(ticks)
    low, high = ax.get_ylim()
    drawn = np.concatenate([c.get_offsets()[:, 1] for c in scatter_by_label(ax).values()])
    assert low < drawn.min() and drawn.max() < high


def test_pianoroll_salience_panel_shares_time_axis():
    freqs = librosa.midi_to_hz(np.arange(48, 84, 0.5))
    salience = np.random.default_rng(0).random((TIMES.size, freqs.size))
    fig = pianoroll(TIMES, REF, EST, salience=salience, salience_frequencies=freqs)
    top, bottom = fig.axes[:2]
    assert top.get_shared_x_axes().joined(top, bottom)
    mesh = bottom.collections[0]
    np.testing.assert_allclose(mesh.get_array(), salience.T)
    assert tick_labels(bottom.yaxis)[0] == "C3"
    with pytest.raises(InputError, match="salience"):
        pianoroll(TIMES, REF, EST, salience=salience[:-1], salience_frequencies=freqs)
    with pytest.raises(InputError, match="salience_frequencies"):
        pianoroll(TIMES, REF, EST, salience=salience)


def test_compare_figure_two_titled_panels_with_shared_axes():
    est_b = REF.copy()
    fig = compare_figure(TIMES, REF, EST, est_b, "crepe", "hcnn")
    left, right = fig.axes
    assert (left.get_title(), right.get_title()) == ("crepe", "hcnn")
    assert left.get_shared_y_axes().joined(left, right)
    assert left.get_shared_x_axes().joined(left, right)
    left_correct = scatter_by_label(left)[CLASS_NAMES[FrameClass.CORRECT]].get_offsets()
    right_correct = scatter_by_label(right)[CLASS_NAMES[FrameClass.CORRECT]].get_offsets()
    assert len(left_correct) == 1 and len(right_correct) == int((REF > 0).sum())
    labels = [text.get_text() for text in fig.legends[0].get_texts()]
    assert labels == [REFERENCE_LABEL] + [CLASS_NAMES[c] for c in DRAWN_CLASSES]
    with pytest.raises(InputError, match="est_b"):
        compare_figure(TIMES, REF, EST, est_b[:-1], "crepe", "hcnn")


def test_note_confusion_counts_and_crop():
    a5, g4 = 2 * A4, librosa.midi_to_hz(67)
    ref = np.array([A4, A4, A4, C5, 0.0, C5, A4])
    est = np.array([cents(A4, 40), A4, a5, C5, A4, 0.0, g4])
    matrix, labels = note_confusion(ref, est)
    # Range G4 (67, estimate only) .. A5 (81, estimate only).
    assert labels[0] == "G4" and labels[-1] == "A5" and len(labels) == 15
    assert matrix.shape == (15, 15)
    assert matrix.sum() == 5  # frames voiced in both
    index = {name: i for i, name in enumerate(labels)}
    assert matrix[index["A4"], index["A4"]] == 2
    assert matrix[index["A4"], index["A5"]] == 1
    assert matrix[index["A4"], index["G4"]] == 1
    assert matrix[index["C5"], index["C5"]] == 1


def test_note_confusion_empty_when_nothing_voiced_in_both():
    matrix, labels = note_confusion([A4, 0.0], [0.0, A4])
    assert matrix.shape == (0, 0) and labels == []
    assert confusion_figure([A4, 0.0], [0.0, A4]).axes[0].texts[0].get_text()


def test_confusion_figure_annotates_counts_and_names_notes():
    ref = np.array([A4, A4, A4, C5])
    est = np.array([A4, A4, C5, C5])
    fig = confusion_figure(ref, est)
    ax = fig.axes[0]
    texts = sorted(text.get_text() for text in ax.texts)
    assert texts == ["1", "1", "2"]
    assert tick_labels(ax.xaxis) == ["A4", "A♯4", "B4", "C5"]
    assert tick_labels(ax.yaxis) == ["A4", "A♯4", "B4", "C5"]
    np.testing.assert_array_equal(ax.images[0].get_array(), note_confusion(ref, est)[0])


def test_pitch_errors_in_semitones_on_voiced_frames():
    ref = np.array([A4, A4, A4, 0.0, A4])
    est = np.array([cents(A4, -120), cents(A4, 1210), A4, A4, 0.0])
    np.testing.assert_allclose(pitch_errors(ref, est), [-1.2, 12.1, 0.0])


def histogram_for(errors: list[float]):
    ref = np.full(len(errors), A4)
    est = A4 * 2.0 ** (np.asarray(errors) / 12.0)
    return error_histogram(ref, est).axes[0]


def test_error_histogram_limits_follow_the_data():
    wide = histogram_for([-1.2, 0.0, 0.3, 12.1])
    low, high = wide.get_xlim()
    assert low == pytest.approx(-high)
    assert 12.1 < high < 13.5
    narrow = histogram_for([-0.4, 0.0, 0.2])
    low, high = narrow.get_xlim()
    assert low == pytest.approx(-high)
    assert 0.4 < high < 1.0
    assert sum(patch.get_height() for patch in wide.patches) == 4
    assert error_limits(np.array([])) == (-0.25, 0.25)


def test_per_note_accuracy_numbers():
    ref = np.array([A4] * 4 + [C5] * 2 + [0.0])
    est = np.array([A4, cents(A4, 17), 2 * A4, 0.0, C5, cents(C5, -20), A4])
    table = per_note_accuracy(ref, est)
    assert table["note"].tolist() == ["A4", "C5"]
    assert table["midi"].tolist() == [69, 72]
    assert table["n_frames"].tolist() == [4, 2]
    assert table["accuracy"].tolist() == pytest.approx([0.5, 1.0])
    assert per_note_accuracy(ref, est, cent_tolerance=10)["accuracy"].tolist() == pytest.approx(
        [0.25, 0.5]
    )
    ax = per_note_accuracy_figure(ref, est).axes[0]
    bars = ax.containers[0]
    assert [bar.get_height() for bar in bars] == pytest.approx([0.5, 1.0])
    assert [bar.get_x() + bar.get_width() / 2 for bar in bars] == pytest.approx([69, 72])


SUMMARY = pd.DataFrame(
    {
        "experiment": ["crepe", "crepe", "hcnn", "hcnn", "pyin", "pyin", "crepe"],
        "dataset": ["synth", "mdb", "synth", "mdb", "synth", "mdb", "synth"],
        "metric": ["overall_accuracy"] * 6 + ["raw_pitch_accuracy"],
        "mean": [0.8, 0.7, 0.75, 0.6, 0.5, 0.45, 0.9],
        "ci_low": [0.75, 0.6, 0.7, 0.5, 0.4, 0.4, 0.85],
        "ci_high": [0.85, 0.75, 0.8, 0.66, 0.55, 0.5, 0.95],
    }
)


def test_metric_by_method_error_bars_match_confidence_intervals():
    ax = metric_by_method(SUMMARY, "overall_accuracy").axes[0]
    assert tick_labels(ax.yaxis) == ["crepe", "hcnn", "pyin"]
    bars = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(bars) == 2  # one per dataset
    for collection, dataset in zip(bars, ["synth", "mdb"], strict=True):
        rows = SUMMARY[(SUMMARY["dataset"] == dataset) & (SUMMARY["metric"] == "overall_accuracy")]
        segments = np.array(collection.get_segments())
        np.testing.assert_allclose(segments[:, 0, 0], rows["ci_low"])
        np.testing.assert_allclose(segments[:, 1, 0], rows["ci_high"])
        # Each method's bar sits on its own row.
        np.testing.assert_allclose(np.round(segments[:, 0, 1]), [0, 1, 2])
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == ["synth", "mdb"]
    means = np.concatenate([line.get_xdata() for line in ax.lines])
    assert sorted(means) == pytest.approx(sorted(SUMMARY["mean"][:6]))


def test_metric_by_method_without_dataset_and_bad_tables():
    one = SUMMARY[SUMMARY["dataset"] == "synth"].drop(columns="dataset")
    ax = metric_by_method(one, "overall_accuracy").axes[0]
    segments = np.array(ax.collections[0].get_segments())
    np.testing.assert_allclose(segments[:, :, 0], [[0.75, 0.85], [0.7, 0.8], [0.4, 0.55]])
    assert ax.get_legend() is None
    with pytest.raises(InputError, match="several rows"):
        metric_by_method(SUMMARY.drop(columns="dataset"), "overall_accuracy")
    with pytest.raises(InputError, match="no row"):
        metric_by_method(SUMMARY, "voicing_recall")
    with pytest.raises(InputError, match="ci_high"):
        metric_by_method(SUMMARY.drop(columns="ci_high"), "overall_accuracy")


def test_per_track_distribution_draws_every_track():
    rng = np.random.default_rng(1)
    per_track = pd.DataFrame(
        {
            "experiment": np.repeat(["hcnn", "crepe"], [5, 7]),
            "track_id": [f"t{i}" for i in range(12)],
            "overall_accuracy": rng.random(12),
        }
    )
    fig = per_track_distribution(per_track, "overall_accuracy")
    ax = fig.axes[0]
    assert tick_labels(ax.yaxis) == ["hcnn", "crepe"]
    points = np.concatenate(
        [c.get_offsets() for c in ax.collections if isinstance(c, PathCollection)]
    )
    np.testing.assert_allclose(np.sort(points[:, 0]), np.sort(per_track["overall_accuracy"]))
    # Points of each experiment stay on its row (jitter is small).
    rows = np.round(points[np.argsort(points[:, 0])][:, 1])
    expected = (per_track.sort_values("overall_accuracy")["experiment"] == "crepe").astype(int)
    np.testing.assert_array_equal(rows, expected)
    # The jitter is reproducible and leaves numpy's global random stream alone.
    state = np.random.get_state()[1].copy()  # noqa: NPY002
    again = per_track_distribution(per_track, "overall_accuracy").axes[0]
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # noqa: NPY002
    points_again = np.concatenate(
        [c.get_offsets() for c in again.collections if isinstance(c, PathCollection)]
    )
    np.testing.assert_array_equal(points, points_again)


def test_metric_vs_hyperparameters_averages_seeds():
    runs = pd.DataFrame(
        {
            "learning_rate": np.repeat([1e-4, 1e-3, 1e-2], 4),
            "width": np.tile([8, 8, 16, 16], 3),
            "seed": np.tile([0, 1], 6),
            "overall_accuracy": [0.1, 0.3, 0.2, 0.2, 0.5, 0.7, 0.4, 0.6, 0.3, 0.3, 0.9, 0.7],
        }
    )
    ax = metric_vs_hyperparameters(runs, "overall_accuracy", "learning_rate", hue="width").axes[0]
    assert ax.get_xscale() == "log"
    lines = [line for line in ax.lines if len(line.get_xdata()) == 3]
    assert len(lines) == 2
    np.testing.assert_allclose(lines[0].get_ydata(), [0.2, 0.6, 0.3])
    np.testing.assert_allclose(lines[1].get_ydata(), [0.2, 0.5, 0.8])
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["8", "16"]
    flat = metric_vs_hyperparameters(runs, "overall_accuracy", "width").axes[0]
    assert flat.get_xscale() == "linear"
    # Averaged over learning rates and seeds.
    np.testing.assert_allclose(flat.lines[0].get_ydata(), [2.2 / 6, 3.0 / 6])
    with pytest.raises(InputError, match="momentum"):
        metric_vs_hyperparameters(runs, "overall_accuracy", "momentum")


def test_rendering_for_tensorboard_and_files():
    fig = pianoroll(TIMES, REF, EST)
    width, height = fig.get_size_inches() * fig.dpi
    image = figure_to_image(fig)
    assert image.dtype == np.uint8 and image.shape == (round(height), round(width), 4)
    assert np.unique(image[..., :3]).size > 2  # something was drawn
    small = figure_to_image(fig, dpi=50)
    assert small.shape == (round(height / 2), round(width / 2), 4)
    assert fig.dpi == 100
    assert figure_to_png(fig).startswith(b"\x89PNG\r\n\x1a\n")
    # Figures are not registered with pyplot, so training loops do not leak them.
    assert plt.get_fignums() == []

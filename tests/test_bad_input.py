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


# --------------------------------------------------------------------------------------
# Multi-pitch loaders and readers (MAPS, MusicNet, Slakh2100, Dagstuhl ChoirSet, folder)
# --------------------------------------------------------------------------------------

MAPS_HEADER = "OnsetTime\tOffsetTime\tMidiPitch\n"


def test_maps_unpaired_files(tmp_path):
    wav = write_wav(tmp_path / "AkPnBcht" / "MUS" / "MAPS_MUS-bach_846_AkPnBcht.wav")
    with raises_about(
        wav, "no note list matches this audio file", "MAPS_MUS-bach_846_AkPnBcht.txt"
    ):
        load_dataset("maps", tmp_path)
    write_text(wav.with_suffix(".txt"), MAPS_HEADER + "0.1\t0.2\t60\n")
    stray = write_text(
        tmp_path / "AkPnBcht" / "MUS" / "MAPS_MUS-chpn_op7_1_AkPnBcht.txt", MAPS_HEADER
    )
    with raises_about(stray, "no audio file matches this note list"):
        load_dataset("maps", tmp_path)


def test_bad_maps_and_madmom_note_lists(tmp_path):
    path = write_text(tmp_path / "MAPS_x.txt", MAPS_HEADER + "0.1\t0.2\t60\n0.5\t0.3\t62\n")
    with raises_about(path, "segment ends before it starts at data row 2"):
        read_annotation(Annotation("notes", path, "maps_txt"))
    write_text(path, MAPS_HEADER + "0.1\t0.2\t160\n")
    with raises_about(path, "MIDI pitch 160.0 is outside 0-127 at data row 1"):
        read_annotation(Annotation("multif0", path, "maps_txt"))
    write_text(path, MAPS_HEADER + "0.1\t0.2\n")
    with raises_about(path, "cannot parse annotation"):
        read_annotation(Annotation("notes", path, "maps_txt"))
    notes = write_text(tmp_path / "x.notes", "# onset midi\n0.1 60\n")
    with raises_about(notes, "3 or 4 columns", "the first data row has 2"):
        read_annotation(Annotation("notes", notes, "madmom_notes"))
    write_text(notes, "0.1 60 nan 80\n")
    with raises_about(notes, "duration is nan at data row 1"):
        read_annotation(Annotation("notes", notes, "madmom_notes"))


def test_bad_musicnet_labels(tmp_path):
    path = write_text(tmp_path / "1727.csv", "start,end,note\n0,4410,60\n")
    with raises_about(path, "no start_time, end_time column in the header"):
        read_annotation(Annotation("notes", path, "musicnet_csv"))
    write_text(path, "start_time,end_time,instrument,note\n0,4410,1,60\nabc,8820,1,62\n")
    with raises_about(path, "start_time is nan at data row 2"):
        read_annotation(Annotation("notes", path, "musicnet_csv"))
    write_text(path, "start_time,end_time,instrument,note\n")
    with raises_about(path, "holds no data rows"):
        read_annotation(Annotation("notes", path, "musicnet_csv"))
    write_wav(tmp_path / "mn" / "train_data" / "1.wav")
    label = write_text(tmp_path / "mn" / "train_labels" / "2.csv", "start_time\n")
    write_text(tmp_path / "mn" / "train_labels" / "1.csv", "start_time\n")
    with raises_about(label, "no audio file matches this annotation", "train_data/2.wav"):
        load_dataset("musicnet", tmp_path / "mn")


def test_bad_slakh_tracks(tmp_path):
    folder = tmp_path / "Track00007"
    folder.mkdir()
    with raises_about(folder, "no mix.flac"):
        load_dataset("slakh", tmp_path)
    write_wav(folder / "mix.flac")
    with raises_about(folder, "no metadata.yaml"):
        load_dataset("slakh", tmp_path)
    metadata = write_text(folder / "metadata.yaml", "UUID: x\nstems: [S00]\n")
    with raises_about(metadata, "no 'stems:' mapping"):
        load_dataset("slakh", tmp_path)
    write_text(metadata, "stems: {S00: {is_drum: false\n")
    with raises_about(metadata, "cannot read metadata YAML"):
        load_dataset("slakh", tmp_path)


def test_bad_dagstuhl_takes(tmp_path):
    audio = tmp_path / "audio_wav_22050_mono"
    take = "DCS_TP_QuartetA_Take01"
    write_wav(audio / f"{take}_S1_LRX.wav")
    with raises_about(audio / f"{take}_S1_LRX.wav", "has no mix", f"{take}_Stereo_STM.wav"):
        load_dataset("dagstuhl_choirset", tmp_path)
    write_wav(audio / f"{take}_Stereo_STM.wav")
    stray = write_text(
        tmp_path / "annotations_csv_F0_manual" / "DCS_TP_QuartetB_Take02_A1_LRX.csv", "0.0,220\n"
    )
    with raises_about(stray, "no audio of take 'DCS_TP_QuartetB_Take02'"):
        load_dataset("dagstuhl_choirset", tmp_path)
    stray.unlink()
    odd = write_wav(audio / "soprano.wav")
    with raises_about(odd, "audio name is not DCS_<piece>_<setting>_Take<nn>_<mic>.wav"):
        load_dataset("dagstuhl_choirset", tmp_path)


def test_voices_off_their_shared_hop(tmp_path):
    hop = 256 / 44100
    soprano = write_text(
        tmp_path / "S1.csv", "".join(f"{0.4 + i * hop:.10f},500\n" for i in range(5))
    )
    alto = write_text(
        tmp_path / "A1.csv", f"{0.4 + hop / 2:.10f},300\n{0.4 + 1.5 * hop:.10f},300\n"
    )
    annotation = Annotation("multif0", soprano, "f0_voices_csv", more_paths=(alto,))
    with raises_about(alto, "is off the 5.805 ms hop grid the voices share"):
        read_annotation(annotation)
    # a voice with unvoiced rows (f0 0) and a gap: those frames hold the other voices only
    write_text(alto, f"{0.4:.10f},0\n{0.4 + 3 * hop:.10f},300\n")
    times, frames = read_annotation(annotation)
    assert [f.tolist() for f in frames] == [[500.0], [500.0], [500.0], [500.0, 300.0], [500.0]]


def test_more_files_for_a_single_file_format(tmp_path):
    path = write_text(tmp_path / "x.csv", "0.0,440\n")
    with raises_about(path, "format 'medleydb_melody' reads one file, not 2"):
        read_annotation(Annotation("melody", path, "medleydb_melody", more_paths=(path,)))
    score = write_text(tmp_path / "S.csv", "0.1,0.5,72\n")
    bad = write_text(tmp_path / "A.csv", "0.1,0.5,nan\n")
    with raises_about(bad, "MIDI pitch is nan at data row 1"):
        read_annotation(Annotation("notes", score, "midi_notes_csv", more_paths=(bad,)))


def folder_tree(root: Path) -> dict:
    for name in ("a", "b"):
        write_wav(root / "audio" / f"{name}.wav")
        write_text(root / "f0" / f"{name}.csv", "0.0,0.0\n0.01,220.0\n")
    return {
        "audio": "audio/*.wav",
        "annotations": {"melody": {"glob": "f0/*.csv", "format": "mirex_csv"}},
    }


def test_folder_unpaired_files(tmp_path):
    options = folder_tree(tmp_path)
    stray = write_text(tmp_path / "f0" / "c.csv", "0.0,0.0\n")
    with raises_about(stray, "no audio file matches this melody annotation", "'c'", "audio/*.wav"):
        load_dataset("folder", tmp_path, **options)
    stray.unlink()
    lonely = write_wav(tmp_path / "audio" / "d.wav")
    with raises_about(
        lonely, "no melody annotation matches this audio file", str(tmp_path / "f0" / "d.csv")
    ):
        load_dataset("folder", tmp_path, **options)
    lonely.unlink()
    write_wav(tmp_path / "audio" / "a.flac")
    with raises_about(tmp_path / "audio" / "a.wav", "a second audio file for track 'a'"):
        load_dataset("folder", tmp_path, **{**options, "audio": ["audio/*.flac", "audio/*.wav"]})


def test_folder_unreadable_audio_and_bad_annotation(tmp_path):
    options = folder_tree(tmp_path)
    wav = write_bytes(tmp_path / "audio" / "b.wav", b"\x00garbage" * 64)
    with raises_about(wav, "cannot read audio"):
        load_dataset("folder", tmp_path, **options)
    write_wav(wav)
    # a declared format that does not fit the file: the index job names the file
    from mirlab.data.preprocess import index_dataset

    csv = write_text(tmp_path / "f0" / "b.csv", "0.0 0.0\n0.01 220.0\n")
    with raises_about(csv, "cannot parse annotation"):
        index_dataset("folder", tmp_path, options, tmp_path / "index.parquet")
    assert not (tmp_path / "index.parquet").exists()


@pytest.mark.parametrize(
    ("change", "where", "words"),
    [
        ({"annotations": {}}, "options.annotations", ["needs annotations"]),
        (
            {"annotations": {"tempo": {"glob": "*", "format": "lab"}}},
            "options.annotations.tempo",
            ["unknown kind"],
        ),
        (
            {"annotations": {"melody": {"glob": "f0/*.csv", "format": "csv"}}},
            "options.annotations.melody.format",
            ["unknown format 'csv'", "mirex_csv", "maps_txt"],
        ),
        (
            {"annotations": {"melody": {"glob": "f0/*.csv", "format": "lab"}}},
            "options.annotations.melody.format",
            ["'lab' holds chords, which cannot be read as kind 'melody'"],
        ),
        (
            {"annotations": {"melody": {"glob": "*.jams", "format": "jams"}}},
            "options.annotations.melody.format",
            ["'jams' holds chords, which cannot be read as kind 'melody'"],
        ),
        (
            {"annotations": {"melody": {"glob": "f0/*.csv", "format": "mirex_csv", "hop": 1}}},
            "options.annotations.melody.hop",
            ["unknown key"],
        ),
        ({"audio": "audio/*_*.wav"}, "options.audio", ["may hold one '*'"]),
        ({"audio": "../audio/*.wav"}, "options.audio", ["relative glob inside the dataset root"]),
        ({"artist_pattern": "("}, "options.artist_pattern", ["not a regular expression"]),
    ],
)
def test_folder_bad_options(tmp_path, change, where, words):
    options = {**folder_tree(tmp_path), **change}
    with raises_about(where, *words):
        load_dataset("folder", tmp_path, **options)


def test_folder_artist_pattern_and_metadata_csv(tmp_path):
    options = folder_tree(tmp_path)
    with raises_about(
        tmp_path / "audio" / "a.wav", "artist_pattern '^x' does not match track id 'a'"
    ):
        load_dataset("folder", tmp_path, **options, artist_pattern="^x")
    table = write_text(tmp_path / "meta.csv", "track_id,artist\na,A\n")
    with raises_about(table, "no row for track 'b'"):
        load_dataset("folder", tmp_path, **options, metadata="meta.csv")
    write_text(table, "track_id,artist\na,A\nb,B\nc,C\n")
    with raises_about(table, "track 'c' has no audio file"):
        load_dataset("folder", tmp_path, **options, metadata="meta.csv")
    with raises_about(tmp_path / "nowhere.csv", "metadata CSV does not exist"):
        load_dataset("folder", tmp_path, **options, metadata="nowhere.csv")


def test_corrupt_midi(tmp_path):
    pytest.importorskip("pretty_midi")
    midi = write_bytes(tmp_path / "S00.mid", b"MThd garbage")
    with raises_about(midi, "cannot read MIDI file"):
        read_annotation(Annotation("notes", midi, "midi"))


def test_the_file_that_runs_past_the_audio_is_named(tmp_path):
    soprano = write_text(tmp_path / "S.csv", "0.1,0.5,72\n")
    bass = write_text(tmp_path / "B.csv", "0.1,0.5,48\n0.5,2.0,50\n")
    annotation = Annotation("notes", soprano, "midi_notes_csv", more_paths=(bass,))
    with raises_about(bass, "annotation runs to 2.000 s", "1.000 s"):
        readers.check_annotation_fits_audio(annotation, 1.0)
    readers.check_annotation_fits_audio(annotation, 2.0)

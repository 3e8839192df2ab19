"""Dataset loaders and annotation readers: real-format fixtures and tiny native-layout trees."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.io
import soundfile

from mirlab.data import datasets, readers
from mirlab.data.audio import AudioSource
from mirlab.data.datasets import Annotation, load_dataset
from mirlab.data.readers import read_annotation
from mirlab.errors import InputError
from mirlab.storage import write_parquet

SR = 8000


def write_wav(path: Path, seconds: float = 0.5, channels: int = 1) -> Path:
    """A tiny 8 kHz sine (one column per channel) at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * SR)) / SR
    signal = 0.1 * np.sin(2 * np.pi * 220 * t)
    soundfile.write(path, np.stack([signal] * channels, axis=1), SR)
    return path


def write_text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def midi_hz(midi: float) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


# --------------------------------------------------------------------------------------
# Real-format fixtures
# --------------------------------------------------------------------------------------


def test_medleydb_melody_fixture(fixtures_dir):
    root = fixtures_dir / "medleydb_melody"
    (track,) = load_dataset("medleydb_melody", root)
    assert track.track_id == "MusicDelta_Beethoven"
    assert track.audio["mix"] == AudioSource(root / "audio" / "MusicDelta_Beethoven_MIX.wav")
    assert track.metadata["artist"] == "MusicDelta"
    assert track.metadata["title"] == "Beethoven"
    assert track.metadata["genre"] == "Classical"
    assert track.metadata["duration"] == pytest.approx(2.0)
    assert track.metadata["n_sources"] == 18
    # the default melody is MELODY2
    assert track.annotations["melody"].path.name == "MusicDelta_Beethoven_MELODY2.csv"
    times, f0 = read_annotation(track.annotations["melody"])
    np.testing.assert_array_equal(times, [0.046439909297052155, 0.052244897959183675])
    np.testing.assert_array_equal(f0, [0.0, 965.99199999999996])

    (melody1,) = load_dataset("medleydb_melody", root, melody_definition=1)
    times, f0 = read_annotation(melody1.annotations["melody"])
    np.testing.assert_array_equal(times, [0.0058049886621315194, 0.052244897959183675])
    np.testing.assert_array_equal(f0, [0.0, 965.992])

    times, frames = read_annotation(track.annotations["multif0"])
    assert len(times) == 3 and times[2] == pytest.approx(0.058049886621315196)
    # MELODY3 zeros are silent lines, not pitches
    np.testing.assert_array_equal(frames[0], [497.016])
    np.testing.assert_array_equal(frames[1], [965.992, 996.468, 497.106])


def test_medleydb_melody_definition_must_be_1_or_2(fixtures_dir):
    with pytest.raises(InputError, match="melody_definition: must be 1 or 2"):
        load_dataset("medleydb_melody", fixtures_dir / "medleydb_melody", melody_definition=3)


def test_medleydb_pitch_fixture(fixtures_dir):
    (track,) = load_dataset("medleydb_pitch", fixtures_dir / "medleydb_pitch")
    assert track.track_id == "AClassicEducation_NightOwl_STEM_08"
    assert track.metadata["artist"] == "AClassicEducation"
    assert track.metadata["instrument"] == "male singer"
    assert track.metadata["genre"] == "Singer/Songwriter"
    times, f0 = read_annotation(track.annotations["pitch"])
    np.testing.assert_array_equal(times, [0.06965986394557823, 0.07546485260770976])
    np.testing.assert_array_equal(f0, [0.0, 191.877])


def test_mdb_stem_synth_fixture(fixtures_dir):
    (track,) = load_dataset("mdb_stem_synth", fixtures_dir / "mdb_stem_synth")
    assert track.track_id == "AClassicEducation_NightOwl_STEM_08"
    assert (track.metadata["artist"], track.metadata["title"]) == ("AClassicEducation", "NightOwl")
    assert track.metadata["duration"] == pytest.approx(3.001156, abs=1e-6)
    times, f0 = read_annotation(track.annotations["pitch"])
    assert len(times) == 1034
    # hop 128/44100 s, written with 6 decimals
    np.testing.assert_allclose(np.diff(times), 128 / 44100, atol=1.5e-6)
    assert times[0] == 0.0 and times[-1] == pytest.approx(2.998277)
    assert np.all(f0 >= 0) and np.any(f0 > 0)
    readers.check_annotation_fits_audio(track.annotations["pitch"], track.metadata["duration"])


def test_orchset_fixture_tab_separated(fixtures_dir):
    (track,) = load_dataset("orchset", fixtures_dir / "orchset")
    assert track.track_id == "Beethoven-S3-I-ex1"
    assert track.audio["mix"].path.parts[-2] == "mono"
    assert track.metadata["artist"] == "Beethoven"  # the composer groups the splits
    assert track.metadata["genre"] == "classical"
    assert track.metadata["instruments"] == "strings+winds"
    times, f0 = read_annotation(track.annotations["melody"])
    np.testing.assert_array_equal(times, [0.07, 0.08, 0.09])
    np.testing.assert_array_equal(f0, [0.0, 0.0, 622.254])


def test_ikala_fixture(fixtures_dir):
    root = fixtures_dir / "ikala"
    (track,) = load_dataset("ikala", root)
    wav = root / "Wavfile" / "10161_chorus.wav"
    assert track.audio == {
        "mix": AudioSource(wav),
        "vocals": AudioSource(wav, channel=1),
        "accompaniment": AudioSource(wav, channel=0),
    }
    assert track.metadata["artist"] == "singer1"  # from id_mapping.txt
    assert track.metadata["section"] == "chorus"
    times, f0 = read_annotation(track.annotations["melody"])
    # 32 ms hop, first frame centred at 16 ms; MIDI 0 is unvoiced
    np.testing.assert_allclose(times, [0.016, 0.048])
    np.testing.assert_allclose(f0, [0.0, midi_hz(59.955)], rtol=1e-12)
    assert f0[1] == pytest.approx(260.9464, abs=1e-4)


def test_isophonics_fixture_paths_with_spaces(fixtures_dir):
    root = fixtures_dir / "beatles"
    (track,) = load_dataset("isophonics", root)
    assert track.track_id == "01_-_Please_Please_Me-11_-_Do_You_Want_To_Know_A_Secret"
    assert track.metadata["artist"] == "The Beatles"
    assert track.metadata["album"] == "01_-_Please_Please_Me"
    assert track.metadata["title"] == "Do You Want To Know A Secret"
    assert "The Beatles" in track.annotations["chords"].path.parts
    intervals, labels = read_annotation(track.annotations["chords"])
    np.testing.assert_array_equal(
        intervals, [[0.0, 0.497838], [4.586464, 6.98973], [6.98973, 9.985104]]
    )
    assert labels == ["N", "E:min", "G"]


def test_fixture_crop_is_caught_by_the_length_check(fixtures_dir):
    """The Beatles fixture audio is a 2 s crop of a 10 s annotation: the check names both."""
    (track,) = load_dataset("isophonics", fixtures_dir / "beatles")
    mix = track.audio["mix"].path
    with pytest.raises(InputError) as error:
        readers.check_annotation_fits_audio(
            track.annotations["chords"], track.metadata["duration"], mix
        )
    assert error.value.where == str(track.annotations["chords"].path)
    assert str(mix) in error.value.problem and "9.985 s" in error.value.problem


def test_billboard_fixture_apostrophe_and_vocabulary(fixtures_dir):
    root = fixtures_dir / "billboard"
    (track,) = load_dataset("billboard", root)
    assert track.track_id == "0003"
    assert track.metadata["artist"] == "James Brown"
    assert track.metadata["title"] == "I Don't mind"
    assert track.metadata["decade"] == "1960s"
    assert track.audio["mix"].path == root / "audio/1960s/James Brown/I Don't Mind/audio.flac"
    assert track.metadata["duration"] == pytest.approx(1.0)
    assert track.annotations["chords"].path.name == "full.lab"
    intervals, labels = read_annotation(track.annotations["chords"])
    assert len(labels) == 95  # the file ends with a blank line
    assert labels[:4] == ["N", "N", "N", "A:min"]
    np.testing.assert_allclose(intervals[3], [1.8015782305999999, 3.529687074200001])
    np.testing.assert_allclose(intervals[-1], [148.723809523, 150.909387755])

    (majmin,) = load_dataset("billboard", root, vocabulary="majmin")
    assert majmin.annotations["chords"].path.name == "majmin.lab"
    with pytest.raises(InputError, match="vocabulary: 'jazz' is not one of full"):
        load_dataset("billboard", root, vocabulary="jazz")


def test_dagstuhl_choirset_fixture(fixtures_dir):
    root = fixtures_dir / "dagstuhl_choirset"
    (track,) = load_dataset("dagstuhl_choirset", root)
    take = "DCS_LI_QuartetB_Take04"
    assert track.track_id == take
    audio = root / "audio_wav_22050_mono"
    assert track.audio["mix"] == AudioSource(audio / f"{take}_Stereo_STM.wav")
    assert track.audio["s1_lrx"] == AudioSource(audio / f"{take}_S1_LRX.wav")
    assert {"stereo_stl", "stereo_str", "stereoreverb_stm", "b2_dyn", "t2_hsm"} <= set(track.audio)
    assert (track.metadata["artist"], track.metadata["title"]) == ("QuartetB", "LI")
    assert (track.metadata["genre"], track.metadata["take"]) == ("choral", "Take04")
    assert track.metadata["voices"] == "A2,B2,S1,T2"
    assert track.metadata["duration"] == pytest.approx(1.0)
    # multi-f0: the four voices' manual f0 on their shared hop (256/44100 s), whose time
    # stamps differ by rounding (0.4005442177 and 0.400544218)
    multif0 = track.annotations["multif0"]
    assert [p.name for p in multif0.paths] == [
        f"{take}_{v}_LRX.csv" for v in ("A2", "B2", "S1", "T2")
    ]
    times, frames = read_annotation(multif0)
    np.testing.assert_allclose(times, 0.4005442177 + np.arange(5) * 256 / 44100, atol=1e-9)
    np.testing.assert_array_equal(frames[0], [321.158, 129.387, 503.661, 198.82])
    np.testing.assert_array_equal(frames[4], [319.154, 124.491, 518.345, 198.103])
    readers.check_annotation_fits_audio(multif0, track.metadata["duration"])
    # notes: the score of the four voices (start,end,midi)
    intervals, pitches = read_annotation(track.annotations["notes"])
    assert len(pitches) == 20
    np.testing.assert_allclose(intervals[0], [0.16, 2.5165])
    np.testing.assert_allclose(pitches[0], midi_hz(64))
    # the 1 s crop is shorter than its score: the length check names the score file
    with pytest.raises(InputError) as error:
        readers.check_annotation_fits_audio(track.annotations["notes"], 1.0)
    assert error.value.where == str(track.annotations["notes"].path)
    assert "7.782 s" in error.value.problem
    (f0_only,) = load_dataset("dagstuhl_choirset", root, notes=False)
    assert sorted(f0_only.annotations) == ["multif0"]


def test_madmom_piano_fixture_as_a_notes_folder(fixtures_dir):
    """The real piano recording and its 8 notes, read as notes and as 10 ms multi-f0."""
    root = fixtures_dir / "madmom_piano"
    (track,) = load_dataset("notes_folder", root)
    assert track.track_id == "stereo_sample"
    assert track.audio["mix"] == AudioSource(root / "stereo_sample.flac")
    assert track.metadata["duration"] == pytest.approx(4.1478, abs=1e-4)
    intervals, pitches = read_annotation(track.annotations["notes"])
    assert len(pitches) == 8
    np.testing.assert_allclose(intervals[0], [0.147, 0.147 + 3.323])
    np.testing.assert_allclose(pitches[:2], [midi_hz(72), midi_hz(41)])
    times, frames = read_annotation(track.annotations["multif0"])
    np.testing.assert_allclose(np.diff(times), readers.NOTES_MULTIF0_HOP_S)
    assert times[0] == 0.0 and times[-1] <= intervals[:, 1].max()
    frame = int(np.searchsorted(times, 2.6))  # 2.60 s: C5, F5, C4, F4 and G#3 sound
    np.testing.assert_allclose(
        sorted(frames[frame]), sorted(midi_hz(m) for m in (72, 77, 60, 65, 56))
    )
    assert frames[0].size == 0 and frames[20].tolist() == [pytest.approx(midi_hz(72))]
    for annotation in track.annotations.values():
        readers.check_annotation_fits_audio(annotation, track.metadata["duration"])


# --------------------------------------------------------------------------------------
# Native layouts written by the tests
# --------------------------------------------------------------------------------------


def test_medleydb_native_layout(tmp_path):
    audio = tmp_path / "Audio"
    melody = tmp_path / "Annotations" / "Melody_Annotations"
    write_wav(audio / "Artist_Song" / "Artist_Song_MIX.wav", channels=2)
    write_wav(audio / "Artist_Song" / "Artist_Song_STEMS" / "Artist_Song_STEM_01.wav")
    write_wav(audio / "Artist_Song" / "Artist_Song_STEMS" / "Artist_Song_STEM_02.wav")
    write_text(
        audio / "Artist_Song" / "Artist_Song_METADATA.yaml",
        "artist: The Artist\ntitle: A Song\ngenre: Jazz/Blues\n",
    )
    write_text(melody / "MELODY1" / "Artist_Song_MELODY1.csv", "0.0,0.0\n0.1,220.0\n")
    write_text(melody / "MELODY2" / "Artist_Song_MELODY2.csv", "0.0,110.0\n0.1,-220.0\n")
    write_text(melody / "MELODY3" / "Artist_Song_MELODY3.csv", "0.0,110.0,0.0\n0.1,0.0,0.0\n")
    # MedleyDB ships mixes without melody annotations: they stay, without that kind
    write_wav(audio / "Other_Piece" / "Other_Piece_MIX.wav")
    song, other = load_dataset("medleydb", tmp_path)
    assert song.track_id == "Artist_Song" and other.track_id == "Other_Piece"
    assert sorted(song.audio) == ["mix", "stem_01", "stem_02"]
    assert song.metadata["artist"] == "Artist"  # id prefix, as in every MedleyDB derivative
    assert (song.metadata["title"], song.metadata["genre"]) == ("A Song", "Jazz/Blues")
    assert other.annotations == {} and other.metadata["title"] == "Piece"
    # MELODY2 by default; a negative f0 (unvoiced guess) stays negative
    np.testing.assert_array_equal(read_annotation(song.annotations["melody"])[1], [110.0, -220.0])
    (song1, _) = load_dataset("medleydb", tmp_path, melody_definition=1)
    np.testing.assert_array_equal(read_annotation(song1.annotations["melody"])[1], [0.0, 220.0])
    frames = read_annotation(song.annotations["multif0"])[1]
    assert [f.tolist() for f in frames] == [[110.0], []]

    pitch = tmp_path / "Annotations" / "Pitch_Annotations"
    write_text(pitch / "Artist_Song_STEM_02.csv", "0.0,0.0\n0.05,300.0\n")
    (stem,) = load_dataset("medleydb_stems", tmp_path)
    assert stem.track_id == "Artist_Song_STEM_02"
    assert stem.audio["mix"].path.name == "Artist_Song_STEM_02.wav"
    assert stem.annotations["pitch"].kind == "pitch"


def test_mdb_melody_synth_native_layout(tmp_path):
    write_wav(tmp_path / "audio_mix" / "Band_Tune_MIX_melsynth.wav")
    write_text(tmp_path / "annotation_melody" / "Band_Tune_STEM_03.RESYN.csv", "0.0,0.0\n0.2,440\n")
    (track,) = load_dataset("mdb_melody_synth", tmp_path)
    assert track.track_id == "Band_Tune"
    assert track.metadata["artist"] == "Band"
    np.testing.assert_array_equal(read_annotation(track.annotations["melody"])[1], [0.0, 440.0])


def test_mdb_mf0_synth_native_layout_ragged_rows(tmp_path):
    write_wav(tmp_path / "audio_mix" / "Band_Tune_MIX_mf0synth.wav")
    write_text(
        tmp_path / "annotation_mf0" / "Band_Tune_MIX_mf0synth.csv",
        "0.0\n0.1,220.0\n0.2,220.0,330.0,0.0\n0.3,110.0,\n",
    )
    (track,) = load_dataset("mdb_mf0_synth", tmp_path)
    times, frames = read_annotation(track.annotations["multif0"])
    np.testing.assert_array_equal(times, [0.0, 0.1, 0.2, 0.3])
    assert [f.tolist() for f in frames] == [[], [220.0], [220.0, 330.0], [110.0]]


def test_adc2004_whitespace_and_grouping(tmp_path):
    for name in ("daisy1", "daisy2", "pop1"):
        write_wav(tmp_path / f"{name}.wav")
        write_text(tmp_path / f"{name}REF.txt", "0.0000  0.000\n0.0058\t196.5\n")
    tracks = load_dataset("adc2004", tmp_path)
    assert [t.track_id for t in tracks] == ["daisy1", "daisy2", "pop1"]
    assert [t.metadata["artist"] for t in tracks] == ["daisy", "daisy", "pop"]
    times, f0 = read_annotation(tracks[0].annotations["melody"])
    np.testing.assert_array_equal(times, [0.0, 0.0058])
    np.testing.assert_array_equal(f0, [0.0, 196.5])


def test_mirex05_each_track_is_its_own_group(tmp_path):
    for name in ("train01", "train02"):
        write_wav(tmp_path / f"{name}.wav")
        write_text(tmp_path / f"{name}REF.txt", "0.00 0.0\n0.01 300.0\n")
    tracks = load_dataset("mirex05", tmp_path)
    assert [t.metadata["artist"] for t in tracks] == ["train01", "train02"]
    assert read_annotation(tracks[1].annotations["melody"])[1].tolist() == [0.0, 300.0]


def test_wjazzd_native_layout(tmp_path):
    write_wav(tmp_path / "audio_f0" / "ArtPepper_Anthropology_Solo.wav")
    write_text(tmp_path / "f0" / "ArtPepper_Anthropology_FINAL_f0.csv", "0.0,0\n0.01, 233.08\n")
    (track,) = load_dataset("wjazzd", tmp_path)
    assert track.track_id == "ArtPepper_Anthropology"
    assert (track.metadata["artist"], track.metadata["genre"]) == ("ArtPepper", "jazz")
    np.testing.assert_array_equal(read_annotation(track.annotations["melody"])[1], [0.0, 233.08])


def write_bach10(root: Path) -> Path:
    piece = "01-AchGottundHerr"
    folder = root / piece
    write_wav(folder / f"{piece}.wav")
    for suffix in ("violin", "clarinet", "saxphone", "bassoon"):
        write_wav(folder / f"{piece}-{suffix}.wav")
    midi = np.array([[0, 69, 69, 70], [0, 0, 64, 64], [0, 0, 0, 60], [48, 48, 0, 0]], dtype=float)
    scipy.io.savemat(folder / f"{piece}-GTF0s.mat", {"GTF0s": midi})
    return folder / f"{piece}-GTF0s.mat"


def test_bach10_multif0_and_parts(tmp_path):
    mat = write_bach10(tmp_path)
    (track,) = load_dataset("bach10", tmp_path)
    assert track.track_id == "01-AchGottundHerr"
    assert sorted(track.audio) == ["bassoon", "clarinet", "mix", "saxophone", "violin"]
    assert track.audio["saxophone"].path.name == "01-AchGottundHerr-saxphone.wav"
    assert track.metadata["artist"] == "01-AchGottundHerr"  # grouped by piece
    assert track.metadata["title"] == "AchGottundHerr"
    times, frames = read_annotation(track.annotations["multif0"])
    # 10 ms hop, first frame centred at 23 ms (46 ms windows)
    np.testing.assert_allclose(times, [0.023, 0.033, 0.043, 0.053])
    np.testing.assert_allclose(frames[0], [midi_hz(48)])
    np.testing.assert_allclose(frames[1], [440.0, midi_hz(48)])
    np.testing.assert_allclose(frames[3], [midi_hz(70), midi_hz(64), midi_hz(60)])

    parts = load_dataset("bach10_stems", tmp_path)
    assert [t.track_id for t in parts] == [
        "01-AchGottundHerr-bassoon",
        "01-AchGottundHerr-clarinet",
        "01-AchGottundHerr-saxophone",
        "01-AchGottundHerr-violin",
    ]
    violin = parts[3]
    assert violin.annotations["pitch"] == Annotation("pitch", mat, "bach10_mat", part=0)
    assert violin.audio["mix"].path.name == "01-AchGottundHerr-violin.wav"
    times, f0 = read_annotation(violin.annotations["pitch"])
    np.testing.assert_allclose(f0, [0.0, 440.0, 440.0, midi_hz(70)])


def test_synth_layout(tmp_path):
    write_text(
        tmp_path / "metadata.json",
        '{"synth_0000": {"artist": "synth_artist_00", "title": "Piece 0", '
        '"genre": "synthetic", "duration": 0.5, "tempo": 120.0}}',
    )
    write_wav(tmp_path / "audio" / "synth_0000_MIX.wav")
    for stem in ("melody", "bass", "chords", "drums"):
        write_wav(tmp_path / "stems" / f"synth_0000_{stem}.wav")
    notes = tmp_path / "annotations"
    write_text(notes / "synth_0000_MELODY.csv", "0.000000,0.000000\n0.005805,440.000000\n")
    write_text(notes / "synth_0000_BASS.csv", "0.000000,110.000000\n0.005805,110.000000\n")
    write_text(notes / "synth_0000_MULTIF0.csv", "0.000000,110.0\n0.005805,110.0,440.0\n")
    write_text(notes / "synth_0000_NOTES.csv", "0.1,0.3,440.0\n0.0,0.2,220.0\n")
    write_text(notes / "synth_0000_CHORDS.lab", "0.000000\t0.250000\tC:maj\n0.25\t0.5\tA:min7/b3\n")
    (track,) = load_dataset("synth", tmp_path)
    assert sorted(track.audio) == ["bass", "chords", "drums", "melody", "mix"]
    assert sorted(track.annotations) == ["bass", "chords", "melody", "multif0", "notes"]
    assert track.metadata["artist"] == "synth_artist_00"
    assert track.metadata["tempo"] == 120.0
    assert track.metadata["duration"] == pytest.approx(0.5)
    intervals, pitches = read_annotation(track.annotations["notes"])
    np.testing.assert_array_equal(intervals, [[0.1, 0.3], [0.0, 0.2]])  # notes may overlap
    np.testing.assert_array_equal(pitches, [440.0, 220.0])
    intervals, labels = read_annotation(track.annotations["chords"])
    assert labels == ["C:maj", "A:min7/b3"]
    assert [f.tolist() for f in read_annotation(track.annotations["multif0"])[1]] == [
        [110.0],
        [110.0, 440.0],
    ]
    for annotation in track.annotations.values():
        readers.check_annotation_fits_audio(annotation, track.metadata["duration"])


def maps_notes(rows: list[tuple[float, float, int]]) -> str:
    """A MAPS note list: header, then tab separated rows, Windows line ends."""
    lines = ["OnsetTime\tOffsetTime\tMidiPitch"] + [f"{a}\t{b}\t{m}" for a, b, m in rows]
    return "\r\n".join(lines) + "\r\n"


def test_maps_native_layout(tmp_path):
    piece = tmp_path / "AkPnBcht" / "MUS" / "MAPS_MUS-alb_se3_AkPnBcht"
    write_wav(piece.with_suffix(".wav"), channels=2)
    write_text(piece.with_suffix(".txt"), maps_notes([(0.1, 0.4, 60), (0.2, 0.3, 64)]))
    write_text(piece.with_suffix(".mid"), "MThd (not read)")
    note = tmp_path / "ENSTDkCl" / "ISOL" / "NO" / "MAPS_ISOL_NO_F_S0_M23_ENSTDkCl"
    write_wav(note.with_suffix(".wav"))
    write_text(note.with_suffix(".txt"), maps_notes([(0.0, 0.25, 23)]))
    write_text(tmp_path / "license.txt", "not a MAPS note list")
    isolated, music = load_dataset("maps", tmp_path)
    assert music.track_id == "MAPS_MUS-alb_se3_AkPnBcht"
    assert (music.metadata["artist"], music.metadata["title"]) == ("AkPnBcht", "alb_se3")
    assert (music.metadata["category"], music.metadata["genre"]) == ("MUS", "classical")
    assert (isolated.metadata["artist"], isolated.metadata["category"]) == ("ENSTDkCl", "ISOL")
    assert isolated.metadata["genre"] is None
    intervals, pitches = read_annotation(music.annotations["notes"])
    np.testing.assert_array_equal(intervals, [[0.1, 0.4], [0.2, 0.3]])
    np.testing.assert_allclose(pitches, [midi_hz(60), midi_hz(64)])
    times, frames = read_annotation(music.annotations["multif0"])
    np.testing.assert_allclose(times, np.arange(41) * 0.01)
    assert frames[5].size == 0 and frames[15].tolist() == [pytest.approx(midi_hz(60))]
    np.testing.assert_allclose(frames[25], [midi_hz(60), midi_hz(64)])
    assert frames[40].size == 0  # offsets are exclusive
    (only_music,) = load_dataset("maps", tmp_path, categories=["MUS"])
    assert only_music.track_id == music.track_id
    with pytest.raises(InputError, match="categories: 'PIECES' is not one of ISOL"):
        load_dataset("maps", tmp_path, categories=["PIECES"])


def test_musicnet_native_layout(tmp_path):
    header = "start_time,end_time,instrument,note,start_beat,end_beat,note_value\n"
    write_wav(tmp_path / "train_data" / "1727.wav")
    write_text(
        tmp_path / "train_labels" / "1727.csv",
        header + "4410,17640,1,60,0.0,1.0,Quarter\n8820,13230,41,67,0.5,0.5,Dotted Eighth\n",
    )
    write_wav(tmp_path / "test_data" / "2303.wav")
    write_text(tmp_path / "test_labels" / "2303.csv", header + "0,22050,1,48,0,2,Half\n")
    write_text(
        tmp_path / "musicnet_metadata.csv",
        "id,composer,composition,movement,ensemble,source,transcriber,catalog_name,seconds\n"
        "1727,Schubert,Piano Quintet in A major,2. Andante,Piano Quintet,European Archive,"
        "http://tirolmusic.blogspot.com/,OP114,447\n"
        "2303,Bach,Prelude in C major,1. Prelude,Solo Piano,Museopen,x,BWV846,138\n",
    )
    first, second = load_dataset("musicnet", tmp_path)
    assert (first.track_id, second.track_id) == ("1727", "2303")
    assert first.metadata["artist"] == "Schubert"
    assert first.metadata["title"] == "Piano Quintet in A major, 2. Andante"
    assert (first.metadata["part"], second.metadata["part"]) == ("train", "test")
    assert first.metadata["ensemble"] == "Piano Quintet"
    intervals, pitches = read_annotation(first.annotations["notes"])
    # times are samples at 44.1 kHz
    np.testing.assert_allclose(intervals, [[0.1, 0.4], [0.2, 0.3]])
    np.testing.assert_allclose(pitches, [midi_hz(60), midi_hz(67)])
    times, frames = read_annotation(first.annotations["multif0"])
    np.testing.assert_allclose(frames[25], [midi_hz(60), midi_hz(67)])
    # every recording needs its metadata row when the table is there
    write_wav(tmp_path / "train_data" / "9999.wav")
    write_text(tmp_path / "train_labels" / "9999.csv", header + "0,4410,1,60,0,1,Quarter\n")
    with pytest.raises(InputError, match="no row for recording '9999'"):
        load_dataset("musicnet", tmp_path)


SLAKH_METADATA = """UUID: 1a81ae092884234f3264e2f45927f00a
audio_dir: stems
midi_dir: MIDI
normalized: true
stems:
  S00:
    audio_rendered: true
    inst_class: Piano
    is_drum: false
    midi_program_name: Acoustic Grand Piano
    program_num: 0
  S01:
    audio_rendered: true
    inst_class: Drums
    is_drum: true
    program_num: 128
  S02:
    audio_rendered: false
    inst_class: Strings
    is_drum: false
    program_num: 48
  S03:
    audio_rendered: true
    inst_class: Bass
    is_drum: false
    program_num: 33
"""


def write_slakh(root: Path, midi_bytes: dict[str, bytes] | None = None) -> Path:
    folder = root / "train" / "Track00001"
    write_wav(folder / "mix.flac", channels=1)
    write_text(folder / "metadata.yaml", SLAKH_METADATA)
    write_text(folder / "all_src.mid", "(not read)")
    for stem in ("S00", "S01", "S02", "S03"):
        path = folder / "MIDI" / f"{stem}.mid"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes((midi_bytes or {}).get(stem, b"MThd"))
    for stem in ("S00", "S01", "S03"):  # the rendered stems
        write_wav(folder / "stems" / f"{stem}.flac")
    return folder


def test_slakh_native_layout(tmp_path):
    folder = write_slakh(tmp_path)
    (track,) = load_dataset("slakh", tmp_path)
    assert track.track_id == "Track00001"
    assert track.audio["mix"] == AudioSource(folder / "mix.flac")
    assert sorted(track.audio) == ["S00", "S01", "S03", "mix"]
    assert track.metadata["artist"] == "1a81ae092884234f3264e2f45927f00a"
    assert track.metadata["split"] == "train"
    assert track.metadata["inst_classes"] == "Piano,Bass"
    # the notes of the mix: rendered, pitched stems only (no drums, no unrendered strings)
    for kind in ("notes", "multif0"):
        annotation = track.annotations[kind]
        assert annotation.format == "midi"
        assert annotation.paths == (folder / "MIDI" / "S00.mid", folder / "MIDI" / "S03.mid")
    # a pitched, rendered stem needs its MIDI file
    (folder / "MIDI" / "S03.mid").unlink()
    with pytest.raises(InputError, match="pitched stem S03 has no MIDI file") as error:
        load_dataset("slakh", tmp_path)
    assert error.value.where == str(folder / "metadata.yaml")


def test_slakh_midi_notes(tmp_path):
    pretty_midi = pytest.importorskip("pretty_midi")

    def midi_file(program: int, notes: list[tuple[float, float, int]], drums=()) -> bytes:
        song = pretty_midi.PrettyMIDI()
        instrument = pretty_midi.Instrument(program=program)
        instrument.notes += [pretty_midi.Note(100, m, a, b) for a, b, m in notes]
        song.instruments.append(instrument)
        if drums:
            kit = pretty_midi.Instrument(program=0, is_drum=True)
            kit.notes += [pretty_midi.Note(100, 36, a, a + 0.1) for a in drums]
            song.instruments.append(kit)
        path = tmp_path / "tmp.mid"
        song.write(str(path))
        return path.read_bytes()

    write_slakh(
        tmp_path / "slakh",
        {
            "S00": midi_file(0, [(0.1, 0.4, 60), (0.2, 0.3, 64)], drums=[0.0]),
            "S01": midi_file(0, [], drums=[0.0, 0.2]),
            "S03": midi_file(33, [(0.0, 0.25, 40)]),
        },
    )
    (track,) = load_dataset("slakh", tmp_path / "slakh")
    intervals, pitches = read_annotation(track.annotations["notes"])
    # drums left out, every stem's notes together, sorted by onset
    np.testing.assert_allclose(intervals, [[0.0, 0.25], [0.1, 0.4], [0.2, 0.3]], atol=1e-3)
    np.testing.assert_allclose(pitches, [midi_hz(40), midi_hz(60), midi_hz(64)])
    times, frames = read_annotation(track.annotations["multif0"])
    np.testing.assert_allclose(sorted(frames[22]), [midi_hz(40), midi_hz(60), midi_hz(64)])


def test_slakh_midi_needs_pretty_midi(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pretty_midi(name, *args, **kwargs):
        if name == "pretty_midi":
            raise ImportError("No module named 'pretty_midi'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pretty_midi)
    folder = write_slakh(tmp_path)
    (track,) = load_dataset("slakh", tmp_path)
    with pytest.raises(InputError, match="needs the pretty_midi package") as error:
        read_annotation(track.annotations["notes"])
    assert error.value.where == str(folder / "MIDI" / "S00.mid")


def test_folder_loader_pairs_by_name(tmp_path):
    """A user's own recordings: WAVs in one folder, MIREX CSVs and other files elsewhere."""
    for name in ("alice_take1", "alice_take2", "bob_take1"):
        write_wav(tmp_path / "audio" / f"{name}.wav")
        write_text(tmp_path / "f0" / f"{name}.f0.csv", "0.0,0.0\n0.01,220.0\n")
        write_text(tmp_path / "mf0" / f"{name}.txt", "0.00\t110.0\t220.0\n0.01\n0.02 330.0\n")
    write_text(tmp_path / "chords" / "alice_take1.lab", "0.0 0.25 C:maj\n0.25 0.5 A:min\n")
    write_text(tmp_path / "audio" / "notes.md", "not audio, not matched")
    options = {
        "audio": "audio/*.wav",
        "annotations": {
            "melody": {"glob": "f0/*.f0.csv", "format": "mirex_csv"},
            "multif0": {"glob": "mf0/*.txt", "format": "multif0_txt"},
            "chords": {"glob": "chords/*.lab", "format": "lab", "required": False},
        },
        "artist_pattern": r"^(?P<artist>[a-z]+)_",
    }
    tracks = load_dataset("folder", tmp_path, **options)
    assert [t.track_id for t in tracks] == ["alice_take1", "alice_take2", "bob_take1"]
    assert [t.metadata["artist"] for t in tracks] == ["alice", "alice", "bob"]
    first = tracks[0]
    assert first.metadata["title"] == "alice_take1"
    assert first.annotations["melody"] == Annotation(
        "melody", tmp_path / "f0" / "alice_take1.f0.csv", "medleydb_melody"
    )
    np.testing.assert_array_equal(read_annotation(first.annotations["melody"])[1], [0.0, 220.0])
    times, frames = read_annotation(first.annotations["multif0"])
    assert [f.tolist() for f in frames] == [[110.0, 220.0], [], [330.0]]
    assert read_annotation(first.annotations["chords"])[1] == ["C:maj", "A:min"]
    assert "chords" not in tracks[1].annotations  # not required

    # artist (and title, genre, more) from a CSV instead
    write_text(
        tmp_path / "singers.csv",
        "track_id,artist,genre,room\nalice_take1,A,pop,studio\nalice_take2,A,pop,hall\n"
        "bob_take1,B,jazz,hall\n",
    )
    options.pop("artist_pattern")
    tracks = load_dataset("folder", tmp_path, **options, metadata="singers.csv")
    assert [(t.metadata["artist"], t.metadata["genre"]) for t in tracks][1:] == [
        ("A", "pop"),
        ("B", "jazz"),
    ]
    assert tracks[0].metadata["room"] == "studio"


def test_folder_loader_sub_folders_and_note_lists(tmp_path):
    """``**`` globs name tracks by their sub-folders; note lists read as notes and multi-f0."""
    for singer in ("alice", "bob"):
        write_wav(tmp_path / singer / "take1.flac")
        write_text(
            tmp_path / singer / "take1.notes", "# onset midi duration velocity\n0.1 60 0.2 80\n"
        )
    spec = {"glob": "**/*.notes", "format": "madmom_notes"}
    tracks = load_dataset(
        "folder",
        tmp_path,
        audio=["**/*.wav", "**/*.flac"],
        annotations={"notes": spec, "multif0": spec},
        artist_pattern=r"^[^/]+",
    )
    assert [(t.track_id, t.metadata["artist"]) for t in tracks] == [
        ("alice/take1", "alice"),
        ("bob/take1", "bob"),
    ]
    times, frames = read_annotation(tracks[0].annotations["multif0"])
    assert frames[15].tolist() == [pytest.approx(midi_hz(60))] and frames[5].size == 0
    intervals, _ = read_annotation(tracks[1].annotations["notes"])
    np.testing.assert_allclose(intervals, [[0.1, 0.3]])


# --------------------------------------------------------------------------------------
# Dataset entry point and index table
# --------------------------------------------------------------------------------------


def test_unknown_loader_lists_the_known_ones(tmp_path):
    with pytest.raises(InputError) as error:
        load_dataset("medleydbb", tmp_path)
    assert "'medleydbb'" in str(error.value)
    assert "medleydb, medleydb_melody" in error.value.problem


def test_missing_root_and_unknown_option(tmp_path, fixtures_dir):
    with pytest.raises(InputError, match="dataset root folder does not exist") as error:
        load_dataset("orchset", tmp_path / "nowhere")
    assert error.value.where == str(tmp_path / "nowhere")
    with pytest.raises(InputError, match="unknown option 'vocabulary'"):
        load_dataset("orchset", fixtures_dir / "orchset", vocabulary="full")


FIXTURE_LOADERS = [
    ("medleydb_melody", "medleydb_melody"),
    ("medleydb_pitch", "medleydb_pitch"),
    ("mdb_stem_synth", "mdb_stem_synth"),
    ("orchset", "orchset"),
    ("ikala", "ikala"),
    ("isophonics", "beatles"),
    ("billboard", "billboard"),
    ("dagstuhl_choirset", "dagstuhl_choirset"),
    ("notes_folder", "madmom_piano"),
]


def test_index_table_round_trips_through_parquet(tmp_path, fixtures_dir):
    tracks = [
        track
        for loader, folder in FIXTURE_LOADERS
        for track in load_dataset(loader, fixtures_dir / folder)
    ]
    write_bach10(tmp_path / "bach10")
    tracks += load_dataset("bach10_stems", tmp_path / "bach10")
    write_slakh(tmp_path / "slakh")  # annotations of several files (more_paths)
    tracks += load_dataset("slakh", tmp_path / "slakh")
    table = datasets.tracks_to_table(tracks)
    assert list(table.columns) == list(datasets.TABLE_COLUMNS)
    assert len(table) == len(tracks)
    write_parquet(table, tmp_path / "index.parquet")
    assert datasets.tracks_from_table(pd.read_parquet(tmp_path / "index.parquet")) == tracks


def _jams_file(path, chords=(), contour=()):
    import jams

    document = jams.JAMS()
    document.file_metadata.duration = 4.0
    if chords:
        annotation = jams.Annotation(namespace="chord")
        for start, duration, label in chords:
            annotation.append(time=start, duration=duration, value=label)
        document.annotations.append(annotation)
    if contour:
        annotation = jams.Annotation(namespace="pitch_contour")
        for time, frequency, voiced in contour:
            annotation.append(
                time=time, duration=0, value={"index": 0, "frequency": frequency, "voiced": voiced}
            )
        document.annotations.append(annotation)
    document.save(str(path))


def test_jams_chords_and_pitch_contours_are_read_with_the_jams_package(tmp_path):
    chords = [(0.0, 1.5, "C:maj"), (1.5, 1.0, "A:min7/b3"), (2.5, 1.5, "N")]
    _jams_file(tmp_path / "a.jams", chords=chords)
    intervals, labels = readers.read_jams_chords(tmp_path / "a.jams")
    np.testing.assert_allclose(intervals, [[0.0, 1.5], [1.5, 2.5], [2.5, 4.0]])
    assert labels == ["C:maj", "A:min7/b3", "N"]
    contour = [(0.0, 220.0, True), (0.01, 221.0, True), (0.02, 230.0, False)]
    _jams_file(tmp_path / "b.jams", contour=contour)
    times, f0 = readers.read_jams_pitch(tmp_path / "b.jams")
    np.testing.assert_allclose(times, [0.0, 0.01, 0.02])
    np.testing.assert_allclose(f0, [220.0, 221.0, -230.0])  # unvoiced: the negated guess
    with pytest.raises(InputError, match="holds no 'pitch_contour' annotation"):
        readers.read_jams_pitch(tmp_path / "a.jams")
    (tmp_path / "bad.jams").write_text("{not json")
    with pytest.raises(InputError, match="bad.jams.*cannot read JAMS file"):
        readers.read_jams_chords(tmp_path / "bad.jams")


def test_folder_loader_reads_jams_chords(tmp_path):
    soundfile.write(tmp_path / "song.wav", np.zeros(4 * 8000, dtype=np.float32), 8000)
    _jams_file(tmp_path / "song.jams", chords=[(0.0, 4.0, "G:7")])
    (track,) = datasets.load_dataset(
        "folder",
        tmp_path,
        audio="*.wav",
        annotations={"chords": {"glob": "*.jams", "format": "jams"}},
    )
    assert track.annotations["chords"].format == "jams_chords"
    assert readers.read_annotation(track.annotations["chords"])[1] == ["G:7"]

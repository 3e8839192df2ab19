"""The embedded synthetic dataset: determinism, layout, and exactness of its annotations."""

from __future__ import annotations

import json
import warnings
from dataclasses import replace

import librosa
import mir_eval
import numpy as np
import pytest
import scipy.signal
import soundfile

from mirlab.data import synth
from mirlab.data.synth import (
    ANNOTATION_HOP,
    STEMS,
    SynthParams,
    generate_track,
    write_synth_dataset,
)
from mirlab.errors import InputError

SHORT = SynthParams(duration=3.0)


@pytest.fixture(scope="module")
def tracks():
    return [generate_track(i, 11, SHORT) for i in range(4)]


def _files(root):
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _midi(hz):
    return 69 + 12 * np.log2(np.asarray(hz) / 440.0)


def test_same_seed_same_bytes_whatever_the_workers(tmp_path):
    write_synth_dataset(tmp_path / "a", 2, 7, SHORT)
    write_synth_dataset(tmp_path / "b", 2, 7, SHORT, workers=2)
    write_synth_dataset(tmp_path / "c", 2, 8, SHORT)
    a, b, c = (_files(tmp_path / name) for name in "abc")
    assert a == b
    assert a.keys() == c.keys()
    assert a["audio/synth_0000_MIX.wav"] != c["audio/synth_0000_MIX.wav"]
    assert a["annotations/synth_0001_MELODY.csv"] != c["annotations/synth_0001_MELODY.csv"]


def test_a_track_does_not_depend_on_the_others(tmp_path):
    write_synth_dataset(tmp_path / "all", 3, 7, SHORT)
    write_synth_dataset(tmp_path / "one", 3, 7, SHORT, track_indices=[2])
    whole, alone = _files(tmp_path / "all"), _files(tmp_path / "one")
    assert {name for name in alone if name != "metadata.json"} == {
        name for name in whole if "synth_0002" in name
    }
    for name, content in alone.items():
        if name != "metadata.json":
            assert whole[name] == content, name
    assert list(json.loads(alone["metadata.json"])) == ["synth_0002"]


def test_layout_and_file_contents(tmp_path):
    write_synth_dataset(tmp_path, 2, 3, SHORT)
    metadata = json.loads((tmp_path / "metadata.json").read_text())
    assert sorted(metadata) == ["synth_0000", "synth_0001"]
    for index, (ident, meta) in enumerate(sorted(metadata.items())):
        assert meta["genre"] == "synthetic"
        assert meta["duration"] == 3.0
        assert meta["artist"] == f"synth_artist_{index % SHORT.n_artists:02d}"
        for path in [tmp_path / "audio" / f"{ident}_MIX.wav"] + [
            tmp_path / "stems" / f"{ident}_{stem}.wav" for stem in STEMS
        ]:
            info = soundfile.info(str(path))
            assert (info.samplerate, info.frames, info.channels) == (22050, 3 * 22050, 1)
            assert info.subtype == "PCM_16"
        track = generate_track(index, 3, SHORT)
        melody = np.loadtxt(tmp_path / "annotations" / f"{ident}_MELODY.csv", delimiter=",")
        n = len(melody)
        assert n == 517  # frames at k * 256 / 44100 s before 3 s: ceil(3 * 44100 / 256)
        np.testing.assert_allclose(melody[:, 0], np.arange(n) * 256 / 44100, atol=1e-6)
        np.testing.assert_allclose(melody[:, 1], track.melody_f0, atol=1e-6)
        bass = np.loadtxt(tmp_path / "annotations" / f"{ident}_BASS.csv", delimiter=",")
        np.testing.assert_allclose(bass[:, 1], track.bass_f0, atol=1e-6)
        times, freqs = mir_eval.io.load_ragged_time_series(
            tmp_path / "annotations" / f"{ident}_MULTIF0.csv", delimiter=","
        )
        assert len(times) == n
        for got, want in zip(freqs, track.multif0, strict=True):
            np.testing.assert_allclose(got, want, atol=1e-6)
        onset, offset, f0 = np.loadtxt(
            tmp_path / "annotations" / f"{ident}_NOTES.csv", delimiter=",", ndmin=2
        ).T
        np.testing.assert_allclose(f0, track.note_f0, atol=1e-6)
        intervals, labels = mir_eval.io.load_labeled_intervals(
            str(tmp_path / "annotations" / f"{ident}_CHORDS.lab"), delimiter="\t"
        )
        assert labels == track.chord_labels


def test_written_frame_times_are_a_uniform_grid_to_mir_eval(tmp_path):
    # mir_eval warns when resampling a series whose time steps differ (its uniformity
    # check): times rounded to microseconds would trigger it on every resampling.
    write_synth_dataset(tmp_path, 1, 3, SHORT)
    times, f0 = mir_eval.io.load_time_series(
        tmp_path / "annotations" / "synth_0000_MELODY.csv", delimiter=","
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mir_eval.melody.resample_melody_series(times, f0, f0 > 0, np.arange(0, 2.9, 0.01))


def test_melody_annotation_matches_the_melody_stem(tracks):
    for track in tracks[:2]:
        # hop 128 at 22050 Hz is the annotation hop, 256 at 44100 Hz: frames line up.
        f0, _, _ = librosa.pyin(
            track.stems["melody"],
            sr=track.sr,
            fmin=librosa.midi_to_hz(50),
            fmax=librosa.midi_to_hz(85),
            frame_length=1024,
            hop_length=128,
        )
        assert len(f0) == len(track.times)
        both = (track.melody_f0 > 0) & (f0 > 0)
        assert both.sum() > 0.9 * (track.melody_f0 > 0).sum()
        cents = 1200 * np.abs(np.log2(f0[both] / track.melody_f0[both]))
        assert np.median(cents) < 10
        assert np.mean(cents < 50) > 0.95


def test_voicing_matches_the_melody_stem_energy(tracks):
    for track in tracks:
        audio = track.stems["melody"]
        centres = np.round(track.times * track.sr).astype(int)
        windows = np.clip(centres[:, None] + np.arange(-64, 65), 0, len(audio) - 1)
        rms = np.sqrt(np.mean(audio[windows] ** 2, axis=1))
        voiced = track.melody_f0 > 0
        # Frames whose neighbours share their voicing: no envelope edge inside the window.
        steady = np.r_[False, (voiced[1:-1] == voiced[:-2]) & (voiced[1:-1] == voiced[2:]), False]
        assert np.all(rms[steady & ~voiced] < 1e-4 * rms.max())
        assert np.all(rms[steady & voiced] > 1e-3 * rms.max())
        assert 0.2 < voiced.mean() < 0.95  # rests make unvoiced gaps


def test_chord_labels_are_valid_and_their_tones_sound(tracks):
    for track in tracks:
        mir_eval.util.validate_intervals(track.chord_intervals)
        intervals = track.chord_intervals
        assert intervals[0, 0] == 0.0 and intervals[-1, 1] == pytest.approx(SHORT.duration)
        np.testing.assert_array_equal(intervals[1:, 0], intervals[:-1, 1])
        roots, bitmaps, basses = mir_eval.chord.encode_many(track.chord_labels)
        for (start, end), root, bitmap, bass in zip(intervals, roots, bitmaps, basses, strict=True):
            frames = (track.times >= start) & (track.times < end)
            if root < 0:  # N: only the melody may sound
                assert all(len(track.multif0[i]) <= 1 for i in np.flatnonzero(frames))
                continue
            chord_classes = {(root + i) % 12 for i in np.flatnonzero(bitmap)}
            heard = set()
            for i in np.flatnonzero(frames):
                others = [
                    f for f in track.multif0[i] if f not in (track.melody_f0[i], track.bass_f0[i])
                ]
                classes = {int(round(m)) % 12 for m in _midi(others)}
                assert classes <= chord_classes  # the chord instrument plays chord tones only
                heard |= classes
            assert heard == chord_classes
            bass_midi = _midi(track.bass_f0[frames & (track.bass_f0 > 0)])
            assert {int(round(m)) % 12 for m in bass_midi} == {(root + bass) % 12}


def test_bass_sits_below_the_melody_and_inside_its_range(tracks):
    for track in tracks:
        bass = _midi(track.bass_f0[track.bass_f0 > 0])
        melody = _midi(track.melody_f0[track.melody_f0 > 0])
        assert bass.mean() + 12 < melody.mean()
        low, high = SHORT.bass_midi_range
        assert np.all((bass > low - 0.01) & (bass < high + 0.01))


def test_mix_is_the_sum_of_the_stems(tracks, tmp_path):
    for track in tracks:
        stems = track.stems
        np.testing.assert_array_equal(
            track.mix, ((stems["melody"] + stems["bass"]) + stems["chords"]) + stems["drums"]
        )
        assert track.mix.dtype == np.float32
        assert all(len(stem) == len(track.mix) for stem in stems.values())
        assert max(np.abs(x).max() for x in (track.mix, *stems.values())) <= 10 ** (-1 / 20) + 1e-6
        assert all(np.abs(stem).max() > 0.01 for stem in stems.values())
    write_synth_dataset(tmp_path, 1, 11, SHORT)
    mix = soundfile.read(str(tmp_path / "audio" / "synth_0000_MIX.wav"))[0]
    stems = [soundfile.read(str(tmp_path / "stems" / f"synth_0000_{s}.wav"))[0] for s in STEMS]
    assert np.abs(mix - np.sum(stems, axis=0)).max() <= 3 / 32768  # 16-bit rounding only


def test_melody_stays_in_its_range():
    params = SynthParams(duration=3.0, melody_midi_range=(60, 72))
    extra = (params.vibrato_depth_range[1] + params.drift_cents) / 100
    for index in range(4):
        track = generate_track(index, 5, params)
        notes = _midi(track.note_f0)
        assert np.all((notes > 59.99) & (notes < 72.01))
        np.testing.assert_allclose(notes, np.round(notes), atol=1e-9)
        sung = _midi(track.melody_f0[track.melody_f0 > 0])
        assert np.all((sung > 60 - extra - 1e-6) & (sung < 72 + extra + 1e-6))
        mir_eval.transcription.validate(*[track.note_intervals, track.note_f0] * 2)


def test_notes_agree_with_the_melody_f0(tracks):
    for track in tracks:
        for (onset, offset), f0 in zip(track.note_intervals, track.note_f0, strict=True):
            middle = np.argmin(np.abs(track.times - (onset + offset) / 2))
            assert track.melody_f0[middle] > 0
            assert abs(_midi(track.melody_f0[middle]) - _midi(f0)) < 0.8  # vibrato + drift


def test_melody_to_accompaniment_ratio_spans_its_range():
    params = SynthParams(duration=1.0, mar_db_range=(-3.0, 9.0))
    ratios = []
    for index in range(10):
        track = generate_track(index, 2, params)
        stems = {name: stem.astype(np.float64) for name, stem in track.stems.items()}
        accompaniment = stems["bass"] + stems["chords"] + stems["drums"]
        realised = 20 * np.log10(
            np.sqrt(np.mean(stems["melody"] ** 2)) / np.sqrt(np.mean(accompaniment**2))
        )
        assert realised == pytest.approx(track.metadata["mar_db"], abs=0.01)
        ratios.append(track.metadata["mar_db"])
    assert -3.0 <= min(ratios) < 1.0 and 5.0 < max(ratios) <= 9.0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("sr", 0),
        ("sr", 22050.5),
        ("duration", 0.0),
        ("melody_midi_range", (79, 55)),
        ("melody_midi_range", (60, 65)),
        ("melody_midi_range", (100, 127)),
        ("chord_midi_range", (50, 60)),
        ("tempo_range", "fast"),
        ("note_beats", ()),
        ("rest_prob", 1.0),
        ("glide_prob", -0.1),
        ("vibrato_depth_range", (0.0, float("nan"))),
        ("n_harmonics", 0),
        ("mar_db_range", (9.0, -3.0)),
        ("n_artists", 0),
        ("voice_fraction", 1.5),
        ("melody_families", ("kazoo",)),
        ("melody_families", "voice"),
        ("melody_span_range", (24, 12)),
        ("dynamics_db", -1.0),
        ("dynamics_db", 30.0),
        ("melody_span_range", (8, 20)),
        ("reverb_prob", 1.5),
        ("rt60_range", (2.0, 1.0)),
        ("drr_db_range", (0.0, 100.0)),
        ("chord_vocabulary", "jazz"),
        ("inversion_prob", 2.0),
        ("chord_styles", ("polka",)),
    ],
)
def test_bad_parameters_name_themselves(name, value):
    with pytest.raises(InputError, match=name):
        SynthParams(**{name: value})


def test_opt_in_parameters_that_contradict_each_other_name_themselves():
    with pytest.raises(InputError, match="voice_fraction"):
        SynthParams(melody_families=["voice"], voice_fraction=0.5)
    with pytest.raises(InputError, match="melody_families"):  # no flute fits below C4
        SynthParams(melody_families=["blown"], melody_midi_range=(20, 33))


def test_parameters_from_a_config_mapping():
    params = SynthParams.from_mapping({"duration": 5, "melody_midi_range": [60, 84]})
    assert params.melody_midi_range == (60, 84) and params.duration == 5.0
    with pytest.raises(InputError, match="melody_range"):
        SynthParams.from_mapping({"melody_range": [60, 84]})


def test_bad_dataset_arguments_name_themselves(tmp_path):
    with pytest.raises(InputError, match="track_indices"):
        write_synth_dataset(tmp_path, 2, 0, SHORT, track_indices=[2])
    with pytest.raises(InputError, match="seed"):
        generate_track(0, -1, SHORT)
    with pytest.raises(InputError, match="workers"):
        write_synth_dataset(tmp_path, 2, 0, SHORT, workers=0)
    assert not (tmp_path / "metadata.json").exists()


def test_frame_times_are_the_medleydb_hop(tracks):
    assert ANNOTATION_HOP == 256 / 44100
    np.testing.assert_array_equal(tracks[0].times, np.arange(517) * 256 / 44100)


def _harmonic_levels(track, harmonics=(1, 2), n_fft=4096):
    """(f0 in Hz, level of each harmonic in dB) of the melody stem at voiced frames."""
    audio, sr = track.stems["melody"], track.sr
    bins = np.fft.rfftfreq(n_fft, 1 / sr)
    rows = []
    for time, f0 in zip(track.times[::5], track.melody_f0[::5], strict=True):
        start = int(time * sr) - n_fft // 2
        if f0 <= 0 or start < 0 or start + n_fft > len(audio):
            continue
        spectrum = np.abs(np.fft.rfft(audio[start : start + n_fft] * np.hanning(n_fft)))
        centres = np.searchsorted(bins, np.array(list(harmonics)) * f0)
        peaks = [spectrum[c - 2 : c + 3].max() for c in centres]
        rows.append([f0, *(20 * np.log10(peaks))])
    return np.array(rows)


def test_a_voice_puts_its_strongest_harmonic_at_its_formants():
    # Formants sit at fixed frequencies: a low note's strongest harmonic is a high one (its
    # 2nd to 4th falls on F1), a high note's is its fundamental. A fixed spectral envelope
    # over harmonic numbers keeps the fundamental strongest at every pitch.
    def strongest(voice_fraction):
        params = SynthParams(
            duration=10.0, melody_midi_range=(40, 84), n_artists=4, voice_fraction=voice_fraction
        )
        tracks = [generate_track(i, 0, params) for i in range(4)]
        assert [t.metadata["voice"] for t in tracks] == [voice_fraction == 1.0] * 4
        rows = np.vstack([_harmonic_levels(t, harmonics=range(1, 10)) for t in tracks])
        f0, strongest = rows[:, 0], 1 + np.argmax(rows[:, 1:], axis=1)
        return strongest[f0 < 150].mean(), strongest[f0 > 400].mean()

    voice_low, voice_high = strongest(1.0)
    plain_low, plain_high = strongest(0.0)
    assert voice_low > 2.5 and voice_high < 1.2
    assert plain_low < 1.5 and plain_high < 1.2


def test_a_voice_low_cut_weakens_its_low_fundamentals(monkeypatch):
    # The low cut is a second-order Butterworth high-pass at a cutoff drawn per artist: moving
    # it from 20 to 300 Hz lowers a note's fundamental relative to its 2nd harmonic by the
    # ratio of the filter's gains at f0 and 2 f0 (vowels, vibrato and the rest unchanged).
    params = SynthParams(duration=10.0, melody_midi_range=(40, 60), voice_fraction=1.0)

    def levels(cutoff):
        monkeypatch.setattr(synth, "_HIGHPASS_CUTOFFS", (cutoff, cutoff))
        return _harmonic_levels(generate_track(0, 0, params))

    open_, cut = levels(20.0), levels(300.0)
    np.testing.assert_array_equal(open_[:, 0], cut[:, 0])
    f0 = open_[:, 0]

    def gain_db(frequency):
        ratio = (frequency / 300.0) ** 2
        return 20 * np.log10(ratio / np.sqrt(1 + ratio**2))

    expected = gain_db(2 * f0) - gain_db(f0)
    measured = (cut[:, 2] - cut[:, 1]) - (open_[:, 2] - open_[:, 1])
    assert np.median(expected) > 6
    assert np.median(np.abs(measured - expected)) < 1.0


def test_a_spectral_peak_weakens_the_fundamental_by_its_rise_per_octave():
    # Below a 1 kHz peak rising 12 dB per octave, a note's 2nd harmonic (an octave above its
    # fundamental, both under the peak) gains exactly 12 dB on its fundamental; the peak is
    # drawn from its own stream, so the notes are those of the same track without it.
    params = SynthParams(duration=6.0, melody_midi_range=(40, 60), melody_families=("plucked",))
    peaked = replace(params, spectral_peak_hz_range=(1000.0, 1000.0),
                     spectral_rise_db_range=(12.0, 12.0))  # fmt: skip
    plain, peak = generate_track(0, 0, params), generate_track(0, 0, peaked)
    np.testing.assert_array_equal(plain.melody_f0, peak.melody_f0)
    before, after = _harmonic_levels(plain), _harmonic_levels(peak)
    assert len(before) > 20 and np.all(before[:, 0] < 500)
    change = (after[:, 2] - after[:, 1]) - (before[:, 2] - before[:, 1])
    assert np.median(change) == pytest.approx(12.0, abs=0.5)


def test_a_spectral_peak_needs_the_family_instruments():
    with pytest.raises(InputError, match="spectral_peak_hz_range"):
        SynthParams(spectral_peak_hz_range=(200.0, 2000.0))


def test_a_voice_keeps_the_annotation_exact():
    params = SynthParams(duration=3.0, voice_fraction=1.0)
    track = generate_track(0, 5, params)
    f0, _, _ = librosa.pyin(
        track.stems["melody"],
        sr=track.sr,
        fmin=librosa.midi_to_hz(50),
        fmax=librosa.midi_to_hz(85),
        frame_length=1024,
        hop_length=128,
    )
    both = (track.melody_f0 > 0) & (f0 > 0)
    assert both.sum() > 0.9 * (track.melody_f0 > 0).sum()
    cents = 1200 * np.abs(np.log2(f0[both] / track.melody_f0[both]))
    assert np.mean(cents < 50) > 0.95


def test_voice_fraction_picks_artists_and_leaves_other_instruments_alone():
    plain = SynthParams(duration=3.0, n_artists=16)
    voiced = SynthParams(duration=3.0, n_artists=16, voice_fraction=0.5)
    flags = [generate_track(i, 0, voiced).metadata["voice"] for i in range(16)]
    assert 3 <= sum(flags) <= 13
    first = flags.index(True)
    a, b = generate_track(first, 0, plain), generate_track(first, 0, voiced)
    np.testing.assert_array_equal(a.melody_f0, b.melody_f0)
    # The stems share one gain, so compare their shapes, not their levels.
    for stem in ("bass", "chords", "drums"):
        ratio = (
            b.stems[stem][np.abs(a.stems[stem]) > 1e-3]
            / a.stems[stem][np.abs(a.stems[stem]) > 1e-3]
        )
        assert np.ptp(ratio) < 1e-3 * np.abs(ratio).mean()
    assert not np.allclose(a.stems["melody"], b.stems["melody"])


# --- Opt-in parameters: instruments and timbre families, dynamics, rooms, chord benchmark.

FAMILIES = tuple(synth.MELODY_INSTRUMENTS)
WIDE = dict(melody_midi_range=(36, 96), n_artists=4)
# Everything on: the transfer benchmark's kind of settings.
FULL = SynthParams(
    duration=4.0,
    n_artists=8,
    melody_midi_range=(36, 96),
    melody_families=FAMILIES,
    dynamics_db=12.0,
    reverb_prob=1.0,
    rt60_range=(0.3, 1.5),
    mar_db_range=(-6.0, 6.0),
    chord_vocabulary="full",
    inversion_prob=0.4,
    chord_styles=synth.CHORD_STYLES,
)


def _pyin_agreement(audio, sr, reference, low_midi, high_midi):
    """(share of annotated voiced frames pyin finds voiced, share of those within 50 cents)."""
    f0, _, _ = librosa.pyin(
        audio,
        sr=sr,
        fmin=librosa.midi_to_hz(low_midi - 3),
        fmax=librosa.midi_to_hz(high_midi + 3),
        frame_length=2048,
        hop_length=128,
    )
    both = (reference > 0) & (f0 > 0)
    cents = 1200 * np.abs(np.log2(f0[both] / reference[both]))
    return both.sum() / (reference > 0).sum(), np.mean(cents < 50), np.median(cents)


def _schroeder_rt60(ir, sr):
    """T30 (s): the Schroeder decay curve's slope between -5 and -35 dB, extrapolated to -60."""
    energy = np.cumsum(np.asarray(ir, dtype=np.float64)[::-1] ** 2)[::-1]
    decay = 10 * np.log10(energy / energy[0])
    fit = (decay <= -5) & (decay >= -35)
    slope = np.polyfit(np.flatnonzero(fit) / sr, decay[fit], 1)[0]
    return -60.0 / slope


def test_default_parameters_are_the_opt_in_ones_off():
    explicit = SynthParams(
        duration=3.0,
        melody_families=[],
        dynamics_db=0,
        reverb_prob=0,
        chord_vocabulary="diatonic",
        inversion_prob=0.2,
        chord_styles=[],
    )
    a, b = generate_track(1, 4, SHORT), generate_track(1, 4, explicit)
    assert a.mix.tobytes() == b.mix.tobytes() and a.chord_labels == b.chord_labels
    assert set(a.metadata) == set(b.metadata) == {
        "artist", "title", "genre", "duration", "key", "tempo", "mar_db", "seed",
        "track_index", "sr", "voice",
    }  # fmt: skip
    assert a.room_ir is None


@pytest.mark.parametrize("family", FAMILIES)
def test_melody_ranges_are_drawn_from_the_family_inside_the_bounds(family):
    params = SynthParams(duration=2.0, melody_midi_range=(40, 90), n_artists=8,
                         melody_families=(family,), melody_span_range=(12, 20))  # fmt: skip
    ranges = {name: (low, high) for name, low, high in synth.MELODY_INSTRUMENTS[family]}
    for index in range(8):
        track = generate_track(index, 3, params)
        meta = track.metadata
        low, high = meta["melody_range"]
        name = meta["melody_instrument"]
        assert meta["melody_family"] == family and name in ranges
        assert 40 <= low and high <= 90  # the configured bounds
        assert ranges[name][0] <= low and high <= ranges[name][1]  # the instrument's range
        assert 12 <= high - low <= 20
        notes = _midi(track.note_f0)
        assert np.all((notes >= low - 1e-9) & (notes <= high + 1e-9))
        assert meta["voice"] == (family == "voice")


def test_voices_cover_a_low_voice_and_a_soprano():
    params = SynthParams(duration=2.0, melody_midi_range=(36, 96), n_artists=24,
                         melody_families=("voice",))  # fmt: skip
    metas = [generate_track(i, 0, params).metadata for i in range(24)]
    ranges = [meta["melody_range"] for meta in metas]
    assert any(low <= 50 <= high for low, high in ranges)  # D3, about 147 Hz
    assert any(high >= 77 for low, high in ranges)  # a soprano's upper register (F5 up)
    assert {"bass", "soprano"} <= {meta["melody_instrument"] for meta in metas}
    assert min(low for low, _ in ranges) <= 45


@pytest.mark.parametrize("family", FAMILIES)
def test_each_timbre_family_sounds_its_annotated_f0(family):
    params = SynthParams(duration=2.5, melody_families=(family,), **WIDE)
    track = generate_track(1, 2, params)
    low, high = track.metadata["melody_range"]
    found, within, median = _pyin_agreement(
        track.stems["melody"], track.sr, track.melody_f0, low, high
    )
    assert found > 0.9 and within > 0.95 and median < 20, (found, within, median)


def test_room_impulse_response_has_its_rt60_and_drr():
    for rt60 in (0.3, 0.8, 1.5, 3.0):
        for drr_db in (0.0, 10.0):
            ir = synth.room_impulse_response(np.random.default_rng(0), 22050, rt60, drr_db)
            assert ir[0] == 1.0 and ir.dtype == np.float32
            assert _schroeder_rt60(ir[1:], 22050) == pytest.approx(rt60, rel=0.05)
            tail = np.sum(ir[1:].astype(np.float64) ** 2)
            assert -10 * np.log10(tail) == pytest.approx(drr_db, abs=0.01)


def test_a_room_reverberates_every_stem_with_the_drawn_rt60_and_keeps_the_f0():
    dry_params = SynthParams(duration=3.0, melody_families=("voice", "bowed"), **WIDE)
    wet_params = replace(dry_params, reverb_prob=1.0, rt60_range=(0.4, 1.2))
    rt60s = []
    for index in range(3):
        dry, wet = generate_track(index, 6, dry_params), generate_track(index, 6, wet_params)
        rt60s.append(wet.metadata["rt60"])
        assert 0.4 <= wet.metadata["rt60"] <= 1.2 and dry.room_ir is None
        assert _schroeder_rt60(wet.room_ir[1:], wet.sr) == pytest.approx(
            wet.metadata["rt60"], rel=0.05
        )
        # The room draws from its own stream: the dry parts, and so every annotation, stay.
        np.testing.assert_array_equal(dry.melody_f0, wet.melody_f0)
        np.testing.assert_array_equal(dry.bass_f0, wet.bass_f0)
        assert all(np.array_equal(a, b) for a, b in zip(dry.multif0, wet.multif0, strict=True))
        assert dry.chord_labels == wet.chord_labels
        for stem in STEMS:  # each wet stem is its dry stem through the room (one gain apart)
            expected = scipy.signal.oaconvolve(dry.stems[stem], wet.room_ir)[: len(dry.mix)]
            gain = np.dot(wet.stems[stem], expected) / np.dot(expected, expected)
            residual = wet.stems[stem] - gain * expected
            assert np.abs(residual).max() < 1e-4 * np.abs(wet.stems[stem]).max() + 1e-6
    assert len(set(rt60s)) == 3
    # The f0 annotation is the dry note's, and reverb does not move the pitch that sounds.
    low, high = wet.metadata["melody_range"]
    found, within, _ = _pyin_agreement(wet.stems["melody"], wet.sr, wet.melody_f0, low, high)
    assert found > 0.9 and within > 0.93, (found, within)


def test_mixing_ratio_is_the_drawn_db_down_to_minus_6():
    params = replace(FULL, duration=2.0, mar_db_range=(-6.0, 0.0))
    ratios = []
    for index in range(6):
        track = generate_track(index, 9, params)
        stems = {name: stem.astype(np.float64) for name, stem in track.stems.items()}
        accompaniment = stems["bass"] + stems["chords"] + stems["drums"]
        realised = 20 * np.log10(
            np.sqrt(np.mean(stems["melody"] ** 2)) / np.sqrt(np.mean(accompaniment**2))
        )
        assert realised == pytest.approx(track.metadata["mar_db"], abs=0.01)
        assert -6.0 <= track.metadata["mar_db"] <= 0.0
        ratios.append(track.metadata["mar_db"])
    assert min(ratios) < -3.0


def test_dynamics_span_their_depth_and_leave_the_notes():
    plain = SynthParams(duration=6.0, melody_families=("blown",), **WIDE)
    loud = replace(plain, dynamics_db=18.0)
    a, b = generate_track(0, 1, plain), generate_track(0, 1, loud)
    np.testing.assert_array_equal(a.note_f0, b.note_f0)
    np.testing.assert_array_equal(a.note_intervals, b.note_intervals)
    gains = synth._dynamics(1, 0, 18.0).gains(np.linspace(0, 20, 2000), jitter=False)
    assert 20 * np.log10(gains.min()) == pytest.approx(-18.0, abs=0.1) and gains.max() <= 1.0

    def note_peaks(track):
        audio = track.stems["melody"]
        return np.array([
            np.abs(audio[int(on * track.sr) : int(off * track.sr)]).max()
            for on, off in track.note_intervals
        ])  # fmt: skip

    spread_a, spread_b = (np.ptp(20 * np.log10(note_peaks(t))) for t in (a, b))
    assert spread_b > spread_a + 4.0


def test_every_quality_and_inversion_is_spelled_as_mir_eval_encodes_it():
    assert set(synth.CHORD_QUALITIES) == {
        "maj", "min", "dim", "aug", "min6", "maj6", "min7", "minmaj7", "maj7", "7", "dim7",
        "hdim7", "sus2", "sus4",
    }  # fmt: skip
    for quality, intervals in synth.CHORD_QUALITIES.items():
        bitmap = mir_eval.chord.quality_to_bitmap(quality)
        assert set(np.flatnonzero(bitmap)) == set(intervals), quality
        for root in range(12):
            for bass_interval in intervals:
                label, voicing, bass_class = synth.chord_spelling(root, quality, bass_interval, 48)
                assert ("/" in label) == (bass_interval != 0)
                got_root, got_bitmap, got_bass = mir_eval.chord.encode(label)
                assert got_root == root, label
                sounding = {p % 12 for p in voicing}
                assert sounding == {(root + i) % 12 for i in np.flatnonzero(got_bitmap)}, label
                assert (root + got_bass) % 12 == bass_class == voicing[0] % 12, label
                assert voicing == tuple(sorted(voicing)) and 48 <= voicing[0] < 60


def test_the_full_vocabulary_draws_every_quality_and_inversion():
    params = SynthParams(chord_vocabulary="full", inversion_prob=0.4)
    seen = set()
    for mode in ("major", "minor"):
        rng = np.random.default_rng(3)
        chords = synth._progression_full(rng, params, 2, mode, 0.5, 0.0, 600.0)
        for label in chords.labels:
            root, quality, _, bass = mir_eval.chord.split(label)
            seen.add((quality, bass))
    qualities = {quality for quality, _ in seen}
    assert qualities == set(synth.CHORD_QUALITIES)
    for quality, intervals in synth.CHORD_QUALITIES.items():  # every inversion of every quality
        assert len({bass for q, bass in seen if q == quality}) == len(intervals), quality


def test_accompaniment_styles_sound_exactly_their_chord_labels():
    # A voice melody (it drifts, so it never doubles a chord tone exactly, which would hide it
    # in the distinct multi-f0) over every style and every quality.
    params = replace(FULL, duration=8.0, melody_families=("voice",), reverb_prob=0.0)
    styles, qualities = set(), set()
    for index in range(8):
        track = generate_track(index, 2, params)
        styles.add(track.metadata["chord_style"])
        mir_eval.util.validate_intervals(track.chord_intervals)
        roots, bitmaps, basses = mir_eval.chord.encode_many(track.chord_labels)
        for (start, end), label, root, bitmap, bass in zip(
            track.chord_intervals, track.chord_labels, roots, bitmaps, basses, strict=True
        ):
            frames = (track.times >= start) & (track.times < end)
            if root < 0:
                assert all(len(track.multif0[i]) <= 1 for i in np.flatnonzero(frames))
                continue
            qualities.add(mir_eval.chord.split(label)[1])
            chord_classes = {(root + i) % 12 for i in np.flatnonzero(bitmap)}
            heard, accompaniment = set(), []
            for i in np.flatnonzero(frames):
                others = [
                    f for f in track.multif0[i] if f not in (track.melody_f0[i], track.bass_f0[i])
                ]
                classes = {int(round(m)) % 12 for m in _midi(others)}
                assert classes <= chord_classes, label  # chord tones only
                heard |= classes
                accompaniment += [f for f in track.multif0[i] if f != track.melody_f0[i]]
            assert heard == chord_classes, label  # and every one of them
            bass_midi = _midi(track.bass_f0[frames & (track.bass_f0 > 0)])
            assert {int(round(m)) % 12 for m in bass_midi} == {(root + bass) % 12}, label
            # The accompaniment's lowest tone is the label's bass.
            assert int(round(_midi(min(accompaniment)))) % 12 == (root + bass) % 12, label
    assert styles == set(synth.CHORD_STYLES)
    assert len(qualities) >= 10


@pytest.mark.parametrize("style", synth.CHORD_STYLES)
def test_each_style_renders_its_voices_at_their_f0(style):
    # The chord stem's spectrum peaks at the annotated chord tones (no stray partials).
    params = replace(FULL, duration=3.0, reverb_prob=0.0, chord_styles=(style,),
                     melody_families=("voice",))  # fmt: skip
    track = generate_track(0, 5, params)
    audio, sr, n_fft = track.stems["chords"].astype(np.float64), track.sr, 4096
    bins = np.fft.rfftfreq(n_fft, 1 / sr)
    bounds = track.chord_intervals[:, 0]
    checked = 0
    for i in range(len(track.times) // 8, len(track.times) - 20, 20):
        start = int(track.times[i] * sr) - n_fft // 2
        inside = np.searchsorted(bounds, [start / sr, (start + n_fft) / sr], side="right")
        if start < 0 or start + n_fft > len(audio) or inside[0] != inside[1]:
            continue  # the window must lie inside one chord
        tones = [f for f in track.multif0[i] if f != track.melody_f0[i]]  # a bass may double one
        if not tones:
            continue
        spectrum = np.abs(np.fft.rfft(audio[start : start + n_fft] * np.hanning(n_fft)))
        strongest = bins[np.argmax(spectrum[bins < 1.1 * max(tones)])]
        # The strongest component below the top tone is one of the tones or a harmonic of one.
        ratios = strongest / np.array(tones)
        assert np.min(np.abs(ratios - np.round(ratios)) / np.maximum(np.round(ratios), 1)) < 0.03
        checked += 1
    assert checked >= 3


def test_everything_on_same_seed_same_bytes(tmp_path):
    params = replace(FULL, duration=2.0)
    write_synth_dataset(tmp_path / "a", 3, 7, params)
    write_synth_dataset(tmp_path / "b", 3, 7, params, workers=2)
    write_synth_dataset(tmp_path / "c", 3, 7, replace(params, reverb_prob=0.0))
    a, b, c = (_files(tmp_path / name) for name in "abc")
    assert a == b
    assert a["audio/synth_0000_MIX.wav"] != c["audio/synth_0000_MIX.wav"]
    assert a["annotations/synth_0000_MELODY.csv"] == c["annotations/synth_0000_MELODY.csv"]
    meta = json.loads(a["metadata.json"])
    assert {"melody_instrument", "melody_range", "chord_style", "rt60", "drr_db"} <= set(
        meta["synth_0000"]
    )
    for index in range(3):
        track = generate_track(index, 7, params)
        assert np.abs(track.mix).max() <= 10 ** (-1 / 20) + 1e-6
        assert np.all(np.isfinite(track.mix))

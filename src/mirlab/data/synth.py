"""Embedded synthetic music: mixes, stems and exact annotations from a seed (SPEC 2.2).

Each track is a short piece in a random key and tempo: a monophonic melody voice (scale
notes on a tempo grid, rests, legato glides, per-note vibrato, slow drift), a chord
instrument in a register that overlaps the melody's, a bass line on the chord bass notes
and filtered-noise drums. Every instrument is additive synthesis driven by an analytic
pitch curve and an analytic amplitude envelope, so the annotations are the synthesis
parameters evaluated on the annotation's frame grid: they are exact, not estimated.

Conventions:

* Frame-wise annotations use the MedleyDB hop (``ANNOTATION_HOP`` = 256/44100 s): frame ``k``
  is at ``k * 256 / 44100`` s, for every frame before the end of the audio.
* An instrument sounds (is voiced) at time ``t`` iff its amplitude envelope, on its own 0..1
  scale before any mixing gain, exceeds ``VOICING_THRESHOLD`` (-40 dB). Unvoiced frames have
  f0 = 0 (MIREX convention).
* The notes annotation lists the melody notes only: (onset, offset) in seconds, where offset is
  the end of the note's envelope, and the f0 (Hz, A4 = 440 Hz) of its nominal scale pitch,
  without glide, vibrato or drift.
* Chord segments are Harte labels (``C:maj``, ``A:min7``, ``G:7/3``) that ``mir_eval.chord``
  parses, ``N`` where the chord instrument has not started or has stopped.
* Stems share one gain: the mix is the sum ``((melody + bass) + chords) + drums`` of the float32
  stems, scaled so that neither the mix nor any stem peaks above -1 dBFS.

An artist (``track_index % n_artists``) fixes the timbre families of the three pitched
instruments; each track varies them a little, so an artist-disjoint split tests
generalisation to unseen timbres.

Opt-in parameters (see :class:`SynthParams`; at their defaults the output is byte for byte
what it was before them) make it a benchmark that transfers to recordings: melody instruments
drawn per artist with realistic ranges (bass voice E2-E4 to soprano C4-C6, cello, flute up to
C7, ...), timbre families (voice with vowel formants, breath noise and scoops; bowed with body
resonances and bow noise; blown with breath and tongued onsets; plucked and struck with
damped, decaying partials and pluck or hammer noise), phrase dynamics, rooms, the full
14-quality chord vocabulary with inversions of any chord tone, and accompaniment styles (block
chords, arpeggios, strums, pads). Their conventions:

* Rooms: every stem (so the mix) is convolved with one impulse response (direct impulse,
  pre-delay, exponentially decaying low-passed noise of the drawn RT60 and direct-to-reverberant
  ratio), and the result cut to the track's length. The annotations stay those of the dry
  notes: the f0 of a frame is the dry note's (a room does not move it), and a frame is voiced
  iff the dry note's envelope is above ``VOICING_THRESHOLD``; the reverberation tail of a note
  that has ended is unvoiced (melody f0 0, no multi-f0 entry), and a tail that overlaps the next
  note does not enter the next note's annotation. Chord segments likewise end where the dry
  chord ends. The levels of the mix (``mar_db`` and the rest) are those of the wet stems.
* Voicing is always decided on the envelope scaled by the note's velocity (dynamics
  included), before any mixing gain; breath, bow, tongue, pluck and hammer noise are aperiodic
  and follow the envelope (or a short burst at the attack), so they do not move the f0.
* Chords: every tone of a chord's label sounds within its segment, no other tone of the chord
  instrument does, and the lowest tone of the chord instrument and the bass line are the
  label's bass (``C:maj/3``: E). Each tone rings until it is struck again or the chord ends.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import NoReturn

import numpy as np
import scipy.signal
import soundfile

from mirlab.errors import InputError
from mirlab.storage import atomic_path, write_json

#: Hop of every frame-wise annotation (s): MedleyDB's 256 samples at 44.1 kHz.
ANNOTATION_HOP = 256 / 44100
#: Envelope level (linear, 0..1) above which an instrument counts as sounding.
VOICING_THRESHOLD = 0.01
#: Stem names, in the order they are summed into the mix.
STEMS = ("melody", "bass", "chords", "drums")
#: Chord qualities (Harte shorthand) and their intervals above the root (semitones).
CHORD_QUALITIES = {
    "maj": (0, 4, 7),
    "min": (0, 3, 7),
    "7": (0, 4, 7, 10),
    "maj7": (0, 4, 7, 11),
    "min7": (0, 3, 7, 10),
    "dim": (0, 3, 6),
    "aug": (0, 4, 8),
    "sus2": (0, 2, 7),
    "sus4": (0, 5, 7),
    "min6": (0, 3, 7, 9),
    "maj6": (0, 4, 7, 9),
    "minmaj7": (0, 3, 7, 11),
    "dim7": (0, 3, 6, 9),
    "hdim7": (0, 3, 6, 10),
}
#: Harte degree of each chord-tone interval (semitones above the root), for inversions.
_DEGREES = {2: "2", 3: "b3", 4: "3", 5: "4", 6: "b5", 7: "5", 8: "#5", 10: "b7", 11: "7"}
#: ... where the interval 9 is a sixth (``maj6``, ``min6``) but a diminished seventh in ``dim7``.
_SIXTH_DEGREE = {"maj6": "6", "min6": "6", "dim7": "bb7"}
_NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
#: Scale steps (semitones above the tonic), diatonic chord qualities (triad, seventh) per
#: degree, and how often each degree is chosen. Minor uses the harmonic-minor dominant.
_MODES = {
    "major": (
        (0, 2, 4, 5, 7, 9, 11),
        (("maj", "maj7"), ("min", "min7"), ("min", "min7"), ("maj", "maj7"), ("maj", "7"),
         ("min", "min7"), ("dim", "dim")),
        (3.0, 1.5, 1.0, 2.5, 3.0, 2.0, 0.5),
    ),
    "minor": (
        (0, 2, 3, 5, 7, 8, 10),
        (("min", "min7"), ("dim", "dim"), ("maj", "maj7"), ("min", "min7"), ("maj", "7"),
         ("maj", "maj7"), ("maj", "7")),
        (3.0, 0.5, 1.5, 2.5, 3.0, 2.0, 1.5),
    ),
}  # fmt: skip
_SEVENTH_PROB = 0.3  # a diatonic chord takes its seventh
_ALTERED_PROBS = (("sus2", 0.06), ("sus4", 0.06), ("aug", 0.04))  # a major triad becomes ...
_VIBRATO_FADE_IN = 0.2  # s: vibrato grows in over the start of each note, like a singer's
_DRIFT_RATES = (0.05, 0.25)  # Hz: frequencies of the two sinusoids of the slow drift
_PEAK = 10 ** (-1 / 20)  # -1 dBFS: headroom for rounding to 16-bit PCM
# Annotation numbers are written to the nanosecond (nano-Hz): rounded to microseconds, the
# frame times k * 256 / 44100 vary by more than mir_eval's check for a uniform time grid
# allows, and every resampling of them warns of a "non-uniform timescale".
_DECIMALS = ".9f"
# Artist draws use the seed words [seed, artist, 1]: SeedSequence pads entropy with zeros, so
# a track's [seed, index] is [seed, index, 0] and the two kinds of stream never coincide.
_ARTIST_STREAM = 1
# Voice draws (is the artist's melody voice-like, its vowels) use their own words, so that
# ``voice_fraction=0`` leaves every other draw, and so the audio, as it was.
_VOICE_STREAM = 2
#: Vowel formants (F1, F2, F3) of an adult male voice (Hz; Peterson & Barney 1952 means) ...
_VOWEL_FORMANTS = np.array(
    [
        [270, 2290, 3010],  # i
        [390, 1990, 2550],  # ɪ
        [530, 1840, 2480],  # ɛ
        [660, 1720, 2410],  # æ
        [730, 1090, 2440],  # ɑ
        [570, 840, 2410],  # ɔ
        [440, 1020, 2240],  # ʊ
        [300, 870, 2240],  # u
        [640, 1190, 2390],  # ʌ
        [490, 1350, 1690],  # ɝ
    ],
    dtype=np.float64,
)
#: ... and their bandwidths (Hz), which an artist scales by a factor drawn from
#: ``_BANDWIDTH_SCALES``: narrow formants make one harmonic stand out from its neighbours.
_FORMANT_BANDWIDTHS = np.array([80.0, 120.0, 160.0])
_BANDWIDTH_SCALES = (0.5, 1.3)
#: Range of an artist's formant scale (1: adult male, about 1.2: female, higher: child).
_FORMANT_SCALES = (0.9, 1.3)
#: Range of an artist's low-cut frequency (Hz, drawn log-uniformly): vocal stems are recorded
#: and mixed with a low cut, which leaves a low note's fundamental weaker than its 2nd harmonic.
_HIGHPASS_CUTOFFS = (60.0, 240.0)
_VOWEL_CONTROL_RATE = 200  # Hz: formants and harmonic gains are computed on this grid
_VOWEL_TRANSITION = 0.04  # s: formants move from one note's vowel to the next over this


def _fail(name: str, problem: str) -> NoReturn:
    raise InputError(f"SynthParams.{name}", problem)


def _number(name: str, value: object, low: float, high: float, integer: bool = False) -> float:
    """``value`` as a finite number in ``[low, high]`` (an int if ``integer``)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        _fail(name, f"must be a number, got {value!r}")
    if not math.isfinite(value) or not low <= value <= high:
        _fail(name, f"must lie in [{low}, {high}], got {value!r}")
    if integer:
        if float(value) != int(value):
            _fail(name, f"must be an integer, got {value!r}")
        return int(value)
    return float(value)


def _numbers(
    name: str, value: object, low: float, high: float, integer: bool = False
) -> tuple[float, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence) or len(value) == 0:
        _fail(name, f"must be a non-empty list of numbers, got {value!r}")
    return tuple(_number(name, item, low, high, integer) for item in value)


def _choice(name: str, value: object, allowed: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        _fail(name, f"must be one of {list(allowed)}, got {value!r}")
    return value


def _names(name: str, value: object, allowed: Sequence[str]) -> tuple[str, ...]:
    """``value`` as a (possibly empty) tuple of names from ``allowed``."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        _fail(name, f"must be a list of names from {list(allowed)}, got {value!r}")
    return tuple(_choice(name, item, allowed) for item in value)


def _pair(
    name: str, value: object, low: float, high: float, integer: bool = False, span: float = 0
) -> tuple[float, float]:
    """``value`` as an ordered pair ``(lo, hi)`` within ``[low, high]``, ``hi - lo >= span``."""
    pair = _numbers(name, value, low, high, integer)
    if len(pair) != 2:
        _fail(name, f"must be a pair [low, high], got {value!r}")
    if pair[1] - pair[0] < span:
        _fail(name, f"high - low must be at least {span}, got {value!r}")
    return pair


@dataclass(frozen=True)
class SynthParams:
    """Parameters of the synthetic dataset; every track draws its own values within them.

    Attributes:
        sr: sample rate of the audio (Hz).
        duration: length of every track (s), at least 1.
        melody_midi_range: lowest and highest nominal melody note (MIDI), at least an octave.
        chord_midi_range: register of the chord instrument (MIDI), at least two octaves; it
            overlaps the melody's by default so that the accompaniment interferes with it.
        bass_midi_range: register of the bass line (MIDI), at least an octave.
        tempo_range: tempo drawn per track (BPM).
        note_beats: melody note and rest lengths to choose from (beats).
        chord_beats: chord lengths to choose from (beats).
        rest_prob: probability that a melody slot is a rest (an unvoiced gap).
        glide_prob: probability that a note directly after another is slurred to it with a
            pitch glide (legato, no re-attack).
        glide_time: length of a glide (s), at most half of the note.
        vibrato_rate_range: vibrato rate drawn per note (Hz).
        vibrato_depth_range: vibrato depth drawn per note (cents, peak deviation).
        drift_cents: peak deviation of the melody's slow pitch drift (cents).
        n_harmonics: harmonics of every pitched instrument (those above 0.45 * sr are dropped).
        mar_db_range: melody-to-accompaniment ratio drawn per track (dB, RMS over the track).
        bass_db: RMS of the bass relative to the chord instrument (dB).
        drum_db: RMS of the drums relative to bass plus chords (dB).
        n_artists: number of pseudo-artists; track ``i`` belongs to artist ``i % n_artists``.
        voice_fraction: probability that an artist's melody instrument is voice-like: its
            harmonics pass through vowel formants at fixed frequencies (Hz) that change from
            note to note, and through a low cut (60-240 Hz, as vocal stems are mixed), so that
            the strongest harmonic is often the 2nd or 3rd, as in singing. 0 (default) keeps
            every melody a fixed spectral envelope.

    Opt-in attributes (at their defaults the output is byte for byte what it was before they
    existed):
        melody_families: timbre families of the melody instruments (``voice``, ``bowed``,
            ``blown``, ``plucked``, ``struck``; repeat a name to weight it). Each artist draws
            a family, then an instrument of it (``MELODY_INSTRUMENTS``: a bass voice, a
            soprano, a cello, a flute, ...) whose realistic melodic range, clipped to
            ``melody_midi_range``, holds every note of the artist's tracks; each track draws
            its own tessitura (``melody_span_range`` semitones) inside it. The family sets the
            spectrum, onsets (attack and onset noise), vibrato, drift, glides, breath or bow
            noise and dynamics-dependent brightness; ``vibrato_*_range``, ``drift_cents``,
            ``glide_*`` and ``voice_fraction`` apply to the plain melody only (the latter must
            then be 0). Empty (default): the plain additive melody in ``melody_midi_range``.
        melody_span_range: span (semitones) of a track's melody range with
            ``melody_families``, at most the instrument's (clipped) range.
        spectral_peak_hz_range: with ``melody_families``, each artist's melody instrument
            draws the frequency (Hz, log-uniformly in this range) of its spectral peak, and
            harmonics below it are attenuated by ``spectral_rise_db_range`` dB (drawn per
            artist) per octave: the weak fundamental of real low notes (a trombone, a cello,
            a low voice, whose 2nd or 3rd harmonic is often the strongest), which the plain
            ``k ** -slope`` rolloff never gives. Drawn from its own stream. Empty (default):
            no peak.
        spectral_rise_db_range: rise (dB per octave) of the envelope below the peak.
        dynamics_db: depth (dB, at most 24) of the dynamics: melody and chord note velocities
            follow a slow phrase contour spanning up to this many dB below the loudest (0: the
            plain per-note velocities). Drawn from its own stream: the notes do not change.
        reverb_prob: probability that a track is played in a room: every stem is convolved
            with one synthetic impulse response (a direct impulse, a pre-delay, and
            exponentially decaying low-passed noise whose energy falls by 60 dB in the drawn
            RT60), drawn from its own stream, so the dry parts do not change.
        rt60_range: reverberation time drawn per room (s).
        drr_db_range: direct-to-reverberant energy ratio drawn per room (dB).
        chord_vocabulary: ``diatonic`` (default: maj, min, 7, maj7, min7, dim, aug, sus2,
            sus4 on scale degrees) or ``full``: all 14 qualities of the chord-recognition
            vocabulary (``CHORD_QUALITIES``), from a per-degree table with a share drawn
            uniformly so that rare qualities are not rare.
        inversion_prob: probability that a chord is played over a chord tone other than its
            root (the bass and the chord instrument's lowest tone play it; ``C:maj/3``).
        chord_styles: accompaniment styles that tracks draw from (``block``: piano-like
            struck block chords on a comping rhythm; ``arpeggio``: broken chords, piano- or
            harp-like, each tone ringing until the chord changes; ``strum``: guitar-like
            strums across up to six strings, down and up; ``pad``: sustained bowed or blown
            chords). The bass line is then a plucked bass. Empty (default): the plain
            additive chord instrument.
    """

    sr: int = 22050
    duration: float = 10.0
    melody_midi_range: tuple[int, int] = (55, 79)
    chord_midi_range: tuple[int, int] = (50, 76)
    bass_midi_range: tuple[int, int] = (33, 52)
    tempo_range: tuple[float, float] = (70.0, 150.0)
    note_beats: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0)
    chord_beats: tuple[float, ...] = (2.0, 4.0)
    rest_prob: float = 0.15
    glide_prob: float = 0.3
    glide_time: float = 0.06
    vibrato_rate_range: tuple[float, float] = (4.5, 7.0)
    vibrato_depth_range: tuple[float, float] = (0.0, 60.0)
    drift_cents: float = 15.0
    n_harmonics: int = 12
    mar_db_range: tuple[float, float] = (-3.0, 9.0)
    bass_db: float = 0.0
    drum_db: float = -6.0
    n_artists: int = 8
    voice_fraction: float = 0.0
    melody_families: tuple[str, ...] = ()
    melody_span_range: tuple[int, int] = (12, 24)
    spectral_peak_hz_range: tuple[float, ...] = ()
    spectral_rise_db_range: tuple[float, float] = (0.0, 12.0)
    dynamics_db: float = 0.0
    reverb_prob: float = 0.0
    rt60_range: tuple[float, float] = (0.3, 2.0)
    drr_db_range: tuple[float, float] = (0.0, 12.0)
    chord_vocabulary: str = "diatonic"
    inversion_prob: float = 0.2
    chord_styles: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        sr = _number("sr", self.sr, 8000, 192000, integer=True)
        checked = {
            "sr": sr,
            "duration": _number("duration", self.duration, 1.0, 3600.0),
            "melody_midi_range": _pair(
                "melody_midi_range", self.melody_midi_range, 0, 127, integer=True, span=12
            ),
            "chord_midi_range": _pair(
                "chord_midi_range", self.chord_midi_range, 0, 127, integer=True, span=24
            ),
            "bass_midi_range": _pair(
                "bass_midi_range", self.bass_midi_range, 0, 127, integer=True, span=12
            ),
            "tempo_range": _pair("tempo_range", self.tempo_range, 20.0, 400.0),
            "note_beats": _numbers("note_beats", self.note_beats, 0.125, 16.0),
            "chord_beats": _numbers("chord_beats", self.chord_beats, 0.5, 64.0),
            "rest_prob": _number("rest_prob", self.rest_prob, 0.0, 0.95),
            "glide_prob": _number("glide_prob", self.glide_prob, 0.0, 1.0),
            "glide_time": _number("glide_time", self.glide_time, 0.001, 1.0),
            "vibrato_rate_range": _pair("vibrato_rate_range", self.vibrato_rate_range, 0.0, 20.0),
            "vibrato_depth_range": _pair(
                "vibrato_depth_range", self.vibrato_depth_range, 0.0, 200.0
            ),
            "drift_cents": _number("drift_cents", self.drift_cents, 0.0, 100.0),
            "n_harmonics": _number("n_harmonics", self.n_harmonics, 1, 64, integer=True),
            "mar_db_range": _pair("mar_db_range", self.mar_db_range, -40.0, 40.0),
            "bass_db": _number("bass_db", self.bass_db, -60.0, 60.0),
            "drum_db": _number("drum_db", self.drum_db, -60.0, 60.0),
            "n_artists": _number("n_artists", self.n_artists, 1, 1_000_000, integer=True),
            "voice_fraction": _number("voice_fraction", self.voice_fraction, 0.0, 1.0),
            "melody_families": _names(
                "melody_families", self.melody_families, tuple(MELODY_INSTRUMENTS)
            ),
            "melody_span_range": _pair(
                "melody_span_range", self.melody_span_range, 12, 60, integer=True
            ),
            "spectral_peak_hz_range": (
                _pair("spectral_peak_hz_range", self.spectral_peak_hz_range, 20.0, 20000.0)
                if len(self.spectral_peak_hz_range)
                else ()
            ),
            "spectral_rise_db_range": _pair(
                "spectral_rise_db_range", self.spectral_rise_db_range, 0.0, 24.0
            ),
            # At most 24 dB, so that the softest notes still rise above VOICING_THRESHOLD.
            "dynamics_db": _number("dynamics_db", self.dynamics_db, 0.0, 24.0),
            "reverb_prob": _number("reverb_prob", self.reverb_prob, 0.0, 1.0),
            "rt60_range": _pair("rt60_range", self.rt60_range, 0.05, 10.0),
            "drr_db_range": _pair("drr_db_range", self.drr_db_range, -20.0, 40.0),
            "chord_vocabulary": _choice(
                "chord_vocabulary", self.chord_vocabulary, ("diatonic", "full")
            ),
            "inversion_prob": _number("inversion_prob", self.inversion_prob, 0.0, 1.0),
            "chord_styles": _names("chord_styles", self.chord_styles, CHORD_STYLES),
        }
        if checked["spectral_peak_hz_range"] and not checked["melody_families"]:
            _fail("spectral_peak_hz_range", "needs melody_families (the family instruments)")
        if checked["melody_families"]:
            if checked["voice_fraction"] > 0:
                _fail("voice_fraction", "must be 0 with melody_families (list 'voice' there)")
            low, high = checked["melody_midi_range"]
            shortest = checked["melody_span_range"][0]
            for family in set(checked["melody_families"]):
                if not _fitting_instruments(family, low, high, shortest):
                    _fail(
                        "melody_families",
                        f"no {family} instrument spans {shortest} semitones inside "
                        f"melody_midi_range {[low, high]}",
                    )
        # The highest fundamental (plus vibrato and drift headroom) must stay below Nyquist.
        for name in ("melody_midi_range", "chord_midi_range", "bass_midi_range"):
            if _midi_to_hz(checked[name][1] + 3) >= 0.45 * sr:
                _fail(name, f"highest note is too close to the Nyquist frequency of sr={sr}")
        for name, value in checked.items():
            object.__setattr__(self, name, value)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, object]) -> SynthParams:
        """Parameters from a config mapping (lists for ranges); unknown keys are an error."""
        known = {item.name for item in fields(cls)}
        for key in mapping:
            if key not in known:
                raise InputError(
                    f"SynthParams.{key}", f"unknown parameter (known: {sorted(known)})"
                )
        return cls(**mapping)


@dataclass(frozen=True)
class SynthTrack:
    """One generated track: audio at ``sr`` Hz and its exact annotations.

    Attributes:
        track_id: ``synth_0003`` for track index 3.
        sr: sample rate (Hz).
        mix: float32 mono mix, the sum of the stems.
        stems: float32 stems ``melody``, ``bass``, ``chords``, ``drums`` (same length as the mix).
        times: annotation frame times (s), ``k * 256 / 44100``.
        melody_f0: melody f0 per frame (Hz, 0 when unvoiced).
        bass_f0: bass f0 per frame (Hz, 0 when unvoiced).
        multif0: per frame, the sorted distinct f0s (Hz) of every sounding voice.
        note_intervals: melody notes (onset, offset) in s, shape (n, 2).
        note_f0: nominal f0 of each melody note (Hz).
        chord_intervals: chord segments (start, end) in s covering the track, shape (m, 2).
        chord_labels: Harte label of each segment (``N`` where no chord sounds).
        metadata: artist, title, genre, duration (s), key, tempo (BPM), mar_db, seed, ...
            (with the opt-in parameters also the melody instrument and range, the chord style,
            the room's rt60 and drr_db).
        room_ir: the room's impulse response that every stem was convolved with (None: dry).
    """

    track_id: str
    sr: int
    mix: np.ndarray
    stems: dict[str, np.ndarray]
    times: np.ndarray
    melody_f0: np.ndarray
    bass_f0: np.ndarray
    multif0: list[np.ndarray]
    note_intervals: np.ndarray
    note_f0: np.ndarray
    chord_intervals: np.ndarray
    chord_labels: list[str]
    metadata: dict[str, object]
    room_ir: np.ndarray | None = None


@dataclass(frozen=True)
class _Timbre:
    """Timbre of a pitched instrument: spectral envelope and amplitude envelope shape."""

    slope: float  # harmonic k has amplitude k ** -slope before the other factors
    even: float  # gain of the even harmonics (below 1: clarinet-like)
    formant: float  # harmonic number at the centre of a spectral bump
    formant_gain: float  # height of the bump (linear, added to 1)
    attack: float  # s
    release: float  # s
    decay: float  # s, time constant from the attack peak towards the sustain level
    sustain: float  # sustain level relative to the peak (0: plucked, decays to silence)
    sustain_decay: float = math.inf  # s, time constant of the sustain level (struck strings)


#: Range (low, high) of each timbre field per instrument; an artist draws one value of each.
_FAMILY_RANGES = {
    "melody": {
        "slope": (0.5, 1.8),
        "even": (0.2, 1.0),
        "formant": (1.5, 6.0),
        "formant_gain": (0.0, 3.0),
        "attack": (0.01, 0.08),
        "release": (0.02, 0.08),
        "decay": (0.1, 0.5),
        "sustain": (0.5, 0.9),
    },
    "chords": {
        "slope": (1.0, 2.5),
        "even": (0.5, 1.0),
        "formant": (1.0, 4.0),
        "formant_gain": (0.0, 1.5),
        "attack": (0.003, 0.05),
        "release": (0.03, 0.1),
        "decay": (0.3, 2.0),
        "sustain": (0.0, 0.7),
    },
    "bass": {
        "slope": (1.2, 3.0),
        "even": (0.3, 1.0),
        "formant": (1.0, 3.0),
        "formant_gain": (0.0, 1.0),
        "attack": (0.005, 0.02),
        "release": (0.03, 0.08),
        "decay": (0.2, 1.0),
        "sustain": (0.2, 0.8),
    },
}


def _artist_timbres(seed: int, artist: int) -> dict[str, _Timbre]:
    """The timbre family of each pitched instrument of ``artist``."""
    rng = np.random.default_rng([seed, artist, _ARTIST_STREAM])
    return {
        instrument: _Timbre(
            **{name: float(rng.uniform(*bounds)) for name, bounds in ranges.items()}
        )
        for instrument, ranges in _FAMILY_RANGES.items()
    }


def _track_timbre(rng: np.random.Generator, family: _Timbre) -> _Timbre:
    """A per-track variation of an artist's timbre family."""
    return _Timbre(
        slope=family.slope * rng.uniform(0.9, 1.1),
        even=min(1.0, family.even * rng.uniform(0.8, 1.25)),
        formant=family.formant * rng.uniform(0.85, 1.15),
        formant_gain=family.formant_gain * rng.uniform(0.8, 1.25),
        attack=family.attack * rng.uniform(0.8, 1.25),
        release=family.release * rng.uniform(0.8, 1.25),
        decay=family.decay * rng.uniform(0.8, 1.25),
        sustain=min(1.0, family.sustain * rng.uniform(0.9, 1.1)),
    )


def _harmonic_amplitudes(rng: np.random.Generator, timbre: _Timbre, n: int) -> np.ndarray:
    """Amplitudes of harmonics 1..n (unit L2 norm): rolloff, odd/even balance, bump, jitter."""
    k = np.arange(1, n + 1, dtype=np.float64)
    amplitudes = k**-timbre.slope * np.where(k % 2 == 0, timbre.even, 1.0)
    amplitudes *= 1.0 + timbre.formant_gain * np.exp(-0.5 * (k - timbre.formant) ** 2)
    amplitudes *= rng.lognormal(0.0, 0.2, n)
    return amplitudes / np.linalg.norm(amplitudes)


def _midi_to_hz(midi: np.ndarray | float) -> np.ndarray | float:
    return 440.0 * 2.0 ** ((np.asarray(midi, dtype=np.float64) - 69.0) / 12.0)


@dataclass(frozen=True)
class _Line:
    """A monophonic line of notes with non-overlapping envelopes (times in s, pitches MIDI)."""

    onsets: np.ndarray
    offsets: np.ndarray  # end of each note's envelope
    pitches: np.ndarray  # nominal pitch
    velocity: np.ndarray  # peak gain, 0..1 (0: the note is silent)
    glide_in: np.ndarray  # bool: slurred from the previous note, no attack
    release: np.ndarray  # bool: ramps down to 0 at its offset (False: slurred into the next)
    vibrato_rate: np.ndarray  # Hz
    vibrato_depth: np.ndarray  # cents
    glide_time: float  # s
    drift: tuple[np.ndarray, np.ndarray, np.ndarray]  # rates (Hz), phases (rad), depths (cents)
    timbre: _Timbre
    scoop: np.ndarray | None = None  # cents below the note that its onset starts from
    scoop_time: float = 0.08  # s: the scoop rises to the note over this

    def curves(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pitch (MIDI, fractional) and amplitude envelope (linear, 0..1) at times ``t`` (s).

        Pitch: nominal note pitch, smoothstep glide from the previous note, an optional
        onset scoop from below, vibrato that fades in, slow drift. Envelope: attack, decay
        towards sustain (itself decaying if ``sustain_decay`` is finite), release ending at
        the offset; a slurred note starts at the sustain level without an attack. Components that
        are zero for every note are skipped (adding 0.0 would not change a bit).
        """
        # Before the first onset, times belong to note 0 with a negative ``since``.
        index = np.maximum(np.searchsorted(self.onsets, t, side="right") - 1, 0)
        since = t - self.onsets[index]
        until = self.offsets[index] - t
        glide_in = self.glide_in[index]

        pitch = self.pitches[index]
        if self.glide_in.any():
            glide_time = np.minimum(self.glide_time, 0.5 * (self.offsets - self.onsets))
            x = np.clip(since / glide_time[index], 0.0, 1.0)
            previous = self.pitches[np.maximum(index - 1, 0)]
            pitch = np.where(glide_in, previous + (pitch - previous) * x * x * (3 - 2 * x), pitch)
        if self.scoop is not None and self.scoop.any():
            x = np.clip(since / self.scoop_time, 0.0, 1.0)
            pitch = pitch - self.scoop[index] * (1.0 - x) ** 2 / 100.0
        if self.vibrato_depth.any():
            fade = np.clip(since / _VIBRATO_FADE_IN, 0.0, 1.0)
            phase = 2 * np.pi * self.vibrato_rate[index] * since
            pitch = pitch + fade * self.vibrato_depth[index] * np.sin(phase) / 100.0
        for rate, phase, depth in zip(*self.drift, strict=True):
            pitch = pitch + depth * np.sin(2 * np.pi * rate * t + phase) / 100.0

        timbre = self.timbre
        envelope = np.clip(since / timbre.attack, 0.0, 1.0)
        envelope[glide_in] = 1.0
        start = np.where(self.glide_in, timbre.sustain, 1.0)[index]
        level = timbre.sustain
        if math.isfinite(timbre.sustain_decay):
            level = timbre.sustain * np.exp(-np.maximum(since, 0.0) / timbre.sustain_decay)
        envelope *= level + (start - level) * np.exp(-since / timbre.decay)
        release = np.clip(until / timbre.release, 0.0, 1.0)
        release[~self.release[index]] = 1.0
        envelope *= release * self.velocity[index]
        envelope[(since < 0) | (until <= 0)] = 0.0
        return pitch, envelope

    def f0(self, t: np.ndarray) -> np.ndarray:
        """Annotated f0 (Hz) at times ``t`` (s): 0 where the envelope is not above threshold."""
        pitch, envelope = self.curves(t)
        return np.where(envelope > VOICING_THRESHOLD, _midi_to_hz(pitch), 0.0)

    def render(self, t: np.ndarray, amplitudes: np.ndarray, phases: np.ndarray, sr: int):
        """Audio (float32) at sample times ``t`` (s) with harmonic ``amplitudes``, ``phases``."""
        pitch, envelope = self.curves(t)
        wave = _additive(_midi_to_hz(pitch), amplitudes, phases, sr)
        wave *= envelope.astype(np.float32)
        return wave


def _no_drift() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.zeros(0), np.zeros(0), np.zeros(0)


def _additive(f0: np.ndarray, amplitudes: np.ndarray, phases: np.ndarray, sr: int) -> np.ndarray:
    """Harmonic tone (float32) following the per-sample f0 curve ``f0`` (Hz).

    ``amplitudes`` holds one amplitude per harmonic, or one row per harmonic with a value
    per sample (a time-varying spectral envelope).

    The phase is the running sum of f0 / sr (cycles), wrapped to [0, 1) in float64 so that
    float32 is precise enough for the harmonics' ``sin``. Harmonics above 0.45 * sr anywhere
    in the curve are left out rather than aliased.
    """
    n_kept = max(1, min(len(amplitudes), int(0.45 * sr / max(float(f0.max()), 1e-9))))
    cycles = np.cumsum(f0)
    cycles /= sr
    cycles -= np.floor(cycles)
    omega = (2 * np.pi * np.arange(1, n_kept + 1, dtype=np.float32))[:, None]
    waves = np.multiply(omega, cycles.astype(np.float32))
    waves += phases[:n_kept, None].astype(np.float32)
    np.sin(waves, out=waves)
    # A weighted sum along axis 0 (not BLAS) keeps the bytes independent of threading.
    kept = amplitudes[:n_kept].astype(np.float32)
    waves *= kept if kept.ndim == 2 else kept[:, None]
    return waves.sum(axis=0)


@dataclass(frozen=True)
class _Voice:
    """A voice-like instrument: its formants, its low cut and the generator of its vowels."""

    formant_scale: float  # formant frequencies relative to _VOWEL_FORMANTS
    bandwidth_scale: float  # formant bandwidths relative to _FORMANT_BANDWIDTHS
    highpass_hz: float  # cutoff of the second-order Butterworth low cut
    rng: np.random.Generator

    def amplitudes(self, line: _Line, source: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Harmonic amplitudes (harmonics x samples) of ``line`` sung through vowel formants.

        Each note sings a vowel drawn from ``_VOWEL_FORMANTS``; the formants move to the next
        note's over ``_VOWEL_TRANSITION`` s. A formant is a second-order resonance with unit
        gain at 0 Hz, a vowel the cascade of three (Klatt 1980), applied at each harmonic's
        frequency to the ``source`` amplitudes, and then the low cut. Each instant's
        amplitudes have unit L2 norm, so the loudness follows the line's amplitude envelope
        alone.
        """
        control = np.arange(0.0, t[-1] + 2.0 / _VOWEL_CONTROL_RATE, 1.0 / _VOWEL_CONTROL_RATE)
        note = np.maximum(np.searchsorted(line.onsets, control, side="right") - 1, 0)
        vowels = self.rng.integers(len(_VOWEL_FORMANTS), size=len(line.onsets))
        formants = _VOWEL_FORMANTS[vowels[note]] * self.formant_scale
        width = max(1, round(_VOWEL_TRANSITION * _VOWEL_CONTROL_RATE))
        padded = np.pad(formants, ((width // 2, width - 1 - width // 2), (0, 0)), mode="edge")
        summed = np.cumsum(np.vstack([np.zeros((1, 3)), padded]), axis=0)
        formants = (summed[width:] - summed[:-width]) / width

        pitch, _ = line.curves(control)
        k = np.arange(1, len(source) + 1, dtype=np.float64)[:, None]
        frequency = k * _midi_to_hz(pitch)[None, :]
        gains = np.ones_like(frequency)
        bandwidths = _FORMANT_BANDWIDTHS * self.bandwidth_scale
        for centre, bandwidth in zip(formants.T, bandwidths, strict=True):
            gains *= centre**2 / np.hypot(centre**2 - frequency**2, bandwidth * frequency)
        ratio = (frequency / self.highpass_hz) ** 2
        gains *= ratio / np.sqrt(1.0 + ratio**2)
        amplitudes = source[:, None] * gains
        amplitudes /= np.linalg.norm(amplitudes, axis=0)
        return np.stack([np.interp(t, control, row) for row in amplitudes])


def _artist_voice(seed: int, artist: int, track_index: int, fraction: float) -> _Voice | None:
    """The voice of ``artist``'s melody in track ``track_index``; None if not voice-like."""
    rng = np.random.default_rng([seed, artist, _VOICE_STREAM])
    is_voice, formant_scale = rng.random() < fraction, float(rng.uniform(*_FORMANT_SCALES))
    highpass_hz = float(np.exp(rng.uniform(*np.log(_HIGHPASS_CUTOFFS))))
    bandwidth_scale = float(rng.uniform(*_BANDWIDTH_SCALES))
    if not is_voice:
        return None
    vowels = np.random.default_rng([seed, track_index, _VOICE_STREAM, 1])
    return _Voice(formant_scale, bandwidth_scale, highpass_hz, vowels)


def _render(
    line: _Line,
    t: np.ndarray,
    sr: int,
    rng: np.random.Generator,
    n_harmonics: int,
    voice: _Voice | None = None,
):
    """Audio of ``line`` at sample times ``t`` (float32), with a per-track spectral envelope.

    With a ``voice``, that envelope is the source of the voice's time-varying formants.
    """
    amplitudes = _harmonic_amplitudes(rng, line.timbre, n_harmonics)
    phases = rng.uniform(0.0, 2 * np.pi, n_harmonics)
    if voice is not None:
        amplitudes = voice.amplitudes(line, amplitudes, t)
    return line.render(t, amplitudes, phases, sr)


# --- Opt-in: melody instruments of realistic ranges and timbre families (``melody_families``),
# accompaniment styles (``chord_styles``), dynamics and rooms. None of it runs at the default
# parameters, and none of it draws from a stream that the default output uses.

#: Melody instruments of each timbre family: (name, lowest, highest note of its melodic range,
#: MIDI). Voices: bass E2-E4 ... soprano C4-C6; the flute and violin reach C7.
MELODY_INSTRUMENTS = {
    "voice": (
        ("bass", 40, 64), ("baritone", 45, 69), ("tenor", 48, 72),
        ("alto", 53, 77), ("mezzo", 57, 81), ("soprano", 60, 84),
    ),
    "bowed": (("cello", 36, 76), ("viola", 48, 84), ("violin", 55, 96)),
    "blown": (
        ("bassoon", 34, 72), ("trombone", 40, 72), ("tenor_sax", 44, 76), ("alto_sax", 49, 81),
        ("clarinet", 50, 89), ("trumpet", 54, 82), ("oboe", 58, 91), ("flute", 60, 96),
    ),
    "plucked": (
        ("bass_guitar", 28, 60), ("guitar", 40, 84), ("harp", 36, 96), ("mandolin", 55, 88),
    ),
    "struck": (("piano", 36, 96), ("marimba", 45, 96), ("vibraphone", 53, 89)),
}  # fmt: skip
#: Accompaniment styles of ``chord_styles``.
CHORD_STYLES = ("block", "arpeggio", "strum", "pad")
#: Timbre of each family: a value, or a (low, high) range that an artist draws uniformly from.
#: slope/even: harmonic rolloff and even-harmonic gain; attack..sustain_decay: the amplitude
#: envelope (s); vibrato (Hz, cents), drift (cents), glides; noise_db: breath or bow noise
#: (dB re the tone) in noise_band (Hz); onset_db/onset_time: a noise burst at each attack (a
#: consonant, bow, tongue, pluck or hammer); damping: extra decay of harmonic k, (k - 1) *
#: damping per s (strings); inharmonicity: B of partials k * sqrt(1 + B k^2) (normalised so
#: that partial 1 is the f0); brightness: rolloff added as a note is played softer; scoop:
#: probability and depth (cents) of an onset from below (singers).
_FAMILIES = {
    "voice": {
        "slope": (0.8, 1.4), "even": (0.8, 1.0), "attack": (0.04, 0.12), "release": (0.05, 0.15),
        "decay": (0.2, 0.6), "sustain": (0.75, 0.95), "sustain_decay": math.inf,
        "vibrato_rate": (4.8, 6.5), "vibrato_depth": (15.0, 80.0), "drift_cents": (5.0, 20.0),
        "glide_prob": (0.3, 0.6), "glide_time": (0.05, 0.12),
        "noise_db": (-34.0, -20.0), "noise_band": (1500.0, 7000.0),
        "onset_db": -math.inf, "onset_time": 0.01, "onset_band": (1000.0, 6000.0),
        "damping": 0.0, "inharmonicity": 0.0, "brightness": (0.3, 0.8),
        "scoop_prob": (0.2, 0.6), "scoop_cents": (20.0, 100.0),
    },
    "bowed": {
        "slope": (0.8, 1.2), "even": (0.7, 1.0), "attack": (0.06, 0.2), "release": (0.08, 0.2),
        "decay": (0.3, 0.8), "sustain": (0.75, 0.95), "sustain_decay": math.inf,
        "vibrato_rate": (5.0, 7.0), "vibrato_depth": (8.0, 35.0), "drift_cents": (3.0, 8.0),
        "glide_prob": (0.2, 0.5), "glide_time": (0.04, 0.1),
        "noise_db": (-40.0, -30.0), "noise_band": (2000.0, 8000.0),
        "onset_db": (-26.0, -16.0), "onset_time": (0.02, 0.05), "onset_band": (1000.0, 8000.0),
        "damping": 0.0, "inharmonicity": 0.0, "brightness": (0.2, 0.5),
        "scoop_prob": 0.0, "scoop_cents": 0.0,
    },
    "blown": {
        "slope": (1.0, 2.2), "even": (0.6, 1.0), "attack": (0.02, 0.07), "release": (0.03, 0.08),
        "decay": (0.1, 0.3), "sustain": (0.7, 0.95), "sustain_decay": math.inf,
        "vibrato_rate": (4.5, 6.0), "vibrato_depth": (0.0, 25.0), "drift_cents": (3.0, 10.0),
        "glide_prob": (0.1, 0.3), "glide_time": (0.02, 0.05),
        "noise_db": (-38.0, -26.0), "noise_band": (800.0, 8000.0),
        "onset_db": (-22.0, -12.0), "onset_time": (0.01, 0.03), "onset_band": (500.0, 6000.0),
        "damping": 0.0, "inharmonicity": 0.0, "brightness": (0.5, 1.2),
        "scoop_prob": 0.0, "scoop_cents": 0.0,
    },
    "plucked": {
        "slope": (0.8, 1.5), "even": (0.6, 1.0), "attack": (0.001, 0.004),
        "release": (0.02, 0.06), "decay": (0.4, 1.5), "sustain": 0.0, "sustain_decay": math.inf,
        "vibrato_rate": (4.5, 6.0), "vibrato_depth": (0.0, 6.0), "drift_cents": (0.0, 3.0),
        "glide_prob": 0.0, "glide_time": 0.05,
        "noise_db": -math.inf, "noise_band": (1000.0, 8000.0),
        "onset_db": (-22.0, -12.0), "onset_time": (0.003, 0.01), "onset_band": (1000.0, 8000.0),
        "damping": (0.5, 3.0), "inharmonicity": 0.0, "brightness": (0.3, 0.8),
        "scoop_prob": 0.0, "scoop_cents": 0.0,
    },
    "struck": {
        "slope": (1.0, 1.8), "even": (0.7, 1.0), "attack": (0.001, 0.003),
        "release": (0.05, 0.15), "decay": (0.08, 0.3), "sustain": (0.25, 0.5),
        "sustain_decay": (1.0, 4.0),
        "vibrato_rate": 5.0, "vibrato_depth": 0.0, "drift_cents": 0.0,
        "glide_prob": 0.0, "glide_time": 0.05,
        "noise_db": -math.inf, "noise_band": (1000.0, 8000.0),
        "onset_db": (-26.0, -16.0), "onset_time": (0.005, 0.015), "onset_band": (200.0, 4000.0),
        "damping": (0.3, 1.5), "inharmonicity": (5e-5, 4e-4), "brightness": (0.5, 1.2),
        "scoop_prob": 0.0, "scoop_cents": 0.0,
    },
}  # fmt: skip
#: Instruments whose timbre departs from their family's (same keys, replacing its values).
_INSTRUMENT_TIMBRES = {
    "clarinet": {"even": (0.05, 0.25), "vibrato_depth": (0.0, 5.0)},
    "flute": {"slope": (2.0, 3.0), "noise_db": (-26.0, -16.0)},
    "trumpet": {"slope": (0.6, 1.0)},
    "bass_guitar": {"slope": (1.2, 2.0), "decay": (0.8, 2.0)},
    "marimba": {"slope": (2.0, 3.0), "sustain": 0.0, "decay": (0.2, 0.6), "inharmonicity": 0.0},
    "vibraphone": {"slope": (2.0, 3.0), "sustain_decay": (2.0, 5.0), "inharmonicity": 0.0},
    "organ": {"attack": (0.01, 0.03), "vibrato_depth": 0.0, "onset_db": -math.inf},
}
#: Body resonances (Hz) of the bowed instruments: (centre, bandwidth, peak gain) ranges.
_BODIES = {"cello": 0.45, "viola": 0.75, "violin": 1.0, "strings": 0.8}
_BODY_RESONANCES = (((250.0, 320.0), 120.0, (1.0, 3.0)), ((480.0, 600.0), 200.0, (1.0, 3.0)),
                    ((2500.0, 3200.0), 1200.0, (0.5, 2.0)))  # fmt: skip
#: Formant scale of each voice type (1: adult male), drawn per artist within these.
_VOICE_TYPE_FORMANTS = {
    "bass": (0.88, 0.98), "baritone": (0.92, 1.02), "tenor": (0.98, 1.08),
    "alto": (1.08, 1.18), "mezzo": (1.1, 1.2), "soprano": (1.15, 1.28),
}  # fmt: skip
#: The instrument that plays each accompaniment style, (family, instrument) choices.
_STYLE_INSTRUMENTS = {
    "block": (("struck", "piano"),),
    "arpeggio": (("struck", "piano"), ("plucked", "harp"), ("plucked", "guitar")),
    "strum": (("plucked", "guitar"),),
    "pad": (("bowed", "strings"), ("blown", "organ")),
}
#: Harmonics of a family-rendered line reach this frequency at its lowest note (Hz) ...
_MELODY_BANDWIDTH, _ACCOMPANIMENT_BANDWIDTH = 5000.0, 3000.0
#: ... but are at least ``n_harmonics`` and at most these many.
_MELODY_MAX_HARMONICS, _ACCOMPANIMENT_MAX_HARMONICS = 40, 20
_CONTROL_RATE = 200  # Hz: time-varying spectra are computed on this grid, then interpolated
_PARTIAL_BLOCK = 16384  # samples of partials summed at a time (a cache-sized block)
# Artist streams [seed, artist, word] and track streams [seed, track_index, word] of the
# opt-in draws; the words differ from the artist's 1 and 2 and the track's 0 (and 2, 1).
_INSTRUMENT_STREAM, _ACCOMPANIMENT_STREAM = 4, 5
_ROOM_STREAM, _DYNAMICS_STREAM, _SPECTRAL_PEAK_STREAM = 3, 6, 7


@dataclass(frozen=True)
class _Instrument:
    """An artist's instrument: family, name, melodic range (MIDI) and drawn timbre values."""

    family: str
    name: str
    low: int
    high: int
    values: dict

    def timbre(self, rng: np.random.Generator) -> _Timbre:
        """The envelope of one track: the artist's, each time varied by up to about 10 %."""
        v = self.values
        return _Timbre(
            slope=v["slope"],
            even=v["even"],
            formant=1.0,
            formant_gain=0.0,
            attack=v["attack"] * rng.uniform(0.9, 1.1),
            release=v["release"] * rng.uniform(0.9, 1.1),
            decay=v["decay"] * rng.uniform(0.9, 1.1),
            sustain=v["sustain"],
            sustain_decay=v["sustain_decay"] * rng.uniform(0.9, 1.1),
        )


def _fitting_instruments(family: str, low: int, high: int, span: int) -> list[tuple]:
    """``family``'s instruments whose range clipped to ``[low, high]`` spans ``span`` or more."""
    return [
        (name, max(lo, low), min(hi, high))
        for name, lo, hi in MELODY_INSTRUMENTS[family]
        if min(hi, high) - max(lo, low) >= span
    ]


def _draw_values(rng: np.random.Generator, family: str, name: str) -> dict:
    """One draw of every timbre value of ``family`` (with ``name``'s departures)."""
    table = {**_FAMILIES[family], **_INSTRUMENT_TIMBRES.get(name, {})}
    values = {}
    for key, value in table.items():  # a fixed key order: the draws are reproducible
        if key.endswith("_band"):
            values[key] = value
        elif isinstance(value, tuple):
            values[key] = float(rng.uniform(*value))
        else:
            values[key] = float(value)
    if family == "bowed":
        scale = _BODIES.get(name, 1.0)
        values["body"] = tuple(
            (float(rng.uniform(*centre)) * scale, width * scale, float(rng.uniform(*gain)))
            for centre, width, gain in _BODY_RESONANCES
        )
    if family == "voice":
        values["formant_scale"] = float(rng.uniform(*_VOICE_TYPE_FORMANTS[name]))
        values["bandwidth_scale"] = float(rng.uniform(*_BANDWIDTH_SCALES))
    return values


def _artist_instrument(seed: int, artist: int, params: SynthParams) -> _Instrument:
    """The melody instrument of ``artist``: a family of ``melody_families``, one of its
    instruments that fits ``melody_midi_range``, and its timbre."""
    rng = np.random.default_rng([seed, artist, _INSTRUMENT_STREAM])
    family = params.melody_families[int(rng.integers(len(params.melody_families)))]
    low, high = params.melody_midi_range
    candidates = _fitting_instruments(family, low, high, params.melody_span_range[0])
    name, low, high = candidates[int(rng.integers(len(candidates)))]
    values = _draw_values(rng, family, name)
    if family == "voice":  # a low cut below the lowest note, as vocal stems are mixed
        top = min(_HIGHPASS_CUTOFFS[1], float(_midi_to_hz(low)))
        values["highpass_hz"] = float(np.exp(rng.uniform(np.log(40.0), np.log(max(top, 41.0)))))
    if params.spectral_peak_hz_range:
        peak_rng = np.random.default_rng([seed, artist, _SPECTRAL_PEAK_STREAM])
        peak_range = np.log(params.spectral_peak_hz_range)
        values["peak_hz"] = float(np.exp(peak_rng.uniform(*peak_range)))
        values["peak_rise_db"] = float(peak_rng.uniform(*params.spectral_rise_db_range))
    return _Instrument(family, name, low, high, values)


def _accompaniment_instrument(seed: int, artist: int, style: str | None) -> _Instrument:
    """``artist``'s instrument for an accompaniment ``style`` (None: its plucked bass)."""
    index = len(CHORD_STYLES) if style is None else CHORD_STYLES.index(style)
    rng = np.random.default_rng([seed, artist, _ACCOMPANIMENT_STREAM, index])
    choices = (("plucked", "bass_guitar"),) if style is None else _STYLE_INSTRUMENTS[style]
    family, name = choices[int(rng.integers(len(choices)))]
    return _Instrument(family, name, 0, 127, _draw_values(rng, family, name))


def _band_noise(rng: np.random.Generator, n: int, sr: int, band: tuple[float, float]):
    """Unit-RMS noise (float32) band-passed to ``band`` (Hz), capped below Nyquist."""
    high = min(band[1], 0.45 * sr)
    sos = scipy.signal.butter(2, (min(band[0], 0.5 * high), high), "bandpass", fs=sr, output="sos")
    noise = scipy.signal.sosfilt(sos, rng.standard_normal(n))
    return (noise / _rms(noise)).astype(np.float32)


def _partials(
    f0: np.ndarray, table: np.ndarray, hop: int, phases: np.ndarray, sr: int, ratios: np.ndarray
) -> np.ndarray:
    """Sum (float32) of partials ``ratios[k] * f0`` with amplitudes ``table`` (k x controls).

    The amplitudes are ``table`` interpolated linearly between control points ``hop`` samples
    apart. As :func:`_additive`, the phase is the running sum of f0 / sr; a partial's is that
    times its ratio, wrapped in float64 (an integer ratio times the wrapped phase, the fraction
    times the unwrapped one). Partials at or above 0.45 * sr at the lowest f0 are left out; the
    caller zeroes the others' amplitudes wherever they are that high. Samples are summed in
    blocks, so memory stays bounded whatever the length.
    """
    n_kept = max(1, int(np.count_nonzero(ratios * float(f0.min()) < 0.45 * sr)))
    cycles = np.cumsum(f0)
    cycles /= sr
    wrapped = cycles - np.floor(cycles)
    whole = np.floor(ratios[:n_kept])
    fraction = ratios[:n_kept] - whole
    omega = (2 * np.pi * whole.astype(np.float32))[:, None]
    table = table[:n_kept].astype(np.float32)
    slopes = np.diff(table, axis=1)
    ramp = np.arange(hop, dtype=np.float32) / np.float32(hop)
    phases = phases[:n_kept, None].astype(np.float32)
    out = np.empty(len(f0), dtype=np.float32)
    controls = _PARTIAL_BLOCK // hop
    for first in range(0, len(table[0]) - 1, controls):
        last = min(first + controls, len(table[0]) - 1)
        lo, hi = first * hop, min(last * hop, len(f0))
        if lo >= hi:
            break
        amplitudes = np.multiply(slopes[:, first:last, None], ramp)
        amplitudes += table[:, first:last, None]
        amplitudes = amplitudes.reshape(n_kept, -1)[:, : hi - lo]
        if fraction.any():
            phase = whole[:, None] * wrapped[lo:hi] + fraction[:, None] * cycles[lo:hi]
            phase -= np.floor(phase)
            waves = phase.astype(np.float32)
            waves *= np.float32(2 * np.pi)
        else:
            waves = np.multiply(omega, wrapped[lo:hi].astype(np.float32))
        waves += phases
        np.sin(waves, out=waves)
        waves *= amplitudes
        out[lo:hi] = waves.sum(axis=0)
    return out


def _render_family(
    line: _Line,
    t: np.ndarray,
    sr: int,
    rng: np.random.Generator,
    instrument: _Instrument,
    n_harmonics: int,
    bandwidth: float,
    max_harmonics: int,
) -> np.ndarray:
    """Audio (float32) of ``line`` played by ``instrument`` of its timbre family.

    The tone: partials with the family's rolloff, odd/even balance and inharmonicity, shaped
    on a 200 Hz control grid by vowel formants and a low cut (voice), the rise to the spectral
    peak, body resonances (bowed), softer-is-darker brightness, and faster decay of high
    partials (plucked, struck); each instant's amplitudes have unit L2 norm, so the loudness
    follows the line's envelope, and so does its voicing annotation. Then breath or bow noise
    under the envelope and a noise burst at each attack: aperiodic, they do not move the f0.
    """
    v = instrument.values
    pitch, envelope = line.curves(t)
    f0 = _midi_to_hz(pitch)
    lowest = float(_midi_to_hz(line.pitches[line.velocity > 0].min() - 1.0))
    count = int(np.clip(math.ceil(bandwidth / lowest), n_harmonics, max_harmonics))
    k = np.arange(1, count + 1, dtype=np.float64)
    b = v["inharmonicity"]
    ratios = k * np.sqrt(1.0 + b * k**2) / math.sqrt(1.0 + b)
    source = k ** -(v["slope"] * rng.uniform(0.9, 1.1)) * np.where(k % 2 == 0, v["even"], 1.0)
    source *= rng.lognormal(0.0, 0.15, count)
    phases = rng.uniform(0.0, 2 * np.pi, count)

    hop = max(1, round(sr / _CONTROL_RATE))  # control points every ``hop`` samples
    n_control = -(-len(t) // hop) + 1
    control = np.arange(n_control) * hop / sr
    pitch_c, _ = line.curves(control)
    note = np.maximum(np.searchsorted(line.onsets, control, side="right") - 1, 0)
    since = np.maximum(control - line.onsets[note], 0.0)
    frequency = ratios[:, None] * _midi_to_hz(pitch_c)[None, :]
    gains = np.repeat(source[:, None], len(control), axis=1)
    if instrument.family == "voice":
        vowels = rng.integers(len(_VOWEL_FORMANTS), size=len(line.onsets))
        formants = _VOWEL_FORMANTS[vowels[note]] * v["formant_scale"]
        width = max(1, round(_VOWEL_TRANSITION * _CONTROL_RATE))
        padded = np.pad(formants, ((width // 2, width - 1 - width // 2), (0, 0)), mode="edge")
        summed = np.cumsum(np.vstack([np.zeros((1, 3)), padded]), axis=0)
        formants = (summed[width:] - summed[:-width]) / width
        for centre, bw in zip(formants.T, _FORMANT_BANDWIDTHS * v["bandwidth_scale"], strict=True):
            gains *= centre**2 / np.hypot(centre**2 - frequency**2, bw * frequency)
        ratio = (frequency / v["highpass_hz"]) ** 2
        gains *= ratio / np.sqrt(1.0 + ratio**2)
    if "peak_hz" in v:  # rising towards the spectral peak: below it, a weaker fundamental
        below = np.minimum(frequency / v["peak_hz"], 1.0)
        gains *= below ** (v["peak_rise_db"] / (20.0 * math.log10(2.0)))
    for centre, bw, peak in v.get("body", ()):
        gains *= 1.0 + peak / (1.0 + ((frequency - centre) / (0.5 * bw)) ** 2)
    if v["brightness"] > 0:
        loudest = max(float(line.velocity.max()), 1e-9)
        softness = 1.0 - line.velocity[note] / loudest
        gains *= k[:, None] ** (-v["brightness"] * softness)[None, :]
    if v["damping"] > 0:
        gains *= np.exp(-v["damping"] * (k - 1.0)[:, None] * since[None, :])
    gains[frequency >= 0.44 * sr] = 0.0
    gains /= np.maximum(np.linalg.norm(gains, axis=0), 1e-12)

    wave = _partials(f0, gains, hop, phases, sr, ratios)
    level = envelope.astype(np.float32)
    if math.isfinite(v["noise_db"]):  # breath or bow noise, at noise_db below the tone's RMS
        wave += _band_noise(rng, len(t), sr, v["noise_band"]) * np.float32(
            10 ** (v["noise_db"] / 20) / math.sqrt(2)
        )
    wave *= level
    if math.isfinite(v["onset_db"]):  # one noise burst, placed at every attacked onset
        length = int(8 * v["onset_time"] * sr)
        burst = _band_noise(rng, length, sr, v["onset_band"]) * np.exp(
            -np.arange(length) / (v["onset_time"] * sr)
        ).astype(np.float32)
        at = np.round(line.onsets * sr).astype(np.int64)
        hit = ~line.glide_in & (line.velocity > 0) & (at >= 0) & (at < len(t))
        gains = line.velocity[hit] * 10 ** (v["onset_db"] / 20) / math.sqrt(2)
        for onset, gain in zip(at[hit].tolist(), gains.tolist(), strict=True):
            stop = min(onset + length, len(t))
            wave[onset:stop] += burst[: stop - onset] * np.float32(gain)
    return wave


def _family_melody(
    rng: np.random.Generator,
    params: SynthParams,
    instrument: _Instrument,
    tonic: int,
    mode: str,
    chords: _Chords,
    beat: float,
    start: float,
    end: float,
) -> tuple[_Line, tuple[int, int]]:
    """The melody played by ``instrument``: a tessitura of ``melody_span_range`` semitones
    drawn inside its range, its family's vibrato, drift, glides and onset scoops."""
    v = instrument.values
    span = min(int(rng.integers(params.melody_span_range[0], params.melody_span_range[1] + 1)),
               instrument.high - instrument.low)  # fmt: skip
    low = int(rng.integers(instrument.low, instrument.high - span + 1))
    rate, depth = v["vibrato_rate"], v["vibrato_depth"]
    line_params = replace(
        params,
        melody_families=(),
        spectral_peak_hz_range=(),
        melody_midi_range=(low, low + span),
        glide_prob=v["glide_prob"],
        glide_time=v["glide_time"],
        vibrato_rate_range=(0.92 * rate, 1.08 * rate),
        vibrato_depth_range=(0.4 * depth, depth),
        drift_cents=v["drift_cents"],
    )
    timbre = instrument.timbre(rng)
    line = _melody_line(rng, line_params, tonic, mode, chords, beat, start, end, timbre)
    n = len(line.onsets)
    scooped = (rng.random(n) < v["scoop_prob"]) & ~line.glide_in
    scoop = np.where(scooped, rng.uniform(0.3, 1.0, n) * v["scoop_cents"], 0.0)
    return replace(line, scoop=scoop), (low, low + span)


@dataclass(frozen=True)
class _Dynamics:
    """A slow phrase contour of note velocities: 0 dB at its crests, -depth_db at its troughs."""

    depth_db: float
    period: float  # s
    phase: float  # rad
    rng: np.random.Generator

    def gains(self, times: np.ndarray, jitter: bool) -> np.ndarray:
        contour = 0.5 - 0.5 * np.sin(2 * np.pi * times / self.period + self.phase)
        if jitter:
            contour = contour + self.rng.uniform(-0.15, 0.15, len(times))
        return 10 ** (-self.depth_db * np.clip(contour, 0.0, 1.0) / 20)

    def apply(self, line: _Line, jitter: bool = False) -> _Line:
        """``line`` with its velocities scaled; a slurred note keeps its predecessor's."""
        velocity = line.velocity * self.gains(line.onsets, jitter)
        for i in np.flatnonzero(line.glide_in):
            if i > 0:
                velocity[i] = velocity[i - 1]
        return replace(line, velocity=velocity)


def _dynamics(seed: int, track_index: int, depth_db: float) -> _Dynamics:
    rng = np.random.default_rng([seed, track_index, _DYNAMICS_STREAM])
    return _Dynamics(depth_db, float(rng.uniform(3.0, 8.0)), float(rng.uniform(0, 2 * np.pi)), rng)


def room_impulse_response(
    rng: np.random.Generator, sr: int, rt60: float, drr_db: float
) -> np.ndarray:
    """A synthetic room impulse response (float32): direct impulse, pre-delay, diffuse tail.

    The tail is stationary low-passed noise (cutoff drawn in 3-9 kHz; filtered before the decay
    is applied, so the decay stays exact) times ``10 ** (-3 t / rt60)``: its energy falls by
    60 dB in ``rt60`` s, as a Schroeder backward integration of it measures. It is ``rt60`` s
    long (cut 60 dB down), starts after a pre-delay of 5-30 ms, and has ``drr_db`` less energy
    than the direct impulse (of amplitude 1).
    """
    delay = int(round(rng.uniform(0.005, 0.03) * sr))
    cutoff = min(float(rng.uniform(3000.0, 9000.0)), 0.45 * sr)
    n = int(math.ceil(rt60 * sr))
    warm = int(0.01 * sr)  # the filter's start-up transient is dropped
    sos = scipy.signal.butter(2, cutoff, "lowpass", fs=sr, output="sos")
    noise = scipy.signal.sosfilt(sos, rng.standard_normal(n + warm))[warm:]
    tail = noise * 10 ** (-3.0 * np.arange(n) / sr / rt60)
    tail *= 10 ** (-drr_db / 20) / np.linalg.norm(tail)
    ir = np.zeros(1 + delay + n)
    ir[0] = 1.0
    ir[1 + delay :] = tail
    return ir.astype(np.float32)


def _room(seed: int, track_index: int, params: SynthParams) -> tuple[np.ndarray, float, float]:
    """Whether track ``track_index`` is in a room and, if so, its impulse response, RT60, DRR."""
    rng = np.random.default_rng([seed, track_index, _ROOM_STREAM])
    if not rng.random() < params.reverb_prob:
        return None, 0.0, math.inf
    rt60 = round(float(rng.uniform(*params.rt60_range)), 3)
    drr_db = round(float(rng.uniform(*params.drr_db_range)), 2)
    return room_impulse_response(rng, params.sr, rt60, drr_db), rt60, drr_db


@dataclass(frozen=True)
class _Chords:
    """A chord progression: segments (s), Harte labels and voicings (MIDI, ascending)."""

    starts: np.ndarray
    ends: np.ndarray
    labels: list[str]
    voicings: list[tuple[int, ...]]
    bass_classes: np.ndarray  # pitch class of the chord's bass note (root or inversion)


def _progression(
    rng: np.random.Generator,
    params: SynthParams,
    tonic: int,
    mode: str,
    beat: float,
    start: float,
    end: float,
) -> _Chords:
    """A diatonic chord progression from ``start`` to ``end`` (s), voiced in the chord range."""
    steps, qualities, weights = _MODES[mode]
    low, high = params.chord_midi_range
    base = int(rng.integers(low, high - 22))  # voicings span at most 23 semitones from base
    starts, ends, labels, voicings, bass_classes = [], [], [], [], []
    t, degree = start, 0
    while end - t > 0.1:
        length = min(float(rng.choice(params.chord_beats)) * beat, end - t)
        if starts:
            w = np.array(weights) * np.where(np.arange(7) == degree, 0.2, 1.0)
            degree = int(rng.choice(7, p=w / w.sum()))
        triad, seventh = qualities[degree]
        quality = seventh if rng.random() < _SEVENTH_PROB else triad
        if quality == "maj":
            draw = rng.random()
            for altered, prob in _ALTERED_PROBS:
                if draw < prob:
                    quality = altered
                    break
                draw -= prob
        root = (tonic + steps[degree]) % 12
        intervals = CHORD_QUALITIES[quality]
        label = f"{_NOTE_NAMES[root]}:{quality}"
        bass_interval = 0
        if rng.random() < params.inversion_prob:
            bass_interval = int(rng.choice(intervals[1:]))
            label += f"/{_DEGREES[bass_interval]}"
        bass_class = (root + bass_interval) % 12
        lowest = base + (bass_class - base) % 12
        voicing = sorted(lowest + (root + i - bass_class) % 12 for i in intervals)
        starts.append(t)
        ends.append(t + length)
        labels.append(label)
        voicings.append(tuple(voicing))
        bass_classes.append(bass_class)
        t += length
    return _Chords(np.array(starts), np.array(ends), labels, voicings, np.array(bass_classes))


def _chord_lines(
    rng: np.random.Generator, chords: _Chords, beat: float, timbre: _Timbre
) -> list[_Line]:
    """The chord instrument as four voices (lowest tone first), re-struck on a comping grid."""
    step = float(rng.choice([beat, 2 * beat, math.inf]))
    onsets, offsets, tones, velocity = [], [], [], []
    for start, end, voicing in zip(chords.starts, chords.ends, chords.voicings, strict=True):
        strikes = np.arange(start, end - 0.1, step) if math.isfinite(step) else [start]
        for i, strike in enumerate(strikes):
            onsets.append(strike)
            offsets.append(strikes[i + 1] if i + 1 < len(strikes) else end)
            tones.append(voicing + (voicing[-1],) * (4 - len(voicing)))
            velocity.append([1.0] * len(voicing) + [0.0] * (4 - len(voicing)))
    gains = rng.uniform(0.7, 1.0, len(onsets))[:, None] * np.array(velocity)
    tones = np.array(tones, dtype=np.float64)
    n = len(onsets)
    return [
        _Line(
            onsets=np.array(onsets),
            offsets=np.array(offsets),
            pitches=tones[:, v],
            velocity=gains[:, v],
            glide_in=np.zeros(n, dtype=bool),
            release=np.ones(n, dtype=bool),
            vibrato_rate=np.zeros(n),
            vibrato_depth=np.zeros(n),
            glide_time=1.0,
            drift=_no_drift(),
            timbre=timbre,
        )
        for v in range(4)
    ]


def _bass_line(
    rng: np.random.Generator, params: SynthParams, chords: _Chords, beat: float, timbre: _Timbre
) -> _Line:
    """Bass notes on each chord's bass note, on a per-track rhythm, in one octave of the range."""
    low, high = params.bass_midi_range
    base = int(rng.integers(low, high - 10))
    step = float(rng.choice([beat, 2 * beat, math.inf]))
    onsets, offsets, pitches = [], [], []
    for start, end, bass_class in zip(chords.starts, chords.ends, chords.bass_classes, strict=True):
        strikes = np.arange(start, end - 0.1, step) if math.isfinite(step) else [start]
        for i, strike in enumerate(strikes):
            slot_end = strikes[i + 1] if i + 1 < len(strikes) else end
            onsets.append(strike)
            offsets.append(strike + (slot_end - strike) * rng.uniform(0.85, 0.97))
            pitches.append(base + (bass_class - base) % 12)
    n = len(onsets)
    return _Line(
        onsets=np.array(onsets),
        offsets=np.array(offsets),
        pitches=np.array(pitches, dtype=np.float64),
        velocity=rng.uniform(0.8, 1.0, n),
        glide_in=np.zeros(n, dtype=bool),
        release=np.ones(n, dtype=bool),
        vibrato_rate=np.zeros(n),
        vibrato_depth=np.zeros(n),
        glide_time=1.0,
        drift=_no_drift(),
        timbre=timbre,
    )


def _melody_line(
    rng: np.random.Generator,
    params: SynthParams,
    tonic: int,
    mode: str,
    chords: _Chords,
    beat: float,
    start: float,
    end: float,
    timbre: _Timbre,
) -> _Line:
    """The melody: a weighted walk over scale and chord tones, with rests and legato glides."""
    low, high = params.melody_midi_range
    candidates = np.arange(low, high + 1)
    in_scale = np.isin((candidates - tonic) % 12, _MODES[mode][0])
    onsets, offsets, pitches, velocity, glide_in, release = [], [], [], [], [], []
    t, previous, connected = start, None, False
    while end - t > 0.1:
        slot = min(float(rng.choice(params.note_beats)) * beat, end - t)
        if onsets and rng.random() < params.rest_prob:
            t, connected = t + slot, False
            continue
        chord = chords.voicings[np.searchsorted(chords.starts, t, side="right") - 1]
        chord_tone = np.isin(candidates % 12, np.array(chord) % 12)
        weights = np.where(chord_tone, 3.0, 1.0) * (in_scale | chord_tone)
        if previous is None:
            weights *= np.exp(-np.abs(candidates - (low + high) / 2) / 6.0)
        else:
            weights *= np.exp(-np.abs(candidates - previous) / 2.5)
            weights[candidates == previous] *= 0.5
        pitch = int(rng.choice(candidates, p=weights / weights.sum()))
        legato = connected and pitch != previous and rng.random() < params.glide_prob
        if legato:
            offsets[-1], release[-1] = t, False
        onsets.append(t)
        offsets.append(t + slot * rng.uniform(0.75, 0.95))
        pitches.append(pitch)
        velocity.append(velocity[-1] if legato else rng.uniform(0.7, 1.0))
        glide_in.append(legato)
        release.append(True)
        t, previous, connected = t + slot, pitch, True
    n = len(onsets)
    drift_depths = rng.uniform(0.3, 1.0, 2)
    return _Line(
        onsets=np.array(onsets),
        offsets=np.array(offsets),
        pitches=np.array(pitches, dtype=np.float64),
        velocity=np.array(velocity),
        glide_in=np.array(glide_in, dtype=bool),
        release=np.array(release, dtype=bool),
        vibrato_rate=rng.uniform(*params.vibrato_rate_range, n),
        vibrato_depth=rng.uniform(*params.vibrato_depth_range, n),
        glide_time=params.glide_time,
        drift=(
            rng.uniform(*_DRIFT_RATES, 2),
            rng.uniform(0.0, 2 * np.pi, 2),
            params.drift_cents * drift_depths / drift_depths.sum(),
        ),
        timbre=timbre,
    )


#: ``chord_vocabulary: full``: (quality, weight) choices per scale degree, and the share of
#: chords whose quality is drawn uniformly from all 14 instead.
_FULL_QUALITIES = {
    "major": (
        (("maj", 4), ("maj7", 2), ("maj6", 1.5), ("sus2", 1), ("sus4", 1)),
        (("min", 3), ("min7", 3), ("min6", 1)),
        (("min", 3), ("min7", 2)),
        (("maj", 3), ("maj7", 2), ("maj6", 1.5), ("min", 0.5), ("min6", 0.5)),
        (("maj", 3), ("7", 3), ("sus4", 1.5), ("aug", 0.5)),
        (("min", 3), ("min7", 2.5), ("min6", 0.5)),
        (("dim", 1.5), ("hdim7", 2), ("dim7", 1)),
    ),
    "minor": (
        (("min", 3), ("min7", 2), ("min6", 1), ("minmaj7", 1.5), ("sus2", 0.5)),
        (("dim", 1.5), ("hdim7", 2.5)),
        (("maj", 3), ("maj7", 2), ("aug", 1)),
        (("min", 3), ("min7", 2), ("min6", 1.5)),
        (("maj", 2), ("7", 3), ("sus4", 1)),
        (("maj", 3), ("maj7", 2.5), ("maj6", 0.5)),
        (("maj", 2.5), ("7", 2), ("dim7", 0.5)),
    ),
}  # fmt: skip
_UNIFORM_QUALITY_PROB = 0.35


def chord_spelling(
    root: int, quality: str, bass_interval: int, base: int
) -> tuple[str, tuple[int, ...], int]:
    """Harte label, close voicing (MIDI, ascending) and bass pitch class of a chord.

    ``bass_interval`` (semitones above the root, one of the quality's) is the bass: the label
    gets its degree (``C:maj/3``, ``C:dim7/bb7``), and the voicing starts on it, at the first
    such pitch class at or above ``base``, with the other tones in the octave above.
    """
    intervals = CHORD_QUALITIES[quality]
    if bass_interval not in intervals:
        raise ValueError(f"{bass_interval} is not an interval of {quality}")
    label = f"{_NOTE_NAMES[root]}:{quality}"
    if bass_interval:
        degree = _SIXTH_DEGREE[quality] if bass_interval == 9 else _DEGREES[bass_interval]
        label += f"/{degree}"
    bass_class = (root + bass_interval) % 12
    lowest = base + (bass_class - base) % 12
    voicing = tuple(sorted(lowest + (root + i - bass_class) % 12 for i in intervals))
    return label, voicing, bass_class


def _progression_full(
    rng: np.random.Generator,
    params: SynthParams,
    tonic: int,
    mode: str,
    beat: float,
    start: float,
    end: float,
) -> _Chords:
    """A progression over the scale degrees with all 14 qualities and inversions of any tone."""
    steps, _, weights = _MODES[mode]
    all_qualities = tuple(CHORD_QUALITIES)
    low, high = params.chord_midi_range
    base = int(rng.integers(low, high - 22))
    starts, ends, labels, voicings, bass_classes = [], [], [], [], []
    t, degree = start, 0
    while end - t > 0.1:
        length = min(float(rng.choice(params.chord_beats)) * beat, end - t)
        if starts:
            w = np.array(weights) * np.where(np.arange(7) == degree, 0.2, 1.0)
            degree = int(rng.choice(7, p=w / w.sum()))
        if rng.random() < _UNIFORM_QUALITY_PROB:
            quality = all_qualities[int(rng.integers(len(all_qualities)))]
        else:
            names, odds = zip(*_FULL_QUALITIES[mode][degree], strict=True)
            quality = names[int(rng.choice(len(names), p=np.array(odds) / sum(odds)))]
        bass_interval = 0
        if rng.random() < params.inversion_prob:
            bass_interval = int(rng.choice(CHORD_QUALITIES[quality][1:]))
        root = (tonic + steps[degree]) % 12
        label, voicing, bass_class = chord_spelling(root, quality, bass_interval, base)
        starts.append(t)
        ends.append(t + length)
        labels.append(label)
        voicings.append(voicing)
        bass_classes.append(bass_class)
        t += length
    return _Chords(np.array(starts), np.array(ends), labels, voicings, np.array(bass_classes))


#: Voicings of each style (the lowest tone is always the chord's bass).
_STYLE_VOICINGS = {
    "block": ("close", "open", "doubled"),
    "arpeggio": ("close", "open", "doubled"),
    "strum": ("guitar",),
    "pad": ("close", "open"),
}
#: Block-chord comping rhythms: strikes (beats) in each 4-beat cycle from the chord's start.
_BLOCK_RHYTHMS = ((0.0,), (0.0, 2.0), (0.0, 1.0, 2.0, 3.0), (0.0, 1.5), (0.0, 1.5, 2.0, 3.5),
                  (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5))  # fmt: skip
#: Strumming patterns: (eighth-note slot in a 4-beat cycle, direction).
_STRUM_RHYTHMS = (
    ((0, "D"), (2, "D"), (3, "U"), (5, "U"), (6, "D"), (7, "U")),
    ((0, "D"), (2, "D"), (4, "D"), (6, "D")),
    tuple((slot, "D" if slot % 2 == 0 else "U") for slot in range(8)),
    ((0, "D"), (3, "D"), (6, "D")),
)
_ARPEGGIO_SHAPES = ("up", "updown", "alberti")


def _style_voicing(voicing: tuple[int, ...], kind: str, high: int) -> tuple[int, ...]:
    """A close ``voicing`` re-spaced as ``kind``, its lowest tone and pitch classes kept."""
    lowest, classes = voicing[0], {p % 12 for p in voicing}
    if kind == "open":  # every other upper tone an octave up
        opened = (lowest, *sorted(p + 12 * (i % 2) for i, p in enumerate(voicing[1:])))
        return opened if opened[-1] <= high else voicing
    if kind == "doubled":  # the bass note doubled an octave up
        return (
            voicing + (lowest + 12,)
            if lowest + 12 > voicing[-1] and lowest + 12 <= high
            else voicing
        )
    if kind == "guitar":  # up to six strings, at least 3 semitones apart, over two octaves
        strings = [lowest]
        for p in range(lowest + 1, min(high, lowest + 24) + 1):
            if p % 12 in classes and p - strings[-1] >= 3 and len(strings) < 6:
                strings.append(p)
        if {p % 12 for p in strings} == classes:
            return tuple(strings)
        return _style_voicing(voicing, "doubled", high)
    return voicing


def _arpeggio_order(n: int, shape: str) -> list[int]:
    if shape == "updown" and n > 2:
        return [*range(n), *range(n - 2, 0, -1)]
    if shape == "alberti" and n > 2:
        return [0, n - 1] + [x for i in range(1, n - 1) for x in (i, n - 1)]
    return list(range(n))


def _styled_chord_lines(
    rng: np.random.Generator,
    params: SynthParams,
    chords: _Chords,
    beat: float,
    style: str,
    timbre: _Timbre,
) -> list[_Line]:
    """The chord instrument in ``style`` as one line per voice (string, finger), lowest first.

    Every chord's first strike sounds all its tones (a strum within its spread, an arpeggio
    within its first cycle), each tone rings until struck again or until the chord ends, and
    no tone of a chord sounds outside its segment: the chord annotation is what sounds.
    """
    kind = _STYLE_VOICINGS[style][int(rng.integers(len(_STYLE_VOICINGS[style])))]
    voicings = [_style_voicing(v, kind, params.chord_midi_range[1]) for v in chords.voicings]
    n_voices = max(len(v) for v in voicings)
    block = _BLOCK_RHYTHMS[int(rng.integers(len(_BLOCK_RHYTHMS)))]
    strum = _STRUM_RHYTHMS[int(rng.integers(len(_STRUM_RHYTHMS)))]
    spread = float(rng.uniform(0.006, 0.018))  # s between strings of a strum
    steps = [beat / 2, beat / 3] + ([beat / 4] if beat >= 0.45 else [])
    step = steps[int(rng.integers(len(steps)))]
    shape = _ARPEGGIO_SHAPES[int(rng.integers(len(_ARPEGGIO_SHAPES)))]
    notes = [[] for _ in range(n_voices)]  # per voice: (onset, offset, pitch, velocity)
    for start, end, voicing in zip(chords.starts, chords.ends, voicings, strict=True):
        n = len(voicing)
        strikes = []  # (time, voices in strike order, delay between them, velocity)
        if style == "pad":
            strikes.append((start, range(n), 0.0, 1.0))
        elif style == "block":
            for cycle in np.arange(start, end, 4 * beat):
                for offset in block:
                    time = cycle + offset * beat
                    if time < end - 0.1:
                        strikes.append((time, range(n), 0.0, 1.0 if offset == 0 else 0.85))
        elif style == "strum":
            for cycle in np.arange(start, end, 4 * beat):
                for slot, direction in strum:
                    time = cycle + slot * beat / 2
                    if time >= end - 0.1:
                        continue
                    if direction == "D":
                        strikes.append((time, range(n), spread, 1.0 if slot % 2 == 0 else 0.85))
                    else:  # an up-strum catches the top strings; the others ring on
                        strikes.append((time, range(n - 1, max(n - 4, 0) - 1, -1), spread, 0.65))
        else:  # arpeggio
            slots = np.arange(start, end - 0.05, step)
            order = _arpeggio_order(n, shape)
            if len(slots) < max(order.index(i) for i in range(n)) + 1:
                order = list(range(n))
            if len(slots) < n:
                strikes.append((start, range(n), 0.0, 1.0))
            else:
                for i, time in enumerate(slots):
                    strikes.append((time, (order[i % len(order)],), 0.0, 1.0 if i == 0 else 0.8))
        struck = [[] for _ in range(n_voices)]
        for time, voices, delay, accent in strikes:
            gain = accent * rng.uniform(0.85, 1.0)
            for j, v in enumerate(voices):
                struck[v].append((time + j * delay, gain))
        for v, hits in enumerate(struck):
            for i, (onset, gain) in enumerate(hits):
                offset = hits[i + 1][0] if i + 1 < len(hits) else end
                notes[v].append((onset, offset, voicing[v], gain))
    lines = []
    for voice_notes in notes:
        if not voice_notes:
            continue
        onsets, offsets, pitches, velocity = (
            np.array(x, dtype=np.float64) for x in zip(*voice_notes, strict=True)
        )
        n = len(onsets)
        lines.append(
            _Line(
                onsets=onsets,
                offsets=offsets,
                pitches=pitches,
                velocity=velocity,
                glide_in=np.zeros(n, dtype=bool),
                release=np.ones(n, dtype=bool),
                vibrato_rate=np.zeros(n),
                vibrato_depth=np.zeros(n),
                glide_time=1.0,
                drift=_no_drift(),
                timbre=timbre,
            )
        )
    return lines


def _drums(
    rng: np.random.Generator, n: int, sr: int, beat: float, start: float, end: float
) -> np.ndarray:
    """Kick, snare and hi-hat filtered-noise bursts on an eighth-note grid (float32)."""
    grid = np.arange(start, end, beat / 2)
    position = np.arange(len(grid)) % 8
    hits = {
        "kick": np.isin(position, (0, 4)) | (rng.random(len(grid)) < 0.1),
        "snare": np.isin(position, (2, 6)) | (rng.random(len(grid)) < 0.05),
        "hat": rng.random(len(grid)) < 0.85,
    }
    nyquist = sr / 2
    designs = {  # filter, decay time constant (s), burst length (s), level
        "kick": (scipy.signal.butter(4, 150, "lowpass", fs=sr, output="sos"), 0.06, 0.3, 1.0),
        "snare": (
            scipy.signal.butter(
                2, (800, min(5000, 0.8 * nyquist)), "bandpass", fs=sr, output="sos"
            ),
            0.08,
            0.3,
            0.7,
        ),
        "hat": (
            scipy.signal.butter(4, min(7000, 0.6 * nyquist), "highpass", fs=sr, output="sos"),
            0.02,
            0.1,
            0.3,
        ),
    }
    drums = np.zeros(n)
    for name, (sos, decay, length, level) in designs.items():
        t = np.arange(int(length * sr)) / sr
        burst = scipy.signal.sosfilt(sos, rng.standard_normal(len(t))) * np.exp(-t / decay)
        burst *= level / np.abs(burst).max()
        train = np.zeros(n)
        onsets = np.round(grid[hits[name]] * sr).astype(np.int64)
        train[onsets[onsets < n]] = rng.uniform(0.6, 1.0, len(onsets))[onsets < n]
        drums += scipy.signal.oaconvolve(train, burst)[:n]
    return drums.astype(np.float32)


def _rms(x: np.ndarray) -> float:
    return max(float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))), 1e-12)


def _mix(
    stems: dict[str, np.ndarray], params: SynthParams, mar_db: float
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Level the raw stems (RMS over the track) and sum them; one gain keeps all below -1 dBFS.

    Chords are the reference, bass sits ``bass_db`` from them, drums ``drum_db`` from bass
    plus chords, and the melody ``mar_db`` from the sum of the other three.
    """
    chords = stems["chords"] / np.float32(_rms(stems["chords"]))
    bass = stems["bass"] * np.float32(10 ** (params.bass_db / 20) / _rms(stems["bass"]))
    harmony = _rms(chords + bass)
    drums = stems["drums"] * np.float32(
        10 ** (params.drum_db / 20) * harmony / _rms(stems["drums"])
    )
    accompaniment = _rms(chords + bass + drums)
    melody = stems["melody"] * np.float32(
        10 ** (mar_db / 20) * accompaniment / _rms(stems["melody"])
    )
    leveled = {"melody": melody, "bass": bass, "chords": chords, "drums": drums}
    peak = max(float(np.abs(x).max()) for x in (_sum(leveled), *leveled.values()))
    scale = np.float32(_PEAK / max(peak, 1e-12))
    scaled = {name: leveled[name] * scale for name in STEMS}
    return _sum(scaled), scaled


def _sum(stems: dict[str, np.ndarray]) -> np.ndarray:
    """The mix: ``((melody + bass) + chords) + drums`` in float32, always in this order."""
    return ((stems["melody"] + stems["bass"]) + stems["chords"]) + stems["drums"]


def _distinct_f0s(voices: list[np.ndarray]) -> list[np.ndarray]:
    """Per frame, the sorted distinct positive f0s (Hz) among the voices' f0 curves."""
    sounding = np.stack(voices, axis=1)
    sounding.sort(axis=1)
    # Zero exact repeats (a voice doubling another), then split the positives row by row.
    sounding[:, 1:][sounding[:, 1:] == sounding[:, :-1]] = 0.0
    counts = np.count_nonzero(sounding, axis=1)
    return np.split(sounding[sounding > 0], np.cumsum(counts)[:-1])


def _chord_segments(chords: _Chords, duration: float) -> tuple[np.ndarray, list[str]]:
    """Segments (s) covering ``[0, duration]`` with Harte labels, repeats merged, ``N`` outside."""
    labels, bounds = [], []
    if chords.starts[0] > 0:
        labels.append("N")
        bounds.append((0.0, chords.starts[0]))
    for start, end, label in zip(chords.starts, chords.ends, chords.labels, strict=True):
        if labels and labels[-1] == label:
            bounds[-1] = (bounds[-1][0], end)
        else:
            labels.append(label)
            bounds.append((start, end))
    if bounds[-1][1] < duration:
        labels.append("N")
        bounds.append((bounds[-1][1], duration))
    return np.array(bounds, dtype=np.float64), labels


def _frame_count(n_samples: int, sr: int) -> int:
    """Frames at ``k * 256 / 44100`` s strictly before the end of ``n_samples`` at ``sr``."""
    return -(-(n_samples * 44100) // (256 * sr))


def _check_index(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise InputError(name, f"must be a non-negative integer, got {value!r}")
    return int(value)


def track_id(track_index: int) -> str:
    """Id of synthetic track ``track_index``: ``synth_0003``."""
    return f"synth_{track_index:04d}"


def generate_track(track_index: int, seed: int, params: SynthParams) -> SynthTrack:
    """Generate track ``track_index`` of the dataset drawn from ``seed`` (deterministic).

    All random draws come from ``np.random.default_rng([seed, track_index])`` and from the
    artist's own stream, so a track does not depend on which other tracks are generated.
    """
    track_index = _check_index("track_index", track_index)
    seed = _check_index("seed", seed)
    rng = np.random.default_rng([seed, track_index])
    sr = params.sr
    n = int(round(params.duration * sr))
    duration = n / sr
    artist = track_index % params.n_artists
    timbres = {
        name: _track_timbre(rng, family) for name, family in _artist_timbres(seed, artist).items()
    }
    tempo = round(float(rng.uniform(*params.tempo_range)), 2)
    beat = 60.0 / tempo
    tonic = int(rng.integers(12))
    mode = str(rng.choice(list(_MODES)))
    mar_db = round(float(rng.uniform(*params.mar_db_range)), 2)
    margin = min(1.0, duration / 10.0)
    start = float(rng.uniform(0.0, 0.5)) * margin
    end = duration - float(rng.uniform(0.2, 0.6)) * margin

    if params.chord_vocabulary == "full":
        chords = _progression_full(rng, params, tonic, mode, beat, start, end)
    else:
        chords = _progression(rng, params, tonic, mode, beat, start, end)
    instrument = None
    if params.melody_families:
        instrument = _artist_instrument(seed, artist, params)
        melody, melody_range = _family_melody(
            rng, params, instrument, tonic, mode, chords, beat, start, end
        )
    else:
        melody = _melody_line(rng, params, tonic, mode, chords, beat, start, end, timbres["melody"])
    style = None
    if params.chord_styles:
        style = params.chord_styles[int(rng.integers(len(params.chord_styles)))]
        bass_instrument = _accompaniment_instrument(seed, artist, None)
        chord_instrument = _accompaniment_instrument(seed, artist, style)
        bass = _bass_line(rng, params, chords, beat, bass_instrument.timbre(rng))
        chord_voices = _styled_chord_lines(
            rng, params, chords, beat, style, chord_instrument.timbre(rng)
        )
    else:
        bass = _bass_line(rng, params, chords, beat, timbres["bass"])
        chord_voices = _chord_lines(rng, chords, beat, timbres["chords"])
    if params.dynamics_db > 0:
        dynamics = _dynamics(seed, track_index, params.dynamics_db)
        melody = dynamics.apply(melody, jitter=True)
        chord_voices = [dynamics.apply(voice) for voice in chord_voices]

    t = np.arange(n) / sr
    chords_audio = np.zeros(n, dtype=np.float32)
    if style is None:
        chord_timbre = _harmonic_amplitudes(rng, timbres["chords"], params.n_harmonics)
        chord_phases = rng.uniform(0.0, 2 * np.pi, params.n_harmonics)
        for voice in chord_voices:
            if voice.velocity.any():  # the fourth voice is silent through all-triad progressions
                chords_audio += voice.render(t, chord_timbre, chord_phases, sr)
        bass_audio = _render(bass, t, sr, rng, params.n_harmonics)
    else:
        accompaniment = (params.n_harmonics, _ACCOMPANIMENT_BANDWIDTH, _ACCOMPANIMENT_MAX_HARMONICS)
        for voice in chord_voices:
            chords_audio += _render_family(voice, t, sr, rng, chord_instrument, *accompaniment)
        bass_audio = _render_family(bass, t, sr, rng, bass_instrument, *accompaniment)
    if instrument is None:
        voice = _artist_voice(seed, artist, track_index, params.voice_fraction)
        melody_audio = _render(melody, t, sr, rng, params.n_harmonics, voice)
    else:
        melody_audio = _render_family(
            melody, t, sr, rng, instrument, params.n_harmonics, _MELODY_BANDWIDTH,
            _MELODY_MAX_HARMONICS,
        )  # fmt: skip
    drums_audio = _drums(rng, n, sr, beat, start, end)
    raw = {"melody": melody_audio, "bass": bass_audio, "chords": chords_audio, "drums": drums_audio}
    room_ir, rt60, drr_db = None, 0.0, math.inf
    if params.reverb_prob > 0:
        room_ir, rt60, drr_db = _room(seed, track_index, params)
        if room_ir is not None:  # the room reverberates every stem; annotations stay dry
            raw = {
                name: scipy.signal.oaconvolve(audio, room_ir)[:n].astype(np.float32)
                for name, audio in raw.items()
            }

    mix, stems = _mix(raw, params, mar_db)
    times = np.arange(_frame_count(n, sr)) * 256 / 44100
    melody_f0 = melody.f0(times)
    bass_f0 = bass.f0(times)
    multif0 = _distinct_f0s([melody_f0, bass_f0, *(voice.f0(times) for voice in chord_voices)])
    chord_intervals, chord_labels = _chord_segments(chords, duration)

    identifier = track_id(track_index)
    metadata = {
        "artist": f"synth_artist_{artist:02d}",
        "title": f"Synthetic piece {track_index}",
        "genre": "synthetic",
        "duration": duration,
        "key": f"{_NOTE_NAMES[tonic]} {mode}",
        "tempo": tempo,
        "mar_db": mar_db,
        "seed": seed,
        "track_index": track_index,
        "sr": sr,
        "voice": voice is not None if instrument is None else instrument.family == "voice",
    }
    # Keys of the opt-in parameters only where they are set: the default metadata is unchanged.
    if instrument is not None:
        metadata["melody_family"] = instrument.family
        metadata["melody_instrument"] = instrument.name
        metadata["melody_range"] = list(melody_range)
    if style is not None:
        metadata["chord_style"] = style
        metadata["chord_instrument"] = chord_instrument.name
    if params.reverb_prob > 0:
        metadata["rt60"] = rt60 if room_ir is not None else None
        metadata["drr_db"] = drr_db if room_ir is not None else None
    return SynthTrack(
        track_id=identifier,
        sr=sr,
        mix=mix,
        stems=stems,
        times=times,
        melody_f0=melody_f0,
        bass_f0=bass_f0,
        multif0=multif0,
        note_intervals=np.stack([melody.onsets, melody.offsets], axis=1),
        note_f0=_midi_to_hz(melody.pitches),
        chord_intervals=chord_intervals,
        chord_labels=chord_labels,
        metadata=metadata,
        room_ir=room_ir,
    )


def _rows(columns: Sequence[np.ndarray]) -> str:
    """CSV text of equal-length float columns, ``%.9f``, no header."""
    return "".join(
        ",".join(f"{x:{_DECIMALS}}" for x in row) + "\n" for row in zip(*columns, strict=True)
    )


def _write_text(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")


def _write_wav(path: Path, audio: np.ndarray, sr: int) -> None:
    with atomic_path(path) as tmp:
        soundfile.write(str(tmp), audio, sr, subtype="PCM_16", format="WAV")


def write_track(root: str | Path, track: SynthTrack) -> None:
    """Write one track's audio (16-bit PCM WAV) and annotations under ``root`` (atomically).

    Files: ``audio/<T>_MIX.wav``, ``stems/<T>_<stem>.wav``, and in ``annotations/``:
    ``<T>_MELODY.csv`` and ``<T>_BASS.csv`` (time,f0), ``<T>_MULTIF0.csv`` (time,f0,f0,...
    with only the sounding f0s), ``<T>_NOTES.csv`` (onset,offset,f0 of the melody notes),
    ``<T>_CHORDS.lab`` (start, end, Harte label; tab separated). No headers; ``%.9f``.
    """
    root = Path(root)
    ident = track.track_id
    _write_wav(root / "audio" / f"{ident}_MIX.wav", track.mix, track.sr)
    for name in STEMS:
        _write_wav(root / "stems" / f"{ident}_{name}.wav", track.stems[name], track.sr)
    folder = root / "annotations"
    times = track.times.tolist()
    _write_text(folder / f"{ident}_MELODY.csv", _rows([times, track.melody_f0.tolist()]))
    _write_text(folder / f"{ident}_BASS.csv", _rows([times, track.bass_f0.tolist()]))
    multif0 = "".join(
        ",".join(f"{x:{_DECIMALS}}" for x in [time, *row.tolist()]) + "\n"
        for time, row in zip(times, track.multif0, strict=True)
    )
    _write_text(folder / f"{ident}_MULTIF0.csv", multif0)
    notes = [*track.note_intervals.T.tolist(), track.note_f0.tolist()]
    _write_text(folder / f"{ident}_NOTES.csv", _rows(notes))
    lab = "".join(
        f"{start:{_DECIMALS}}\t{end:{_DECIMALS}}\t{label}\n"
        for (start, end), label in zip(
            track.chord_intervals.tolist(), track.chord_labels, strict=True
        )
    )
    _write_text(folder / f"{ident}_CHORDS.lab", lab)


def _generate_and_write(root: Path, track_index: int, seed: int, params: SynthParams) -> dict:
    track = generate_track(track_index, seed, params)
    write_track(root, track)
    return track.metadata


def write_synth_dataset(
    root: str | Path,
    n_tracks: int,
    seed: int,
    params: SynthParams,
    track_indices: Sequence[int] | None = None,
    workers: int = 1,
) -> None:
    """Generate tracks ``0 .. n_tracks - 1`` (or ``track_indices`` of them) under ``root``.

    Writes the layout of :func:`write_track` for each track, then ``metadata.json``
    (``{track_id: {"artist", "title", "genre", "duration", ...}}`` for the tracks written),
    last, so that its presence means the dataset is complete. ``workers`` processes share
    the tracks; the bytes written do not depend on it.
    """
    n_tracks = _check_index("n_tracks", n_tracks)
    seed = _check_index("seed", seed)
    workers = _check_index("workers", workers)
    if n_tracks == 0:
        raise InputError("n_tracks", "must be at least 1")
    if workers == 0:
        raise InputError("workers", "must be at least 1")
    indices = list(range(n_tracks)) if track_indices is None else list(track_indices)
    for index in indices:
        if _check_index("track_indices", index) >= n_tracks:
            raise InputError("track_indices", f"index {index} is not below n_tracks={n_tracks}")
    if len(set(indices)) != len(indices):
        raise InputError("track_indices", "holds duplicate indices")
    root = Path(root)
    args = ([root] * len(indices), indices, [seed] * len(indices), [params] * len(indices))
    if workers == 1:
        metadata = list(map(_generate_and_write, *args))
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            metadata = list(pool.map(_generate_and_write, *args))
    write_json({track_id(i): meta for i, meta in zip(indices, metadata, strict=True)},
               root / "metadata.json")  # fmt: skip

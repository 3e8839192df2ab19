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
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, fields
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
}
#: Harte degree of each chord-tone interval (semitones above the root), for inversions.
_DEGREES = {2: "2", 3: "b3", 4: "3", 5: "4", 6: "b5", 7: "5", 8: "#5", 10: "b7", 11: "7"}
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
_INVERSION_PROB = 0.2  # a chord is played over a chord tone other than its root
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
        }
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

    def curves(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pitch (MIDI, fractional) and amplitude envelope (linear, 0..1) at times ``t`` (s).

        Pitch: nominal note pitch, smoothstep glide from the previous note, vibrato that
        fades in, slow drift. Envelope: attack, decay towards sustain, release ending at the
        offset; a slurred note starts at the sustain level without an attack. Components that
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
        envelope *= timbre.sustain + (start - timbre.sustain) * np.exp(-since / timbre.decay)
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
        if rng.random() < _INVERSION_PROB:
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

    chords = _progression(rng, params, tonic, mode, beat, start, end)
    melody = _melody_line(rng, params, tonic, mode, chords, beat, start, end, timbres["melody"])
    bass = _bass_line(rng, params, chords, beat, timbres["bass"])
    chord_voices = _chord_lines(rng, chords, beat, timbres["chords"])

    t = np.arange(n) / sr
    chord_timbre = _harmonic_amplitudes(rng, timbres["chords"], params.n_harmonics)
    chord_phases = rng.uniform(0.0, 2 * np.pi, params.n_harmonics)
    chords_audio = np.zeros(n, dtype=np.float32)
    for voice in chord_voices:
        if voice.velocity.any():  # the fourth voice is silent through all-triad progressions
            chords_audio += voice.render(t, chord_timbre, chord_phases, sr)
    bass_audio = _render(bass, t, sr, rng, params.n_harmonics)
    voice = _artist_voice(seed, artist, track_index, params.voice_fraction)
    melody_audio = _render(melody, t, sr, rng, params.n_harmonics, voice)
    drums_audio = _drums(rng, n, sr, beat, start, end)

    mix, stems = _mix(
        {"melody": melody_audio, "bass": bass_audio, "chords": chords_audio, "drums": drums_audio},
        params,
        mar_db,
    )
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
        "voice": voice is not None,
    }
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

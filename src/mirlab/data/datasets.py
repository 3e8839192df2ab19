"""One interface over every dataset: a dataset is a list of tracks.

A :class:`Track` has an id, its audio sources (``"mix"`` always: the signal its
annotations describe), annotations of one or more kinds, and metadata (artist, title,
genre, duration in seconds) used for splits. Loaders read each dataset's native
on-disk layout from a root folder; annotation readers return times in seconds and
frequencies in Hz with the MIREX convention (f0 <= 0 means unvoiced).

Layers, from the files up:

- :mod:`mirlab.data.readers`: one reader per native annotation format (``Annotation.format``
  names it); each validates what it reads.
- ``LOADERS``: one loader per dataset layout, ``load_<name>(root) -> list[Track]``, sorted
  by track id. An annotation without its audio, or audio without its annotation, is an
  error naming the file (the MedleyDB family excepted: see :func:`load_medleydb`).
- :func:`load_dataset`: the checked entry point used by the pipeline.
- :func:`tracks_to_table` / :func:`tracks_from_table`: the dataset index as a flat table
  (one row per track) that Parquet stores.

The annotations of a track are keyed by their kind (a member of ``ANNOTATION_KINDS``), so a
track has at most one annotation per kind, and every annotation describes the ``"mix"``.
Datasets whose stems carry their own f0 (MedleyDB, Bach10) also have a ``*_stems`` loader
that yields one track per stem.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from mirlab.data.audio import AudioSource, audio_info
from mirlab.errors import InputError

#: Annotation kinds and what their reader returns.
#: melody / pitch: (times [s], f0 [Hz]); multif0: (times [s], list of f0 arrays [Hz]);
#: notes: (intervals [s] (n, 2), pitches [Hz]); chords: (intervals [s] (n, 2), Harte labels).
ANNOTATION_KINDS = ("melody", "pitch", "multif0", "notes", "chords", "bass")


@dataclass(frozen=True)
class Annotation:
    """An annotation file of one ``kind`` in one native ``format`` (a key of
    ``mirlab.data.readers.READERS``).

    ``part`` picks one part of a file that holds several (the row of one instrument in a
    Bach10 ``GTF0s`` matrix); ``None`` reads the whole file. ``more_paths`` are further files
    that the annotation combines with ``path`` (one per voice or per MIDI stem: Dagstuhl
    ChoirSet, Slakh2100); the format's reader takes them.
    """

    kind: str
    path: Path
    format: str
    part: int | None = None
    more_paths: tuple[Path, ...] = ()

    @property
    def paths(self) -> tuple[Path, ...]:
        """Every file of the annotation: ``path`` first, then ``more_paths``."""
        return (Path(self.path), *map(Path, self.more_paths))


@dataclass(frozen=True)
class Track:
    """One track of a dataset."""

    track_id: str
    audio: dict[str, AudioSource]
    annotations: dict[str, Annotation]
    metadata: dict[str, object] = field(default_factory=dict)


#: Metadata keys every loader sets (``genre`` is None where the dataset does not say).
METADATA_KEYS = ("artist", "title", "genre", "duration")

#: Bach10 parts in ``GTF0s`` row order, as (audio source name, file-name suffix); the
#: dataset spells the saxophone file ``-saxphone.wav``.
BACH10_PARTS = (
    ("violin", "violin"),
    ("clarinet", "clarinet"),
    ("saxophone", "saxphone"),
    ("bassoon", "bassoon"),
)
#: Chord vocabularies of the McGill Billboard ``.lab`` files.
BILLBOARD_VOCABULARIES = ("full", "majmin", "majmininv", "majmin7", "majmin7inv")


# --------------------------------------------------------------------------------------
# Loaders: finding and pairing files
# --------------------------------------------------------------------------------------


def _checked_duration(source: AudioSource) -> float:
    """Duration (s) of ``source``; ``InputError`` if its file is missing, unreadable, holds
    no samples, or lacks the channel asked for."""
    info = audio_info(source.path)
    if info.frames == 0:
        raise InputError(source.path, "audio file holds no samples")
    if source.channel is not None and source.channel >= info.channels:
        raise InputError(
            source.path, f"channel {source.channel} asked for, but the file has {info.channels}"
        )
    return info.frames / info.samplerate


def _folder(path: Path) -> Path:
    if not path.is_dir():
        raise InputError(path, "dataset folder does not exist")
    return path


def _collect(folder: Path, suffix: str, recursive: bool = False) -> dict[str, Path]:
    """Files under ``folder`` named ``<key><suffix>``, by key (hidden files skipped)."""
    paths = _folder(folder).rglob(f"*{suffix}") if recursive else _folder(folder).iterdir()
    found: dict[str, Path] = {}
    for path in sorted(paths):
        if path.is_file() and path.name.endswith(suffix) and not path.name.startswith("."):
            key = path.name[: -len(suffix)]
            if key in found:
                raise InputError(path, f"a second file for track {key!r} (first: {found[key]})")
            found[key] = path
    return dict(sorted(found.items()))


def _check_have_audio(annotations: dict[str, Path], audio: dict, audio_hint: str) -> None:
    """Every annotation key must have audio; ``audio_hint`` says where (``{0}`` is the key)."""
    for key in sorted(annotations.keys() - audio.keys()):
        expected = audio_hint.replace("{0}", key)
        raise InputError(
            annotations[key], f"no audio file matches this annotation (looked for {expected})"
        )


def _check_pairs(
    audio: dict[str, Path], annotations: dict[str, Path], audio_hint: str, annotation_hint: str
) -> list[str]:
    """The keys present on both sides; an unmatched file on either side is an error.

    The hints say where the missing counterpart was looked for (``{0}`` is the key).
    """
    _check_have_audio(annotations, audio, audio_hint)
    for key in sorted(audio.keys() - annotations.keys()):
        expected = annotation_hint.replace("{0}", key)
        raise InputError(
            audio[key], f"no annotation matches this audio file (looked for {expected})"
        )
    return sorted(audio)


def _pair(
    audio_folder: Path, audio_suffix: str, annotation_folder: Path, annotation_suffix: str
) -> list[tuple[str, Path, Path]]:
    """(track id, audio, annotation) for files named ``<id><suffix>`` in two folders."""
    audio = _collect(audio_folder, audio_suffix)
    annotations = _collect(annotation_folder, annotation_suffix)
    keys = _check_pairs(
        audio,
        annotations,
        str(audio_folder / f"{{0}}{audio_suffix}"),
        str(annotation_folder / f"{{0}}{annotation_suffix}"),
    )
    return [(key, audio[key], annotations[key]) for key in keys]


def _make_track(
    track_id: str,
    audio: dict[str, AudioSource],
    annotations: Iterable[Annotation],
    artist: str,
    title: str,
    genre: str | None = None,
    extra: dict[str, object] | None = None,
) -> Track:
    """A track with the standard metadata plus ``extra``; ``duration`` is read from the
    mix's header."""
    metadata = {
        "artist": artist,
        "title": title,
        "genre": genre,
        "duration": _checked_duration(audio["mix"]),
        **(extra or {}),
    }
    return Track(track_id, audio, {a.kind: a for a in annotations}, metadata)


def _artist_title(track_id: str) -> tuple[str, str]:
    """Artist and title of a MedleyDB-style id ``Artist_Title[_STEM_xx]``."""
    parts = track_id.split("_")
    return parts[0], parts[1] if len(parts) > 1 else track_id


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(path, f"cannot read metadata JSON ({error})") from error


def _check_melody_definition(melody_definition: int) -> None:
    if melody_definition not in (1, 2):
        raise InputError(
            "melody_definition", f"must be 1 or 2 (MELODY3 is multif0), not {melody_definition!r}"
        )


# --------------------------------------------------------------------------------------
# Loaders, one per dataset layout
# --------------------------------------------------------------------------------------


def load_medleydb(root: Path, melody_definition: int = 2) -> list[Track]:
    """MedleyDB in its distributed layout.

    ``Audio/<T>/<T>_MIX.wav`` (audio ``mix``), stems ``Audio/<T>/<T>_STEMS/<T>_STEM_xx.wav``
    (audio ``stem_xx``), ``Audio/<T>/<T>_METADATA.yaml`` (title, genre; optional) and
    ``Annotations/Melody_Annotations/MELODY{1,2,3}/<T>_MELODY{1,2,3}.csv``. Kind ``melody``
    is MELODY``melody_definition`` (default 2, the definition of Bittner et al. 2017 and
    most later work); ``multif0`` is MELODY3. ``artist`` is the id's ``Artist`` prefix, so
    that it groups the same way in every MedleyDB-derived dataset.

    MedleyDB ships melody annotations for only some of its mixes; a mix without one is kept,
    without that annotation kind (consumers pick tracks by the kinds they need).
    """
    _check_melody_definition(melody_definition)
    root = Path(root)
    audio_root = _folder(root / "Audio")
    mixes = {}
    for folder in sorted(p for p in audio_root.iterdir() if p.is_dir()):
        mix = folder / f"{folder.name}_MIX.wav"
        if not mix.is_file():
            raise InputError(folder, f"track folder has no mix {mix.name}")
        mixes[folder.name] = mix
    melody_root = root / "Annotations" / "Melody_Annotations"
    wanted = {"melody": melody_definition, "multif0": 3}
    found: dict[str, dict[str, Path]] = {}
    for kind, number in wanted.items():
        folder = melody_root / f"MELODY{number}"
        found[kind] = _collect(folder, f"_MELODY{number}.csv") if folder.is_dir() else {}
        _check_have_audio(found[kind], mixes, str(audio_root / "{0}" / "{0}_MIX.wav"))
    formats = {"melody": "medleydb_melody", "multif0": "medleydb_multif0"}
    tracks = []
    for track_id, mix in mixes.items():
        audio = {"mix": AudioSource(mix)}
        stems_folder = audio_root / track_id / f"{track_id}_STEMS"
        if stems_folder.is_dir():
            for stem in sorted(stems_folder.glob(f"{track_id}_STEM_*.wav")):
                audio[f"stem_{stem.stem.rsplit('_', 1)[1]}"] = AudioSource(stem)
        artist, title = _artist_title(track_id)
        extra = _medleydb_yaml(audio_root / track_id / f"{track_id}_METADATA.yaml")
        annotations = [
            Annotation(kind, found[kind][track_id], formats[kind])
            for kind in wanted
            if track_id in found[kind]
        ]
        tracks.append(
            _make_track(
                track_id,
                audio,
                annotations,
                artist,
                extra.get("title", title),
                extra.get("genre"),
            )
        )
    return tracks


def _medleydb_yaml(path: Path) -> dict:
    """Title and genre from a MedleyDB ``_METADATA.yaml`` ({} when the file is absent)."""
    if not path.is_file():
        return {}
    try:
        contents = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise InputError(path, f"cannot read metadata YAML ({error})") from error
    return {key: str(contents[key]) for key in ("title", "genre") if contents.get(key)}


def load_medleydb_stems(root: Path) -> list[Track]:
    """MedleyDB stems with pitch annotations, one track per stem, in the distributed layout.

    ``Annotations/Pitch_Annotations/<T>_STEM_xx.csv`` (``time,f0``, kind ``pitch``) with
    the stem ``Audio/<T>/<T>_STEMS/<T>_STEM_xx.wav`` as ``mix``; stems without a pitch
    annotation are not tracks (MedleyDB annotates only its monophonic stems).
    """
    root = Path(root)
    tracks = []
    for stem_id, csv in _collect(root / "Annotations" / "Pitch_Annotations", ".csv").items():
        match = re.fullmatch(r"(.+)_STEM_\d+", stem_id)
        if match is None:
            raise InputError(csv, "pitch annotation name is not <track>_STEM_<xx>.csv")
        wav = root / "Audio" / match[1] / f"{match[1]}_STEMS" / f"{stem_id}.wav"
        if not wav.is_file():
            raise InputError(csv, f"no audio file matches this annotation (looked for {wav})")
        artist, title = _artist_title(stem_id)
        tracks.append(
            _make_track(
                stem_id,
                {"mix": AudioSource(wav)},
                [Annotation("pitch", csv, "medleydb_melody")],
                artist,
                title,
            )
        )
    return tracks


def load_medleydb_melody(root: Path, melody_definition: int = 2) -> list[Track]:
    """The mirdata "medleydb_melody" layout: ``audio/<T>_MIX.wav``,
    ``melody{1,2,3}/<T>_MELODY{1,2,3}.csv`` and ``medleydb_melody_metadata.json``.

    Kinds as in :func:`load_medleydb`; artist, title, genre and the JSON's other scalar
    fields (``is_excerpt``, ``is_instrumental``, ``n_sources``) come from the JSON.
    """
    _check_melody_definition(melody_definition)
    root = Path(root)
    mixes = _collect(root / "audio", "_MIX.wav")
    metadata = _read_json(root / "medleydb_melody_metadata.json")
    wanted = {"melody": melody_definition, "multif0": 3}
    formats = {"melody": "medleydb_melody", "multif0": "medleydb_multif0"}
    found = {}
    for kind, number in wanted.items():
        folder = root / f"melody{number}"
        found[kind] = _collect(folder, f"_MELODY{number}.csv") if folder.is_dir() else {}
        _check_have_audio(found[kind], mixes, str(root / "audio" / "{0}_MIX.wav"))
    tracks = []
    for track_id, mix in mixes.items():
        artist, title = _artist_title(track_id)
        info = _json_entry(metadata, track_id, root / "medleydb_melody_metadata.json")
        tracks.append(
            _make_track(
                track_id,
                {"mix": AudioSource(mix)},
                [
                    Annotation(kind, found[kind][track_id], formats[kind])
                    for kind in wanted
                    if track_id in found[kind]
                ],
                str(info.get("artist", artist)),
                str(info.get("title", title)),
                info.get("genre"),
                extra=_scalar_extras(info),
            )
        )
    return tracks


def _json_entry(metadata: dict, track_id: str, path: Path) -> dict:
    if track_id not in metadata:
        raise InputError(path, f"no metadata entry for track {track_id!r}")
    return metadata[track_id]


def _scalar_extras(info: dict) -> dict:
    """The JSON metadata fields other than the standard keys and file paths."""
    return {
        key: value
        for key, value in info.items()
        if key not in METADATA_KEYS
        and not key.endswith("_path")
        and isinstance(value, str | int | float | bool)
    }


def load_medleydb_pitch(root: Path) -> list[Track]:
    """The mirdata "medleydb_pitch" layout: ``audio/<T>_STEM_xx.wav``,
    ``pitch/<T>_STEM_xx.csv`` (kind ``pitch``) and ``medleydb_pitch_metadata.json``
    (artist, title, genre, instrument)."""
    root = Path(root)
    metadata_path = root / "medleydb_pitch_metadata.json"
    metadata = _read_json(metadata_path)
    tracks = []
    for track_id, wav, csv in _pair(root / "audio", ".wav", root / "pitch", ".csv"):
        artist, title = _artist_title(track_id)
        info = _json_entry(metadata, track_id, metadata_path)
        tracks.append(
            _make_track(
                track_id,
                {"mix": AudioSource(wav)},
                [Annotation("pitch", csv, "medleydb_melody")],
                str(info.get("artist", artist)),
                str(info.get("title", title)),
                info.get("genre"),
                extra=_scalar_extras(info),
            )
        )
    return tracks


def load_mdb_stem_synth(root: Path) -> list[Track]:
    """MDB-stem-synth: ``audio_stems/<T>.RESYN.wav`` and ``annotation_stems/<T>.RESYN.csv``
    (``time,f0``, hop 128/44100 s, kind ``pitch``); ``<T>`` is ``Artist_Title_STEM_xx``."""
    root = Path(root)
    pairs = _pair(root / "audio_stems", ".RESYN.wav", root / "annotation_stems", ".RESYN.csv")
    return [
        _make_track(
            track_id,
            {"mix": AudioSource(wav)},
            [Annotation("pitch", csv, "medleydb_melody")],
            *_artist_title(track_id),
        )
        for track_id, wav, csv in pairs
    ]


def load_mdb_melody_synth(root: Path) -> list[Track]:
    """MDB-melody-synth: ``audio_mix/<T>_MIX_melsynth.wav`` and the resynthesised melody
    stem's f0 ``annotation_melody/<T>_STEM_xx*.csv`` (``time,f0``, kind ``melody``).

    The layout is the one read by the seed thesis' code (kukas/music-transcription).
    """
    root = Path(root)
    audio = _collect(root / "audio_mix", "_MIX_melsynth.wav")
    annotations: dict[str, Path] = {}
    for csv in sorted(_folder(root / "annotation_melody").glob("*.csv")):
        match = re.fullmatch(r"(.+?)_STEM_\d+.*\.csv", csv.name)
        if match is None or csv.name.startswith("."):
            raise InputError(csv, "melody annotation name is not <track>_STEM_<xx>[...].csv")
        if match[1] in annotations:
            raise InputError(csv, f"a second melody annotation for track {match[1]!r}")
        annotations[match[1]] = csv
    keys = _check_pairs(
        audio,
        annotations,
        str(root / "audio_mix" / "{0}_MIX_melsynth.wav"),
        str(root / "annotation_melody" / "{0}_STEM_<xx>.csv"),
    )
    return [
        _make_track(
            key,
            {"mix": AudioSource(audio[key])},
            [Annotation("melody", annotations[key], "medleydb_melody")],
            *_artist_title(key),
        )
        for key in keys
    ]


def load_mdb_mf0_synth(root: Path) -> list[Track]:
    """MDB-mf0-synth: ``audio_mix/<T>_MIX_mf0synth.wav`` and
    ``annotation_mf0/<T>_MIX_mf0synth.csv`` (ragged ``time,f0,...``, kind ``multif0``).

    The layout is the one read by the seed thesis' code (kukas/music-transcription).
    """
    root = Path(root)
    pairs = _pair(
        root / "audio_mix", "_MIX_mf0synth.wav", root / "annotation_mf0", "_MIX_mf0synth.csv"
    )
    return [
        _make_track(
            track_id,
            {"mix": AudioSource(wav)},
            [Annotation("multif0", csv, "mdb_mf0")],
            *_artist_title(track_id),
        )
        for track_id, wav, csv in pairs
    ]


def load_orchset(root: Path) -> list[Track]:
    """ORCHSET: ``audio/mono/<T>.wav`` and ``GT/<T>.mel`` (kind ``melody``).

    ``<T>`` is ``Composer-Work-...-exN``: the composer is the ``artist`` (the grouping for
    splits), genre ``classical``; the predominant instruments come from
    ``Orchset - Predominant Melodic Instruments.csv`` when it is there.
    """
    root = Path(root)
    instruments = {}
    table = root / "Orchset - Predominant Melodic Instruments.csv"
    if table.is_file():
        frame = pd.read_csv(table, dtype=str)
        instruments = {
            name.removesuffix(".wav"): value
            for name, value in zip(frame.iloc[:, 0], frame.iloc[:, 1], strict=True)
        }
    tracks = []
    for track_id, wav, mel in _pair(root / "audio" / "mono", ".wav", root / "GT", ".mel"):
        composer, _, title = track_id.partition("-")
        extra = {"instruments": instruments[track_id]} if track_id in instruments else {}
        tracks.append(
            _make_track(
                track_id,
                {"mix": AudioSource(wav)},
                [Annotation("melody", mel, "orchset_mel")],
                composer,
                title or track_id,
                "classical",
                extra=extra,
            )
        )
    return tracks


def _load_mirex_folder(root: Path, artist: Callable[[str], str]) -> list[Track]:
    root = Path(root)
    return [
        _make_track(
            track_id,
            {"mix": AudioSource(wav)},
            [Annotation("melody", ref, "mirex_txt")],
            artist(track_id),
            track_id,
        )
        for track_id, wav, ref in _pair(root, ".wav", root, "REF.txt")
    ]


def load_adc2004(root: Path) -> list[Track]:
    """ADC2004: ``<T>.wav`` and ``<T>REF.txt`` in one folder (kind ``melody``).

    There is no artist metadata; the id without its trailing number (``daisy``, ``jazz``,
    ``midi``, ``opera_fem``, ``opera_male``, ``pop``) is the grouping used as ``artist``.
    """
    return _load_mirex_folder(root, lambda track_id: re.sub(r"\d+$", "", track_id) or track_id)


def load_mirex05(root: Path) -> list[Track]:
    """MIREX05 (train set): ``<T>.wav`` and ``<T>REF.txt`` in one folder (kind ``melody``).

    There is no artist metadata; each track is its own group (``artist`` = track id).
    """
    return _load_mirex_folder(root, lambda track_id: track_id)


def load_wjazzd(root: Path) -> list[Track]:
    """WJazzD solos: ``<T>_Solo.wav`` and ``<T>_FINAL_f0.csv`` anywhere under ``root``
    (the seed thesis keeps them in ``audio_f0/`` and ``f0/``), kind ``melody``.

    ``<T>`` is ``Performer_Title``: the performer is the ``artist``, genre ``jazz``.
    """
    root = Path(root)
    audio = _collect(root, "_Solo.wav", recursive=True)
    annotations = _collect(root, "_FINAL_f0.csv", recursive=True)
    keys = _check_pairs(audio, annotations, "{0}_Solo.wav", "{0}_FINAL_f0.csv")
    return [
        _make_track(
            key,
            {"mix": AudioSource(audio[key])},
            [Annotation("melody", annotations[key], "wjazzd_f0")],
            *_artist_title(key),
            "jazz",
        )
        for key in keys
    ]


def load_ikala(root: Path) -> list[Track]:
    """iKala: ``Wavfile/<T>.wav`` (left channel accompaniment, right channel voice) and
    ``PitchLabel/<T>.pv`` (kind ``melody``, the voice's f0).

    Audio sources: ``mix`` (the downmix), ``vocals`` (channel 1), ``accompaniment``
    (channel 0). ``<T>`` is ``<songid>_<section>``; the singer from ``id_mapping.txt``
    (``singer songid`` rows) is the ``artist``, ``singer<n>``.
    """
    root = Path(root)
    mapping_path = root / "id_mapping.txt"
    singers = {}
    if mapping_path.is_file():
        try:
            mapping = pd.read_csv(mapping_path, sep=r"\s+", dtype=str)
            singers = dict(zip(mapping["songid"], mapping["singer"], strict=True))
        except (ValueError, KeyError) as error:
            raise InputError(mapping_path, f"cannot read singer mapping ({error})") from error
    tracks = []
    for track_id, wav, pv in _pair(root / "Wavfile", ".wav", root / "PitchLabel", ".pv"):
        song_id, _, section = track_id.partition("_")
        if singers and song_id not in singers:
            raise InputError(mapping_path, f"no singer for song {song_id!r} (track {track_id})")
        tracks.append(
            _make_track(
                track_id,
                {
                    "mix": AudioSource(wav),
                    "vocals": AudioSource(wav, channel=1),
                    "accompaniment": AudioSource(wav, channel=0),
                },
                [Annotation("melody", pv, "ikala_pv")],
                f"singer{singers[song_id]}" if singers else song_id,
                track_id,
                extra={"section": section},
            )
        )
    return tracks


def _bach10_pieces(root: Path) -> list[tuple[str, Path, Path]]:
    """(piece, mix, GTF0s.mat) for every ``<piece>/`` folder that holds either file."""
    pieces = []
    for folder in sorted(p for p in _folder(Path(root)).iterdir() if p.is_dir()):
        mix, mat = folder / f"{folder.name}.wav", folder / f"{folder.name}-GTF0s.mat"
        if mat.is_file() and not mix.is_file():
            raise InputError(mat, f"no audio file matches this annotation (looked for {mix})")
        if mix.is_file() and not mat.is_file():
            raise InputError(mix, f"no annotation matches this audio file (looked for {mat})")
        if mix.is_file():
            pieces.append((folder.name, mix, mat))
    return pieces


def _bach10_stems(folder: Path, piece: str, mat: Path) -> dict[str, AudioSource]:
    stems = {}
    for name, suffix in BACH10_PARTS:
        wav = folder / f"{piece}-{suffix}.wav"
        if not wav.is_file():
            raise InputError(mat, f"the {name} part has no audio (looked for {wav})")
        stems[name] = AudioSource(wav)
    return stems


def _bach10_title(piece: str) -> str:
    return re.sub(r"^\d+-", "", piece)


def load_bach10(root: Path) -> list[Track]:
    """Bach10: ``<piece>/<piece>.wav`` and ``<piece>/<piece>-GTF0s.mat`` (kind ``multif0``).

    The four part recordings ``<piece>-{violin,clarinet,saxphone,bassoon}.wav`` are audio
    sources ``violin``, ``clarinet``, ``saxophone``, ``bassoon``. All pieces are Bach
    chorales, so the grouping for splits (``artist``) is the piece itself.
    """
    tracks = []
    for piece, mix, mat in _bach10_pieces(root):
        audio = {"mix": AudioSource(mix), **_bach10_stems(mix.parent, piece, mat)}
        tracks.append(
            _make_track(
                piece,
                audio,
                [Annotation("multif0", mat, "bach10_mat")],
                piece,
                _bach10_title(piece),
                "classical",
                extra={"composer": "J. S. Bach"},
            )
        )
    return tracks


def load_bach10_stems(root: Path) -> list[Track]:
    """Bach10 parts, one track ``<piece>-<instrument>`` per part recording (as ``mix``) with
    its row of ``GTF0s`` as kind ``pitch``; grouped by piece like :func:`load_bach10`."""
    tracks = []
    for piece, mix, mat in _bach10_pieces(root):
        stems = _bach10_stems(mix.parent, piece, mat)
        for part, (name, _) in enumerate(BACH10_PARTS):
            tracks.append(
                _make_track(
                    f"{piece}-{name}",
                    {"mix": stems[name]},
                    [Annotation("pitch", mat, "bach10_mat", part=part)],
                    piece,
                    _bach10_title(piece),
                    "classical",
                    extra={"composer": "J. S. Bach", "instrument": name},
                )
            )
    return sorted(tracks, key=lambda track: track.track_id)


def _salami_header(path: Path) -> dict[str, str]:
    """The ``# key: value`` header of a Billboard ``salami_chords.txt``."""
    if not path.is_file():
        raise InputError(path, "Billboard salami_chords.txt (title and artist) is missing")
    header = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        match = re.match(r"#\s*(\w+):\s*(.*?)\s*$", line)
        if match:
            header[match[1].lower()] = match[2]
    for key in ("title", "artist"):
        if not header.get(key):
            raise InputError(path, f"no '# {key}:' line in the header")
    return header


def load_billboard(root: Path, vocabulary: str = "full") -> list[Track]:
    """McGill Billboard: ``McGill-Billboard/<id>/<vocabulary>.lab`` (kind ``chords``) with
    audio at ``audio/<decade>/<artist>/<title>/audio.flac`` (mirdata's layout).

    The dataset ships no audio; an id is matched to its audio by the title and artist in its
    ``salami_chords.txt`` header, ignoring case (the header may say "I Don't mind" for the
    folder "I Don't Mind"). ``vocabulary`` is one of ``BILLBOARD_VOCABULARIES``.
    """
    if vocabulary not in BILLBOARD_VOCABULARIES:
        raise InputError(
            "vocabulary", f"{vocabulary!r} is not one of {', '.join(BILLBOARD_VOCABULARIES)}"
        )
    root = Path(root)
    audio_files: dict[tuple[str, str], list[Path]] = {}
    for flac in sorted(_folder(root / "audio").glob("*/*/*/audio.flac")):
        key = (flac.parent.parent.name.casefold(), flac.parent.name.casefold())
        audio_files.setdefault(key, []).append(flac)
    used: set[Path] = set()
    tracks = []
    for folder in sorted(p for p in _folder(root / "McGill-Billboard").iterdir() if p.is_dir()):
        lab = folder / f"{vocabulary}.lab"
        if not lab.is_file():
            raise InputError(folder, f"no {vocabulary}.lab chord file")
        header = _salami_header(folder / "salami_chords.txt")
        matches = audio_files.get((header["artist"].casefold(), header["title"].casefold()), [])
        if len(matches) != 1:
            found = "no" if not matches else f"{len(matches)}"
            raise InputError(
                lab,
                f"{found} audio files match this annotation (looked for "
                f"{root / 'audio' / '*' / header['artist'] / header['title'] / 'audio.flac'})",
            )
        used.add(matches[0])
        tracks.append(
            _make_track(
                folder.name,
                {"mix": AudioSource(matches[0])},
                [Annotation("chords", lab, "lab_chords")],
                header["artist"],
                header["title"],
                extra={"decade": matches[0].parent.parent.parent.name},
            )
        )
    for flacs in audio_files.values():
        for flac in flacs:
            if flac not in used:
                raise InputError(flac, "no Billboard annotation matches this audio file")
    return tracks


def _isophonics_title(name: str) -> str:
    """``11_-_Do_You_Want_To_Know_A_Secret`` -> ``Do You Want To Know A Secret``."""
    return re.sub(r"^\d+(_-_|\s*-\s*|[_ ])", "", name).replace("_", " ").strip() or name


def load_isophonics(root: Path) -> list[Track]:
    """Isophonics chord annotations (The Beatles, Queen, Carole King, Zweieck):
    ``annotations/chordlab/<artist>/<album>/<track>.lab`` (kind ``chords``) with audio at
    ``audio/<artist>/<album>/<track>.{wav,flac}`` or ``audio/<album>/<track>.{wav,flac}``
    (mirdata's Beatles layout).

    The track id is ``<album>-<track>``; metadata holds ``album``; genre is unknown.
    """
    root = Path(root)
    chordlab = _folder(root / "annotations" / "chordlab")
    audio_root = _folder(root / "audio")
    audio_files = {
        p for p in audio_root.rglob("*") if p.suffix in (".wav", ".flac") and p.is_file()
    }
    used: set[Path] = set()
    tracks = []
    for lab in sorted(chordlab.rglob("*.lab")):
        parts = lab.relative_to(chordlab).parts
        if len(parts) != 3:
            raise InputError(lab, "chord file is not at chordlab/<artist>/<album>/<track>.lab")
        artist, album, name = parts[0], parts[1], lab.stem
        candidates = [
            folder / f"{name}{suffix}"
            for folder in (audio_root / artist / album, audio_root / album)
            for suffix in (".wav", ".flac")
        ]
        matches = [path for path in candidates if path in audio_files]
        if not matches:
            raise InputError(
                lab, f"no audio file matches this annotation (looked for {candidates[0]})"
            )
        used.add(matches[0])
        tracks.append(
            _make_track(
                f"{album}-{name}",
                {"mix": AudioSource(matches[0])},
                [Annotation("chords", lab, "lab_chords")],
                artist,
                _isophonics_title(name),
                extra={"album": album},
            )
        )
    for path in sorted(audio_files - used):
        raise InputError(path, "no chord annotation matches this audio file")
    return sorted(tracks, key=lambda track: track.track_id)


#: Synth annotation file suffixes: (kind, format).
SYNTH_ANNOTATIONS = {
    "MELODY.csv": ("melody", "medleydb_melody"),
    "BASS.csv": ("bass", "medleydb_melody"),
    "MULTIF0.csv": ("multif0", "mdb_mf0"),
    "NOTES.csv": ("notes", "notes_csv"),
    "CHORDS.lab": ("chords", "lab_chords"),
}
#: Synth stems, each an audio source of its track.
SYNTH_STEMS = ("melody", "bass", "chords", "drums")
#: Audio sources that preprocessing sums from a track's sources when the track has none of
#: that name (``dataset source: accompaniment``): a synth track's accompaniment is every stem
#: but the melody (the mix minus the melody stem, up to the 16-bit rounding of each file).
SUMMED_SOURCES = {"accompaniment": ("bass", "chords", "drums")}


def load_synth(root: Path) -> list[Track]:
    """The embedded synthetic dataset (``mirlab.data.synth``): ``metadata.json``,
    ``audio/<T>_MIX.wav``, ``stems/<T>_<stem>.wav`` (audio sources ``melody``, ``bass``,
    ``chords``, ``drums``; preprocessing sums ``accompaniment``, see ``SUMMED_SOURCES``) and
    ``annotations/<T>_{MELODY,BASS,MULTIF0,NOTES,CHORDS}.*`` (kinds melody, bass, multif0,
    notes, chords; ``MELODY`` is required).

    Metadata is the track's ``metadata.json`` entry, with ``duration`` from the audio.
    """
    root = Path(root)
    metadata_path = root / "metadata.json"
    metadata = _read_json(metadata_path)
    mixes = _collect(root / "audio", "_MIX.wav")
    annotations: dict[str, list[Annotation]] = {}
    for path in sorted(_folder(root / "annotations").iterdir()):
        if path.name.startswith("."):
            continue
        match = re.fullmatch(rf"(.+)_({'|'.join(map(re.escape, SYNTH_ANNOTATIONS))})", path.name)
        if match is None:
            raise InputError(path, "not a synth annotation name <track>_<KIND>.<ext>")
        kind, fmt = SYNTH_ANNOTATIONS[match[2]]
        annotations.setdefault(match[1], []).append(Annotation(kind, path, fmt))
    melodies = {
        track_id: a.path
        for track_id, items in annotations.items()
        for a in items
        if a.kind == "melody"
    }
    _check_have_audio(
        {track_id: items[0].path for track_id, items in annotations.items()},
        mixes,
        str(root / "audio" / "{0}_MIX.wav"),
    )
    keys = _check_pairs(
        mixes,
        melodies,
        str(root / "audio" / "{0}_MIX.wav"),
        str(root / "annotations" / "{0}_MELODY.csv"),
    )
    for track_id in sorted(metadata.keys() - mixes.keys()):
        raise InputError(metadata_path, f"track {track_id!r} has no audio in {root / 'audio'}")
    stems_folder = root / "stems"
    tracks = []
    for track_id in keys:
        info = dict(_json_entry(metadata, track_id, metadata_path))
        audio = {"mix": AudioSource(mixes[track_id])}
        for stem in SYNTH_STEMS:
            wav = stems_folder / f"{track_id}_{stem}.wav"
            if wav.is_file():
                audio[stem] = AudioSource(wav)
        artist, title = info.pop("artist", track_id), info.pop("title", track_id)
        genre = info.pop("genre", None)
        info.pop("duration", None)
        tracks.append(
            _make_track(track_id, audio, annotations[track_id], artist, title, genre, extra=info)
        )
    return tracks


# --------------------------------------------------------------------------------------
# Multi-pitch datasets (SPEC 5.1): note lists and per-voice f0
# --------------------------------------------------------------------------------------

#: MAPS recording categories (isolated notes, random chords, usual chords, pieces).
MAPS_CATEGORIES = ("ISOL", "RAND", "UCHO", "MUS")
#: A MAPS file name: ``MAPS_<category>[-_]<what>_<piano>`` (``MAPS_MUS-alb_se3_AkPnBcht``).
MAPS_NAME = re.compile(r"MAPS_(ISOL|RAND|UCHO|MUS)[-_](.+)_([A-Za-z0-9]+)")


def _notes_annotations(path: Path, fmt: str, more_paths: tuple[Path, ...] = ()) -> list:
    """A note list as kind ``notes`` and, read on a 10 ms grid, as kind ``multif0``."""
    return [Annotation(kind, path, fmt, more_paths=more_paths) for kind in ("notes", "multif0")]


def _files_by_stem(paths: Iterable[Path]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted(paths):
        if path.is_file() and not path.name.startswith("."):
            if path.stem in found:
                raise InputError(
                    path, f"a second file for track {path.stem!r} ({found[path.stem]})"
                )
            found[path.stem] = path
    return found


def load_maps(root: Path, categories: Iterable[str] | None = None) -> list[Track]:
    """MAPS: ``MAPS_*.wav`` anywhere under ``root`` (the distribution keeps them in
    ``<piano>/<category>/...``), each with its note list ``MAPS_*.txt`` beside it (header
    ``OnsetTime OffsetTime MidiPitch``, tab separated; format ``maps_txt``): kinds ``notes``
    and ``multif0`` (the notes on a 10 ms grid). The ``.mid`` files beside them hold the same
    notes and are not read.

    The piano (the name's last part: ``AkPnBcht`` ... ``ENSTDkCl``/``ENSTDkAm``, the real
    Disklavier recordings) is the ``artist``, so that splits can hold out pianos; metadata
    ``category`` and ``piano``; genre ``classical`` for the pieces (``MUS``). ``categories``
    keeps only those categories (e.g. ``["MUS"]``).
    """
    root = Path(root)
    wanted = None if categories is None else [str(c) for c in categories]
    for category in wanted or []:
        if category not in MAPS_CATEGORIES:
            raise InputError(
                "categories", f"{category!r} is not one of {', '.join(MAPS_CATEGORIES)}"
            )
    audio = _files_by_stem(_folder(root).rglob("MAPS_*.wav"))
    notes = _files_by_stem(root.rglob("MAPS_*.txt"))
    for key, txt in notes.items():
        if key not in audio or audio[key].parent != txt.parent:
            raise InputError(
                txt, f"no audio file matches this note list (looked for {txt.with_suffix('.wav')})"
            )
    tracks = []
    for key, wav in audio.items():
        if key not in notes:
            raise InputError(
                wav, f"no note list matches this audio file (looked for {wav.with_suffix('.txt')})"
            )
        match = MAPS_NAME.fullmatch(key)
        if match is not None:
            category, title, piano = match.groups()
        else:  # not a MAPS name: the first folder under the root is the piano's
            parts = wav.relative_to(root).parts
            category, title, piano = None, key, parts[0] if len(parts) > 1 else key
        if wanted is not None and category not in wanted:
            continue
        tracks.append(
            _make_track(
                key,
                {"mix": AudioSource(wav)},
                _notes_annotations(notes[key], "maps_txt"),
                piano,
                title,
                "classical" if category == "MUS" else None,
                extra={"category": category, "piano": piano},
            )
        )
    return sorted(tracks, key=lambda track: track.track_id)


#: MusicNet's parts, each a ``<part>_data/`` and a ``<part>_labels/`` folder.
MUSICNET_PARTS = ("train", "test")


def load_musicnet(root: Path) -> list[Track]:
    """MusicNet: ``{train,test}_data/<id>.wav`` with ``{train,test}_labels/<id>.csv`` (header
    ``start_time,end_time,instrument,note,start_beat,end_beat,note_value``, times in samples
    at 44.1 kHz; format ``musicnet_csv``): kinds ``notes`` and ``multif0`` (10 ms grid).

    ``musicnet_metadata.csv`` (``id, composer, composition, movement, ensemble, ...``), when
    there, gives the ``artist`` (the composer, the grouping for splits), the title
    (composition, movement) and metadata ``ensemble``; without it each track is its own
    group. Metadata ``part`` is ``train`` or ``test`` (the published split).
    """
    root = Path(root)
    parts = [
        part
        for part in MUSICNET_PARTS
        if (root / f"{part}_data").is_dir() or (root / f"{part}_labels").is_dir()
    ]
    if not parts:
        raise InputError(root, "no train_data/ or test_data/ folder (the MusicNet layout)")
    table_path = root / "musicnet_metadata.csv"
    info: dict[str, dict] = {}
    if table_path.is_file():
        try:
            table = pd.read_csv(table_path, dtype=str, keep_default_na=False)
            info = {row["id"]: row for row in table.to_dict("records")}
        except (ValueError, KeyError, pd.errors.ParserError) as error:
            raise InputError(table_path, f"cannot read MusicNet metadata ({error})") from error
    tracks = []
    for part in parts:
        for track_id, wav, csv in _pair(
            root / f"{part}_data", ".wav", root / f"{part}_labels", ".csv"
        ):
            if info and track_id not in info:
                raise InputError(table_path, f"no row for recording {track_id!r} ({wav})")
            row = info.get(track_id, {})
            title = ", ".join(row[k] for k in ("composition", "movement") if row.get(k))
            tracks.append(
                _make_track(
                    track_id,
                    {"mix": AudioSource(wav)},
                    _notes_annotations(csv, "musicnet_csv"),
                    row.get("composer") or track_id,
                    title or track_id,
                    "classical",
                    extra={"part": part, "ensemble": row.get("ensemble") or None},
                )
            )
    return sorted(tracks, key=lambda track: track.track_id)


#: Slakh2100 split folders a ``TrackXXXXX`` folder may sit in.
SLAKH_SPLITS = ("train", "validation", "test", "omitted")


def _slakh_stems(folder: Path, metadata_path: Path) -> dict[str, dict]:
    try:
        contents = yaml.safe_load(metadata_path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise InputError(metadata_path, f"cannot read metadata YAML ({error})") from error
    stems = contents.get("stems") if isinstance(contents, dict) else None
    if not isinstance(stems, dict) or not stems:
        raise InputError(metadata_path, "no 'stems:' mapping (Slakh2100 metadata.yaml)")
    for name, stem in stems.items():
        if not isinstance(stem, dict):
            raise InputError(metadata_path, f"stem {name!r} is not a mapping")
    return {"uuid": contents.get("UUID"), "stems": stems}


def load_slakh(root: Path) -> list[Track]:
    """Slakh2100 (``slakh2100_flac_redux`` or the original): ``[<split>/]TrackXXXXX/`` with
    ``mix.flac``, ``metadata.yaml``, ``MIDI/Sxx.mid`` and ``stems/Sxx.flac``.

    Kinds ``notes`` and ``multif0`` (10 ms grid) are the notes of the mix: those of every
    stem that ``metadata.yaml`` says is rendered into it (``audio_rendered``) and is not a
    drum kit (``is_drum``), read from their ``MIDI/Sxx.mid`` files together (format
    ``midi``; reading needs ``pretty_midi``). Audio sources: ``mix`` and each rendered stem
    ``Sxx`` found in ``stems/``. ``artist`` is the source Lakh MIDI file's ``UUID`` (tracks
    rendered from one song group together), else the track id; metadata ``split`` is the
    split folder, ``inst_classes`` the pitched stems' instrument classes.
    """
    root = Path(root)
    folders = sorted(
        path
        for pattern in ("Track*", *(f"{split}/Track*" for split in SLAKH_SPLITS))
        for path in _folder(root).glob(pattern)
        if path.is_dir()
    )
    tracks = []
    for folder in folders:
        mix = next((folder / n for n in ("mix.flac", "mix.wav") if (folder / n).is_file()), None)
        if mix is None:
            raise InputError(folder, "track folder has no mix.flac")
        metadata_path = folder / "metadata.yaml"
        if not metadata_path.is_file():
            raise InputError(folder, "track folder has no metadata.yaml (which stems are pitched)")
        metadata = _slakh_stems(folder, metadata_path)
        audio = {"mix": AudioSource(mix)}
        midis, classes = [], []
        for name, stem in sorted(metadata["stems"].items()):
            if not stem.get("audio_rendered", True):
                continue
            for suffix in (".flac", ".wav"):
                if (folder / "stems" / f"{name}{suffix}").is_file():
                    audio[str(name)] = AudioSource(folder / "stems" / f"{name}{suffix}")
                    break
            if stem.get("is_drum", False):
                continue
            midi = folder / "MIDI" / f"{name}.mid"
            if not midi.is_file():
                raise InputError(
                    metadata_path, f"pitched stem {name} has no MIDI file (looked for {midi})"
                )
            midis.append(midi)
            classes.append(str(stem.get("inst_class", "")))
        split = folder.parent.name if folder.parent != root else None
        annotations = _notes_annotations(midis[0], "midi", tuple(midis[1:])) if midis else []
        tracks.append(
            _make_track(
                folder.name,
                audio,
                annotations,
                str(metadata["uuid"] or folder.name),
                folder.name,
                extra={"split": split, "inst_classes": ",".join(classes)},
            )
        )
    if not folders:
        raise InputError(root, "no TrackXXXXX folders (the Slakh2100 layout)")
    return sorted(tracks, key=lambda track: track.track_id)


#: A Dagstuhl ChoirSet audio file: ``<take>_<microphone>.wav``, the take
#: ``DCS_<piece>_<setting>_Take<nn>``; the mixture is the stereo main microphone ``STM``.
DAGSTUHL_AUDIO = re.compile(r"(DCS_([^_]+)_([^_]+)_(Take\d+))_(.+)")
DAGSTUHL_MIX = "Stereo_STM"


def load_dagstuhl_choirset(root: Path, notes: bool = True) -> list[Track]:
    """Dagstuhl ChoirSet: ``audio_wav_22050_mono/<take>_<mic>.wav`` (each singer's ``DYN``,
    ``HSM`` and ``LRX`` microphones, e.g. ``S1_LRX``, and the room microphones
    ``Stereo_STM``/``STL``/``STR``, ``StereoReverb_STM``); ``<take>`` is
    ``DCS_<piece>_<setting>_Take<nn>``.

    The mix is ``Stereo_STM``; every other microphone is an audio source named in lower case
    (``s1_lrx``, ``stereo_stl``). Kind ``multif0`` is every voice's manual f0 together,
    ``annotations_csv_F0_manual/<take>_<voice>_LRX.csv`` (``time,f0``; format
    ``f0_voices_csv``); kind ``notes`` is the score of every voice,
    ``annotations_csv_scorerepresentation/<take>_Stereo_STM_<S|A|T|B>.csv`` (``start,end,midi``;
    format ``midi_notes_csv``). A take without one of them lacks that kind (as in
    MedleyDB); ``notes=False`` leaves the score out (the repository's 1 s fixture crop is
    shorter than its score). ``artist`` is the setting (``QuartetA``, ``QuartetB``,
    ``FullChoir``), the title the piece; metadata ``take`` and ``voices``, genre ``choral``.
    """
    root = Path(root)
    audio_folder = _folder(root / "audio_wav_22050_mono")
    takes: dict[str, dict[str, Path]] = {}
    for wav in sorted(audio_folder.glob("*.wav")):
        if wav.name.startswith("."):
            continue
        match = DAGSTUHL_AUDIO.fullmatch(wav.stem)
        if match is None:
            raise InputError(wav, "audio name is not DCS_<piece>_<setting>_Take<nn>_<mic>.wav")
        takes.setdefault(match[1], {})[match[5]] = wav

    def voice_files(folder: Path, pattern: str) -> dict[str, list[Path]]:
        found: dict[str, list[Path]] = {}
        if not folder.is_dir():
            return found
        for csv in sorted(folder.glob("*.csv")):
            match = re.fullmatch(pattern, csv.name)
            if match is None:
                continue
            if match[1] not in takes:
                raise InputError(
                    csv, f"no audio of take {match[1]!r} in {audio_folder} for this annotation"
                )
            found.setdefault(match[1], []).append(csv)
        return found

    f0 = voice_files(root / "annotations_csv_F0_manual", r"(.+)_([SATB]\d+)_LRX\.csv")
    score = voice_files(
        root / "annotations_csv_scorerepresentation", r"(.+)_Stereo_STM_([SATB])\.csv"
    )
    tracks = []
    for take, mics in takes.items():
        if DAGSTUHL_MIX not in mics:
            expected = audio_folder / f"{take}_{DAGSTUHL_MIX}.wav"
            raise InputError(
                next(iter(mics.values())), f"take {take!r} has no mix (looked for {expected})"
            )
        audio = {"mix": AudioSource(mics[DAGSTUHL_MIX])}
        audio.update(
            {mic.lower(): AudioSource(path) for mic, path in mics.items() if mic != DAGSTUHL_MIX}
        )
        annotations = []
        if take in f0:
            paths = f0[take]
            annotations.append(
                Annotation("multif0", paths[0], "f0_voices_csv", more_paths=tuple(paths[1:]))
            )
        if notes and take in score:
            paths = score[take]
            annotations.append(
                Annotation("notes", paths[0], "midi_notes_csv", more_paths=tuple(paths[1:]))
            )
        _, piece, setting, number = DAGSTUHL_AUDIO.fullmatch(mics[DAGSTUHL_MIX].stem).groups()[:4]
        voices = [re.fullmatch(r".+_([SATB]\d+)_LRX\.csv", p.name)[1] for p in f0.get(take, [])]
        tracks.append(
            _make_track(
                take,
                audio,
                annotations,
                setting,
                piece,
                "choral",
                extra={"take": number, "voices": ",".join(voices)},
            )
        )
    if not tracks:
        raise InputError(audio_folder, "no Dagstuhl ChoirSet audio files")
    return tracks


# --------------------------------------------------------------------------------------
# A dataset from any folder
# --------------------------------------------------------------------------------------

#: Format names the ``folder`` loader accepts besides the reader formats of
#: ``mirlab.data.readers.READERS`` (``maps_txt``, ``madmom_notes``, ``musicnet_csv``,
#: ``notes_csv``, ``midi``, ...), by what users call them.
FOLDER_FORMATS = {
    "mirex_csv": "medleydb_melody",  # headerless time,f0 CSV
    "mirex_txt": "mirex_txt",  # whitespace separated time f0
    "multif0_csv": "mdb_mf0",  # ragged time,f0,... CSV rows
    "multif0_txt": "mirex_multif0_txt",  # MIREX multi-f0 rows: time f0 f0 ...
    "lab": "lab_chords",  # start end label, Harte chords
    "jams": "jams_chords",  # a .jams file's chord annotation
}
#: Keys of one ``annotations`` entry of the ``folder`` loader.
FOLDER_ANNOTATION_KEYS = ("glob", "format", "required")


@dataclass(frozen=True)
class _NamePattern:
    """A glob whose matches are named by what varies: ``<sub-folders>/<name's *>``."""

    glob: str
    base: str  # the glob's leading folders without wildcards
    prefix: str  # the file name's part before its '*'
    suffix: str  # and after it ('' and the whole name when there is no '*')
    star: bool

    @classmethod
    def parse(cls, glob: object, where: str) -> _NamePattern:
        if not isinstance(glob, str) or not glob.strip():
            raise InputError(where, f"must be a glob such as '*.wav', not {glob!r}")
        parts = glob.replace("\\", "/").split("/")
        if glob.startswith("/") or ".." in parts or "" in parts:
            raise InputError(where, f"{glob!r} must be a relative glob inside the dataset root")
        name = parts[-1]
        if any(c in name for c in "?[]") or name.count("*") > 1:
            raise InputError(
                where,
                f"{glob!r}: the file-name part may hold one '*' and no other wildcard "
                "(what the '*' matches names the track)",
            )
        base = []
        for part in parts[:-1]:
            if any(c in part for c in "*?["):
                break
            base.append(part)
        prefix, star, suffix = name.partition("*")
        return cls(glob, "/".join(base), prefix, suffix, bool(star))

    def matches(self, root: Path) -> dict[str, Path]:
        """Files matched under ``root``, by track name (hidden files skipped)."""
        found: dict[str, Path] = {}
        for path in sorted(root.glob(self.glob)):
            if not path.is_file() or path.name.startswith("."):
                continue
            key = self.key(root, path)
            if key in found:
                raise InputError(path, f"a second file for track {key!r} (first: {found[key]})")
            found[key] = path
        return found

    def key(self, root: Path, path: Path) -> str:
        folders = path.parent.relative_to(root / self.base).as_posix() if self.base else None
        if folders is None:
            folders = path.parent.relative_to(root).as_posix()
        name = path.name[len(self.prefix) : len(path.name) - len(self.suffix)] if self.star else ""
        key = "/".join(part for part in (folders, name) if part and part != ".")
        if not key:
            raise InputError(
                path,
                f"cannot name a track from this file ({self.glob!r} has no '*' in its file "
                "name and the file is in no sub-folder)",
            )
        return key

    def expected(self, root: Path, key: str) -> Path:
        """Where the file of track ``key`` would be."""
        folders, _, name = key.rpartition("/") if self.star else (key, "", "")
        file = f"{self.prefix}{name}{self.suffix}"
        return root / self.base / folders / file if folders else root / self.base / file


def _folder_annotation_specs(annotations: object) -> dict[str, tuple[_NamePattern, str, bool]]:
    """The ``annotations`` option checked: kind -> (pattern, reader format, required)."""
    from mirlab.data import readers

    if not isinstance(annotations, dict) or not annotations:
        raise InputError(
            "options.annotations",
            "the folder loader needs annotations: a mapping of kind to {glob, format}, e.g. "
            "{melody: {glob: '*.csv', format: mirex_csv}}",
        )
    specs = {}
    for kind, spec in annotations.items():
        where = f"options.annotations.{kind}"
        if kind not in ANNOTATION_KINDS:
            raise InputError(where, f"unknown kind; kinds: {', '.join(ANNOTATION_KINDS)}")
        if not isinstance(spec, dict):
            raise InputError(where, "must be a mapping {glob, format[, required]}")
        for key in spec:
            if key not in FOLDER_ANNOTATION_KEYS:
                raise InputError(
                    f"{where}.{key}", f"unknown key (known: {', '.join(FOLDER_ANNOTATION_KEYS)})"
                )
        for key in ("glob", "format"):
            if key not in spec:
                raise InputError(f"{where}.{key}", "missing")
        name = str(spec["format"])
        fmt = FOLDER_FORMATS.get(name, name)
        if fmt not in readers.READERS:
            known = sorted({*FOLDER_FORMATS, *readers.READERS})
            raise InputError(
                f"{where}.format", f"unknown format {name!r} (known: {', '.join(known)})"
            )
        contents = readers.FORMAT_CONTENTS[fmt]
        if kind not in readers.CONTENT_KINDS[contents]:
            raise InputError(
                f"{where}.format",
                f"{name!r} holds {contents}, which cannot be read as kind {kind!r} "
                f"(only as {', '.join(readers.CONTENT_KINDS[contents])})",
            )
        required = spec.get("required", True)
        if not isinstance(required, bool):
            raise InputError(f"{where}.required", f"must be true or false, not {required!r}")
        specs[kind] = (_NamePattern.parse(spec["glob"], f"{where}.glob"), fmt, required)
    return specs


def _folder_metadata(root: Path, metadata: str | None) -> tuple[Path | None, dict[str, dict]]:
    """Rows of the metadata CSV by ``track_id`` ({} without one)."""
    if metadata is None:
        return None, {}
    path = Path(root, metadata)
    if not path.is_file():
        raise InputError(path, "metadata CSV does not exist")
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError) as error:
        raise InputError(path, f"cannot read metadata CSV ({error})") from error
    if "track_id" not in table.columns:
        raise InputError(path, f"no track_id column (columns: {', '.join(table.columns)})")
    rows: dict[str, dict] = {}
    for number, row in enumerate(table.to_dict("records"), start=1):
        if row["track_id"] in rows:
            raise InputError(path, f"track {row['track_id']!r} appears twice (data row {number})")
        rows[row["track_id"]] = row
    return path, rows


def load_folder(
    root: Path,
    audio: str | list[str] = "*.wav",
    annotations: dict | None = None,
    artist_pattern: str | None = None,
    metadata: str | None = None,
) -> list[Track]:
    """Any folder of audio files with annotation files, paired by name.

    ``audio`` is a glob (or a list of globs) under ``root``; ``annotations`` maps each kind
    to ``{glob, format, required}``: ``format`` is one of ``FOLDER_FORMATS`` (``mirex_csv``
    ``time,f0``, ``mirex_txt``, ``multif0_csv``, ``multif0_txt``, ``lab``) or a reader format
    (``maps_txt``, ``madmom_notes``, ``notes_csv``, ``musicnet_csv``, ``midi``, ...); a note
    list may be read as kind ``notes`` or ``multif0``. ``required`` (default true) makes an
    audio file without that annotation an error.

    A file's track id is what varies in its glob: its sub-folders below the glob's fixed
    leading folders, then what the file name's ``*`` matches (``audio/*.wav`` and
    ``f0/*.f0.csv`` pair ``audio/take1.wav`` with ``f0/take1.f0.csv`` as ``take1``;
    ``**/*.wav`` names ``a/x.wav`` ``a/x``). An annotation without audio, audio without a
    required annotation, and unreadable audio are errors naming the file.

    ``artist`` (the grouping for splits) is the first group (or the group named ``artist``)
    of the regular expression ``artist_pattern`` searched in the track id, or the ``artist``
    column of the CSV ``metadata`` (path under ``root``; a ``track_id`` column, and any of
    ``artist``, ``title``, ``genre`` and further columns, kept as metadata), else the track
    id. ``.jams`` files are read with the ``jams`` package: ``jams`` (or ``jams_chords``)
    for their chords, ``jams_pitch`` for their ``pitch_contour``.
    """
    root = _folder(Path(root))
    specs = _folder_annotation_specs(annotations)
    globs = [audio] if isinstance(audio, str) else list(audio)
    if not globs:
        raise InputError("options.audio", "needs at least one glob")
    audio_files: dict[str, Path] = {}
    audio_patterns = [_NamePattern.parse(glob, "options.audio") for glob in globs]
    for pattern in audio_patterns:
        for key, path in pattern.matches(root).items():
            if key in audio_files:
                raise InputError(
                    path, f"a second audio file for track {key!r} (first: {audio_files[key]})"
                )
            audio_files[key] = path
    found = {kind: pattern.matches(root) for kind, (pattern, _, _) in specs.items()}
    hint = " or ".join(pattern.glob for pattern in audio_patterns)
    for kind, files in found.items():
        for key in sorted(files.keys() - audio_files.keys()):
            raise InputError(
                files[key],
                f"no audio file matches this {kind} annotation (looked for track {key!r} "
                f"among {hint} under {root})",
            )
    for kind, (pattern, _, required) in specs.items():
        if required:
            for key in sorted(audio_files.keys() - found[kind].keys()):
                raise InputError(
                    audio_files[key],
                    f"no {kind} annotation matches this audio file "
                    f"(looked for {pattern.expected(root, key)})",
                )
    if not audio_files:
        raise InputError(root, f"no audio files match {hint}")
    metadata_path, rows = _folder_metadata(root, metadata)
    for key in sorted(rows.keys() - audio_files.keys()):
        raise InputError(metadata_path, f"track {key!r} has no audio file ({hint})")
    regex = None
    if artist_pattern is not None:
        if rows and "artist" in next(iter(rows.values())):
            raise InputError(
                "options.artist_pattern", f"the metadata CSV {metadata_path} gives artist already"
            )
        try:
            regex = re.compile(artist_pattern)
        except re.error as error:
            raise InputError(
                "options.artist_pattern", f"not a regular expression ({error})"
            ) from error
    tracks = []
    for key, path in sorted(audio_files.items()):
        if rows and key not in rows:
            raise InputError(metadata_path, f"no row for track {key!r} ({path})")
        row = dict(rows.get(key, {}))
        row.pop("track_id", None)
        artist = row.pop("artist", None) or key
        if regex is not None:
            match = regex.search(key)
            if match is None:
                raise InputError(
                    path, f"artist_pattern {artist_pattern!r} does not match track id {key!r}"
                )
            group = "artist" if "artist" in regex.groupindex else (1 if regex.groups else 0)
            artist = match[group] or key
        annotations_of_track = [
            Annotation(kind, found[kind][key], fmt)
            for kind, (_, fmt, _) in specs.items()
            if key in found[kind]
        ]
        tracks.append(
            _make_track(
                key,
                {"mix": AudioSource(path)},
                annotations_of_track,
                artist,
                row.pop("title", None) or key.rsplit("/", 1)[-1],
                row.pop("genre", None) or None,
                extra=row,
            )
        )
    return tracks


def load_notes_folder(root: Path) -> list[Track]:
    """A folder of ``<name>.wav`` / ``<name>.flac`` recordings, each with a madmom-style
    note list ``<name>.notes`` beside it (``onset midi duration [velocity]``; madmom's test
    data): kinds ``notes`` and ``multif0`` (10 ms grid). The :func:`load_folder` loader with
    those options; each recording is its own group."""
    spec = {"glob": "*.notes", "format": "madmom_notes"}
    return load_folder(
        root, audio=["*.wav", "*.flac"], annotations={"notes": spec, "multif0": spec}
    )


#: Loaders by dataset name: each takes the dataset's root folder and returns its tracks,
#: sorted by track id.
LOADERS: dict[str, Callable[..., list[Track]]] = {
    "medleydb": load_medleydb,
    "medleydb_stems": load_medleydb_stems,
    "medleydb_melody": load_medleydb_melody,
    "medleydb_pitch": load_medleydb_pitch,
    "mdb_stem_synth": load_mdb_stem_synth,
    "mdb_melody_synth": load_mdb_melody_synth,
    "mdb_mf0_synth": load_mdb_mf0_synth,
    "orchset": load_orchset,
    "adc2004": load_adc2004,
    "mirex05": load_mirex05,
    "wjazzd": load_wjazzd,
    "ikala": load_ikala,
    "bach10": load_bach10,
    "bach10_stems": load_bach10_stems,
    "billboard": load_billboard,
    "isophonics": load_isophonics,
    "synth": load_synth,
    "maps": load_maps,
    "musicnet": load_musicnet,
    "slakh": load_slakh,
    "dagstuhl_choirset": load_dagstuhl_choirset,
    "folder": load_folder,
    "notes_folder": load_notes_folder,
}


def load_dataset(loader: str, root: str | Path, **options: object) -> list[Track]:
    """Load the dataset at ``root`` with ``LOADERS[loader]`` and check it.

    ``options`` go to the loader (``melody_definition`` for the MedleyDB loaders,
    ``vocabulary`` for Billboard). Checked here: the root exists, the loader and its options
    are known, there is at least one track, track ids are unique, every audio source is a
    readable, non-empty file with the channel asked for, and every annotation file exists
    with a known kind. (Reading the annotations themselves in their format, and checking
    that they fit their audio, is :func:`mirlab.data.readers.check_annotation_fits_audio`.)
    """
    if loader not in LOADERS:
        raise InputError(
            f"dataset loader {loader!r}", f"unknown; known loaders: {', '.join(sorted(LOADERS))}"
        )
    root = Path(root)
    if not root.is_dir():
        raise InputError(root, "dataset root folder does not exist")
    accepted = list(inspect.signature(LOADERS[loader]).parameters)[1:]
    for option in options:
        if option not in accepted:
            raise InputError(
                f"dataset loader {loader!r}",
                f"unknown option {option!r} (it takes: {', '.join(accepted) or 'none'})",
            )
    tracks = LOADERS[loader](root, **options)
    if not tracks:
        raise InputError(root, f"no {loader} tracks found")
    seen: set[str] = set()
    for track in tracks:
        if track.track_id in seen:
            raise InputError(root, f"track id {track.track_id!r} appears twice")
        seen.add(track.track_id)
        for source in track.audio.values():
            _checked_duration(source)
        for annotation in track.annotations.values():
            if annotation.kind not in ANNOTATION_KINDS:
                raise InputError(annotation.path, f"unknown annotation kind {annotation.kind!r}")
            for path in annotation.paths:
                if not path.is_file():
                    raise InputError(path, "annotation file does not exist")
    return tracks


# --------------------------------------------------------------------------------------
# The dataset index as a table
# --------------------------------------------------------------------------------------

#: Columns of the index table; ``audio``, ``annotations`` and ``metadata`` (the metadata
#: beyond ``METADATA_KEYS``) are JSON strings.
TABLE_COLUMNS = ("track_id", *METADATA_KEYS, "audio", "annotations", "metadata")


def tracks_to_table(tracks: Iterable[Track]) -> pd.DataFrame:
    """One row per track, in the order given, with the columns ``TABLE_COLUMNS``."""
    rows = []
    for track in tracks:
        extra = {k: v for k, v in track.metadata.items() if k not in METADATA_KEYS}
        audio = {
            name: {"path": str(source.path), "channel": source.channel}
            for name, source in track.audio.items()
        }
        annotations = {
            name: {
                "kind": a.kind,
                "path": str(a.path),
                "format": a.format,
                "part": a.part,
                # only where there are some, so single-file indexes stay as they were
                **({"more_paths": [str(p) for p in a.more_paths]} if a.more_paths else {}),
            }
            for name, a in track.annotations.items()
        }
        rows.append(
            {
                "track_id": track.track_id,
                **{key: track.metadata.get(key) for key in METADATA_KEYS},
                "audio": json.dumps(audio, sort_keys=True),
                "annotations": json.dumps(annotations, sort_keys=True),
                "metadata": json.dumps(extra, sort_keys=True),
            }
        )
    frame = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    frame["duration"] = frame["duration"].astype(float)
    return frame


def _none_if_missing(value: object) -> object:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else value


def tracks_from_table(frame: pd.DataFrame) -> list[Track]:
    """The tracks of a table written by :func:`tracks_to_table` (an exact round trip)."""
    missing = [column for column in TABLE_COLUMNS if column not in frame.columns]
    if missing:
        raise InputError("dataset index", f"missing columns {', '.join(missing)}")
    tracks = []
    for row in frame.to_dict("records"):
        audio = {
            name: AudioSource(Path(item["path"]), item["channel"])
            for name, item in json.loads(row["audio"]).items()
        }
        annotations = {
            name: Annotation(
                item["kind"],
                Path(item["path"]),
                item["format"],
                item["part"],
                tuple(Path(p) for p in item.get("more_paths", ())),
            )
            for name, item in json.loads(row["annotations"]).items()
        }
        metadata = {key: _none_if_missing(row[key]) for key in METADATA_KEYS}
        if metadata["duration"] is not None:
            metadata["duration"] = float(metadata["duration"])
        metadata.update(json.loads(row["metadata"]))
        tracks.append(Track(str(row["track_id"]), audio, annotations, metadata))
    return tracks

"""Dataset-level preprocessing jobs: one call processes every track of a dataset.

Each function reads cached inputs, writes its outputs atomically (a folder appears only
when complete) and returns nothing; the Snakemake scripts are thin wrappers around them.
A folder of per-track arrays always holds a ``manifest.parquet`` with one row per track.

Each stage runs as its own job in a fresh interpreter, so a stage function imports the
modules only it needs (annotation readers and grids pull in mir_eval, features librosa,
the synthesiser scipy.signal): importing all of them costs about 2 s per job, more than
resampling or splitting a small dataset takes.
"""

from __future__ import annotations

import json
import logging
import re
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile

from mirlab.data import datasets, excerpts, splits
from mirlab.data.audio import audio_duration, load_audio
from mirlab.errors import InputError
from mirlab.jobs import map_tracks
from mirlab.storage import atomic_directory, write_csv, write_json, write_parquet

logger = logging.getLogger(__name__)

MANIFEST = "manifest.parquet"
#: The parameters a feature folder was computed with (kind, sr, hop_length, ...).
PARAMS = "params.json"


def file_stem(track_id: str) -> str:
    """A file-name-safe stem for ``track_id`` (spaces, quotes and slashes become '_')."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", track_id)


def _check_unique_stems(track_ids: list[str], where: str | Path) -> None:
    stems = [file_stem(track_id) for track_id in track_ids]
    if len(set(stems)) != len(stems):
        raise InputError(where, "two track ids map to the same file name")


def read_manifest(folder: str | Path) -> pd.DataFrame:
    """The manifest of a per-track array folder (track_id, file, and sizes)."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise InputError(path, "manifest missing: the folder is incomplete, rebuild it")
    return pd.read_parquet(path)


def generate_synth_dataset(output: str | Path, generate: dict, workers: int = 1) -> None:
    """Write the embedded synthetic dataset described by the config's ``generate`` mapping."""
    from mirlab.data import synth

    params = synth.SynthParams.from_mapping(
        {key: value for key, value in generate.items() if key not in ("n_tracks", "seed")}
    )
    with atomic_directory(output) as tmp:
        synth.write_synth_dataset(
            tmp,
            n_tracks=generate["n_tracks"],
            seed=generate["seed"],
            params=params,
            workers=workers,
        )
    logger.info("generated %d tracks into %s", generate["n_tracks"], output)


def _check_track_annotations(track: datasets.Track) -> None:
    from mirlab.data import readers

    duration = audio_duration(track.audio["mix"].path)
    for annotation in track.annotations.values():
        readers.check_annotation_fits_audio(annotation, duration, track.audio["mix"].path)


def index_dataset(
    loader: str, root: str | Path, options: dict, output: str | Path, workers: int = 1
) -> None:
    """Load a dataset, check every annotation against its audio, and write the track index.

    ``options`` are the loader's keyword arguments (e.g. ``melody_definition``).
    """
    tracks = datasets.load_dataset(loader, root, **options)
    if not tracks:
        raise InputError(root, f"no tracks found for loader {loader!r}")
    _check_unique_stems([track.track_id for track in tracks], root)
    map_tracks(_check_track_annotations, tracks, workers)
    write_parquet(datasets.tracks_to_table(tracks), output)
    logger.info("indexed %d tracks of %s", len(tracks), root)


def _load_source(track: datasets.Track, source: str, sr: int) -> np.ndarray:
    """The ``source`` audio of ``track`` at ``sr`` Hz; one of ``datasets.SUMMED_SOURCES`` that
    the track has no file for is the sum of its parts (each resampled: soxr is linear)."""
    if source in track.audio:
        return load_audio(track.audio[source], sr)
    parts = datasets.SUMMED_SOURCES.get(source, ())
    if not parts or not all(part in track.audio for part in parts):
        summed = f"; {source} sums {', '.join(parts)}" if parts else ""
        raise InputError(
            track.audio["mix"].path,
            f"track {track.track_id!r} has no audio source {source!r} "
            f"(it has {', '.join(sorted(track.audio))}{summed})",
        )
    signals = [load_audio(track.audio[part], sr) for part in parts]
    if len({len(signal) for signal in signals}) != 1:
        raise InputError(
            track.audio[parts[0]].path,
            f"the {', '.join(parts)} audio of track {track.track_id!r} differ in length",
        )
    total = signals[0].copy()
    for signal in signals[1:]:
        total += signal
    return total


def _resample_track(track: datasets.Track, source: str, sr: int, folder: Path) -> dict:
    samples = _load_source(track, source, sr)
    file = f"{file_stem(track.track_id)}.npy"
    np.save(folder / file, samples, allow_pickle=False)
    return {"track_id": track.track_id, "file": file, "n_samples": len(samples), "sr": sr}


def resample_dataset(
    index: str | Path, source: str, sr: int, output: str | Path, workers: int = 1
) -> None:
    """Write every track's ``source`` audio as mono float32 ``.npy`` at ``sr`` Hz."""
    tracks = datasets.tracks_from_table(pd.read_parquet(index))
    with atomic_directory(output) as tmp:
        rows = map_tracks(
            partial(_resample_track, source=source, sr=sr, folder=tmp), tracks, workers
        )
        write_parquet(pd.DataFrame(rows), tmp / MANIFEST)


def annotation_tables(track: datasets.Track) -> dict[str, pd.DataFrame]:
    """Every annotation of ``track`` read from its file, as one table per kind (original
    time stamps; the columns of ``mirlab.data.annotations``)."""
    from mirlab.data import annotations, readers

    tables = {}
    for kind, annotation in track.annotations.items():
        data = readers.read_annotation(annotation)
        if kind in annotations.F0_KINDS:
            tables[kind] = annotations.melody_frame(track.track_id, *data)
        elif kind == "multif0":
            tables[kind] = annotations.multif0_frame(track.track_id, *data)
        elif kind == "chords":
            tables[kind] = annotations.chords_frame(track.track_id, *data)
        elif kind == "notes":
            tables[kind] = annotations.notes_frame(track.track_id, *data)
    return tables


def convert_annotations(index: str | Path, output: str | Path, workers: int = 1) -> None:
    """Convert every annotation to one Parquet table per kind (original time stamps)."""
    tracks = datasets.tracks_from_table(pd.read_parquet(index))
    per_track = map_tracks(annotation_tables, tracks, workers)
    kinds = sorted({kind for tables in per_track for kind in tables})
    with atomic_directory(output) as tmp:
        for kind in kinds:
            frames = [tables[kind] for tables in per_track if kind in tables]
            write_parquet(pd.concat(frames, ignore_index=True), tmp / f"{kind}.parquet")
    logger.info("converted annotation kinds %s for %d tracks", kinds, len(tracks))


def grid_annotations(
    original: str | Path, audio: str | Path, sr: int, hop_length: int, output: str | Path
) -> None:
    """Resample every annotation onto the frame grid of (``sr`` Hz, ``hop_length`` samples).

    Frame i is centred at ``i * hop_length / sr`` s; a track has as many frames as its
    features at that grid (``features.n_frames_for``).
    """
    from mirlab.data import annotations, features

    manifest = read_manifest(audio).set_index("track_id")
    original = Path(original)
    with atomic_directory(output) as tmp:
        for table_path in sorted(original.glob("*.parquet")):
            kind = table_path.stem
            table = pd.read_parquet(table_path)
            gridded = []
            for track_id, rows in table.groupby("track_id", sort=True):
                n_frames = features.n_frames_for(
                    int(manifest.at[track_id, "n_samples"]), hop_length
                )
                times = features.frame_times(n_frames, sr, hop_length)
                gridded.append(annotations.to_grid(kind, track_id, rows, times))
            write_parquet(pd.concat(gridded, ignore_index=True), tmp / f"{kind}.parquet")


def _extract_track(row: dict, audio: Path, folder: Path, params: dict) -> dict:
    from mirlab.data import features

    samples = np.load(audio / row["file"], mmap_mode="r")
    kind_params = {key: value for key, value in params.items() if key not in ("kind", "sr")}
    array = features.compute_feature(
        np.asarray(samples), params["sr"], params["kind"], **kind_params
    )
    np.save(folder / row["file"], array, allow_pickle=False)
    return {"track_id": row["track_id"], "file": row["file"], "n_frames": array.shape[0]}


def extract_dataset_features(
    audio: str | Path, params: dict, output: str | Path, workers: int = 1
) -> None:
    """Compute one feature (``params``: kind, sr, hop_length, ...) for every track."""
    audio = Path(audio)
    manifest = read_manifest(audio)
    rows = manifest.to_dict("records")
    with atomic_directory(output) as tmp:
        results = map_tracks(
            partial(_extract_track, audio=audio, folder=tmp, params=params), rows, workers
        )
        write_json(params, tmp / PARAMS)
        write_parquet(pd.DataFrame(results), tmp / MANIFEST)


def make_split(index: str | Path, split: dict, output: str | Path, base: str | Path = ".") -> None:
    """Write the train/valid/test assignment (track_id, artist, part) of a dataset.

    ``split`` is the config's ``{"file": path}`` or ``{"seeded": {"seed", "fractions"}}``.
    Disjointness (no track and, where known, no artist in two parts) is checked.
    """
    table = pd.read_parquet(index)
    track_ids = table["track_id"].tolist()
    groups = table["artist"].fillna(table["track_id"]).astype(str).tolist()
    if "file" in split:
        assignment = splits.read_split_file(Path(base, split["file"]))
        assignment = {track: part for track, part in assignment.items() if track in set(track_ids)}
    else:
        seeded = split["seeded"]
        assignment = splits.seeded_split(track_ids, groups, seeded["fractions"], seeded["seed"])
    splits.check_split(assignment, track_ids, groups)
    write_csv(splits.split_table(assignment, track_ids, groups), output)


def cut_excerpt(
    excerpt: dict,
    index: str | Path,
    annotations_dir: str | Path,
    audio_dirs: list,
    feature_dirs: list,
    output: str | Path,
) -> None:
    """Cut audio, f0 annotations and features of one (track, start, end) excerpt consistently.

    Writes ``audio_sr<rate>.wav`` per cached rate, ``<kind>.csv`` (time, f0; times relative
    to the excerpt start) per f0 annotation kind, and ``<feature>.npy`` per feature folder.
    """
    from mirlab.data import annotations

    track_id, start, end = excerpt["track"], excerpt["start"], excerpt["end"]
    tracks = pd.read_parquet(index)["track_id"]
    if track_id not in set(tracks):
        raise InputError(f"excerpt track {track_id!r}", f"not a track of {index}")
    with atomic_directory(output) as tmp:
        for folder in map(Path, audio_dirs):
            row = read_manifest(folder).set_index("track_id").loc[track_id]
            samples = np.load(folder / row["file"], mmap_mode="r")
            cut, _, _ = excerpts.cut_excerpt(
                np.asarray(samples), int(row["sr"]), np.zeros(0), np.zeros(0), start, end
            )
            soundfile.write(tmp / f"audio_{folder.name}.wav", cut, int(row["sr"]), subtype="FLOAT")
        for kind in annotations.F0_KINDS:
            path = Path(annotations_dir) / f"{kind}.parquet"
            if path.is_file():
                table = pd.read_parquet(path)
                times, f0 = annotations.melody_from_frame(table, track_id)
                times_cut, f0_cut = excerpts.cut_annotation(times, f0, start, end)
                write_csv(pd.DataFrame({"time": times_cut, "f0": f0_cut}), tmp / f"{kind}.csv")
        for folder in map(Path, feature_dirs):
            row = read_manifest(folder).set_index("track_id").loc[track_id]
            feature = np.load(folder / row["file"], mmap_mode="r")
            params = json.loads((folder / PARAMS).read_text())
            cut = excerpts.cut_feature_excerpt(
                feature, params["sr"], params["hop_length"], start, end
            )
            np.save(tmp / f"{folder.name.rsplit('-', 1)[0]}.npy", cut)

"""Any family's methods on loose files, outside the DAG: what ``mirlab predict`` and
``mirlab evaluate`` run.

The files become a small dataset in a scratch folder, laid out as the pipeline's cache
(track index, audio at the model's rate, the model's feature, original annotations, a
split whose ``test`` part is every file), so that the family's own ``predict`` and
``score`` jobs run on them unchanged: the same code as in the DAG, the same estimates.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from mirlab.data import datasets, preprocess
from mirlab.data.audio import AudioSource
from mirlab.data.cache import DatasetPaths
from mirlab.errors import InputError
from mirlab.families.base import Family
from mirlab.storage import write_csv, write_parquet

#: The split part that holds every file of a loose-file dataset.
PART = "test"


def _track_ids(paths: Sequence[Path]) -> list[str]:
    """Track ids of loose files: their names without suffix, which must be unique."""
    ids = [path.name.split(".")[0] for path in paths]
    seen: dict[str, Path] = {}
    for track_id, path in zip(ids, paths, strict=True):
        if track_id in seen:
            raise InputError(path, f"same track name {track_id!r} as {seen[track_id]}")
        seen[track_id] = path
    return ids


def _write_split(track_ids: Sequence[str], path: Path) -> None:
    table = pd.DataFrame({"track_id": list(track_ids), "artist": list(track_ids), "part": PART})
    write_csv(table, path)


def audio_dataset(
    audio: Sequence[str | Path],
    folder: Path,
    grid: tuple[int, int],
    feature: dict | None = None,
    reference: str = "melody",
) -> DatasetPaths:
    """Cache ``audio`` files (any format, rate and channel count soundfile reads) under
    ``folder`` as a dataset: audio at ``grid``'s rate (Hz) and, with ``feature`` (the
    config's feature parameters), that feature; ``grid`` is (sr Hz, hop samples)."""
    paths = [Path(path) for path in audio]
    if not paths:
        raise InputError("AUDIO", "no audio file given")
    for path in paths:
        if not path.is_file():
            raise InputError(path, "audio file does not exist")
    track_ids = _track_ids(paths)
    tracks = [
        datasets.Track(track_id, {"mix": AudioSource(path.resolve())}, {}, {"artist": track_id})
        for track_id, path in zip(track_ids, paths, strict=True)
    ]
    write_parquet(datasets.tracks_to_table(tracks), folder / "index.parquet")
    sr, hop = grid
    rate = feature["sr"] if feature else sr
    preprocess.resample_dataset(folder / "index.parquet", "mix", rate, folder / "audio")
    inputs = folder / "audio"
    if feature:
        preprocess.extract_dataset_features(folder / "audio", feature, folder / "feature")
        inputs = folder / "feature"
    _write_split(track_ids, folder / "split.csv")
    return DatasetPaths(
        name="files",
        inputs=inputs,
        grid=folder / "grid",
        original=folder / "original",
        split=folder / "split.csv",
        reference=reference,
        sr=sr,
        hop_length=hop,
    )


def predict_files(
    family: Family,
    experiment: dict,
    audio: Sequence[str | Path],
    output: str | Path,
    model_dir: str | Path | None = None,
    feature: dict | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write the family's estimate file of every ``audio`` file into the folder ``output``
    (created if missing; existing files of the same names are replaced). ``experiment`` is
    a resolved experiment (a trained model's ``config.json``, or a baseline's entry);
    ``feature``: the parameters of its input feature, if it reads one. ``progress`` is
    called with each file's name as it is done. Returns the written paths."""
    spec = experiment.get("input")
    if spec is None:
        raise InputError("experiment", "an external method has no model to run on files")
    grid = (spec.get("audio_sr") or feature["sr"], spec.get("hop_length") or feature["hop_length"])
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    written = []
    jobs = family.load_jobs()
    with tempfile.TemporaryDirectory(prefix="mirlab-predict-") as scratch:
        scratch = Path(scratch)
        for path in map(Path, audio):
            folder = scratch / path.name
            folder.mkdir()
            data = audio_dataset([path], folder, grid, feature)
            jobs.predict(
                experiment, data, PART, folder / "estimates", model_dir=model_dir,
                feature_params=feature,
            )  # fmt: skip
            for estimate in sorted((folder / "estimates").iterdir()):
                target = output / estimate.name
                shutil.copyfile(estimate, target)
                written.append(target)
            if progress is not None:
                progress(path.name)
    return written


def trained_model(model_dir: str | Path) -> dict:
    """The resolved experiment a trained model folder was trained with (``config.json``)."""
    path = Path(model_dir) / "config.json"
    if not path.is_file():
        raise InputError(model_dir, "not a trained model folder (no config.json)")
    return json.loads(path.read_text())


def _pairs(references: Path, estimates: Path, suffix: str) -> list[tuple[str, Path, Path]]:
    """(track id, reference file, estimate file) of two files or two folders paired by name."""
    if references.is_file() and estimates.is_file():
        return [(references.name.split(".")[0], references, estimates)]
    if not (references.is_dir() and estimates.is_dir()):
        raise InputError(estimates, "give two files, or two folders")
    found = {path.name.split(".")[0]: path for path in sorted(references.iterdir())}
    pairs = []
    for track_id, reference in found.items():
        estimate = estimates / f"{track_id}{suffix}"
        if not estimate.is_file():
            raise InputError(estimate, f"no estimate for reference {reference}")
        pairs.append((track_id, reference, estimate))
    if not pairs:
        raise InputError(references, "holds no reference file")
    return pairs


def evaluate_files(
    family: Family, references: str | Path, estimates: str | Path, reference_format: str
) -> pd.DataFrame:
    """The family's per-track metrics of estimate files against reference annotation files
    (two files, or two folders paired by name: ``<track><estimate suffix>``), read as
    ``reference_format`` (a format of the ``folder`` loader, e.g. ``mirex_csv``)."""
    pairs = _pairs(Path(references), Path(estimates), family.estimate_suffix)
    kind = family.reference_kind({"reference": "melody"})
    reader_format = datasets.FOLDER_FORMATS.get(reference_format, reference_format)
    with tempfile.TemporaryDirectory(prefix="mirlab-evaluate-") as scratch:
        scratch = Path(scratch)
        (scratch / "estimates").mkdir()
        tables = []
        for track_id, reference, estimate in pairs:
            annotation = datasets.Annotation(kind, reference, reader_format)
            track = datasets.Track(track_id, {}, {kind: annotation}, {})
            tables.append(preprocess.annotation_tables(track)[kind])
            target = scratch / "estimates" / f"{track_id}{family.estimate_suffix}"
            shutil.copyfile(estimate, target)
        write_parquet(
            pd.concat(tables, ignore_index=True), scratch / "original" / f"{kind}.parquet"
        )
        _write_split([track_id for track_id, _, _ in pairs], scratch / "split.csv")
        data = DatasetPaths("files", scratch, scratch, scratch / "original", scratch / "split.csv",
                            kind, 1, 1)  # fmt: skip
        return family.load_jobs().score(scratch / "estimates", data, PART)

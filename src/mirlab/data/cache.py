"""Where an experiment reads one dataset: its cached inputs, annotations and split."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mirlab.data import preprocess
from mirlab.errors import InputError


@dataclass(frozen=True)
class DatasetPaths:
    """The cached artefacts of one dataset that an experiment reads.

    ``inputs``: folder of per-track model inputs (feature or audio ``.npy`` + manifest);
    ``grid``: annotations on the experiment's frame grid; ``original``: annotations at their
    original time stamps (the evaluation reference); ``split``: the split CSV; ``reference``:
    the annotation kind the experiment's family reads (``melody`` or ``pitch`` for melody,
    ``multif0``, ``chords``, ...; see ``mirlab.data.datasets.ANNOTATION_KINDS``); ``sr`` (Hz)
    and ``hop_length`` (samples) of the frame grid.
    """

    name: str
    inputs: Path
    grid: Path
    original: Path
    split: Path
    reference: str
    sr: int
    hop_length: int

    @classmethod
    def from_mapping(cls, mapping: dict) -> DatasetPaths:
        paths = {key: Path(mapping[key]) for key in ("inputs", "grid", "original", "split")}
        return cls(
            name=mapping["name"],
            reference=mapping["reference"],
            sr=int(mapping["sr"]),
            hop_length=int(mapping["hop_length"]),
            **paths,
        )

    @property
    def frame_period(self) -> float:
        """Seconds between frames."""
        return self.hop_length / self.sr

    def track_ids(self, part: str) -> list[str]:
        """Track ids of one split ``part`` (``all``: every track), sorted."""
        split = pd.read_csv(self.split, dtype={"track_id": str, "part": str})
        if part != "all":
            split = split[split["part"] == part]
        if split.empty:
            raise InputError(self.split, f"dataset {self.name!r} has no track in part {part!r}")
        return sorted(split["track_id"])

    def input_files(self, track_ids: list[str]) -> list[Path]:
        manifest = preprocess.read_manifest(self.inputs).set_index("track_id")
        return [self.inputs / manifest.at[track_id, "file"] for track_id in track_ids]

    def annotation_tables(self, which: str, track_ids: list[str]) -> dict[str, pd.DataFrame]:
        """The ``reference`` annotation rows of each track, from the ``grid`` (frame grid) or
        the ``original`` (as annotated) folder: the columns of its kind in
        ``mirlab.data.annotations`` (melody: time, f0; multif0: time, f0 list; chords:
        start, end, label; ...). ``InputError`` naming the file when a track has none."""
        folder = {"grid": self.grid, "original": self.original}[which]
        path = folder / f"{self.reference}.parquet"
        if not path.is_file():
            raise InputError(path, f"dataset {self.name!r} has no {self.reference!r} annotation")
        grouped = dict(tuple(pd.read_parquet(path).groupby("track_id", sort=False)))
        missing = [track_id for track_id in track_ids if track_id not in grouped]
        if missing:
            raise InputError(
                path, f"no {self.reference!r} annotation for tracks {', '.join(missing[:5])}"
            )
        return {track_id: grouped[track_id] for track_id in track_ids}

    def grid_f0(self, track_ids: list[str]) -> list[np.ndarray]:
        """Reference f0 (Hz, 0 unvoiced) of each track on the frame grid."""
        tables = self.annotation_tables("grid", track_ids)
        return [tables[track_id]["f0"].to_numpy(np.float64) for track_id in track_ids]

    def references(self, track_ids: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Original reference ``(times s, f0 Hz)`` of each track: what evaluation scores against."""
        grouped = self.annotation_tables("original", track_ids)
        return {
            track_id: (
                grouped[track_id]["time"].to_numpy(np.float64),
                grouped[track_id]["f0"].to_numpy(np.float64),
            )
            for track_id in track_ids
        }

"""One interface over every dataset: a dataset is a list of tracks.

A :class:`Track` has an id, its audio sources (``"mix"`` always: the signal its
annotations describe), annotations of one or more kinds, and metadata (artist, title,
genre, duration in seconds) used for splits. Loaders read each dataset's native
on-disk layout from a root folder; annotation readers return times in seconds and
frequencies in Hz with the MIREX convention (f0 <= 0 means unvoiced).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mirlab.audio import AudioSource

#: Annotation kinds and what their reader returns.
#: melody / pitch: (times [s], f0 [Hz]); multif0: (times [s], list of f0 arrays [Hz]);
#: notes: (intervals [s] (n, 2), pitches [Hz]); chords: (intervals [s] (n, 2), Harte labels).
ANNOTATION_KINDS = ("melody", "pitch", "multif0", "notes", "chords", "bass")


@dataclass(frozen=True)
class Annotation:
    """An annotation file of one ``kind`` in one native ``format`` (a key of ``READERS``)."""

    kind: str
    path: Path
    format: str


@dataclass(frozen=True)
class Track:
    """One track of a dataset."""

    track_id: str
    audio: dict[str, AudioSource]
    annotations: dict[str, Annotation]
    metadata: dict[str, object] = field(default_factory=dict)

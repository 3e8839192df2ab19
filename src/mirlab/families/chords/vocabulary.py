"""The 170-class chord vocabulary and the per-frame targets of Harte labels.

Class order of the chord tag (N first, so that a zero-padded target frame is "no chord"):
``0`` = ``N`` (no chord), ``1`` = ``X`` (a chord outside the vocabulary), then
``2 + 14 * root + quality`` for the 12 roots (C, C#, ..., B) and the 14 :data:`QUALITIES`.
Root and bass heads have 13 classes: ``0`` = none (``N`` or ``X``), ``1 + pitch class``.
The pitch-class head is the chord's 12 absolute pitch classes, multi-hot.

``mir_eval.chord.encode`` does the parsing: a label's quality is the interval bitmap it
encodes (mir_eval drops extensions above the octave, so ``C:9`` has the bitmap of ``C:7``,
and ``C:maj(9)`` that of ``C:maj``); the tag is the vocabulary quality with exactly that
bitmap, else ``X`` (as in McFee & Bello 2017). Inversions keep their tag (``C:maj/3`` is
``C:maj``) and set the bass head.
"""

from __future__ import annotations

from collections.abc import Sequence

import mir_eval
import numpy as np

from mirlab.errors import InputError

#: The 14 chord qualities of the vocabulary (Harte shorthand), in class order.
QUALITIES = (
    "maj",
    "min",
    "dim",
    "aug",
    "min6",
    "maj6",
    "min7",
    "minmaj7",
    "maj7",
    "7",
    "dim7",
    "hdim7",
    "sus2",
    "sus4",
)
#: Pitch-class names of the roots, in class order (sharps, as ``mir_eval`` parses them).
ROOTS = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
N_TAGS = 2 + 12 * len(QUALITIES)  # 170
N_ROOTS = 13
N_PITCHES = 12
N_CLASS, X_CLASS = 0, 1
#: Columns of a frame code (:func:`encode_labels`): tag, root, bass, then 12 pitch classes.
CODE_WIDTH = 3 + N_PITCHES
#: Columns of a dense target (:func:`codes_to_targets`): tag, pitch, root, bass one-/multi-hot.
HEADS = {"tag": N_TAGS, "pitch": N_PITCHES, "root": N_ROOTS, "bass": N_ROOTS}

_QUALITY_BITMAPS = {
    tuple(mir_eval.chord.QUALITIES[quality]): index for index, quality in enumerate(QUALITIES)
}


def tag_label(tag: int) -> str:
    """Harte label of chord-tag class ``tag`` (0 .. 169): ``N``, ``X`` or ``root:quality``."""
    if not 0 <= tag < N_TAGS:
        raise InputError("chord tag", f"{tag} is outside 0 .. {N_TAGS - 1}")
    if tag == N_CLASS:
        return "N"
    if tag == X_CLASS:
        return "X"
    root, quality = divmod(tag - 2, len(QUALITIES))
    return f"{ROOTS[root]}:{QUALITIES[quality]}"


#: Harte label of every tag class, in class order.
VOCABULARY = tuple(tag_label(tag) for tag in range(N_TAGS))


def encode_label(label: str) -> np.ndarray:
    """Frame code of one Harte label: ``[tag, root, bass, pc_0 .. pc_11]`` as int64.

    ``tag`` as in the module docstring; ``root`` and ``bass`` 0 for none, else
    ``1 + pitch class`` (bass: the absolute pitch class of the inversion's bass note);
    ``pc``: the chord's absolute pitch classes (0/1), all zero for ``N`` and ``X``.
    ``InputError`` for a label ``mir_eval.chord`` cannot parse.
    """
    try:
        root, bitmap, bass = mir_eval.chord.encode(label)
    except mir_eval.chord.InvalidChordException as error:
        raise InputError("chord label", f"{label!r} is not a Harte chord label") from error
    code = np.zeros(CODE_WIDTH, dtype=np.int64)
    if root < 0:  # N, or X (mir_eval encodes X with bitmap -1)
        code[0] = X_CLASS if bitmap[0] < 0 else N_CLASS
        return code
    quality = _QUALITY_BITMAPS.get(tuple(int(bit) for bit in bitmap))
    code[0] = X_CLASS if quality is None else 2 + len(QUALITIES) * root + quality
    code[1] = 1 + root
    code[2] = 1 + (root + bass) % 12
    code[3:] = mir_eval.chord.rotate_bitmap_to_root(bitmap, root)
    return code


def encode_labels(labels: Sequence[str]) -> np.ndarray:
    """Frame codes ``(n, 15)`` int64 of ``n`` labels (each distinct label parsed once)."""
    distinct = {label: encode_label(label) for label in dict.fromkeys(labels)}
    if not distinct:
        return np.zeros((0, CODE_WIDTH), dtype=np.int64)
    return np.stack([distinct[label] for label in labels])


def transpose_codes(codes: np.ndarray, semitones: int) -> np.ndarray:
    """Frame codes ``(..., 15)`` of the same chords transposed by ``semitones`` (N, X and
    "no root" stay as they are)."""
    codes = np.asarray(codes)
    out = np.array(codes, dtype=np.int64, copy=True)
    tag = out[..., 0]
    chord = tag >= 2
    root, quality = np.divmod(tag - 2, len(QUALITIES))
    out[..., 0] = np.where(chord, 2 + len(QUALITIES) * ((root + semitones) % 12) + quality, tag)
    for column in (1, 2):
        value = out[..., column]
        out[..., column] = np.where(value > 0, 1 + (value - 1 + semitones) % 12, 0)
    out[..., 3:] = np.roll(out[..., 3:], semitones, axis=-1)
    return out


def codes_to_targets(codes: np.ndarray) -> np.ndarray:
    """Dense float32 targets ``(n, 208)`` of frame codes ``(n, 15)``: the :data:`HEADS`
    columns in order (tag one-hot 170, pitch classes 12, root one-hot 13, bass one-hot 13)."""
    codes = np.asarray(codes).astype(np.int64)
    eye_tag = np.eye(N_TAGS, dtype=np.float32)
    eye_root = np.eye(N_ROOTS, dtype=np.float32)
    return np.concatenate(
        [
            eye_tag[codes[:, 0]],
            codes[:, 3:].astype(np.float32),
            eye_root[codes[:, 1]],
            eye_root[codes[:, 2]],
        ],
        axis=1,
    )


def split_targets(targets):
    """The dense targets (last axis 208, numpy or tensor) as a dict per head of :data:`HEADS`."""
    out, first = {}, 0
    for name, width in HEADS.items():
        out[name] = targets[..., first : first + width]
        first += width
    return out


def tag_quality(tags: np.ndarray) -> np.ndarray:
    """Quality index (0 .. 13) of each tag, -1 for N and X."""
    tags = np.asarray(tags)
    return np.where(tags >= 2, (tags - 2) % len(QUALITIES), -1)

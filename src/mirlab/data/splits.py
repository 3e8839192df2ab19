"""Train/valid/test splits: read from split files or drawn from a seed, group-disjoint.

A split is a ``dict`` mapping track id -> part (``"train"``, ``"valid"`` or ``"test"``);
tracks of the dataset that a split does not name are simply unused. Groups (artists) are
given as a sequence aligned with the track ids; a track whose group is ``None`` is a group
of its own. A split file is YAML ``{train: [ids], valid: [ids], test: [ids]}``
(any part may be left out).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from mirlab.errors import InputError

PARTS = ("train", "valid", "test")


def read_split_file(path: str | Path) -> dict[str, str]:
    """Read a YAML split file into ``{track_id: part}``.

    ``InputError`` naming the file if it is missing, not valid YAML, has a key other than
    train/valid/test, a part that is not a list of track ids, names no track at all, or
    lists a track twice (in one part, or in two parts: both are named).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "split file does not exist")
    try:
        content = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise InputError(path, f"not valid YAML ({error})") from error
    if not isinstance(content, dict):
        raise InputError(path, f"must be a mapping of parts {list(PARTS)} to track lists")
    split: dict[str, str] = {}
    for part, ids in content.items():
        if part not in PARTS:
            raise InputError(path, f"unknown part {part!r}; parts are {list(PARTS)}")
        if not isinstance(ids, list) or not all(isinstance(t, str) and t for t in ids):
            raise InputError(path, f"part {part!r} must be a list of track ids (strings)")
        for track_id in ids:
            if track_id in split:
                where = (
                    "twice in" if split[track_id] == part else f"in both {split[track_id]!r} and"
                )
                raise InputError(path, f"track {track_id!r} is listed {where} {part!r}")
            split[track_id] = part
    if not split:
        raise InputError(path, "split file names no tracks")
    return split


def seeded_split(
    track_ids: Sequence[str],
    groups: Sequence[str | None] | None,
    fractions: Mapping[str, float],
    seed: int,
) -> dict[str, str]:
    """Random group-disjoint split of ``track_ids`` drawn from ``seed``.

    ``groups[i]`` is the group (artist) of ``track_ids[i]`` (``None``: no group, or no
    ``groups`` at all: every track alone). ``fractions`` maps parts to the share of tracks
    wanted (summing to 1). Whole groups are assigned, in an order shuffled by ``seed``,
    each to the part furthest below its target track count, so fractions are met as
    closely as group sizes allow. Every part with a positive fraction gets at least one
    group when there are enough groups. The result depends only on the set of tracks,
    their groups, the fractions and the seed (not on the order of ``track_ids``).
    """
    if len(track_ids) == 0:
        raise InputError("split", "no tracks to split")
    wanted = _check_fractions(fractions)
    members = _group_members(track_ids, groups)
    names = sorted(members)
    order = np.random.default_rng(seed).permutation(len(names))
    targets = {part: share * len(track_ids) for part, share in wanted.items()}
    counts = dict.fromkeys(wanted, 0)
    assigned: dict[str, list[str]] = {part: [] for part in wanted}
    for index in order:
        name = names[index]
        # ties go to the earlier part in PARTS order (dict order of `wanted`)
        part = max(wanted, key=lambda p: targets[p] - counts[p])
        assigned[part].append(name)
        counts[part] += len(members[name])
    _fill_empty_parts(assigned, members)
    return {
        track_id: part
        for part, names_in_part in assigned.items()
        for name in names_in_part
        for track_id in members[name]
    }


def check_split(
    split: Mapping[str, str],
    track_ids: Sequence[str],
    groups: Sequence[str | None] | None = None,
    *,
    where: str | Path = "split",
) -> None:
    """Raise ``InputError`` (naming ``where``) unless ``split`` is usable for ``track_ids``.

    Checked: the split names at least one track, every part is train/valid/test, every
    track named exists in ``track_ids``, and, given ``groups``, no group has tracks in
    two parts (the group, both parts and a track of each are named).
    """
    if not split:
        raise InputError(where, "split names no tracks")
    group_of = _group_of(track_ids, groups)
    known = set(track_ids)
    for track_id, part in sorted(split.items()):
        if part not in PARTS:
            raise InputError(where, f"track {track_id!r} is in unknown part {part!r}")
        if track_id not in known:
            raise InputError(where, f"names track {track_id!r}, which is not in the dataset")
    seen: dict[str, tuple[str, str]] = {}
    for track_id, part in sorted(split.items()):
        group = group_of.get(track_id)
        if group is None:
            continue
        if group in seen and seen[group][0] != part:
            other_part, other_track = seen[group]
            raise InputError(
                where,
                f"group {group!r} is in both {other_part!r} ({other_track!r}) "
                f"and {part!r} ({track_id!r})",
            )
        seen.setdefault(group, (part, track_id))


def split_table(
    split: Mapping[str, str],
    track_ids: Sequence[str] | None = None,
    groups: Sequence[str | None] | None = None,
) -> pd.DataFrame:
    """The split as a table ``track_id, artist, part``, sorted by part then track id.

    ``artist`` holds each track's group from ``groups`` (aligned with ``track_ids``);
    it is empty (missing values) for tracks without one.
    """
    group_of = _group_of(track_ids or [], groups)
    rank = {part: k for k, part in enumerate(PARTS)}
    rows = sorted(split.items(), key=lambda item: (rank.get(item[1], len(PARTS)), item[0]))
    return pd.DataFrame(
        {
            "track_id": pd.Series([t for t, _ in rows], dtype="string"),
            "artist": pd.Series([group_of.get(t) for t, _ in rows], dtype="string"),
            "part": pd.Series([p for _, p in rows], dtype="string"),
        }
    )


# --- internals -------------------------------------------------------------------------------


def _check_fractions(fractions: Mapping[str, float]) -> dict[str, float]:
    """Fractions in PARTS order, validated: known parts, >= 0, summing to 1."""
    unknown = sorted(set(fractions) - set(PARTS))
    if unknown:
        raise InputError("split fractions", f"unknown part {unknown[0]!r}; parts are {list(PARTS)}")
    wanted = {part: float(fractions[part]) for part in PARTS if part in fractions}
    if any(not np.isfinite(v) or v < 0 for v in wanted.values()):
        raise InputError("split fractions", f"must be finite and >= 0, got {dict(fractions)}")
    if not np.isclose(sum(wanted.values()), 1.0, atol=1e-6):
        raise InputError("split fractions", f"must sum to 1, got {dict(fractions)}")
    return {part: share for part, share in wanted.items() if share > 0}


def _group_of(
    track_ids: Sequence[str], groups: Sequence[str | None] | None
) -> dict[str, str | None]:
    """Track id -> group, checking that ids are unique and ``groups`` is aligned."""
    if len(set(track_ids)) != len(track_ids):
        repeated = sorted(t for t in set(track_ids) if list(track_ids).count(t) > 1)
        raise InputError("split", f"track id {repeated[0]!r} is given more than once")
    if groups is None:
        return dict.fromkeys(track_ids)
    if len(groups) != len(track_ids):
        raise InputError("split", f"{len(groups)} groups given for {len(track_ids)} tracks")
    # a missing artist read from a table arrives as None or NaN
    return {t: (None if pd.isna(g) else str(g)) for t, g in zip(track_ids, groups, strict=True)}


def _group_members(
    track_ids: Sequence[str], groups: Sequence[str | None] | None
) -> dict[str, list[str]]:
    """Group key -> sorted track ids; an ungrouped track forms a group keyed by itself."""
    members: dict[str, list[str]] = {}
    for track_id, group in sorted(_group_of(track_ids, groups).items()):
        # prefixes keep a group named like a track id apart from that track's own group
        key = f"group:{group}" if group is not None else f"track:{track_id}"
        members.setdefault(key, []).append(track_id)
    return members


def _fill_empty_parts(assigned: dict[str, list[str]], members: Mapping[str, list[str]]) -> None:
    """Move groups into empty parts from the part with most groups, smallest group first."""
    for names in assigned.values():
        if names:
            continue
        donor = max(assigned, key=lambda p: len(assigned[p]))
        if len(assigned[donor]) < 2:
            return
        smallest = min(assigned[donor], key=lambda n: (len(members[n]), n))
        assigned[donor].remove(smallest)
        names.append(smallest)

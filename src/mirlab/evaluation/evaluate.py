"""The one evaluator's family-neutral half: estimate folders, summaries with bootstrap
confidence intervals, paired tests between methods, and the per-track/summary CSVs.

A family scores one track at a time (its ``jobs.score``); everything across tracks is here:
every family's per-track table has a ``track_id`` column and one column per metric.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.stats

from mirlab.errors import InputError
from mirlab.storage import atomic_directory, write_csv


@contextmanager
def quiet_mir_eval() -> Iterator[None]:
    """Silence mir_eval's own UserWarnings: its documented answers for degenerate series
    (an all-unvoiced reference, an empty frame) would otherwise log one warning per track."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module=r"mir_eval(\.|$)")
        yield


def estimate_files(
    estimates_dir: str | Path, track_ids: Collection[str], suffix: str
) -> dict[str, Path]:
    """``{track_id: path}`` of a folder of estimates named ``<track_id><suffix>``.

    Every track must have its file and every ``*<suffix>`` file must belong to a track:
    otherwise ``InputError`` naming the missing (or unexpected) file. Files with other
    suffixes are ignored.
    """
    estimates_dir = Path(estimates_dir)
    if not estimates_dir.is_dir():
        raise InputError(estimates_dir, "estimates folder does not exist")
    found = {
        path.name.removesuffix(suffix): path
        for path in estimates_dir.glob(f"*{suffix}")
        if path.is_file()
    }
    missing = sorted(set(track_ids) - set(found))
    if missing:
        raise InputError(
            estimates_dir / f"{missing[0]}{suffix}",
            f"no estimate for track {missing[0]!r} ({len(missing)} track(s) missing)",
        )
    unknown = sorted(set(found) - set(track_ids))
    if unknown:
        raise InputError(found[unknown[0]], f"estimate for unknown track {unknown[0]!r}")
    return {track_id: found[track_id] for track_id in sorted(track_ids)}


def _metric_columns(per_track: pd.DataFrame) -> list[str]:
    return [column for column in per_track.columns if column != "track_id"]


def summarize(
    per_track: pd.DataFrame, n_resamples: int = 1000, confidence: float = 0.95, seed: int = 0
) -> pd.DataFrame:
    """Summarise a per-track table: one row per metric across tracks.

    Columns: ``metric``, ``mean``, ``median``, ``ci_low``, ``ci_high`` (BCa bootstrap
    confidence interval of the mean, ``scipy.stats.bootstrap`` with ``n_resamples`` and
    ``confidence``), ``n_tracks``. Each metric draws from a fresh generator seeded with ``seed``,
    so the table is deterministic and independent of the column order. When all tracks share one
    value (a single track included) the interval collapses to that value. Every column except
    ``track_id`` is a metric; ``ValueError`` on an empty table or a NaN score.
    """
    metrics = _metric_columns(per_track)
    if per_track.empty or not metrics:
        raise ValueError("cannot summarise an empty per-track table")
    rows = []
    for metric in metrics:
        values = per_track[metric].to_numpy(dtype=np.float64)
        if np.isnan(values).any():
            raise ValueError(f"metric {metric!r} has NaN scores; cannot summarise")
        mean = float(values.mean())
        if np.all(values == values[0]):  # not np.ptp: inf - inf is NaN (mean patch ratio)
            # The bootstrap distribution is degenerate: every resample has this mean.
            low = high = mean
        else:
            interval = scipy.stats.bootstrap(
                (values,),
                np.mean,
                n_resamples=n_resamples,
                confidence_level=confidence,
                method="BCa",
                rng=np.random.default_rng(seed),
            ).confidence_interval
            low, high = float(interval.low), float(interval.high)
        rows.append(
            {
                "metric": metric,
                "mean": mean,
                "median": float(np.median(values)),
                "ci_low": low,
                "ci_high": high,
                "n_tracks": len(values),
            }
        )
    return pd.DataFrame(rows, columns=["metric", "mean", "median", "ci_low", "ci_high", "n_tracks"])


def paired_test(
    per_track_a: pd.DataFrame,
    per_track_b: pd.DataFrame,
    metric: str,
    names: Sequence[str] = ("a", "b"),
) -> dict[str, float | int | str]:
    """Wilcoxon signed-rank test of ``metric`` between two methods on their shared tracks.

    ``names`` label the two methods in the result and in errors. Returns ``metric``,
    ``method_a``, ``method_b``, ``n_tracks`` (tracks in both tables), ``mean_a``, ``mean_b``,
    ``mean_difference`` (a - b, positive when a scores higher), ``statistic`` and ``p_value``
    of ``scipy.stats.wilcoxon`` (two-sided; zero differences dropped as in its default
    ``zero_method="wilcox"``; identical scores give p = 1). ``ValueError`` naming the methods
    and the metric when the metric is missing or no track is shared.
    """
    name_a, name_b = names
    for name, table in ((name_a, per_track_a), (name_b, per_track_b)):
        if metric not in table.columns:
            raise ValueError(f"method {name!r} has no metric {metric!r}")
    merged = per_track_a[["track_id", metric]].merge(
        per_track_b[["track_id", metric]], on="track_id", suffixes=("_a", "_b")
    )
    if merged.empty:
        raise ValueError(
            f"methods {name_a!r} and {name_b!r} share no track to compare on {metric!r}"
        )
    a = merged[f"{metric}_a"].to_numpy(dtype=np.float64)
    b = merged[f"{metric}_b"].to_numpy(dtype=np.float64)
    result = scipy.stats.wilcoxon(a, b)
    return {
        "metric": metric,
        "method_a": name_a,
        "method_b": name_b,
        "n_tracks": len(merged),
        "mean_a": float(a.mean()),
        "mean_b": float(b.mean()),
        "mean_difference": float(np.mean(a - b)),
        "statistic": float(result.statistic),
        "p_value": float(result.pvalue),
    }


def write_results(
    per_track: pd.DataFrame,
    summary: pd.DataFrame,
    per_track_path: str | Path,
    summary_path: str | Path,
) -> None:
    """Write the per-track and summary tables as CSV (``%.6f``, atomic)."""
    write_csv(per_track, per_track_path)
    write_csv(summary, summary_path)


def copy_external(
    experiment: dict,
    data,
    part: str,
    output: str | Path,
    read: Callable,
    write: Callable,
    suffix: str,
) -> None:
    """An external method's estimates for every track of ``data``'s ``part``: the files
    ``<track_id><suffix>`` of the ``estimates`` folder (``{dataset}`` filled in), each read
    with the family's ``read`` (which checks it: a missing or bad file is an ``InputError``
    naming it) and written again with its ``write``, so only valid files reach the evaluator."""
    folder = Path(experiment["estimates"].format(dataset=data.name))
    with atomic_directory(output) as tmp:
        for track_id in data.track_ids(part):
            write(*read(folder / f"{track_id}{suffix}"), tmp / f"{track_id}{suffix}")


def score_estimates(
    jobs,
    predictions: str | Path,
    data,
    part: str,
    per_track_path: str | Path,
    summary_path: str | Path,
) -> None:
    """The evaluate job of any family: ``jobs.score`` (the family's per-track metrics of a
    folder of estimates against ``data``'s original references of ``part``), then the
    summary with bootstrap CIs; both written as CSV."""
    per_track = jobs.score(Path(predictions), data, part)
    write_results(per_track, summarize(per_track), per_track_path, summary_path)


def write_paired_tests(
    per_track_a: str | Path, per_track_b: str | Path, names: Sequence[str], output: str | Path
) -> None:
    """:func:`paired_test` of every metric shared by two per-track CSVs, one row each, as
    CSV (``names``: the two methods)."""
    a, b = pd.read_csv(per_track_a), pd.read_csv(per_track_b)
    metrics = [metric for metric in _metric_columns(a) if metric in b.columns]
    with warnings.catch_warnings():
        # scipy's normal approximation divides by zero when every difference is zero;
        # its p-value is then 1, the documented answer.
        warnings.simplefilter("ignore", RuntimeWarning)
        rows = [paired_test(a, b, metric, names) for metric in metrics]
    write_csv(pd.DataFrame(rows), output)

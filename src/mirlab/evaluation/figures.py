"""The results figures of every family: metric per method with CIs, per-track
distributions and hyperparameter sweeps, from the results table and per-track CSVs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from mirlab.evaluation import plots
from mirlab.storage import atomic_directory


def _save(fig: Figure, path: Path) -> None:
    fig.savefig(path, dpi=100)


def results_figures(
    results: str | Path,
    per_track: list[dict],
    metrics: Mapping[str, Sequence[str]],
    output: str | Path,
) -> None:
    """Results figures into the folder ``output``: ``metric-<m>.png`` (mean and CI per method),
    ``per_track-<m>.png`` (distribution across tracks) for every headline metric of every
    family, and ``sweep-<experiment>-<parameter>.png`` for every grid parameter that varies
    (against the family's first headline metric).

    ``per_track``: one entry per evaluation (experiment, seed, dataset, per_track CSV path);
    ``metrics``: each experiment's headline metrics (its family's). A figure of a metric
    draws the experiments that have it.
    """
    table = pd.read_csv(results)
    drawn = list(dict.fromkeys(m for names in metrics.values() for m in names))
    long = pd.concat(
        [
            table[["experiment", "dataset"]].assign(
                metric=metric,
                mean=table[metric],
                ci_low=table[f"{metric}.ci_low"],
                ci_high=table[f"{metric}.ci_high"],
            )
            for metric in drawn
        ],
        ignore_index=True,
    )
    long = long[long["mean"].notna()].drop_duplicates(["experiment", "dataset", "metric"])
    tracks = pd.concat(
        [
            pd.read_csv(e["per_track"]).assign(experiment=e["experiment"], dataset=e["dataset"])
            for e in per_track
        ],
        ignore_index=True,
    )
    with atomic_directory(output) as tmp:
        for metric in drawn:
            _save(plots.metric_by_method(long, metric), tmp / f"metric-{metric}.png")
            scored = tracks[tracks[metric].notna()] if metric in tracks else tracks.iloc[:0]
            if not scored.empty:
                _save(
                    plots.per_track_distribution(scored, metric, hue="dataset"),
                    tmp / f"per_track-{metric}.png",
                )
        for base, x in sweeps(table):
            rows = table[table["experiment"].str.split("-").str[0] == base]
            metric = metrics[rows["experiment"].iloc[0]][0]
            fig = plots.metric_vs_hyperparameters(rows, metric, x, hue="dataset")
            _save(fig, tmp / f"sweep-{base}-{x.removeprefix('param.')}.png")


def sweeps(table: pd.DataFrame) -> list[tuple[str, str]]:
    """(experiment base name, parameter column) of every grid: experiments named
    ``<base>-...`` whose numeric parameter column takes several values."""
    found = []
    bases = table["experiment"].str.split("-").str[0]
    for base in sorted(set(bases[table["experiment"].str.contains("-")])):
        rows = table[bases == base]
        for column in sorted(c for c in table.columns if c.startswith("param.")):
            values = pd.to_numeric(rows[column], errors="coerce")
            if values.notna().all() and values.nunique() > 1:
                found.append((base, column))
    return found

"""Family-neutral figures: results plots, and rendering for files and TensorBoard.

Every function returns a :class:`matplotlib.figure.Figure` built directly (never through
``pyplot``): nothing is registered globally, nothing is shown, and a figure is freed like any
other object. :func:`figure_to_png` and :func:`figure_to_image` render a figure with the Agg
backend for files and for TensorBoard image summaries.

Results figures read the evaluator's tables:

- *summary* (:func:`metric_by_method`): long layout, one row per (method, metric[, dataset]),
  columns ``metric``, ``mean``, ``ci_low``, ``ci_high`` plus the method column (default
  ``experiment``) and optionally a grouping column (default ``dataset``) -- i.e. the output of
  :func:`mirlab.evaluation.evaluate.summarize` with ``experiment`` and ``dataset`` columns added;
- *per-track* (:func:`per_track_distribution`): wide layout, one row per (method, track), one
  column per metric plus the method column -- per-track tables concatenated with an
  ``experiment`` column;
- *runs* (:func:`metric_vs_hyperparameters`): wide layout, one row per run (e.g.
  ``reports/results.csv``: one column per resolved parameter and per metric; several seeds of
  one setting are several rows).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from mirlab.errors import InputError


def require_columns(table: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    missing = [column for column in columns if column not in table.columns]
    if missing:
        raise InputError(name, f"missing column(s) {missing}; has {list(table.columns)}")


# --- results figures ----------------------------------------------------------------------


def metric_by_method(
    summary: pd.DataFrame, metric: str, method: str = "experiment", hue: str | None = "dataset"
) -> Figure:
    """Mean of ``metric`` per method with its confidence interval, one row per method.

    ``summary`` is the long summary layout (module docstring): the rows with
    ``summary["metric"] == metric`` are drawn, each as a point at ``mean`` and a horizontal
    line from ``ci_low`` to ``ci_high``; methods keep their order of first appearance, top to
    bottom. When the ``hue`` column exists its values are drawn side by side in different
    colours (one line collection and one legend entry per value). Each (method, hue) pair must
    have one row.
    """
    require_columns(summary, ["metric", "mean", "ci_low", "ci_high", method], "summary")
    rows = summary[summary["metric"] == metric]
    if rows.empty:
        raise InputError("summary", f"no row for metric {metric!r}")
    group_column = hue if hue is not None and hue in rows.columns else None
    keys = [method] if group_column is None else [method, group_column]
    duplicated = rows.duplicated(keys)
    if duplicated.any():
        raise InputError(
            "summary",
            f"several rows for {metric!r} at {rows.loc[duplicated, keys].iloc[0].tolist()}; "
            "expected one per method" + (f" and {group_column}" if group_column else ""),
        )
    if (rows["ci_low"] > rows["ci_high"]).any():
        raise InputError("summary", f"ci_low above ci_high for {metric!r}")

    methods = list(pd.unique(rows[method]))
    groups = [None] if group_column is None else list(pd.unique(rows[group_column]))
    position = {name: index for index, name in enumerate(methods)}
    palette = sns.color_palette("colorblind", len(groups))
    fig = Figure(
        figsize=(7, 1.2 + 0.45 * len(methods) * max(1, len(groups) / 2)), layout="constrained"
    )
    ax = fig.subplots()
    band = 0.7
    for index, (group, colour) in enumerate(zip(groups, palette, strict=True)):
        sub = rows if group is None else rows[rows[group_column] == group]
        offset = (index - (len(groups) - 1) / 2) * band / len(groups)
        y = sub[method].map(position).to_numpy(dtype=np.float64) + offset
        ax.hlines(y, sub["ci_low"], sub["ci_high"], color=colour, linewidth=2)
        ax.plot(
            sub["mean"],
            y,
            linestyle="none",
            marker="o",
            color=colour,
            label=None if group is None else str(group),
        )
    ax.set_yticks(range(len(methods)), [str(name) for name in methods])
    ax.set_ylim(len(methods) - 0.5, -0.5)
    ax.set_xlabel(f"{metric} (mean and confidence interval)")
    ax.set_ylabel(method)
    ax.grid(axis="x", alpha=0.3)
    if group_column is not None:
        ax.legend(title=group_column, fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))
    sns.despine(ax=ax)
    return fig


@contextmanager
def _seeded_global_rng(seed: int) -> Iterator[None]:
    """Seed numpy's global RNG for a block and restore it afterwards.

    seaborn's strip-plot jitter draws from ``np.random``; seeding it makes figures
    reproducible, and restoring the state leaves the caller's random stream untouched.
    """
    state = np.random.get_state()  # noqa: NPY002 (seaborn uses the legacy global RNG)
    np.random.seed(seed)  # noqa: NPY002
    try:
        yield
    finally:
        np.random.set_state(state)  # noqa: NPY002


def per_track_distribution(
    per_track: pd.DataFrame, metric: str, by: str = "experiment", hue: str | None = None
) -> Figure:
    """Distribution of ``metric`` across tracks for each value of ``by``: box plus points.

    ``per_track`` is the wide per-track layout (module docstring). Boxes (no outlier markers)
    summarise the tracks; every track is one jittered point (reproducible jitter). Groups keep
    their order of first appearance; ``hue`` splits each group by another column.
    """
    columns = [metric, by] + ([hue] if hue is not None else [])
    require_columns(per_track, columns, "per_track")
    if per_track.empty:
        raise InputError("per_track", "no rows")
    order = [str(name) for name in pd.unique(per_track[by])]
    data = per_track[columns].astype({by: str})
    fig = Figure(figsize=(7, 1.2 + 0.6 * len(order)), layout="constrained")
    ax = fig.subplots()
    common = {"data": data, "x": metric, "y": by, "order": order, "ax": ax}
    if hue is None:
        sns.boxplot(**common, showfliers=False, color="#56B4E9", width=0.6)
        with _seeded_global_rng(0):
            sns.stripplot(**common, color="0.15", size=3, alpha=0.7, jitter=0.2)
    else:
        palette = "colorblind"
        sns.boxplot(**common, hue=hue, palette=palette, showfliers=False, width=0.7)
        with _seeded_global_rng(0):
            sns.stripplot(
                **common,
                hue=hue,
                palette=palette,
                dodge=True,
                size=3,
                alpha=0.7,
                jitter=0.15,
                edgecolor="0.15",
                linewidth=0.5,
                legend=False,
            )
        sns.move_legend(ax, "upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    ax.grid(axis="x", alpha=0.3)
    sns.despine(ax=ax)
    return fig


def metric_vs_hyperparameters(
    table: pd.DataFrame, metric: str, x: str, hue: str | None = None, log_x: bool | None = None
) -> Figure:
    """Line plot of ``metric`` against the hyperparameter ``x``, one line per ``hue`` value.

    ``table`` is the wide runs layout (module docstring). Several runs of one setting (seeds)
    are averaged, with a 95 % bootstrap confidence band (seaborn, fixed seed); so are runs that
    differ in any other column, so select the slice of the grid to show first. ``hue`` values
    are treated as categories in sorted order. ``log_x`` (default: when every ``x`` is positive
    and they span a factor of 100 or more, e.g. learning rates) puts ``x`` on a log scale.
    """
    columns = [metric, x] + ([hue] if hue is not None else [])
    require_columns(table, columns, "table")
    if table.empty:
        raise InputError("table", "no rows")
    data = table[columns].copy()
    hue_order = None
    if hue is not None:
        levels = sorted(pd.unique(data[hue]))
        hue_order = [str(level) for level in levels]
        data[hue] = data[hue].astype(str)
    fig = Figure(figsize=(7, 4), layout="constrained")
    ax = fig.subplots()
    sns.lineplot(
        data=data,
        x=x,
        y=metric,
        hue=hue,
        hue_order=hue_order,
        ax=ax,
        marker="o",
        errorbar=("ci", 95),
        seed=0,
        palette="colorblind" if hue is not None else None,
    )
    values = pd.to_numeric(data[x], errors="coerce").to_numpy(dtype=np.float64)
    if log_x is None:
        log_x = bool(np.all(values > 0) and values.max() / values.min() >= 100)
    if log_x:
        ax.set_xscale("log")
    if hue is not None:
        sns.move_legend(ax, "upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    ax.grid(alpha=0.3)
    sns.despine(ax=ax)
    return fig


# --- rendering ----------------------------------------------------------------------------


def figure_to_image(fig: Figure, dpi: float | None = None) -> np.ndarray:
    """Render ``fig`` with Agg; returns an ``(height, width, 4)`` RGBA ``uint8`` array.

    Suitable for ``tf.summary.image`` after adding a batch axis. ``dpi`` defaults to the
    figure's own; the figure is left as it was.
    """
    original_dpi = fig.dpi
    if dpi is not None:
        fig.set_dpi(dpi)
    try:
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        return np.array(canvas.buffer_rgba(), dtype=np.uint8)
    finally:
        fig.set_dpi(original_dpi)


def figure_to_png(fig: Figure, dpi: float | None = None) -> bytes:
    """Render ``fig`` to PNG bytes (matplotlib's Agg renderer; ``dpi`` defaults to the figure's
    own)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi="figure" if dpi is None else dpi)
    return buffer.getvalue()

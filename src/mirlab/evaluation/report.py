"""The results table: one row per (experiment, seed, dataset, split) with every resolved
parameter and every metric as columns (the equivalent of ``dvc exp show``)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from mirlab.storage import write_csv, write_parquet

IDENTITY = ["experiment", "seed", "dataset", "split"]


def results_row(
    experiment_name: str,
    seed: int,
    dataset: str,
    part: str,
    experiment: dict,
    summary: pd.DataFrame,
) -> dict:
    """One row: identity, ``param.<dotted key>`` per resolved parameter, and per metric its
    mean (column ``<metric>``), median and bootstrap CI (``<metric>.median|ci_low|ci_high``)."""
    row = {"experiment": experiment_name, "seed": seed, "dataset": dataset, "split": part}
    flat = pd.json_normalize(experiment, sep=".").iloc[0].to_dict()
    row.update({f"param.{key}": _cell(value) for key, value in sorted(flat.items())})
    for record in summary.itertuples():
        row[record.metric] = record.mean
        row[f"{record.metric}.median"] = record.median
        row[f"{record.metric}.ci_low"] = record.ci_low
        row[f"{record.metric}.ci_high"] = record.ci_high
    row["n_tracks"] = int(summary["n_tracks"].iloc[0])
    return row


def _cell(value: object) -> object:
    # Lists and mappings become JSON text so that every column has one scalar type.
    if isinstance(value, list | dict):
        return json.dumps(value, sort_keys=True)
    return value


def results_table(entries: list[dict], experiments: dict[str, dict]) -> pd.DataFrame:
    """The table of ``entries`` (each: experiment, seed, dataset, split, summary path).

    Rows are sorted by identity; parameter columns come first, then metrics, so the table
    reads the same whatever order the jobs finished in.
    """
    rows = [
        results_row(
            entry["experiment"],
            int(entry["seed"]),
            entry["dataset"],
            entry["split"],
            experiments[entry["experiment"]],
            pd.read_csv(entry["summary"]),
        )
        for entry in entries
    ]
    table = pd.DataFrame(rows).sort_values(IDENTITY, kind="stable").reset_index(drop=True)
    params = sorted(column for column in table.columns if column.startswith("param."))
    metrics = [c for c in table.columns if c not in IDENTITY and c not in params]
    return table[IDENTITY + params + metrics]


def write_results_table(
    table: pd.DataFrame, csv_path: str | Path, parquet_path: str | Path
) -> None:
    """Write the results table as CSV (``%.6f`` floats, byte-stable) and Parquet."""
    write_csv(table, csv_path)
    write_parquet(
        table.astype({c: "string" for c in table.columns if table[c].dtype == object}), parquet_path
    )

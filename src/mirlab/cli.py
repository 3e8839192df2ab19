"""The ``mirlab`` command: any family's methods on files, the evaluator on files, and the
results table in the terminal, outside the DAG.

Exit status 0 on success, 2 on bad input (the error, naming the file or key, on stderr).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

from mirlab.errors import InputError

DEFAULT_CONFIG = "config/config.yaml"


def _experiment_of(source: str, config_path: str) -> tuple[dict, str | None, dict | None, dict]:
    """(resolved experiment, model folder or None, its feature parameters, families) of a
    trained model folder or of an experiment name of the config."""
    from mirlab.config import check_config
    from mirlab.inference import trained_model

    if Path(source).is_dir():
        experiment = trained_model(source)
        return experiment, source, experiment.get("input", {}).get("feature_params"), {}
    path = Path(config_path)
    if not path.is_file():
        raise InputError(path, f"{source!r} is no model folder, and there is no config to find it")
    config = yaml.safe_load(path.read_text())
    check_config(config, Path(__file__).resolve().parents[2] / "config" / "schema.yaml")
    experiment = config["experiments"].get(source)
    if experiment is None:
        raise InputError(f"config key experiments.{source}", f"not an experiment of {path}")
    if experiment["method"] != "baseline":
        raise InputError(
            f"config key experiments.{source}",
            "a trained experiment runs from its model folder: results/<exp>/seed<k>/model",
        )
    feature = experiment.get("input", {}).get("feature")
    return experiment, None, config["features"].get(feature), config["families"]


def predict(args: argparse.Namespace) -> None:
    from rich.progress import Progress

    from mirlab.families.registry import get_family
    from mirlab.inference import predict_files

    experiment, model_dir, feature, families = _experiment_of(args.source, args.config)
    family = get_family(experiment["task"], families)
    with Progress(transient=True) as bar:
        task = bar.add_task("predicting", total=len(args.audio))
        written = predict_files(
            family, experiment, args.audio, args.output, model_dir, feature,
            progress=lambda name: bar.advance(task),
        )  # fmt: skip
    for path in written:
        print(path)


def evaluate(args: argparse.Namespace) -> None:
    from mirlab.evaluation.evaluate import summarize
    from mirlab.families.registry import get_family
    from mirlab.inference import evaluate_files
    from mirlab.storage import write_csv

    family = get_family(args.task)
    per_track = evaluate_files(family, args.reference, args.estimate, args.reference_format)
    if args.per_track:
        write_csv(per_track, args.per_track)
    summary = summarize(per_track) if len(per_track) > 1 else None
    for metric in family.metrics:
        line = f"{metric:32s} {per_track[metric].mean():.4f}"
        if summary is not None:
            row = summary.set_index("metric").loc[metric]
            line += f"  [{row.ci_low:.4f}, {row.ci_high:.4f}]"
        print(line)


def results(args: argparse.Namespace) -> None:
    import pandas as pd
    from rich.console import Console
    from rich.table import Table

    path = Path(args.table)
    if not path.is_file():
        raise InputError(path, "no results table: run snakemake reports/results.csv first")
    table = pd.read_csv(path)
    for condition in args.where:
        key, sep, value = condition.partition("=")
        if not sep or key not in table.columns:
            raise InputError("--where", f"{condition!r}: give COLUMN=VALUE with a column of {path}")
        table = table[table[key].astype(str) == value]
    if args.sort:
        if args.sort not in table.columns:
            raise InputError("--sort", f"{args.sort!r} is not a column of {path}")
        table = table.sort_values(args.sort, ascending=False, kind="stable")
    columns = args.columns or [
        column
        for column in table.columns
        if not column.startswith("param.") and "." not in column and table[column].notna().any()
    ]
    unknown = [column for column in columns if column not in table.columns]
    if unknown:
        raise InputError("--columns", f"{', '.join(unknown)}: not columns of {path}")
    shown = Table(*columns)
    for row in table[columns].itertuples(index=False):
        shown.add_row(*(f"{v:.4f}" if isinstance(v, float) else str(v) for v in row))
    Console(width=args.width).print(shown)


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="mirlab", description=__doc__.split("\n\n")[0])
    commands = main.add_subparsers(dest="command", required=True)

    run = commands.add_parser(
        "predict", help="run a trained model or a baseline on audio files",
        description="Write the family's estimate file (melody: MIREX CSV, ...) of each audio "
        "file (any rate and channel count) into the output folder.",
    )  # fmt: skip
    run.add_argument("source", help="a trained model folder (results/<exp>/seed<k>/model) "
                     "or a baseline experiment's name in the config")  # fmt: skip
    run.add_argument("audio", nargs="+", help="audio files")
    run.add_argument("-o", "--output", required=True, help="output folder")
    run.add_argument("--config", default=DEFAULT_CONFIG, help="config naming the baseline")
    run.set_defaults(function=predict)

    score = commands.add_parser(
        "evaluate", help="score estimate files against reference annotations",
        description="Print the family's metrics (mean, and bootstrap CI for several tracks) "
        "of estimates against references: two files, or two folders paired by name.",
    )  # fmt: skip
    score.add_argument("reference", help="reference annotation file or folder")
    score.add_argument("estimate", help="estimate file or folder (<track><suffix>)")
    score.add_argument("--task", default="melody", help="the family (default melody)")
    score.add_argument("--reference-format", default="mirex_csv",
                       help="format of the references, as for the folder loader")  # fmt: skip
    score.add_argument("--per-track", help="also write the per-track scores to this CSV")
    score.set_defaults(function=evaluate)

    show = commands.add_parser(
        "results", help="show the results table",
        description="The results table (reports/results.csv) in the terminal.",
    )  # fmt: skip
    show.add_argument("--table", default="reports/results.csv")
    show.add_argument("--sort", help="sort by this column, highest first")
    show.add_argument("--where", action="append", default=[], metavar="COLUMN=VALUE")
    show.add_argument("--columns", nargs="+", help="columns to show (default: identity, metrics)")
    show.add_argument("--width", type=int, default=None, help="terminal width")
    show.set_defaults(function=results)
    return main


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        args.function(args)
    except InputError as error:
        print(f"mirlab {args.command}: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

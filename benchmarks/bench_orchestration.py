"""Orchestration overhead: preprocessing a synthetic dataset through Snakemake vs. the library.

The same preprocessing (generate, index, split, resample to every rate, convert and grid the
annotations, every feature) is run twice per repeat, into separate scratch folders:

- ``snakemake``: the real Snakefile on a config with only this dataset (no experiments, no
  excerpts), ``--cores N``, the default target; wall time of the ``snakemake`` command.
- ``library``: the ``mirlab.data.preprocess`` functions called in one fresh Python process, in
  the order of the DAG, with the arguments the job scripts pass (``workers`` = the threads
  Snakemake gives each job: N for the pooled rules, 1 for ``index_dataset`` and the other
  single-threaded rules); wall time of that process, interpreter start-up and imports
  included, so that both sides pay one start-up.
- ``processes`` (with ``--breakdown``): the same calls, each in its own fresh process, one
  after the other: what the jobs cost without Snakemake.

Repeats alternate the order (S L, L S, ...) and the medians are reported, with the ratio
snakemake / library (target: at most 1.3). CPU seconds (user + system of every process
waited for) are reported beside wall seconds: on a shared machine they move much less. To
say where the difference goes, the report also holds each job's wall time from Snakemake's
``benchmark:`` files next to the same call's time in the library process, and start-up costs
measured in the same run: a job script's imports and ``snakemake`` with nothing to do.

    .venv/bin/python benchmarks/bench_orchestration.py --output benchmarks/out/orchestration.json
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).with_name("snakemake")
#: The rules that the preprocessing of one dataset runs, in the order the DAG allows.
PREPROCESSING_RULES = (
    "generate_synth",
    "index_dataset",
    "make_split",
    "resample_audio",
    "convert_annotations",
    "grid_annotations",
    "extract_features",
)


def bench_config(n_tracks: int, duration: float, features: list[str] | None) -> dict:
    """A config with one synth dataset and the repository config's features, rates and split.

    ``features`` names a subset of the repository config's features (None: all of them).
    """
    default = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    synth = default["datasets"]["synth"]
    chosen = features if features is not None else list(default["features"])
    unknown = set(chosen) - set(default["features"])
    if unknown:
        raise SystemExit(f"--features: not in config/config.yaml: {sorted(unknown)}")
    return {
        "data_dir": "data",
        "datasets": {
            "synth": {
                "loader": "synth",
                "generate": {**synth["generate"], "n_tracks": n_tracks, "duration": duration},
                "split": synth["split"],
            }
        },
        "features": {name: default["features"][name] for name in chosen},
        "audio_rates": default.get("audio_rates", []),
    }


def write_config(workdir: Path, config: dict) -> None:
    (workdir / "config").mkdir(parents=True, exist_ok=True)
    (workdir / "config" / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


def timed(command: list[str], cwd: Path | None = None) -> tuple[float, float, str]:
    """Run ``command``: (wall seconds, CPU seconds of it and its children, stdout + stderr).

    CPU seconds (user + system, every process it waited for) hardly change with the load
    that other users put on the machine, unlike wall seconds.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, cwd=cwd)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    output = result.stdout + result.stderr
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed in {cwd}:\n{output[-3000:]}")
    return wall, cpu, output


def snakemake(workdir: Path, *args: str) -> tuple[float, float, str]:
    """Run the repository's Snakefile in ``workdir``: wall and CPU seconds, output."""
    command = [str(SNAKEMAKE), "-s", str(REPO / "Snakefile"), "-d", str(workdir), *args]
    return timed(command, workdir)


def planned_outputs(workdir: Path) -> dict[str, str]:
    """``{output: rule}`` of the default target's DAG, from ``snakemake --summary``.

    Refuses a DAG that holds anything but preprocessing, so that this benchmark measures
    what it says even if the default target grows.
    """
    *_, output = snakemake(workdir, "--summary")
    rows = [line.split("\t") for line in output.splitlines() if line.count("\t") >= 4]
    outputs = {row[0]: row[2] for row in rows[1:]}
    other = set(outputs.values()) - set(PREPROCESSING_RULES)
    if other:
        raise SystemExit(f"the default target runs more than preprocessing: {sorted(other)}")
    return outputs


def job_benchmarks(workdir: Path) -> dict[str, float]:
    """Wall seconds of every job, from the ``benchmark:`` files under ``workdir/logs``."""
    seconds = {}
    for path in sorted((workdir / "logs").rglob("*.benchmark.tsv")):
        with path.open() as file:
            row = next(csv.DictReader(file, delimiter="\t"))
        # The library side has no cache keys: drop them from the job name.
        name = re.sub(r"-[0-9a-f]{10}$", "", path.name.removesuffix(".benchmark.tsv"))
        seconds[name] = float(row["s"])
    return seconds


def library_steps(config: dict, cores: int) -> list[tuple[str, str, dict]]:
    """(job name, function name, keyword arguments) in DAG order; paths relative to the data folder.

    Job names match the ``benchmark:`` file names of the rules, so both can be compared.
    """
    dataset = config["datasets"]["synth"]
    features = config["features"]
    rates = sorted({f["sr"] for f in features.values()} | set(config["audio_rates"]))
    grids = sorted({(f["sr"], f["hop_length"]) for f in features.values()})
    steps = [
        ("generate_synth", "generate_synth_dataset",
         {"output": "generated", "generate": dataset["generate"], "workers": cores}),
        ("index_dataset", "index_dataset",
         {"loader": "synth", "root": "generated", "options": {}, "output": "index.parquet",
          "workers": 1}),
        ("make_split", "make_split",
         {"index": "index.parquet", "split": dataset["split"], "output": "split.csv"}),
    ]  # fmt: skip
    steps += [
        (f"resample_audio-sr{sr}", "resample_dataset",
         {"index": "index.parquet", "source": "mix", "sr": sr, "output": f"audio/sr{sr}",
          "workers": cores})
        for sr in rates
    ]  # fmt: skip
    steps.append(
        ("convert_annotations", "convert_annotations",
         {"index": "index.parquet", "output": "annotations/original", "workers": cores})
    )  # fmt: skip
    steps += [
        (f"grid_annotations-sr{sr}_hop{hop}", "grid_annotations",
         {"original": "annotations/original", "audio": f"audio/sr{sr}", "sr": sr,
          "hop_length": hop, "output": f"annotations/sr{sr}_hop{hop}"})
        for sr, hop in grids
    ]  # fmt: skip
    steps += [
        (f"extract_features-{name}", "extract_dataset_features",
         {"audio": f"audio/sr{params['sr']}", "params": params, "output": f"features/{name}",
          "workers": cores})
        for name, params in features.items()
    ]  # fmt: skip
    return steps


def run_library_child(plan: Path, folder: Path, timings: Path) -> None:
    """Inside the child process: run the planned calls into ``folder``, write their seconds.

    Each call logs to its own file through ``mirlab.jobs.logged``, as the job scripts do.
    """
    from mirlab.data import preprocess
    from mirlab.jobs import logged

    path_keys = {"output", "root", "index", "original", "audio"}
    seconds = {}
    for job, function, kwargs in json.loads(plan.read_text()):
        kwargs = {k: str(folder / v) if k in path_keys else v for k, v in kwargs.items()}
        start = time.perf_counter()
        with logged(folder.parent / "logs" / f"{job}.log"):
            getattr(preprocess, function)(**kwargs)
        seconds[job] = time.perf_counter() - start
    timings.write_text(json.dumps(seconds))


def run_library(config: dict, cores: int, folder: Path) -> tuple[float, float, dict[str, float]]:
    """A fresh process runs every preprocessing call: wall and CPU seconds, seconds per call."""
    folder.mkdir(parents=True)
    plan, timings = folder / "plan.json", folder / "timings.json"
    plan.write_text(json.dumps(library_steps(config, cores)))
    command = [sys.executable, __file__, "--library-child", str(plan), str(folder / "data"),
               str(timings)]  # fmt: skip
    wall, cpu, _ = timed(command)
    return wall, cpu, json.loads(timings.read_text())


def run_processes(config: dict, cores: int, folder: Path) -> tuple[float, float, dict[str, float]]:
    """Each preprocessing call in its own fresh process, one after the other, as jobs would be.

    Wall and CPU seconds in all, and the wall seconds of each process.
    """
    folder.mkdir(parents=True)
    wall = cpu = 0.0
    per_job = {}
    for number, step in enumerate(library_steps(config, cores)):
        plan, timings = folder / f"plan{number}.json", folder / f"timings{number}.json"
        plan.write_text(json.dumps([step]))
        command = [sys.executable, __file__, "--library-child", str(plan), str(folder / "data"),
                   str(timings)]  # fmt: skip
        step_wall, step_cpu, _ = timed(command)
        wall, cpu, per_job[step[0]] = wall + step_wall, cpu + step_cpu, step_wall
    return wall, cpu, per_job


def run_snakemake(config: dict, cores: int, workdir: Path) -> tuple[float, float, dict[str, float]]:
    """``snakemake --cores`` on ``config``: wall and CPU seconds, seconds per job."""
    write_config(workdir, config)
    outputs = planned_outputs(workdir)
    wall, cpu, _ = snakemake(workdir, "--cores", str(cores))
    missing = [path for path in outputs if not (workdir / path).exists()]
    if missing:
        raise SystemExit(f"snakemake did not build {missing}")
    return wall, cpu, job_benchmarks(workdir)


#: What every job's process imports (the scripts import ``mirlab.data.preprocess``), what
#: Snakemake's script preamble imports, what the Snakefile imports, and what only some
#: stages import on top (annotation readers and grids, features).
IMPORTS = {
    "python -c pass": "pass",
    "import snakemake.script": "import snakemake.script",
    "import mirlab.data.preprocess": "import mirlab.data.preprocess",
    "  of which import pandas": "import pandas",
    "import mirlab.data.readers (annotation stages; mir_eval)": "import mirlab.data.readers",
    "import mirlab.data.features (feature stages; librosa)": "import mirlab.data.features",
    "Snakefile imports (mirlab.config, .experiments)": "import mirlab.config, mirlab.experiments",
}


def fixed_costs(workdir: Path, cores: int, repeats: int = 3) -> dict[str, dict[str, float]]:
    """Start-up costs: each job's imports, and ``snakemake``'s own start and DAG.

    Median wall and CPU seconds of ``repeats`` runs; ``workdir`` holds a finished Snakemake
    run, so ``snakemake`` there has nothing to do.
    """
    commands = {name: [sys.executable, "-c", code] for name, code in IMPORTS.items()}
    commands["snakemake, nothing to do"] = [
        str(SNAKEMAKE), "-s", str(REPO / "Snakefile"), "-d", str(workdir), "--cores", str(cores)
    ]  # fmt: skip
    costs = {}
    for name, command in commands.items():
        runs = [timed(command, workdir)[:2] for _ in range(repeats)]
        costs[name] = {
            "wall": statistics.median(wall for wall, _ in runs),
            "cpu": statistics.median(cpu for _, cpu in runs),
        }
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, help="JSON file for the figures")
    parser.add_argument("--tracks", type=int, default=200)
    parser.add_argument("--duration", type=float, default=2.0, help="seconds per track")
    parser.add_argument("--cores", type=int, default=2, help="snakemake --cores and workers")
    parser.add_argument("--repeats", type=int, default=2, help="runs of each, alternating")
    parser.add_argument("--features", nargs="+", help="subset of config/config.yaml's features")
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="also run every call in its own process, to split start-up from Snakemake's cost",
    )
    parser.add_argument("--scratch", type=Path, help="scratch folder (default: a temporary one)")
    parser.add_argument("--library-child", nargs=3, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.library_child:
        run_library_child(*args.library_child)
        return
    if args.output is None:
        parser.error("--output is required")

    config = bench_config(args.tracks, args.duration, args.features)
    started = time.perf_counter()
    sides = ("snakemake", "library", "processes") if args.breakdown else ("snakemake", "library")
    run_side = {"snakemake": run_snakemake, "library": run_library, "processes": run_processes}
    runs = {side: [] for side in sides}
    with tempfile.TemporaryDirectory(dir=args.scratch) as scratch:
        scratch = Path(scratch)
        for repeat in range(args.repeats):
            for side in sides if repeat % 2 == 0 else sides[::-1]:
                folder = scratch / f"{side}{repeat}"
                load_before = os.getloadavg()[0]
                wall, cpu, per_job = run_side[side](config, args.cores, folder)
                load = (load_before, os.getloadavg()[0])
                runs[side].append({"wall": wall, "cpu": cpu, "jobs": per_job, "load1": load})
                print(f"repeat {repeat} {side:<10}{wall:7.1f} s wall {cpu:7.1f} s CPU, "
                      f"load {load[0]:.1f} -> {load[1]:.1f}", flush=True)  # fmt: skip
                if repeat < args.repeats - 1:
                    shutil.rmtree(folder)
        n_jobs = len(planned_outputs(scratch / f"snakemake{args.repeats - 1}"))
        costs = fixed_costs(scratch / f"snakemake{args.repeats - 1}", args.cores)

    def median(side: str, key: str) -> float:
        return statistics.median(run[key] for run in runs[side])

    wall = {side: median(side, "wall") for side in sides}
    cpu = {side: median(side, "cpu") for side in sides}
    per_job = {
        job: {side: statistics.median(run["jobs"][job] for run in runs[side]) for side in sides}
        for job in runs["library"][0]["jobs"]
    }
    ratio = wall["snakemake"] / wall["library"]
    result = {
        "summary": {
            "snakemake_s": wall["snakemake"],
            "library_s": wall["library"],
            "snakemake_over_library": ratio,
            "cpu_snakemake_over_library": cpu["snakemake"] / cpu["library"],
        },
        "tracks": args.tracks,
        "duration_s": args.duration,
        "audio_seconds": args.tracks * args.duration,
        "features": list(config["features"]),
        "audio_rates_hz": sorted(
            {f["sr"] for f in config["features"].values()} | set(config["audio_rates"])
        ),
        "cores": args.cores,
        "cpu_count": os.cpu_count(),
        "repeats": args.repeats,
        "jobs": n_jobs,
        "runs": runs,
        "median_wall_seconds": wall,
        "median_cpu_seconds": cpu,
        "snakemake_over_library": ratio,
        "target_ratio": 1.3,
        "per_job_median_wall_seconds": per_job,
        "fixed_costs_seconds": costs,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "total_seconds": time.perf_counter() - started,
    }

    print(f"{args.tracks} tracks x {args.duration:g} s, features {', '.join(config['features'])}, "
          f"--cores {args.cores}, {n_jobs} jobs, median of {args.repeats}")  # fmt: skip
    print(f"{'job (wall s)':<34}" + "".join(f"{side:>11}" for side in sides))
    for job, times in per_job.items():
        print(f"{job:<34}" + "".join(f"{times[side]:>11.2f}" for side in sides))
    for name, values in (("whole run, wall s", wall), ("whole run, CPU s", cpu)):
        print(f"{name:<34}" + "".join(f"{values[side]:>11.1f}" for side in sides))
    print(f"snakemake / library, wall: {ratio:.3f} (target <= 1.3); "
          f"CPU: {result['summary']['cpu_snakemake_over_library']:.3f}")  # fmt: skip
    print(f"{'start-up (median of 3)':<48}{'wall s':>8}{'CPU s':>8}")
    for name, seconds in costs.items():
        print(f"{name:<48}{seconds['wall']:>8.2f}{seconds['cpu']:>8.2f}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()

"""Planning time: ``snakemake -n`` with everything up to date, 1,000 tracks against 200.

Builds the preprocessing of two synthetic datasets through the real Snakefile (the config of
``bench_orchestration.py``: one synth dataset, the repository config's features, audio rates
and split; no experiments), each in its own working folder, then times ``snakemake -n``
there once nothing is left to do: ``--repeats`` runs per config, alternating between the two
configs, medians reported (wall and CPU seconds). The DAG is per dataset, not per track, so
the time should not grow with the tracks (target: under 5 s at 1,000 tracks); the 200-track
config is the reference measured in the same run. Tracks are short (``--duration``, 1 s: the
generator's minimum) so that the build stays affordable; planning never reads audio. The
build is timed too, for information (with ``--workdir`` reused, it has nothing to do).

    .venv/bin/python benchmarks/bench_planning.py --output benchmarks/out/planning.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_orchestration import bench_config, planned_outputs, snakemake, write_config  # noqa: E402

NOTHING_TO_DO = "Nothing to be done"


def build(config: dict, workdir: Path, cores: int) -> tuple[float, int]:
    """Build the default target in ``workdir``: (wall seconds, jobs in the DAG)."""
    write_config(workdir, config)
    n_jobs = len(planned_outputs(workdir))
    seconds, *_ = snakemake(workdir, "--cores", str(cores))
    return seconds, n_jobs


def dry_run(workdir: Path) -> tuple[float, float]:
    """Wall and CPU seconds of ``snakemake -n`` in ``workdir``, which must have nothing to do."""
    wall, cpu, output = snakemake(workdir, "-n")
    if NOTHING_TO_DO not in output:
        raise SystemExit(f"snakemake -n in {workdir} still has jobs to run:\n{output[-2000:]}")
    return wall, cpu


def count_files(folder: Path) -> int:
    return sum(1 for path in folder.rglob("*") if path.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, required=True, help="JSON file for the figures")
    parser.add_argument("--tracks", type=int, default=1000)
    parser.add_argument("--reference-tracks", type=int, default=200)
    parser.add_argument("--duration", type=float, default=1.0, help="seconds per track")
    parser.add_argument("--cores", type=int, default=2, help="snakemake --cores for the build")
    parser.add_argument("--repeats", type=int, default=3, help="dry runs per config, alternating")
    parser.add_argument("--features", nargs="+", help="subset of config/config.yaml's features")
    parser.add_argument(
        "--workdir",
        type=Path,
        help="keep the built datasets here and reuse them next time (default: a temporary folder)",
    )
    args = parser.parse_args()

    started = time.perf_counter()
    sizes = {"reference": args.reference_tracks, "large": args.tracks}
    result = {
        "duration_s": args.duration,
        "cores": args.cores,
        "repeats": args.repeats,
        "target_seconds": 5.0,
    }
    with tempfile.TemporaryDirectory() as scratch:
        root = args.workdir or Path(scratch)
        workdirs = {name: root / f"tracks{tracks}" for name, tracks in sizes.items()}
        for name, tracks in sizes.items():
            config = bench_config(tracks, args.duration, args.features)
            build_seconds, n_jobs = build(config, workdirs[name], args.cores)
            result[name] = {
                "tracks": tracks,
                "jobs": n_jobs,
                "files": count_files(workdirs[name] / "data"),
                "build_seconds": build_seconds,
                "dry_runs": [],
            }
            print(f"{tracks} tracks: built in {build_seconds:.0f} s", flush=True)
        # Alternating, so that a change in the machine's load hits both configs alike.
        for repeat in range(args.repeats):
            for name in sizes if repeat % 2 == 0 else list(sizes)[::-1]:
                load = os.getloadavg()[0]
                wall, cpu = dry_run(workdirs[name])
                result[name]["dry_runs"].append({"wall": wall, "cpu": cpu, "load1": load})
    for name in sizes:
        runs = result[name]["dry_runs"]
        result[name]["median_dry_run_seconds"] = statistics.median(run["wall"] for run in runs)
        result[name]["median_dry_run_cpu_seconds"] = statistics.median(run["cpu"] for run in runs)
    result["features"] = list(config["features"])
    result["large_over_reference"] = (
        result["large"]["median_dry_run_seconds"] / result["reference"]["median_dry_run_seconds"]
    )
    result["summary"] = {
        f"dry_run_s_{args.tracks}": result["large"]["median_dry_run_seconds"],
        f"dry_run_s_{args.reference_tracks}": result["reference"]["median_dry_run_seconds"],
        "large_over_reference": result["large_over_reference"],
        "jobs": result["large"]["jobs"],
    }
    result.update(
        python=platform.python_version(),
        machine=platform.machine(),
        date=time.strftime("%Y-%m-%d %H:%M"),
        total_seconds=time.perf_counter() - started,
    )

    print(f"snakemake -n, median of {args.repeats}, everything up to date")
    print(f"{'config':<12}{'tracks':>8}{'jobs':>6}{'files':>8}{'wall s':>9}{'CPU s':>8}{'load':>6}")
    for name in sizes:
        row = result[name]
        load = statistics.median(run["load1"] for run in row["dry_runs"])
        print(
            f"{name:<12}{row['tracks']:>8}{row['jobs']:>6}{row['files']:>8}"
            f"{row['median_dry_run_seconds']:>9.2f}{row['median_dry_run_cpu_seconds']:>8.2f}"
            f"{load:>6.1f}"
        )
    print(f"large / reference: {result['large_over_reference']:.3f} (target: large under 5 s)")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()

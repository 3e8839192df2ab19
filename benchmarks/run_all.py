"""Run every ``benchmarks/bench_*.py``, keep their JSON and output, print a summary table.

Each benchmark writes its figures to the JSON path given by ``--output PATH``; here that is
``benchmarks/out/<name>.json``, next to ``<name>.log`` (its printed output). The summary
shows each benchmark's wall time and headline figures: the JSON's ``summary`` mapping where
it has one, else every number whose key holds ``_over_`` (the ratios).

    .venv/bin/python benchmarks/run_all.py            # or: make bench
    .venv/bin/python benchmarks/run_all.py --only planning orchestration
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def benchmark_scripts(only: list[str] | None) -> list[Path]:
    """The ``bench_*.py`` scripts beside this one, by name, optionally only those named."""
    scripts = sorted(HERE.glob("bench_*.py"))
    if only is None:
        return scripts
    names = {script.stem.removeprefix("bench_"): script for script in scripts}
    unknown = set(only) - set(names)
    if unknown:
        raise SystemExit(f"--only: no benchmark {sorted(unknown)} (have {sorted(names)})")
    return [names[name] for name in only]


def headline(figures: dict) -> dict[str, float]:
    """The figures to show: ``figures["summary"]``, else the numbers whose key holds ``_over_``."""
    if isinstance(figures.get("summary"), dict):
        return figures["summary"]
    found = {}

    def walk(node: object, prefix: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{prefix}{key}.")
        elif (
            isinstance(node, int | float)
            and not isinstance(node, bool)
            and "_over_" in prefix.rsplit(".", 2)[-2]
        ):
            found[prefix.rstrip(".")] = node

    walk(figures, "")
    return found


def run(script: Path, out_dir: Path) -> dict:
    """Run one benchmark; its status, wall seconds and headline figures."""
    name = script.stem.removeprefix("bench_")
    output, log = out_dir / f"{name}.json", out_dir / f"{name}.log"
    output.unlink(missing_ok=True)
    command = [sys.executable, str(script), "--output", str(output)]
    print(f"== {name}: {' '.join(command[1:])}", flush=True)
    start = time.perf_counter()
    with log.open("w") as file:
        # Output goes to the log and, line by line, to the console.
        process = subprocess.Popen(
            command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for line in process.stdout:
            file.write(line)
            print(f"   {line}", end="", flush=True)
        returncode = process.wait()
    seconds = time.perf_counter() - start
    ok = returncode == 0 and output.is_file()
    figures = headline(json.loads(output.read_text())) if ok else {}
    return {"name": name, "ok": ok, "returncode": returncode, "seconds": seconds,
            "figures": figures, "json": str(output), "log": str(log)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=HERE / "out", help="JSON and log folder")
    parser.add_argument("--only", nargs="+", help="benchmark names, e.g. planning orchestration")
    args = parser.parse_args()

    args.out_dir.mkdir(parents=True, exist_ok=True)
    results = [run(script, args.out_dir) for script in benchmark_scripts(args.only)]
    (args.out_dir / "summary.json").write_text(json.dumps(results, indent=2) + "\n")

    print(f"\n{'benchmark':<16}{'status':<8}{'wall s':>8}  figures")
    for result in results:
        status = "ok" if result["ok"] else f"FAIL {result['returncode']}"
        figures = ", ".join(
            f"{key} {value:.3g}" if isinstance(value, float) else f"{key} {value}"
            for key, value in result["figures"].items()
        )
        print(f"{result['name']:<16}{status:<8}{result['seconds']:>8.0f}  {figures}")
        if not result["ok"]:
            print(f"{'':<34}see {result['log']}")
    sys.exit(0 if all(result["ok"] for result in results) else 1)


if __name__ == "__main__":
    main()

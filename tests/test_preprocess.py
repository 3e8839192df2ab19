"""The preprocessing stage functions outside Snakemake."""

import subprocess
import sys


def test_a_stage_job_imports_only_what_its_stage_needs():
    # Each stage is a job in a fresh interpreter: importing the stage module must not pull
    # in mir_eval (~1 s, scipy.stats) or librosa's core (~0.9 s), which only the annotation
    # and feature stages use (benchmarks/bench_orchestration.py measures the cost).
    heavy = ("mir_eval", "scipy.stats", "scipy.signal", "librosa.core")
    code = (
        "import sys, mirlab.data.preprocess; "
        f"print(','.join(name for name in {heavy!r} if name in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""

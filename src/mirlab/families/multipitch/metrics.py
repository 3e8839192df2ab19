"""Multi-pitch metrics (``mir_eval.multipitch``) and the MIREX multi-f0 estimate format."""

from __future__ import annotations

from collections.abc import Sequence

import mir_eval
import numpy as np

from mirlab.evaluation.evaluate import quiet_mir_eval


def _snake_case(name: str) -> str:
    return name.lower().replace(" ", "_")


def multipitch_metrics(
    ref_times: np.ndarray,
    ref_freqs: Sequence[np.ndarray],
    est_times: np.ndarray,
    est_freqs: Sequence[np.ndarray],
) -> dict[str, float]:
    """``mir_eval.multipitch.evaluate`` with snake_case names (``precision``, ``recall``,
    ``accuracy``, ``substitution_error``, ..., ``chroma_total_error``).

    Times in seconds; ``ref_freqs``/``est_freqs`` hold one array of active frequencies (Hz,
    possibly empty) per frame. The estimate is resampled onto the reference grid by mir_eval.
    """
    with quiet_mir_eval():
        scores = mir_eval.multipitch.evaluate(
            np.asarray(ref_times, dtype=np.float64),
            [np.asarray(f, dtype=np.float64) for f in ref_freqs],
            np.asarray(est_times, dtype=np.float64),
            [np.asarray(f, dtype=np.float64) for f in est_freqs],
        )
    return {_snake_case(name): float(value) for name, value in scores.items()}


"""Pictures of a reconstruction: input, reconstruction and error spectrograms in dB."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from mirlab.evaluation.plots import figure_to_png
from mirlab.families.autoencoder.metrics import FLOOR_DB, floored_db


def reconstruction_figure(
    reference: np.ndarray,
    estimates: dict[str, np.ndarray],
    frame_period: float = 1.0,
    max_hz: float | None = None,
) -> Figure:
    """Rows: the reference, then per estimate its reconstruction and its error (estimate
    minus reference, dB), of linear magnitudes ``(n_frames, n_bins)``; dB floored
    :data:`FLOOR_DB` below the reference's maximum. Axes in s and Hz when ``frame_period``
    (s) and ``max_hz`` (the top bin) are given, else frames and bins."""
    top = float(reference.max())
    ref_db = floored_db(reference, top)
    rows = 1 + 2 * len(estimates)
    fig = Figure(figsize=(9, 2.0 * rows), layout="constrained")
    axes = fig.subplots(rows, 1, sharex=True, squeeze=False)[:, 0]
    extent = (0, len(reference) * frame_period, 0, max_hz or reference.shape[1])
    vmax = ref_db.max()
    kwargs = {"origin": "lower", "aspect": "auto", "extent": extent}
    image = axes[0].imshow(ref_db.T, vmin=vmax - FLOOR_DB, vmax=vmax, cmap="magma", **kwargs)
    axes[0].set_title("input")
    fig.colorbar(image, ax=axes[0], label="dB")
    for k, (name, estimate) in enumerate(estimates.items()):
        est_db = floored_db(estimate, top)
        image = axes[1 + 2 * k].imshow(
            est_db.T, vmin=vmax - FLOOR_DB, vmax=vmax, cmap="magma", **kwargs
        )
        axes[1 + 2 * k].set_title(f"{name}: reconstruction")
        fig.colorbar(image, ax=axes[1 + 2 * k], label="dB")
        image = axes[2 + 2 * k].imshow(
            (est_db - ref_db).T, vmin=-30, vmax=30, cmap="coolwarm", **kwargs
        )
        axes[2 + 2 * k].set_title(f"{name}: error (reconstruction - input)")
        fig.colorbar(image, ax=axes[2 + 2 * k], label="dB")
    for ax in axes:
        ax.set_ylabel("Hz" if max_hz else "bin")
    axes[-1].set_xlabel("s" if frame_period != 1.0 else "frame")
    return fig


def reconstruction_png(reference: np.ndarray, estimate: np.ndarray) -> bytes:
    """:func:`reconstruction_figure` of one estimate as PNG bytes (TensorBoard images)."""
    return figure_to_png(reconstruction_figure(reference, {"model": estimate}), dpi=60)

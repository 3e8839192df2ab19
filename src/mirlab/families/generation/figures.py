"""Figures of the generation family: bits per sample per track, and for a trained model the
generated clips (waveform over the heatmap of the output distribution, 256 rows, as the
seed's figure 2) and their frame statistics against the training and test audio. The
clips' WAV files are copied beside the PNGs."""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.colors import PowerNorm
from matplotlib.figure import Figure

from mirlab.data.cache import DatasetPaths
from mirlab.families.generation.audio import SILENT_DB
from mirlab.families.generation.estimates import GENERATED, read_estimates
from mirlab.families.generation.mulaw import N_LEVELS, mu_law_decode
from mirlab.storage import atomic_directory, atomic_path

#: Prime samples drawn before the generated ones in a clip's heatmap figure.
PRIME_SHOWN = 250


def _save(fig: Figure, path: Path) -> None:
    fig.savefig(path, dpi=100)


def bits_figure(bits: Mapping[str, Mapping[str, float]], title: str) -> Figure:
    """Bars of bits per sample per track, one group per method (``bits[method][track]``)."""
    methods = list(bits)
    tracks = list(next(iter(bits.values())))
    fig = Figure(figsize=(max(5.0, 0.6 * len(tracks) * len(methods) + 2), 3.5))
    ax = fig.add_subplot()
    width = 0.8 / len(methods)
    for number, method in enumerate(methods):
        positions = np.arange(len(tracks)) + (number - (len(methods) - 1) / 2) * width
        ax.bar(positions, [bits[method][t] for t in tracks], width, label=method)
    ax.set_xticks(np.arange(len(tracks)), tracks, rotation=45, ha="right", fontsize=8)
    ax.axhline(8.0, color="grey", linestyle=":", linewidth=1)
    ax.set_ylabel("bits per sample")
    ax.set_title(title)
    if len(methods) > 1:
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def clip_figure(
    codes: np.ndarray, prime: np.ndarray, distribution: np.ndarray, sr: int, temperature: float
) -> Figure:
    """Waveform of the last prime samples and the first generated ones over the heatmap of
    the tempered output distribution of each generated sample (rows: the 256 codes, square-root
    colour scale; dots: the codes drawn)."""
    shown = prime[-PRIME_SHOWN:]
    n = distribution.shape[0]
    samples = mu_law_decode(np.concatenate([shown, codes[:n]]))
    times = (np.arange(len(samples)) - len(shown)) / sr
    fig = Figure(figsize=(9, 5))
    wave, heat = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 2]})
    wave.plot(times, samples, linewidth=0.6, color="black")
    wave.set_ylim(-1.05, 1.05)
    wave.set_ylabel("amplitude")
    if len(shown):
        wave.axvline(0, color="tab:red", linewidth=1)
        wave.set_title(f"prime (left of the red line) and generation at temperature {temperature}")
    else:
        wave.set_title(f"generation at temperature {temperature}")
    image = heat.imshow(
        distribution.T.astype(np.float32),
        aspect="auto",
        origin="lower",
        cmap="Greys",
        extent=(0, n / sr, -0.5, N_LEVELS - 0.5),
        # Square-root scale: a few sharp peaks would otherwise wash out the rest.
        norm=PowerNorm(0.5, vmin=0, vmax=max(float(distribution.max()), 1e-6)),
    )
    heat.plot(np.arange(n) / sr, codes[:n], ".", markersize=1, color="tab:orange")
    heat.set_ylabel("mu-law code")
    heat.set_xlabel("time (s) from the first generated sample")
    fig.colorbar(image, ax=heat, label="probability", fraction=0.03)
    fig.tight_layout()
    return fig


def statistics_figure(levels: Mapping[str, np.ndarray], clips: Sequence[str]) -> Figure:
    """Distributions of frame level (dBFS) and spectral centroid (Hz): every clip against the
    training and the test audio; the dotted line is the near-silence threshold."""
    fig = Figure(figsize=(10, 3.5))
    level_ax, centroid_ax = fig.subplots(1, 2)
    level_bins = np.linspace(-120, 0, 61)
    for name in ["training", "test", *clips]:
        style = {"linewidth": 2 if name in ("training", "test") else 1}
        rms = levels[f"{name}.rms_db"]
        level_ax.hist(rms, level_bins, density=True, histtype="step", label=name, **style)
        centroid = levels[f"{name}.centroid_hz"]
        centroid = centroid[np.isfinite(centroid)]
        if centroid.size:
            centroid_ax.hist(centroid, 40, density=True, histtype="step", label=name, **style)
    level_ax.axvline(SILENT_DB, color="grey", linestyle=":")
    level_ax.set_xlabel("frame RMS (dBFS)")
    centroid_ax.set_xlabel("spectral centroid (Hz), non-silent frames")
    level_ax.set_ylabel("density")
    centroid_ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def experiment_figures(
    predictions: str | Path, data: DatasetPaths, part: str, excerpts: Sequence, output: str | Path
) -> None:
    """Into the folder ``output``: ``bits_per_sample.png``; for a trained model also
    ``clip-<k>.png`` and ``clip-<k>.wav`` per generated clip, ``statistics.png`` and
    ``statistics.csv``. (Excerpts are not used: a clip is drawn whole.)"""
    predictions = Path(predictions)
    track_ids = data.track_ids(part)
    estimates = read_estimates(predictions, track_ids)
    method = next(iter(estimates.values()))["method"]
    bits = {method: {t: float(e["bits_per_sample"]) for t, e in estimates.items()}}
    generated = predictions / GENERATED
    with atomic_directory(output) as tmp:
        _save(bits_figure(bits, f"{method} on {data.name} ({part})"), tmp / "bits_per_sample.png")
        if not generated.is_dir():
            return
        clips = sorted(path.stem for path in generated.glob("clip-*.npz"))
        for clip in clips:
            with np.load(generated / f"{clip}.npz") as arrays:
                fig = clip_figure(
                    arrays["codes"].astype(np.int64),
                    arrays["prime"].astype(np.int64),
                    arrays["distribution"],
                    int(arrays["sr"]),
                    float(arrays["temperature"]),
                )
            _save(fig, tmp / f"{clip}.png")
            shutil.copyfile(generated / f"{clip}.wav", tmp / f"{clip}.wav")
        with np.load(generated / "levels.npz") as arrays:
            levels = {key: arrays[key] for key in arrays.files}
        _save(statistics_figure(levels, clips), tmp / "statistics.png")
        shutil.copyfile(generated / "statistics.csv", tmp / "statistics.csv")


def compare_figure(
    predictions_a: str | Path,
    predictions_b: str | Path,
    names: tuple[str, str],
    data: DatasetPaths,
    part: str,
    output: str | Path,
) -> None:
    """Bits per sample per track of two methods side by side (one PNG)."""
    track_ids = data.track_ids(part)
    bits = {
        name: {t: float(e["bits_per_sample"]) for t, e in read_estimates(folder, track_ids).items()}
        for name, folder in zip(names, (predictions_a, predictions_b), strict=True)
    }
    with atomic_path(output) as tmp:
        bits_figure(bits, f"{names[0]} vs {names[1]} on {data.name}").savefig(
            tmp, format="png", dpi=100
        )

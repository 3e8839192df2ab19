"""Patches, the model representation, and the three codes (autoencoder, PCA, mean patch).

A track's cached STFT feature (``mirlab.data.features``, kind ``stft``) holds either linear
magnitudes (``log: false``) or dB relative to 1.0 floored at -100 dB (``log: true``). The
codes work on a non-negative *representation* of it, what the seed's softplus decoder can
output: the magnitude itself for a linear feature, and for a dB feature the log-magnitude
above the feature's floor, ``L = dB / 20 + 5 = log10(max(|X|, 1e-5)) + 5`` (decades above
-100 dB; 0 is the floor). A code maps a batch of feature patches ``(b, 32, 256)`` to its
reconstruction in the representation.

A track is reconstructed from patches of :data:`PATCH_FRAMES` frames that lie wholly inside
it, every :data:`PATCH_FRAMES` frames and one more ending at the last frame, overlaps
averaged (:func:`reconstruct_track`): padding a dB patch with zeros would put 0 dB (full
scale) where the track has ended.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from mirlab.data import preprocess
from mirlab.data.cache import DatasetPaths
from mirlab.data.features import feature_params, open_feature
from mirlab.errors import InputError
from mirlab.learning.autoencoders import FEATURE_FLOOR_DB, PATCH_SHAPE

PATCH_FRAMES, PATCH_BINS = PATCH_SHAPE
#: Values of one input patch (32 x 256 = 8,192).
PATCH_VALUES = PATCH_FRAMES * PATCH_BINS
# FEATURE_FLOOR_DB: dB of the feature floor, defined in the learning layer.

Code = Callable[[np.ndarray], np.ndarray]
#: Files of a trained model folder: the code's description, and a linear code's arrays.
CODE_JSON = "code.json"
LINEAR_CODE = "code.npz"


def stft_params(data: DatasetPaths) -> dict:
    """The parameters of ``data``'s cached input feature (its ``params.json``, defaults
    filled in), checked to be an STFT with :data:`PATCH_BINS` bins (``n_fft`` 510)."""
    path = Path(data.inputs) / preprocess.PARAMS
    if not path.is_file():
        raise InputError(path, "feature folder has no parameters file: rebuild it")
    given = json.loads(path.read_text())
    if given.get("kind") != "stft":
        raise InputError(
            "config key input.feature",
            f"the autoencoder reads an stft feature, got {given.get('kind')!r}",
        )
    params = feature_params("stft", **{k: v for k, v in given.items() if k not in ("kind", "sr")})
    if params["n_fft"] // 2 + 1 != PATCH_BINS:
        raise InputError(
            "config key input.feature",
            f"the autoencoder reads an stft feature with n_fft {2 * (PATCH_BINS - 1)} "
            f"({PATCH_BINS} bins), got n_fft {params['n_fft']}",
        )
    return {**params, "sr": given["sr"]}


def to_representation(feature: np.ndarray, log: bool) -> np.ndarray:
    """Feature values (dB if ``log``, else linear magnitude) -> the representation, float32."""
    feature = np.asarray(feature, dtype=np.float32)
    return feature / 20.0 - FEATURE_FLOOR_DB / 20.0 if log else feature


def to_magnitude(values: np.ndarray, log: bool) -> np.ndarray:
    """The representation -> linear magnitude (>= 0), float32."""
    values = np.asarray(values, dtype=np.float32)
    if log:
        return np.power(10.0, values + FEATURE_FLOOR_DB / 20.0).astype(np.float32)
    return np.maximum(values, 0.0)


def patch_starts(n_frames: int, hop: int = PATCH_FRAMES) -> np.ndarray:
    """Start frames of the patches wholly inside a track of ``n_frames`` frames: every
    ``hop`` frames, plus the one ending at the last frame. ``InputError`` when the track is
    shorter than a patch."""
    if n_frames < PATCH_FRAMES:
        raise InputError("track", f"{n_frames} frames, shorter than a {PATCH_FRAMES}-frame patch")
    starts = np.arange(0, n_frames - PATCH_FRAMES + 1, hop, dtype=np.int64)
    if starts[-1] != n_frames - PATCH_FRAMES:
        starts = np.append(starts, n_frames - PATCH_FRAMES)
    return starts


def training_patches(files: Sequence[Path], hop: int) -> np.ndarray:
    """All patches (feature values) wholly inside the tracks of ``files``, every ``hop``
    frames: ``(n, 32, 256)`` float32, track by track (the PCA and mean-patch training set)."""
    patches = []
    for path in files:
        feature = open_feature(path)
        for start in patch_starts(len(feature), hop):
            patches.append(np.asarray(feature[start : start + PATCH_FRAMES], dtype=np.float32))
    return np.stack(patches)


def reconstruct_track(code: Code, feature: np.ndarray, batch_size: int = 32) -> np.ndarray:
    """``code``'s reconstruction of a whole track's feature ``(n_frames, 256)``, in the
    representation: patches every 32 frames plus the last one, overlapping frames averaged."""
    starts = patch_starts(len(feature))
    total = np.zeros((len(feature), PATCH_BINS), dtype=np.float64)
    count = np.zeros((len(feature), 1), dtype=np.float64)
    for first in range(0, len(starts), batch_size):
        chunk = starts[first : first + batch_size]
        batch = np.stack([np.asarray(feature[s : s + PATCH_FRAMES]) for s in chunk])
        output = np.asarray(code(batch.astype(np.float32))).reshape(len(chunk), *PATCH_SHAPE)
        for start, patch in zip(chunk, output, strict=True):
            total[start : start + PATCH_FRAMES] += patch
            count[start : start + PATCH_FRAMES] += 1
    return (total / count).astype(np.float32)


class LinearCode:
    """PCA (``components`` ``(k, 8192)``) or the mean patch (``k = 0``) in the representation:
    ``x -> mean + P^T P (x - mean)`` on flattened patches."""

    def __init__(self, mean: np.ndarray, components: np.ndarray, log: bool):
        self.mean = np.asarray(mean, dtype=np.float32).reshape(PATCH_VALUES)
        self.components = np.asarray(components, dtype=np.float32).reshape(-1, PATCH_VALUES)
        self.log = log

    @property
    def latent_values(self) -> int:
        return len(self.components)

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        x = to_representation(batch, self.log).reshape(len(batch), PATCH_VALUES) - self.mean
        return (x @ self.components.T @ self.components + self.mean).reshape(-1, *PATCH_SHAPE)

    def save(self, path: Path) -> None:
        np.savez(path, mean=self.mean, components=self.components, log=self.log)

    @classmethod
    def load(cls, path: Path) -> LinearCode:
        with np.load(path) as stored:
            return cls(stored["mean"], stored["components"], bool(stored["log"]))


def fit_linear_code(patches: np.ndarray, n_components: int, log: bool, seed: int) -> LinearCode:
    """PCA with ``n_components`` (0: the mean patch) fitted on feature ``patches``
    ``(n, 32, 256)`` in the representation (scikit-learn ``PCA``; with ``n_components`` >=
    the number of patches, ``InputError``)."""
    from sklearn.decomposition import PCA

    x = to_representation(patches, log).reshape(len(patches), PATCH_VALUES)
    if n_components == 0:
        return LinearCode(x.mean(axis=0), np.zeros((0, PATCH_VALUES)), log)
    if n_components >= min(x.shape):
        raise InputError(
            "config key model_args.n_components",
            f"{n_components} components from {len(x)} training patches: needs fewer",
        )
    pca = PCA(n_components=n_components, svd_solver="randomized", random_state=seed).fit(x)
    return LinearCode(pca.mean_, pca.components_, log)


def load_code(model_dir: Path) -> tuple[Code, dict]:
    """The code of a trained model folder and its ``code.json`` (``model``,
    ``latent_values``, ``log``); TensorFlow is imported only for an autoencoder."""
    model_dir = Path(model_dir)
    info = json.loads((model_dir / CODE_JSON).read_text())
    if (model_dir / LINEAR_CODE).is_file():
        return LinearCode.load(model_dir / LINEAR_CODE), info
    import keras

    return keras_code(keras.saving.load_model(model_dir / "model.keras")), info


def keras_code(model) -> Code:
    """A trained autoencoder (Keras model over feature patches) as a code."""
    return lambda batch: np.asarray(model.predict_on_batch(batch))

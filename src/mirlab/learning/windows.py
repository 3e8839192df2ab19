"""Training input: windows over cached features or audio, read from disk in a global shuffle.

A track is an input array (features ``(n_frames, n_bins[, n_harmonics])`` or raw audio
``(n_samples,)``) and a per-frame target array on the annotation frame grid (frame ``i``
centred at ``i * frame_period`` seconds), each given as a cached ``.npy`` path (read by rows
on demand, see ``NpyRows``) or as an array (e.g. ``np.load(path, mmap_mode="r")``).
A window is named by ``(track, start)``: it predicts annotation frames
``start .. start + n_frames - 1`` from the input units around them (see ``WindowSpec``).

Only the slice a window needs is read, so the data need not fit in RAM; the order of the
windows is a global permutation of all ``(track, start)`` pairs per epoch, drawn from
``(seed, epoch)``, never a small shuffle buffer. Targets may stay compact on disk (e.g. f0 in
Hz per frame) and be turned into dense salience targets per batch by ``target_fn``, so memory
holds at most ``batch_size * (num_parallel_calls + prefetch)`` windows at a time.
"""

from __future__ import annotations

import math
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import tensorflow as tf

from mirlab.data.features import open_feature
from mirlab.errors import InputError

ArrayLike = np.ndarray | str | Path
#: ``"window"``, ``None``, or dataset statistics ``(mean, std)`` broadcast over each frame.
Normalize = Literal["window"] | tuple[np.ndarray, np.ndarray] | None


@dataclass(frozen=True)
class WindowSpec:
    """Shape of one training window, in annotation frames and input units.

    ``n_frames``: annotation frames predicted per window.
    ``context``: extra input units on each side of the window (frames for ``input="frames"``,
    samples for ``input="samples"``).
    ``hop``: annotation frames between the starts of consecutive windows (``n_frames`` gives
    non-overlapping windows; 1 gives one window per frame).
    ``input="frames"``: the input frame grid is the annotation grid (spectrograms, HCQT).
    ``input="samples"``: raw audio with ``hop_length`` samples per annotation frame; each output
    frame ``i`` sees ``window_samples`` samples centred on sample ``i * hop_length``, i.e.
    ``[i * hop_length - window_samples // 2, ... + window_samples)`` (CREPE: 1024 samples at
    16 kHz). A window of several frames then spans
    ``window_samples + (n_frames - 1) * hop_length + 2 * context`` samples.
    """

    n_frames: int
    context: int = 0
    hop: int = 1
    input: Literal["frames", "samples"] = "frames"
    hop_length: int | None = None
    window_samples: int | None = None

    def __post_init__(self) -> None:
        _check_int("window.n_frames", self.n_frames, minimum=1)
        _check_int("window.context", self.context, minimum=0)
        _check_int("window.hop", self.hop, minimum=1)
        if self.input == "samples":
            _check_int("window.hop_length", self.hop_length, minimum=1)
            _check_int("window.window_samples", self.window_samples, minimum=1)
        elif self.input == "frames":
            for key in ("hop_length", "window_samples"):
                if getattr(self, key) is not None:
                    raise InputError(f"window.{key}", "only meaningful with input='samples'")
        else:
            raise InputError("window.input", f"{self.input!r} is not 'frames' or 'samples'")

    @property
    def input_length(self) -> int:
        """Input units (frames or samples) read per window, context included."""
        if self.input == "frames":
            return self.n_frames + 2 * self.context
        return self.window_samples + (self.n_frames - 1) * self.hop_length + 2 * self.context

    def input_offset(self, start: int) -> int:
        """Index of the first input unit of the window starting at annotation frame ``start``.

        Negative before the track start (those units are read as zeros).
        """
        if self.input == "frames":
            return start - self.context
        return start * self.hop_length - self.window_samples // 2 - self.context

    def n_frames_of(self, n_units: int) -> int:
        """Annotation frames of a track whose input has ``n_units`` frames or samples.

        For samples this is librosa's centred framing, ``1 + n_samples // hop_length``.
        """
        if self.input == "frames":
            return n_units
        return 1 + n_units // self.hop_length


def _check_int(key: str, value: object, minimum: int) -> None:
    if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < minimum:
        raise InputError(key, f"must be an integer >= {minimum}, got {value!r}")


class NpyRows:
    """Read-only rows of a ``.npy`` file, read with ``os.pread`` on demand.

    Behaves like the array for ``len``, ``shape``, ``dtype`` and ``[start:stop]`` row slices.
    Unlike a memory map, the pages read never become part of this process's resident set
    (they stay in the kernel's page cache), so the RSS of a training job, which schedulers
    watch, does not grow with the data read in an epoch. Keeps one file descriptor open.
    """

    def __init__(self, path: str | Path):
        header = open_feature(path)  # validates the file; its mapping is only read for layout
        if not header.flags.c_contiguous:
            raise InputError(path, "Fortran-ordered .npy files cannot be read by rows")
        self.path = Path(path)
        self.shape, self.dtype, self.offset = header.shape, header.dtype, header.offset
        self.row_bytes = self.dtype.itemsize * math.prod(self.shape[1:])
        del header
        self._fd = os.open(self.path, os.O_RDONLY)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows: slice) -> np.ndarray:
        if not isinstance(rows, slice) or rows.step not in (None, 1):
            raise TypeError("NpyRows supports only [start:stop] row slices")
        start, stop, _ = rows.indices(len(self))
        out = np.empty((max(stop - start, 0), *self.shape[1:]), dtype=self.dtype)
        buffer, done = memoryview(out).cast("B"), 0
        while done < len(buffer):
            read = os.preadv(self._fd, [buffer[done:]], self.offset + start * self.row_bytes + done)
            if read == 0:
                raise InputError(self.path, "file is shorter than its .npy header says")
            done += read
        return out

    def __del__(self) -> None:
        if hasattr(self, "_fd"):
            os.close(self._fd)


def open_array(array: ArrayLike) -> np.ndarray | NpyRows:
    """A ``.npy`` path opened for reading rows on demand (``NpyRows``); an array as it is."""
    if isinstance(array, str | Path):
        return NpyRows(array)
    return array


def window_starts(n_frames_track: int, spec: WindowSpec) -> np.ndarray:
    """Start frames of the windows over a track of ``n_frames_track`` annotation frames.

    Every ``spec.hop`` frames from 0 while the start lies inside the track, so the windows
    cover the whole track when ``hop <= n_frames``; the last window may run past the end
    (its targets there are padding).
    """
    _check_int("n_frames_track", n_frames_track, minimum=0)
    return np.arange(0, n_frames_track, spec.hop, dtype=np.int64)


def read_span(array: np.ndarray, first: int, length: int) -> np.ndarray:
    """``array[first:first + length]`` as float32, zero-padded where it lies outside the array.

    Only the rows inside ``[0, len(array))`` are read, so on a memory map or ``NpyRows``
    this reads just the bytes of the window.
    """
    stop = first + length
    inside_first, inside_stop = max(first, 0), min(stop, len(array))
    if first >= 0 and stop <= len(array):
        return np.array(array[first:stop], dtype=np.float32)
    out = np.zeros((length, *array.shape[1:]), dtype=np.float32)
    if inside_first < inside_stop:
        out[inside_first - first : inside_stop - first] = array[inside_first:inside_stop]
    return out


def read_window(array: np.ndarray, start: int, spec: WindowSpec) -> np.ndarray:
    """Input window for annotation frames ``start ..``: ``(spec.input_length, *array.shape[1:])``.

    Zero padding before the track start and after its end.
    """
    return read_span(array, spec.input_offset(start), spec.input_length)


def read_target(target: np.ndarray, start: int, spec: WindowSpec) -> np.ndarray:
    """Target frames ``start .. start + n_frames - 1``, padded with zeros past the track end.

    Zero is "unvoiced" for f0 in Hz (MIREX convention) and "no pitch" for salience targets.
    """
    return read_span(target, start, spec.n_frames)


def build_index(
    n_frames_per_track: Sequence[int],
    spec: WindowSpec,
    voiced: Sequence[np.ndarray] | None = None,
    voiced_only: bool = False,
    min_voiced_fraction: float = 0.0,
) -> np.ndarray:
    """All windows as an ``(n, 2)`` int64 array of ``(track, start)`` rows, track by track.

    With ``voiced_only``, ``voiced[t]`` gives track ``t`` per annotation frame as f0 in Hz or
    booleans (``> 0`` is voiced), and a window is kept when at least
    ``max(1, ceil(min_voiced_fraction * n_frames))`` of its target frames are voiced
    (padding past the track end counts as unvoiced).
    """
    if voiced_only and voiced is None:
        raise InputError("voiced", "voiced_only needs the per-frame voicing of every track")
    if not 0.0 <= min_voiced_fraction <= 1.0:
        raise InputError("min_voiced_fraction", f"must be in [0, 1], got {min_voiced_fraction}")
    if voiced is not None and len(voiced) != len(n_frames_per_track):
        raise InputError("voiced", f"{len(voiced)} tracks, expected {len(n_frames_per_track)}")
    need = max(1, math.ceil(min_voiced_fraction * spec.n_frames))
    rows = []
    for track, n_frames in enumerate(n_frames_per_track):
        starts = window_starts(int(n_frames), spec)
        if voiced_only:
            is_voiced = np.asarray(voiced[track]) > 0
            if is_voiced.shape != (n_frames,):
                raise InputError(
                    f"voiced[{track}]", f"shape {is_voiced.shape}, expected ({n_frames},)"
                )
            counts = np.concatenate([[0], np.cumsum(is_voiced)])
            ends = np.minimum(starts + spec.n_frames, n_frames)
            starts = starts[counts[ends] - counts[starts] >= need]
        rows.append(np.column_stack([np.full(len(starts), track, dtype=np.int64), starts]))
    if not rows:
        return np.zeros((0, 2), dtype=np.int64)
    return np.concatenate(rows).astype(np.int64)


def shuffled_order(n: int, seed: int, epoch: int) -> np.ndarray:
    """Global permutation of ``range(n)`` for one epoch, a pure function of ``(seed, epoch)``."""
    _check_int("seed", seed, minimum=0)
    _check_int("epoch", epoch, minimum=0)
    return np.random.default_rng(np.random.SeedSequence([seed, epoch])).permutation(n)


def normalize_windows(windows: np.ndarray, eps: float = 1e-8) -> np.ndarray:
    """Each window of a batch (axis 0) to zero mean and unit variance over all its values.

    A silent window stays zero.
    """
    windows = np.asarray(windows, dtype=np.float32)
    axes = tuple(range(1, windows.ndim))
    centred = windows - windows.mean(axis=axes, keepdims=True)
    return centred / (np.sqrt(np.square(centred).mean(axis=axes, keepdims=True)) + eps)


def normalize_window(x: np.ndarray, eps: float = 1e-8) -> np.ndarray:
    """Zero mean and unit variance over the whole window (a silent window stays zero)."""
    return normalize_windows(np.asarray(x)[None], eps)[0]


def feature_statistics(
    inputs: Sequence[ArrayLike], chunk_frames: int = 4096
) -> tuple[np.ndarray, np.ndarray]:
    """Dataset mean and standard deviation per feature (over all frames of all tracks).

    Streams ``chunk_frames`` rows at a time, so the tracks need not fit in RAM. The result
    broadcasts over a window and is accepted as ``normalize=(mean, std)``.
    """
    total, total_sq, count = 0.0, 0.0, 0
    for item in inputs:
        array = open_array(item)
        for first in range(0, len(array), chunk_frames):
            chunk = np.asarray(array[first : first + chunk_frames], dtype=np.float64)
            total = total + chunk.sum(axis=0)
            total_sq = total_sq + np.square(chunk).sum(axis=0)
            count += len(chunk)
    if count == 0:
        raise InputError("inputs", "no frames to compute statistics from")
    mean = total / count
    std = np.sqrt(np.maximum(total_sq / count - np.square(mean), 0.0))
    return mean.astype(np.float32), std.astype(np.float32)


def _check_normalize(normalize: Normalize) -> None:
    if normalize is not None and not isinstance(normalize, tuple | list) and normalize != "window":
        raise InputError("normalize", f"{normalize!r} is not 'window', (mean, std) or None")


def normalize_batch(windows: np.ndarray, normalize: Normalize) -> np.ndarray:
    """Normalise a batch of windows (axis 0): each window on its own (``"window"``), by
    dataset statistics ``(mean, std)`` per feature, or not at all (``None``)."""
    _check_normalize(normalize)
    if normalize is None:
        return windows
    if isinstance(normalize, str):
        return normalize_windows(windows)
    mean, std = normalize
    return ((windows - mean) / (std + 1e-8)).astype(np.float32)


def spec_augment(
    x: np.ndarray,
    rng: np.random.Generator,
    n_time_masks: int = 2,
    max_time: int = 8,
    n_freq_masks: int = 2,
    max_freq: int = 12,
    value: float = 0.0,
) -> np.ndarray:
    """SpecAugment-style masking of a spectrogram window ``(time, freq, ...)`` (Park et al. 2019).

    Each mask covers a width drawn uniformly from ``0 .. max_time`` frames (``max_freq`` bins)
    at a uniform position, set to ``value`` (0 is the mean of a normalised window). Returns a
    copy; the draws come only from ``rng``.
    """
    if x.ndim < 2:
        raise InputError("augment", "spec_augment needs a (time, freq, ...) spectrogram window")
    out = np.array(x, copy=True)
    for axis, n_masks, max_width in ((0, n_time_masks, max_time), (1, n_freq_masks, max_freq)):
        size = out.shape[axis]
        for _ in range(n_masks):
            width = int(rng.integers(0, min(max_width, size) + 1))
            first = int(rng.integers(0, size - width + 1))
            index = [slice(None)] * out.ndim
            index[axis] = slice(first, first + width)
            out[tuple(index)] = value
    return out


class WindowBatches:
    """Batches of the windows in ``index``, epoch after epoch, read from disk on demand.

    ``inputs[t]``/``targets[t]``: track ``t``'s input and per-frame target arrays (or ``.npy``
    paths, read with ``NpyRows``). Epoch ``e`` visits the windows in the order
    ``shuffled_order(len(index), seed, e)`` (``index`` order without ``shuffle``), cut into
    ``batches_per_epoch`` batches of ``batch_size`` (the last one smaller unless
    ``drop_remainder``). Each window is normalised (``normalize``, see ``normalize_batch``),
    then augmented by ``augment(x, rng)``, whose ``rng`` is drawn from ``(seed, epoch, batch)``
    so the result does not depend on thread timing; ``augment_pair(x, y, rng)`` (same ``rng``,
    after ``augment``) changes a window together with its target frames and returns both
    (e.g. a pitch shift that transposes the labels). ``target_fn`` turns target frames (e.g.
    f0 in Hz) into training targets (e.g. ``f0_to_target``); it must work frame by frame, as
    it gets all ``batch * n_frames`` frames of a batch at once. A batch is a pure function of
    ``(epoch, batch)``: ``x`` ``(batch, input_length, ...)`` and ``y`` ``(batch, n_frames, ...)``,
    float32.
    """

    def __init__(
        self,
        inputs: Sequence[ArrayLike],
        targets: Sequence[ArrayLike],
        index: np.ndarray,
        spec: WindowSpec,
        batch_size: int,
        seed: int = 0,
        shuffle: bool = True,
        normalize: Normalize = "window",
        augment: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None,
        augment_pair: Callable[
            [np.ndarray, np.ndarray, np.random.Generator], tuple[np.ndarray, np.ndarray]
        ]
        | None = None,
        target_fn: Callable[[np.ndarray], np.ndarray] | None = None,
        drop_remainder: bool = False,
        prefetch: int = 2,
        num_parallel_calls: int = 2,
    ):
        _check_int("batch_size", batch_size, minimum=1)
        _check_int("seed", seed, minimum=0)
        _check_int("prefetch", prefetch, minimum=0)
        _check_int("num_parallel_calls", num_parallel_calls, minimum=1)
        _check_normalize(normalize)
        if len(inputs) != len(targets):
            raise InputError("targets", f"{len(targets)} target arrays for {len(inputs)} inputs")
        if not inputs:
            raise InputError("inputs", "no tracks")
        self.arrays = [open_array(item) for item in inputs]
        self.target_arrays = [open_array(item) for item in targets]
        self.index = np.asarray(index, dtype=np.int64).reshape(-1, 2)
        if len(self.index) and not 0 <= self.index[:, 0].min() <= self.index[:, 0].max() < len(
            self.arrays
        ):
            raise InputError("index", f"track numbers outside 0 .. {len(self.arrays) - 1}")
        feature_shape = self.arrays[0].shape[1:]
        for track, array in enumerate(self.arrays):
            if array.shape[1:] != feature_shape:
                raise InputError(
                    f"inputs[{track}]", f"shape {array.shape}, expected (n, *{feature_shape})"
                )
        self.spec, self.batch_size, self.seed, self.shuffle = spec, batch_size, seed, shuffle
        self.normalize, self.augment, self.target_fn = normalize, augment, target_fn
        self.augment_pair = augment_pair
        self.prefetch, self.num_parallel_calls = prefetch, num_parallel_calls
        self.x_shape = (spec.input_length, *feature_shape)
        self.target_shape = (spec.n_frames, *self.target_arrays[0].shape[1:])
        probe = np.zeros(self.target_shape, dtype=np.float32)
        self.y_shape = (target_fn(probe) if target_fn else probe).shape
        if self.y_shape[:1] != (spec.n_frames,):
            raise InputError(
                "target_fn", f"returned shape {self.y_shape}, expected ({spec.n_frames}, ...)"
            )
        n = len(self.index)
        self.batches_per_epoch = n // batch_size if drop_remainder else -(-n // batch_size)
        self._orders: OrderedDict[int, np.ndarray] = OrderedDict()
        self._orders_lock = threading.Lock()

    def order(self, epoch: int) -> np.ndarray:
        """Rows of ``index`` in the order of ``epoch`` (the two last used orders are cached)."""
        if not self.shuffle:
            return np.arange(len(self.index))
        with self._orders_lock:
            if epoch not in self._orders:
                self._orders[epoch] = shuffled_order(len(self.index), self.seed, epoch)
            self._orders.move_to_end(epoch)
            while len(self._orders) > 2:
                self._orders.popitem(last=False)
            return self._orders[epoch]

    def read_batch(self, epoch: int, batch: int) -> tuple[np.ndarray, np.ndarray]:
        """Batch ``batch`` of epoch ``epoch`` as numpy arrays ``(x, y)``."""
        size = self.batch_size
        rows = self.index[self.order(epoch)[batch * size : (batch + 1) * size]]
        x = np.empty((len(rows), *self.x_shape), dtype=np.float32)
        y = np.empty((len(rows), *self.target_shape), dtype=np.float32)
        for i, (track, start) in enumerate(rows):
            x[i] = read_window(self.arrays[track], start, self.spec)
            y[i] = read_target(self.target_arrays[track], start, self.spec)
        # Whole-batch numpy calls: per-window calls would cost more than the reading.
        x = normalize_batch(x, self.normalize)
        if self.augment is not None or self.augment_pair is not None:
            rng = np.random.default_rng(np.random.SeedSequence([self.seed, epoch, batch]))
            for i in range(len(x)):
                if self.augment is not None:
                    x[i] = self.augment(x[i], rng)
                if self.augment_pair is not None:
                    x[i], y[i] = self.augment_pair(x[i], y[i], rng)
        if self.target_fn is not None:
            frames = y.reshape(-1, *self.target_shape[1:])
            y = self.target_fn(frames).reshape(len(rows), *self.y_shape)
        return x, y

    def dataset(
        self, epoch: int = 0, skip_batches: int = 0, epochs: int | None = 1
    ) -> tf.data.Dataset:
        """``(x, y)`` batches of ``epochs`` epochs (``None``: endless) from ``epoch``, starting
        at batch ``skip_batches`` of the first without reading the ones before (resuming).

        Batches are read in ``num_parallel_calls`` threads, order kept (deterministic), at
        most ``prefetch`` finished batches ahead. Build one dataset per run, not one per
        epoch: TensorFlow keeps the Python function of every dataset ever built, with all it
        references, until the process ends (tensorflow/tensorflow#37653).
        """
        _check_int("epoch", epoch, minimum=0)
        _check_int("skip_batches", skip_batches, minimum=0)
        n = self.batches_per_epoch
        if skip_batches > n:
            raise InputError("skip_batches", f"{skip_batches} is past the {n} batches of an epoch")
        first = epoch * n + skip_batches
        if epochs is None:
            if n == 0:
                raise InputError("index", "no batch of windows to train on")
            positions = tf.data.Dataset.counter(first)
        else:
            _check_int("epochs", epochs, minimum=0)
            positions = tf.data.Dataset.range(first, (epoch + epochs) * n)

        def read_position(position: np.int64) -> tuple[np.ndarray, np.ndarray]:
            return self.read_batch(*divmod(int(position), n))

        def read(position: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            types = (tf.float32, tf.float32)
            x, y = tf.numpy_function(read_position, [position], types, stateful=False)
            x.set_shape((None, *self.x_shape))
            y.set_shape((None, *self.y_shape))
            return x, y

        options = tf.data.Options()
        options.deterministic = True
        batches = positions.map(
            read, num_parallel_calls=self.num_parallel_calls, deterministic=True
        )
        return batches.prefetch(self.prefetch).with_options(options)


def predict_track(
    model: Callable,
    array: ArrayLike,
    spec: WindowSpec,
    batch_size: int = 32,
    normalize: Normalize = "window",
    n_frames: int | None = None,
) -> np.ndarray | list | dict:
    """Frame-wise model output over a whole track: ``(n_frames, ...)`` per model output.

    Tiles the track with non-overlapping windows of ``spec.n_frames`` frames (read and
    normalised exactly as in training, context and padding included), runs
    ``model.predict_on_batch`` and trims the padding frames. A model output of shape
    ``(batch, n_frames, ...)`` is joined along frames; with ``spec.n_frames == 1`` an output
    ``(batch, ...)`` is one frame per window. ``n_frames`` defaults to ``spec.n_frames_of``
    the input length. Models with several outputs give the same structure of arrays.
    """
    array = open_array(array)
    n_frames = spec.n_frames_of(len(array)) if n_frames is None else n_frames
    starts = np.arange(0, n_frames, spec.n_frames)
    outputs = []
    for first in range(0, len(starts), batch_size):
        x = np.stack(
            [read_window(array, start, spec) for start in starts[first : first + batch_size]]
        )
        x = normalize_batch(x, normalize)
        outputs.append(tf.nest.map_structure(np.asarray, model.predict_on_batch(x)))

    def join(*parts: np.ndarray) -> np.ndarray:
        frames = [
            part[:, None] if spec.n_frames == 1 and part.shape[1:2] != (1,) else part
            for part in parts
        ]
        joined = np.concatenate(frames)
        return joined.reshape(-1, *joined.shape[2:])[:n_frames]

    if not outputs:
        raise InputError("array", "track has no frames to predict")
    return tf.nest.map_structure(join, *outputs)

"""Sample-level GRU speed: generation in NumPy vs. one Keras call per sample, and stateful
training through ``train_model`` vs. ``model.fit`` on the same batches in memory.

Rates are per CPU second of this process (``time.process_time``, all its threads), which
on a busy machine is what an idle one would give in wall time. Generation: samples per CPU
second (the NumPy loop runs on one BLAS thread) at
``--hidden`` x ``--layers`` (default h=256, l=3, the seed's ``alice`` model) for one stream
and for a batch of 16, as a multiple of real time at ``--sr``; the reference is the same
model stepped by one Keras ``predict_on_batch`` call per sample. Training: samples per second
of ``train_model`` over ``StreamBatches`` (stateful, b streams of t samples) against
``model.fit`` on the same batches as in-memory arrays (stateful model, no shuffle), tracing
and compilation excluded from both.

    python benchmarks/bench_generation.py --output benchmarks/out/generation.json
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import keras
import numpy as np

from mirlab.families.generation.model import build_gru
from mirlab.families.generation.sampling import GruWeights, generate
from mirlab.families.generation.streams import StreamBatches
from mirlab.learning.train import enable_determinism, make_optimizer, train_model
from mirlab.storage import write_json


def numpy_rate(weights: GruWeights, batch: int, seconds: float) -> float:
    """Generated samples per CPU second (all streams counted)."""
    generate(weights, 50, 1.0, batch=batch)  # warm-up
    n = 0
    start = time.process_time()
    while time.process_time() - start < seconds:
        generate(weights, 500, 1.0, batch=batch)
        n += 500 * batch
    return n / (time.process_time() - start)


def keras_rate(model: keras.Model, steps: int) -> float:
    """One ``predict_on_batch`` per sample of a stateful copy of ``model`` (batch 1)."""
    stateful = build_gru(*_shape(model), batch_size=1, stateful=True)
    stateful.set_weights(model.get_weights())
    code = np.array([[128]], np.int32)
    stateful.predict_on_batch(code)
    rng = np.random.default_rng(0)
    start = time.process_time()
    for _ in range(steps):
        p = stateful.predict_on_batch(code)[0, 0].astype(np.float64)
        code = np.array([[rng.choice(256, p=p / p.sum())]], np.int32)
    return steps / (time.process_time() - start)


def _shape(model: keras.Model) -> tuple[int, int]:
    grus = [layer for layer in model.layers if isinstance(layer, keras.layers.GRU)]
    return grus[0].units, len(grus)


def training_rates(hidden: int, layers: int, streams: int, seq: int, steps: int) -> dict:
    """Training samples (streams x seq per step) per CPU second: ``train_model`` vs
    ``model.fit``. Each ``train_model`` call traces its step function afresh, so its rate is
    taken from the difference between a run of ``2 * steps`` and one of ``steps``; ``fit``
    is timed on its second epoch (the first one compiles)."""
    codes = [np.random.default_rng(1).integers(0, 256, streams * (seq * steps + 1))]
    data = StreamBatches(codes, streams, seq)
    loss = keras.losses.sparse_categorical_crossentropy
    seconds = {}
    with tempfile.TemporaryDirectory() as scratch:
        for n in (steps, 2 * steps):
            enable_determinism(0)
            model = build_gru(hidden, layers, batch_size=streams, stateful=True)
            start = time.process_time()
            train_model(
                model,
                data,
                loss,
                make_optimizer("rmsprop", 1e-3, clipnorm=1.0),
                Path(scratch) / str(n),
                n,
                checkpoint_every=10 * n,
                eval_every=10 * n,
            )
            seconds[n] = time.process_time() - start
    loop = seconds[2 * steps] - seconds[steps]
    batches = [data.batch(i) for i in range(data.batches_per_epoch)]
    x = np.concatenate([b[0] for b in batches]).astype(np.int32)
    y = np.concatenate([b[1] for b in batches]).astype(np.int32)
    fitted = build_gru(hidden, layers, batch_size=streams, stateful=True)
    fitted.compile(make_optimizer("rmsprop", 1e-3, clipnorm=1.0), loss)
    fitted.fit(x, y, batch_size=streams, epochs=1, shuffle=False, verbose=0)
    start = time.process_time()
    fitted.fit(x, y, batch_size=streams, epochs=1, shuffle=False, verbose=0)
    fit = time.process_time() - start
    samples = steps * streams * seq
    return {"train_model": samples / loop, "model_fit": samples / fit}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, required=True, help="JSON file for the figures")
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=3)
    parser.add_argument("--sr", type=int, default=8000, help="real-time rate (Hz)")
    parser.add_argument("--seconds", type=float, default=5.0, help="wall time per measurement")
    parser.add_argument("--keras-steps", type=int, default=200)
    parser.add_argument("--train-hidden", type=int, default=64)
    parser.add_argument("--train-layers", type=int, default=2)
    parser.add_argument("--streams", type=int, default=16)
    parser.add_argument("--seq-length", type=int, default=100)
    parser.add_argument("--train-steps", type=int, default=20)
    args = parser.parse_args()

    keras.utils.set_random_seed(0)
    model = build_gru(args.hidden, args.layers)
    weights = GruWeights.from_model(model)
    rates = {
        "numpy_1_stream": numpy_rate(weights, 1, args.seconds),
        "numpy_16_streams": numpy_rate(weights, 16, args.seconds),
        "keras_call_per_sample": keras_rate(model, args.keras_steps),
    }
    training = training_rates(
        args.train_hidden, args.train_layers, args.streams, args.seq_length, args.train_steps
    )
    report = {
        "model": {"hidden": args.hidden, "layers": args.layers},
        "generation_samples_per_second": rates,
        "generation_real_time_multiple": {k: v / args.sr for k, v in rates.items()},
        "numpy_over_keras_1_stream": rates["numpy_1_stream"] / rates["keras_call_per_sample"],
        "training_model": {
            "hidden": args.train_hidden,
            "layers": args.train_layers,
            "streams": args.streams,
            "seq_length": args.seq_length,
        },
        "training_samples_per_second": training,
        "train_model_over_fit": training["train_model"] / training["model_fit"],
        "keras": keras.__version__,
        "numpy": np.__version__,
        "machine": platform.machine(),
        "python": platform.python_version(),
    }
    for name, value in rates.items():
        print(f"{name:22s} {value:10.0f} samples/s = {value / args.sr:6.2f} x real time")
    print(f"numpy / keras per sample (1 stream): {report['numpy_over_keras_1_stream']:.1f}x")
    for name, value in training.items():
        print(f"training {name:12s} {value:10.0f} samples/s")
    print(f"train_model / model.fit: {report['train_model_over_fit']:.2f}")
    write_json(report, args.output)
    print(json.dumps({"written": str(args.output)}))


if __name__ == "__main__":
    main()

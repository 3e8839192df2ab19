"""The generation family's training: parallel streams, the stateful loop's state (reset where
the streams end, checkpointed so that a killed run resumes bit-identically), codec baselines."""

import io
import lzma

import keras
import numpy as np
import pytest
import soundfile

from mirlab.errors import InputError
from mirlab.families.generation import codecs
from mirlab.families.generation.model import build_gru
from mirlab.families.generation.sampling import GruWeights, run_sequence
from mirlab.families.generation.streams import StreamBatches
from mirlab.families.generation.training import CheckpointSampler
from mirlab.learning.train import enable_determinism, make_optimizer, train_model

# --- streams ---------------------------------------------------------------------------------


def test_streams_cut_the_joined_tracks_into_parallel_contiguous_streams():
    tracks = [np.arange(10), np.arange(100, 113)]  # 23 samples
    data = StreamBatches(tracks, n_streams=2, seq_length=3)
    # 11 samples per stream (the last sample dropped), (11 - 1) // 3 = 3 batches.
    assert data.streams.tolist() == [list(range(10)) + [100], list(range(101, 112))]
    assert data.batches_per_epoch == 3
    x, y = data.batch(1)
    assert x.tolist() == [[3, 4, 5], [104, 105, 106]]
    assert y.tolist() == [[4, 5, 6], [105, 106, 107]]
    batches = list(data.dataset(epoch=0, skip_batches=2, epochs=2).as_numpy_iterator())
    assert len(batches) == 4  # batch 2 of epoch 0, then all of epoch 1
    assert np.array_equal(batches[0][0], data.batch(2)[0])
    assert np.array_equal(batches[1][1], data.batch(0)[1])


def test_streams_refuse_too_little_audio():
    with pytest.raises(InputError, match="batch_size"):
        StreamBatches([np.arange(20)], n_streams=8, seq_length=3)


# --- the stateful loop -----------------------------------------------------------------------

N_STREAMS, SEQ, HIDDEN = 2, 5, 6


def _codes() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, 23), rng.integers(0, 256, 10)]  # 2 streams of 16: 3 batches


def _train(out_dir, steps, on_checkpoint=None):
    enable_determinism(0)
    model = build_gru(HIDDEN, 2, batch_size=N_STREAMS, stateful=True)
    data = StreamBatches(_codes(), N_STREAMS, SEQ, seed=0)
    train_model(
        model,
        data,
        keras.losses.sparse_categorical_crossentropy,
        make_optimizer("rmsprop", 0.01, schedule="piecewise", boundaries=[4], clipnorm=1.0),
        out_dir,
        steps,
        checkpoint_every=1,
        eval_every=100,
        on_checkpoint=on_checkpoint,
    )
    return model, data


def _states(model) -> list[np.ndarray]:
    return [
        layer.states[0].numpy().copy() for layer in model.layers if layer.name.startswith("gru")
    ]


def test_state_is_carried_across_updates_and_reset_where_the_streams_end(tmp_path):
    """With the NumPy GRU as oracle: the state after step k is the model with the weights of
    step k - 1 run over batch k from the state of step k - 1, or from zero at an epoch's
    first batch (3 batches per epoch: steps 1 and 4)."""
    record = {}

    def keep(model, step):
        record[step] = (GruWeights.from_model(model), _states(model))

    _, data = _train(tmp_path, 5, keep)
    for step in (2, 3, 4, 5):
        weights, previous = record[step - 1]
        batch = (step - 1) % data.batches_per_epoch
        start = weights.zero_state(N_STREAMS) if batch == 0 else previous
        _, expected = run_sequence(weights, data.batch(batch)[0], start)
        for got, want in zip(record[step][1], expected, strict=True):
            np.testing.assert_allclose(got, want, atol=1e-5)
    assert np.abs(record[3][1][0]).max() > 0.01


def test_a_killed_run_resumes_bit_identically(tmp_path):
    """Killed right after the checkpoint of step 2 (mid-epoch: the streams' state matters),
    started again: the same weights, optimizer slots and states as an uninterrupted run."""
    reference, _ = _train(tmp_path / "whole", 6)

    class Killed(Exception):
        pass

    def kill(model, step):
        if step == 2:
            raise Killed

    with pytest.raises(Killed):
        _train(tmp_path / "killed", 6, kill)
    resumed, _ = _train(tmp_path / "killed", 6)
    for a, b in zip(reference.get_weights(), resumed.get_weights(), strict=True):
        assert np.array_equal(a, b)
    for a, b in zip(_states(reference), _states(resumed), strict=True):
        assert np.array_equal(a, b)


def test_checkpoint_sampler_writes_the_same_wav_for_the_same_step(tmp_path):
    model = build_gru(4, 1)
    sampler = CheckpointSampler(tmp_path, 8000, 0.01, 0.9, seed=0)
    sampler(model, 7)
    first = (tmp_path / "step-000000007.wav").read_bytes()
    sampler(model, 7)
    assert (tmp_path / "step-000000007.wav").read_bytes() == first
    samples, sr = soundfile.read(tmp_path / "step-000000007.wav")
    assert sr == 8000 and len(samples) == 80


# --- codec baselines -------------------------------------------------------------------------


def test_flac_is_lossless_and_costs_its_file_size():
    codes = np.random.default_rng(1).integers(0, 256, 4000)
    buffer = io.BytesIO()
    bits = codecs.flac_bits_per_sample(codes, 8000)
    soundfile.write(
        buffer,
        (codes - 128).astype(np.int16) * 256,
        8000,
        "PCM_S8",
        format="FLAC",
        compression_level=1.0,
    )
    assert bits == 8 * buffer.getbuffer().nbytes / 4000
    buffer.seek(0)
    decoded, _ = soundfile.read(buffer, dtype="int16")
    assert np.array_equal(decoded // 256 + 128, codes)
    # Random codes do not compress: FLAC's verbatim frames plus headers cost > 8 bits.
    assert bits > 8


def test_xz_costs_the_lzma_size():
    codes = np.tile(np.arange(256), 40)
    packed = lzma.compress(codes.astype(np.uint8).tobytes(), preset=9 | lzma.PRESET_EXTREME)
    assert codecs.xz_bits_per_sample(codes) == 8 * len(packed) / codes.size
    assert codecs.xz_bits_per_sample(codes) < 1


def test_entropies_by_hand():
    codes = np.array([0, 0, 1, 1, 0, 0, 1, 1])
    assert codecs.entropy0_bits_per_sample(codes) == pytest.approx(1.0)
    # Pairs 00 01 11 10 00 01 11: after 0 -> {0, 1, 0, 1}: 1 bit, after 1 -> {1, 0, 1}: 0.918.
    after = (4 * 1.0 + 3 * 0.9182958340544896) / 7
    assert codecs.entropy1_bits_per_sample(codes) == pytest.approx((1.0 + 7 * after) / 8)
    assert codecs.entropy0_bits_per_sample(np.full(5, 7)) == 0
    with pytest.raises(InputError, match="0..255"):
        codecs.entropy0_bits_per_sample(np.array([256]))
    with pytest.raises(InputError, match="baseline"):
        codecs.baseline_bits_per_sample("gzip", codes, 8000)


# --- primes ----------------------------------------------------------------------------------


def test_primes_from_test_tracks_or_from_a_file(tmp_path):
    from mirlab.families.generation.estimates import _primes
    from mirlab.families.generation.mulaw import encode_track

    signal = {"normalize": "peak"}
    tracks = [np.full(100, 10), np.full(100, 20)]
    args = {"n_samples": 3, "prime_seconds": 0.005}
    primes = _primes(args, tracks, 8000, signal)
    assert [p.tolist() for p in primes] == [[10] * 40, [20] * 40, [10] * 40]
    assert _primes({**args, "prime_seconds": 0}, tracks, 8000, signal) is None
    tone = 0.5 * np.sin(2 * np.pi * 440 * np.arange(1600) / 16000)
    soundfile.write(tmp_path / "prime.wav", tone, 16000)
    primes = _primes({**args, "prime_file": str(tmp_path / "prime.wav")}, tracks, 8000, signal)
    assert len(primes) == 3 and len(primes[0]) == 40  # resampled to 8 kHz, first 5 ms
    expected = encode_track(tone[::2][:40], "peak")
    assert np.abs(primes[0].astype(int) - expected.astype(int))[5:].max() <= 12
    with pytest.raises(InputError, match="prime_file"):
        _primes({**args, "prime_file": str(tmp_path / "none.wav")}, tracks, 8000, signal)

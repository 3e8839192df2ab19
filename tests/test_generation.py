"""The generation family's pieces: mu-law coding, the GRU model and its NumPy stepping,
temperature sampling, codec baselines and stream batches."""

import keras
import numpy as np
import pytest

from mirlab.errors import InputError
from mirlab.families.generation import mulaw
from mirlab.families.generation.model import build_gru, gru_parameter_count
from mirlab.families.generation.sampling import (
    GruWeights,
    apply_temperature,
    bits_per_sample,
    code_log2_likelihoods,
    draw,
    generate,
    next_code_probabilities,
    run_sequence,
)

# --- mu-law ----------------------------------------------------------------------------------


def test_mu_law_curve_is_the_g711_formula():
    x = np.array([-1.0, -0.5, -0.01, 0.0, 0.01, 0.5, 1.0])
    expected = np.sign(x) * np.log(1 + 255 * np.abs(x)) / np.log(256)
    np.testing.assert_allclose(mulaw.mu_law_compress(x), expected)
    np.testing.assert_allclose(mulaw.mu_law_expand(expected), x, atol=1e-12)


def test_mu_law_has_256_levels_and_decoding_round_trips():
    x = np.linspace(-1, 1, 200001)
    codes = mulaw.mu_law_encode(x)
    assert codes.dtype == np.uint8
    assert np.array_equal(np.unique(codes), np.arange(256))
    levels = mulaw.mu_law_decode(np.arange(256))
    assert np.all(np.diff(levels) > 0)
    assert np.array_equal(mulaw.mu_law_encode(levels), np.arange(256))
    # Finer steps near silence than at full scale (the point of companding).
    assert levels[129] - levels[128] < levels[255] - levels[254] / 10
    # Decoding lands within half a level of the input, in the companded domain.
    error = np.abs(mulaw.mu_law_compress(mulaw.mu_law_decode(codes)) - mulaw.mu_law_compress(x))
    assert error.max() <= 1 / 255 + 1e-6


def test_mu_law_at_full_scale_and_beyond():
    codes = mulaw.mu_law_encode(np.array([-2.0, -1.0, 0.0, 1.0, 3.0]))
    assert codes.tolist() == [0, 0, 128, 255, 255]
    np.testing.assert_allclose(mulaw.mu_law_decode(np.array([0, 255])), [-1.0, 1.0], atol=1e-6)
    with pytest.raises(InputError, match="codes"):
        mulaw.mu_law_decode(np.array([256]))


def test_normalise_peak_and_rms():
    x = np.array([0.1, -0.2, 0.05])
    np.testing.assert_allclose(np.abs(mulaw.normalise(x, "peak", 0.0)).max(), 1.0, rtol=1e-6)
    y = mulaw.normalise(x, "rms", -20.0)
    np.testing.assert_allclose(np.sqrt(np.mean(y.astype(float) ** 2)), 0.1, rtol=1e-5)
    assert not mulaw.normalise(np.zeros(4), "peak").any()
    with pytest.raises(InputError, match="signal.normalize"):
        mulaw.normalise(x, "lufs")


# --- model -----------------------------------------------------------------------------------

SEED_TABLE = [
    (100, 1, 132_956),
    (100, 2, 193_256),
    (256, 2, 853_760),
    (256, 3, 1_247_744),
    (512, 3, 4_461_312),
    (300, 4, 2_201_056),
    (256, 5, 2_035_712),
]


@pytest.mark.parametrize(("hidden", "layers", "parameters"), SEED_TABLE)
def test_parameter_counts_match_the_seed_table(hidden, layers, parameters):
    assert build_gru(hidden, layers).count_params() == parameters
    assert gru_parameter_count(hidden, layers) == parameters


def test_model_maps_codes_to_next_code_distributions():
    model = build_gru(8, 2)
    p = model.predict(np.zeros((3, 5), np.int32), verbose=0)
    assert p.shape == (3, 5, 256)
    np.testing.assert_allclose(p.sum(-1), 1.0, rtol=1e-5)
    with pytest.raises(InputError, match="batch size"):
        build_gru(8, 1, stateful=True)


# --- NumPy stepping --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def random_model():
    keras.utils.set_random_seed(3)
    model = build_gru(16, 2)
    # Larger weights than Glorot's so that the distributions are far from uniform.
    model.set_weights([w * 3 if w.ndim == 2 else w + 0.3 for w in model.get_weights()])
    return model


def test_numpy_sequence_matches_keras(random_model):
    codes = np.random.default_rng(0).integers(0, 256, (2, 40))
    keras_p = random_model.predict(codes.astype(np.int32), verbose=0)
    weights = GruWeights.from_model(random_model)
    top, _ = run_sequence(weights, codes, weights.zero_state(2))
    logits = top.transpose(1, 0, 2) @ weights.dense_kernel + weights.dense_bias
    numpy_p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    np.testing.assert_allclose(numpy_p, keras_p, atol=2e-5)


def test_numpy_step_matches_keras_from_the_same_state(random_model):
    """Same state and input: one NumPy step gives Keras' distribution (a stateful copy of
    the model is set to the state and called on the input)."""
    weights = GruWeights.from_model(random_model)
    rng = np.random.default_rng(1)
    state = [rng.uniform(-0.9, 0.9, (3, 16)).astype(np.float32) for _ in range(2)]
    code = rng.integers(0, 256, 3)
    stateful = build_gru(16, 2, batch_size=3, stateful=True)
    stateful.set_weights(random_model.get_weights())
    for layer, h in zip(
        [layer for layer in stateful.layers if "gru" in layer.name], state, strict=True
    ):
        layer.states[0].assign(h)
    keras_p = stateful.predict(code[:, None].astype(np.int32), verbose=0, batch_size=3)[:, 0]
    numpy_p, _ = next_code_probabilities(weights, code, state)
    np.testing.assert_allclose(numpy_p, keras_p, atol=2e-5)


def test_bits_per_sample_is_the_code_length(random_model):
    weights = GruWeights.from_model(random_model)
    codes = np.random.default_rng(2).integers(0, 256, 10000)
    log2 = code_log2_likelihoods(weights, codes)
    assert log2.shape == (9999,)
    p = random_model.predict(codes[None, :-1].astype(np.int32), verbose=0)[0]
    np.testing.assert_allclose(log2, np.log2(p[np.arange(9999), codes[1:]]), atol=1e-3)
    assert bits_per_sample(weights, codes) == pytest.approx((8 - log2.sum()) / 10000)


# --- temperature sampling --------------------------------------------------------------------


def test_temperature_sharpens_and_flattens():
    p = np.array([[0.5, 0.3, 0.2]])
    np.testing.assert_allclose(apply_temperature(p, 1.0), p)
    np.testing.assert_allclose(apply_temperature(p, 0.5), [[25, 9, 4]] / np.float64(38))
    np.testing.assert_allclose(apply_temperature(p, 0.0), [[1, 0, 0]])
    np.testing.assert_allclose(apply_temperature(p, 1e-3), [[1, 0, 0]], atol=1e-12)
    np.testing.assert_allclose(apply_temperature(p, 1e6), [[1 / 3] * 3], atol=1e-6)


def test_near_zero_temperature_generates_the_argmax(random_model):
    weights = GruWeights.from_model(random_model)
    codes, _ = generate(weights, 50, temperature=1e-4, seed=0)
    state, code = weights.zero_state(1), np.array([128])
    for t in range(50):
        p, state = next_code_probabilities(weights, code, state)
        code = p.argmax(axis=-1)
        assert codes[0, t] == code[0]


def test_unit_temperature_reproduces_the_distribution(random_model):
    """Many streams from the same prime: the first generated code's histogram follows the
    model's distribution (chi-squared goodness of fit)."""
    import scipy.stats

    weights = GruWeights.from_model(random_model)
    prime = np.random.default_rng(4).integers(0, 256, 20)
    n = 40000
    codes, kept = generate(weights, 1, 1.0, [prime] * n, batch=n, seed=5, keep_distribution=1)
    p = kept[0, 0].astype(np.float64)
    np.testing.assert_allclose(kept[:, 0], np.broadcast_to(p, (n, 256)), atol=1e-6)
    counts = np.bincount(codes[:, 0], minlength=256)
    expected = p * n
    common = expected >= 5
    # Rare codes pooled into one bin (chi-squared needs expected counts of 5 or more).
    observed = np.append(counts[common], counts[~common].sum())
    expected = np.append(expected[common], expected[~common].sum())
    keep = expected > 0
    observed, expected = observed[keep], expected[keep] * n / expected[keep].sum()
    assert scipy.stats.chisquare(observed, expected).pvalue > 1e-3


def test_draw_is_inverse_cdf():
    p = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    assert draw(p, np.random.default_rng(0)).tolist() == [1, 2]


# --- config ----------------------------------------------------------------------------------


def _generation_config(**experiment) -> dict:
    return {
        "datasets": {
            "tiny": {
                "loader": "synth",
                "split": {"seeded": {"fractions": {"train": 0.5, "valid": 0.25, "test": 0.25}}},
            }
        },
        "experiments": {
            "gen": {
                "task": "generation",
                "method": "train",
                "model": "gru",
                "input": {"audio_sr": 8000, "hop_length": 80},
                "train": [{"dataset": "tiny", "part": "train"}],
                "test": [{"dataset": "tiny", "part": "test"}],
                **experiment,
            }
        },
    }


def test_generation_experiments_get_the_family_defaults():
    from mirlab.config import check_config
    from tests.workflow_utils import REPO

    config = _generation_config()
    check_config(config, REPO / "config" / "schema.yaml")
    experiment = config["experiments"]["gen"]
    assert experiment["signal"] == {"normalize": "peak"}
    assert experiment["training"]["seq_length"] == 100
    assert experiment["training"]["clipnorm"] == 1.0
    assert experiment["training"]["metric"] == "bits_per_sample"
    assert experiment["generate"]["temperature"] == 0.9
    with pytest.raises(InputError, match="generate: unknown key 'temperatures'"):
        check_config(
            _generation_config(generate={"temperatures": [1]}), REPO / "config" / "schema.yaml"
        )


def test_a_generation_experiment_reads_raw_audio():
    from mirlab.families.generation import FAMILY

    experiment = _generation_config(input={"feature": "cqt"})["experiments"]["gen"]
    with pytest.raises(InputError, match="audio_sr"):
        FAMILY.check_experiment("gen", experiment, {})

import keras
import numpy as np
import pytest

from mirlab.errors import InputError
from mirlab.pitch import models

RNG = np.random.default_rng(0)


def run(model, x):
    return keras.ops.convert_to_numpy(model(x, training=False))


def test_full_crepe_has_the_published_parameter_count():
    # crepe/core.py (marl/crepe) architecture, whose published "full" model has 22.2M
    # parameters: convs 525,312 + 8,388,736 + 2 x 1,048,704 + 2,097,408 + 8,389,120, batch
    # norm 4 x (1024 + 128 + 128 + 128 + 256 + 512), dense 2048 x 360 + 360
    model = models.crepe()
    assert model.count_params() == 22_244_328
    assert round(model.count_params() / 1e6, 1) == 22.2
    assert model.input_shape == (None, 1024) and model.output_shape == (None, 1, 360)


def test_tiny_crepe_has_the_published_parameter_count():
    assert models.crepe(capacity_multiplier=4).count_params() == 487_096  # CREPE tiny, ~487k


def test_deep_salience_matches_the_reference_implementation():
    # ismir2017-deepsalience model_def: BN(6) + conv 5x5x6x128 + BN + 5x5x128x64 + BN
    # + 3x3x64x64 + BN + 3x3x64x64 + BN + 70x3x64x8 + BN + 1x1x8x1, biases included
    expected = (
        4 * 6
        + (25 * 6 * 128 + 128) + 4 * 128
        + (25 * 128 * 64 + 64) + 4 * 64
        + 2 * ((9 * 64 * 64 + 64) + 4 * 64)
        + (210 * 64 * 8 + 8) + 4 * 8
        + (8 + 1)
    )  # fmt: skip
    model = models.deep_salience()
    assert model.count_params() == expected == 406_921
    out = run(models.deep_salience(n_bins=72, n_harmonics=6), RNG.normal(size=(2, 5, 72, 6)))
    assert out.shape == (2, 5, 72)
    assert ((out >= 0) & (out <= 1)).all()


def test_hcnn_is_tiny():
    assert 20_000 <= models.hcnn().count_params() <= 30_000
    assert 20_000 <= models.hcnn(voicing_head=True).count_params() <= 30_000


def test_hcnn_shapes_with_and_without_voicing_head():
    x = RNG.normal(size=(2, 7, 120, 1)).astype("float32")
    assert run(models.hcnn(n_bins=120), x).shape == (2, 7, 120)
    out = models.hcnn(n_bins=120, voicing_head=True)(x, training=False)
    assert out["salience"].shape == (2, 7, 120)
    assert out["voicing"].shape == (2, 7)


def test_harmonic_stack_shifts_each_harmonic_down_to_its_fundamental():
    assert [models.harmonic_shift(h, 5) for h in (0.5, 1, 2, 3)] == [-60, 0, 60, 95]
    inputs = keras.Input(shape=(None, 200, 1))
    stack = keras.Model(inputs, models._harmonic_stack(inputs, [-60, 0, 60, 95], "stack"))
    x = np.zeros((1, 1, 200, 1), dtype="float32")
    x[0, 0, 100, 0] = 1.0  # energy at bin 100
    out = run(stack, x)[0, 0]
    # channel of harmonic h at bin f holds the input at f + shift: bin 100 - shift
    assert [np.flatnonzero(out[:, c]).tolist() for c in range(4)] == [[160], [100], [40], [5]]


def test_crepe_melody_variant_shapes():
    model = models.crepe(
        capacity_multiplier=1,
        window=512,
        context=256,
        n_output_frames=4,
        first_layer_kernels=(512, 256, 128, 64),
    )
    assert model.input_shape == (None, 1024)
    assert model.get_layer("conv1").output.shape[-1] == 32
    assert run(model, RNG.normal(size=(2, 1024))).shape == (2, 4, 360)


def test_crepe_normalises_each_window():
    model = models.crepe(capacity_multiplier=1, n_bins=50)
    x = RNG.normal(size=(2, 1024)).astype("float32")
    np.testing.assert_allclose(run(model, 0.01 * x + 0.3), run(model, x), atol=1e-4)


def test_wavenet_shapes():
    model = models.wavenet(
        n_bins=60,
        window=256,
        context=32,
        n_output_frames=4,
        residual_channels=4,
        skip_channels=4,
        n_layers=3,
        n_stacks=2,
        kernel_size=3,
        initial_kernel_size=8,
        head_channels=(8,),
    )
    assert model.input_shape == (None, 320)
    out = run(model, RNG.normal(size=(2, 320)))
    assert out.shape == (2, 4, 60) and ((out >= 0) & (out <= 1)).all()


def test_causal_wavenet_frames_do_not_see_the_future():
    model = models.wavenet(
        n_bins=10,
        window=256,
        n_output_frames=4,
        residual_channels=4,
        skip_channels=4,
        n_layers=4,
        initial_kernel_size=8,
        head_channels=(),
        head_kernel_size=1,
        causal=True,
        normalize_input=False,
    )
    x = RNG.normal(size=(1, 256)).astype("float32")
    later = x.copy()
    later[0, 200:] += 1.0  # only the last frame's samples change
    before, after = run(model, x)[0], run(model, later)[0]
    np.testing.assert_allclose(before[:3], after[:3], rtol=0, atol=1e-6)
    assert not np.allclose(before[3], after[3])


def test_perceptron_shapes():
    model = models.perceptron(input_size=64, hidden_units=8, n_bins=30, n_output_frames=2)
    assert model.count_params() == (64 * 8 + 8) + (8 * 60 + 60)
    assert run(model, RNG.normal(size=(2, 64))).shape == (2, 2, 30)


def test_models_save_and_load_without_custom_objects(tmp_path):
    model = models.hcnn(n_bins=100, voicing_head=True)
    path = tmp_path / "hcnn.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    x = RNG.normal(size=(1, 3, 100, 1)).astype("float32")
    for key in ("salience", "voicing"):
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(loaded(x)[key]), keras.ops.convert_to_numpy(model(x)[key])
        )


def test_build_model_by_name():
    model = models.build_model("perceptron", input_size=16, hidden_units=4, n_bins=8)
    assert model.output_shape == (None, 1, 8)
    names = {"crepe", "deep_salience", "hcnn", "wavenet", "perceptron", "latent_salience"}
    assert set(models.MODELS) == names


def test_build_model_errors_name_the_problem():
    with pytest.raises(InputError, match=r"unknown model 'crepf'.*'crepe'.*'wavenet'"):
        models.build_model("crepf")
    with pytest.raises(InputError, match=r"model.hcnn: unknown argument\(s\) \['filter'\]"):
        models.build_model("hcnn", filter=(8,))
    with pytest.raises(InputError, match="crepe.window"):
        models.build_model("crepe", window=200)
    with pytest.raises(InputError, match="hcnn.dilations"):
        models.build_model("hcnn", filters=(8, 8), dilations=(1,))
    with pytest.raises(InputError, match="wavenet.n_output_frames"):
        models.build_model("wavenet", window=1000, n_output_frames=3)

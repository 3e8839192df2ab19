"""The autoencoder family: the seed's model, the metrics, the codes and the representation."""

import numpy as np
import pytest

from mirlab.errors import InputError
from mirlab.families.autoencoder import codecs
from mirlab.families.autoencoder.metrics import (
    FLOOR_DB,
    floored_db,
    log_spectral_distance,
    reconstruction_metrics,
    rmse_db,
    spectral_convergence,
)
from mirlab.learning.autoencoders import (
    LATENT_LAYER,
    encoder_of,
    latent_values,
    spectrogram_autoencoder,
)

SEED_SHAPES = {
    "enc1_bn": (32, 256, 32),
    "enc2_bn": (16, 128, 64),
    "enc3_bn": (16, 64, 64),
    "enc4_bn": (16, 32, 64),
    "enc5_bn": (16, 16, 64),
    "enc6_bn": (16, 8, 1024),
    "enc7_bn": (16, 1, 4096),
    LATENT_LAYER: (16, 1, 4096),
    "dec8_bn": (16, 1, 4096),
    "dec7_bn": (16, 8, 1024),
    "dec6_bn": (16, 16, 64),
    "dec5_bn": (16, 32, 64),
    "dec4_bn": (16, 64, 64),
    "dec3_bn": (16, 128, 64),
    "dec2_bn": (32, 256, 32),
    "dec1": (32, 256, 1),
}


def test_seed_model_shapes_and_parameter_count():
    model = spectrogram_autoencoder()  # built, never compiled: no optimizer state
    for name, shape in SEED_SHAPES.items():
        assert tuple(model.get_layer(name).output.shape[1:]) == shape, name
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert model.count_params() == 102_084_481
    assert trainable == 102_054_657
    assert latent_values(model) == 4096 * 16
    batch_norms = [layer for layer in model.layers if layer.name.endswith("_bn")]
    assert len(batch_norms) == 15  # after every one of the 16 layers but the last
    del model


def test_width_and_latent_arguments():
    model = spectrogram_autoencoder(width=1 / 16, latent_channels=4)
    assert latent_values(model) == 64
    assert model.get_layer("enc7").filters == 256 and model.get_layer("enc1").filters == 2
    x = np.random.default_rng(0).random((2, 32, 256, 1), dtype=np.float32)
    y = model.predict_on_batch(x)
    assert y.shape == (2, 32, 256, 1) and y.min() > 0  # softplus
    latent = encoder_of(model).predict_on_batch(x)
    assert latent.shape == (2, 16, 1, 4) and np.abs(latent).max() < 1  # tanh
    with pytest.raises(InputError, match="latent_channels"):
        spectrogram_autoencoder(latent_channels=0)
    with pytest.raises(InputError, match="width"):
        spectrogram_autoencoder(width=0)


def _spectrogram(seed=0):
    return np.random.default_rng(seed).uniform(0.1, 1.0, (20, 8))


def test_spectral_convergence_of_a_scaling():
    s = _spectrogram()
    assert spectral_convergence(s, 0.5 * s) == pytest.approx(0.5)
    assert spectral_convergence(s, 1.25 * s) == pytest.approx(0.25)
    assert spectral_convergence(s, np.zeros_like(s)) == pytest.approx(1.0)
    assert spectral_convergence(s, s) == 0.0


def test_log_spectral_distance_of_a_db_offset():
    s = _spectrogram()  # all bins within 20 dB of the maximum: none floored
    offset = 10 ** (6.0 / 20)
    assert log_spectral_distance(s, s * offset) == pytest.approx(6.0)
    assert rmse_db(s, s / offset) == pytest.approx(6.0)
    # 6 dB off in one of 4 bins of every frame: sqrt(36 / 4) = 3 dB per frame
    t = s[:, :4].copy()
    u = t.copy()
    u[:, 0] *= offset
    assert log_spectral_distance(t, u) == pytest.approx(3.0)
    # half the frames 6 dB off: LSD is the mean of per-frame RMS (3), RMSE the global RMS
    v = t.copy()
    v[:10] *= offset
    assert log_spectral_distance(t, v) == pytest.approx(3.0)
    assert rmse_db(t, v) == pytest.approx(np.sqrt(18.0))


def test_db_floor_below_the_track_maximum():
    reference = np.array([[1.0, 1e-6]])  # 0 dB and -120 dB
    estimate = np.array([[1.0, 1e-5]])  # -100 dB: both below the -80 dB floor
    assert floored_db(reference, 1.0).tolist() == [[0.0, -FLOOR_DB]]
    assert log_spectral_distance(reference, estimate) == 0.0
    louder = np.array([[1.0, 1e-3]])  # -60 dB: 20 dB above the floor
    assert log_spectral_distance(reference, louder) == pytest.approx(np.sqrt(20.0**2 / 2))
    # the floor follows the reference's maximum, not a fixed level
    assert log_spectral_distance(reference * 10, louder * 10) == pytest.approx(np.sqrt(200.0))


def test_metrics_reject_bad_input():
    s = _spectrogram()
    with pytest.raises(InputError, match="shape"):
        reconstruction_metrics(s, s[:-1])
    with pytest.raises(InputError, match=">= 0"):
        reconstruction_metrics(s, -s)


def test_representation_round_trip():
    db = np.array([[-100.0, -40.0, 0.0, 6.0]], dtype=np.float32)
    values = codecs.to_representation(db, log=True)
    np.testing.assert_allclose(values, [[0.0, 3.0, 5.0, 5.3]], rtol=1e-6)
    np.testing.assert_allclose(
        codecs.to_magnitude(values, log=True), [[1e-5, 1e-2, 1.0, 10**0.3]], rtol=1e-5
    )
    assert codecs.to_magnitude(np.array([-1.0, 2.0]), log=False).tolist() == [0.0, 2.0]


def test_patches_and_track_reconstruction():
    assert codecs.patch_starts(32).tolist() == [0]
    assert codecs.patch_starts(70).tolist() == [0, 32, 38]
    assert codecs.patch_starts(70, hop=16).tolist() == [0, 16, 32, 38]
    with pytest.raises(InputError, match="shorter"):
        codecs.patch_starts(31)
    feature = np.random.default_rng(1).uniform(-100, 0, (70, 256)).astype(np.float32)
    identity = codecs.LinearCode(np.zeros(codecs.PATCH_VALUES), np.zeros((0, 8192)), log=True)
    # the zero-component code with a zero mean reconstructs the floor everywhere
    assert np.all(codecs.reconstruct_track(identity, feature) == 0)

    def exact(batch):
        return codecs.to_representation(batch, log=True)

    np.testing.assert_allclose(
        codecs.reconstruct_track(exact, feature), codecs.to_representation(feature, True), atol=1e-5
    )


def test_pca_code_is_exact_on_its_own_subspace_and_mean_patch():
    rng = np.random.default_rng(2)
    basis = rng.normal(size=(3, codecs.PATCH_VALUES))
    patches = (rng.normal(size=(40, 3)) @ basis).reshape(40, 32, 256).astype(np.float32)
    code = codecs.fit_linear_code(patches, 3, log=False, seed=0)
    assert code.latent_values == 3
    np.testing.assert_allclose(code(patches[:5]), patches[:5], atol=1e-3)
    mean = codecs.fit_linear_code(patches, 0, log=False, seed=0)
    np.testing.assert_allclose(mean(patches[:2])[1], patches.mean(axis=0), atol=1e-5)
    with pytest.raises(InputError, match="n_components"):
        codecs.fit_linear_code(patches, 40, log=False, seed=0)


def test_losses():
    import tensorflow as tf

    from mirlab.families.autoencoder.training import reconstruction_loss

    y = tf.constant([[5.0, 4.0]])  # 1.0 and 0.1 in linear magnitude
    p = tf.constant([[4.0, 4.0]])
    assert float(reconstruction_loss("mse", True)(y, p)) == pytest.approx(0.5)
    assert float(reconstruction_loss("l1", True)(y, p)) == pytest.approx(0.5)
    assert float(reconstruction_loss("mse_linear", True)(y, p)) == pytest.approx(0.81 / 2)
    with pytest.raises(InputError, match="training.loss"):
        reconstruction_loss("huber", True)

"""Config validation: typos, wrong types and missing roots are one-line errors naming the key."""

import copy
from pathlib import Path

import pytest
import yaml

from mirlab.config import check_config, check_dataset_roots, param_key
from mirlab.errors import InputError

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "config" / "schema.yaml"


@pytest.fixture
def default_config():
    return yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def test_default_config_is_valid_and_gets_defaults(default_config):
    check_config(default_config, SCHEMA)
    assert default_config["datasets"]["synth"]["source"] == "mix"
    assert default_config["data_dir"] == "data"


@pytest.mark.parametrize(
    ("edit", "key", "problem"),
    [
        (
            # A copy: the default's synth_melody and synth_accompaniment alias this mapping.
            lambda c: c["datasets"]["synth"].update(
                generate={**c["datasets"]["synth"]["generate"], "n_track": 3}
            ),
            "datasets.synth.generate",
            "n_track",
        ),
        (
            lambda c: c["datasets"]["synth"].update(
                generate={**c["datasets"]["synth"]["generate"], "n_tracks": "many"}
            ),
            "datasets.synth.generate.n_tracks",
            "not of type integer",
        ),
        (
            lambda c: c["datasets"]["synth"].update(loader="medleydbb"),
            "datasets.synth.loader",
            "'medleydbb' is not one of",
        ),
        (
            lambda c: c["features"]["hcqt"].update(hop_length=-1),
            "features.hcqt.hop_length",
            "minimum",
        ),
        (lambda c: c.update(featurs={}), "(top level)", "featurs"),
    ],
)
def test_bad_config_names_the_key(default_config, edit, key, problem):
    config = copy.deepcopy(default_config)
    edit(config)
    with pytest.raises(InputError) as error:
        check_config(config, SCHEMA)
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(f"config key {key}:")
    assert problem in message


def test_missing_dataset_root_is_named(tmp_path):
    datasets = {"mdb": {"loader": "medleydb", "root": str(tmp_path / "nowhere")}}
    with pytest.raises(InputError, match=r"datasets\.mdb\.root: folder .*nowhere does not exist"):
        check_dataset_roots(datasets)
    with pytest.raises(InputError, match=r"datasets\.mdb\.root: missing"):
        check_dataset_roots({"mdb": {"loader": "medleydb"}})


def test_param_key_follows_every_value_not_key_order():
    assert param_key({"a": 1, "b": [1, 2]}) == param_key({"b": [1, 2], "a": 1})
    assert param_key({"a": 1, "b": [1, 2]}) != param_key({"a": 1, "b": [2, 1]})
    assert param_key({"hop_length": 256}) != param_key({"hop_length": 512})
    assert len(param_key({})) == 10


def test_conda_env_pins_equal_the_lock_file():
    lock = {
        line.strip()
        for line in (REPO / "requirements.lock").read_text().splitlines()
        if line.strip()
    }
    env = yaml.safe_load((REPO / "envs" / "mirlab.yaml").read_text())
    pip_section = next(item["pip"] for item in env["dependencies"] if isinstance(item, dict))
    assert set(pip_section) == lock

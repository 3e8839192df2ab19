"""A tiny end-to-end run of the experiment DAG: training, baselines, external estimates,
evaluation and the results table, on a few seconds of synthetic music."""

import json
import shutil
import subprocess

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from mirlab.data.datasets import load_dataset
from mirlab.data.readers import read_annotation
from mirlab.families.melody.training import window_spec
from mirlab.learning import windows
from tests.workflow_utils import snakemake, write_config

pytestmark = pytest.mark.workflow

TRAINING = {"steps": 4, "batch_size": 4, "checkpoint_every": 2, "eval_every": 2}
# One excerpt per artist: the split puts each artist in one part, so exactly one of them
# lies in the validation part.
EXCERPTS = {
    f"track{i}": {"dataset": "tiny", "track": f"synth_000{i}", "start": 0.5, "end": 1.5}
    for i in range(3)
}
PARTS = {
    "train": [{"dataset": "tiny", "part": "train"}],
    "validate": [{"dataset": "tiny", "part": "valid"}],
    "test": [{"dataset": "tiny", "part": "test"}],
}


def tiny_config(estimates: str) -> dict:
    return {
        "datasets": {
            "tiny": {
                "loader": "synth",
                "generate": {"n_tracks": 6, "duration": 2.0, "seed": 3, "n_artists": 3},
                "split": {"seeded": {"fractions": {"train": 0.34, "valid": 0.33, "test": 0.33}}},
            }
        },
        "excerpts": EXCERPTS,
        "features": {
            "hcqt": {"kind": "hcqt", "sr": 22050, "hop_length": 256},
            "cqt": {"kind": "cqt", "sr": 22050, "hop_length": 256},
        },
        "experiments": {
            "hcnn": {
                "task": "melody",
                "method": "train",
                "model": "hcnn",
                "input": {"feature": "cqt"},
                "window": {"n_frames": 16, "hop": 16},
                "model_args": {"filters": [4, 4, 4]},
                "training": TRAINING,
                "seeds": [0],
                **PARTS,
                "grid": {"window.context": [0, 2]},
            },
            "hcnn_voicing": {
                "task": "melody",
                "method": "train",
                "model": "hcnn",
                "input": {"feature": "cqt"},
                "window": {"n_frames": 16, "hop": 16, "context": 2},
                "model_args": {"filters": [4, 4, 4], "voicing_head": True},
                "training": TRAINING,
                **PARTS,
            },
            "crepe": {
                "task": "melody",
                "method": "train",
                "model": "crepe",
                "model_args": {"capacity_multiplier": 1},
                "input": {"audio_sr": 16000, "hop_length": 160},
                "window": {"n_frames": 1, "hop": 4},
                "training": TRAINING,
                **PARTS,
            },
            "pyin": {
                "task": "melody",
                "method": "baseline",
                "baseline": "pyin",
                "input": {"audio_sr": 22050, "hop_length": 256},
                "test": PARTS["test"],
            },
            "salience": {
                "task": "melody",
                "method": "baseline",
                "baseline": "salience_peak",
                "input": {"feature": "hcqt"},
                "validate": PARTS["validate"],
                "test": PARTS["test"],
            },
            "oracle": {
                "task": "melody",
                "method": "external",
                "estimates": estimates,
                "test": PARTS["test"],
            },
        },
    }


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("experiments")
    estimates = workdir / "estimates" / "tiny"
    write_config(workdir, tiny_config(str(workdir / "estimates" / "{dataset}")))
    # The external "method" is the reference itself: it must score 1 everywhere.
    snakemake(workdir, "--cores", "2", "--until", "generate_synth")
    (raw,) = workdir.glob("data/generated/synth-*")
    estimates.mkdir(parents=True)
    for track in load_dataset("synth", raw):
        times, f0 = read_annotation(track.annotations["melody"])
        np.savetxt(estimates / f"{track.track_id}.csv", np.column_stack([times, f0]), delimiter=",")
    snakemake(workdir, "--cores", "2")
    return workdir


def test_results_table_has_one_row_per_experiment_seed_dataset(workdir):
    table = pd.read_csv(workdir / "reports" / "results.csv")
    assert sorted(table["experiment"]) == [
        "crepe",
        "hcnn-context0",
        "hcnn-context2",
        "hcnn_voicing",
        "oracle",
        "pyin",
        "salience",
    ]
    assert set(table["dataset"]) == {"tiny"} and set(table["split"]) == {"test"}
    for metric in (
        "overall_accuracy",
        "raw_pitch_accuracy",
        "voicing_recall",
        "raw_pitch_accuracy_25c",
        "overall_accuracy.ci_low",
    ):
        assert table[metric].between(0, 1).all(), metric
    assert table.loc[table["experiment"] == "hcnn-context2", "param.window.context"].item() == 2
    parquet = pd.read_parquet(workdir / "reports" / "results.parquet")
    assert list(parquet.columns) == list(table.columns)


def test_external_reference_estimates_score_perfectly(workdir):
    table = pd.read_csv(workdir / "reports" / "results.csv").set_index("experiment")
    assert table.loc["oracle", "overall_accuracy"] == pytest.approx(1.0)
    assert table.loc["oracle", "raw_pitch_accuracy"] == pytest.approx(1.0)


def test_trained_model_is_stored_with_everything_that_reproduces_it(workdir):
    model = workdir / "results" / "hcnn-context2" / "seed0" / "model"
    params = json.loads((model / "params.json").read_text())
    config = json.loads((model / "config.json").read_text())
    decoding = json.loads((model / "decoding.json").read_text())
    assert params["parameters"]["total"] > 0 and "tensorflow" in params["versions"]
    assert "results/hcnn-context2/seed0/model" in params["command"]
    assert config["window"]["context"] == 2 and config["model"] == "hcnn"
    assert 0 <= decoding["voicing_threshold"] <= 1
    assert (model / "summary.txt").read_text().strip()


def test_a_voicing_head_is_trained_and_decides_the_voicing(workdir):
    import keras

    model_dir = workdir / "results" / "hcnn_voicing" / "seed0" / "model"
    model = keras.saving.load_model(model_dir / "model.keras")
    assert set(model.output) == {"salience", "voicing"}
    # A frame is voiced iff the head's probability reaches the threshold tuned on validation.
    threshold = json.loads((model_dir / "decoding.json").read_text())["voicing_threshold"]
    experiment = json.loads((model_dir / "config.json").read_text())
    spec = window_spec(experiment, 256)
    for estimate in workdir.glob("results/hcnn_voicing/seed0/predictions/tiny/*.csv"):
        (feature,) = workdir.glob(f"data/tiny/*/features/cqt-*/{estimate.stem}.npy")
        voicing = windows.predict_track(model, feature, spec)["voicing"]
        f0 = np.loadtxt(estimate, delimiter=",")[:, 1]
        np.testing.assert_array_equal(f0 > 0, voicing >= threshold)


def test_tensorboard_gets_scalars_and_images_at_each_evaluation(workdir):
    import tensorflow as tf

    tags = {}
    events = workdir.glob("results/hcnn-context2/seed0/training/*/tensorboard/*")
    for path in events:
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                plugin = value.metadata.plugin_data.plugin_name
                tags.setdefault(value.tag, set()).add((plugin, event.step))
    assert {("scalars", 2), ("scalars", 4)} <= tags["tiny.valid/overall_accuracy"]
    for image in ("pianoroll", "confusion", "error_histogram"):
        assert {("images", 2), ("images", 4)} <= tags[f"tiny.valid/{image}"]


def test_an_excerpt_of_a_validation_track_is_a_validation_set_of_its_own(workdir):
    import tensorflow as tf

    split = pd.read_csv(next(workdir.glob("data/tiny/*/split-*.csv")))
    part = dict(zip(split["track_id"], split["part"], strict=True))
    assert [part[e["track"]] for e in EXCERPTS.values()].count("valid") == 1
    (training,) = workdir.glob("results/crepe/seed0/training/*")
    tags = {
        value.tag
        for path in training.glob("tensorboard/*")
        for event in tf.compat.v1.train.summary_iterator(str(path))
        for value in event.summary.value
    }
    for name, excerpt in EXCERPTS.items():
        validated = part[excerpt["track"]] == "valid"
        assert (f"excerpt.{name}/overall_accuracy" in tags) == validated, name
        assert (f"excerpt.{name}/pianoroll" in tags) == validated, name
        best = training / "best" / f"excerpt.{name}" / "overall_accuracy.weights.h5"
        assert best.is_file() == validated, name


def test_predictions_are_mirex_csvs_on_the_model_grid(workdir):
    split = pd.read_csv(next(workdir.glob("data/tiny/*/split-*.csv")))
    test_ids = sorted(split.loc[split["part"] == "test", "track_id"])
    folder = workdir / "results" / "crepe" / "seed0" / "predictions" / "tiny"
    assert sorted(p.stem for p in folder.glob("*.csv")) == test_ids
    estimate = np.loadtxt(folder / f"{test_ids[0]}.csv", delimiter=",")
    np.testing.assert_allclose(np.diff(estimate[:, 0]), 0.01, atol=1e-6)
    assert len(estimate) == 1 + 32000 // 160


def test_single_target_reruns_nothing_when_up_to_date(workdir):
    target = "results/pyin/seed0/eval/tiny/summary.csv"
    assert "Nothing to be done" in snakemake(workdir, "-n", target).stdout


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="needs headless Chromium (Debian package chromium)")
def test_html_report_renders_the_table_and_figures_in_a_browser(workdir):
    snakemake(workdir, "--report", "reports/report.html")
    url = (workdir / "reports" / "report.html").as_uri()
    flags = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--virtual-time-budget=10000",
    ]
    dom = subprocess.run(
        [*flags, "--dump-dom", url], capture_output=True, text=True, timeout=180, check=True
    ).stdout
    shot = workdir / "reports" / "report.png"
    subprocess.run(
        [*flags, "--window-size=1400,1000", f"--screenshot={shot}", url],
        capture_output=True,
        timeout=180,
        check=True,
    )
    # The page, rendered by its own JavaScript, lists one category per experiment and the
    # results; the table and every figure are embedded in it.
    for category in ("Results", "crepe", "hcnn-context0", "hcnn-context2", "oracle", "pyin"):
        assert f"<span>{category}</span>" in dom
    assert "results.csv" in dom
    # The landing page is the workflow description, and it leads with the results table.
    assert "Results first" in dom and "The workflow." in dom
    assert dom.index("Results first") < dom.index("The workflow.")
    for figure in (
        "pianoroll-",
        "confusion.png",
        "error_histogram.png",
        "metric-overall_accuracy.png",
        "sweep-hcnn-window.context.png",
    ):
        assert figure in dom, figure
    pixels = plt.imread(shot)[..., :3]
    assert pixels.shape[:2] == (1000, 1400)
    # Not a blank page: the navigation's text is drawn in the left column. Dark pixels, not
    # merely non-white ones: the column's background fades from grey to white on load, so a
    # screenshot may catch either.
    navigation = pixels[:, :300].mean(axis=2)
    assert (navigation < 0.5).mean() > 0.02

from pathlib import Path

from mirlab.config import check_config, check_dataset_roots, param_key
from mirlab.experiments import check_comparisons, check_experiments, expand_experiments

check_config(config, Path(workflow.basedir, "config", "schema.yaml"))
check_dataset_roots(config["datasets"], base=workflow.basedir)

DATA = config["data_dir"]
# Jobs that loop over the tracks of a dataset use a process pool of this many workers;
# Snakemake lowers it to --cores where fewer are available.
POOL_THREADS = 8


wildcard_constraints:
    dataset=r"[A-Za-z0-9][A-Za-z0-9_.-]*",
    feature=r"[A-Za-z0-9][A-Za-z0-9_.-]*",
    excerpt=r"[A-Za-z0-9][A-Za-z0-9_.-]*",
    key=r"[0-9a-f]{10}",
    a=r"[A-Za-z0-9][A-Za-z0-9_.-]*",
    b=r"[A-Za-z0-9][A-Za-z0-9_.-]*",
    fkey=r"[0-9a-f]{10}",
    gkey=r"[0-9a-f]{10}",
    skey=r"[0-9a-f]{10}",
    sr=r"[0-9]+",
    hop=r"[0-9]+",
    seed=r"[0-9]+",
    experiment=r"[A-Za-z0-9][A-Za-z0-9_.-]*",


def dataset_params(name):
    """What identifies a dataset's bytes: loader, root (absolute) or generator parameters, source."""
    dataset = config["datasets"][name]
    params = {key: dataset[key] for key in ("loader", "source", "options")}
    if dataset["loader"] == "synth":
        params["generate"] = dataset["generate"]
    else:
        params["root"] = str(Path(workflow.basedir, dataset["root"]).resolve())
    return params


def synth_raw_path(name):
    """Generated tracks are shared by every synth dataset with the same generator parameters."""
    return f"{DATA}/generated/synth-{param_key(config['datasets'][name]['generate'])}"


def synth_generate_params(wildcards):
    for dataset in config["datasets"].values():
        if (
            dataset["loader"] == "synth"
            and param_key(dataset["generate"]) == wildcards.gkey
        ):
            return dataset["generate"]
    raise ValueError(
        f"{DATA}/generated/synth-{wildcards.gkey}: no synth dataset in the config has this key"
    )


def dataset_dir(name):
    """Cache folder of one dataset, keyed by what identifies its bytes."""
    return f"{DATA}/{name}/{param_key(dataset_params(name))}"


def current_dataset(wildcards):
    """The config entry of ``wildcards.dataset``; refuses a cache key that the config no longer gives."""
    if wildcards.dataset not in config["datasets"]:
        raise ValueError(f"config key datasets.{wildcards.dataset}: no such dataset")
    expected = param_key(dataset_params(wildcards.dataset))
    if wildcards.key != expected:
        raise ValueError(
            f"{DATA}/{wildcards.dataset}/{wildcards.key}: stale cache key, "
            f"the current config gives {expected}"
        )
    return config["datasets"][wildcards.dataset]


def feature_path(dataset, feature):
    params = config["features"][feature]
    return f"{dataset_dir(dataset)}/features/{feature}-{param_key(params)}"


def feature_params(wildcards):
    current_dataset(wildcards)
    params = config["features"][wildcards.feature]
    if wildcards.fkey != param_key(params):
        raise ValueError(
            f"config key features.{wildcards.feature}: stale cache key {wildcards.fkey}"
        )
    return params


def feature_audio(wildcards):
    sr = config["features"][wildcards.feature]["sr"]
    return f"{DATA}/{wildcards.dataset}/{wildcards.key}/audio/sr{sr}"


def audio_rates():
    """Every sample rate (Hz) a dataset's audio is cached at: feature, extra and model rates."""
    rates = {feature["sr"] for feature in config["features"].values()}
    rates |= {grid[0] for grid in map(input_grid, EXPERIMENTS.values()) if grid}
    return sorted(rates | set(config["audio_rates"]))


def frame_grids():
    """Every (sr, hop) frame grid that annotations are resampled to: features' and models'."""
    grids = {(f["sr"], f["hop_length"]) for f in config["features"].values()}
    grids |= {grid[:2] for grid in map(input_grid, EXPERIMENTS.values()) if grid}
    return sorted(grids)


def index_input(wildcards):
    dataset = current_dataset(wildcards)
    if dataset["loader"] == "synth":
        return synth_raw_path(wildcards.dataset)
    return []


def split_params(wildcards):
    return current_dataset(wildcards)["split"]


def split_path(dataset):
    return f"{dataset_dir(dataset)}/split-{param_key(config['datasets'][dataset]['split'])}.csv"


def excerpt_params(wildcards):
    excerpt = config["excerpts"][wildcards.excerpt]
    if wildcards.key != param_key(excerpt_identity(wildcards.excerpt)):
        raise ValueError(
            f"config key excerpts.{wildcards.excerpt}: stale cache key {wildcards.key}"
        )
    return excerpt


def excerpt_identity(name):
    excerpt = config["excerpts"][name]
    return {"excerpt": excerpt, "dataset": dataset_params(excerpt["dataset"])}


def excerpt_path(name):
    return f"{DATA}/excerpts/{name}-{param_key(excerpt_identity(name))}"


def excerpt_input(wildcards):
    excerpt = excerpt_params(wildcards)
    name = excerpt["dataset"]
    if name not in config["datasets"]:
        raise ValueError(
            f"config key excerpts.{wildcards.excerpt}.dataset: no dataset {name!r}"
        )
    base = dataset_dir(name)
    return {
        "index": f"{base}/index.parquet",
        "annotations": f"{base}/annotations/original",
        "audio": [f"{base}/audio/sr{sr}" for sr in audio_rates()],
        "features": [feature_path(name, feature) for feature in config["features"]],
    }


def preprocessing_targets():
    """Everything the preprocessing stage builds for the configured datasets."""
    targets = []
    for name in config["datasets"]:
        base = dataset_dir(name)
        targets.append(split_path(name))
        targets.append(f"{base}/annotations/original")
        targets += [f"{base}/audio/sr{sr}" for sr in audio_rates()]
        targets += [f"{base}/annotations/sr{sr}_hop{hop}" for sr, hop in frame_grids()]
        targets += [feature_path(name, feature) for feature in config["features"]]
    targets += [excerpt_path(name) for name in config["excerpts"]]
    return targets


# --- experiments ---------------------------------------------------------------------------

EXPERIMENTS = expand_experiments(config["experiments"])
check_experiments(EXPERIMENTS, config)
check_comparisons(config["compare"], EXPERIMENTS)


def current_experiment(wildcards):
    """The resolved experiment of a job, without its list of seeds: the job's seed is in its
    path, so adding a seed must not change (and so rerun) the jobs of the others."""
    if wildcards.experiment not in EXPERIMENTS:
        raise ValueError(
            f"config key experiments: no experiment {wildcards.experiment!r}"
        )
    experiment = EXPERIMENTS[wildcards.experiment]
    return {key: value for key, value in experiment.items() if key != "seeds"}


def input_grid(experiment):
    """(sample rate Hz, hop samples, feature name or None) of an experiment's model input;
    None for an external method, which reads no input."""
    spec = experiment.get("input")
    if spec is None:
        return None
    if "feature" in spec:
        feature = config["features"][spec["feature"]]
        return feature["sr"], feature["hop_length"], spec["feature"]
    return spec["audio_sr"], spec["hop_length"], None


def dataset_paths(experiment, name):
    """The cached artefacts of dataset ``name`` that ``experiment`` reads (DatasetPaths fields)."""
    base = dataset_dir(name)
    sr, hop, feature = input_grid(experiment) or (0, 0, None)
    return {
        "name": name,
        "inputs": feature_path(name, feature) if feature else f"{base}/audio/sr{sr}",
        "grid": f"{base}/annotations/sr{sr}_hop{hop}",
        "original": f"{base}/annotations/original",
        "split": split_path(name),
        "reference": config["datasets"][name]["reference"],
        "sr": sr,
        "hop_length": hop,
    }


def _path_values(paths):
    keys = (
        ("inputs", "grid", "original", "split")
        if paths["sr"]
        else ("original", "split")
    )
    return [paths[key] for key in keys]


def experiment_sets(experiment, role):
    return [
        (dataset_paths(experiment, s["dataset"]), s["part"])
        for s in experiment.get(role, [])
    ]


def validation_excerpts(experiment):
    """Configured excerpts of the experiment's validation datasets; the training job makes
    a validation set of each one whose track lies in a validated part."""
    datasets = sorted({s["dataset"] for s in experiment.get("validate", [])})
    return [excerpt for name in datasets for excerpt in dataset_excerpts(name)]


def trained_experiment(wildcards):
    experiment = current_experiment(wildcards)
    if experiment["method"] != "train":
        raise ValueError(
            f"experiment {wildcards.experiment!r} is a {experiment['method']} method: "
            "it has no trained model"
        )
    return experiment


def tested_experiment(wildcards):
    """The experiment of ``wildcards``, checked to test ``wildcards.dataset``."""
    experiment = current_experiment(wildcards)
    if wildcards.dataset not in {entry["dataset"] for entry in experiment["test"]}:
        raise ValueError(
            f"experiment {wildcards.experiment!r} does not test dataset {wildcards.dataset!r}"
        )
    return experiment


def train_input(wildcards):
    experiment = trained_experiment(wildcards)
    sets = experiment_sets(experiment, "train") + experiment_sets(
        experiment, "validate"
    )
    return sorted({path for paths, _ in sets for path in _path_values(paths)})


def training_dir(wildcards):
    """Checkpoints and TensorBoard logs of a training job, keyed by the resolved experiment,
    its datasets' keys and its validation excerpts: a rerun with the same key resumes, a
    changed one starts afresh.
    """
    experiment = current_experiment(wildcards)
    used = [
        s["dataset"]
        for s in experiment.get("train", []) + experiment.get("validate", [])
    ]
    key = param_key(
        {
            "experiment": experiment,
            "data": [dataset_params(d) for d in used],
            "excerpts": validation_excerpts(experiment),
        }
    )
    return f"results/{wildcards.experiment}/seed{wildcards.seed}/training/{key}"


def test_part(experiment, dataset):
    return next(s["part"] for s in experiment["test"] if s["dataset"] == dataset)


def predict_input(wildcards):
    experiment = tested_experiment(wildcards)
    paths = dataset_paths(experiment, wildcards.dataset)
    inputs = {"data": _path_values(paths)}
    if experiment["method"] == "train":
        inputs["model"] = f"results/{wildcards.experiment}/seed{wildcards.seed}/model"
    elif experiment["method"] == "baseline":
        inputs["valid"] = sorted(
            {
                p
                for paths, _ in experiment_sets(experiment, "validate")
                for p in _path_values(paths)
            }
        )
    return inputs


def feature_params_of(experiment):
    _, _, feature = input_grid(experiment) or (0, 0, None)
    return config["features"][feature] if feature else None


def evaluate_input(wildcards):
    experiment = tested_experiment(wildcards)
    paths = dataset_paths(experiment, wildcards.dataset)
    return {
        "predictions": f"results/{wildcards.experiment}/seed{wildcards.seed}/predictions/{wildcards.dataset}",
        "original": paths["original"],
        "split": paths["split"],
    }


def result_entries():
    """(experiment, seed, dataset, split part, summary path) of every configured evaluation."""
    entries = []
    for name, experiment in EXPERIMENTS.items():
        for seed in experiment["seeds"]:
            for test in experiment["test"]:
                folder = f"results/{name}/seed{seed}/eval/{test['dataset']}"
                entries.append(
                    {
                        "experiment": name,
                        "seed": seed,
                        "dataset": test["dataset"],
                        "split": test["part"],
                        "summary": f"{folder}/summary.csv",
                        "per_track": f"{folder}/per_track.csv",
                    }
                )
    return entries


def dataset_excerpts(dataset):
    """Configured excerpts of ``dataset`` as (name, track, start, end) mappings."""
    return [
        {"name": name, **excerpt}
        for name, excerpt in config["excerpts"].items()
        if excerpt["dataset"] == dataset
    ]


def figure_targets():
    targets = [
        f"reports/figures/{entry['experiment']}/seed{entry['seed']}/{entry['dataset']}"
        for entry in result_entries()
    ]
    targets += [
        f"reports/figures/compare/{pair['dataset']}/{pair['a']}/{pair['b']}.png"
        for pair in config["compare"]
    ]
    if EXPERIMENTS:
        targets.append("reports/figures/results")
    return targets


def experiment_targets():
    if not EXPERIMENTS:
        return []
    return ["reports/results.csv", "reports/results.parquet"]

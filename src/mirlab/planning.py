"""Planning: which files each job reads and writes, and the cache keys in their paths.

The rules' input functions (``rules/common.smk``) are thin wrappers over a :class:`Plan` of
the validated config. Every cached artefact's path holds a hash of what changes its bytes
(:func:`mirlab.config.param_key`), so changing a parameter never serves a stale cache.

What a job is given of an experiment is chosen so that Snakemake reruns what a change
affects and nothing else: training and prediction jobs get the experiment without its
``seeds`` (a job's seed is in its path) and without its ``test`` list (adding a test set runs
only its predictions and evaluations; the set of a prediction job is in its path).
"""

from __future__ import annotations

from pathlib import Path

from mirlab.config import param_key
from mirlab.errors import InputError
from mirlab.experiments import check_comparisons, check_experiments, expand_experiments
from mirlab.families.base import Family
from mirlab.families.registry import get_family

#: Keys of an experiment that its training and prediction jobs do not depend on.
NOT_JOB_KEYS = ("seeds", "test")


class Plan:
    """The jobs of one validated ``config`` (see ``config/schema.yaml``); ``basedir`` is the
    workflow's folder, against which dataset roots are resolved."""

    def __init__(self, config: dict, basedir: str | Path = "."):
        self.config = config
        self.basedir = Path(basedir)
        self.data = config["data_dir"]
        self.experiments = expand_experiments(config["experiments"])
        self.families: dict[str, Family] = {
            name: get_family(experiment["task"], config["families"])
            for name, experiment in self.experiments.items()
        }
        check_experiments(self.experiments, self.families, config)
        check_comparisons(config["compare"], self.experiments)
        for number, pair in enumerate(config["compare"]):
            if self.families[pair["a"]] is not self.families[pair["b"]]:
                raise InputError(
                    f"config key compare[{number}]",
                    f"{pair['a']!r} and {pair['b']!r} are of different families",
                )
        for name in self.experiments:
            self.mix_options(name)
        for name in self.experiments:
            self.pretrained_dir(name)

    # --- datasets --------------------------------------------------------------------------

    def dataset_params(self, name: str) -> dict:
        """What identifies a dataset's bytes: loader, root (absolute) or generator
        parameters, source and options."""
        dataset = self.config["datasets"][name]
        params = {key: dataset[key] for key in ("loader", "source", "options")}
        if dataset["loader"] == "synth":
            params["generate"] = dataset["generate"]
        else:
            params["root"] = str((self.basedir / dataset["root"]).resolve())
        return params

    def synth_raw_path(self, name: str) -> str:
        """Generated tracks are shared by every synth dataset with the same generator
        parameters."""
        return f"{self.data}/generated/synth-{param_key(self.config['datasets'][name]['generate'])}"

    def synth_generate_params(self, gkey: str) -> dict:
        for dataset in self.config["datasets"].values():
            if dataset["loader"] == "synth" and param_key(dataset["generate"]) == gkey:
                return dataset["generate"]
        raise InputError(
            f"{self.data}/generated/synth-{gkey}", "no synth dataset in the config has this key"
        )

    def dataset_dir(self, name: str) -> str:
        """Cache folder of one dataset, keyed by what identifies its bytes."""
        return f"{self.data}/{name}/{param_key(self.dataset_params(name))}"

    def current_dataset(self, name: str, key: str) -> dict:
        """The config entry of dataset ``name``; refuses a cache key the config no longer
        gives."""
        if name not in self.config["datasets"]:
            raise InputError(f"config key datasets.{name}", "no such dataset")
        expected = param_key(self.dataset_params(name))
        if key != expected:
            raise InputError(
                f"{self.data}/{name}/{key}", f"stale cache key, the current config gives {expected}"
            )
        return self.config["datasets"][name]

    def feature_path(self, dataset: str, feature: str) -> str:
        params = self.config["features"][feature]
        return f"{self.dataset_dir(dataset)}/features/{feature}-{param_key(params)}"

    def feature_params(self, dataset: str, key: str, feature: str, fkey: str) -> dict:
        self.current_dataset(dataset, key)
        params = self.config["features"][feature]
        if fkey != param_key(params):
            raise InputError(f"config key features.{feature}", f"stale cache key {fkey}")
        return params

    def feature_audio(self, dataset: str, key: str, feature: str) -> str:
        return f"{self.data}/{dataset}/{key}/audio/sr{self.config['features'][feature]['sr']}"

    def audio_rates(self) -> list[int]:
        """Every sample rate (Hz) a dataset's audio is cached at: feature, extra and model
        rates."""
        rates = {feature["sr"] for feature in self.config["features"].values()}
        rates |= {grid[0] for grid in map(self.input_grid, self.experiments.values()) if grid}
        return sorted(rates | set(self.config["audio_rates"]))

    def frame_grids(self) -> list[tuple[int, int]]:
        """Every (sr, hop) frame grid annotations are resampled to: features' and models'."""
        grids = {(f["sr"], f["hop_length"]) for f in self.config["features"].values()}
        grids |= {grid[:2] for grid in map(self.input_grid, self.experiments.values()) if grid}
        return sorted(grids)

    def index_input(self, dataset: str, key: str) -> list[str] | str:
        if self.current_dataset(dataset, key)["loader"] == "synth":
            return self.synth_raw_path(dataset)
        return []

    def split_path(self, dataset: str) -> str:
        split = self.config["datasets"][dataset]["split"]
        return f"{self.dataset_dir(dataset)}/split-{param_key(split)}.csv"

    def excerpt_identity(self, name: str) -> dict:
        excerpt = self.config["excerpts"][name]
        return {"excerpt": excerpt, "dataset": self.dataset_params(excerpt["dataset"])}

    def excerpt_path(self, name: str) -> str:
        return f"{self.data}/excerpts/{name}-{param_key(self.excerpt_identity(name))}"

    def excerpt_params(self, name: str, key: str) -> dict:
        if name not in self.config["excerpts"]:
            raise InputError(f"config key excerpts.{name}", "no such excerpt")
        excerpt = self.config["excerpts"][name]
        if excerpt["dataset"] not in self.config["datasets"]:
            raise InputError(
                f"config key excerpts.{name}.dataset", f"no dataset {excerpt['dataset']!r}"
            )
        if key != param_key(self.excerpt_identity(name)):
            raise InputError(f"config key excerpts.{name}", f"stale cache key {key}")
        return excerpt

    def excerpt_input(self, name: str, key: str) -> dict:
        dataset = self.excerpt_params(name, key)["dataset"]
        base = self.dataset_dir(dataset)
        return {
            "index": f"{base}/index.parquet",
            "annotations": f"{base}/annotations/original",
            "audio": [f"{base}/audio/sr{sr}" for sr in self.audio_rates()],
            "features": [self.feature_path(dataset, f) for f in self.config["features"]],
        }

    def dataset_excerpts(self, dataset: str) -> list[dict]:
        """Configured excerpts of ``dataset`` as (name, dataset, track, start, end) mappings."""
        return [
            {"name": name, **excerpt}
            for name, excerpt in self.config["excerpts"].items()
            if excerpt["dataset"] == dataset
        ]

    def preprocessing_targets(self) -> list[str]:
        """Everything the preprocessing stage builds for the configured datasets."""
        targets = []
        for name in self.config["datasets"]:
            base = self.dataset_dir(name)
            targets.append(self.split_path(name))
            targets.append(f"{base}/annotations/original")
            targets += [f"{base}/audio/sr{sr}" for sr in self.audio_rates()]
            targets += [f"{base}/annotations/sr{sr}_hop{hop}" for sr, hop in self.frame_grids()]
            targets += [self.feature_path(name, feature) for feature in self.config["features"]]
        targets += [self.excerpt_path(name) for name in self.config["excerpts"]]
        return targets

    # --- experiments -----------------------------------------------------------------------

    def experiment(self, name: str) -> dict:
        """The resolved experiment ``name``, all keys."""
        if name not in self.experiments:
            raise InputError("config key experiments", f"no experiment {name!r}")
        return self.experiments[name]

    def job_experiment(self, name: str) -> dict:
        """What a training or prediction job of ``name`` is given: the experiment without
        :data:`NOT_JOB_KEYS` (see the module docstring), with the parameters of its input
        feature resolved (``input.feature_params``) so that a trained model's ``config.json``
        says what it reads."""
        experiment = {k: v for k, v in self.experiment(name).items() if k not in NOT_JOB_KEYS}
        feature = experiment.get("input", {}).get("feature")
        if feature:
            params = self.config["features"][feature]
            experiment["input"] = {**experiment["input"], "feature_params": params}
        if self.mix_options(name):
            augment = experiment["training"]["augment"]
            mix = {**augment["mix"], "accompaniment_sets": self.accompaniment_sets(name)}
            experiment["training"] = {**experiment["training"], "augment": {**augment, "mix": mix}}
        if self.pretrained_dir(name):
            model_dir = self.pretrained_dir(name)
            experiment["pretrained"] = {**experiment["pretrained"], "model_dir": model_dir}
        return experiment

    def family(self, name: str) -> Family:
        self.experiment(name)
        return self.families[name]

    def family_args(self, name: str) -> dict:
        """How a job finds the family of experiment ``name`` (``registry.get_family``)."""
        return {"task": self.experiment(name)["task"], "extra": self.config["families"]}

    def input_grid(self, experiment: dict) -> tuple[int, int, str | None] | None:
        """(sample rate Hz, hop samples, feature name or None) of an experiment's model
        input; None for an external method, which reads no input."""
        spec = experiment.get("input")
        if spec is None:
            return None
        if "feature" in spec:
            feature = self.config["features"][spec["feature"]]
            return feature["sr"], feature["hop_length"], spec["feature"]
        return spec["audio_sr"], spec["hop_length"], None

    def dataset_paths(self, name: str, dataset: str) -> dict:
        """The cached artefacts of ``dataset`` that experiment ``name`` reads
        (``mirlab.data.cache.DatasetPaths`` fields); ``reference`` is the annotation kind
        its family reads."""
        experiment = self.experiment(name)
        base = self.dataset_dir(dataset)
        sr, hop, feature = self.input_grid(experiment) or (0, 0, None)
        return {
            "name": dataset,
            "inputs": self.feature_path(dataset, feature) if feature else f"{base}/audio/sr{sr}",
            "grid": f"{base}/annotations/sr{sr}_hop{hop}",
            "original": f"{base}/annotations/original",
            "split": self.split_path(dataset),
            "reference": self.families[name].reference_kind(self.config["datasets"][dataset]),
            "sr": sr,
            "hop_length": hop,
        }

    @staticmethod
    def _path_values(paths: dict) -> list[str]:
        keys = ("inputs", "grid", "original", "split") if paths["sr"] else ("original", "split")
        return [paths[key] for key in keys]

    def experiment_sets(self, name: str, role: str) -> list[tuple[dict, str]]:
        """(dataset paths, split part) of each entry of the experiment's ``role``
        (``train``, ``validate`` or ``test``)."""
        return [
            (self.dataset_paths(name, entry["dataset"]), entry["part"])
            for entry in self.experiment(name).get(role, [])
        ]

    def mix_options(self, name: str) -> dict | None:
        """The experiment's ``training.augment.mix`` (mixing a stem over accompaniment, see
        ``mirlab.pitch.augment``), checked against the config; None when unset."""
        experiment = self.experiment(name)
        mix = ((experiment.get("training") or {}).get("augment") or {}).get("mix")
        if not mix:
            return None
        where = f"config key experiments.{name}.training.augment.mix"
        if mix["accompaniment"] not in self.config["datasets"]:
            raise InputError(f"{where}.accompaniment", f"no dataset {mix['accompaniment']!r}")
        if self.input_grid(experiment) is None:
            raise InputError(where, "mixing needs a model input (input.feature or audio_sr)")
        lo, hi = mix["ratio_db"]
        if lo > hi:
            raise InputError(f"{where}.ratio_db", f"[lo, hi] with lo > hi: {mix['ratio_db']}")
        if not 0 <= mix["probability"] <= 1:
            raise InputError(f"{where}.probability", f"must be in [0, 1], got {mix['probability']}")
        return mix

    def accompaniment_sets(self, name: str) -> list[tuple[dict, str]]:
        """(dataset paths, split part) of the accompaniment dataset of the experiment's
        ``training.augment.mix``, one per split part it trains on, on the experiment's input
        grid (the dataset's cached audio or feature of the experiment's input); [] unset."""
        mix = self.mix_options(name)
        if mix is None:
            return []
        parts = sorted({entry["part"] for entry in self.experiment(name)["train"]})
        return [(self.dataset_paths(name, mix["accompaniment"]), part) for part in parts]

    def pretrained_dir(self, name: str) -> str | None:
        """The model folder of the trained experiment that experiment ``name``'s model is
        built on (its ``pretrained``: experiment and seed), checked against the config: a
        trained experiment of its seeds, on the same input feature, with no cycle; None when
        unset."""
        pretrained = self.experiment(name).get("pretrained")
        if not pretrained:
            return None
        where = f"config key experiments.{name}.pretrained"
        other, seed = pretrained["experiment"], pretrained["seed"]
        if self.experiment(name)["method"] != "train":
            raise InputError(where, "only a trained model is built on a pretrained one")
        if other not in self.experiments:
            raise InputError(f"{where}.experiment", f"no experiment {other!r}")
        chain = [name]
        while other is not None:
            if other in chain:
                raise InputError(f"{where}.experiment", f"a cycle: {' -> '.join(chain + [other])}")
            chain.append(other)
            other = (self.experiments.get(other, {}).get("pretrained") or {}).get("experiment")
        other = pretrained["experiment"]
        trained = self.experiments[other]
        if trained["method"] != "train":
            raise InputError(
                f"{where}.experiment",
                f"{other!r} is a {trained['method']} method: it has no trained model",
            )
        if seed not in trained["seeds"]:
            raise InputError(
                f"{where}.seed", f"{other!r} trains seeds {trained['seeds']}, not {seed}"
            )
        features = [
            (self.input_grid(experiment) or (0, 0, None))[2]
            for experiment in (self.experiment(name), trained)
        ]
        params = [self.config["features"].get(feature) for feature in features]
        if features[0] is None or params[0] != params[1]:
            raise InputError(
                f"{where}.experiment",
                f"{other!r} reads input {trained.get('input')}, this experiment "
                f"{self.experiment(name).get('input')}: the same feature is needed",
            )
        return f"results/{other}/seed{seed}/model"

    def validation_excerpts(self, name: str) -> list[dict]:
        """Configured excerpts of the experiment's validation datasets; the training job
        makes a validation set of each one whose track lies in a validated part."""
        validated = sorted({s["dataset"] for s in self.experiment(name).get("validate", [])})
        return [excerpt for dataset in validated for excerpt in self.dataset_excerpts(dataset)]

    def trained_experiment(self, name: str) -> dict:
        experiment = self.job_experiment(name)
        if experiment["method"] != "train":
            raise InputError(
                f"config key experiments.{name}",
                f"a {experiment['method']} method has no trained model",
            )
        return experiment

    def test_part(self, name: str, dataset: str) -> str:
        """The split part experiment ``name`` tests on ``dataset``."""
        for entry in self.experiment(name)["test"]:
            if entry["dataset"] == dataset:
                return entry["part"]
        raise InputError(
            f"config key experiments.{name}.test", f"does not test dataset {dataset!r}"
        )

    def train_input(self, name: str) -> list[str]:
        self.trained_experiment(name)
        sets = self.experiment_sets(name, "train") + self.experiment_sets(name, "validate")
        # mixing reads the accompaniment dataset's inputs of the parts in its split
        mixed = {
            paths[key] for paths, _ in self.accompaniment_sets(name) for key in ("inputs", "split")
        }
        pretrained = {self.pretrained_dir(name)} - {None}  # the model this one is built on
        return sorted(
            {path for paths, _ in sets for path in self._path_values(paths)} | mixed | pretrained
        )

    def training_dir(self, name: str, seed: int | str) -> str:
        """Checkpoints and TensorBoard logs of a training job, keyed by what it is given,
        its datasets' keys and its validation excerpts: a rerun with the same key resumes,
        a changed one starts afresh."""
        experiment = self.job_experiment(name)
        used = [s["dataset"] for s in experiment.get("train", []) + experiment.get("validate", [])]
        identity = {
            "experiment": experiment,
            "data": [self.dataset_params(d) for d in used],
            "excerpts": self.validation_excerpts(name),
        }
        if "pretrained" in experiment:  # a retrained pretrained model starts this one afresh
            pretrained = experiment["pretrained"]
            identity["pretrained"] = self.training_dir(pretrained["experiment"], pretrained["seed"])
        return f"results/{name}/seed{seed}/training/{param_key(identity)}"

    def predict_input(self, name: str, seed: int | str, dataset: str) -> dict:
        self.test_part(name, dataset)
        experiment = self.experiment(name)
        inputs = {"data": self._path_values(self.dataset_paths(name, dataset))}
        if experiment["method"] == "train":
            inputs["model"] = f"results/{name}/seed{seed}/model"
        elif experiment["method"] == "baseline":
            inputs["valid"] = sorted(
                {
                    path
                    for paths, _ in self.experiment_sets(name, "validate")
                    for path in self._path_values(paths)
                }
            )
        return inputs

    def feature_params_of(self, name: str) -> dict | None:
        _, _, feature = self.input_grid(self.experiment(name)) or (0, 0, None)
        return self.config["features"][feature] if feature else None

    def evaluate_input(self, name: str, seed: int | str, dataset: str) -> dict:
        self.test_part(name, dataset)
        paths = self.dataset_paths(name, dataset)
        return {
            "predictions": f"results/{name}/seed{seed}/predictions/{dataset}",
            "original": paths["original"],
            "split": paths["split"],
        }

    def result_entries(self) -> list[dict]:
        """(experiment, seed, dataset, split part, summary and per-track paths) of every
        configured evaluation."""
        entries = []
        for name, experiment in self.experiments.items():
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

    def headline_metrics(self) -> dict[str, tuple[str, ...]]:
        """Each tested experiment's headline metrics (its family's), for the results figures
        (an experiment with no test set, e.g. trained only for another to build on, has no
        results row to draw)."""
        return {
            name: family.headline_metrics
            for name, family in self.families.items()
            if self.experiments[name]["test"]
        }

    def comparison_targets(self) -> list[str]:
        """The side-by-side figure and the paired-test CSV of every ``compare`` entry."""
        targets = []
        for pair in self.config["compare"]:
            where = f"{pair['dataset']}/{pair['a']}/{pair['b']}"
            targets += [f"reports/figures/compare/{where}.png", f"reports/paired_tests/{where}.csv"]
        return targets

    def figure_targets(self) -> list[str]:
        targets = [
            f"reports/figures/{entry['experiment']}/seed{entry['seed']}/{entry['dataset']}"
            for entry in self.result_entries()
        ]
        targets += self.comparison_targets()
        if self.experiments:
            targets.append("reports/figures/results")
        return targets

    def experiment_targets(self) -> list[str]:
        if not self.experiments:
            return []
        return ["reports/results.csv", "reports/results.parquet"]

from mirlab.data.cache import DatasetPaths
from mirlab.families.registry import get_family
from mirlab.jobs import logged

with logged(snakemake.log[0]):
    get_family(**snakemake.params.family).load_jobs().predict(
        snakemake.params.experiment,
        DatasetPaths.from_mapping(snakemake.params.data),
        snakemake.params.part,
        snakemake.output[0],
        model_dir=snakemake.input.get("model"),
        feature_params=snakemake.params.feature,
        valid_sets=[(DatasetPaths.from_mapping(p), part) for p, part in snakemake.params.valid],
    )

from mirlab.data.cache import DatasetPaths
from mirlab.evaluation.evaluate import score_estimates
from mirlab.families.registry import get_family
from mirlab.jobs import logged

with logged(snakemake.log[0]):
    score_estimates(
        get_family(**snakemake.params.family).load_jobs(),
        snakemake.input.predictions,
        DatasetPaths.from_mapping(snakemake.params.data),
        snakemake.params.part,
        snakemake.output.per_track,
        snakemake.output.summary,
    )

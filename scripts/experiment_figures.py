from mirlab.data.cache import DatasetPaths
from mirlab.families.registry import get_family
from mirlab.jobs import logged

with logged(snakemake.log[0]):
    get_family(**snakemake.params.family).load_jobs().figures(
        snakemake.input.predictions,
        DatasetPaths.from_mapping(snakemake.params.data),
        snakemake.params.part,
        snakemake.params.excerpts,
        snakemake.output[0],
    )

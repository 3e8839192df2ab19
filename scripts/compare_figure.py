from mirlab.data.cache import DatasetPaths
from mirlab.evaluation.figures import compare_figure
from mirlab.jobs import logged

with logged(snakemake.log[0]):
    compare_figure(
        snakemake.input.a,
        snakemake.input.b,
        (snakemake.wildcards.a, snakemake.wildcards.b),
        DatasetPaths.from_mapping(snakemake.params.data),
        snakemake.params.part,
        snakemake.output[0],
    )

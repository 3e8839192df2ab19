from mirlab.data.cache import DatasetPaths
from mirlab.evaluation.figures import experiment_figures
from mirlab.jobs import logged

with logged(snakemake.log[0]):
    experiment_figures(
        snakemake.input.predictions,
        DatasetPaths.from_mapping(snakemake.params.data),
        snakemake.params.part,
        snakemake.params.excerpts,
        snakemake.output[0],
    )

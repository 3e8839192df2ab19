from mirlab.evaluation.figures import results_figures
from mirlab.jobs import logged

with logged(snakemake.log[0]):
    results_figures(
        snakemake.input.results,
        snakemake.params.entries,
        snakemake.params.metrics,
        snakemake.output[0],
    )

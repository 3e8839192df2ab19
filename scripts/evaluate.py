from mirlab.data.cache import DatasetPaths
from mirlab.families.melody.estimates import evaluate_predictions
from mirlab.jobs import logged

with logged(snakemake.log[0]):
    evaluate_predictions(
        snakemake.input.predictions,
        DatasetPaths.from_mapping(snakemake.params.data),
        snakemake.params.part,
        snakemake.output.per_track,
        snakemake.output.summary,
    )

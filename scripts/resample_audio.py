from mirlab.jobs import logged
from mirlab.preprocess import resample_dataset

with logged(snakemake.log[0]):
    resample_dataset(
        snakemake.input[0],
        snakemake.params.source,
        snakemake.params.sr,
        snakemake.output[0],
        snakemake.threads,
    )

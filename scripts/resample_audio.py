from mirlab.data.preprocess import resample_dataset
from mirlab.jobs import logged

with logged(snakemake.log[0]):
    resample_dataset(
        snakemake.input[0],
        snakemake.params.source,
        snakemake.params.sr,
        snakemake.output[0],
        snakemake.threads,
    )

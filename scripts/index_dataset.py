from mirlab.jobs import logged
from mirlab.preprocess import index_dataset

with logged(snakemake.log[0]):
    index_dataset(
        snakemake.params.loader,
        snakemake.params.root,
        snakemake.params.options,
        snakemake.output[0],
        snakemake.threads,
    )

from mirlab.data.preprocess import index_dataset
from mirlab.jobs import logged

with logged(snakemake.log[0]):
    index_dataset(
        snakemake.params.loader,
        snakemake.params.root,
        snakemake.params.options,
        snakemake.output[0],
        snakemake.threads,
    )

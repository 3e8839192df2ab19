from mirlab.data.preprocess import make_split
from mirlab.jobs import logged

with logged(snakemake.log[0]):
    make_split(
        snakemake.input[0], snakemake.params.split, snakemake.output[0], snakemake.params.base
    )

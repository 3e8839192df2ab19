from mirlab.jobs import logged
from mirlab.preprocess import make_split

with logged(snakemake.log[0]):
    make_split(
        snakemake.input[0], snakemake.params.split, snakemake.output[0], snakemake.params.base
    )

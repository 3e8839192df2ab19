from mirlab.data.preprocess import cut_excerpt
from mirlab.jobs import logged

with logged(snakemake.log[0]):
    cut_excerpt(
        snakemake.params.excerpt,
        snakemake.input.index,
        snakemake.input.annotations,
        snakemake.input.audio,
        snakemake.input.features,
        snakemake.output[0],
    )

from mirlab.data.preprocess import grid_annotations
from mirlab.jobs import logged

with logged(snakemake.log[0]):
    grid_annotations(
        snakemake.input.annotations,
        snakemake.input.audio,
        snakemake.params.sr,
        snakemake.params.hop_length,
        snakemake.output[0],
    )

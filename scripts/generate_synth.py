from mirlab.jobs import logged
from mirlab.preprocess import generate_synth_dataset

with logged(snakemake.log[0]):
    generate_synth_dataset(
        snakemake.output[0], snakemake.params.generate, workers=snakemake.threads
    )

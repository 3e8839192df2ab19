from mirlab.data.preprocess import generate_synth_dataset
from mirlab.jobs import logged

with logged(snakemake.log[0]):
    generate_synth_dataset(
        snakemake.output[0], snakemake.params.generate, workers=snakemake.threads
    )

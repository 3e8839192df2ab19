from mirlab.data.preprocess import extract_dataset_features
from mirlab.jobs import logged

with logged(snakemake.log[0]):
    extract_dataset_features(
        snakemake.input[0], snakemake.params.feature, snakemake.output[0], snakemake.threads
    )

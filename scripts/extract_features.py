from mirlab.jobs import logged
from mirlab.preprocess import extract_dataset_features

with logged(snakemake.log[0]):
    extract_dataset_features(
        snakemake.input[0], snakemake.params.feature, snakemake.output[0], snakemake.threads
    )

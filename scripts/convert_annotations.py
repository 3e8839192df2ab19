from mirlab.jobs import logged
from mirlab.preprocess import convert_annotations

with logged(snakemake.log[0]):
    convert_annotations(snakemake.input[0], snakemake.output[0], snakemake.threads)

from mirlab.data.preprocess import convert_annotations
from mirlab.jobs import logged

with logged(snakemake.log[0]):
    convert_annotations(snakemake.input[0], snakemake.output[0], snakemake.threads)

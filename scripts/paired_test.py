from mirlab.evaluation.evaluate import write_paired_tests
from mirlab.jobs import logged

with logged(snakemake.log[0]):
    write_paired_tests(
        snakemake.input.a,
        snakemake.input.b,
        (snakemake.wildcards.a, snakemake.wildcards.b),
        snakemake.output[0],
    )

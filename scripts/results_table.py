from mirlab.evaluation.report import results_table, write_results_table
from mirlab.jobs import logged

with logged(snakemake.log[0]):
    table = results_table(snakemake.params.entries, snakemake.params.experiments)
    write_results_table(table, snakemake.output.csv, snakemake.output.parquet)

from mirlab.jobs import logged
from mirlab.report import results_table, write_results_table

with logged(snakemake.log[0]):
    table = results_table(snakemake.params.entries, snakemake.params.experiments)
    write_results_table(table, snakemake.output.csv, snakemake.output.parquet)

rule results_table:
    input:
        [entry["summary"] for entry in PLAN.result_entries()],
    output:
        csv=report(
            "reports/results.csv",
            caption="../captions/results_table.rst",
            category="Results",
        ),
        parquet="reports/results.parquet",
    log:
        "logs/reports/results_table.log",
    benchmark:
        "logs/reports/results_table.benchmark.tsv"
    conda:
        "../envs/mirlab.yaml"
    params:
        entries=PLAN.result_entries(),
        experiments=PLAN.experiments,
    script:
        "../scripts/results_table.py"

rule experiment_figures:
    input:
        unpack(evaluate_input),
    output:
        report(
            directory("reports/figures/{experiment}/seed{seed}/{dataset}"),
            patterns=["{name}.png", "{name}.wav"],
            caption="../captions/experiment_figures.rst",
            category="{experiment}",
            subcategory="{dataset} (seed {seed})",
        ),
    log:
        "logs/reports/figures/{experiment}/seed{seed}/{dataset}.log",
    benchmark:
        "logs/reports/figures/{experiment}/seed{seed}/{dataset}.benchmark.tsv"
    conda:
        "../envs/mirlab.yaml"
    params:
        family=family_args,
        data=tested_paths,
        part=test_part,
        excerpts=dataset_excerpts,
    script:
        "../scripts/experiment_figures.py"


rule results_figures:
    input:
        results="reports/results.csv",
        per_track=[entry["per_track"] for entry in PLAN.result_entries()],
    output:
        report(
            directory("reports/figures/results"),
            patterns=["{name}.png"],
            caption="../captions/results_figures.rst",
            category="Results",
        ),
    log:
        "logs/reports/figures/results.log",
    benchmark:
        "logs/reports/figures/results.benchmark.tsv"
    conda:
        "../envs/mirlab.yaml"
    params:
        entries=PLAN.result_entries(),
        metrics=PLAN.headline_metrics(),
    script:
        "../scripts/results_figures.py"


rule compare_figure:
    input:
        a="results/{a}/seed0/predictions/{dataset}",
        b="results/{b}/seed0/predictions/{dataset}",
        original=lambda wildcards: PLAN.dataset_paths(wildcards.a, wildcards.dataset)[
            "original"
        ],
        split=lambda wildcards: PLAN.split_path(wildcards.dataset),
    output:
        report(
            "reports/figures/compare/{dataset}/{a}/{b}.png",
            caption="../captions/compare.rst",
            category="Comparisons",
        ),
    log:
        "logs/reports/figures/compare/{dataset}/{a}/{b}.log",
    benchmark:
        "logs/reports/figures/compare/{dataset}/{a}/{b}.benchmark.tsv"
    conda:
        "../envs/mirlab.yaml"
    params:
        family=lambda wildcards: PLAN.family_args(wildcards.a),
        data=lambda wildcards: PLAN.dataset_paths(wildcards.a, wildcards.dataset),
        part=lambda wildcards: PLAN.test_part(wildcards.a, wildcards.dataset),
    script:
        "../scripts/compare_figure.py"

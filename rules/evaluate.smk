rule evaluate:
    input:
        unpack(evaluate_input),
    output:
        per_track="results/{experiment}/seed{seed}/eval/{dataset}/per_track.csv",
        summary="results/{experiment}/seed{seed}/eval/{dataset}/summary.csv",
    log:
        "logs/results/{experiment}/seed{seed}/evaluate-{dataset}.log",
    benchmark:
        "logs/results/{experiment}/seed{seed}/evaluate-{dataset}.benchmark.tsv"
    conda:
        "../envs/mirlab.yaml"
    params:
        family=family_args,
        data=tested_paths,
        part=test_part,
    script:
        "../scripts/evaluate.py"


rule paired_test:
    input:
        a="results/{a}/seed0/eval/{dataset}/per_track.csv",
        b="results/{b}/seed0/eval/{dataset}/per_track.csv",
    output:
        report(
            "reports/paired_tests/{dataset}/{a}/{b}.csv",
            caption="../captions/paired_test.rst",
            category="Comparisons",
        ),
    log:
        "logs/reports/paired_tests/{dataset}/{a}/{b}.log",
    benchmark:
        "logs/reports/paired_tests/{dataset}/{a}/{b}.benchmark.tsv"
    conda:
        "../envs/mirlab.yaml"
    script:
        "../scripts/paired_test.py"

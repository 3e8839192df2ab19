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
        data=lambda wildcards: dataset_paths(
            current_experiment(wildcards), wildcards.dataset
        ),
        part=lambda wildcards: test_part(
            current_experiment(wildcards), wildcards.dataset
        ),
    script:
        "../scripts/evaluate.py"

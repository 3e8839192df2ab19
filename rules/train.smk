rule train_model:
    input:
        train_input,
    output:
        directory("results/{experiment}/seed{seed}/model"),
    log:
        "logs/results/{experiment}/seed{seed}/train_model.log",
    benchmark:
        "logs/results/{experiment}/seed{seed}/train_model.benchmark.tsv"
    conda:
        "../envs/mirlab.yaml"
    threads: 2
    params:
        experiment=current_experiment,
        train=lambda wildcards: experiment_sets(current_experiment(wildcards), "train"),
        valid=lambda wildcards: experiment_sets(
            current_experiment(wildcards), "validate"
        ),
        excerpts=lambda wildcards: validation_excerpts(current_experiment(wildcards)),
        work_dir=training_dir,
    script:
        "../scripts/train_model.py"


rule predict:
    input:
        unpack(predict_input),
    output:
        directory("results/{experiment}/seed{seed}/predictions/{dataset}"),
    log:
        "logs/results/{experiment}/seed{seed}/predict-{dataset}.log",
    benchmark:
        "logs/results/{experiment}/seed{seed}/predict-{dataset}.benchmark.tsv"
    conda:
        "../envs/mirlab.yaml"
    params:
        experiment=current_experiment,
        data=lambda wildcards: dataset_paths(
            current_experiment(wildcards), wildcards.dataset
        ),
        part=lambda wildcards: test_part(
            current_experiment(wildcards), wildcards.dataset
        ),
        feature=lambda wildcards: feature_params_of(current_experiment(wildcards)),
        valid=lambda wildcards: experiment_sets(
            current_experiment(wildcards), "validate"
        ),
    script:
        "../scripts/predict.py"

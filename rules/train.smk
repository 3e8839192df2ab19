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
        family=family_args,
        experiment=job_experiment,
        train=experiment_sets("train"),
        valid=experiment_sets("validate"),
        excerpts=validation_excerpts,
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
        family=family_args,
        experiment=job_experiment,
        data=tested_paths,
        part=test_part,
        feature=feature_params_of,
        valid=experiment_sets("validate"),
    script:
        "../scripts/predict.py"

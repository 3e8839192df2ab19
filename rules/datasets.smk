rule generate_synth:
    output:
        directory(f"{DATA}/generated/synth-{{gkey}}"),
    log:
        "logs/generated/synth-{gkey}/generate_synth.log",
    benchmark:
        "logs/generated/synth-{gkey}/generate_synth.benchmark.tsv"
    conda:
        "../envs/mirlab.yaml"
    threads: POOL_THREADS
    params:
        generate=synth_generate_params,
    script:
        "../scripts/generate_synth.py"


rule index_dataset:
    input:
        index_input,
    output:
        f"{DATA}/{{dataset}}/{{key}}/index.parquet",
    log:
        "logs/{dataset}/{key}/index_dataset.log",
    benchmark:
        "logs/{dataset}/{key}/index_dataset.benchmark.tsv"
    conda:
        "../envs/mirlab.yaml"
    params:
        loader=lambda wildcards: current_dataset(wildcards)["loader"],
        options=lambda wildcards: current_dataset(wildcards)["options"],
        root=lambda wildcards, input: (
            input[0] if input else PLAN.dataset_params(wildcards.dataset)["root"]
        ),
    script:
        "../scripts/index_dataset.py"


rule make_split:
    input:
        f"{DATA}/{{dataset}}/{{key}}/index.parquet",
    output:
        f"{DATA}/{{dataset}}/{{key}}/split-{{skey}}.csv",
    log:
        "logs/{dataset}/{key}/make_split-{skey}.log",
    benchmark:
        "logs/{dataset}/{key}/make_split-{skey}.benchmark.tsv"
    conda:
        "../envs/mirlab.yaml"
    params:
        split=split_params,
        base=workflow.basedir,
    script:
        "../scripts/make_split.py"

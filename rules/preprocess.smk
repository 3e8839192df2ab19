rule resample_audio:
    input:
        f"{DATA}/{{dataset}}/{{key}}/index.parquet",
    output:
        directory(f"{DATA}/{{dataset}}/{{key}}/audio/sr{{sr}}"),
    log:
        "logs/{dataset}/{key}/resample_audio-sr{sr}.log",
    benchmark:
        "logs/{dataset}/{key}/resample_audio-sr{sr}.benchmark.tsv"
    conda:
        "../envs/mirlab.yaml"
    threads: POOL_THREADS
    params:
        source=lambda wildcards: current_dataset(wildcards)["source"],
        sr=lambda wildcards: int(wildcards.sr),
    script:
        "../scripts/resample_audio.py"


rule convert_annotations:
    input:
        f"{DATA}/{{dataset}}/{{key}}/index.parquet",
    output:
        directory(f"{DATA}/{{dataset}}/{{key}}/annotations/original"),
    log:
        "logs/{dataset}/{key}/convert_annotations.log",
    benchmark:
        "logs/{dataset}/{key}/convert_annotations.benchmark.tsv"
    conda:
        "../envs/mirlab.yaml"
    threads: POOL_THREADS
    script:
        "../scripts/convert_annotations.py"


rule grid_annotations:
    input:
        annotations=f"{DATA}/{{dataset}}/{{key}}/annotations/original",
        audio=f"{DATA}/{{dataset}}/{{key}}/audio/sr{{sr}}",
    output:
        directory(f"{DATA}/{{dataset}}/{{key}}/annotations/sr{{sr}}_hop{{hop}}"),
    log:
        "logs/{dataset}/{key}/grid_annotations-sr{sr}_hop{hop}.log",
    benchmark:
        "logs/{dataset}/{key}/grid_annotations-sr{sr}_hop{hop}.benchmark.tsv"
    conda:
        "../envs/mirlab.yaml"
    params:
        sr=lambda wildcards: int(wildcards.sr),
        hop_length=lambda wildcards: int(wildcards.hop),
    script:
        "../scripts/grid_annotations.py"


rule extract_features:
    input:
        feature_audio,
    output:
        directory(f"{DATA}/{{dataset}}/{{key}}/features/{{feature}}-{{fkey}}"),
    log:
        "logs/{dataset}/{key}/extract_features-{feature}-{fkey}.log",
    benchmark:
        "logs/{dataset}/{key}/extract_features-{feature}-{fkey}.benchmark.tsv"
    conda:
        "../envs/mirlab.yaml"
    threads: POOL_THREADS
    params:
        feature=feature_params,
    script:
        "../scripts/extract_features.py"


rule cut_excerpt:
    input:
        unpack(excerpt_input),
    output:
        directory(f"{DATA}/excerpts/{{excerpt}}-{{key}}"),
    log:
        "logs/excerpts/{excerpt}-{key}.log",
    benchmark:
        "logs/excerpts/{excerpt}-{key}.benchmark.tsv"
    conda:
        "../envs/mirlab.yaml"
    params:
        excerpt=excerpt_params,
    script:
        "../scripts/cut_excerpt.py"

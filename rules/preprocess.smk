rule resample_audio:
    input:
        f"{DATA}/{{dataset}}/{{key}}/index.parquet",
    output:
        directory(f"{DATA}/{{dataset}}/{{key}}/audio/sr{{sr}}"),
    params:
        source=lambda wildcards: current_dataset(wildcards)["source"],
        sr=lambda wildcards: int(wildcards.sr),
    threads: POOL_THREADS
    log:
        "logs/{dataset}/{key}/resample_audio-sr{sr}.log",
    benchmark:
        "logs/{dataset}/{key}/resample_audio-sr{sr}.benchmark.tsv"
    conda:
        "../envs/mirlab.yaml"
    script:
        "../scripts/resample_audio.py"


rule convert_annotations:
    input:
        f"{DATA}/{{dataset}}/{{key}}/index.parquet",
    output:
        directory(f"{DATA}/{{dataset}}/{{key}}/annotations/original"),
    threads: POOL_THREADS
    log:
        "logs/{dataset}/{key}/convert_annotations.log",
    benchmark:
        "logs/{dataset}/{key}/convert_annotations.benchmark.tsv"
    conda:
        "../envs/mirlab.yaml"
    script:
        "../scripts/convert_annotations.py"


rule grid_annotations:
    input:
        annotations=f"{DATA}/{{dataset}}/{{key}}/annotations/original",
        audio=f"{DATA}/{{dataset}}/{{key}}/audio/sr{{sr}}",
    output:
        directory(f"{DATA}/{{dataset}}/{{key}}/annotations/sr{{sr}}_hop{{hop}}"),
    params:
        sr=lambda wildcards: int(wildcards.sr),
        hop_length=lambda wildcards: int(wildcards.hop),
    log:
        "logs/{dataset}/{key}/grid_annotations-sr{sr}_hop{hop}.log",
    benchmark:
        "logs/{dataset}/{key}/grid_annotations-sr{sr}_hop{hop}.benchmark.tsv"
    conda:
        "../envs/mirlab.yaml"
    script:
        "../scripts/grid_annotations.py"


rule extract_features:
    input:
        feature_audio,
    output:
        directory(f"{DATA}/{{dataset}}/{{key}}/features/{{feature}}-{{fkey}}"),
    params:
        feature=feature_params,
    threads: POOL_THREADS
    log:
        "logs/{dataset}/{key}/extract_features-{feature}-{fkey}.log",
    benchmark:
        "logs/{dataset}/{key}/extract_features-{feature}-{fkey}.benchmark.tsv"
    conda:
        "../envs/mirlab.yaml"
    script:
        "../scripts/extract_features.py"


rule cut_excerpt:
    input:
        unpack(excerpt_input),
    output:
        directory(f"{DATA}/excerpts/{{excerpt}}-{{key}}"),
    params:
        excerpt=excerpt_params,
    log:
        "logs/excerpts/{excerpt}-{key}.log",
    benchmark:
        "logs/excerpts/{excerpt}-{key}.benchmark.tsv"
    conda:
        "../envs/mirlab.yaml"
    script:
        "../scripts/cut_excerpt.py"

from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "captions/workflow.rst"


include: "rules/common.smk"
include: "rules/datasets.smk"
include: "rules/preprocess.smk"
include: "rules/train.smk"
include: "rules/evaluate.smk"
include: "rules/report.smk"
include: "rules/figures.smk"


rule all:
    default_target: True
    input:
        PLAN.preprocessing_targets(),
        PLAN.experiment_targets(),
        PLAN.figure_targets(),
